import Core
import Crypto
import Database

/// The roles of the product. Admins are made only by the operator CLI.
public enum Role: String, Sendable, CaseIterable, Codable {
    case student, instructor, admin
}

/// Who is calling: the signed-in user behind a valid access token, re-read from the database
/// so a suspended, deleted or signed-out-everywhere user is refused at once.
public struct Caller: Sendable {
    public var id: String
    public var role: Role
    public var emailVerified: Bool
    /// The user's row as every authenticated request reads it (`Caller.sessionColumns`).
    public var row: Row

    /// The user columns of a profile (`GET /users/me`, sign-up, sign-in, profile updates).
    public static let columns: SQL = """
        id, email, name, role, status, token_version, email_verified_at, headline, bio, phone, avatar_url,
        links::text AS links, created_at, updated_at, leaderboard_opt_out, time_zone
        """

    /// The user columns read with every authenticated request: what the session check needs,
    /// and the few that handlers use (email, name and phone for mail and checkout, the
    /// leaderboard opt-out). Not the profile: its text, links and dates cost every request a
    /// little, for one endpoint.
    public static let sessionColumns: SQL = "id, email, name, phone, role, status, token_version, email_verified_at, leaderboard_opt_out"

    /// The one check for actions that need a verified email (buying, posting, reviewing).
    public func requireVerifiedEmail() throws {
        guard emailVerified else {
            throw APIError(status: 403, code: "email_unverified", message: "Verify your email address first.")
        }
    }

    /// The caller behind an access token: 401 for a bad, expired or revoked token, 403 for a
    /// suspended account. The runtime calls this once per request (`Context.user()`).
    public static func authenticate(token: String, config: Config, db: Connection) throws -> Caller {
        let claims = try verify(token: token, config: config)
        return try caller(claims, session: try db.query(session(claims)).first)
    }

    /// The claims of a well-signed, unexpired access token whose subject is a user id; 401
    /// otherwise. Nothing is read from the database until this has passed.
    public static func verify(token: String, config: Config) throws -> JWT.Claims {
        let secret = try Tokens.secret(config)
        let claims: JWT.Claims
        do {
            claims = try JWT.verify(token, secret: secret, now: unixTime())
        } catch .expired {
            throw APIError(status: 401, code: "token_expired", message: "Your session has expired. Sign in again.")
        } catch {
            throw invalidToken
        }
        guard isUUID(claims.sub) else { throw invalidToken }
        return claims
    }

    /// The session check's statement: the user's `sessionColumns`.
    public static func session(_ claims: JWT.Claims) -> SQL {
        "SELECT \(fragment: sessionColumns) FROM users WHERE id = \(claims.sub)"
    }

    /// True in SQL exactly while `caller(_:session:)` accepts the user's row: active, and the
    /// token's version is the user's (a condition for a write sent beside the session check).
    public static func sessionIsValid(_ claims: JWT.Claims) -> SQL {
        "EXISTS (SELECT FROM users WHERE id = \(claims.sub) AND status = 'active' AND token_version = \(claims.ver))"
    }

    /// The caller, from the row the session check read (nil: no such user); 401 for a deleted
    /// user or a revoked token, 403 for a suspended account.
    public static func caller(_ claims: JWT.Claims, session row: Row?) throws -> Caller {
        guard let row, try row.string("status") != "deleted", try row.int("token_version") == claims.ver,
            let role = Role(rawValue: try row.string("role"))
        else { throw invalidToken }
        guard try row.string("status") == "active" else {
            throw APIError(status: 403, code: "account_suspended", message: "This account is suspended.")
        }
        return Caller(id: claims.sub, role: role, emailVerified: try row.optionalString("email_verified_at") != nil, row: row)
    }

    static let invalidToken = APIError(status: 401, code: "invalid_token", message: "The access token is not valid.")
}
