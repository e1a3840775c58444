import Core

/// Entry points for whoever sends mail (the email worker): the transport the configuration
/// asks for, and the sender address.
public enum Mail {
    /// SMTP when `SMTP_URL` is set; otherwise `.eml` files in `LMS_MAIL_DIR` (default
    /// `.data/mail`). In production one of the two must be set explicitly, so a missing SMTP
    /// setting cannot quietly turn every email into a file nobody reads.
    public static func transport(config: Config) throws -> any MailTransport {
        if config["SMTP_URL"] != nil { return try SMTPTransport(config: config) }
        if config.isProduction && config["LMS_MAIL_DIR"] == nil {
            throw ConfigError(key: "SMTP_URL", reason: "is required in production (or set LMS_MAIL_DIR to write files)")
        }
        return FileTransport(folder: config["LMS_MAIL_DIR"] ?? ".data/mail")
    }

    /// The `From` of every message: `MAIL_FROM` (`Name <address>` or an address), default
    /// `LMS <no-reply@localhost>`.
    public static func sender(config: Config) throws -> MailAddress {
        do {
            return try MailAddress.parse(config["MAIL_FROM"] ?? "LMS <no-reply@localhost>")
        } catch {
            throw ConfigError(key: "MAIL_FROM", reason: "is not a valid address")
        }
    }
}
