import Core
import FoundationEssentials
import Runtime

#if canImport(Glibc)
    import Glibc
#endif

/// `infra/testing/fake_fcm.py` on a free port with a throwaway service account, in its own
/// temporary folder; stopped and removed when released. Fails (never skips) when python3 or
/// its `cryptography` package is missing: the message says which.
public final class FakeFCM {
    private let service: FakeService

    public init() throws {
        service = try FakeService("fake_fcm.py") { directory in
            ["--make-account", directory + "/account", "--record", directory + "/record.jsonl"]
        }
    }

    public var directory: String { service.directory }
    public var port: Int { service.port }

    /// Stops the server now (to test what happens when FCM is unreachable).
    public func stop() { service.stop() }

    public var baseURL: String { service.baseURL }
    /// The service-account key file whose `token_uri` is this server's `/token`.
    public var accountFile: String { directory + "/account/service-account.json" }
    /// The account's public key (PEM), to verify signatures made with its private key.
    public var publicKeyFile: String { directory + "/account/public.pem" }
    /// What the server printed, for failure messages.
    public var serverLog: String { service.log }

    /// Every request the server has seen, in order.
    public func records() throws -> [Record] {
        let text = try readTextFile(directory + "/record.jsonl")
        return try text.split(separator: "\n").map { try JSONDecoder().decode(Record.self, from: Data($0.utf8)) }
    }

    /// One line of the record file.
    public struct Record: Decodable, Sendable {
        /// `token`, `token-refused` or `send`.
        public var kind: String
        public var status: Int?
        public var project: String?
        public var reason: String?
        public var claims: Claims?
        public var message: Message?

        public struct Claims: Decodable, Sendable {
            public var iss: String
            public var scope: String
            public var aud: String
            public var iat: Int
            public var exp: Int
        }

        public struct Message: Decodable, Sendable {
            public var token: String
            public var notification: Notification?
            public var data: [String: String]?
        }

        public struct Notification: Decodable, Sendable {
            public var title: String?
            public var body: String?
        }
    }
}
