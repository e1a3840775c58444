import Payments
import Runtime

Function.run(RazorpayWebhook.endpoint)
