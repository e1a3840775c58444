import Core
import Crypto
import FoundationEssentials
import Push
import Runtime
import TestSupport
import Testing

/// FCM HTTP v1 through libcurl against `infra/testing/fake_fcm.py` (a real RS256-verifying
/// OAuth endpoint and FCM fake), the log transport, and RS256 signing.
@Suite struct PushTests {
    let message = PushMessage(
        title: "Certificate \"ready\" 🎓", body: "Your certificate for Swift 101 is ready.",
        data: ["kind": "certificate", "course_id": "c-42"])

    func transport(_ fake: FakeFCM) throws -> FCMTransport {
        try FCMTransport(config: Config(["FCM_SERVICE_ACCOUNT_FILE": fake.accountFile, "FCM_BASE_URL": fake.baseURL]))
    }

    @Test func deliversMessageWithPayloadAndSignedAssertion() throws {
        let fake = try FakeFCM()
        #expect(try transport(fake).send(message, to: "device-1") == .delivered)

        let records = try fake.records()
        let account = try ServiceAccount.load(path: fake.accountFile)
        let claims = try #require(records.first { $0.kind == "token" }?.claims)
        #expect(claims.iss == account.clientEmail)
        #expect(claims.scope == "https://www.googleapis.com/auth/firebase.messaging")
        #expect(claims.aud == fake.baseURL + "/token")
        #expect(claims.exp == claims.iat + 3600)
        #expect(abs(claims.iat - unixTime()) < 60)

        let sends = records.filter { $0.kind == "send" }
        try #require(sends.count == 1)
        #expect(sends[0].status == 200)
        #expect(sends[0].project == "fake-project")
        let sent = try #require(sends[0].message)
        #expect(sent.token == "device-1")
        #expect(sent.notification?.title == message.title)
        #expect(sent.notification?.body == message.body)
        #expect(sent.data == message.data)
    }

    @Test func reusesAccessTokenAcrossSends() throws {
        let fake = try FakeFCM()
        let fcm = try transport(fake)
        for device in ["device-1", "device-2", "device-3"] {
            #expect(try fcm.send(message, to: device) == .delivered)
        }
        let records = try fake.records()
        #expect(records.filter { $0.kind == "token" }.count == 1)
        #expect(records.filter { $0.kind == "send" && $0.status == 200 }.count == 3)
    }

    @Test func fetchesNewAccessTokenOnceWhenFCMRefusesCachedOne() throws {
        let fake = try FakeFCM()
        let fcm = try transport(fake)
        #expect(try fcm.send(message, to: "device-1") == .delivered)
        // The fake forgets every access token it issued and answers 401 once.
        #expect(try fcm.send(message, to: "revoke-1") == .delivered)
        let records = try fake.records()
        #expect(records.filter { $0.kind == "token" }.count == 2)
        #expect(records.filter { $0.kind == "send" }.map(\.status) == [200, 401, 200])
    }

    @Test func reportsUnregisteredTokenAsGone() throws {
        let fake = try FakeFCM()
        #expect(try transport(fake).send(message, to: "gone-1") == .tokenGone)
    }

    @Test func reportsInvalidTokenAsGone() throws {
        let fake = try FakeFCM()
        #expect(try transport(fake).send(message, to: "invalid-1") == .tokenGone)
    }

    @Test func reportsRejectedPayloadAsPermanent() throws {
        let fake = try FakeFCM()
        let reserved = PushMessage(title: "t", body: "b", data: ["from": "reserved by FCM"])
        let result = try transport(fake).send(reserved, to: "device-1")
        guard case .permanent(let reason) = result else {
            Issue.record("expected .permanent, got \(result)")
            return
        }
        #expect(reason.contains("INVALID_ARGUMENT"))
    }

    @Test func reportsUnavailableAsTransientThenDelivers() throws {
        let fake = try FakeFCM()
        let fcm = try transport(fake)
        let first = try fcm.send(message, to: "flaky-1")
        guard case .transient(let reason) = first else {
            Issue.record("expected .transient, got \(first)")
            return
        }
        #expect(reason.contains("503"))
        #expect(try fcm.send(message, to: "flaky-1") == .delivered)
    }

    @Test func reportsUnreachableServerAsTransient() throws {
        let fake = try FakeFCM()
        let fcm = try transport(fake)
        #expect(try fcm.send(message, to: "device-1") == .delivered)
        fake.stop()
        // With a cached access token the send itself fails; without one, the token request does.
        let cached = try fcm.send(message, to: "device-1")
        let fresh = try transport(fake).send(message, to: "device-1")
        for result in [cached, fresh] {
            guard case .transient = result else {
                Issue.record("expected .transient, got \(result)")
                continue
            }
        }
    }

    @Test func throwsWhenTokenEndpointRefusesTheKey() throws {
        let fake = try FakeFCM()
        let directory = try makeTemporaryDirectory("push-key")
        defer { removeTemporaryDirectory(directory) }
        var account = try ServiceAccount.load(path: fake.accountFile)
        account.privateKey = try generateKey(in: directory)  // not the key the server knows
        let fcm = try FCMTransport(account: account, baseURL: fake.baseURL)
        #expect(throws: PushError.self) { try fcm.send(message, to: "device-1") }
        #expect(try fake.records().contains { $0.kind == "token-refused" })
    }

    @Test func signsRS256ExactlyAsOpenSSLDoes() throws {
        let directory = try makeTemporaryDirectory("push-rsa")
        defer { removeTemporaryDirectory(directory) }
        let pem = try generateKey(in: directory)
        let input = Array("eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJ4In0".utf8)
        let signature = try RSAPrivateKey(pem: pem).signRS256(input)
        // PKCS#1 v1.5 is deterministic: OpenSSL's command line must produce the same bytes.
        let expected = try runCommand(["openssl", "dgst", "-sha256", "-binary", "-sign", directory + "/key.pem"], input: input)
        try #require(expected.status == 0)
        #expect(signature.count == 256)
        #expect(signature == expected.output)
    }

    @Test func refusesKeysThatAreNotRSA() throws {
        let directory = try makeTemporaryDirectory("push-ec")
        defer { removeTemporaryDirectory(directory) }
        let generated = try runCommand([
            "openssl", "genpkey", "-quiet", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", directory + "/ec.pem",
        ])
        try #require(generated.status == 0)
        #expect(throws: CryptoError.self) { try RSAPrivateKey(pem: try readTextFile(directory + "/ec.pem")) }
        #expect(throws: CryptoError.self) { try RSAPrivateKey(pem: "-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n") }
    }

    @Test func logTransportAppendsOneJSONLinePerPush() throws {
        let directory = try makeTemporaryDirectory("push-log")
        defer { removeTemporaryDirectory(directory) }
        let config = Config(["LMS_PUSH_DIR": directory + "/push"])
        let log = try #require(try Push.transport(config: config) as? LogTransport)
        #expect(try log.send(message, to: "device-1") == .delivered)
        #expect(try log.send(message, to: "device-2") == .delivered)

        let lines = try readTextFile(directory + "/push/push.log").split(separator: "\n")
        try #require(lines.count == 2)
        let first = try JSONValue.parse(Array(lines[0].utf8))
        #expect(first["token"] == .string("device-1"))
        #expect(first["title"] == .string(message.title))
        #expect(first["body"] == .string(message.body))
        #expect(first["data"] == .object(["kind": .string("certificate"), "course_id": .string("c-42")]))
    }

    @Test func choosesTransportFromConfiguration() throws {
        let fake = try FakeFCM()
        #expect(try Push.transport(config: Config(["FCM_SERVICE_ACCOUNT_FILE": fake.accountFile])) is FCMTransport)
        #expect(try Push.transport(config: Config([:])) is LogTransport)
        #expect(throws: ConfigError.self) { try Push.transport(config: Config(["LMS_ENV": "production"])) }
        #expect(throws: PushError.self) { try Push.transport(config: Config(["FCM_SERVICE_ACCOUNT_FILE": "/nonexistent.json"])) }
    }

    /// A fresh 2048-bit RSA key at `directory/key.pem`; returns its PEM.
    func generateKey(in directory: String) throws -> String {
        let generated = try runCommand([
            "openssl", "genpkey", "-quiet", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", directory + "/key.pem",
        ])
        try #require(generated.status == 0)
        return try readTextFile(directory + "/key.pem")
    }
}
