import Core
import Database
import Runtime

/// `POST /api/v1/webhooks/razorpay`: Razorpay's events. The signature
/// (`X-Razorpay-Signature`, hex HMAC-SHA256 of the raw body with the webhook secret) is checked
/// before the body is parsed; `X-Razorpay-Event-Id` makes each event count once.
/// `payment.captured` and `order.paid` pay the order; `payment.failed` is recorded.
public enum RazorpayWebhook {
    public static let endpoint = Endpoint(
        .post, "/api/v1/webhooks/razorpay", access: .anyone, mode: .fastcgi, processes: 2, body: 256 * KiB, rate: "webhook", handle)

    public static func handle(_ context: Context) throws -> Response {
        let settings = PaymentSettings(context.config)
        let secret = try settings.razorpayWebhookSecret()
        let request = context.request
        guard let signature = request.header("x-razorpay-signature"),
            Signatures.matches(signature, expected: Signatures.razorpayWebhook(body: request.body, secret: secret))
        else { throw try Webhooks.refuse(context, .razorpay, status: 401, code: "invalid_signature", reason: "signature missing or wrong") }
        guard let eventId = Webhooks.identifier(request.header("x-razorpay-event-id")) else {
            throw try Webhooks.refuse(context, .razorpay, status: 400, code: "malformed_event", reason: "no X-Razorpay-Event-Id")
        }
        guard let event = try? JSONValue.parse(request.body), let type = Webhooks.identifier(event["event"]) else {
            throw try Webhooks.refuse(context, .razorpay, status: 400, code: "malformed_event", reason: "body is not a Razorpay event")
        }
        let payment = event["payload"]?["payment"]?["entity"]
        let order = event["payload"]?["order"]?["entity"]
        let refund = event["payload"]?["refund"]?["entity"]
        let providerRefund = Webhooks.identifier(refund?["id"]).map {
            Billing.ProviderRefund(id: $0, refundId: Webhooks.identifier(refund?["notes"]?["refund_id"]))
        }
        let kind: Billing.Notice.Kind =
            switch type {
            case "payment.captured", "order.paid": .paid
            case "payment.failed": .paymentFailed(reason: description(payment))
            case "refund.processed" where providerRefund != nil: .refunded([providerRefund!])
            case "refund.failed" where providerRefund != nil:
                .refundFailed(providerRefund!, reason: "the provider could not make the refund")
            default: .ignored(reason: "\(type) is not acted on")
            }
        let notice = Billing.Notice(
            provider: .razorpay, source: "webhook", eventId: eventId, eventType: type, kind: kind,
            providerOrderId: Webhooks.identifier(payment?["order_id"]) ?? Webhooks.identifier(order?["id"]),
            orderId: Webhooks.identifier(payment?["notes"]?["order_id"]) ?? Webhooks.identifier(order?["notes"]?["order_id"]),
            paymentId: Webhooks.identifier(payment?["id"]),
            amountMinor: Webhooks.amount(payment?["amount"]) ?? Webhooks.amount(order?["amount_paid"]),
            currency: Webhooks.identifier(payment?["currency"]) ?? Webhooks.identifier(order?["currency"]),
            feeMinor: Webhooks.amount(payment?["fee"]),
            payload: String(decoding: request.body, as: UTF8.self), remoteAddress: request.remoteAddress)
        return try Webhooks.answer(Billing.record(context.db(), notice, settings: settings))
    }

    /// Razorpay's reason for a failed payment, shortened.
    static func description(_ payment: JSONValue?) -> String {
        guard case .string(let text)? = payment?["error_description"] else { return "payment failed" }
        return String(text.prefix(300))
    }
}
