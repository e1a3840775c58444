// The refund worker: `refund.process` jobs from the `refunds` queue, sent to Razorpay or Stripe
// through libcurl with an idempotency key; the provider's answer (or later its webhook) finishes
// the refund. See Shared/RefundProcessing/RefundProcessing.swift.
import Core
import Payments
import RefundProcessing
import Worker

let config = Config.load()
let settings = PaymentSettings(config)

// REFUND_QUEUE: another queue name (tests run a worker of their own beside the suite).
Worker.run(name: "refund", options: Worker.Options(queue: config["REFUND_QUEUE"] ?? Refunds.queue, concurrency: 2)) { job, context in
    try RefundProcessing.handle(job, context, settings: settings)
}
