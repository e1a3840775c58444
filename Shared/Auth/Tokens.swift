import Core
import Crypto
import Database

/// Issues access tokens (JWT) and rotating refresh tokens (random, stored as SHA-256 hashes,
/// grouped in families so reuse of a spent token revokes every token of that sign-in).
public enum Tokens {
    public static let accessCookie = "access_token"
    public static let refreshCookie = "refresh_token"
    /// The refresh cookie goes only to the auth endpoints.
    public static let refreshCookiePath = "/api/v1/auth"

    /// JWT_SECRET: at least 32 bytes; required everywhere, never defaulted.
    public static func secret(_ config: Config) throws -> [UInt8] {
        let secret = try config.require("JWT_SECRET")
        guard secret.utf8.count >= 32 else { throw ConfigError(key: "JWT_SECRET", reason: "must be at least 32 bytes") }
        return Array(secret.utf8)
    }

    public static func accessTTL(_ config: Config) -> Int { config.int("ACCESS_TOKEN_TTL_SECONDS", default: 900) }
    public static func refreshTTL(_ config: Config) -> Int { config.int("REFRESH_TOKEN_TTL_SECONDS", default: 30 * 24 * 3600) }

    /// What sign-up, sign-in and refresh return.
    public struct Session: Encodable, Sendable {
        public var accessToken: String
        public var refreshToken: String
        public var tokenType = "Bearer"
        public var expiresIn: Int

        public init(accessToken: String, refreshToken: String, expiresIn: Int) {
            self.accessToken = accessToken
            self.refreshToken = refreshToken
            self.expiresIn = expiresIn
        }
    }

    /// Creates a session for the user: a new refresh-token family unless `family` continues one.
    public static func issue(
        _ db: Connection, config: Config, userId: String, role: String, tokenVersion: Int, family: String? = nil,
        userAgent: String? = nil
    ) throws -> Session {
        let now = unixTime()
        let ttl = accessTTL(config)
        let access = JWT.sign(JWT.Claims(sub: userId, role: role, iat: now, exp: now + ttl, ver: tokenVersion), secret: try secret(config))
        let refresh = Crypto.randomToken()
        let agent = userAgent.map { String($0.prefix(256)) }
        try db.execute(
            """
            INSERT INTO refresh_tokens (user_id, family_id, token_hash, expires_at, user_agent)
            VALUES (\(userId), COALESCE(\(family)::uuid, gen_random_uuid()), \(Bytes(Crypto.sha256(refresh))),
                    now() + make_interval(secs => \(refreshTTL(config))), \(agent))
            """)
        return Session(accessToken: access, refreshToken: refresh, expiresIn: ttl)
    }

    /// Ends every session of a user: refresh tokens revoked, access tokens invalidated by the
    /// version bump. Returns the new token version.
    @discardableResult
    public static func revokeAll(_ db: Connection, userId: String) throws -> Int {
        try db.execute("UPDATE refresh_tokens SET revoked_at = now() WHERE user_id = \(userId) AND revoked_at IS NULL")
        let row = try db.query(
            "UPDATE users SET token_version = token_version + 1, updated_at = now() WHERE id = \(userId) RETURNING token_version")
        return try row.first?.int("token_version") ?? 0
    }
}
