import Core
import Crypto

/// Renders a `MailMessage` as an RFC 5322 message with MIME bodies, ready for SMTP or an
/// `.eml` file: CRLF line endings, no line longer than 998 (bodies: 76) characters.
///
/// Structure: text only is a single `text/plain` part; text and HTML are a
/// `multipart/alternative`; attachments wrap that in a `multipart/mixed`. Bodies are
/// quoted-printable UTF-8, attachments base64, boundaries random.
public enum MIME {
    /// The message's bytes, dated `date` (Unix seconds). Throws a permanent `MailError` for an
    /// invalid address, message id, header name or content type, or no recipient.
    public static func render(_ message: MailMessage, date: Int) throws -> [UInt8] {
        guard !message.to.isEmpty else { throw MailError.invalidMessage("a message needs at least one recipient") }
        var headers = [
            "Date: \(MIMEEncoding.date(date))",
            "From: \(try mailbox(message.from))",
            "To: " + (try message.to.map(mailbox).joined(separator: ",\r\n ")),
        ]
        if let replyTo = message.replyTo { headers.append("Reply-To: \(try mailbox(replyTo))") }
        headers.append(MIMEEncoding.unstructuredHeader("Subject", message.subject))
        headers.append("Message-ID: \(try messageId(message.messageId))")
        headers.append("MIME-Version: 1.0")
        for (name, value) in message.extraHeaders {
            try checkHeaderName(name)
            headers.append(MIMEEncoding.unstructuredHeader(name, value))
        }

        var body = textPart("plain", message.text)
        if let html = message.html {
            body = multipart("alternative", [body, textPart("html", html)])
        }
        if !message.attachments.isEmpty {
            body = multipart("mixed", [body] + (try message.attachments.map(attachmentPart)))
        }
        var out = Array((headers + body.headers).joined(separator: "\r\n").utf8)
        out += MIMEEncoding.crlf + MIMEEncoding.crlf + body.body
        if out.suffix(2) != [13, 10] { out += MIMEEncoding.crlf }
        return out
    }

    /// The RFC 5322 `Date` value for Unix seconds, in UTC: `Tue, 02 Jan 2024 03:04:05 +0000`.
    public static func date(_ unixSeconds: Int) -> String { MIMEEncoding.date(unixSeconds) }

    /// `<left@right>` from a caller's message id (angle brackets added when missing). Throws
    /// unless it is printable ASCII without spaces or inner brackets, with an `@`.
    public static func messageId(_ id: String) throws -> String {
        var core = Substring(id.trimmed())
        if core.hasPrefix("<") && core.hasSuffix(">") && core.count >= 2 { core = core.dropFirst().dropLast() }
        let parts = core.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty, core.utf8.count <= 250,
            core.utf8.allSatisfy({ (33...126).contains($0) && $0 != UInt8(ascii: "<") && $0 != UInt8(ascii: ">") })
        else { throw MailError.invalidMessage("the message id must look like <unique@domain>") }
        return "<\(core)>"
    }

    /// One MIME entity: its `Content-*` header lines and its encoded body.
    struct Part {
        var headers: [String]
        var body: [UInt8]
    }

    static func textPart(_ subtype: String, _ text: String) -> Part {
        Part(
            headers: ["Content-Type: text/\(subtype); charset=utf-8", "Content-Transfer-Encoding: quoted-printable"],
            body: MIMEEncoding.quotedPrintable(text))
    }

    static func attachmentPart(_ attachment: MailAttachment) throws -> Part {
        let type = MIMEEncoding.headerText(attachment.contentType).trimmed()
        guard isContentType(type) else { throw MailError.invalidMessage("invalid attachment content type") }
        let filename = safeFilename(attachment.filename)
        return Part(
            headers: [
                "Content-Type: \(type);\r\n \(MIMEEncoding.parameter("name", filename))",
                "Content-Disposition: attachment;\r\n \(MIMEEncoding.parameter("filename", filename))",
                "Content-Transfer-Encoding: base64",
            ],
            body: MIMEEncoding.base64(attachment.bytes))
    }

    static func multipart(_ subtype: String, _ parts: [Part]) -> Part {
        // "=_" cannot occur in base64 or quoted-printable text, so no body can contain it.
        let boundary = "=_lms_" + Crypto.hex(Crypto.randomBytes(12))
        var body: [UInt8] = []
        for part in parts {
            body += Array("--\(boundary)\r\n".utf8)
            body += Array(part.headers.joined(separator: "\r\n").utf8) + MIMEEncoding.crlf + MIMEEncoding.crlf
            body += part.body
            body += MIMEEncoding.crlf
        }
        body += Array("--\(boundary)--\r\n".utf8)
        return Part(headers: ["Content-Type: multipart/\(subtype);\r\n boundary=\"\(boundary)\""], body: body)
    }

    static func mailbox(_ address: MailAddress) throws -> String {
        try MailAddress.validate(address.email)
        guard let name = address.name.map({ MIMEEncoding.headerText($0).trimmed() }), !name.isEmpty else {
            return address.email
        }
        return "\(MIMEEncoding.phrase(name)) <\(address.email)>"
    }

    /// Headers the renderer writes itself; a caller's copy would contradict them.
    static let reservedHeaders: Set<String> = [
        "date", "from", "sender", "to", "cc", "bcc", "reply-to", "subject", "message-id", "mime-version",
        "content-type", "content-transfer-encoding", "content-disposition", "return-path",
    ]

    static func checkHeaderName(_ name: String) throws {
        let letters = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-".utf8)
        let allowed = name.utf8.allSatisfy(letters.contains)
        guard !name.isEmpty, name.utf8.count <= 76, allowed, !reservedHeaders.contains(name.lowercased()) else {
            throw MailError.invalidMessage("invalid or reserved extra header name")
        }
    }

    /// `type/subtype` in token characters, optionally followed by `; parameters`.
    static func isContentType(_ text: String) -> Bool {
        let main = String(text.split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false)[0]).trimmed()
        let halves = main.split(separator: "/", omittingEmptySubsequences: false)
        let token = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$&^_.+-".utf8)
        return halves.count == 2 && halves.allSatisfy { !$0.isEmpty && $0.utf8.allSatisfy(token.contains) }
            && text.utf8.allSatisfy { (32...126).contains($0) }
    }

    /// No path separators, and short enough that its parameter stays far below 998 characters.
    static func safeFilename(_ name: String) -> String {
        var out = String.UnicodeScalarView()
        var length = 0
        for scalar in MIMEEncoding.headerText(name).trimmed().unicodeScalars {
            let replaced: Unicode.Scalar = scalar == "/" || scalar == "\\" ? "_" : scalar
            length += String(replaced).utf8.count
            if length > 180 { break }
            out.append(replaced)
        }
        return out.isEmpty ? "attachment" : String(out)
    }
}
