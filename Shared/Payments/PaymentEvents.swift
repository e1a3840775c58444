import Auth
import Core
import Database
import Runtime

/// `GET /api/v1/admin/payment-events`: what the providers told us and what it did, newest
/// first: `outcome` filters (`mismatch` and `refused` are the ones to watch), `cursor` is the
/// last id seen. Bodies are not shown (they stay in the table for investigation).
public enum ListPaymentEvents {
    public static let endpoint = Endpoint(.get, "/api/v1/admin/payment-events", access: .roles([.admin]), handle)
    static let outcomes = [
        "fulfilled", "already_paid", "payment_failed", "expired", "mismatch", "unknown_order", "ignored", "refused", "refunded",
        "refund_failed",
    ]

    public static func handle(_ context: Context) throws -> Response {
        let request = context.request
        let outcome = request.queryValue("outcome")
        var errors: [FieldError] = []
        if let outcome, !outcomes.contains(outcome) {
            errors.append(FieldError(field: "outcome", message: "must be one of: " + outcomes.joined(separator: ", ")))
        }
        let limit = Int(request.queryValue("limit") ?? "50") ?? 0
        if !(1...200).contains(limit) { errors.append(FieldError(field: "limit", message: "must be a whole number from 1 to 200")) }
        if !errors.isEmpty { throw APIError.invalid(errors) }
        let before: Int? = try request.queryValue("cursor").map { text in
            guard let id = Int(text), id > 0 else { throw APIError.badRequest("The cursor is not valid.", code: "bad_cursor") }
            return id
        }
        let rows = try context.db().query(
            """
            SELECT id, provider, source, event_id, event_type, outcome, order_id::text AS order_id, detail, remote_address, received_at
            FROM payment_events
            WHERE (\(outcome)::text IS NULL OR outcome = \(outcome)) AND (\(before)::bigint IS NULL OR id < \(before)::bigint)
            ORDER BY id DESC LIMIT \(limit + 1)
            """
        ).rows
        let events = try rows.prefix(limit).map { row in
            Event(
                id: try row.int("id"), provider: try row.string("provider"), source: try row.string("source"),
                eventId: try row.optionalString("event_id"), eventType: try row.optionalString("event_type"),
                outcome: try row.string("outcome"), orderId: try row.optionalString("order_id"), detail: try row.string("detail"),
                remoteAddress: try row.string("remote_address"), receivedAt: try row.timestamp("received_at"))
        }
        return .ok(Page(events: events, nextCursor: rows.count > limit ? events.last.map { String($0.id) } : nil))
    }

    struct Event: Encodable, Sendable {
        var id: Int
        var provider: String
        var source: String
        @Nullable var eventId: String?
        @Nullable var eventType: String?
        var outcome: String
        @Nullable var orderId: String?
        var detail: String
        var remoteAddress: String
        var receivedAt: String
    }

    struct Page: Encodable, Sendable {
        var events: [Event]
        @Nullable var nextCursor: String?
    }
}
