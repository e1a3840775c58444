import Auth
import Core
import Database
import Identity
import Runtime
import TestSupport
import Testing

/// Sign-up, sign-in, refresh and sign-out, called in-process against the real test database.
@Suite struct SignupTests {
    @Test func createsStudentAndSignsIn() throws {
        let email = Factory.uniqueEmail("new")
        let response = try call(
            Signup.endpoint, "POST", "/api/v1/auth/signup", json: #"{"name":"Asha Rao","email":"\#(email)","password":"long enough pw"}"#)
        #expect(response.status == 201)
        #expect(response.data["user"]?["email"]?.string == email)
        #expect(response.data["user"]?["role"]?.string == "student")
        #expect(response.data["user"]?["email_verified"]?.bool == false)
        #expect(response.data["access_token"]?.string?.split(separator: ".").count == 3)
        #expect(response.data["refresh_token"]?.string?.isEmpty == false)
        let cookies = response.headers("Set-Cookie")
        #expect(cookies.contains { $0.hasPrefix("access_token=") && $0.contains("HttpOnly") && $0.contains("SameSite=Lax") })
        #expect(cookies.contains { $0.hasPrefix("refresh_token=") && $0.contains("Path=/api/v1/auth") && $0.contains("SameSite=Strict") })
        let stored = try TestEnvironment.connect().query("SELECT password_hash FROM users WHERE email = \(email)").first
        #expect(try stored?.string("password_hash").hasPrefix("$argon2id$") == true)
    }

    @Test func createsInstructor() throws {
        let response = try call(
            Signup.endpoint, "POST", "/api/v1/auth/signup",
            json: #"{"name":"Dev","email":"\#(Factory.uniqueEmail())","password":"long enough pw","role":"instructor"}"#)
        #expect(response.status == 201)
        #expect(response.data["user"]?["role"]?.string == "instructor")
    }

    @Test func nobodySignsUpAsAdmin() throws {
        let email = Factory.uniqueEmail()
        let response = try call(
            Signup.endpoint, "POST", "/api/v1/auth/signup",
            json: #"{"name":"Eve","email":"\#(email)","password":"long enough pw","role":"admin"}"#)
        #expect(response.status == 422)
        #expect(response.failedFields == ["role"])
        #expect(try TestEnvironment.connect().query("SELECT 1 FROM users WHERE email = \(email)").rows.isEmpty)
    }

    @Test func normalizesEmailAndRefusesDuplicatesInAnyCase() throws {
        let local = "MiXeD-\(Factory.uniqueEmail().split(separator: "@")[0])"
        let first = try call(
            Signup.endpoint, "POST", "/api/v1/auth/signup",
            json: #"{"name":"A","email":"  \#(local)@Exämple.TEST ","password":"long enough pw"}"#)
        #expect(first.status == 201)
        #expect(first.data["user"]?["email"]?.string == "\(local.lowercased())@exämple.test")
        let second = try call(
            Signup.endpoint, "POST", "/api/v1/auth/signup",
            json: #"{"name":"B","email":"\#(local.uppercased())@EXÄMPLE.test","password":"long enough pw"}"#)
        #expect(second.status == 409)
        #expect(second.code == "email_taken")
    }

    @Test func listsEveryInvalidField() throws {
        let response = try call(
            Signup.endpoint, "POST", "/api/v1/auth/signup", json: #"{"email":"not-an-email","password":"short","role":"x"}"#)
        #expect(response.status == 422)
        #expect(Set(response.failedFields) == ["name", "email", "password", "role"])
    }

    @Test func refusesNulBytesAndControlCharactersWithoutWriting() throws {
        let email = Factory.uniqueEmail()
        let response = try call(
            Signup.endpoint, "POST", "/api/v1/auth/signup",
            json: #"{"name":"Bad\u0000Name","email":"\#(email)","password":"long enough pw"}"#)
        #expect(response.status == 422)
        #expect(response.failedFields == ["name"])
        #expect(try TestEnvironment.connect().query("SELECT 1 FROM users WHERE email = \(email)").rows.isEmpty)
    }

    @Test func storesSQLMetacharactersVerbatim() throws {
        let name = "Robert'); DROP TABLE users;-- \\ $1 %"
        let response = try call(
            Signup.endpoint, "POST", "/api/v1/auth/signup",
            json:
                #"{"name":"Robert'); DROP TABLE users;-- \\ $1 %","email":"\#(Factory.uniqueEmail())","password":"'; SELECT pg_sleep(5);--"}"#
        )
        #expect(response.status == 201)
        #expect(response.data["user"]?["name"]?.string == name)
    }

    @Test func emailsThatGrowWhenLowercasedAreRefusedNot500() throws {
        let email = "a@" + String(repeating: "İ", count: 200) + ".com"
        let response = try call(
            Signup.endpoint, "POST", "/api/v1/auth/signup", json: #"{"name":"A","email":"\#(email)","password":"long enough pw"}"#)
        #expect(response.status == 422)
    }

    @Test func refusesOneMegabyteName() throws {
        let big = String(repeating: "x", count: 1 << 20)
        let response = try call(
            Signup.endpoint, "POST", "/api/v1/auth/signup",
            json: #"{"name":"\#(big)","email":"\#(Factory.uniqueEmail())","password":"long enough pw"}"#)
        #expect(response.status == 422)
    }

    @Test(arguments: [
        ("{\"name\":", "application/json", 400),
        ("[{\"name\":\"a\"}]", "application/json", 400),
        ("\"just a string\"", "application/json", 400),
        ("name=a&email=b", "application/x-www-form-urlencoded", 415),
        ("", "application/json", 400),
    ])
    func refusesMalformedBodies(body: String, type: String, status: Int) throws {
        let response = try call(Signup.endpoint, "POST", "/api/v1/auth/signup", body: Array(body.utf8), headers: ["content-type": type])
        #expect(response.status == status)
        #expect(response.json["success"]?.bool == false)
    }
}

@Suite struct LoginTests {
    @Test func signsInWithTheRightPassword() throws {
        let user = try Factory.user(TestEnvironment.connect())
        let response = try call(
            Login.endpoint, "POST", "/api/v1/auth/login", json: #"{"email":"\#(user.email.uppercased())","password":"\#(user.password)"}"#)
        #expect(response.status == 200)
        #expect(response.data["user"]?["id"]?.string == user.id)
        #expect(response.data["token_type"]?.string == "Bearer")
    }

    @Test func wrongPasswordAndUnknownEmailFailTheSameWay() throws {
        let user = try Factory.user(TestEnvironment.connect())
        let wrong = try call(Login.endpoint, "POST", "/api/v1/auth/login", json: #"{"email":"\#(user.email)","password":"nope nope"}"#)
        let unknown = try call(
            Login.endpoint, "POST", "/api/v1/auth/login", json: #"{"email":"\#(Factory.uniqueEmail())","password":"nope nope"}"#)
        #expect(wrong.status == 401)
        #expect(unknown.status == 401)
        #expect(wrong.code == "invalid_credentials")
        #expect(wrong.json["message"] == unknown.json["message"])
        #expect(wrong.code == unknown.code)
    }

    @Test func backsOffAfterRepeatedFailures() throws {
        let user = try Factory.user(TestEnvironment.connect())
        for _ in 0..<5 {
            let response = try call(
                Login.endpoint, "POST", "/api/v1/auth/login", json: #"{"email":"\#(user.email)","password":"wrong password"}"#)
            #expect(response.status == 401)
        }
        let locked = try call(
            Login.endpoint, "POST", "/api/v1/auth/login", json: #"{"email":"\#(user.email)","password":"\#(user.password)"}"#)
        #expect(locked.status == 429)
        #expect(Int(locked.header("Retry-After") ?? "") ?? 0 > 0)
    }

    @Test func concurrentGuessesCannotSlipPastTheLimit() async throws {
        let user = try Factory.user(TestEnvironment.connect())
        let statuses = await withTaskGroup(of: Int.self) { group in
            for _ in 0..<10 {
                group.addTask {
                    (try? call(
                        Login.endpoint, "POST", "/api/v1/auth/login", json: #"{"email":"\#(user.email)","password":"a wrong guess"}"#
                    ).status) ?? 0
                }
            }
            var all: [Int] = []
            for await status in group { all.append(status) }
            return all
        }
        #expect(statuses.filter { $0 == 401 }.count <= 5)
        #expect(statuses.filter { $0 == 429 }.count >= 5)
        #expect(statuses.allSatisfy { $0 == 401 || $0 == 429 })
    }

    @Test func unknownEmailsAreThrottledToo() throws {
        let email = Factory.uniqueEmail()
        for _ in 0..<5 {
            _ = try call(Login.endpoint, "POST", "/api/v1/auth/login", json: #"{"email":"\#(email)","password":"wrong password"}"#)
        }
        let locked = try call(Login.endpoint, "POST", "/api/v1/auth/login", json: #"{"email":"\#(email)","password":"wrong password"}"#)
        #expect(locked.status == 429)
    }

    @Test func suspendedUserIsRefused() throws {
        let user = try Factory.user(TestEnvironment.connect(), status: "suspended")
        let response = try call(
            Login.endpoint, "POST", "/api/v1/auth/login", json: #"{"email":"\#(user.email)","password":"\#(user.password)"}"#)
        #expect(response.status == 403)
        #expect(response.code == "account_suspended")
    }

    @Test func rehashesWeakerHashesOnSignIn() throws {
        let db = try TestEnvironment.connect()
        let user = try Factory.user(db)  // factory hashes with weak parameters
        _ = try call(Login.endpoint, "POST", "/api/v1/auth/login", json: #"{"email":"\#(user.email)","password":"\#(user.password)"}"#)
        let hash = try db.query("SELECT password_hash FROM users WHERE id = \(user.id)").one().string("password_hash")
        #expect(hash.contains("m=19456,t=2,p=1"))
    }

    @Test func missingFieldsAre422() throws {
        let response = try call(Login.endpoint, "POST", "/api/v1/auth/login", json: "{}")
        #expect(response.status == 422)
        #expect(Set(response.failedFields) == ["email", "password"])
    }
}

@Suite struct RefreshTests {
    func signIn(_ user: TestUser) throws -> TestResponse {
        try call(Login.endpoint, "POST", "/api/v1/auth/login", json: #"{"email":"\#(user.email)","password":"\#(user.password)"}"#)
    }

    @Test func rotatesAndDetectsReuse() throws {
        let user = try Factory.user(TestEnvironment.connect())
        let first = try #require(try signIn(user).data["refresh_token"]?.string)
        let rotated = try call(Refresh.endpoint, "POST", "/api/v1/auth/refresh", json: #"{"refresh_token":"\#(first)"}"#)
        #expect(rotated.status == 200)
        let second = try #require(rotated.data["refresh_token"]?.string)
        #expect(second != first)
        // Within seconds, a second use is a concurrent refresh (another tab): 409, nothing revoked.
        let concurrent = try call(Refresh.endpoint, "POST", "/api/v1/auth/refresh", json: #"{"refresh_token":"\#(first)"}"#)
        #expect(concurrent.status == 409)
        #expect(concurrent.code == "refresh_in_progress")
        try TestEnvironment.connect().execute(
            "UPDATE refresh_tokens SET used_at = now() - interval '1 minute' WHERE user_id = \(user.id) AND used_at IS NOT NULL")
        // Later, replaying the spent token revokes the family, including the token it was exchanged for.
        let replay = try call(Refresh.endpoint, "POST", "/api/v1/auth/refresh", json: #"{"refresh_token":"\#(first)"}"#)
        #expect(replay.status == 401)
        #expect(replay.code == "invalid_refresh_token")
        let afterReplay = try call(Refresh.endpoint, "POST", "/api/v1/auth/refresh", json: #"{"refresh_token":"\#(second)"}"#)
        #expect(afterReplay.status == 401)
    }

    @Test func otherSessionsSurviveAReuse() throws {
        let user = try Factory.user(TestEnvironment.connect())
        let phone = try #require(try signIn(user).data["refresh_token"]?.string)
        let laptop = try #require(try signIn(user).data["refresh_token"]?.string)
        _ = try call(Refresh.endpoint, "POST", "/api/v1/auth/refresh", json: #"{"refresh_token":"\#(phone)"}"#)
        try TestEnvironment.connect().execute(
            "UPDATE refresh_tokens SET used_at = now() - interval '1 minute' WHERE user_id = \(user.id) AND used_at IS NOT NULL")
        #expect(try call(Refresh.endpoint, "POST", "/api/v1/auth/refresh", json: #"{"refresh_token":"\#(phone)"}"#).status == 401)
        #expect(try call(Refresh.endpoint, "POST", "/api/v1/auth/refresh", json: #"{"refresh_token":"\#(laptop)"}"#).status == 200)
    }

    @Test func acceptsTheCookie() throws {
        let user = try Factory.user(TestEnvironment.connect())
        let token = try #require(try signIn(user).data["refresh_token"]?.string)
        let response = try call(Refresh.endpoint, "POST", "/api/v1/auth/refresh", headers: ["cookie": "refresh_token=\(token)"])
        #expect(response.status == 200)
    }

    @Test func refusesUnknownExpiredAndMissingTokens() throws {
        let db = try TestEnvironment.connect()
        #expect(try call(Refresh.endpoint, "POST", "/api/v1/auth/refresh", json: #"{"refresh_token":"made-up"}"#).status == 401)
        #expect(try call(Refresh.endpoint, "POST", "/api/v1/auth/refresh").status == 401)
        let user = try Factory.user(db)
        let token = try #require(try signIn(user).data["refresh_token"]?.string)
        try db.execute("UPDATE refresh_tokens SET expires_at = now() - interval '1 second' WHERE user_id = \(user.id)")
        #expect(try call(Refresh.endpoint, "POST", "/api/v1/auth/refresh", json: #"{"refresh_token":"\#(token)"}"#).status == 401)
    }

    @Test func refusesSuspendedUsers() throws {
        let db = try TestEnvironment.connect()
        let user = try Factory.user(db)
        let token = try #require(try signIn(user).data["refresh_token"]?.string)
        try db.execute("UPDATE users SET status = 'suspended' WHERE id = \(user.id)")
        let response = try call(Refresh.endpoint, "POST", "/api/v1/auth/refresh", json: #"{"refresh_token":"\#(token)"}"#)
        #expect(response.status == 403)
        #expect(response.code == "account_suspended")
    }

    @Test func refusesNonStringToken() throws {
        let response = try call(Refresh.endpoint, "POST", "/api/v1/auth/refresh", json: #"{"refresh_token":42}"#)
        #expect(response.status == 422)
    }
}

@Suite struct LogoutTests {
    @Test func revokesTheSessionAndClearsCookies() throws {
        let user = try Factory.user(TestEnvironment.connect())
        let login = try call(
            Login.endpoint, "POST", "/api/v1/auth/login", json: #"{"email":"\#(user.email)","password":"\#(user.password)"}"#)
        let token = try #require(login.data["refresh_token"]?.string)
        let response = try call(Logout.endpoint, "POST", "/api/v1/auth/logout", json: #"{"refresh_token":"\#(token)"}"#)
        #expect(response.status == 200)
        #expect(response.headers("Set-Cookie").contains { $0.hasPrefix("access_token=;") && $0.contains("Max-Age=0") })
        #expect(try call(Refresh.endpoint, "POST", "/api/v1/auth/refresh", json: #"{"refresh_token":"\#(token)"}"#).status == 401)
    }

    @Test func succeedsWithoutAToken() throws {
        #expect(try call(Logout.endpoint, "POST", "/api/v1/auth/logout").status == 200)
    }

    @Test func refusesMalformedBody() throws {
        #expect(try call(Logout.endpoint, "POST", "/api/v1/auth/logout", json: "[").status == 400)
    }
}
