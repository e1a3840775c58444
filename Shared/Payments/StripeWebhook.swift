import Core
import Database
import Runtime

/// `POST /api/v1/webhooks/stripe`: Stripe's events. `Stripe-Signature` (`t=...,v1=...`, HMAC-SHA256
/// of "t.raw body" with the whole `whsec_` secret) is checked before the body is parsed and
/// refused when older than the tolerance (300 s). Checkout Session events pay the order (only
/// once `payment_status` is `paid`), fail it or expire it; each event id counts once.
public enum StripeWebhook {
    public static let endpoint = Endpoint(
        .post, "/api/v1/webhooks/stripe", access: .anyone, mode: .fastcgi, processes: 2, body: 256 * KiB, rate: "webhook", handle)

    public static func handle(_ context: Context) throws -> Response {
        let settings = PaymentSettings(context.config)
        let secret = try settings.stripeWebhookSecret()
        let request = context.request
        guard let header = request.header("stripe-signature") else {
            throw try Webhooks.refuse(context, .stripe, status: 401, code: "invalid_signature", reason: "no Stripe-Signature")
        }
        do {
            try Signatures.verifyStripe(
                header: header, body: request.body, secret: secret, now: unixTime(), tolerance: settings.stripeTolerance)
        } catch .malformed {
            throw try Webhooks.refuse(context, .stripe, status: 400, code: "malformed_signature", reason: "Stripe-Signature is malformed")
        } catch .stale {
            throw try Webhooks.refuse(context, .stripe, status: 401, code: "signature_expired", reason: "Stripe-Signature is too old")
        } catch {
            throw try Webhooks.refuse(context, .stripe, status: 401, code: "invalid_signature", reason: "no v1 signature matches")
        }
        guard let event = try? JSONValue.parse(request.body), let eventId = Webhooks.identifier(event["id"]),
            let type = Webhooks.identifier(event["type"])
        else { throw try Webhooks.refuse(context, .stripe, status: 400, code: "malformed_event", reason: "body is not a Stripe event") }
        let object = event["data"]?["object"]
        let objectType = Webhooks.identifier(object?["object"])
        // charge.refunded lists every refund of the charge; ours carry their id in the metadata.
        var refunds: [Billing.ProviderRefund] = []
        if objectType == "charge", case .array(let list)? = object?["refunds"]?["data"] {
            for refund in list where Webhooks.identifier(refund["status"]) == "succeeded" {
                if let id = Webhooks.identifier(refund["id"]) {
                    refunds.append(.init(id: id, refundId: Webhooks.identifier(refund["metadata"]?["refund_id"])))
                }
            }
        }
        let refund =
            objectType == "refund"
            ? Webhooks.identifier(object?["id"]).map {
                Billing.ProviderRefund(id: $0, refundId: Webhooks.identifier(object?["metadata"]?["refund_id"]))
            } : nil
        let session = objectType == "checkout.session" ? object : nil
        let kind: Billing.Notice.Kind =
            switch type {
            case "checkout.session.completed":
                Webhooks.identifier(session?["payment_status"]) == "paid" ? .paid : .ignored(reason: "completed, payment not yet received")
            case "checkout.session.async_payment_succeeded": .paid
            case "checkout.session.async_payment_failed": .paymentFailed(reason: "the asynchronous payment failed")
            case "checkout.session.expired": .expired
            case "charge.refunded" where !refunds.isEmpty: .refunded(refunds)
            case "charge.refund.updated", "refund.updated", "refund.failed":
                switch (refund, Webhooks.identifier(object?["status"])) {
                case (let refund?, "succeeded"): .refunded([refund])
                case (let refund?, "failed"), (let refund?, "canceled"):
                    .refundFailed(
                        refund,
                        reason:
                            "the provider could not make the refund (\(Webhooks.identifier(object?["failure_reason"]) ?? "no reason given"))"
                    )
                default: .ignored(reason: "\(type): nothing to do")
                }
            default: .ignored(reason: "\(type) is not acted on")
            }
        let notice = Billing.Notice(
            provider: .stripe, source: "webhook", eventId: eventId, eventType: type, kind: kind,
            providerOrderId: Webhooks.identifier(session?["id"]),
            orderId: Webhooks.identifier(session?["metadata"]?["order_id"]) ?? Webhooks.identifier(session?["client_reference_id"]),
            paymentId: Webhooks.identifier(session?["payment_intent"]),
            amountMinor: Webhooks.amount(session?["amount_total"]), currency: Webhooks.identifier(session?["currency"]),
            payload: String(decoding: request.body, as: UTF8.self), remoteAddress: request.remoteAddress)
        return try Webhooks.answer(Billing.record(context.db(), notice, settings: settings))
    }
}
