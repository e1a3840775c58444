/// Why a message was not sent, and whether trying again later can help: transient failures
/// (connection refused, timeouts, SMTP 4xx) are retried by the job queue, permanent ones
/// (SMTP 5xx, an invalid address or message) are not.
public struct MailError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable { case transient, permanent }

    public var kind: Kind
    /// A short machine-readable reason (`smtp_rejected`, `connect_failed`, `invalid_address`, ...).
    public var code: String
    /// What happened, for logs. Never contains credentials.
    public var message: String
    /// The SMTP reply code, when the server answered.
    public var smtpCode: Int?

    public init(_ kind: Kind, code: String, message: String, smtpCode: Int? = nil) {
        self.kind = kind
        self.code = code
        self.message = message
        self.smtpCode = smtpCode
    }

    public var isTransient: Bool { kind == .transient }

    public var description: String {
        "\(kind.rawValue) mail failure \(code)" + (smtpCode.map { " (SMTP \($0))" } ?? "") + ": \(message)"
    }

    /// The address itself stays out of the message: logs should not collect personal data.
    public static let invalidAddress = MailError(.permanent, code: "invalid_address", message: "invalid email address")

    public static func invalidMessage(_ reason: String) -> MailError {
        MailError(.permanent, code: "invalid_message", message: reason)
    }

    public static func configuration(_ reason: String) -> MailError {
        MailError(.permanent, code: "configuration", message: reason)
    }
}
