import Payments
import Runtime

Function.run(ListRefunds.endpoint)
