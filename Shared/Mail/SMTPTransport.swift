import CCurl
import CCurlHelpers
import Core

/// Sends through an SMTP server with libcurl: `smtp://host:port` (STARTTLS when offered, or
/// required with `SMTP_REQUIRE_TLS=true`) or `smtps://host:465` (TLS from the start). One
/// connection per message; the envelope comes from the message (`from`, every `to`).
public struct SMTPTransport: MailTransport {
    public let settings: Settings

    public init(settings: Settings) { self.settings = settings }

    /// From `SMTP_URL`, `SMTP_USERNAME`, `SMTP_PASSWORD`, `SMTP_REQUIRE_TLS`,
    /// `SMTP_CONNECT_TIMEOUT_SECONDS` and `SMTP_TIMEOUT_SECONDS`.
    public init(config: Config) throws { self.init(settings: try Settings(config: config)) }

    /// Where and how to connect. Its description never shows the password.
    public struct Settings: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
        /// `smtp://host:port` or `smtps://host:port`, without credentials. A path names the
        /// EHLO domain (`smtp://mail.example.com:587/lms.example.com`); else libcurl sends the
        /// machine's host name.
        public private(set) var url: String
        public var username: String?
        public var password: String?
        /// Refuse to send unless the `smtp://` server upgrades to TLS (STARTTLS).
        public var requireTLS: Bool
        public var connectTimeoutSeconds: Int
        /// For the whole delivery, connection included.
        public var timeoutSeconds: Int

        /// Credentials in the URL (`smtp://user:p%40ss@host:587`) are percent-decoded and
        /// moved out of it; `username`/`password` given here win over them.
        public init(
            url: String, username: String? = nil, password: String? = nil, requireTLS: Bool = false,
            connectTimeoutSeconds: Int = 10, timeoutSeconds: Int = 60
        ) throws {
            guard let split = SMTPURL(url) else {
                throw ConfigError(key: "SMTP_URL", reason: "must look like smtp://host:port or smtps://host:port")
            }
            self.url = split.url
            self.username = username ?? split.username
            self.password = password ?? split.password
            self.requireTLS = requireTLS
            self.connectTimeoutSeconds = max(1, connectTimeoutSeconds)
            self.timeoutSeconds = max(1, timeoutSeconds)
        }

        public init(config: Config) throws {
            try self.init(
                url: try config.require("SMTP_URL"), username: config["SMTP_USERNAME"], password: config["SMTP_PASSWORD"],
                requireTLS: config.bool("SMTP_REQUIRE_TLS", default: false),
                connectTimeoutSeconds: config.int("SMTP_CONNECT_TIMEOUT_SECONDS", default: 10),
                timeoutSeconds: config.int("SMTP_TIMEOUT_SECONDS", default: 60))
        }

        public var description: String {
            url + (username == nil ? "" : " (authenticated)") + (requireTLS ? " (TLS required)" : "")
        }
        public var debugDescription: String { description }
        // `dump` and debuggers show the fields through this: without the password.
        public var customMirror: Mirror {
            Mirror(self, children: ["url": url, "username": username as Any, "requireTLS": requireTLS], displayStyle: .struct)
        }
    }

    public func send(_ message: MailMessage) throws {
        let bytes = try MIME.render(message, date: unixTime())
        guard curlInitialized, let curl = curl_easy_init() else {
            throw MailError(.transient, code: "smtp_failed", message: "libcurl could not be initialized")
        }
        defer { curl_easy_cleanup(curl) }

        var recipients: UnsafeMutablePointer<curl_slist>?
        defer { curl_slist_free_all(recipients) }
        for address in message.to {
            guard let list = curl_slist_append(recipients, "<\(address.email)>") else {
                throw MailError(.transient, code: "smtp_failed", message: "out of memory")
            }
            recipients = list
        }
        let upload = Upload(bytes)
        let uploadPointer = Unmanaged.passRetained(upload)
        defer { uploadPointer.release() }

        func set(_ result: CURLcode) throws {
            guard result == CURLE_OK else {
                throw MailError.configuration("libcurl refused an SMTP option: \(String(cString: curl_easy_strerror(result)))")
            }
        }
        try set(lms_curl_setopt_string(curl, CURLOPT_URL, settings.url))
        try set(lms_curl_setopt_string(curl, CURLOPT_PROTOCOLS_STR, "smtp,smtps"))
        let tls = settings.requireTLS ? CURLUSESSL_ALL : CURLUSESSL_TRY
        try set(lms_curl_setopt_long(curl, CURLOPT_USE_SSL, Int(tls.rawValue)))
        if let username = settings.username { try set(lms_curl_setopt_string(curl, CURLOPT_USERNAME, username)) }
        if let password = settings.password { try set(lms_curl_setopt_string(curl, CURLOPT_PASSWORD, password)) }
        try set(lms_curl_setopt_string(curl, CURLOPT_MAIL_FROM, "<\(message.from.email)>"))
        try set(lms_curl_setopt_slist(curl, CURLOPT_MAIL_RCPT, recipients))
        try set(lms_curl_setopt_long(curl, CURLOPT_UPLOAD, 1))
        try set(lms_curl_setopt_long(curl, CURLOPT_INFILESIZE, bytes.count))
        try set(lms_curl_setopt_read_callback(curl, CURLOPT_READFUNCTION, readMessage))
        try set(lms_curl_setopt_pointer(curl, CURLOPT_READDATA, uploadPointer.toOpaque()))
        try set(lms_curl_setopt_long(curl, CURLOPT_CONNECTTIMEOUT, settings.connectTimeoutSeconds))
        try set(lms_curl_setopt_long(curl, CURLOPT_TIMEOUT, settings.timeoutSeconds))
        // Workers may be threaded: no SIGALRM-based DNS timeouts.
        try set(lms_curl_setopt_long(curl, CURLOPT_NOSIGNAL, 1))

        var errorText = [CChar](repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        let result = try errorText.withUnsafeMutableBufferPointer { buffer in
            try set(lms_curl_setopt_pointer(curl, CURLOPT_ERRORBUFFER, buffer.baseAddress))
            return curl_easy_perform(curl)
        }
        guard result != CURLE_OK else { return }
        var reply = 0
        _ = lms_curl_getinfo_long(curl, CURLINFO_RESPONSE_CODE, &reply)
        let detail = String(decoding: errorText.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        throw Self.failure(result, reply: reply, detail: detail.isEmpty ? String(cString: curl_easy_strerror(result)) : detail)
    }

    /// The server's reply code decides when there is one (4xx: later, 5xx: never); otherwise
    /// what went wrong locally: a setting that cannot work is permanent, the network is not.
    static func failure(_ result: CURLcode, reply: Int, detail: String) -> MailError {
        switch reply {
        case 400..<500: return MailError(.transient, code: "smtp_deferred", message: detail, smtpCode: reply)
        case 500..<600: return MailError(.permanent, code: "smtp_rejected", message: detail, smtpCode: reply)
        default: break
        }
        switch result {
        case CURLE_COULDNT_CONNECT, CURLE_COULDNT_RESOLVE_HOST:
            return MailError(.transient, code: "connect_failed", message: detail)
        case CURLE_OPERATION_TIMEDOUT:
            return MailError(.transient, code: "timeout", message: detail)
        case CURLE_UNSUPPORTED_PROTOCOL, CURLE_URL_MALFORMAT, CURLE_NOT_BUILT_IN, CURLE_LOGIN_DENIED, CURLE_USE_SSL_FAILED,
            CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CERTPROBLEM, CURLE_SSL_CACERT_BADFILE, CURLE_BAD_FUNCTION_ARGUMENT,
            CURLE_UNKNOWN_OPTION:
            return MailError(.permanent, code: "smtp_configuration", message: detail)
        default:
            return MailError(.transient, code: "smtp_failed", message: detail)
        }
    }
}

/// libcurl's process-wide set-up, run once (a global's initializer runs exactly once).
let curlInitialized: Bool = curl_global_init(Int(CURL_GLOBAL_ALL)) == CURLE_OK

/// The rendered message, handed to libcurl in pieces by `readMessage`.
final class Upload {
    let bytes: [UInt8]
    var offset = 0
    init(_ bytes: [UInt8]) { self.bytes = bytes }
}

/// CURLOPT_READFUNCTION: copies the next piece of the message into libcurl's buffer; 0 ends it.
let readMessage: curl_read_callback = { buffer, size, count, userdata in
    guard let buffer, let userdata else { return 0 }
    let upload = Unmanaged<Upload>.fromOpaque(userdata).takeUnretainedValue()
    let length = min(size * count, upload.bytes.count - upload.offset)
    guard length > 0 else { return 0 }
    upload.bytes.withUnsafeBytes { source in
        UnsafeMutableRawPointer(buffer).copyMemory(from: source.baseAddress! + upload.offset, byteCount: length)
    }
    upload.offset += length
    return length
}
