import Core
import Database
import Identity
import Runtime
import TestSupport
import Testing

/// Who holds a push registration token: the account that registered it, until it removes the
/// device, deletes the account or lets the registration go stale.
@Suite struct DeviceTokenTests {
    func register(_ token: String, as user: TestUser) throws -> TestResponse {
        try call(
            RegisterDevice.endpoint, "POST", "/api/v1/users/me/devices", json: #"{"token":"\#(token)","platform":"android"}"#,
            token: user.accessToken)
    }

    func holder(_ db: Connection, _ token: String) throws -> String? {
        try db.query("SELECT user_id::text AS u FROM devices WHERE token = \(token)").first?.string("u")
    }

    @Test func anotherUserCannotTakeALiveToken() throws {
        let db = try TestEnvironment.connect()
        let owner = try Factory.user(db)
        let intruder = try Factory.user(db)
        let token = "fcm-" + Factory.uniqueEmail("live")
        #expect(try register(token, as: owner).status == 201)
        let refused = try register(token, as: intruder)
        #expect(refused.status == 409)
        #expect(refused.code == "device_token_taken")
        #expect(try holder(db, token) == owner.id)
        // The owner re-registering (every app start) still works.
        #expect(try register(token, as: owner).status == 201)
    }

    @Test func aRemovedTokenCanBeRegisteredByTheNextUser() throws {
        let db = try TestEnvironment.connect()
        let first = try Factory.user(db)
        let next = try Factory.user(db)
        let token = "fcm-" + Factory.uniqueEmail("shared")
        let id = try #require(try register(token, as: first).data["id"]?.string)
        #expect(
            try call(
                DeleteDevice.endpoint, "DELETE", "/api/v1/users/me/devices/\(id)",
                token: first.accessToken
            ).status == 200)
        #expect(try register(token, as: next).status == 201)
        #expect(try holder(db, token) == next.id)
    }

    @Test func aDeletedAccountGivesUpItsTokens() throws {
        let db = try TestEnvironment.connect()
        let first = try Factory.user(db)
        let next = try Factory.user(db)
        let token = "fcm-" + Factory.uniqueEmail("gone")
        #expect(try register(token, as: first).status == 201)
        #expect(
            try call(DeleteMe.endpoint, "DELETE", "/api/v1/users/me", json: #"{"password":"\#(first.password)"}"#, token: first.accessToken)
                .status == 200)
        #expect(try register(token, as: next).status == 201)
        #expect(try holder(db, token) == next.id)
    }

    @Test func aStaleTokenGoesToTheNextUserWithAFreshRegistration() throws {
        let db = try TestEnvironment.connect()
        let first = try Factory.user(db)
        let next = try Factory.user(db)
        let token = "fcm-" + Factory.uniqueEmail("stale")
        _ = try call(
            RegisterDevice.endpoint, "POST", "/api/v1/users/me/devices",
            json: #"{"token":"\#(token)","platform":"ios","name":"Old phone"}"#,
            token: first.accessToken)
        try db.execute("UPDATE devices SET last_seen_at = now() - interval '29 days' WHERE token = \(token)")
        #expect(try register(token, as: next).status == 409)
        try db.execute(
            "UPDATE devices SET last_seen_at = now() - interval '31 days', created_at = now() - interval '90 days' WHERE token = \(token)")
        let taken = try register(token, as: next)
        #expect(taken.status == 201)
        #expect(taken.data["name"] == .null)
        #expect(taken.data["platform"]?.string == "android")
        #expect(try holder(db, token) == next.id)
        let list = try call(ListDevices.endpoint, "GET", "/api/v1/users/me/devices", token: first.accessToken)
        #expect(list.data == .array([]))
    }
}
