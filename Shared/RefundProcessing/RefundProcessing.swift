import Core
import Database
import HTTPClient
import Payments
import Queue
import Worker

/// The refund worker's job (`refund.process`): asks the provider to refund an approved refund,
/// with an idempotency key made of the refund and its approval's attempt, so a retried job (a
/// timeout, a worker killed mid-call) repeats the same request and is never paid twice. The
/// provider's answer either finishes the refund at once (`Refunds.succeed`), leaves it for the
/// provider's webhook (pending), or fails it (a refusal: admins see it and may approve again).
/// An unreachable provider is retried with backoff; after the last attempt the refund fails.
public enum RefundProcessing {
    public static func handle(_ job: Queue.Job, _ context: JobContext, settings: PaymentSettings) throws {
        guard case .string(let refundId)? = job.payload["refund_id"], isUUID(refundId), case .number(let number)? = job.payload["attempt"]
        else { throw PermanentJobError("refund.process needs refund_id and attempt") }
        let attempt = Int(number)
        let db = context.db
        guard
            let refund = try db.query(
                """
                SELECT r.status, r.attempts, r.amount_minor, r.currency, r.order_id::text, o.provider, o.provider_payment_id
                FROM refunds r JOIN orders o ON o.id = r.order_id WHERE r.id = \(refundId)::uuid
                """
            ).first
        else { throw PermanentJobError("no refund \(refundId)") }
        // Decided otherwise since (rejected, already succeeded), or a newer approval took over.
        guard try refund.string("status") == "approved", try refund.int("attempts") == attempt else { return }
        guard let paymentId = try refund.optionalString("provider_payment_id") else {
            try Refunds.fail(db, refundId: refundId, reason: "the order has no payment reference")
            return
        }
        let key = "refund-\(refundId)-\(attempt)"
        let orderId = try refund.string("order_id")
        let amount = try refund.int("amount_minor")
        let response: HTTPResponse
        let provider = try refund.string("provider")
        do {
            let client = try CurlClient(maxResponseBytes: 1 << 20)
            if provider == "razorpay" {
                let body: JSONValue = .object([
                    "amount": .number(Double(amount)), "speed": .string("normal"),
                    "receipt": .string("refund_" + refundId.replacingAll("-", with: "")),
                    "notes": .object(["refund_id": .string(refundId), "order_id": .string(orderId)]),
                ])
                response = try client.request(
                    method: "POST", url: settings.razorpayAPI + "/v1/payments/\(percentEncode(paymentId))/refund",
                    headers: [
                        "Authorization": try ProviderAPI.razorpayAuthorization(settings), "Content-Type": "application/json",
                        "X-Refund-Idempotency": key,
                    ],
                    body: try encodeJSON(body), timeoutSeconds: settings.timeoutSeconds)
            } else {
                let fields = [
                    ("payment_intent", paymentId), ("amount", String(amount)), ("reason", "requested_by_customer"),
                    ("metadata[refund_id]", refundId), ("metadata[order_id]", orderId),
                ]
                let form = ProviderAPI.formEncode(fields)
                response = try client.request(
                    method: "POST", url: settings.stripeAPI + "/v1/refunds",
                    headers: [
                        "Authorization": try ProviderAPI.stripeAuthorization(settings), "Content-Type": "application/x-www-form-urlencoded",
                        "Idempotency-Key": key,
                    ],
                    body: Array(form.utf8), timeoutSeconds: settings.timeoutSeconds)
            }
        } catch let error as HTTPError {
            try giveUpIfLast(job, db, refundId: refundId, reason: "the provider could not be reached (\(error.kind))")
            throw error
        }
        let answer = (try? JSONValue.parse(response.body)) ?? .null
        switch response.status {
        case 200...299:
            guard let providerRefundId = ProviderAPI.text(answer["id"]) else {
                throw PermanentJobError("the provider's answer has no refund id")
            }
            let status = ProviderAPI.text(answer["status"]) ?? ""
            switch status {
            case "processed", "succeeded":
                try Refunds.succeed(db, refundId: refundId, providerRefundId: providerRefundId, settings: settings.billing)
            case "failed", "canceled":
                try Refunds.fail(db, refundId: refundId, reason: "the provider refused the refund", providerRefundId: providerRefundId)
            default:
                // Pending: the provider's webhook finishes it.
                try db.execute(
                    "UPDATE refunds SET provider_refund_id = \(providerRefundId), updated_at = now() WHERE id = \(refundId)::uuid AND status = 'approved'"
                )
            }
            context.log.info("refund sent", [("refund", .string(refundId)), ("provider", .string(provider)), ("status", .string(status))])
        case 409, 429, 500...599:
            // In flight elsewhere, rate limited or the provider's own trouble: the same request again later.
            try giveUpIfLast(job, db, refundId: refundId, reason: "the provider answered \(response.status)")
            throw TransientAnswer(status: response.status)
        default:
            let reason = ProviderAPI.errorMessage(answer) ?? "the provider refused the refund (HTTP \(response.status))"
            try Refunds.fail(db, refundId: refundId, reason: reason)
            context.log.warning(
                "refund refused", [("refund", .string(refundId)), ("provider", .string(provider)), ("status", .int(response.status))])
        }
    }

    /// A transient failure on the job's last attempt fails the refund, so it does not sit approved forever.
    static func giveUpIfLast(_ job: Queue.Job, _ db: Connection, refundId: String, reason: String) throws {
        if job.attempt >= job.maxAttempts { try Refunds.fail(db, refundId: refundId, reason: reason) }
    }

    /// A provider answer worth retrying (the job fails this attempt and runs again later).
    struct TransientAnswer: Error, CustomStringConvertible {
        var status: Int
        var description: String { "the provider answered \(status); retrying later" }
    }
}
