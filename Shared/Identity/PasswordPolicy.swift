import Auth
import Core
import Crypto
import Database
import Runtime

#if canImport(Glibc)
    import Glibc
#endif

/// The password policy (OWASP ASVS: length over composition rules).
enum PasswordPolicy {
    static let minimum = 8
    static let maximum = 128

    static func field(_ fields: inout Fields, _ key: String) -> String? {
        guard let password = fields.string(key, min: minimum, max: maximum, trim: false) else { return nil }
        guard !password.trimmed().isEmpty else {
            fields.fail(key, "must not be only spaces")
            return nil
        }
        return password
    }

    /// A password to check against a stored hash: any non-empty string up to the maximum.
    static func current(_ fields: inout Fields, _ key: String) -> String? {
        fields.string(key, min: 1, max: maximum, trim: false)
    }
}
