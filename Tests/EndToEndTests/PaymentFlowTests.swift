import Core
import Database
import Runtime
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Buying a course through the real proxy, in both modes, against the fake providers that
/// `infra/test.sh` starts: order, the provider's "payment", its signed webhook (delivered by the
/// fake itself to the CGI front end, or handed to the FastCGI one), the enrollment, the lesson.
@Suite struct PaymentFlowTests {
    func paidCourse(_ db: Connection) throws -> (course: String, lesson: String) {
        let instructor = try Factory.user(db, role: .instructor)
        let course = try db.query(
            """
            INSERT INTO courses (instructor_id, title, price_minor, currency, status, published_at)
            VALUES (\(instructor.id), 'Bought end to end', 89900, 'INR', 'published', now()) RETURNING id::text
            """
        ).one().string("id")
        let module = try db.query("INSERT INTO modules (course_id, title, position) VALUES (\(course)::uuid, 'M', 1) RETURNING id::text")
            .one().string("id")
        let lesson = try db.query(
            """
            INSERT INTO lessons (module_id, course_id, title, kind, body, position)
            VALUES (\(module)::uuid, \(course)::uuid, 'Paid lesson', 'article', 'Only for buyers.', 1) RETURNING id::text
            """
        ).one().string("id")
        return (course, lesson)
    }

    @Test(arguments: Mode.allCases)
    func aLearnerBuysACourseAndOpensItsLessons(mode: Mode) throws {
        let client = try mode.client()
        let provider = HTTPClient(try TestEnvironment.value("E2E_PAYMENTS_URL"))
        let db = try TestEnvironment.connect()
        let learner = try Factory.user(db)
        let (course, lesson) = try paidCourse(db)

        #expect(try client.send("GET", "/api/v1/lessons/\(lesson)/content", token: learner.accessToken).status == 403)
        let created = try client.send("POST", "/api/v1/payments/order", json: #"{"course_ids":["\#(course)"]}"#, token: learner.accessToken)
        #expect(created.status == 201, "\(created.text)")
        let providerOrder = try #require(created.data["checkout"]?["order_id"]?.string)

        // The learner pays in Razorpay's widget; Razorpay sends its webhooks. The fake delivers them
        // to the CGI front end; for the FastCGI one the test hands them over as Razorpay would.
        let deliver = mode == .cgi
        let paid = try provider.send("POST", "/_fake/razorpay/orders/\(providerOrder)/pay", json: #"{"deliver":\#(deliver)}"#)
        #expect(paid.status == 200, "\(paid.text)")
        guard case .array(let webhooks)? = paid.json["webhooks"] else {
            Issue.record("no webhooks: \(paid.text)")
            return
        }
        for webhook in webhooks {
            if deliver {
                #expect(webhook["status"]?.number == 200, "\(webhook["response"]?.string ?? "")")
                continue
            }
            var headers: [String: String] = [:]
            if case .object(let fields)? = webhook["headers"] {
                for (name, value) in fields { headers[name] = value.string }
            }
            let answer = try client.send(
                "POST", "/api/v1/webhooks/razorpay", body: Array((webhook["body"]?.string ?? "").utf8), headers: headers)
            #expect(answer.status == 200, "\(answer.text)")
            // A redelivery changes nothing.
            let again = try client.send(
                "POST", "/api/v1/webhooks/razorpay", body: Array((webhook["body"]?.string ?? "").utf8), headers: headers)
            #expect(again.data["outcome"]?.string == "duplicate")
        }

        let enrollment = try client.send("GET", "/api/v1/courses/\(course)/enrollment", token: learner.accessToken)
        #expect(enrollment.data["enrolled"]?.bool == true)
        #expect(enrollment.data["source"]?.string == "paid")
        #expect(try client.send("GET", "/api/v1/lessons/\(lesson)/content", token: learner.accessToken).status == 200)
        let purchases = try client.send("GET", "/api/v1/users/me/purchases", token: learner.accessToken)
        #expect(purchases.data["orders"]?[0]?["status"]?.string == "paid")
    }

    @Test(arguments: Mode.allCases)
    func webhooksAreRefusedInTheEnvelopeWithoutCORS(mode: Mode) throws {
        let client = try mode.client()
        let forged = try client.send(
            "POST", "/api/v1/webhooks/stripe", json: #"{"id":"evt_1","type":"checkout.session.completed"}"#,
            headers: ["Stripe-Signature": "t=\(unixTime()),v1=\(String(repeating: "ab", count: 32))", "Origin": "https://app.example.test"])
        #expect(forged.status == 401)
        #expect(forged.json["success"]?.bool == false)
        #expect(forged.code == "invalid_signature")
        // An allowed origin gets CORS headers elsewhere, never on a webhook.
        #expect(forged.header("Access-Control-Allow-Origin") == nil)
        let other = try client.send("GET", "/api/v1/health", headers: ["Origin": "https://app.example.test"])
        #expect(other.header("Access-Control-Allow-Origin") == "https://app.example.test")
        // Webhooks take only POST, with the proxy's JSON envelope for anything else.
        let get = try client.send("GET", "/api/v1/webhooks/razorpay")
        #expect(get.status == 405)
        #expect(get.json["success"]?.bool == false)
    }

    /// The refund worker killed while the provider is still answering: the job runs again with
    /// the same idempotency key, the provider answers with the same refund, and the refund
    /// happens once (one provider refund, one credit note, the enrollment gone).
    @Test func aRefundWorkerKilledMidCallRefundsOnce() throws {
        let client = try Mode.cgi.client()
        let provider = HTTPClient(try TestEnvironment.value("E2E_PAYMENTS_URL"))
        let db = try TestEnvironment.connect()
        let learner = try Factory.user(db)
        let admin = try Factory.user(db, role: .admin)
        let (course, _) = try paidCourse(db)
        let created = try client.send("POST", "/api/v1/payments/order", json: #"{"course_ids":["\#(course)"]}"#, token: learner.accessToken)
        let orderId = try #require(created.data["order"]?["id"]?.string)
        let providerOrder = try #require(created.data["checkout"]?["order_id"]?.string)
        #expect(try provider.send("POST", "/_fake/razorpay/orders/\(providerOrder)/pay", json: #"{"deliver":true}"#).status == 200)
        #expect(
            try eventually(seconds: 10) {
                try db.query("SELECT status FROM orders WHERE id = \(orderId)::uuid").one().string("status") == "paid"
            })

        let refund = try client.send(
            "POST", "/api/v1/orders/\(orderId)/refunds", json: #"{"course_ids":["\#(course)"]}"#, token: learner.accessToken)
        let refundId = try #require(refund.data["id"]?.string)
        #expect(try client.send("POST", "/api/v1/admin/refunds/\(refundId)/approve", token: admin.accessToken).status == 200)
        // This test's own queue, so no other test's refund job reaches this worker.
        let queue = "refunds-e2e-\(refundId.prefix(8))"
        try db.execute("UPDATE jobs SET queue = \(queue) WHERE unique_key = \("refund:\(refundId):1")")
        #expect(try provider.send("POST", "/_fake/behaviour", json: #"{"razorpay_refunds":"slow","slow_seconds":4}"#).status == 200)
        defer { _ = try? provider.send("POST", "/_fake/behaviour", json: #"{"razorpay_refunds":"ok"}"#) }
        func worker() throws -> ChildProcess {
            let log = "/tmp/lms-worker-\(queue).log"
            return try ChildProcess(
                [try TestEnvironment.value("E2E_BIN_DIR") + "/worker-refund"], stdout: log, stderr: log,
                environment: [
                    "LMS_ENV_FILE": try TestEnvironment.value("E2E_ENV_FILE"), "DATABASE_URL": try TestEnvironment.databaseURL(),
                    "REFUND_QUEUE": queue, "WORKER_LEASE_SECONDS": "2", "WORKER_POLL_MS": "200",
                ])
        }
        func refundCalls() throws -> Int {
            guard case .array(let list) = try provider.send("GET", "/_fake/requests").json else { return -1 }
            return list.filter {
                $0["kind"]?.string == "razorpay.refund.create"
                    && $0["headers"]?["X-Refund-Idempotency"]?.string == "refund-\(refundId)-1"
            }.count
        }
        let doomed = try worker()
        // The call is in the provider's hands (it sleeps before answering): kill the worker now.
        usleep(1_500_000)
        doomed.signal(SIGKILL)
        #expect(doomed.waitForExit())
        _ = try provider.send("POST", "/_fake/behaviour", json: #"{"razorpay_refunds":"ok"}"#)
        let survivor = try worker()
        defer { survivor.stop() }
        #expect(
            try eventually(seconds: 40) {
                try db.query("SELECT status FROM refunds WHERE id = \(refundId)::uuid").one().string("status") == "succeeded"
            })
        guard case .array(let refunds) = try provider.send("GET", "/_fake/webhooks").json else { return }
        #expect(refunds.filter { $0["event"]?.string == "refund.processed" && ($0["body"]?.string ?? "").contains(refundId) }.count == 1)
        #expect(try refundCalls() >= 1)
        #expect(try db.query("SELECT count(*) AS n FROM invoices WHERE refund_id = \(refundId)::uuid").one().int("n") == 1)
        #expect(
            try db.query("SELECT count(*) AS n FROM enrollments WHERE user_id = \(learner.id) AND course_id = \(course)::uuid").one().int(
                "n")
                == 0)
        #expect(try client.send("GET", "/api/v1/courses/\(course)/enrollment", token: learner.accessToken).data["enrolled"]?.bool == false)
    }
}
