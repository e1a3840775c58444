import Payments
import Runtime

Function.run(GetOrder.endpoint)
