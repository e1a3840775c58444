import Core
import Database
import Payments

/// The payments part of the demo data: student2 bought two courses in one Razorpay order,
/// student3 one course through Stripe; both are enrolled (source `paid`) with a payment row per
/// course, an invoice (rendered by the invoice worker) and ledger rows, so purchases, invoices
/// and earnings show something at once; a site-wide coupon `WELCOME10` (10% off) exists.
/// Idempotent: skipped when a demo student already has an order. Buying and refunding more go
/// through the fake providers (README), which know only the payments made through them.
enum DemoPayments {
    static let purchases: [(student: String, provider: String, providerOrder: String, payment: String, titles: [String])] = [
        (
            "student2@demo.lms.local", "razorpay", "order_DemoRazorpay01", "pay_DemoRazorpay01",
            ["PostgreSQL Performance Tuning", "Data Analysis with Python"]
        ),
        (
            "student3@demo.lms.local", "stripe", "cs_test_DemoStripeSession000001", "pi_DemoStripeIntent0000001",
            ["Guitar Basics in 30 Days"]
        ),
    ]

    static func load(_ db: Connection, instructorIds: [String], settings: BillingSettings) throws {
        let students = purchases.map(\.student)
        guard
            try db.query(
                "SELECT 1 FROM orders o JOIN users u ON u.id = o.user_id WHERE u.email = ANY(\(TextArray(students))) LIMIT 1"
            ).first == nil
        else { return }
        for (index, purchase) in purchases.enumerated() {
            guard let user = try db.query("SELECT id FROM users WHERE email = \(purchase.student)").first?.string("id") else { continue }
            let courses = try db.query(
                """
                SELECT id, title, instructor_id, price_minor, currency FROM courses
                WHERE title = ANY(\(TextArray(purchase.titles))) AND instructor_id = ANY(\(TextArray(instructorIds))::uuid[])
                ORDER BY array_position(\(TextArray(purchase.titles)), title)
                """
            ).rows
            guard courses.count == purchase.titles.count else { continue }
            let lines = Pricing.lines(
                listPrices: try courses.map { try $0.int("price_minor") }, eligible: courses.map { _ in false }, coupon: nil,
                taxBasisPoints: settings.taxRateBasisPoints, taxInclusive: settings.taxInclusive)
            let total = lines.reduce(0) { $0 + $1.price }
            let order = try db.query(
                """
                INSERT INTO orders (id, user_id, provider, status, currency, amount_minor, provider_order_id, provider_payment_id, paid_via,
                                    created_at, paid_at, tax_label, tax_rate_bp, tax_inclusive)
                VALUES (gen_random_uuid(), \(user), \(purchase.provider), 'paid', \(try courses[0].string("currency")), \(total),
                        \(purchase.providerOrder), \(purchase.payment), 'webhook', now() - make_interval(days => \(3 + index)),
                        now() - make_interval(days => \(3 + index)), \(settings.taxLabel), \(settings.taxRateBasisPoints), \(settings.taxInclusive))
                RETURNING id
                """
            ).one().string("id")
            for (position, (course, line)) in zip(courses, lines).enumerated() {
                let courseId = try course.string("id")
                try db.execute(
                    """
                    INSERT INTO order_items (order_id, course_id, title, instructor_id, list_price_minor, tax_minor, price_minor, currency,
                                             position)
                    VALUES (\(order), \(courseId), \(try course.string("title")), \(try course.string("instructor_id")), \(line.listPrice),
                            \(line.tax), \(line.price), \(try course.string("currency")), \(position))
                    """)
                try db.execute(
                    """
                    INSERT INTO payments (order_id, user_id, course_id, amount_minor, currency, provider, provider_payment_id)
                    VALUES (\(order), \(user), \(courseId), \(line.price), \(try course.string("currency")), \(purchase.provider),
                            \(purchase.payment))
                    """)
                let enrolled = try db.execute(
                    """
                    INSERT INTO enrollments (user_id, course_id, source, order_id) VALUES (\(user), \(courseId), 'paid', \(order))
                    ON CONFLICT (user_id, course_id) DO NOTHING
                    """)
                if enrolled == 1 { try db.execute("UPDATE courses SET enrollment_count = enrollment_count + 1 WHERE id = \(courseId)") }
            }
            try Billing.bookSale(db, orderId: order, settings: settings)
        }
        if let admin = try db.query("SELECT id FROM users WHERE role = 'admin' ORDER BY created_at LIMIT 1").first {
            try db.execute(
                """
                INSERT INTO coupons (code, owner_id, scope, kind, percent_off) VALUES ('WELCOME10', \(try admin.string("id")), 'site', 'percent', 10)
                ON CONFLICT (code) DO NOTHING
                """)
        }
    }
}
