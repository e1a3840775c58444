import Core
import Database

/// A refund as its buyer and admins see it.
public struct RefundView: Encodable, Sendable {
    struct Item: Encodable, Sendable {
        var courseId: String
        var title: String
        var amountMinor: Int
    }

    var id: String
    var orderId: String
    var status: String
    var amountMinor: Int
    var currency: String
    var reason: String
    var items: [Item]
    var autoApproved: Bool
    @Nullable var decisionNote: String?
    @Nullable var failureReason: String?
    @Nullable var creditNoteNumber: String?
    var createdAt: String
    @Nullable var decidedAt: String?
    @Nullable var succeededAt: String?

    static let columns: SQL = """
        r.id::text AS id, r.order_id::text AS order_id, r.user_id::text AS user_id, r.status, r.amount_minor, r.currency, r.reason,
        r.auto_approved, r.decision_note, r.failure_reason, r.created_at, r.decided_at, r.succeeded_at, r.created_at::text AS cursor_time,
        (SELECT number FROM invoices WHERE refund_id = r.id) AS credit_note_number
        """

    static func load(_ db: Connection, rows: [Row]) throws -> [RefundView] {
        guard !rows.isEmpty else { return [] }
        var items: [String: [Item]] = [:]
        for row in try db.query(
            """
            SELECT ri.refund_id::text, ri.course_id::text, i.title, ri.amount_minor
            FROM refund_items ri JOIN order_items i ON i.order_id = ri.order_id AND i.course_id = ri.course_id
            WHERE ri.refund_id = ANY(\(TextArray(try rows.map { try $0.string("id") }))::uuid[]) ORDER BY i.position
            """
        ).rows {
            items[try row.string("refund_id"), default: []].append(
                Item(courseId: try row.string("course_id"), title: try row.string("title"), amountMinor: try row.int("amount_minor")))
        }
        return try rows.map { row in
            let id = try row.string("id")
            return RefundView(
                id: id, orderId: try row.string("order_id"), status: try row.string("status"), amountMinor: try row.int("amount_minor"),
                currency: try row.string("currency"), reason: try row.string("reason"), items: items[id] ?? [],
                autoApproved: try row.bool("auto_approved"), decisionNote: try row.optionalString("decision_note"),
                failureReason: try row.optionalString("failure_reason"), creditNoteNumber: try row.optionalString("credit_note_number"),
                createdAt: try row.timestamp("created_at"), decidedAt: try row.optionalTimestamp("decided_at"),
                succeededAt: try row.optionalTimestamp("succeeded_at"))
        }
    }

    /// One refund and its buyer, or nil.
    static func find(_ db: Connection, id: String) throws -> (view: RefundView, userId: String)? {
        guard isUUID(id), let row = try db.query("SELECT \(fragment: columns) FROM refunds r WHERE r.id = \(id)::uuid").first else {
            return nil
        }
        return (try load(db, rows: [row])[0], try row.string("user_id"))
    }
}
