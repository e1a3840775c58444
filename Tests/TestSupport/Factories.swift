import Auth
import Core
import Crypto
import Database
import Runtime

/// A user made for one test, with a known password and a valid access token.
public struct TestUser: Sendable {
    public var id: String
    public var email: String
    public var name: String
    public var role: Role
    public var password: String
    public var accessToken: String
}

public enum Factory {
    /// A unique address per call so tests never collide.
    public static func uniqueEmail(_ prefix: String = "user") -> String {
        "\(prefix)-\(Crypto.hex(Crypto.randomBytes(6)))@example.test"
    }

    /// Inserts a user straight into the database and signs an access token for it.
    /// Argon2 parameters are lowered here only: tests need the hash format, not its cost.
    public static func user(
        _ db: Connection, role: Role = .student, status: String = "active", password: String = "correct horse battery",
        verified: Bool = true
    ) throws -> TestUser {
        let email = uniqueEmail(role.rawValue)
        let name = "Test \(role.rawValue.capitalized)"
        let hash = Passwords.hash(password, parameters: .init(memoryKiB: 1024, iterations: 1, parallelism: 1))
        let row = try db.query(
            """
            INSERT INTO users (email, name, role, status, password_hash, email_verified_at)
            VALUES (\(email), \(name), \(role.rawValue), \(status), \(hash), CASE WHEN \(verified) THEN now() END)
            RETURNING id
            """
        ).one()
        let id = try row.string("id")
        return TestUser(id: id, email: email, name: name, role: role, password: password, accessToken: try token(for: id, role: role))
    }

    public static func token(for id: String, role: Role, version: Int = 0, expiresIn: Int = 900) throws -> String {
        let now = unixTime()
        return JWT.sign(
            JWT.Claims(sub: id, role: role.rawValue, iat: now, exp: now + expiresIn, ver: version),
            secret: Array(try TestEnvironment.jwtSecret().utf8))
    }
}

extension String {
    fileprivate var capitalized: String { prefix(1).uppercased() + dropFirst() }
}
