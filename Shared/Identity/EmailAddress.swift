import Auth
import Core
import Crypto
import Database
import Runtime

#if canImport(Glibc)
    import Glibc
#endif

/// Email rules shared by sign-up, sign-in and everything that takes an address.
public enum Email {
    /// Trimmed and lowercased (Unicode-aware); PostgreSQL adds NFC normalization on write and lookup.
    public static func normalize(_ email: String) -> String { email.trimmed().lowercased() }

    /// A plain `local@domain.tld` check: one `@`, a dotted domain, no spaces or control characters.
    public static func isValid(_ email: String) -> Bool {
        // Code points, as PostgreSQL's char_length counts them (lowercasing can add some).
        guard (3...254).contains(email.unicodeScalars.count) else { return false }
        let parts = email.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, let local = parts.first, let domain = parts.last,
            (1...64).contains(local.count), (3...253).contains(domain.count)
        else { return false }
        guard !local.hasPrefix("."), !local.hasSuffix("."), !local.contains("..") else { return false }
        let labels = domain.split(separator: ".", omittingEmptySubsequences: false)
        guard labels.count >= 2, labels.allSatisfy({ !$0.isEmpty && !$0.hasPrefix("-") && !$0.hasSuffix("-") }) else { return false }
        let forbidden: Set<Character> = [" ", "\"", "(", ")", ",", ":", ";", "<", ">", "[", "]", "\\", "@"]
        for character in email where character != "@" {
            if forbidden.contains(character) || character.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) {
                return false
            }
        }
        return true
    }

    /// Reads and validates the `email` field.
    static func field(_ fields: inout Fields, _ key: String = "email") -> String? {
        guard let raw = fields.string(key, max: 254) else { return nil }
        let email = normalize(raw)
        guard isValid(email) else {
            fields.fail(key, "must be a valid email address")
            return nil
        }
        return email
    }
}
