import Auth
import Checkout
import Core
import Crypto
import Database
import InvoiceIssue
import InvoiceJobs
import InvoicePDF
import Payments
import Queue
import RefundProcessing
import Runtime
import TestSupport
import Testing
import Worker

#if canImport(Glibc)
    import Glibc
#endif

/// Billing after payment: tax and coupons in the order lines, gapless invoice numbers, coupon
/// limits under concurrency, refunds of single lines with credit notes, and the earnings ledger.
@Suite struct BillingTests {
    let payments = PaymentTests()

    /// A published course of `instructor` at `price`.
    func course(_ db: Connection, by instructor: TestUser, price: Int = 100_000, currency: String = "INR") throws -> String {
        try db.query(
            """
            INSERT INTO courses (instructor_id, title, price_minor, currency, status, published_at)
            VALUES (\(instructor.id), \("Billed course " + Crypto.hex(Crypto.randomBytes(3))), \(price), \(currency), 'published', now())
            RETURNING id::text
            """
        ).one().string("id")
    }

    /// The config of a test: the fake's keys, and a series prefix of its own so its invoice
    /// numbers can be checked without the other tests' (a new prefix starts at 1).
    func config(_ fake: FakePayments, _ extra: [String: String] = [:]) throws -> Config {
        let series = "T" + Crypto.hex(Crypto.randomBytes(4)).uppercased()
        var values = fake.config
        values["INVOICE_PREFIX"] = series
        values["CREDIT_NOTE_PREFIX"] = series + "C"
        for (key, value) in extra { values[key] = value }
        return try TestEnvironment.config(values)
    }

    func order(_ token: String, _ courses: [String], coupon: String? = nil, provider: String = "razorpay", config: Config) throws
        -> TestResponse
    {
        let ids = courses.map { "\"\($0)\"" }.joined(separator: ",")
        let couponField = coupon.map { #","coupon":"\#($0)""# } ?? ""
        return try call(
            CreateOrder.endpoint, "POST", "/api/v1/payments/order",
            json: #"{"course_ids":[\#(ids)],"provider":"\#(provider)"\#(couponField)}"#, token: token, config: config)
    }

    /// Pays a Razorpay order through the fake and hands its `payment.captured` to the webhook.
    @discardableResult
    func pay(_ created: TestResponse, _ fake: FakePayments, config: Config) throws -> TestResponse {
        let providerOrder = try #require(created.data["checkout"]?["order_id"]?.string)
        let paid = try fake.control("/_fake/razorpay/orders/\(providerOrder)/pay", #"{"deliver":false,"events":["payment.captured"]}"#)
        let event = try #require(payments.webhooks(paid).first)
        var headers: [String: String] = [:]
        if case .object(let fields)? = event["headers"] { for (name, value) in fields { headers[name.lowercased()] = value.string } }
        return try call(
            RazorpayWebhook.endpoint, "POST", "/api/v1/webhooks/razorpay", body: Array((event["body"]?.string ?? "").utf8),
            headers: headers,
            config: config)
    }

    func count(_ db: Connection, _ sql: SQL) throws -> Int { try db.query(sql).one().int("count") }

    @Test func aPaidOrderGetsItsInvoiceLedgerAndCouponUse() throws {
        let db = try TestEnvironment.connect()
        let fake = try FakePayments()
        let config = try config(fake, ["TAX_RATE_PERCENT": "18", "TAX_INCLUSIVE": "true", "PLATFORM_FEE_PERCENT": "30"])
        let admin = try Factory.user(db, role: .admin)
        let teacher = try Factory.user(db, role: .instructor)
        let buyer = try Factory.user(db)
        let courses = [try course(db, by: teacher, price: 100_000), try course(db, by: teacher, price: 50_000)]
        let code = "TENOFF" + Crypto.hex(Crypto.randomBytes(3)).uppercased()
        let coupon = try call(
            CreateCoupon.endpoint, "POST", "/api/v1/coupons", json: #"{"code":"\#(code.lowercased())","kind":"percent","percent_off":10}"#,
            token: admin.accessToken)
        #expect(coupon.status == 201, "\(coupon.text)")
        #expect(coupon.data["code"]?.string == code)
        #expect(coupon.data["scope"]?.string == "site")

        let created = try order(buyer.accessToken, courses, coupon: code, config: config)
        #expect(created.status == 201, "\(created.text)")
        let orderId = try #require(created.data["order"]?["id"]?.string)
        // 10% off 1,000.00 and 500.00; 18% GST inside what is charged (rounded half up per line).
        #expect(created.data["order"]?["amount_minor"]?.number == 135_000)
        #expect(created.data["order"]?["discount_minor"]?.number == 15_000)
        #expect(created.data["order"]?["tax_minor"]?.number == 20_593)  // 13,729 + 6,864
        #expect(created.data["order"]?["coupon_code"]?.string == code)
        #expect(created.data["order"]?["items"]?[0]?["tax_minor"]?.number == 13_729)
        #expect(created.data["checkout"]?["amount"]?.number == 135_000)

        let paid = try pay(created, fake, config: config)
        #expect(paid.data["outcome"]?.string == "fulfilled", "\(paid.text)")
        let invoice = try db.query(
            """
            SELECT number, subtotal_minor, discount_minor, net_minor, tax_minor, total_minor, tax_label, tax_rate_bp, coupon_code,
                   jsonb_array_length(lines) AS lines, buyer->>'email' AS email
            FROM invoices WHERE order_id = \(orderId)::uuid AND kind = 'invoice'
            """
        ).one()
        #expect(try invoice.string("number").hasSuffix("-000001"))
        #expect(try invoice.int("subtotal_minor") == 150_000)
        #expect(try invoice.int("discount_minor") == 15_000)
        #expect(try invoice.int("tax_minor") == 20_593)
        #expect(try invoice.int("net_minor") == 135_000 - 20_593)
        #expect(try invoice.int("total_minor") == 135_000)
        #expect(try invoice.string("tax_label") == "GST")
        #expect(try invoice.int("tax_rate_bp") == 1800)
        #expect(try invoice.string("coupon_code") == code)
        #expect(try invoice.int("lines") == 2)
        #expect(try invoice.string("email") == buyer.email)
        #expect(
            try count(
                db,
                "SELECT count(*) FROM jobs j JOIN invoices i ON j.payload->>'invoice_id' = i.id::text WHERE i.order_id = \(orderId)::uuid AND j.kind = 'invoice.render'"
            ) == 1)
        #expect(
            try call(GetOrder.endpoint, "GET", "/api/v1/orders/\(orderId)", token: buyer.accessToken).data["invoice_url"]?.string
                == "/api/v1/orders/\(orderId)/invoice")
        // The coupon's use, counted once; the ledger, balanced per row and in sum.
        #expect(try db.query("SELECT used_count FROM coupons WHERE code = \(code)").one().int("used_count") == 1)
        let ledger = try db.query(
            """
            SELECT sum(gross_minor) AS gross, sum(tax_minor) AS tax, sum(platform_fee_minor) AS platform, sum(provider_fee_minor) AS fee,
                   sum(instructor_share_minor) AS share, count(*) AS count
            FROM earnings_ledger WHERE order_id = \(orderId)::uuid
            """
        ).one()
        #expect(try ledger.int("count") == 2)
        #expect(try ledger.int("gross") == 135_000)
        #expect(try ledger.int("tax") == 20_593)
        #expect(try ledger.int("fee") == 2_700)  // the fake's 2% fee, shared over the lines
        #expect(try ledger.int("gross") == ledger.int("tax") + ledger.int("fee") + ledger.int("platform") + ledger.int("share"))
        // The invoice worker renders what the billing transaction wrote.
        let text = try renderedText(db, orderId: orderId, kind: "invoice")
        #expect(text.contains(try invoice.string("number")))
        #expect(text.contains("Tax invoice"))
        #expect(text.contains(Money.format(minor: 135_000, currency: "INR")))
        #expect(text.contains(code))
        #expect(text.contains("GST"))
        #expect(text.contains(buyer.name))
    }

    /// Renders the order's invoice or credit note with the invoice worker's job, in-process, and
    /// reads the PDF back as text; removes the email job it queued (no worker takes it here).
    func renderedText(_ db: Connection, orderId: String, kind: String) throws -> String {
        let row = try db.query(
            "SELECT id::text, number FROM invoices WHERE order_id = \(orderId)::uuid AND kind = \(kind) ORDER BY issued_at DESC LIMIT 1"
        ).one()
        let id = try row.string("id")
        let job = Queue.Job(
            id: 0, queue: InvoiceJobs.queue, kind: InvoiceJobs.kind, payload: .object(["invoice_id": .string(id)]), attempt: 1,
            maxAttempts: 10)
        _ = try InvoiceIssue.handle(job, try JobTesting.context(db), renderer: InvoiceRenderer(), files: try JobTesting.files())
        try db.execute("DELETE FROM jobs WHERE unique_key = \("email:invoice:" + id)")
        let file = TestEnvironment.mediaDirectory + "/" + InvoiceJobs.fileKey(number: try row.string("number"))
        return try readPDF(try readFileBytes(file), ["pdftotext", "-enc", "UTF-8"])
    }

    @Test func taxAddedAtCheckoutWhenPricesExcludeIt() throws {
        let db = try TestEnvironment.connect()
        let fake = try FakePayments()
        let config = try config(fake, ["TAX_RATE_PERCENT": "18", "TAX_INCLUSIVE": "false", "TAX_LABEL": "VAT"])
        let buyer = try Factory.user(db)
        let created = try order(
            buyer.accessToken, [try course(db, by: try Factory.user(db, role: .instructor), price: 99_900)], config: config)
        #expect(created.status == 201, "\(created.text)")
        #expect(created.data["order"]?["amount_minor"]?.number == 117_882)
        #expect(created.data["order"]?["tax_minor"]?.number == 17_982)
        #expect(created.data["order"]?["tax_label"]?.string == "VAT")
        #expect(created.data["order"]?["tax_inclusive"]?.bool == false)
        let sent = try #require(try fake.requests().last { $0["path"]?.string == "/v1/orders" })
        #expect(sent["body"]?["amount"]?.number == 117_882)
    }

    /// 200 purchases paid at once (50 at a time) take the invoice numbers 1...200 of their series:
    /// no gap, no duplicate.
    @Test func invoiceNumbersAreGaplessUnderConcurrentPurchases() throws {
        let db = try TestEnvironment.connect()
        let fake = try FakePayments()
        let config = try config(fake)
        let settings = PaymentSettings(config)
        let teacher = try Factory.user(db, role: .instructor)
        let courseId = try course(db, by: teacher)
        var providerOrders: [String] = []
        for _ in 0..<200 {
            let buyer = try Factory.user(db)
            let id = Crypto.randomUUID()
            let providerOrder = "order_T" + Crypto.hex(Crypto.randomBytes(7))
            try db.execute(
                """
                INSERT INTO orders (id, user_id, provider, currency, amount_minor, provider_order_id)
                VALUES (\(id)::uuid, \(buyer.id), 'razorpay', 'INR', 100000, \(providerOrder));
                """)
            try db.execute(
                """
                INSERT INTO order_items (order_id, course_id, title, instructor_id, list_price_minor, price_minor, currency, position)
                VALUES (\(id)::uuid, \(courseId)::uuid, 'Billed', \(teacher.id), 100000, 100000, 'INR', 0)
                """)
            providerOrders.append(providerOrder)
        }
        let next = Counter()
        let failures = Statuses()
        let list = providerOrders
        concurrently(50) {
            guard let connection = try? TestEnvironment.connect() else { return failures.add(1) }
            while true {
                let index = next.next()
                guard index < list.count else { return }
                let notice = Billing.Notice(
                    provider: .razorpay, source: "webhook", eventId: "evt_" + list[index], eventType: "payment.captured", kind: .paid,
                    providerOrderId: list[index], paymentId: "pay_" + list[index], amountMinor: 100_000, currency: "INR",
                    remoteAddress: "")
                if (try? Billing.record(connection, notice, settings: settings))?.outcome != .fulfilled { failures.add(1) }
            }
        }
        #expect(failures.values.isEmpty)
        let numbers = try db.query(
            """
            SELECT i.sequence FROM invoices i JOIN orders o ON o.id = i.order_id
            WHERE o.provider_order_id = ANY(\(TextArray(providerOrders))) AND i.kind = 'invoice' ORDER BY i.sequence
            """
        ).rows.map { try $0.int("sequence") }
        #expect(numbers == Array(1...200))
        let prefix = try #require(config["INVOICE_PREFIX"])
        #expect(try count(db, "SELECT count(DISTINCT number) FROM invoices WHERE number LIKE \(prefix + "-%")") == 200)
    }

    /// 50 carts race for a coupon with 10 uses left: exactly 10 orders get it, and all 10 are paid with it.
    @Test func aCouponWithTenUsesLeftIsUsedExactlyTenTimes() throws {
        let db = try TestEnvironment.connect()
        let fake = try FakePayments()
        let config = try config(fake)
        let teacher = try Factory.user(db, role: .instructor)
        let courseId = try course(db, by: teacher)
        let code = "RACE" + Crypto.hex(Crypto.randomBytes(3)).uppercased()
        #expect(
            try call(
                CreateCoupon.endpoint, "POST", "/api/v1/coupons",
                json: #"{"code":"\#(code)","kind":"fixed","amount_off_minor":10000,"currency":"INR","max_uses":12}"#,
                token: teacher.accessToken
            ).status == 201)
        try db.execute("UPDATE coupons SET used_count = 2 WHERE code = \(code)")
        var tokens: [String] = []
        for _ in 0..<50 { tokens.append(try Factory.user(db).accessToken) }
        let statuses = Statuses()
        let responses = Responses()
        let next = Counter()
        let list = tokens
        concurrently(50) {
            let index = next.next()
            guard let response = try? self.order(list[index], [courseId], coupon: code, config: config) else { return statuses.add(-1) }
            statuses.add(response.status)
            if response.status == 201 { responses.add(response) }
        }
        #expect(statuses.values.filter { $0 == 201 }.count == 10, "\(statuses.values)")
        #expect(statuses.values.filter { $0 == 422 }.count == 40)
        for created in responses.values { #expect(try pay(created, fake, config: config).data["outcome"]?.string == "fulfilled") }
        #expect(try db.query("SELECT used_count FROM coupons WHERE code = \(code)").one().int("used_count") == 12)
        #expect(
            try count(db, "SELECT count(*) FROM coupon_redemptions r JOIN coupons c ON c.id = r.coupon_id WHERE c.code = \(code)") == 10)
    }

    @Test func couponsAreCheckedAgainstTheCart() throws {
        let db = try TestEnvironment.connect()
        let fake = try FakePayments()
        let config = try config(fake)
        let admin = try Factory.user(db, role: .admin)
        let teacher = try Factory.user(db, role: .instructor)
        let other = try Factory.user(db, role: .instructor)
        let mine = try course(db, by: teacher, price: 50_000)
        let theirs = try course(db, by: other, price: 50_000)
        let buyer = try Factory.user(db)
        func make(_ token: String, _ json: String) throws -> String {
            let response = try call(CreateCoupon.endpoint, "POST", "/api/v1/coupons", json: json, token: token)
            #expect(response.status == 201, "\(response.text)")
            return response.data["code"]?.string ?? ""
        }
        func refused(_ code: String, _ courses: [String]) throws -> String? {
            let response = try order(buyer.accessToken, courses, coupon: code, config: config)
            #expect(response.status == 422, "\(code): \(response.text)")
            return response.json["errors"]?[0]?["message"]?.string
        }
        let suffix = Crypto.hex(Crypto.randomBytes(3)).uppercased()
        let expired = try make(
            admin.accessToken, #"{"code":"OLD\#(suffix)","kind":"percent","percent_off":5,"ends_at":"2001-01-01T00:00:00Z"}"#)
        let future = try make(
            admin.accessToken, #"{"code":"NEW\#(suffix)","kind":"percent","percent_off":5,"starts_at":"2999-01-01T00:00:00Z"}"#)
        let dollars = try make(admin.accessToken, #"{"code":"USD\#(suffix)","kind":"fixed","amount_off_minor":500,"currency":"USD"}"#)
        let minimum = try make(
            admin.accessToken, #"{"code":"MIN\#(suffix)","kind":"percent","percent_off":5,"min_order_minor":80000,"currency":"INR"}"#)
        let once = try make(admin.accessToken, #"{"code":"ONE\#(suffix)","kind":"percent","percent_off":5,"max_uses_per_user":1}"#)
        let ownOnly = try make(
            teacher.accessToken, #"{"code":"OWN\#(suffix)","kind":"percent","percent_off":50,"course_ids":["\#(mine)"]}"#)
        #expect(try refused(expired, [mine]) == "has expired")
        #expect(try refused(future, [mine]) == "is not valid yet")
        #expect(try refused(dollars, [mine])?.contains("USD") == true)
        #expect(try refused(minimum, [mine])?.contains("at least") == true)
        #expect(try refused("NOSUCH\(suffix)", [mine]) == "is not a valid coupon")
        #expect(try refused(ownOnly, [theirs]) == "does not apply to the courses in this cart")
        // An instructor's coupon discounts only its own course in a mixed cart.
        let mixed = try order(buyer.accessToken, [mine, theirs], coupon: ownOnly, config: config)
        #expect(mixed.status == 201, "\(mixed.text)")
        #expect(mixed.data["order"]?["items"]?[0]?["discount_minor"]?.number == 25_000)
        #expect(mixed.data["order"]?["items"]?[1]?["discount_minor"]?.number == 0)
        // One use per account: the pending order holds it.
        #expect(try order(buyer.accessToken, [mine], coupon: once, config: config).status == 201)
        #expect(try refused(once, [mine]) == "has already been used on your account")
        // Deactivated coupons stop working.
        let couponId = try db.query("SELECT id::text FROM coupons WHERE code = \(minimum)").one().string("id")
        #expect(
            try call(UpdateCoupon.endpoint, "PATCH", "/api/v1/coupons/\(couponId)", json: #"{"active":false}"#, token: admin.accessToken)
                .data["active"]?.bool == false)
        #expect(try refused(minimum, [mine, theirs]) == "is not a valid coupon")
    }

    @Test func couponManagementIsForTheirOwnersAndAdmins() throws {
        let db = try TestEnvironment.connect()
        let admin = try Factory.user(db, role: .admin)
        let teacher = try Factory.user(db, role: .instructor)
        let other = try Factory.user(db, role: .instructor)
        let student = try Factory.user(db)
        let theirs = try course(db, by: other)
        let suffix = Crypto.hex(Crypto.randomBytes(3)).uppercased()
        func create(_ token: String?, _ json: String) throws -> TestResponse {
            try call(CreateCoupon.endpoint, "POST", "/api/v1/coupons", json: json, token: token)
        }
        #expect(try create(student.accessToken, #"{"code":"S\#(suffix)","kind":"percent","percent_off":5}"#).status == 403)
        #expect(try create(nil, #"{"code":"S\#(suffix)","kind":"percent","percent_off":5}"#).status == 401)
        #expect(
            try create(teacher.accessToken, #"{"code":"T\#(suffix)","kind":"percent","percent_off":5,"course_ids":["\#(theirs)"]}"#)
                .failedFields == ["course_ids"])
        let invalid = try create(teacher.accessToken, #"{"code":"x","kind":"fixed","percent_off":500,"ends_at":"soon"}"#)
        #expect(invalid.status == 422)
        #expect(Set(invalid.failedFields).isSuperset(of: ["code", "amount_off_minor", "currency", "ends_at"]))
        #expect(try create(teacher.accessToken, #"{"code":"#).status == 400)
        let made = try create(teacher.accessToken, #"{"code":"T\#(suffix)","kind":"percent","percent_off":5,"max_uses":3}"#)
        #expect(made.status == 201)
        #expect(made.data["scope"]?.string == "instructor")
        #expect(try create(admin.accessToken, #"{"code":"t\#(suffix)","kind":"percent","percent_off":5}"#).code == "coupon_code_taken")
        let id = try #require(made.data["id"]?.string)
        #expect(
            try call(UpdateCoupon.endpoint, "PATCH", "/api/v1/coupons/\(id)", json: #"{"active":false}"#, token: other.accessToken).status
                == 404)
        try db.execute("UPDATE coupons SET used_count = 2 WHERE id = \(id)::uuid")
        #expect(
            try call(UpdateCoupon.endpoint, "PATCH", "/api/v1/coupons/\(id)", json: #"{"max_uses":1}"#, token: teacher.accessToken)
                .failedFields == ["max_uses"])
        let updated = try call(
            UpdateCoupon.endpoint, "PATCH", "/api/v1/coupons/\(id)", json: #"{"max_uses":null,"ends_at":"2999-01-01T00:00:00Z"}"#,
            token: admin.accessToken)
        #expect(updated.status == 200, "\(updated.text)")
        #expect(updated.data["max_uses"] == .null)
        #expect(try call(UpdateCoupon.endpoint, "PATCH", "/api/v1/coupons/nope", json: "{}", token: admin.accessToken).status == 404)
        let listed = try call(ListCoupons.endpoint, "GET", "/api/v1/coupons", token: teacher.accessToken)
        #expect(listed.data["coupons"]?[0]?["id"]?.string == id)
        #expect(try call(ListCoupons.endpoint, "GET", "/api/v1/coupons", token: other.accessToken).data["coupons"] == .array([]))
        #expect(try call(ListCoupons.endpoint, "GET", "/api/v1/coupons", token: student.accessToken).status == 403)
    }

    /// A refund of one line of three: that enrollment ends (the others stay), the provider is
    /// asked once (idempotency key), a credit note and the ledger's refund row are written once
    /// however often the provider's webhook repeats it.
    @Test func refundingOneLineOfThree() throws {
        let db = try TestEnvironment.connect()
        let fake = try FakePayments()
        let config = try config(fake)
        let admin = try Factory.user(db, role: .admin)
        let teacher = try Factory.user(db, role: .instructor)
        let buyer = try Factory.user(db)
        let courses = [try course(db, by: teacher), try course(db, by: teacher, price: 20_000), try course(db, by: teacher)]
        let created = try order(buyer.accessToken, courses, config: config)
        let orderId = try #require(created.data["order"]?["id"]?.string)
        #expect(try pay(created, fake, config: config).data["outcome"]?.string == "fulfilled")

        let requested = try call(
            RequestRefund.endpoint, "POST", "/api/v1/orders/\(orderId)/refunds",
            json: #"{"course_ids":["\#(courses[1])"],"reason":"Not for me"}"#,
            token: buyer.accessToken, config: config)
        #expect(requested.status == 201, "\(requested.text)")
        #expect(requested.data["status"]?.string == "requested")
        #expect(requested.data["amount_minor"]?.number == 20_000)
        let refundId = try #require(requested.data["id"]?.string)
        // The same line cannot be asked for twice.
        let again = try call(
            RequestRefund.endpoint, "POST", "/api/v1/orders/\(orderId)/refunds", json: #"{"course_ids":["\#(courses[1])"]}"#,
            token: buyer.accessToken, config: config)
        #expect(again.status == 409)
        #expect(again.failedFields == ["course_ids[0]"])
        #expect(
            try call(GetOrder.endpoint, "GET", "/api/v1/orders/\(orderId)", token: buyer.accessToken).data["items"]?[1]?["refund_status"]?
                .string == "requested")

        let approved = try call(
            ApproveRefund.endpoint, "POST", "/api/v1/admin/refunds/\(refundId)/approve", json: #"{"note":"ok"}"#, token: admin.accessToken,
            config: config)
        #expect(approved.data["status"]?.string == "approved")
        try runRefundJob(db, refundId: refundId, attempt: 1, config: config)
        try runRefundJob(db, refundId: refundId, attempt: 1, config: config)  // a retried job changes nothing
        let refundCalls = try fake.requests().filter { $0["kind"]?.string == "razorpay.refund.create" }
        #expect(refundCalls.count == 1)
        #expect(refundCalls.first?["headers"]?["X-Refund-Idempotency"]?.string == "refund-\(refundId)-1")
        #expect(refundCalls.first?["body"]?["amount"]?.number == 20_000)

        let refund = try call(GetRefund.endpoint, "GET", "/api/v1/refunds/\(refundId)", token: buyer.accessToken)
        #expect(refund.data["status"]?.string == "succeeded", "\(refund.text)")
        #expect(refund.data["credit_note_number"]?.string?.hasSuffix("-000001") == true)
        let enrolled = try db.query("SELECT course_id::text FROM enrollments WHERE user_id = \(buyer.id) ORDER BY course_id").rows.map {
            try $0.string("course_id")
        }
        #expect(enrolled == [courses[0], courses[2]].sorted())
        #expect(try count(db, "SELECT count(*) FROM payments WHERE order_id = \(orderId)::uuid AND status = 'refunded'") == 1)
        #expect(try count(db, "SELECT count(*) FROM invoices WHERE refund_id = \(refundId)::uuid AND kind = 'credit_note'") == 1)
        #expect(try count(db, "SELECT count(*) FROM jobs WHERE unique_key = \("email:refund:" + refundId)") == 1)
        let creditNote = try renderedText(db, orderId: orderId, kind: "credit_note")
        #expect(creditNote.contains("Credit note"))
        #expect(creditNote.contains(Money.format(minor: 20_000, currency: "INR")))

        // The provider's webhook about the same refund, delivered twice: nothing happens again.
        let refundEvents = try fake.webhooks().filter { $0["event"]?.string == "refund.processed" }
        let event = try #require(refundEvents.last)
        var headers: [String: String] = [:]
        if case .object(let fields)? = event["headers"] { for (name, value) in fields { headers[name.lowercased()] = value.string } }
        for expected in ["ignored", "duplicate"] {
            let answer = try call(
                RazorpayWebhook.endpoint, "POST", "/api/v1/webhooks/razorpay", body: Array((event["body"]?.string ?? "").utf8),
                headers: headers, config: config)
            #expect(answer.data["outcome"]?.string == expected, "\(answer.text)")
        }
        #expect(try count(db, "SELECT count(*) FROM earnings_ledger WHERE refund_id = \(refundId)::uuid") == 1)
        #expect(try count(db, "SELECT count(*) FROM invoices WHERE refund_id = \(refundId)::uuid") == 1)
    }

    /// A refund the provider leaves pending is finished by its webhook (Stripe's charge.refunded);
    /// one it fails is visible as failed and goes through when an admin approves it again.
    @Test func pendingAndFailedProviderRefunds() throws {
        let db = try TestEnvironment.connect()
        let fake = try FakePayments()
        let config = try config(fake)
        let admin = try Factory.user(db, role: .admin)
        let teacher = try Factory.user(db, role: .instructor)
        let buyer = try Factory.user(db)

        // Stripe, pending then succeeded by webhook.
        let stripeCourse = try course(db, by: teacher, price: 2_500, currency: "USD")
        let stripeOrder = try order(buyer.accessToken, [stripeCourse], provider: "stripe", config: config)
        let session = try #require(stripeOrder.data["checkout"]?["session_id"]?.string)
        let stripeId = try #require(stripeOrder.data["order"]?["id"]?.string)
        for event in payments.webhooks(try fake.control("/_fake/stripe/sessions/\(session)/pay", #"{"deliver":false}"#)) {
            _ = try payments.deliver(event, fake)
        }
        let stripeRefund = try #require(
            try call(
                RequestRefund.endpoint, "POST", "/api/v1/orders/\(stripeId)/refunds", json: #"{"course_ids":["\#(stripeCourse)"]}"#,
                token: buyer.accessToken, config: config
            ).data["id"]?.string)
        _ = try call(ApproveRefund.endpoint, "POST", "/api/v1/admin/refunds/\(stripeRefund)/approve", token: admin.accessToken)
        try fake.control("/_fake/behaviour", #"{"stripe_refunds":"pending","razorpay_refunds":"fail"}"#)
        try runRefundJob(db, refundId: stripeRefund, attempt: 1, config: config)
        #expect(try db.query("SELECT status FROM refunds WHERE id = \(stripeRefund)::uuid").one().string("status") == "approved")
        let providerRefund = try db.query("SELECT provider_refund_id FROM refunds WHERE id = \(stripeRefund)::uuid").one().string(
            "provider_refund_id")
        let settled = try fake.control("/_fake/stripe/refunds/\(providerRefund)/settle", #"{"deliver":false}"#)
        let charge = try #require(payments.webhooks(settled).first { $0["event"]?.string == "charge.refunded" })
        #expect(try payments.deliver(charge, fake).data["outcome"]?.string == "refunded")
        #expect(try db.query("SELECT status FROM refunds WHERE id = \(stripeRefund)::uuid").one().string("status") == "succeeded")
        #expect(try count(db, "SELECT count(*) FROM enrollments WHERE user_id = \(buyer.id) AND course_id = \(stripeCourse)::uuid") == 0)

        // Razorpay, failed by the provider, then approved again.
        let razorpayCourse = try course(db, by: teacher)
        let created = try order(buyer.accessToken, [razorpayCourse], config: config)
        let orderId = try #require(created.data["order"]?["id"]?.string)
        try pay(created, fake, config: config)
        let refundId = try #require(
            try call(
                RequestRefund.endpoint, "POST", "/api/v1/orders/\(orderId)/refunds", json: #"{"course_ids":["\#(razorpayCourse)"]}"#,
                token: buyer.accessToken, config: config
            ).data["id"]?.string)
        _ = try call(ApproveRefund.endpoint, "POST", "/api/v1/admin/refunds/\(refundId)/approve", token: admin.accessToken)
        try runRefundJob(db, refundId: refundId, attempt: 1, config: config)
        let pending = try db.query("SELECT provider_refund_id FROM refunds WHERE id = \(refundId)::uuid").one().string("provider_refund_id")
        let failed = try fake.control("/_fake/razorpay/refunds/\(pending)/settle", #"{"outcome":"failed","deliver":false}"#)
        let failure = try #require(payments.webhooks(failed).first)
        #expect(try payments.deliver(failure, fake).data["outcome"]?.string == "refund_failed")
        let listed = try call(ListRefunds.endpoint, "GET", "/api/v1/admin/refunds?status=failed&limit=100", token: admin.accessToken)
        guard case .array(let failedRefunds)? = listed.data["refunds"] else {
            Issue.record("no refunds: \(listed.text)")
            return
        }
        #expect(failedRefunds.contains { $0["id"]?.string == refundId })
        #expect(failedRefunds.allSatisfy { $0["status"]?.string == "failed" })
        #expect(try call(ListRefunds.endpoint, "GET", "/api/v1/admin/refunds", token: buyer.accessToken).status == 403)
        try fake.control("/_fake/behaviour", #"{"razorpay_refunds":"ok"}"#)
        let retried = try call(ApproveRefund.endpoint, "POST", "/api/v1/admin/refunds/\(refundId)/approve", token: admin.accessToken)
        #expect(retried.data["status"]?.string == "approved")
        try runRefundJob(db, refundId: refundId, attempt: 2, config: config)
        #expect(try db.query("SELECT status FROM refunds WHERE id = \(refundId)::uuid").one().string("status") == "succeeded")
        #expect(
            try call(ApproveRefund.endpoint, "POST", "/api/v1/admin/refunds/\(refundId)/approve", token: admin.accessToken).code
                == "refund_not_pending")
    }

    @Test func refundRequestsFollowThePolicy() throws {
        let db = try TestEnvironment.connect()
        let fake = try FakePayments()
        let config = try config(fake)
        let admin = try Factory.user(db, role: .admin)
        let teacher = try Factory.user(db, role: .instructor)
        let buyer = try Factory.user(db)
        let other = try Factory.user(db)
        let courses = [try course(db, by: teacher), try course(db, by: teacher)]
        let created = try order(buyer.accessToken, courses, config: config)
        let orderId = try #require(created.data["order"]?["id"]?.string)
        func request(_ json: String, token: String? = nil, order: String? = nil) throws -> TestResponse {
            try call(
                RequestRefund.endpoint, "POST", "/api/v1/orders/\(order ?? orderId)/refunds", json: json, token: token ?? buyer.accessToken,
                config: config)
        }
        #expect(try request(#"{"course_ids":["\#(courses[0])"]}"#).code == "order_not_paid")
        try pay(created, fake, config: config)
        #expect(try request(#"{"course_ids":["\#(courses[0])"]}"#, token: other.accessToken).status == 404)
        #expect(try request(#"{"course_ids":["\#(courses[0])"]}"#, order: "00000000-0000-4000-8000-000000000000").status == 404)
        #expect(try request(#"{"course_ids":["00000000-0000-4000-8000-000000000000"]}"#).failedFields == ["course_ids[0]"])
        #expect(try request(#"{"course_ids":[]}"#).failedFields == ["course_ids"])
        #expect(try request(#"{"course_ids":"#).status == 400)
        #expect(try call(RequestRefund.endpoint, "POST", "/api/v1/orders/\(orderId)/refunds", json: "{}").status == 401)
        // More than 30% of the course done: refused for that line.
        let module = try db.query(
            "INSERT INTO modules (course_id, title, position) VALUES (\(courses[0])::uuid, 'M', 1) RETURNING id::text"
        )
        .one().string("id")
        var lessons: [String] = []
        for position in 1...2 {
            lessons.append(
                try db.query(
                    """
                    INSERT INTO lessons (module_id, course_id, title, kind, body, position)
                    VALUES (\(module)::uuid, \(courses[0])::uuid, 'L', 'article', 'x', \(position)) RETURNING id::text
                    """
                ).one().string("id"))
        }
        try db.execute(
            """
            INSERT INTO lesson_progress (user_id, lesson_id, course_id, position_seconds, completed_at)
            VALUES (\(buyer.id), \(lessons[0])::uuid, \(courses[0])::uuid, 0, now())
            """)
        let tooFar = try request(#"{"course_ids":["\#(courses[0])","\#(courses[1])"]}"#)
        #expect(tooFar.code == "refund_refused")
        #expect(tooFar.failedFields == ["course_ids[0]"])
        // Past the window: refused for the order.
        try db.execute("UPDATE orders SET paid_at = now() - interval '31 days' WHERE id = \(orderId)::uuid")
        #expect(try request(#"{"course_ids":["\#(courses[1])"]}"#).code == "refund_window_closed")
        try db.execute("UPDATE orders SET paid_at = now() WHERE id = \(orderId)::uuid")
        // Rejected: the buyer is told and may ask again.
        let refundId = try #require(try request(#"{"course_ids":["\#(courses[1])"]}"#).data["id"]?.string)
        #expect(
            try call(RejectRefund.endpoint, "POST", "/api/v1/admin/refunds/\(refundId)/reject", json: "{}", token: admin.accessToken)
                .failedFields == ["note"])
        let rejected = try call(
            RejectRefund.endpoint, "POST", "/api/v1/admin/refunds/\(refundId)/reject", json: #"{"note":"Watched it all"}"#,
            token: admin.accessToken)
        #expect(rejected.data["status"]?.string == "rejected")
        #expect(try count(db, "SELECT count(*) FROM jobs WHERE unique_key = \("email:refund-rejected:" + refundId)") == 1)
        #expect(try request(#"{"course_ids":["\#(courses[1])"]}"#).status == 201)
        #expect(
            try call(
                RejectRefund.endpoint, "POST", "/api/v1/admin/refunds/\(refundId)/reject", json: #"{"note":"x"}"#, token: admin.accessToken
            )
            .code == "refund_not_pending")
        #expect(try call(GetRefund.endpoint, "GET", "/api/v1/refunds/\(refundId)", token: other.accessToken).status == 404)
        #expect(try call(GetRefund.endpoint, "GET", "/api/v1/refunds/\(refundId)", token: admin.accessToken).status == 200)
        #expect(
            try call(
                ApproveRefund.endpoint, "POST", "/api/v1/admin/refunds/00000000-0000-4000-8000-000000000000/approve",
                token: admin.accessToken
            )
            .status == 404)
    }

    /// The ledger balances against orders and refunds, and instructors see only their own.
    @Test func earningsBalanceAgainstOrdersAndRefunds() throws {
        awayFromPeriodBoundary()
        let db = try TestEnvironment.connect()
        let fake = try FakePayments()
        let config = try config(fake, ["PLATFORM_FEE_PERCENT": "25"])
        let admin = try Factory.user(db, role: .admin)
        let teacher = try Factory.user(db, role: .instructor)
        let stranger = try Factory.user(db, role: .instructor)
        let buyer = try Factory.user(db)
        let courses = [try course(db, by: teacher, price: 70_000), try course(db, by: teacher, price: 30_000)]
        var orders: [String] = []
        for courseId in courses {
            let created = try order(buyer.accessToken, [courseId], config: config)
            orders.append(try #require(created.data["order"]?["id"]?.string))
            try pay(created, fake, config: config)
        }
        let refundId = try #require(
            try call(
                RequestRefund.endpoint, "POST", "/api/v1/orders/\(orders[1])/refunds", json: #"{"course_ids":["\#(courses[1])"]}"#,
                token: buyer.accessToken, config: config
            ).data["id"]?.string)
        _ = try call(ApproveRefund.endpoint, "POST", "/api/v1/admin/refunds/\(refundId)/approve", token: admin.accessToken)
        try runRefundJob(db, refundId: refundId, attempt: 1, config: config)

        let sums = try db.query(
            """
            SELECT (SELECT sum(gross_minor) FROM earnings_ledger WHERE instructor_id = \(teacher.id) AND entry = 'sale') AS sales,
                   (SELECT sum(amount_minor) FROM orders WHERE id = ANY(\(TextArray(orders))::uuid[]) AND status = 'paid') AS paid,
                   (SELECT sum(gross_minor) FROM earnings_ledger WHERE instructor_id = \(teacher.id) AND entry = 'refund') AS refunded,
                   (SELECT sum(amount_minor) FROM refunds WHERE id = \(refundId)::uuid AND status = 'succeeded') AS refunds,
                   (SELECT count(*) FROM earnings_ledger WHERE instructor_id = \(teacher.id)
                      AND gross_minor <> tax_minor + provider_fee_minor + platform_fee_minor + instructor_share_minor) AS unbalanced
            """
        ).one()
        #expect(try sums.int("sales") == sums.int("paid"))
        #expect(try sums.int("refunded") == -sums.int("refunds"))
        #expect(try sums.int("unbalanced") == 0)

        let report = try call(InstructorEarnings.endpoint, "GET", "/api/v1/instructor/earnings?group=course", token: teacher.accessToken)
        #expect(report.status == 200, "\(report.text)")
        guard case .array(let groups)? = report.data["groups"] else {
            Issue.record("no groups: \(report.text)")
            return
        }
        #expect(groups.count == 2)
        let total = try #require(report.data["totals"]?[0])
        #expect(total["amounts"] == nil)
        #expect(total["sales"]?.number == 2)
        #expect(total["refunds"]?.number == 1)
        #expect(total["gross_minor"]?.number == 70_000)
        let csv = try call(
            InstructorEarnings.endpoint, "GET", "/api/v1/instructor/earnings?group=month", token: teacher.accessToken,
            headers: ["accept": "text/csv"])
        #expect(csv.header("Content-Type")?.hasPrefix("text/csv") == true)
        #expect(csv.text.hasPrefix("month,currency,sales,refunds,gross,tax,provider_fee,platform_fee,instructor_share\r\n"))
        #expect(csv.text.contains(",INR,2,1,700.00,"))
        #expect(
            try call(InstructorEarnings.endpoint, "GET", "/api/v1/instructor/earnings", token: stranger.accessToken).data["totals"]
                == .array([]))
        #expect(
            try call(
                InstructorEarnings.endpoint, "GET", "/api/v1/instructor/earnings?instructor_id=\(teacher.id)", token: admin.accessToken
            ).data["totals"]?[0]?["gross_minor"]?.number == 70_000)
        #expect(try call(InstructorEarnings.endpoint, "GET", "/api/v1/instructor/earnings", token: buyer.accessToken).status == 403)
        #expect(
            try call(InstructorEarnings.endpoint, "GET", "/api/v1/instructor/earnings?from=yesterday", token: teacher.accessToken)
                .failedFields == ["from"])
        #expect(
            try call(InstructorEarnings.endpoint, "GET", "/api/v1/instructor/earnings?group=year", token: teacher.accessToken)
                .failedFields == ["group"])
        let payouts = try call(PayoutReport.endpoint, "GET", "/api/v1/admin/payouts", token: admin.accessToken)
        guard case .array(let lines)? = payouts.data["instructors"] else {
            Issue.record("no instructors: \(payouts.text)")
            return
        }
        #expect(lines.contains { $0["instructor_id"]?.string == teacher.id && $0["amounts"]?["gross_minor"]?.number == 70_000 })
        #expect(try call(PayoutReport.endpoint, "GET", "/api/v1/admin/payouts", token: teacher.accessToken).status == 403)
    }

    /// Runs one `refund.process` job in-process, as the refund worker would.
    func runRefundJob(_ db: Connection, refundId: String, attempt: Int, config: Config) throws {
        let job = Queue.Job(
            id: 0, queue: Refunds.queue, kind: "refund.process",
            payload: .object(["refund_id": .string(refundId), "attempt": .number(Double(attempt))]), attempt: 1, maxAttempts: 12)
        try RefundProcessing.handle(
            job, JobContext(db: db, config: config, log: Logger(component: "test"), worker: "test"), settings: PaymentSettings(config))
    }
}

/// Hands out 0, 1, 2, ... to threads.
final class Counter: @unchecked Sendable {
    private var lock = pthread_mutex_t()
    private var value = 0
    init() { pthread_mutex_init(&lock, nil) }
    func next() -> Int {
        pthread_mutex_lock(&lock)
        defer { pthread_mutex_unlock(&lock) }
        value += 1
        return value - 1
    }
}

/// Collects responses from threads.
final class Responses: @unchecked Sendable {
    private var lock = pthread_mutex_t()
    private var list: [TestResponse] = []
    init() { pthread_mutex_init(&lock, nil) }
    func add(_ value: TestResponse) {
        pthread_mutex_lock(&lock)
        list.append(value)
        pthread_mutex_unlock(&lock)
    }
    var values: [TestResponse] {
        pthread_mutex_lock(&lock)
        defer { pthread_mutex_unlock(&lock) }
        return list
    }
}
