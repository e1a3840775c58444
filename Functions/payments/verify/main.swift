import Payments
import Runtime

Function.run(VerifyPayment.endpoint)
