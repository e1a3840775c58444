import Payments
import Runtime

Function.run(RequestRefund.endpoint)
