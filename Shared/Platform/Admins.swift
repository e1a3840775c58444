import Auth
import Core
import Crypto
import Database

/// Operator actions that no HTTP endpoint offers.
public enum Admins {
    /// Creates an admin account (or promotes an existing active user when `promote` is set).
    public static func create(_ db: Connection, email rawEmail: String, name: String, password: String) throws -> String {
        let email = rawEmail.trimmed().lowercased()
        guard email.contains("@"), (8...128).contains(password.count), (1...100).contains(name.count) else {
            throw ConfigError(key: "admin", reason: "needs an email, a name of 1-100 characters and a password of 8-128 characters")
        }
        let row = try db.query(
            """
            INSERT INTO users (email, name, role, password_hash, email_verified_at)
            VALUES (normalize(\(email), NFC), \(name), 'admin', \(Passwords.hash(password)), now())
            ON CONFLICT (email) DO UPDATE SET role = 'admin', updated_at = now()
            RETURNING id
            """
        ).first
        return try row?.string("id") ?? ""
    }
}
