import Auth
import Core
import Database
import Notifications
import Queue
import Runtime
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Emails and pushes from a request through nginx to the real worker processes and the SMTP
/// capture server or the fake FCM server. Each test starts its own worker on the shared
/// `email`/`push` queue, so these run one at a time, in infra/test.sh's second phase (alone).
@Suite(.serialized) struct DeliveryFlowTests {
    /// Before each test: the emails and pushes the parallel phase left queued (receipts,
    /// verifications, badges: hundreds) would be sent before this test's own, and the capture's
    /// first (failed) delivery would be one of theirs. The suite runs alone, so they can go.
    init() throws {
        try TestEnvironment.connect().execute("DELETE FROM jobs WHERE queue IN ('email', 'push') AND state <> 'running'")
    }

    func emailWorker(_ capture: SMTPCapture) throws -> ChildProcess {
        let log = "/tmp/lms-worker-email-\(getpid()).log"
        return try ChildProcess(
            [try TestEnvironment.value("E2E_BIN_DIR") + "/worker-email"], stdout: log, stderr: log,
            environment: [
                "DATABASE_URL": try TestEnvironment.databaseURL(), "SMTP_URL": capture.url, "MAIL_FROM": "LMS Test <no-reply@lms.test>",
                "PUBLIC_APP_URL": "https://app.lms.test", "PRODUCT_NAME": "LMS Test", "WORKER_POLL_MS": "200",
                "LMS_ENV_FILE": "/nonexistent",
            ])
    }

    /// The first captured message to `address`, decoded.
    func message(to address: String, _ capture: SMTPCapture, subjectContains: String = "", seconds: Double = 20) throws -> MIMEEntity? {
        var found: MIMEEntity?
        _ = try eventually(seconds: seconds) {
            found = try capture.deliveries().first { $0.recipients.contains(address) }
                .map { MIMEEntity($0.data) }
                .flatMap { entity in decodeEncodedWords(entity.header("Subject") ?? "").contains(subjectContains) ? entity : nil }
            if found == nil, subjectContains != "" {
                found = try capture.deliveries().filter { $0.recipients.contains(address) }.map { MIMEEntity($0.data) }
                    .first { decodeEncodedWords($0.header("Subject") ?? "").contains(subjectContains) }
            }
            return found != nil
        }
        return found
    }

    func text(_ entity: MIMEEntity) -> String {
        if entity.mediaType.hasPrefix("multipart/") {
            return entity.parts.map(text).joined(separator: "\n")
        }
        return entity.decodedText
    }

    /// The first run of 6 digits in the text.
    func code(in text: String) -> String? {
        let scalars = Array(text.unicodeScalars)
        var index = 0
        while index + 6 <= scalars.count {
            let run = scalars[index..<index + 6]
            let before = index > 0 ? scalars[index - 1] : " "
            let after = index + 6 < scalars.count ? scalars[index + 6] : " "
            if run.allSatisfy({ $0.properties.numericType != nil && $0.isASCII })
                && !(before.isASCII && before.properties.numericType != nil)
                && !(after.isASCII && after.properties.numericType != nil)
            {
                return String(String.UnicodeScalarView(run))
            }
            index += 1
        }
        return nil
    }

    @Test(arguments: ["cgi", "fastcgi"])
    func signUpReceiveTheCodeVerifyAndGetWelcomed(mode: String) throws {
        let capture = try SMTPCapture()
        defer { capture.stop() }
        let worker = try emailWorker(capture)
        defer { worker.stop() }
        let client = HTTPClient(try TestEnvironment.value(mode == "cgi" ? "E2E_CGI_URL" : "E2E_FASTCGI_URL"))
        let email = Factory.uniqueEmail("flow-\(mode)")
        let signup = try client.send(
            "POST", "/api/v1/auth/signup", json: #"{"name":"Flow Tester","email":"\#(email)","password":"long enough pw"}"#)
        #expect(signup.status == 201)
        let token = try #require(signup.data["access_token"]?.string)
        let verification = try #require(try message(to: email, capture))
        #expect(verification.header("From")?.contains("no-reply@lms.test") == true)
        #expect(verification.header("To")?.contains(email) == true)
        #expect(verification.header("Message-ID")?.hasPrefix("<verification-") == true)
        #expect(verification.mediaType == "multipart/alternative")
        let body = text(verification)
        let digits = try #require(code(in: body))
        let verify = try client.send("POST", "/api/v1/auth/otp/verify", json: #"{"code":"\#(digits)"}"#, token: token)
        #expect(verify.status == 200)
        #expect(verify.data["email_verified"]?.bool == true)
        #expect(try message(to: email, capture, subjectContains: "Welcome") != nil)
    }

    @Test func resetThePasswordFromTheEmailedLink() throws {
        let capture = try SMTPCapture()
        defer { capture.stop() }
        let worker = try emailWorker(capture)
        defer { worker.stop() }
        let db = try TestEnvironment.connect()
        let user = try Factory.user(db)
        let client = HTTPClient(try TestEnvironment.value("E2E_CGI_URL"))
        #expect(try client.send("POST", "/api/v1/auth/password-reset", json: #"{"email":"\#(user.email)"}"#).status == 200)
        let mail = try #require(try message(to: user.email, capture))
        let body = text(mail)
        let link = try #require(
            body.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\r" || $0 == "\"" || $0 == "<" || $0 == ">" })
                .first { $0.hasPrefix("https://app.lms.test/reset-password?token=") })
        let token = String(link.split(separator: "=", maxSplits: 1)[1])
        let confirm = try client.send(
            "POST", "/api/v1/auth/password-reset/confirm", json: #"{"token":"\#(token)","new_password":"fresh from email"}"#)
        #expect(confirm.status == 200)
        #expect(
            try client.send("POST", "/api/v1/auth/login", json: #"{"email":"\#(user.email)","password":"fresh from email"}"#).status == 200)
    }

    @Test func anSMTPFailureIsRetriedAndTheMessageArrivesOnce() throws {
        let capture = try SMTPCapture(["--fail-first", "1"])
        defer { capture.stop() }
        let db = try TestEnvironment.connect()
        let to = Factory.uniqueEmail("retry")
        let key = "test-retry:\(to)"
        try Notifications.email(db, .init(template: "welcome", to: to, name: "Retry", data: [:], messageKey: key))
        let worker = try emailWorker(capture)
        defer { worker.stop() }
        #expect(try eventually(seconds: 20) { try capture.deliveries().contains { $0.recipients.contains(to) } })
        #expect(try eventually(seconds: 5) { try db.query("SELECT 1 FROM sent_emails WHERE message_key = \(key)").first != nil })
        // The same message enqueued again (a duplicate request, a replayed job) is not sent again.
        try Notifications.email(db, .init(template: "welcome", to: to, name: "Retry", data: [:], messageKey: key))
        #expect(try eventually(seconds: 10) { try db.query("SELECT 1 FROM jobs WHERE unique_key = \("email:" + key)").first == nil })
        #expect(try capture.deliveries().filter { $0.recipients.contains(to) }.count == 1)
    }

    @Test func aJobDeadAfterItsLastAttemptRunsAgainWhenAnAdminRetriesIt() throws {
        let capture = try SMTPCapture(["--fail-first", "1"])
        defer { capture.stop() }
        let db = try TestEnvironment.connect()
        let to = Factory.uniqueEmail("dead")
        let id = try #require(
            try Notifications.email(db, .init(template: "welcome", to: to, name: "Dead", data: [:], messageKey: "test-dead:\(to)")))
        try db.execute("UPDATE jobs SET max_attempts = 1 WHERE id = \(Int(id))")
        let worker = try emailWorker(capture)
        defer { worker.stop() }
        #expect(
            try eventually(seconds: 20) { try db.query("SELECT state FROM jobs WHERE id = \(Int(id))").first?.string("state") == "dead" })
        let admin = try Factory.user(db, role: .admin)
        let client = HTTPClient(try TestEnvironment.value("E2E_FASTCGI_URL"))
        let listed = try client.send("GET", "/api/v1/admin/jobs?state=dead&kind=email.welcome&limit=200", token: admin.accessToken)
        guard case .array(let jobs)? = listed.data["jobs"] else {
            Issue.record("no jobs")
            return
        }
        #expect(jobs.contains { $0["id"] == .number(Double(id)) && $0["last_error"]?.string?.contains("451") == true })
        #expect(try client.send("POST", "/api/v1/admin/jobs/\(id)/retry", token: admin.accessToken).status == 200)
        #expect(try eventually(seconds: 20) { try capture.deliveries().contains { $0.recipients.contains(to) } })
    }

    @Test func aPushReachesEveryRegisteredDevice() throws {
        let fcm = try FakeFCM()
        defer { fcm.stop() }
        let db = try TestEnvironment.connect()
        let user = try Factory.user(db)
        let client = HTTPClient(try TestEnvironment.value("E2E_CGI_URL"))
        let suffix = Factory.uniqueEmail("p").split(separator: "@")[0]
        for token in ["phone-\(suffix)", "gone-\(suffix)"] {
            #expect(
                try client.send(
                    "POST", "/api/v1/users/me/devices", json: #"{"token":"\#(token)","platform":"android"}"#, token: user.accessToken
                ).status == 201)
        }
        try Notifications.push(db, .init(userId: user.id, title: "New lesson", body: "Lesson 3 is out", messageKey: "test-push:\(suffix)"))
        let log = "/tmp/lms-worker-push-\(getpid()).log"
        let worker = try ChildProcess(
            [try TestEnvironment.value("E2E_BIN_DIR") + "/worker-push"], stdout: log, stderr: log,
            environment: [
                "DATABASE_URL": try TestEnvironment.databaseURL(), "FCM_SERVICE_ACCOUNT_FILE": fcm.accountFile, "FCM_BASE_URL": fcm.baseURL,
                "WORKER_POLL_MS": "200", "LMS_ENV_FILE": "/nonexistent",
            ])
        defer { worker.stop() }
        #expect(
            try eventually(seconds: 20) {
                try fcm.records().contains { $0.kind == "send" && $0.message?.token == "phone-\(suffix)" && $0.status == 200 }
            })
        #expect(try eventually(seconds: 10) { try db.query("SELECT 1 FROM devices WHERE token = \("gone-\(suffix)")").first == nil })
        let sent = try fcm.records().first { $0.message?.token == "phone-\(suffix)" }
        #expect(sent?.message?.notification?.title == "New lesson")
    }
}
