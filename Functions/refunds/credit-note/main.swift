import Invoices
import Runtime

Function.run(RefundCreditNoteDownload.endpoint)
