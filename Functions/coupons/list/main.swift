import Payments
import Runtime

Function.run(ListCoupons.endpoint)
