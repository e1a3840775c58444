import Payments
import Runtime

Function.run(UpdateCoupon.endpoint)
