import Core
import Database
import InvoiceJobs

/// Invoices and credit notes: numbered gaplessly per series and financial year from a counter
/// row held under lock until the issuing transaction commits (a rollback gives the number back
/// with everything else), written once with everything they show, and rendered by the invoice
/// worker (`invoice.render` on queue `invoices`, once per document).
public enum Invoicing {
    /// The next number of the series `prefix` in the current financial year.
    static func allocate(_ db: Connection, prefix: String, settings: BillingSettings) throws -> (
        number: String, fiscalYear: String, sequence: Int
    ) {
        let now = try db.query(
            "SELECT extract(year FROM now() AT TIME ZONE 'UTC')::int AS year, extract(month FROM now() AT TIME ZONE 'UTC')::int AS month"
        ).one()
        let fiscalYear = settings.fiscalYear(year: try now.int("year"), month: try now.int("month"))
        let sequence = try db.query(
            """
            INSERT INTO billing_counters (prefix, fiscal_year, last_number) VALUES (\(prefix), \(fiscalYear), 1)
            ON CONFLICT (prefix, fiscal_year) DO UPDATE SET last_number = billing_counters.last_number + 1
            RETURNING last_number
            """
        ).one().int("last_number")
        return (settings.number(prefix: prefix, fiscalYear: fiscalYear, sequence: sequence), fiscalYear, sequence)
    }

    /// Issues the invoice of a paid order in the caller's transaction (once per order).
    @discardableResult
    static func issueInvoice(_ db: Connection, orderId: String, settings: BillingSettings) throws -> String? {
        guard try db.query("SELECT 1 FROM invoices WHERE order_id = \(orderId)::uuid AND kind = 'invoice'").first == nil else { return nil }
        let lines = try db.query(
            """
            SELECT course_id::text, title, list_price_minor, discount_minor, tax_minor, price_minor
            FROM order_items WHERE order_id = \(orderId)::uuid ORDER BY position
            """
        ).rows
        return try issue(db, kind: "invoice", orderId: orderId, refundId: nil, lines: lines, settings: settings)
    }

    /// Issues the credit note of a refund that succeeded, in the caller's transaction (once per refund).
    @discardableResult
    static func issueCreditNote(_ db: Connection, refundId: String, orderId: String, settings: BillingSettings) throws -> String? {
        guard try db.query("SELECT 1 FROM invoices WHERE refund_id = \(refundId)::uuid").first == nil else { return nil }
        let lines = try db.query(
            """
            SELECT i.course_id::text, i.title, i.list_price_minor, i.discount_minor, i.tax_minor, i.price_minor
            FROM refund_items r JOIN order_items i ON i.order_id = r.order_id AND i.course_id = r.course_id
            WHERE r.refund_id = \(refundId)::uuid ORDER BY i.position
            """
        ).rows
        return try issue(db, kind: "credit_note", orderId: orderId, refundId: refundId, lines: lines, settings: settings)
    }

    static func issue(_ db: Connection, kind: String, orderId: String, refundId: String?, lines: [Row], settings: BillingSettings) throws
        -> String
    {
        let order = try db.query(
            """
            SELECT o.user_id::text, o.currency, o.provider, coalesce(o.provider_payment_id, o.provider_order_id) AS reference,
                   o.tax_label, o.tax_rate_bp, o.tax_inclusive, o.billing_name, o.billing_address, o.billing_tax_id,
                   u.name, u.email, c.code AS coupon_code,
                   (SELECT id::text FROM invoices WHERE order_id = o.id AND kind = 'invoice') AS invoice_id
            FROM orders o JOIN users u ON u.id = o.user_id LEFT JOIN coupons c ON c.id = o.coupon_id
            WHERE o.id = \(orderId)::uuid
            """
        ).one()
        var buyer: [String: JSONValue] = [
            "name": .string(try order.optionalString("billing_name") ?? order.string("name")), "email": .string(try order.string("email")),
        ]
        if let address = try order.optionalString("billing_address") { buyer["address"] = .string(address) }
        if let taxId = try order.optionalString("billing_tax_id") { buyer["tax_id"] = .string(taxId) }
        var documentLines: [JSONValue] = []
        var subtotal = 0
        var discount = 0
        var tax = 0
        var total = 0
        for line in lines {
            let list = try line.int("list_price_minor")
            let off = try line.int("discount_minor")
            let lineTax = try line.int("tax_minor")
            let price = try line.int("price_minor")
            subtotal += list
            discount += off
            tax += lineTax
            total += price
            documentLines.append(
                .object([
                    "course_id": .string(try line.string("course_id")), "description": .string(try line.string("title")),
                    "list_price_minor": .number(Double(list)), "discount_minor": .number(Double(off)),
                    "net_minor": .number(Double(price - lineTax)), "tax_minor": .number(Double(lineTax)),
                    "total_minor": .number(Double(price)),
                ]))
        }
        let (number, fiscalYear, sequence) = try allocate(
            db, prefix: kind == "invoice" ? settings.invoicePrefix : settings.creditNotePrefix, settings: settings)
        func json(_ value: JSONValue) throws -> String { String(decoding: try encodeJSON(value), as: UTF8.self) }
        let id = try db.query(
            """
            INSERT INTO invoices (kind, number, fiscal_year, sequence, order_id, refund_id, corrects_id, user_id, currency, seller, buyer,
                                  lines, coupon_code, subtotal_minor, discount_minor, net_minor, tax_minor, total_minor, tax_label,
                                  tax_rate_bp, tax_inclusive, provider, payment_reference)
            VALUES (\(kind), \(number), \(fiscalYear), \(sequence), \(orderId)::uuid, \(refundId)::uuid,
                    \(kind == "credit_note" ? try order.optionalString("invoice_id") : nil)::uuid, \(try order.string("user_id"))::uuid,
                    \(try order.string("currency")), \(try json(.object(settings.seller.mapValues(JSONValue.string))))::jsonb,
                    \(try json(.object(buyer)))::jsonb, \(try json(.array(documentLines)))::jsonb, \(try order.optionalString("coupon_code")),
                    \(subtotal), \(discount), \(total - tax), \(tax), \(total), \(try order.string("tax_label")),
                    \(try order.int("tax_rate_bp")), \(try order.bool("tax_inclusive")), \(try order.string("provider")),
                    \(try order.string("reference")))
            RETURNING id::text
            """
        ).one().string("id")
        try InvoiceJobs.enqueue(db, invoiceId: id)
        return number
    }
}
