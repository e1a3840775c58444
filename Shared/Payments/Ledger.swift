import Core
import Database

/// The earnings ledger: a row per paid line and per refunded line, never updated. Each splits
/// the gross into tax, the provider's fee (its share of the order's, when the provider told us),
/// the platform's fee and the instructor's share, so every row balances by construction.
enum Ledger {
    /// The sale rows of a paid order.
    static func recordSale(_ db: Connection, orderId: String, settings: BillingSettings) throws {
        let items = try db.query(
            """
            SELECT i.course_id::text, i.instructor_id::text, i.price_minor, i.tax_minor, o.currency, coalesce(o.provider_fee_minor, 0) AS fee,
                   o.amount_minor
            FROM order_items i JOIN orders o ON o.id = i.order_id
            WHERE i.order_id = \(orderId)::uuid ORDER BY i.position
            """
        ).rows
        let fees = try shares(total: items.first?.int("fee") ?? 0, weights: items.map { try $0.int("price_minor") })
        for (item, fee) in zip(items, fees) {
            let gross = try item.int("price_minor")
            let tax = try item.int("tax_minor")
            let platform = Pricing.divideRounded(max(0, gross - tax - fee) * settings.platformFeeBasisPoints, 10_000)
            try db.execute(
                """
                INSERT INTO earnings_ledger (entry, order_id, course_id, instructor_id, currency, gross_minor, tax_minor, provider_fee_minor,
                                             platform_fee_minor, instructor_share_minor)
                VALUES ('sale', \(orderId)::uuid, \(try item.string("course_id"))::uuid, \(try item.string("instructor_id"))::uuid,
                        \(try item.string("currency")), \(gross), \(tax), \(fee), \(platform), \(gross - tax - fee - platform))
                ON CONFLICT (entry, order_id, course_id) DO NOTHING
                """)
        }
    }

    /// The refund rows of a refund that succeeded: the negative of each line's sale row, except
    /// that the provider keeps its fee on a refund, which the platform carries (the instructor's
    /// share is reversed exactly).
    static func recordRefund(_ db: Connection, refundId: String) throws {
        try db.execute(
            """
            INSERT INTO earnings_ledger (entry, order_id, course_id, instructor_id, refund_id, currency, gross_minor, tax_minor,
                                         provider_fee_minor, platform_fee_minor, instructor_share_minor)
            SELECT 'refund', s.order_id, s.course_id, s.instructor_id, r.refund_id, s.currency, -s.gross_minor, -s.tax_minor, 0,
                   -s.platform_fee_minor - s.provider_fee_minor, -s.instructor_share_minor
            FROM refund_items r JOIN earnings_ledger s ON s.entry = 'sale' AND s.order_id = r.order_id AND s.course_id = r.course_id
            WHERE r.refund_id = \(refundId)::uuid
            ON CONFLICT (entry, order_id, course_id) DO NOTHING
            """)
    }

    /// `total` split in proportion to `weights`, the parts adding up exactly.
    static func shares(total: Int, weights: [Int]) -> [Int] {
        let sum = weights.reduce(0, +)
        guard sum > 0, total > 0 else { return weights.map { _ in 0 } }
        var parts = weights.map { total * $0 / sum }
        var left = total - parts.reduce(0, +)
        for index in weights.indices.sorted(by: { (total * weights[$0]) % sum > (total * weights[$1]) % sum }) where left > 0 {
            parts[index] += 1
            left -= 1
        }
        return parts
    }
}
