import Payments
import Runtime

Function.run(ListPaymentEvents.endpoint)
