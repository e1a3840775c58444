import Core
import Database
import FoundationEssentials
import Runtime

#if canImport(Glibc)
    import Glibc
#endif

/// `infra/testing/smtp_capture.py` on a free port, for one test: what it received, read back.
/// Starting it fails (never skips) when Python or its `aiosmtpd` package is missing.
public final class SMTPCapture {
    public let port: Int
    public let directory: String
    let process: ChildProcess

    /// One received message: the envelope and the DATA exactly as it arrived.
    public struct Delivery: Decodable {
        public var mailFrom: String
        public var recipients: [String]
        /// `PLAIN` or `LOGIN` when the client authenticated.
        public var authMechanism: String?
        public var authLogin: String?
        public var file: String
        /// The DATA, dot-unstuffed, CRLF line endings as sent.
        public var data: [UInt8] = []

        enum CodingKeys: String, CodingKey {
            case mailFrom = "mail_from", recipients = "rcpt_tos", authMechanism = "auth_mechanism", authLogin = "auth_login"
            case file = "eml"
        }
    }

    /// `arguments` go to the script (`--username`, `--fail-first`, ...).
    public init(_ arguments: [String] = []) throws {
        directory = try makeTemporaryDirectory("lms-smtp-capture")
        let script = TestEnvironment.root + "/infra/testing/smtp_capture.py"
        let portFile = directory + "/port"
        process = try ChildProcess(
            ["python3", script, "--folder", directory + "/mail", "--port", "0", "--port-file", portFile] + arguments,
            stdout: directory + "/server.log", stderr: directory + "/server.log")
        let deadline = monotonicSeconds() + 20
        while true {
            if let text = try? readTextFile(portFile), let port = Int(text.trimmed()) {
                self.port = port
                return
            }
            if process.exitStatus() != nil || monotonicSeconds() > deadline {
                let output = (try? readTextFile(directory + "/server.log")) ?? ""
                process.stop()
                removeTemporaryDirectory(directory)
                throw HTTPClient.Failure(
                    description: "smtp_capture.py did not start (needs python3 and aiosmtpd: python3 -m pip install aiosmtpd):\n\(output)")
            }
            usleep(20_000)
        }
    }

    public var url: String { "smtp://127.0.0.1:\(port)" }

    /// Everything received so far, oldest first.
    public func deliveries() throws -> [Delivery] {
        var names: [String] = []
        if let folder = opendir(directory + "/mail") {
            defer { closedir(folder) }
            while let entry = readdir(folder) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
                if name.hasSuffix(".json") { names.append(name) }
            }
        }
        return try names.sorted().map { name in
            var delivery = try JSONDecoder().decode(Delivery.self, from: Data(try readFileBytes("\(directory)/mail/\(name)")))
            delivery.data = try readFileBytes("\(directory)/mail/\(delivery.file)")
            return delivery
        }
    }

    /// Stops the server and removes its files.
    public func stop() {
        process.stop()
        removeTemporaryDirectory(directory)
    }

    deinit { stop() }
}
