import Auth
import Checkout
import Core
import Crypto
import Database
import Payments
import Reconciliation
import Runtime
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Buying courses: orders against the fake Razorpay and Stripe, the three ways a payment is
/// confirmed (checkout handler, Razorpay webhook, Stripe webhook) converging on one billing
/// transaction, and everything that must be refused.
@Suite struct PaymentTests {
    /// A published course by a new instructor, at `price` minor units of `currency`.
    func course(_ db: Connection, price: Int = 49_900, currency: String = "INR", status: String = "published") throws -> String {
        let instructor = try Factory.user(db, role: .instructor)
        return try db.query(
            """
            INSERT INTO courses (instructor_id, title, description, price_minor, currency, status, published_at)
            VALUES (\(instructor.id), \("Paid course " + Crypto.hex(Crypto.randomBytes(3))), 'Learn things.', \(price), \(currency),
                    \(status), CASE WHEN \(status) = 'published' THEN now() END)
            RETURNING id::text
            """
        ).one().string("id")
    }

    func order(_ fake: FakePayments, _ token: String, _ courses: [String], provider: String = "razorpay") throws -> TestResponse {
        let ids = courses.map { "\"\($0)\"" }.joined(separator: ",")
        return try call(
            CreateOrder.endpoint, "POST", "/api/v1/payments/order", json: #"{"course_ids":[\#(ids)],"provider":"\#(provider)"}"#,
            token: token, config: TestEnvironment.config(fake.config))
    }

    /// Hands a webhook the fake signed (`{"headers", "body"}`) to our handler, as the provider would.
    func deliver(_ webhook: JSONValue, _ fake: FakePayments) throws -> TestResponse {
        var headers: [String: String] = [:]
        if case .object(let fields)? = webhook["headers"] {
            for (name, value) in fields { headers[name.lowercased()] = value.string }
        }
        let endpoint = headers["stripe-signature"] != nil ? StripeWebhook.endpoint : RazorpayWebhook.endpoint
        return try call(
            endpoint, "POST", endpoint.path, body: Array((webhook["body"]?.string ?? "").utf8), headers: headers,
            config: TestEnvironment.config(fake.config), remoteAddress: "203.0.113.9")
    }

    func webhooks(_ answer: JSONValue) -> [JSONValue] {
        if case .array(let list)? = answer["webhooks"] { return list }
        return []
    }

    func count(_ db: Connection, _ sql: SQL) throws -> Int { try db.query(sql).one().int("count") }

    @Test func razorpayOrderIsPaidOnceByTheCheckoutHandlerAndTheWebhooks() throws {
        let db = try TestEnvironment.connect()
        let fake = try FakePayments()
        let buyer = try Factory.user(db)
        let first = try course(db, price: 49_900)
        let second = try course(db, price: 129_900)

        let created = try order(fake, buyer.accessToken, [first, second])
        #expect(created.status == 201, "\(created.text)")
        let orderId = try #require(created.data["order"]?["id"]?.string)
        #expect(created.data["order"]?["status"]?.string == "pending")
        #expect(created.data["order"]?["amount_minor"]?.number == 179_800)
        #expect(created.data["checkout"]?["key_id"]?.string == fake.keys["RAZORPAY_KEY_ID"])
        #expect(created.data["checkout"]?["amount"]?.number == 179_800)
        #expect(created.data["checkout"]?["prefill"]?["email"]?.string == buyer.email)
        let providerOrder = try #require(created.data["checkout"]?["order_id"]?.string)
        // What Razorpay was sent: the total in paise, a receipt of at most 40 characters, our id in the notes.
        let sent = try #require(try fake.requests().last { $0["path"]?.string == "/v1/orders" })
        #expect(sent["body"]?["amount"]?.number == 179_800)
        #expect((sent["body"]?["receipt"]?.string?.count ?? 99) <= 40)
        #expect(sent["body"]?["notes"]?["order_id"]?.string == orderId)

        let paid = try fake.control("/_fake/razorpay/orders/\(providerOrder)/pay", #"{"deliver":false}"#)
        let checkout = try #require(paid["checkout"])
        let verified = try call(
            VerifyPayment.endpoint, "POST", "/api/v1/payments/verify",
            json: """
                {"razorpay_order_id":"\(checkout["razorpay_order_id"]?.string ?? "")","razorpay_payment_id":"\(checkout["razorpay_payment_id"]?.string ?? "")","razorpay_signature":"\(checkout["razorpay_signature"]?.string ?? "")"}
                """, token: buyer.accessToken, config: TestEnvironment.config(fake.config))
        #expect(verified.status == 200, "\(verified.text)")
        #expect(verified.data["status"]?.string == "paid")

        // Both webhooks of the payment (payment.captured, order.paid) come later: nothing more happens.
        let events = webhooks(paid)
        #expect(events.count == 2)
        for event in events {
            let answer = try deliver(event, fake)
            #expect(answer.status == 200, "\(answer.text)")
            #expect(answer.data["outcome"]?.string == "already_paid")
            #expect(try deliver(event, fake).data["outcome"]?.string == "duplicate")
        }
        #expect(try count(db, "SELECT count(*) FROM payments WHERE order_id = \(orderId)::uuid") == 2)
        #expect(
            try count(
                db, "SELECT count(*) FROM enrollments WHERE user_id = \(buyer.id) AND source = 'paid' AND order_id = \(orderId)::uuid")
                == 2)
        #expect(try count(db, "SELECT count(*) FROM jobs WHERE unique_key = \("email:receipt:" + orderId)") == 1)
        let amounts = try db.query("SELECT amount_minor FROM payments WHERE order_id = \(orderId)::uuid ORDER BY amount_minor").rows
            .map { try $0.int("amount_minor") }
        #expect(amounts == [49_900, 129_900])
        // The course now shows the learner as enrolled, and bought.
        let enrollment = try call(GetCourseEnrollment.endpoint, "GET", "/api/v1/courses/\(first)/enrollment", token: buyer.accessToken)
        #expect(enrollment.data["enrolled"]?.bool == true)
        #expect(enrollment.data["source"]?.string == "paid")
        #expect(enrollment.data["order_id"]?.string == orderId)
        // Buying it again is refused.
        let again = try order(fake, buyer.accessToken, [first])
        #expect(again.status == 409)
        #expect(again.failedFields == ["course_ids[0]"])
    }

    @Test func stripeSessionPaysOnlyOncePaymentIsReceived() throws {
        let db = try TestEnvironment.connect()
        let fake = try FakePayments()
        let buyer = try Factory.user(db)
        let id = try course(db, price: 1_999, currency: "USD")
        let created = try order(fake, buyer.accessToken, [id], provider: "stripe")
        #expect(created.status == 201, "\(created.text)")
        let orderId = try #require(created.data["order"]?["id"]?.string)
        let session = try #require(created.data["checkout"]?["session_id"]?.string)
        #expect(created.data["checkout"]?["url"]?.string?.hasPrefix(fake.baseURL) == true)
        #expect(created.data["order"]?["checkout_url"]?.string != nil)
        let sent = try #require(try fake.requests().last { $0["path"]?.string == "/v1/checkout/sessions" })
        #expect(sent["headers"]?["Idempotency-Key"]?.string == "order-" + orderId)
        #expect(sent["body"]?["client_reference_id"]?.string == orderId)
        #expect(sent["body"]?["metadata"]?["order_id"]?.string == orderId)
        #expect(sent["body"]?["payment_intent_data"]?["metadata"]?["order_id"]?.string == orderId)

        // A bank transfer: the session completes unpaid, the money arrives later.
        let paid = try fake.control("/_fake/stripe/sessions/\(session)/pay", #"{"outcome":"async_succeeded","deliver":false}"#)
        let events = webhooks(paid)
        #expect(events.count == 2)
        let completed = try deliver(events[0], fake)
        #expect(completed.status == 200, "\(completed.text)")
        #expect(completed.data["outcome"]?.string == "ignored")
        #expect(try count(db, "SELECT count(*) FROM enrollments WHERE user_id = \(buyer.id)") == 0)
        let succeeded = try deliver(events[1], fake)
        #expect(succeeded.data["outcome"]?.string == "fulfilled")
        #expect(try count(db, "SELECT count(*) FROM enrollments WHERE user_id = \(buyer.id) AND source = 'paid'") == 1)
        let view = try call(GetOrder.endpoint, "GET", "/api/v1/orders/\(orderId)", token: buyer.accessToken)
        #expect(view.data["status"]?.string == "paid")
        #expect(view.data["checkout_url"] == .null)
        #expect(view.data["provider_payment_id"]?.string?.hasPrefix("pi_") == true)
    }

    @Test func refusesCartsThatCannotBeBought() throws {
        let db = try TestEnvironment.connect()
        let fake = try FakePayments()
        let buyer = try Factory.user(db)
        let paid = try course(db)
        let free = try course(db, price: 0)
        let draft = try course(db, status: "draft")
        let dollars = try course(db, price: 999, currency: "USD")
        let author = try Factory.user(db, role: .instructor)
        let own = try course(db)
        try db.execute("UPDATE courses SET instructor_id = \(author.id) WHERE id = \(own)::uuid")

        let invalid = try order(fake, buyer.accessToken, [paid, free, draft, paid, "not-a-uuid", "00000000-0000-4000-8000-000000000000"])
        #expect(invalid.status == 422)
        #expect(invalid.failedFields.sorted() == ["course_ids[1]", "course_ids[2]", "course_ids[3]", "course_ids[4]", "course_ids[5]"])
        #expect(try order(fake, buyer.accessToken, [paid, dollars]).failedFields == ["course_ids"])
        #expect(try order(fake, author.accessToken, [own]).failedFields == ["course_ids[0]"])
        #expect(try order(fake, buyer.accessToken, []).failedFields == ["course_ids"])
        #expect(try order(fake, buyer.accessToken, [paid], provider: "paypal").failedFields == ["provider"])
        let owned = try course(db)
        try db.execute("INSERT INTO enrollments (user_id, course_id, source) VALUES (\(buyer.id), \(owned)::uuid, 'admin')")
        let conflict = try order(fake, buyer.accessToken, [paid, owned])
        #expect(conflict.status == 409)
        #expect(conflict.code == "already_enrolled")
        #expect(conflict.failedFields == ["course_ids[1]"])

        let unverified = try Factory.user(db, verified: false)
        #expect(try order(fake, unverified.accessToken, [paid]).code == "email_unverified")
        let suspended = try Factory.user(db, status: "suspended")
        #expect(try order(fake, suspended.accessToken, [paid]).status == 403)
        let anonymous = try call(CreateOrder.endpoint, "POST", "/api/v1/payments/order", json: #"{"course_ids":["\#(paid)"]}"#)
        #expect(anonymous.status == 401)
        let malformed = try call(
            CreateOrder.endpoint, "POST", "/api/v1/payments/order", json: #"{"course_ids":"#, token: buyer.accessToken,
            config: TestEnvironment.config(fake.config))
        #expect(malformed.status == 400)
        // The seeds' single `course_id` works too.
        let single = try call(
            CreateOrder.endpoint, "POST", "/api/v1/payments/order", json: #"{"course_id":"\#(paid)"}"#, token: buyer.accessToken,
            config: TestEnvironment.config(fake.config))
        #expect(single.status == 201, "\(single.text)")
        #expect(single.data["checkout"]?["provider"]?.string == "razorpay")
        // Nothing but that one order was written.
        #expect(try count(db, "SELECT count(*) FROM orders WHERE user_id = \(buyer.id)") == 1)
    }

    @Test func providerOutageLeavesNothingAndALaterRetryWorks() throws {
        let db = try TestEnvironment.connect()
        let fake = try FakePayments()
        let buyer = try Factory.user(db)
        let id = try course(db)

        try fake.control("/_fake/behaviour", #"{"razorpay_orders":"error","stripe_sessions":"error"}"#)
        let refused = try order(fake, buyer.accessToken, [id])
        #expect(refused.status == 502)
        #expect(refused.code == "provider_error")
        #expect(try order(fake, buyer.accessToken, [id], provider: "stripe").status == 502)

        try fake.control("/_fake/behaviour", #"{"razorpay_orders":"slow","slow_seconds":5}"#)
        let slow = try order(fake, buyer.accessToken, [id])
        #expect(slow.status == 503)
        #expect(slow.code == "provider_unavailable")
        #expect(slow.header("Retry-After") == "30")

        let down = try FakePayments()
        down.stop()
        var config = down.config
        config["RAZORPAY_API_URL"] = down.baseURL
        let unreachable = try call(
            CreateOrder.endpoint, "POST", "/api/v1/payments/order", json: #"{"course_ids":["\#(id)"]}"#, token: buyer.accessToken,
            config: TestEnvironment.config(config))
        #expect(unreachable.status == 503)
        #expect(try count(db, "SELECT count(*) FROM orders WHERE user_id = \(buyer.id)") == 0)

        try fake.control("/_fake/behaviour", #"{"razorpay_orders":"ok","stripe_sessions":"ok"}"#)
        #expect(try order(fake, buyer.accessToken, [id]).status == 201)
        #expect(try count(db, "SELECT count(*) FROM orders WHERE user_id = \(buyer.id)") == 1)
        #expect(try count(db, "SELECT count(*) FROM order_items i JOIN orders o ON o.id = i.order_id WHERE o.user_id = \(buyer.id)") == 1)
    }

    @Test func refusesForgedStaleMalformedAndUnknownEvents() throws {
        let db = try TestEnvironment.connect()
        let fake = try FakePayments()
        let buyer = try Factory.user(db)
        let id = try course(db)
        let providerOrder = try #require(try order(fake, buyer.accessToken, [id]).data["checkout"]?["order_id"]?.string)
        let paid = try fake.control("/_fake/razorpay/orders/\(providerOrder)/pay", #"{"deliver":false}"#)
        let event = try #require(webhooks(paid).first)
        let body = Array((event["body"]?.string ?? "").utf8)
        let config = try TestEnvironment.config(fake.config)
        let refusedBefore = try count(
            db, "SELECT count(*) FROM payment_events WHERE outcome = 'refused' AND remote_address = '198.51.100.7'")
        func razorpay(_ body: [UInt8], _ headers: [String: String]) throws -> TestResponse {
            try call(
                RazorpayWebhook.endpoint, "POST", "/api/v1/webhooks/razorpay", body: body, headers: headers, config: config,
                remoteAddress: "198.51.100.7")
        }
        let signature = Signatures.razorpayWebhook(body: body, secret: fake.keys["RAZORPAY_WEBHOOK_SECRET"]!)
        let forged = Signatures.razorpayWebhook(body: body, secret: "not-the-secret")
        #expect(try razorpay(body, ["x-razorpay-signature": forged, "x-razorpay-event-id": "evt_forged"]).status == 401)
        #expect(try razorpay(body, ["x-razorpay-event-id": "evt_unsigned"]).status == 401)
        #expect(try razorpay(body + [32], ["x-razorpay-signature": signature, "x-razorpay-event-id": "evt_changed"]).status == 401)
        #expect(try razorpay(body, ["x-razorpay-signature": signature]).status == 400)
        let garbage = Array("{not json".utf8)
        let garbageSignature = Signatures.razorpayWebhook(body: garbage, secret: fake.keys["RAZORPAY_WEBHOOK_SECRET"]!)
        let malformed = try razorpay(garbage, ["x-razorpay-signature": garbageSignature, "x-razorpay-event-id": "evt_garbage"])
        #expect(malformed.status == 400)
        #expect(malformed.code == "malformed_event")
        #expect(
            try count(db, "SELECT count(*) FROM payment_events WHERE outcome = 'refused' AND remote_address = '198.51.100.7'")
                == refusedBefore + 5)
        #expect(try count(db, "SELECT count(*) FROM payment_events WHERE outcome = 'refused' AND payload IS NOT NULL") == 0)

        // A well-signed event about an order we never made.
        let unknown = String(decoding: body, as: UTF8.self).replacingAll(providerOrder, with: "order_NoSuchOrder001")
            .replacingAll(#""order_id":""#, with: #""order_id_was":""#)
        let signed = try fake.control("/_fake/razorpay/sign", try encodeText(["body": unknown]))
        let stranger = try razorpay(
            Array(unknown.utf8), ["x-razorpay-signature": signed["signature"]?.string ?? "", "x-razorpay-event-id": "evt_unknown_order"])
        #expect(stranger.status == 400)
        #expect(stranger.code == "unknown_order")

        // Stripe: stale, forged and malformed signature headers.
        let stripeConfig = config
        func stripe(_ body: [UInt8], _ header: String?) throws -> TestResponse {
            try call(
                StripeWebhook.endpoint, "POST", "/api/v1/webhooks/stripe", body: body,
                headers: header.map { ["stripe-signature": $0] } ?? [:],
                config: stripeConfig)
        }
        let stripeBody = Array(#"{"id":"evt_stale","type":"checkout.session.completed","data":{"object":{}}}"#.utf8)
        let secret = fake.keys["STRIPE_WEBHOOK_SECRET"]!
        let old = unixTime() - 400
        let stale = try stripe(stripeBody, "t=\(old),v1=\(Signatures.stripe(timestamp: old, body: stripeBody, secret: secret))")
        #expect(stale.status == 401)
        #expect(stale.code == "signature_expired")
        let now = unixTime()
        #expect(
            try stripe(stripeBody, "t=\(now),v1=\(Signatures.stripe(timestamp: now, body: stripeBody, secret: "whsec_other"))").status
                == 401)
        #expect(try stripe(stripeBody, "v1=abc").status == 400)
        #expect(try stripe(stripeBody, nil).status == 401)
        // Several v1 signatures (a secret being rolled): one that matches is enough.
        let good = Signatures.stripe(timestamp: now, body: stripeBody, secret: secret)
        let rolled = try stripe(stripeBody, "t=\(now),v1=\(String(repeating: "0", count: 64)),v1=\(good)")
        #expect(rolled.status == 200, "\(rolled.text)")
        #expect(rolled.data["outcome"]?.string == "ignored")
        // None of it paid anything.
        #expect(try count(db, "SELECT count(*) FROM orders WHERE user_id = \(buyer.id) AND status = 'paid'") == 0)
        #expect(try count(db, "SELECT count(*) FROM enrollments WHERE user_id = \(buyer.id)") == 0)
    }

    @Test func amountMismatchIsRecordedAndAlertsAdminsButNeverEnrolls() throws {
        let db = try TestEnvironment.connect()
        let fake = try FakePayments()
        let buyer = try Factory.user(db)
        _ = try Factory.user(db, role: .admin)
        let id = try course(db, price: 49_900)
        let created = try order(fake, buyer.accessToken, [id])
        let orderId = try #require(created.data["order"]?["id"]?.string)
        let providerOrder = try #require(created.data["checkout"]?["order_id"]?.string)
        let paid = try fake.control(
            "/_fake/razorpay/orders/\(providerOrder)/pay", #"{"deliver":false,"amount":100,"events":["payment.captured"]}"#)
        let answer = try deliver(try #require(webhooks(paid).first), fake)
        #expect(answer.status == 200)
        #expect(answer.data["outcome"]?.string == "mismatch")
        #expect(try count(db, "SELECT count(*) FROM enrollments WHERE user_id = \(buyer.id)") == 0)
        #expect(try count(db, "SELECT count(*) FROM payments WHERE order_id = \(orderId)::uuid") == 0)
        #expect(try count(db, "SELECT count(*) FROM orders WHERE id = \(orderId)::uuid AND status = 'pending'") == 1)
        #expect(
            try count(
                db, "SELECT count(*) FROM jobs WHERE kind = 'email.payment_alert' AND payload->'data'->>'order_id' = \(orderId)") >= 1)
        #expect(try count(db, "SELECT count(*) FROM payment_events WHERE order_id = \(orderId)::uuid AND outcome = 'mismatch'") == 1)
        // Admins see it in the event list; nobody else does.
        let admin = try Factory.user(db, role: .admin)
        let listed = try call(
            ListPaymentEvents.endpoint, "GET", "/api/v1/admin/payment-events?outcome=mismatch&limit=200", token: admin.accessToken)
        guard case .array(let events)? = listed.data["events"] else {
            Issue.record("no events: \(listed.text)")
            return
        }
        #expect(events.contains { $0["order_id"]?.string == orderId && $0["detail"]?.string?.contains("100") == true })
        #expect(events.allSatisfy { $0["outcome"]?.string == "mismatch" })
        #expect(try call(ListPaymentEvents.endpoint, "GET", "/api/v1/admin/payment-events", token: buyer.accessToken).status == 403)
        #expect(
            try call(ListPaymentEvents.endpoint, "GET", "/api/v1/admin/payment-events?outcome=odd", token: admin.accessToken).failedFields
                == ["outcome"])
        #expect(
            try call(ListPaymentEvents.endpoint, "GET", "/api/v1/admin/payment-events?cursor=x", token: admin.accessToken).status == 400)
        // Paging needs two events whatever else ran first: a forged delivery leaves a `refused` audit row.
        #expect(
            try call(
                RazorpayWebhook.endpoint, "POST", "/api/v1/webhooks/razorpay", body: Array("{}".utf8),
                headers: ["x-razorpay-signature": "forged", "x-razorpay-event-id": "evt_paging"],
                config: TestEnvironment.config(fake.config), remoteAddress: "198.51.100.8"
            ).status == 401)
        let first = try call(ListPaymentEvents.endpoint, "GET", "/api/v1/admin/payment-events?limit=1", token: admin.accessToken)
        let cursor = try #require(first.data["next_cursor"]?.string)
        let second = try call(
            ListPaymentEvents.endpoint, "GET", "/api/v1/admin/payment-events?limit=1&cursor=\(cursor)", token: admin.accessToken)
        #expect((second.data["events"]?[0]?["id"]?.number ?? 0) < (first.data["events"]?[0]?["id"]?.number ?? 0))
    }

    @Test func aWebhookDeliveredTenTimesAndAgainAfterAFailureIsProcessedOnce() throws {
        let db = try TestEnvironment.connect()
        let fake = try FakePayments()
        let buyer = try Factory.user(db)
        let id = try course(db)
        let created = try order(fake, buyer.accessToken, [id])
        let orderId = try #require(created.data["order"]?["id"]?.string)
        let providerOrder = try #require(created.data["checkout"]?["order_id"]?.string)
        let event = try #require(
            webhooks(try fake.control("/_fake/razorpay/orders/\(providerOrder)/pay", #"{"deliver":false,"events":["payment.captured"]}"#))
                .first)

        // The first delivery fails inside the billing transaction (here: the payment insert); it rolls back whole.
        let trigger = "fail_payment_" + Crypto.hex(Crypto.randomBytes(4))
        try db.runScript(
            """
            CREATE FUNCTION \(trigger)() RETURNS trigger LANGUAGE plpgsql AS
            $$ BEGIN IF NEW.order_id = '\(orderId)' THEN RAISE EXCEPTION 'injected failure'; END IF; RETURN NEW; END $$;
            CREATE TRIGGER \(trigger) BEFORE INSERT ON payments FOR EACH ROW EXECUTE FUNCTION \(trigger)();
            """)
        let failed = try deliver(event, fake)
        try db.runScript("DROP TRIGGER \(trigger) ON payments; DROP FUNCTION \(trigger)();")
        #expect(failed.status == 500)
        #expect(try count(db, "SELECT count(*) FROM orders WHERE id = \(orderId)::uuid AND status = 'paid'") == 0)

        var outcomes: [String] = []
        for _ in 0..<10 { outcomes.append(try deliver(event, fake).data["outcome"]?.string ?? "?") }
        #expect(outcomes == ["fulfilled"] + Array(repeating: "duplicate", count: 9))
        #expect(try count(db, "SELECT count(*) FROM payments WHERE order_id = \(orderId)::uuid") == 1)
        #expect(try count(db, "SELECT count(*) FROM enrollments WHERE user_id = \(buyer.id)") == 1)
        #expect(try count(db, "SELECT count(*) FROM jobs WHERE unique_key = \("email:receipt:" + orderId)") == 1)
    }

    @Test func hundredConcurrentConfirmationsPayOnce() throws {
        let db = try TestEnvironment.connect()
        let fake = try FakePayments()
        let buyer = try Factory.user(db)
        let courses = [try course(db), try course(db)]
        let created = try order(fake, buyer.accessToken, courses)
        let orderId = try #require(created.data["order"]?["id"]?.string)
        let providerOrder = try #require(created.data["checkout"]?["order_id"]?.string)
        let paid = try fake.control("/_fake/razorpay/orders/\(providerOrder)/pay", #"{"deliver":false}"#)
        let checkout = try #require(paid["checkout"])
        let verifyBody = """
            {"razorpay_order_id":"\(checkout["razorpay_order_id"]?.string ?? "")","razorpay_payment_id":"\(checkout["razorpay_payment_id"]?.string ?? "")","razorpay_signature":"\(checkout["razorpay_signature"]?.string ?? "")"}
            """
        let events = webhooks(paid)
        let config = try TestEnvironment.config(fake.config)
        let token = buyer.accessToken
        let statuses = Statuses()
        let next = Statuses()
        concurrently(100) {
            next.add(0)
            let index = next.values.count
            do {
                let response =
                    index % 3 == 0
                    ? try call(VerifyPayment.endpoint, "POST", "/api/v1/payments/verify", json: verifyBody, token: token, config: config)
                    : try self.deliver(events[index % 2], fake)
                statuses.add(response.status)
            } catch {
                statuses.add(-1)
            }
        }
        #expect(statuses.values.count == 100)
        #expect(statuses.values.allSatisfy { $0 == 200 }, "\(statuses.values.filter { $0 != 200 })")
        #expect(try count(db, "SELECT count(*) FROM payments WHERE order_id = \(orderId)::uuid") == 2)
        #expect(try count(db, "SELECT count(*) FROM enrollments WHERE user_id = \(buyer.id) AND source = 'paid'") == 2)
        #expect(try count(db, "SELECT count(*) FROM jobs WHERE unique_key = \("email:receipt:" + orderId)") == 1)
        #expect(try count(db, "SELECT count(*) FROM payment_events WHERE order_id = \(orderId)::uuid AND outcome = 'fulfilled'") == 1)
        let enrolled = try db.query("SELECT enrollment_count FROM courses WHERE id = \(courses[0])::uuid").one().int("enrollment_count")
        #expect(enrolled == 1)
    }

    /// Payments whose webhooks never came (and no checkout handler ran) are found by asking the
    /// providers; a late webhook then finds the order paid.
    @Test func ordersWhoseConfirmationNeverCameAreReconciled() throws {
        let db = try TestEnvironment.connect()
        let fake = try FakePayments()
        let buyer = try Factory.user(db)
        let razorpay = try order(fake, buyer.accessToken, [try course(db)])
        let stripe = try order(fake, buyer.accessToken, [try course(db, price: 1_500, currency: "USD")], provider: "stripe")
        let unpaid = try order(fake, buyer.accessToken, [try course(db)])
        let ids = try [razorpay, stripe, unpaid].map { try #require($0.data["order"]?["id"]?.string) }
        let providerOrder = try #require(razorpay.data["checkout"]?["order_id"]?.string)
        let session = try #require(stripe.data["checkout"]?["session_id"]?.string)
        let lost = try fake.control("/_fake/razorpay/orders/\(providerOrder)/pay", #"{"deliver":false}"#)
        try fake.control("/_fake/stripe/sessions/\(session)/pay", #"{"deliver":false}"#)
        let settings = PaymentSettings(try TestEnvironment.config(fake.config))
        // Too recent to be asked about yet.
        #expect(try Reconciliation.run(db, settings: settings, log: Logger(component: "test")).isEmpty)
        // The oldest pending orders inside the 2-day window, so a run takes them first whatever
        // other tests left pending (a run looks at 100).
        try db.execute("UPDATE orders SET created_at = now() - interval '47 hours' WHERE id = ANY(\(TextArray(ids))::uuid[])")
        let outcomes = try Reconciliation.run(db, settings: settings, log: Logger(component: "test"))
        #expect(outcomes.map(\.rawValue) == ["fulfilled", "fulfilled"])
        let statuses = try db.query("SELECT status, paid_via FROM orders WHERE id = ANY(\(TextArray(ids))::uuid[]) ORDER BY created_at, id")
            .rows
        #expect(try statuses.filter { try $0.string("status") == "paid" && $0.optionalString("paid_via") == "reconcile" }.count == 2)
        #expect(try count(db, "SELECT count(*) FROM orders WHERE id = \(ids[2])::uuid AND status = 'pending'") == 1)
        #expect(try count(db, "SELECT count(*) FROM enrollments WHERE user_id = \(buyer.id) AND source = 'paid'") == 2)
        #expect(try Reconciliation.run(db, settings: settings, log: Logger(component: "test")).isEmpty)
        // The lost webhook arrives after all: nothing more happens.
        let late = try deliver(try #require(webhooks(lost).first), fake)
        #expect(late.data["outcome"]?.string == "already_paid")
        #expect(try count(db, "SELECT count(*) FROM payments WHERE order_id = \(ids[0])::uuid") == 1)
    }

    @Test func failedAndExpiredCheckoutsAreRecorded() throws {
        let db = try TestEnvironment.connect()
        let fake = try FakePayments()
        let buyer = try Factory.user(db)
        let created = try order(fake, buyer.accessToken, [try course(db)])
        let orderId = try #require(created.data["order"]?["id"]?.string)
        let providerOrder = try #require(created.data["checkout"]?["order_id"]?.string)
        let failed = try fake.control("/_fake/razorpay/orders/\(providerOrder)/pay", #"{"deliver":false,"outcome":"failed"}"#)
        #expect(try deliver(try #require(webhooks(failed).first), fake).data["outcome"]?.string == "payment_failed")
        // Razorpay: the learner may pay the same order again.
        let view = try call(GetOrder.endpoint, "GET", "/api/v1/orders/\(orderId)", token: buyer.accessToken)
        #expect(view.data["status"]?.string == "pending")
        #expect(view.data["failure_reason"]?.string != nil)

        let stripeOrder = try order(fake, buyer.accessToken, [try course(db, price: 500, currency: "USD")], provider: "stripe")
        let stripeId = try #require(stripeOrder.data["order"]?["id"]?.string)
        let session = try #require(stripeOrder.data["checkout"]?["session_id"]?.string)
        let asyncFailed = try fake.control("/_fake/stripe/sessions/\(session)/pay", #"{"deliver":false,"outcome":"async_failed"}"#)
        for event in webhooks(asyncFailed) { _ = try deliver(event, fake) }
        #expect(
            try call(GetOrder.endpoint, "GET", "/api/v1/orders/\(stripeId)", token: buyer.accessToken).data["status"]?.string == "failed")

        let expiring = try order(fake, buyer.accessToken, [try course(db, price: 700, currency: "USD")], provider: "stripe")
        let expiringId = try #require(expiring.data["order"]?["id"]?.string)
        let expiringSession = try #require(expiring.data["checkout"]?["session_id"]?.string)
        let expired = try fake.control("/_fake/stripe/sessions/\(expiringSession)/pay", #"{"deliver":false,"outcome":"expired"}"#)
        #expect(try deliver(try #require(webhooks(expired).first), fake).data["outcome"]?.string == "expired")
        #expect(
            try call(GetOrder.endpoint, "GET", "/api/v1/orders/\(expiringId)", token: buyer.accessToken).data["status"]?.string == "expired"
        )
        #expect(try count(db, "SELECT count(*) FROM enrollments WHERE user_id = \(buyer.id)") == 0)
    }

    @Test func purchasesAndOrdersArePrivate() throws {
        let db = try TestEnvironment.connect()
        let fake = try FakePayments()
        let buyer = try Factory.user(db)
        let other = try Factory.user(db)
        let admin = try Factory.user(db, role: .admin)
        var ids: [String] = []
        for _ in 0..<3 {
            ids.append(try #require(try order(fake, buyer.accessToken, [try course(db)]).data["order"]?["id"]?.string))
        }
        let first = try call(ListPurchases.endpoint, "GET", "/api/v1/users/me/purchases?limit=2", token: buyer.accessToken)
        #expect(first.status == 200)
        guard case .array(let page)? = first.data["orders"] else {
            Issue.record("no orders: \(first.text)")
            return
        }
        #expect(page.map { $0["id"]?.string } == [ids[2], ids[1]])
        #expect(page[0]["items"]?[0]?["title"]?.string?.hasPrefix("Paid course") == true)
        let cursor = try #require(first.data["next_cursor"]?.string)
        let second = try call(
            ListPurchases.endpoint, "GET", "/api/v1/users/me/purchases?limit=2&cursor=\(cursor)", token: buyer.accessToken)
        #expect(second.data["orders"]?[0]?["id"]?.string == ids[0])
        #expect(second.data["next_cursor"] == .null)
        #expect(
            try call(ListPurchases.endpoint, "GET", "/api/v1/users/me/purchases", token: other.accessToken).data["orders"] == .array([]))
        #expect(try call(ListPurchases.endpoint, "GET", "/api/v1/users/me/purchases?cursor=zzz", token: buyer.accessToken).status == 400)
        #expect(try call(ListPurchases.endpoint, "GET", "/api/v1/users/me/purchases?limit=0", token: buyer.accessToken).status == 422)
        #expect(try call(ListPurchases.endpoint, "GET", "/api/v1/users/me/purchases").status == 401)

        #expect(try call(GetOrder.endpoint, "GET", "/api/v1/orders/\(ids[0])", token: buyer.accessToken).status == 200)
        #expect(try call(GetOrder.endpoint, "GET", "/api/v1/orders/\(ids[0])", token: admin.accessToken).status == 200)
        #expect(try call(GetOrder.endpoint, "GET", "/api/v1/orders/\(ids[0])", token: other.accessToken).status == 404)
        #expect(
            try call(GetOrder.endpoint, "GET", "/api/v1/orders/00000000-0000-4000-8000-000000000000", token: buyer.accessToken).status
                == 404)
        #expect(try call(GetOrder.endpoint, "GET", "/api/v1/orders/nope", token: buyer.accessToken).status == 404)
        #expect(try call(GetOrder.endpoint, "GET", "/api/v1/orders/\(ids[0])").status == 401)

        // Someone else's order cannot be confirmed with the checkout handler either.
        let providerOrder = try db.query("SELECT provider_order_id FROM orders WHERE id = \(ids[0])::uuid").one().string(
            "provider_order_id")
        let stolen = try call(
            VerifyPayment.endpoint, "POST", "/api/v1/payments/verify",
            json: #"{"razorpay_order_id":"\#(providerOrder)","razorpay_payment_id":"pay_X","razorpay_signature":"00"}"#,
            token: other.accessToken, config: TestEnvironment.config(fake.config))
        #expect(stolen.status == 404)
        let forged = try call(
            VerifyPayment.endpoint, "POST", "/api/v1/payments/verify",
            json:
                #"{"razorpay_order_id":"\#(providerOrder)","razorpay_payment_id":"pay_X","razorpay_signature":"\#(String(repeating: "a", count: 64))"}"#,
            token: buyer.accessToken, config: TestEnvironment.config(fake.config))
        #expect(forged.status == 400)
        #expect(forged.code == "invalid_signature")
        let missing = try call(
            VerifyPayment.endpoint, "POST", "/api/v1/payments/verify", json: #"{"razorpay_order_id":"\#(providerOrder)"}"#,
            token: buyer.accessToken, config: TestEnvironment.config(fake.config))
        #expect(missing.failedFields.sorted() == ["razorpay_payment_id", "razorpay_signature"])
    }

    @Test func enrollmentStatusSaysHowTheLearnerJoined() throws {
        let db = try TestEnvironment.connect()
        let learner = try Factory.user(db)
        let paid = try course(db)
        let free = try course(db, price: 0)
        let draft = try course(db, status: "draft")
        func status(_ id: String, _ token: String?) throws -> TestResponse {
            try call(GetCourseEnrollment.endpoint, "GET", "/api/v1/courses/\(id)/enrollment", token: token)
        }
        let before = try status(paid, learner.accessToken)
        #expect(before.status == 200)
        #expect(before.data["enrolled"]?.bool == false)
        #expect(before.data["since"] == .null)
        try db.execute("INSERT INTO enrollments (user_id, course_id, source) VALUES (\(learner.id), \(free)::uuid, 'free')")
        #expect(try status(free, learner.accessToken).data["source"]?.string == "free")
        #expect(try status(draft, learner.accessToken).status == 404)
        #expect(try status("00000000-0000-4000-8000-000000000000", learner.accessToken).status == 404)
        #expect(try status("nope", learner.accessToken).status == 404)
        #expect(try status(paid, nil).status == 401)
        // An archived course stays visible to those enrolled in it.
        try db.execute("UPDATE courses SET status = 'archived' WHERE id = \(free)::uuid")
        #expect(try status(free, learner.accessToken).data["enrolled"]?.bool == true)
    }

    /// Our signatures checked by the providers' own Python SDKs (PyPI `razorpay` and `stripe`), so the
    /// schemes are not only checked against ourselves.
    @Test func signaturesAgreeWithTheProvidersSDKs() throws {
        let body = #"{"entity":"event","event":"payment.captured","payload":{"payment":{"entity":{"id":"pay_1","amount":100}}}}"#
        let bytes = Array(body.utf8)
        let now = unixTime()
        let razorpaySecret = "rzp_webhook_" + Crypto.hex(Crypto.randomBytes(8))
        let stripeSecret = "whsec_" + Crypto.hex(Crypto.randomBytes(16))
        let keySecret = Crypto.hex(Crypto.randomBytes(10))
        let cases: [JSONValue] = [
            .object([
                "kind": .string("razorpay_payment"), "key_secret": .string(keySecret), "order_id": .string("order_ABC"),
                "payment_id": .string("pay_DEF"),
                "signature": .string(Signatures.razorpayPayment(orderId: "order_ABC", paymentId: "pay_DEF", keySecret: keySecret)),
            ]),
            .object([
                "kind": .string("razorpay_payment"), "key_secret": .string(keySecret), "order_id": .string("order_ABC"),
                "payment_id": .string("pay_XYZ"),
                "signature": .string(Signatures.razorpayPayment(orderId: "order_ABC", paymentId: "pay_DEF", keySecret: keySecret)),
            ]),
            .object([
                "kind": .string("razorpay_webhook"), "secret": .string(razorpaySecret), "body": .string(body),
                "signature": .string(Signatures.razorpayWebhook(body: bytes, secret: razorpaySecret)),
            ]),
            .object([
                "kind": .string("razorpay_webhook"), "secret": .string(razorpaySecret), "body": .string(body + " "),
                "signature": .string(Signatures.razorpayWebhook(body: bytes, secret: razorpaySecret)),
            ]),
            .object([
                "kind": .string("stripe_webhook"), "secret": .string(stripeSecret), "body": .string(body), "tolerance": .number(300),
                "header": .string("t=\(now),v1=\(Signatures.stripe(timestamp: now, body: bytes, secret: stripeSecret))"),
            ]),
            .object([
                "kind": .string("stripe_webhook"), "secret": .string(stripeSecret), "body": .string(body), "tolerance": .number(300),
                "header": .string("t=\(now - 400),v1=\(Signatures.stripe(timestamp: now - 400, body: bytes, secret: stripeSecret))"),
            ]),
        ]
        let input = try encodeJSON(JSONValue.object(["cases": .array(cases)]))
        let script = TestEnvironment.root + "/infra/testing/provider_sdk_check.py"
        let (output, status) = try runCommand(["python3", script], input: input)
        #expect(status == 0, "provider_sdk_check.py failed (its stderr is in the test log)")
        let results = try JSONValue.parse(output)["results"]
        #expect(results == .array([.bool(true), .bool(false), .bool(true), .bool(false), .bool(true), .bool(false)]))
        // And ours agrees with theirs on the same cases.
        #expect(throws: Never.self) {
            try Signatures.verifyStripe(
                header: "t=\(now),v1=\(Signatures.stripe(timestamp: now, body: bytes, secret: stripeSecret))", body: bytes,
                secret: stripeSecret,
                now: now, tolerance: 300)
        }
    }
}

/// A JSON document as text (for control requests).
func encodeText(_ value: some Encodable) throws -> String { String(decoding: try encodeJSON(value), as: UTF8.self) }
