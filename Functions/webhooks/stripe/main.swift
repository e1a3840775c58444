import Payments
import Runtime

Function.run(StripeWebhook.endpoint)
