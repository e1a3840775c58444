import Core
import Database
import Delivery
import Notifications
import Push
import Queue
import Runtime
import TestSupport
import Testing
import Worker

/// The push worker's job against the real database and the fake FCM server (which checks the
/// service account's RS256 assertion like Google's token endpoint does).
@Suite struct PushDeliveryTests {
    func context(_ db: Connection) throws -> JobContext {
        JobContext(db: db, config: try TestEnvironment.config(), log: Logger(component: "test"), worker: "test")
    }

    /// Enqueues a push for `userId` and claims it, as the worker would.
    func claimPush(_ db: Connection, userId: String, key: String) throws -> Queue.Job {
        let queue = "push-\(key.suffix(10))"
        try Queue.enqueue(
            db, kind: "push.send",
            payload: Notifications.Push(
                userId: userId, title: "Course approved", body: "Swift 101 is live", data: ["course": "42"], messageKey: key),
            options: .init(queue: queue))
        return try #require(try Queue.claim(db, queue: queue, limit: 1, worker: "test").first)
    }

    func device(_ db: Connection, _ userId: String, _ token: String) throws {
        try db.execute("INSERT INTO devices (user_id, token, platform) VALUES (\(userId), \(token), 'android')")
    }

    @Test func deliversToEveryDeviceRemovesGoneTokensAndRetriesOnlyWhatFailed() throws {
        let fcm = try FakeFCM()
        defer { fcm.stop() }
        let db = try TestEnvironment.connect()
        let user = try Factory.user(db)
        let suffix = Factory.uniqueEmail("d").split(separator: "@")[0]
        try device(db, user.id, "ok-\(suffix)")
        try device(db, user.id, "gone-\(suffix)")
        try device(db, user.id, "flaky-\(suffix)")
        let transport = try FCMTransport(config: Config(["FCM_SERVICE_ACCOUNT_FILE": fcm.accountFile, "FCM_BASE_URL": fcm.baseURL]))
        let key = "test:\(suffix)"
        let job = try claimPush(db, userId: user.id, key: key)
        #expect(throws: DeliveryError.self) { try PushDelivery.handle(job, try context(db), transport: transport) }
        #expect(try db.query("SELECT 1 FROM devices WHERE token = \("gone-\(suffix)")").rows.isEmpty)
        #expect(try db.query("SELECT count(*)::int AS n FROM push_deliveries WHERE message_key = \(key)").one().int("n") == 1)
        // The retry sends to the flaky device only.
        try PushDelivery.handle(job, try context(db), transport: transport)
        let sends = try fcm.records().filter { $0.kind == "send" && $0.status == 200 }
        #expect(sends.map { $0.message?.token ?? "" }.sorted() == ["flaky-\(suffix)", "ok-\(suffix)"])
        #expect(sends.first?.message?.notification?.title == "Course approved")
        #expect(sends.first?.message?.data == ["course": "42"])
        #expect(try fcm.records().filter { $0.kind == "token" }.count == 1)  // the access token is cached
    }

    @Test func undecodablePayloadsFailPermanently() throws {
        let db = try TestEnvironment.connect()
        let job = Queue.Job(
            id: 1, queue: "push", kind: "push.send", payload: .object(["nonsense": .bool(true)]), attempt: 1, maxAttempts: 3)
        let transport = LogTransport(directory: "/tmp")
        #expect(throws: PermanentJobError.self) { try PushDelivery.handle(job, try context(db), transport: transport) }
    }
}
