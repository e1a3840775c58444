import Payments
import Runtime

Function.run(ApproveRefund.endpoint)
