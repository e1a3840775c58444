import Auth
import Core
import Database
import Delivery
import Identity
import Jobs
import Mail
import Queue
import Runtime
import TestSupport
import Testing
import Worker

/// Email verification codes, password reset, push devices: the handlers, and the email jobs
/// they enqueue in their own transactions.
@Suite struct VerificationTests {
    /// The newest email job to `to` of `template`, as the worker would see it.
    func emailJob(_ db: Connection, to: String, template: String) throws -> JSONValue? {
        try db.query(
            """
            SELECT payload::text AS p FROM jobs WHERE kind = \("email." + template) AND payload->>'to' = \(to)
            ORDER BY id DESC LIMIT 1
            """
        ).first.flatMap { try JSONValue.parse(Array(try $0.string("p").utf8)) }
    }

    func signUp() throws -> (token: String, email: String) {
        let email = Factory.uniqueEmail("verify")
        let response = try call(
            Signup.endpoint, "POST", "/api/v1/auth/signup", json: #"{"name":"Vera","email":"\#(email)","password":"long enough pw"}"#)
        return (try #require(response.data["access_token"]?.string), email)
    }

    @Test func signupSendsACodeThatVerifiesTheEmail() throws {
        let db = try TestEnvironment.connect()
        let (token, email) = try signUp()
        let job = try #require(try emailJob(db, to: email, template: "verification"))
        let code = try #require(job["data"]?["code"]?.string)
        #expect(code.count == 6)
        #expect(job["message_key"]?.string?.hasPrefix("verification:") == true)
        // The code is stored only as an HMAC.
        #expect(try db.query("SELECT 1 FROM email_verifications WHERE code_hash::text LIKE \("%" + code + "%")").rows.isEmpty)
        let wrongCode = code == "000000" ? "111111" : "000000"
        let wrong = try call(VerifyEmail.endpoint, "POST", "/api/v1/auth/otp/verify", json: #"{"code":"\#(wrongCode)"}"#, token: token)
        #expect(wrong.status == 422)
        #expect(wrong.code == "code_invalid")
        let right = try call(VerifyEmail.endpoint, "POST", "/api/v1/auth/otp/verify", json: #"{"code":"\#(code)"}"#, token: token)
        #expect(right.status == 200)
        #expect(right.data["email_verified"]?.bool == true)
        #expect(try emailJob(db, to: email, template: "welcome") != nil)
        let again = try call(VerifyEmail.endpoint, "POST", "/api/v1/auth/otp/verify", json: #"{"code":"\#(code)"}"#, token: token)
        #expect(again.status == 409)
    }

    @Test func codesExpireAndLockAfterFiveWrongTries() throws {
        let db = try TestEnvironment.connect()
        let (token, email) = try signUp()
        let code = try #require(try emailJob(db, to: email, template: "verification")?["data"]?["code"]?.string)
        let wrongCode = code == "123456" ? "654321" : "123456"
        for _ in 0..<5 {
            #expect(
                try call(VerifyEmail.endpoint, "POST", "/api/v1/auth/otp/verify", json: #"{"code":"\#(wrongCode)"}"#, token: token).code
                    == "code_invalid")
        }
        let locked = try call(VerifyEmail.endpoint, "POST", "/api/v1/auth/otp/verify", json: #"{"code":"\#(code)"}"#, token: token)
        #expect(locked.code == "code_locked")
        try db.execute(
            "UPDATE email_verifications SET attempts = 0, expires_at = now() - interval '1 second' WHERE code_hash IS NOT NULL AND user_id = (SELECT id FROM users WHERE email = \(email))"
        )
        let expired = try call(VerifyEmail.endpoint, "POST", "/api/v1/auth/otp/verify", json: #"{"code":"\#(code)"}"#, token: token)
        #expect(expired.code == "code_expired")
    }

    @Test func resendIsThrottled() throws {
        let db = try TestEnvironment.connect()
        let (token, email) = try signUp()
        let tooSoon = try call(ResendVerification.endpoint, "POST", "/api/v1/auth/otp", token: token)
        #expect(tooSoon.status == 429)
        #expect(Int(tooSoon.header("Retry-After") ?? "") ?? 0 > 0)
        try db.execute(
            "UPDATE email_verifications SET sent_at = now() - interval '2 minutes' WHERE user_id = (SELECT id FROM users WHERE email = \(email))"
        )
        let resent = try call(ResendVerification.endpoint, "POST", "/api/v1/auth/otp", token: token)
        #expect(resent.status == 200)
        #expect(
            try db.query("SELECT count(*)::int AS n FROM jobs WHERE kind = 'email.verification' AND payload->>'to' = \(email)").one().int(
                "n") == 2)
        try db.execute(
            "UPDATE email_verifications SET sent_at = now() - interval '2 minutes', sent_in_window = 5 WHERE user_id = (SELECT id FROM users WHERE email = \(email))"
        )
        #expect(try call(ResendVerification.endpoint, "POST", "/api/v1/auth/otp", token: token).status == 429)
    }

    @Test func refusesVerifiedAnonymousAndMalformed() throws {
        let db = try TestEnvironment.connect()
        let verified = try Factory.user(db, verified: true)
        #expect(try call(ResendVerification.endpoint, "POST", "/api/v1/auth/otp", token: verified.accessToken).status == 409)
        #expect(try call(ResendVerification.endpoint, "POST", "/api/v1/auth/otp").status == 401)
        #expect(try call(VerifyEmail.endpoint, "POST", "/api/v1/auth/otp/verify", json: #"{"code":"123456"}"#).status == 401)
        let unverified = try Factory.user(db, verified: false)
        for body in [#"{"code":"12345"}"#, #"{"code":"abcdef"}"#, #"{"code":123456}"#, "{}"] {
            #expect(
                try call(VerifyEmail.endpoint, "POST", "/api/v1/auth/otp/verify", json: body, token: unverified.accessToken).status == 422)
        }
        #expect(
            try call(VerifyEmail.endpoint, "POST", "/api/v1/auth/otp/verify", json: #"{"code":"123456"}"#, token: unverified.accessToken)
                .code == "code_missing")
        #expect(try call(VerifyEmail.endpoint, "POST", "/api/v1/auth/otp/verify", json: "[", token: unverified.accessToken).status == 400)
    }

    @Test func unverifiedUsersAreRefusedByTheSharedCheck() throws {
        let db = try TestEnvironment.connect()
        let needsVerified = Endpoint(.post, "/x", access: .signedIn) { context in
            try context.user().requireVerifiedEmail()
            return .message("ok")
        }
        let unverified = try Factory.user(db, verified: false)
        let verified = try Factory.user(db, verified: true)
        let refused = try call(needsVerified, "POST", "/x", token: unverified.accessToken)
        #expect(refused.status == 403)
        #expect(refused.code == "email_unverified")
        #expect(try call(needsVerified, "POST", "/x", token: verified.accessToken).status == 200)
    }
}

@Suite struct PasswordResetTests {
    /// Runs the email worker's job for the newest reset request to `to` in-process, writing
    /// the message to a folder; returns the token from the link, or nil when nothing was sent.
    func resetToken(_ db: Connection, to: String) throws -> String? {
        guard
            let row = try db.query(
                "SELECT id, payload::text AS p FROM jobs WHERE kind = 'email.password_reset' AND payload->>'to' = \(to) ORDER BY id DESC LIMIT 1"
            ).first
        else { return nil }
        let job = Queue.Job(
            id: Int64(try row.int("id")), queue: "email", kind: "email.password_reset",
            payload: try JSONValue.parse(Array(try row.string("p").utf8)), attempt: 1, maxAttempts: 8)
        let folder = try makeTemporaryDirectory("reset-mail")
        defer { removeTemporaryDirectory(folder) }
        try EmailDelivery.handle(
            job, JobContext(db: db, config: try TestEnvironment.config(), log: Logger(component: "test"), worker: "test"),
            transport: FileTransport(folder: folder), templates: EmailTemplates(productName: "LMS", appURL: "https://app.test"),
            sender: MailAddress("no-reply@app.test"))
        let listing = try runCommand(["ls", folder])
        guard let file = String(decoding: listing.output, as: UTF8.self).split(separator: "\n").first else { return nil }
        let text = MIMEEntity(try readFileBytes("\(folder)/\(file)")).parts.first?.decodedText ?? ""
        guard let start = text.firstRange(of: "token=") else { return nil }
        return String(text[start.upperBound...].prefix { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" })
    }

    @Test func answersTheSameForKnownAndUnknownAddresses() throws {
        let db = try TestEnvironment.connect()
        let user = try Factory.user(db)
        let known = try call(
            RequestPasswordReset.endpoint, "POST", "/api/v1/auth/password-reset", json: #"{"email":"\#(user.email.uppercased())"}"#)
        let unknown = try call(
            RequestPasswordReset.endpoint, "POST", "/api/v1/auth/password-reset", json: #"{"email":"\#(Factory.uniqueEmail())"}"#)
        #expect(known.status == 200)
        #expect(known.body == unknown.body)
        #expect(try resetToken(db, to: user.email) != nil)
        // A second request within a minute sends nothing more, and says the same.
        let again = try call(RequestPasswordReset.endpoint, "POST", "/api/v1/auth/password-reset", json: #"{"email":"\#(user.email)"}"#)
        #expect(again.body == known.body)
        #expect(try resetToken(db, to: user.email) == nil)
        #expect(try db.query("SELECT count(*)::int AS n FROM password_resets WHERE user_id = \(user.id)").one().int("n") == 1)
    }

    @Test func confirmSetsThePasswordOnceAndEndsSessions() throws {
        let db = try TestEnvironment.connect()
        let user = try Factory.user(db)
        _ = try call(RequestPasswordReset.endpoint, "POST", "/api/v1/auth/password-reset", json: #"{"email":"\#(user.email)"}"#)
        let token = try #require(try resetToken(db, to: user.email))
        let confirm = try call(
            ConfirmPasswordReset.endpoint, "POST", "/api/v1/auth/password-reset/confirm",
            json: #"{"token":"\#(token)","new_password":"brand new secret"}"#)
        #expect(confirm.status == 200)
        #expect(try call(GetMe.endpoint, "GET", "/api/v1/users/me", token: user.accessToken).status == 401)
        #expect(
            try call(Login.endpoint, "POST", "/api/v1/auth/login", json: #"{"email":"\#(user.email)","password":"brand new secret"}"#)
                .status == 200)
        let reuse = try call(
            ConfirmPasswordReset.endpoint, "POST", "/api/v1/auth/password-reset/confirm",
            json: #"{"token":"\#(token)","new_password":"another new secret"}"#)
        #expect(reuse.status == 422)
        #expect(reuse.code == "reset_token_invalid")
    }

    @Test func refusesExpiredUnknownAndWeak() throws {
        let db = try TestEnvironment.connect()
        let user = try Factory.user(db)
        _ = try call(RequestPasswordReset.endpoint, "POST", "/api/v1/auth/password-reset", json: #"{"email":"\#(user.email)"}"#)
        let token = try #require(try resetToken(db, to: user.email))
        let weak = try call(
            ConfirmPasswordReset.endpoint, "POST", "/api/v1/auth/password-reset/confirm",
            json: #"{"token":"\#(token)","new_password":"short"}"#)
        #expect(weak.failedFields == ["new_password"])
        try db.execute("UPDATE password_resets SET expires_at = now() - interval '1 second' WHERE user_id = \(user.id)")
        #expect(
            try call(
                ConfirmPasswordReset.endpoint, "POST", "/api/v1/auth/password-reset/confirm",
                json: #"{"token":"\#(token)","new_password":"long enough now"}"#
            ).status == 422)
        #expect(
            try call(
                ConfirmPasswordReset.endpoint, "POST", "/api/v1/auth/password-reset/confirm",
                json: #"{"token":"made-up","new_password":"long enough now"}"#
            ).status == 422)
        #expect(
            try call(RequestPasswordReset.endpoint, "POST", "/api/v1/auth/password-reset", json: #"{"email":"not an email"}"#).status == 422
        )
        #expect(try call(RequestPasswordReset.endpoint, "POST", "/api/v1/auth/password-reset", json: "[]").status == 400)
    }

    @Test func suspendedAccountsGetNoLink() throws {
        let db = try TestEnvironment.connect()
        let user = try Factory.user(db, status: "suspended")
        #expect(
            try call(RequestPasswordReset.endpoint, "POST", "/api/v1/auth/password-reset", json: #"{"email":"\#(user.email)"}"#).status
                == 200)
        #expect(try resetToken(db, to: user.email) == nil)
        #expect(try db.query("SELECT 1 FROM password_resets WHERE user_id = \(user.id)").rows.isEmpty)
    }

    @Test func theTokenNeverSitsInTheJobsTable() throws {
        let db = try TestEnvironment.connect()
        let user = try Factory.user(db)
        _ = try call(RequestPasswordReset.endpoint, "POST", "/api/v1/auth/password-reset", json: #"{"email":"\#(user.email)"}"#)
        let payload = try #require(
            try db.query(
                "SELECT payload::text AS p FROM jobs WHERE kind = 'email.password_reset' AND payload->>'to' = \(user.email)"
            ).first
        ).string("p")
        #expect(!payload.contains("token\""))
        let token = try #require(try resetToken(db, to: user.email))
        #expect(!payload.contains(token))
    }
}

@Suite struct DeviceTests {
    @Test func registersListsAndDeletes() throws {
        let db = try TestEnvironment.connect()
        let user = try Factory.user(db)
        let token = "fcm-" + Factory.uniqueEmail("t")
        let created = try call(
            RegisterDevice.endpoint, "POST", "/api/v1/users/me/devices",
            json: #"{"token":"\#(token)","platform":"android","name":"Pixel"}"#, token: user.accessToken)
        #expect(created.status == 201)
        let id = try #require(created.data["id"]?.string)
        let again = try call(
            RegisterDevice.endpoint, "POST", "/api/v1/users/me/devices", json: #"{"token":"\#(token)","platform":"android"}"#,
            token: user.accessToken)
        #expect(again.data["id"]?.string == id)
        let list = try call(ListDevices.endpoint, "GET", "/api/v1/users/me/devices", token: user.accessToken)
        guard case .array(let devices) = list.data else {
            Issue.record("no list")
            return
        }
        #expect(devices.count == 1)
        #expect(!list.text.contains(token))
        let other = try Factory.user(db)
        #expect(try call(DeleteDevice.endpoint, "DELETE", "/api/v1/users/me/devices/\(id)", token: other.accessToken).status == 404)
        #expect(try call(DeleteDevice.endpoint, "DELETE", "/api/v1/users/me/devices/\(id)", token: user.accessToken).status == 200)
        #expect(try call(DeleteDevice.endpoint, "DELETE", "/api/v1/users/me/devices/\(id)", token: user.accessToken).status == 404)
        #expect(try call(DeleteDevice.endpoint, "DELETE", "/api/v1/users/me/devices/nope", token: user.accessToken).status == 404)
    }

    @Test func aStaleTokenMovesToTheUserWhoRegistersIt() throws {
        let db = try TestEnvironment.connect()
        let first = try Factory.user(db)
        let second = try Factory.user(db)
        let token = "fcm-" + Factory.uniqueEmail("t")
        _ = try call(
            RegisterDevice.endpoint, "POST", "/api/v1/users/me/devices", json: #"{"token":"\#(token)","platform":"ios"}"#,
            token: first.accessToken)
        try db.execute("UPDATE devices SET last_seen_at = now() - interval '31 days' WHERE token = \(token)")
        _ = try call(
            RegisterDevice.endpoint, "POST", "/api/v1/users/me/devices", json: #"{"token":"\#(token)","platform":"ios"}"#,
            token: second.accessToken)
        #expect(try db.query("SELECT user_id::text AS u FROM devices WHERE token = \(token)").one().string("u") == second.id)
    }

    @Test func refusesAnonymousAndInvalid() throws {
        let user = try Factory.user(TestEnvironment.connect())
        #expect(
            try call(RegisterDevice.endpoint, "POST", "/api/v1/users/me/devices", json: #"{"token":"x","platform":"android"}"#).status
                == 401)
        #expect(try call(ListDevices.endpoint, "GET", "/api/v1/users/me/devices").status == 401)
        let invalid = try call(
            RegisterDevice.endpoint, "POST", "/api/v1/users/me/devices", json: #"{"token":"","platform":"symbian"}"#,
            token: user.accessToken)
        #expect(Set(invalid.failedFields) == ["token", "platform"])
        #expect(try call(RegisterDevice.endpoint, "POST", "/api/v1/users/me/devices", json: "[]", token: user.accessToken).status == 400)
    }
}
