import Payments
import Runtime

Function.run(PayoutReport.endpoint)
