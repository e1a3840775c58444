import Core
import Database
import Notifications
import Queue

/// Refunds after the request: approval hands the refund to the refund worker (`refund.process`
/// on queue `refunds`), which asks the provider; the provider's confirmation (its API answer or
/// its webhook, whichever comes first) runs `succeed` once: the lines' enrollments end (their
/// progress stays, for a re-purchase), the payments are marked refunded, the ledger gets its
/// refund rows, a credit note is issued and the buyer is emailed. A provider refusal marks the
/// refund `failed`, which admins see and can approve again.
public enum Refunds {
    public static let queue = "refunds"

    /// Hands an approved refund to the worker. `attempt` (1, 2, ...) is part of the job's key and
    /// of the provider's idempotency key: a retried job repeats the same provider call, an
    /// admin's retry after a failure makes a new one.
    public static func enqueue(_ db: Connection, refundId: String, attempt: Int) throws {
        try Queue.enqueue(
            db, kind: "refund.process", payload: Job(refundId: refundId, attempt: attempt),
            options: .init(queue: queue, uniqueKey: "refund:\(refundId):\(attempt)", maxAttempts: 12))
    }

    public struct Job: Codable, Sendable {
        public var refundId: String
        public var attempt: Int
    }

    /// The provider confirmed the refund (`providerRefundId` is its id). Runs once per refund
    /// whatever calls it how often; returns false when it had already run (or the refund is not
    /// one that can succeed).
    @discardableResult
    public static func succeed(_ db: Connection, refundId: String, providerRefundId: String, settings: BillingSettings) throws -> Bool {
        try db.transaction { db in
            guard
                let refund = try db.query(
                    """
                    SELECT r.status, r.order_id::text, r.user_id::text, r.amount_minor, r.currency, u.email, u.name
                    FROM refunds r JOIN users u ON u.id = r.user_id WHERE r.id = \(refundId)::uuid FOR UPDATE OF r
                    """
                ).first, try ["approved", "failed"].contains(refund.string("status"))
            else { return false }
            let orderId = try refund.string("order_id")
            let userId = try refund.string("user_id")
            try db.execute(
                """
                UPDATE refunds SET status = 'succeeded', succeeded_at = now(), updated_at = now(), provider_refund_id = \(providerRefundId),
                                   failure_reason = NULL
                WHERE id = \(refundId)::uuid
                """)
            // Exactly these lines' enrollments end; the buyer's progress stays for a re-purchase.
            try db.execute(
                """
                WITH ended AS (
                    DELETE FROM enrollments e USING refund_items r
                    WHERE r.refund_id = \(refundId)::uuid AND e.user_id = \(userId)::uuid AND e.course_id = r.course_id
                      AND e.order_id = r.order_id
                    RETURNING e.course_id
                )
                UPDATE courses SET enrollment_count = greatest(enrollment_count - 1, 0) WHERE id IN (SELECT course_id FROM ended)
                """)
            try db.execute(
                """
                UPDATE payments p SET status = 'refunded' FROM refund_items r
                WHERE r.refund_id = \(refundId)::uuid AND p.order_id = r.order_id AND p.course_id = r.course_id
                """)
            try Ledger.recordRefund(db, refundId: refundId)
            let number = try Invoicing.issueCreditNote(db, refundId: refundId, orderId: orderId, settings: settings)
            let titles = try db.query(
                """
                SELECT i.title FROM refund_items r JOIN order_items i ON i.order_id = r.order_id AND i.course_id = r.course_id
                WHERE r.refund_id = \(refundId)::uuid ORDER BY i.position
                """
            ).rows.map { try $0.string("title") }
            try Notifications.email(
                db,
                .init(
                    template: "refund_processed", to: try refund.string("email"), name: try refund.string("name"),
                    data: [
                        "order_id": orderId, "amount_minor": String(try refund.int("amount_minor")),
                        "currency": try refund.string("currency"),
                        "items": titles.joined(separator: "\n"), "credit_note_number": number ?? "",
                    ],
                    messageKey: "refund:\(refundId)"))
            return true
        }
    }

    /// The provider refused or failed the refund: visible to admins, who may approve it again.
    public static func fail(_ db: Connection, refundId: String, reason: String, providerRefundId: String? = nil) throws {
        try db.execute(
            """
            UPDATE refunds SET status = 'failed', failure_reason = left(\(reason), 500), updated_at = now(),
                               provider_refund_id = coalesce(\(providerRefundId), provider_refund_id)
            WHERE id = \(refundId)::uuid AND status = 'approved'
            """)
    }

    /// The refund a provider's refund event is about: by its id at the provider, else by our id in
    /// the refund's notes or metadata.
    static func find(_ db: Connection, providerRefundId: String?, refundId: String?) throws -> String? {
        if let providerRefundId,
            let row = try db.query("SELECT id::text FROM refunds WHERE provider_refund_id = \(providerRefundId)").first
        {
            return try row.string("id")
        }
        guard let refundId, isUUID(refundId) else { return nil }
        return try db.query("SELECT id::text FROM refunds WHERE id = \(refundId)::uuid").first?.string("id")
    }
}
