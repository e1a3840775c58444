/// A mailbox: an address and an optional display name (any text; encoded when rendered).
public struct MailAddress: Sendable, Equatable, CustomStringConvertible {
    public var name: String?
    public var email: String

    public init(_ email: String, name: String? = nil) {
        self.email = email
        self.name = name
    }

    /// `Name <user@example.com>`, `"Last, First" <user@example.com>` or `user@example.com`
    /// (as in `MAIL_FROM`). Throws a permanent `MailError` for anything else.
    public static func parse(_ text: String) throws -> MailAddress {
        let trimmed = text.trimmed()
        guard trimmed.hasSuffix(">"), let open = trimmed.lastIndex(of: "<") else {
            try validate(trimmed)
            return MailAddress(trimmed)
        }
        let email = String(trimmed[trimmed.index(after: open)..<trimmed.index(before: trimmed.endIndex)]).trimmed()
        var name = String(trimmed[..<open]).trimmed()
        if name.count >= 2, name.hasPrefix("\""), name.hasSuffix("\"") {
            name = unquote(name.dropFirst().dropLast())
        }
        try validate(email)
        return MailAddress(email, name: name.isEmpty ? nil : name)
    }

    /// Refuses what could break out of an address in a header or an SMTP command: line breaks
    /// and other control characters, `<>`, spaces, list separators, quotes. One `@`, with a
    /// local part and a domain around it. Non-ASCII (SMTPUTF8) is allowed.
    public static func validate(_ email: String) throws {
        let parts = email.split(separator: "@", omittingEmptySubsequences: false)
        guard email.utf8.count <= 254, parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty,
            !parts[1].hasPrefix("."), !parts[1].hasSuffix(".")
        else { throw MailError.invalidAddress }
        let forbidden: Set<Unicode.Scalar> = [" ", "\"", "(", ")", ",", ":", ";", "<", ">", "[", "]", "\\"]
        for scalar in email.unicodeScalars where scalar.value < 0x21 || scalar.value == 0x7F || forbidden.contains(scalar) {
            throw MailError.invalidAddress
        }
    }

    /// The content of a quoted-string: a backslash escapes the character after it.
    static func unquote(_ quoted: Substring) -> String {
        var out = ""
        var escaped = false
        for character in quoted {
            if !escaped && character == "\\" {
                escaped = true
                continue
            }
            out.append(character)
            escaped = false
        }
        return out
    }

    public var description: String { name.map { "\($0) <\(email)>" } ?? email }
}
