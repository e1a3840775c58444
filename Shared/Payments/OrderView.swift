import Core
import Database

/// An order as its buyer (and admins) see it: status, total, provider, and what was bought at
/// which price. Never the provider's secrets; the checkout URL only while it can be paid.
public struct OrderView: Encodable, Sendable {
    public struct Item: Encodable, Sendable {
        var courseId: String
        var title: String
        /// The course's price when ordered, the coupon's share, the tax in (or added to) it, and what was charged.
        var listPriceMinor: Int
        var discountMinor: Int
        var taxMinor: Int
        var priceMinor: Int
        var currency: String
        /// The line's refund, if one was asked for: `requested`, `approved`, `succeeded`, `failed` (rejected ones drop out).
        @Nullable var refundStatus: String?
    }

    var id: String
    var status: String
    var provider: String
    var currency: String
    var amountMinor: Int
    var discountMinor: Int
    var taxMinor: Int
    var taxLabel: String
    var taxInclusive: Bool
    @Nullable var couponCode: String?
    var items: [Item]
    var providerOrderId: String
    @Nullable var checkoutUrl: String?
    @Nullable var providerPaymentId: String?
    @Nullable var failureReason: String?
    /// The invoice's number once the order is paid, and where to ask for its download link.
    @Nullable var invoiceNumber: String?
    @Nullable var invoiceUrl: String?
    var createdAt: String
    @Nullable var paidAt: String?

    static let columns: SQL = """
        o.id::text AS id, o.user_id::text AS user_id, o.status, o.provider, o.currency, o.amount_minor, o.provider_order_id,
        o.checkout_url, o.provider_payment_id, o.failure_reason, o.created_at, o.paid_at, o.discount_minor, o.tax_label, o.tax_inclusive,
        (SELECT code FROM coupons WHERE id = o.coupon_id) AS coupon_code,
        (SELECT number FROM invoices WHERE order_id = o.id AND kind = 'invoice') AS invoice_number,
        (SELECT sum(tax_minor) FROM order_items WHERE order_id = o.id) AS tax_minor,
        o.created_at::text AS cursor_time
        """

    init(_ row: Row, items: [Item]) throws {
        id = try row.string("id")
        status = try row.string("status")
        provider = try row.string("provider")
        currency = try row.string("currency")
        amountMinor = try row.int("amount_minor")
        discountMinor = try row.int("discount_minor")
        taxMinor = try row.optionalInt("tax_minor") ?? 0
        taxLabel = try row.string("tax_label")
        taxInclusive = try row.bool("tax_inclusive")
        couponCode = try row.optionalString("coupon_code")
        let invoice = try row.optionalString("invoice_number")
        invoiceNumber = invoice
        invoiceUrl = try invoice == nil ? nil : "/api/v1/orders/\(row.string("id"))/invoice"
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
            SELECT i.order_id::text, i.course_id::text, i.title, i.list_price_minor, i.discount_minor, i.tax_minor, i.price_minor, i.currency,
                   (SELECT r.status FROM refund_items ri JOIN refunds r ON r.id = ri.refund_id
                    WHERE ri.order_id = i.order_id AND ri.course_id = i.course_id AND ri.open) AS refund_status
            FROM order_items i
            WHERE i.order_id = ANY(\(TextArray(ids))::uuid[]) ORDER BY i.order_id, i.position
            """
        ).rows {
            items[try row.string("order_id"), default: []].append(
                Item(
                    courseId: try row.string("course_id"), title: try row.string("title"), listPriceMinor: try row.int("list_price_minor"),
                    discountMinor: try row.int("discount_minor"), taxMinor: try row.int("tax_minor"),
                    priceMinor: try row.int("price_minor"),
                    currency: try row.string("currency"), refundStatus: try row.optionalString("refund_status")))
        }
        return try rows.map { try OrderView($0, items: items[try $0.string("id")] ?? []) }
    }

    /// One order, or nil.
    public static func find(_ db: Connection, id: String) throws -> (view: OrderView, userId: String)? {
        guard isUUID(id), let row = try db.query("SELECT \(fragment: columns) FROM orders o WHERE o.id = \(id)").first else { return nil }
        return (try load(db, rows: [row])[0], try row.string("user_id"))
    }
}
