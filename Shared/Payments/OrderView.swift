import Core
import Database

/// An order as its buyer (and admins) see it: status, total, provider, and what was bought at
/// which price. Never the provider's secrets; the checkout URL only while it can be paid.
public struct OrderView: Encodable, Sendable {
    public struct Item: Encodable, Sendable {
        var courseId: String
        var title: String
        var priceMinor: Int
        var currency: String
    }

    var id: String
    var status: String
    var provider: String
    var currency: String
    var amountMinor: Int
    var items: [Item]
    var providerOrderId: String
    @Nullable var checkoutUrl: String?
    @Nullable var providerPaymentId: String?
    @Nullable var failureReason: String?
    /// The invoice download, once invoices exist (the billing issue); null until then.
    @Nullable var invoiceUrl: String?
    var createdAt: String
    @Nullable var paidAt: String?

    static let columns: SQL = """
        o.id::text AS id, o.user_id::text AS user_id, o.status, o.provider, o.currency, o.amount_minor, o.provider_order_id,
        o.checkout_url, o.provider_payment_id, o.failure_reason, o.created_at, o.paid_at,
        o.created_at::text AS cursor_time
        """

    init(_ row: Row, items: [Item]) throws {
        id = try row.string("id")
        status = try row.string("status")
        provider = try row.string("provider")
        currency = try row.string("currency")
        amountMinor = try row.int("amount_minor")
        self.items = items
        providerOrderId = try row.string("provider_order_id")
        checkoutUrl = status == "pending" ? try row.optionalString("checkout_url") : nil
        providerPaymentId = try row.optionalString("provider_payment_id")
        failureReason = try row.optionalString("failure_reason")
        createdAt = try row.timestamp("created_at")
        paidAt = try row.optionalTimestamp("paid_at")
    }

    /// The orders of `rows` (selected with `columns`), in their order, with their items.
    static func load(_ db: Connection, rows: [Row]) throws -> [OrderView] {
        guard !rows.isEmpty else { return [] }
        let ids = try rows.map { try $0.string("id") }
        var items: [String: [Item]] = [:]
        for row in try db.query(
            """
            SELECT order_id::text, course_id::text, title, price_minor, currency FROM order_items
            WHERE order_id = ANY(\(TextArray(ids))::uuid[]) ORDER BY order_id, position
            """
        ).rows {
            items[try row.string("order_id"), default: []].append(
                Item(
                    courseId: try row.string("course_id"), title: try row.string("title"), priceMinor: try row.int("price_minor"),
                    currency: try row.string("currency")))
        }
        return try rows.map { try OrderView($0, items: items[try $0.string("id")] ?? []) }
    }

    /// One order, or nil.
    public static func find(_ db: Connection, id: String) throws -> (view: OrderView, userId: String)? {
        guard isUUID(id), let row = try db.query("SELECT \(fragment: columns) FROM orders o WHERE o.id = \(id)").first else { return nil }
        return (try load(db, rows: [row])[0], try row.string("user_id"))
    }
}
