import Payments
import Runtime

Function.run(ListPurchases.endpoint)
