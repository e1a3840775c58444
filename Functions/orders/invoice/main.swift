import Invoices
import Runtime

Function.run(OrderInvoiceDownload.endpoint)
