import Payments
import Runtime

Function.run(GetRefund.endpoint)
