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
    public let directory: String
    public let port: Int
    private let process: ChildProcess

    public init() throws {
        let directory = try makeTemporaryDirectory("fake-fcm")
        let process = try ChildProcess(
            [
                "python3", TestEnvironment.root + "/infra/testing/fake_fcm.py", "--make-account", directory + "/account",
                "--record", directory + "/record.jsonl", "--port-file", directory + "/port",
            ],
            stderr: directory + "/server.log")
        self.directory = directory
        self.process = process
        // Python start-up plus generating an RSA key: well under a second, unless the machine is busy.
        var waited = 0.0
        while true {
            if let text = try? readTextFile(directory + "/port"), let port = Int(text) {
                self.port = port
                return
            }
            if let status = process.exitStatus() {
                let how = status & 0x7F == 0 ? "with exit code \(status >> 8 & 0xFF)" : "on signal \(status & 0x7F)"
                throw Self.failure("fake_fcm.py exited \(how)", process, directory)
            }
            guard waited < 30 else { throw Self.failure("fake_fcm.py did not start within 30 s", process, directory) }
            usleep(20_000)
            waited += 0.02
        }
    }

    /// Stops and cleans up a server that failed to start (deinit does not run then).
    private static func failure(_ text: String, _ process: ChildProcess, _ directory: String) -> ProcessFailure {
        process.stop()
        let log = (try? readTextFile(directory + "/server.log")) ?? ""
        removeTemporaryDirectory(directory)
        return ProcessFailure("\(text): \(log)")
    }

    deinit {
        process.stop()
        removeTemporaryDirectory(directory)
    }

    /// Stops the server now (to test what happens when FCM is unreachable).
    public func stop() { process.stop() }

    public var baseURL: String { "http://127.0.0.1:\(port)" }
    /// The service-account key file whose `token_uri` is this server's `/token`.
    public var accountFile: String { directory + "/account/service-account.json" }
    /// The account's public key (PEM), to verify signatures made with its private key.
    public var publicKeyFile: String { directory + "/account/public.pem" }
    /// What the server printed, for failure messages.
    public var serverLog: String { (try? readTextFile(directory + "/server.log")) ?? "" }

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
