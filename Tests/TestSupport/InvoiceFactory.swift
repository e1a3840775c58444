import Core
import Database

/// Invoices and credit notes as the billing transaction issues them (issue 13's contract),
/// written straight with SQL: a paid order of `lines` courses with 18% GST included and a 10%
/// coupon, its `invoices` row (not rendered yet), and on request a succeeded refund with its
/// credit note. Numbers are in a fiscal year of their own ("1900") with a random sequence, so
/// they never meet the real series.
public struct IssuedInvoice: Sendable {
    public var orderId: String
    public var invoiceId: String
    public var number: String
    public var totalMinor: Int
    public var descriptions: [String]
}

extension Factory {
    public static func invoice(_ db: Connection, buyer: TestUser, lines count: Int = 2, currency: String = "INR") throws -> IssuedInvoice {
        let instructor = try user(db, role: .instructor)
        let tag = String(buyer.id.prefix(8))
        let price = 149_900
        let discount = price / 10
        let tax = (price - discount) * 1800 / 11800
        var lines: [InvoiceLine] = []
        for index in 0..<count {
            let title = "Invoiced course \(index + 1) \(tag)"
            let courseId = try db.query(
                """
                INSERT INTO courses (instructor_id, title, status, published_at, price_minor, currency)
                VALUES (\(instructor.id), \(title), 'published', now(), \(price), \(currency)) RETURNING id
                """
            ).one().string("id")
            lines.append(
                InvoiceLine(
                    courseId: courseId, description: title, listPriceMinor: price, discountMinor: discount,
                    netMinor: price - discount - tax, taxMinor: tax, totalMinor: price - discount))
        }
        let total = lines.reduce(0) { $0 + $1.totalMinor }
        let providerOrderId = "order_\(tag)_\(Int.random(in: 1...1_000_000_000))"
        let orderId = try db.query(
            """
            INSERT INTO orders (id, user_id, provider, status, currency, amount_minor, provider_order_id, provider_payment_id, paid_via,
                                paid_at, tax_label, tax_rate_bp, tax_inclusive, discount_minor)
            VALUES (gen_random_uuid(), \(buyer.id), 'razorpay', 'paid', \(currency), \(total), \(providerOrderId),
                    \("pay_\(tag)"), 'webhook', now(), 'GST', 1800, true, \(discount * count))
            RETURNING id
            """
        ).one().string("id")
        for (position, line) in lines.enumerated() {
            try db.execute(
                """
                INSERT INTO order_items (order_id, course_id, title, instructor_id, price_minor, currency, position, list_price_minor,
                                         discount_minor, tax_minor)
                VALUES (\(orderId), \(line.courseId), \(line.description), \(instructor.id), \(line.totalMinor), \(currency), \(position),
                        \(line.listPriceMinor), \(line.discountMinor), \(line.taxMinor))
                """)
        }
        let sequence = Int.random(in: 1...2_000_000_000)
        let number = "INV-1900-\(sequence)"
        let invoiceId = try db.query(
            """
            INSERT INTO invoices (kind, number, fiscal_year, sequence, order_id, user_id, currency, seller, buyer, lines, coupon_code,
                                  subtotal_minor, discount_minor, net_minor, tax_minor, total_minor, tax_label, tax_rate_bp,
                                  tax_inclusive, provider, payment_reference)
            VALUES ('invoice', \(number), '1900', \(sequence), \(orderId), \(buyer.id), \(currency),
                    jsonb_build_object('name', 'LMS Academy Pvt Ltd', 'email', 'billing@lms.example',
                                       'address', E'12 MG Road\\nBengaluru 560001', 'tax_id', '29ABCDE1234F1Z5'),
                    jsonb_build_object('name', \(buyer.name)::text, 'email', \(buyer.email)::text, 'address', 'Flat 4\nHanoi'),
                    \(String(decoding: try encodeJSON(lines), as: UTF8.self))::jsonb, 'WELCOME10',
                    \(price * count), \(discount * count), \(lines.reduce(0) { $0 + $1.netMinor }), \(tax * count), \(total),
                    'GST', 1800, true, 'razorpay', \("pay_\(tag)"))
            RETURNING id
            """
        ).one().string("id")
        return IssuedInvoice(
            orderId: orderId, invoiceId: invoiceId, number: number, totalMinor: total, descriptions: lines.map(\.description))
    }

    /// A succeeded refund of the whole order and its credit note (not rendered yet): the refund's id and the note.
    public static func creditNote(_ db: Connection, for invoice: IssuedInvoice, buyer: TestUser) throws -> (
        refundId: String, note: IssuedInvoice
    ) {
        let refundId = try db.query(
            """
            INSERT INTO refunds (order_id, user_id, status, amount_minor, currency, succeeded_at, provider_refund_id)
            SELECT id, user_id, 'succeeded', amount_minor, currency, now(), \("rfnd_\(invoice.invoiceId.prefix(8))") FROM orders
            WHERE id = \(invoice.orderId)
            RETURNING id
            """
        ).one().string("id")
        let sequence = Int.random(in: 1...2_000_000_000)
        let number = "CN-1900-\(sequence)"
        let noteId = try db.query(
            """
            INSERT INTO invoices (kind, number, fiscal_year, sequence, order_id, refund_id, corrects_id, user_id, currency, seller, buyer,
                                  lines, coupon_code, subtotal_minor, discount_minor, net_minor, tax_minor, total_minor, tax_label,
                                  tax_rate_bp, tax_inclusive, provider, payment_reference)
            SELECT 'credit_note', \(number), '1900', \(sequence), order_id, \(refundId), id, user_id, currency, seller, buyer, lines,
                   coupon_code, subtotal_minor, discount_minor, net_minor, tax_minor, total_minor, tax_label, tax_rate_bp, tax_inclusive,
                   provider, \("rfnd_\(invoice.invoiceId.prefix(8))")
            FROM invoices WHERE id = \(invoice.invoiceId)
            RETURNING id
            """
        ).one().string("id")
        var note = invoice
        note.invoiceId = noteId
        note.number = number
        return (refundId, note)
    }
}

struct InvoiceLine: Encodable {
    var courseId: String
    var description: String
    var listPriceMinor: Int
    var discountMinor: Int
    var netMinor: Int
    var taxMinor: Int
    var totalMinor: Int
}
