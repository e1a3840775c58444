import Auth
import Core
import Crypto
import Database
import Identity
import Runtime
import TestSupport
import Testing

/// The caller's account and public profiles; the role guard and token checks every later
/// function relies on.
@Suite struct AuthenticationTests {
    @Test func readsOwnAccountWithBearerOrCookie() throws {
        let user = try Factory.user(TestEnvironment.connect())
        let bearer = try call(GetMe.endpoint, "GET", "/api/v1/users/me", token: user.accessToken)
        #expect(bearer.status == 200)
        #expect(bearer.data["email"]?.string == user.email)
        #expect(bearer.data["links"] == .object([:]))
        #expect(bearer.data["headline"] == .null)
        let cookie = try call(GetMe.endpoint, "GET", "/api/v1/users/me", headers: ["cookie": "access_token=\(user.accessToken)"])
        #expect(cookie.status == 200)
    }

    @Test func anonymousIs401() throws {
        let response = try call(GetMe.endpoint, "GET", "/api/v1/users/me")
        #expect(response.status == 401)
        #expect(response.code == "unauthorized")
    }

    @Test func refusesBadTokens() throws {
        let user = try Factory.user(TestEnvironment.connect())
        let parts = user.accessToken.split(separator: ".")
        let none = Base64URL.encode(Array(#"{"alg":"none","typ":"JWT"}"#.utf8)) + ".\(parts[1])."
        let otherUser = try Factory.token(for: "00000000-0000-4000-8000-000000000000", role: .admin)
        let tampered = "\(parts[0]).\(otherUser.split(separator: ".")[1]).\(parts[2])"
        let expired = try Factory.token(for: user.id, role: .student, expiresIn: -10)
        for (token, code) in [
            (none, "invalid_token"), (tampered, "invalid_token"), (expired, "token_expired"), ("garbage", "invalid_token"),
        ] {
            let response = try call(GetMe.endpoint, "GET", "/api/v1/users/me", token: token)
            #expect(response.status == 401)
            #expect(response.code == code)
        }
        let basic = try call(
            GetMe.endpoint, "GET", "/api/v1/users/me",
            headers: ["authorization": "Basic dXNlcjpwYXNz", "cookie": "access_token=\(user.accessToken)"])
        #expect(basic.status == 401)
    }

    @Test func refusesTokensOfUnknownSuspendedAndDeletedUsers() throws {
        let db = try TestEnvironment.connect()
        let ghost = try Factory.token(for: "00000000-0000-4000-8000-000000000000", role: .student)
        #expect(try call(GetMe.endpoint, "GET", "/api/v1/users/me", token: ghost).status == 401)
        let suspended = try Factory.user(db, status: "suspended")
        let response = try call(GetMe.endpoint, "GET", "/api/v1/users/me", token: suspended.accessToken)
        #expect(response.status == 403)
        #expect(response.code == "account_suspended")
        let deleted = try Factory.user(db)
        try db.execute("UPDATE users SET status = 'deleted', deleted_at = now() WHERE id = \(deleted.id)")
        #expect(try call(GetMe.endpoint, "GET", "/api/v1/users/me", token: deleted.accessToken).status == 401)
    }

    @Test func roleGuardAdmitsOnlyListedRoles() throws {
        let db = try TestEnvironment.connect()
        let adminsOnly = Endpoint(.get, "/x", access: .roles([.admin])) { _ in .message("ok") }
        let student = try Factory.user(db, role: .student)
        let instructor = try Factory.user(db, role: .instructor)
        let admin = try Factory.user(db, role: .admin)
        #expect(try call(adminsOnly, "GET", "/x", token: student.accessToken).status == 403)
        #expect(try call(adminsOnly, "GET", "/x", token: instructor.accessToken).status == 403)
        #expect(try call(adminsOnly, "GET", "/x", token: admin.accessToken).status == 200)
        #expect(try call(adminsOnly, "GET", "/x").status == 401)
    }

    @Test func roleComesFromTheDatabaseNotTheToken() throws {
        let db = try TestEnvironment.connect()
        let student = try Factory.user(db, role: .student)
        let claimsAdmin = try Factory.token(for: student.id, role: .admin)
        let adminsOnly = Endpoint(.get, "/x", access: .roles([.admin])) { _ in .message("ok") }
        #expect(try call(adminsOnly, "GET", "/x", token: claimsAdmin).status == 403)
    }
}

@Suite struct UpdateMeTests {
    @Test func updatesAndClearsProfileFields() throws {
        let user = try Factory.user(TestEnvironment.connect())
        let update = try call(
            UpdateMe.endpoint, "PATCH", "/api/v1/users/me",
            json:
                #"{"name":"  Asha R. ","headline":"Teacher","bio":"Line one\nLine two","phone":"+91 98765 43210","avatar_url":"https://cdn.example.test/a.png","links":{"website":"https://asha.example.test"}}"#,
            token: user.accessToken)
        #expect(update.status == 200)
        #expect(update.data["name"]?.string == "Asha R.")
        #expect(update.data["bio"]?.string == "Line one\nLine two")
        #expect(update.data["links"]?["website"]?.string == "https://asha.example.test")
        let clear = try call(
            UpdateMe.endpoint, "PATCH", "/api/v1/users/me", json: #"{"headline":null,"phone":"","links":null}"#, token: user.accessToken)
        #expect(clear.status == 200)
        #expect(clear.data["headline"] == .null)
        #expect(clear.data["phone"] == .null)
        #expect(clear.data["name"]?.string == "Asha R.")
        #expect(clear.data["links"] == .object([:]))
    }

    @Test func listsEveryInvalidField() throws {
        let user = try Factory.user(TestEnvironment.connect())
        let response = try call(
            UpdateMe.endpoint, "PATCH", "/api/v1/users/me",
            json:
                #"{"name":null,"phone":"call me","avatar_url":"javascript:alert(1)","links":{"myspace":"https://x.test"},"headline":"\#(String(repeating: "h", count: 121))"}"#,
            token: user.accessToken)
        #expect(response.status == 422)
        #expect(Set(response.failedFields) == ["name", "phone", "avatar_url", "links", "headline"])
    }

    @Test func cannotChangeEmailRoleOrStatus() throws {
        let user = try Factory.user(TestEnvironment.connect())
        let response = try call(
            UpdateMe.endpoint, "PATCH", "/api/v1/users/me", json: #"{"role":"admin","status":"active","email":"x@y.test"}"#,
            token: user.accessToken)
        #expect(response.status == 200)
        #expect(response.data["role"]?.string == "student")
        #expect(response.data["email"]?.string == user.email)
    }

    @Test func refusesAnonymousAndBadBodies() throws {
        let user = try Factory.user(TestEnvironment.connect())
        #expect(try call(UpdateMe.endpoint, "PATCH", "/api/v1/users/me", json: "{}").status == 401)
        #expect(try call(UpdateMe.endpoint, "PATCH", "/api/v1/users/me", json: "[1]", token: user.accessToken).status == 400)
        #expect(
            try call(
                UpdateMe.endpoint, "PATCH", "/api/v1/users/me", body: Array("name=x".utf8), token: user.accessToken,
                headers: ["content-type": "text/plain"]
            ).status == 415)
    }
}

@Suite struct ChangePasswordTests {
    @Test func changesPasswordAndEndsOtherSessions() throws {
        let user = try Factory.user(TestEnvironment.connect())
        let login = try call(
            Login.endpoint, "POST", "/api/v1/auth/login", json: #"{"email":"\#(user.email)","password":"\#(user.password)"}"#)
        let oldRefresh = try #require(login.data["refresh_token"]?.string)
        let response = try call(
            ChangePassword.endpoint, "POST", "/api/v1/users/me/password",
            json: #"{"current_password":"\#(user.password)","new_password":"a brand new passphrase"}"#, token: user.accessToken)
        #expect(response.status == 200)
        let newAccess = try #require(response.data["access_token"]?.string)
        #expect(try call(GetMe.endpoint, "GET", "/api/v1/users/me", token: user.accessToken).status == 401)
        #expect(try call(GetMe.endpoint, "GET", "/api/v1/users/me", token: newAccess).status == 200)
        #expect(try call(Refresh.endpoint, "POST", "/api/v1/auth/refresh", json: #"{"refresh_token":"\#(oldRefresh)"}"#).status == 401)
        #expect(
            try call(Login.endpoint, "POST", "/api/v1/auth/login", json: #"{"email":"\#(user.email)","password":"a brand new passphrase"}"#)
                .status == 200)
    }

    @Test func refusesWrongCurrentPassword() throws {
        let user = try Factory.user(TestEnvironment.connect())
        let response = try call(
            ChangePassword.endpoint, "POST", "/api/v1/users/me/password",
            json: #"{"current_password":"not it at all","new_password":"a brand new passphrase"}"#, token: user.accessToken)
        #expect(response.status == 422)
        #expect(response.failedFields == ["current_password"])
    }

    @Test func refusesWeakOrUnchangedPasswordsAndAnonymous() throws {
        let user = try Factory.user(TestEnvironment.connect())
        let weak = try call(
            ChangePassword.endpoint, "POST", "/api/v1/users/me/password",
            json: #"{"current_password":"\#(user.password)","new_password":"short"}"#,
            token: user.accessToken)
        #expect(weak.failedFields == ["new_password"])
        let same = try call(
            ChangePassword.endpoint, "POST", "/api/v1/users/me/password",
            json: #"{"current_password":"\#(user.password)","new_password":"\#(user.password)"}"#, token: user.accessToken)
        #expect(same.failedFields == ["new_password"])
        #expect(try call(ChangePassword.endpoint, "POST", "/api/v1/users/me/password", json: "{}").status == 401)
    }
}

@Suite struct DeleteMeTests {
    @Test func anonymizesTheAccount() throws {
        let db = try TestEnvironment.connect()
        let user = try Factory.user(db)
        _ = try call(
            UpdateMe.endpoint, "PATCH", "/api/v1/users/me", json: #"{"bio":"private","phone":"+1 555 0100"}"#, token: user.accessToken)
        let response = try call(
            DeleteMe.endpoint, "DELETE", "/api/v1/users/me", json: #"{"password":"\#(user.password)"}"#, token: user.accessToken)
        #expect(response.status == 200)
        let row = try #require(try db.query("SELECT email, name, status, bio, phone, password_hash FROM users WHERE id = \(user.id)").first)
        #expect(try row.string("status") == "deleted")
        #expect(try row.string("email") != user.email)
        #expect(try row.optionalString("bio") == nil)
        #expect(try row.optionalString("phone") == nil)
        #expect(try row.optionalString("password_hash") == nil)
        #expect(try db.query("SELECT 1 FROM refresh_tokens WHERE user_id = \(user.id)").rows.isEmpty)
        #expect(try call(GetMe.endpoint, "GET", "/api/v1/users/me", token: user.accessToken).status == 401)
        #expect(try call(GetProfile.endpoint, "GET", "/api/v1/users/\(user.id)").status == 404)
        let again = try call(
            Signup.endpoint, "POST", "/api/v1/auth/signup", json: #"{"name":"Again","email":"\#(user.email)","password":"long enough pw"}"#)
        #expect(again.status == 201)
    }

    @Test func requiresThePassword() throws {
        let user = try Factory.user(TestEnvironment.connect())
        let wrong = try call(DeleteMe.endpoint, "DELETE", "/api/v1/users/me", json: #"{"password":"wrong one"}"#, token: user.accessToken)
        #expect(wrong.status == 422)
        let missing = try call(DeleteMe.endpoint, "DELETE", "/api/v1/users/me", json: "{}", token: user.accessToken)
        #expect(missing.failedFields == ["password"])
        #expect(try call(GetMe.endpoint, "GET", "/api/v1/users/me", token: user.accessToken).status == 200)
        #expect(try call(DeleteMe.endpoint, "DELETE", "/api/v1/users/me", json: #"{"password":"x"}"#).status == 401)
    }
}

@Suite struct PublicProfileTests {
    @Test func showsOnlyPublicFields() throws {
        let user = try Factory.user(TestEnvironment.connect(), role: .instructor)
        let response = try call(GetProfile.endpoint, "GET", "/api/v1/users/\(user.id)")
        #expect(response.status == 200)
        #expect(response.data["name"]?.string == user.name)
        #expect(response.data["role"]?.string == "instructor")
        #expect(response.data["email"] == nil)
        #expect(response.data["phone"] == nil)
        #expect(!response.text.contains(user.email))
    }

    @Test func unknownMalformedAndSuspendedAre404() throws {
        let suspended = try Factory.user(TestEnvironment.connect(), status: "suspended")
        for id in ["00000000-0000-4000-8000-000000000000", "not-a-uuid", "1%27%20OR%201=1", suspended.id] {
            let response = try call(GetProfile.endpoint, "GET", "/api/v1/users/\(id)")
            #expect(response.status == 404)
        }
    }
}

@Suite struct HealthTests {
    @Test func reportsDatabaseAndSchema() throws {
        let response = try call(Health.endpoint, "GET", "/api/v1/health")
        #expect(response.status == 200)
        #expect(response.data["database"]?.string == "ok")
        #expect((response.data["schema_version"]?.number ?? 0) >= 1)
    }

    @Test func unreachableDatabaseIs503() throws {
        let down = DatabaseSource(url: "postgresql:///lms?host=/nonexistent&connect_timeout=1", prepareStatements: false)
        let response = try call(Health.endpoint, "GET", "/api/v1/health", database: down)
        #expect(response.status == 503)
        #expect(response.code == "service_unavailable")
        #expect(!response.text.contains("nonexistent"))
    }

    @Test func missingSecretIs500WithoutDetails() throws {
        let user = try Factory.user(TestEnvironment.connect())
        let response = try call(
            GetMe.endpoint, "GET", "/api/v1/users/me", token: user.accessToken, config: Config(["LOG_REQUESTS": "false"]))
        #expect(response.status == 500)
        #expect(!response.text.contains("JWT_SECRET"))
        #expect(response.json["request_id"]?.string?.isEmpty == false)
    }
}

@Suite struct ThrottleSeparationTests {
    @Test func failedSignInsByStrangersDoNotLockAccountSettings() throws {
        let user = try Factory.user(TestEnvironment.connect())
        for _ in 0..<7 {
            _ = try call(Login.endpoint, "POST", "/api/v1/auth/login", json: #"{"email":"\#(user.email)","password":"attacker guess"}"#)
        }
        let change = try call(
            ChangePassword.endpoint, "POST", "/api/v1/users/me/password",
            json: #"{"current_password":"\#(user.password)","new_password":"another fine passphrase"}"#, token: user.accessToken)
        #expect(change.status == 200)
    }

    @Test func wrongPasswordConfirmationsBackOff() throws {
        let user = try Factory.user(TestEnvironment.connect())
        for _ in 0..<5 {
            _ = try call(DeleteMe.endpoint, "DELETE", "/api/v1/users/me", json: #"{"password":"guess"}"#, token: user.accessToken)
        }
        let locked = try call(
            DeleteMe.endpoint, "DELETE", "/api/v1/users/me", json: #"{"password":"\#(user.password)"}"#, token: user.accessToken)
        #expect(locked.status == 429)
    }

    @Test func lengthLimitsCountCodePointsLikeThePostgresChecks() throws {
        let user = try Factory.user(TestEnvironment.connect())
        // 100 user-perceived characters, 200 code points: refused with 422, never a 500.
        let name = String(repeating: "👍🏽", count: 100)
        let response = try call(UpdateMe.endpoint, "PATCH", "/api/v1/users/me", json: #"{"name":"\#(name)"}"#, token: user.accessToken)
        #expect(response.status == 422)
    }
}
