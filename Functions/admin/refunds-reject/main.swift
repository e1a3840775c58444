import Payments
import Runtime

Function.run(RejectRefund.endpoint)
