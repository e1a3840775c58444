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
    private let service: FakeService

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
            case mailFrom = "mail_from"
            case recipients = "rcpt_tos"
            case authMechanism = "auth_mechanism"
            case authLogin = "auth_login"
            case file = "eml"
        }
    }

    /// `arguments` go to the script (`--username`, `--fail-first`, ...).
    public init(_ arguments: [String] = []) throws {
        service = try FakeService("smtp_capture.py") { directory in ["--folder", directory + "/mail"] + arguments }
    }

    public var port: Int { service.port }
    public var directory: String { service.directory }
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

    /// Stops the server; its files go when the capture is released.
    public func stop() { service.stop() }
}
