import Payments
import Runtime

Function.run(CreateCoupon.endpoint)
