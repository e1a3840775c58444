import Crypto
import Database
import Runtime

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
    /// The user's row (columns of `Caller.columns`), so `GET /users/me` needs no second query.
    public var row: Row

    /// The user columns read with every authenticated request.
    public static let columns: SQL = """
        id, email, name, role, status, token_version, email_verified_at, headline, bio, phone, avatar_url,
        links::text AS links, created_at, updated_at
        """
}

extension Caller {
    /// The one check for actions that need a verified email (buying, posting, reviewing).
    public func requireVerifiedEmail() throws {
        guard emailVerified else {
            throw APIError(status: 403, code: "email_unverified", message: "Verify your email address first.")
        }
    }
}

/// Which callers an endpoint admits. Every function that needs a user states it with
/// `try context.require(.signedIn)` or `try context.require(.roles([.admin]))`.
public enum Access: Sendable {
    case signedIn
    case roles(Set<Role>)
}

extension Context {
    /// The caller, or 401 (no or bad token) / 403 (suspended, or role not admitted).
    public func require(_ access: Access) throws -> Caller {
        guard let caller = try authenticate() else { throw APIError.unauthorized }
        if case .roles(let roles) = access, !roles.contains(caller.role) { throw APIError.forbidden }
        return caller
    }

    /// The caller when a valid token was sent, nil for anonymous; a bad token is still a 401.
    public func optionalCaller() throws -> Caller? { try authenticate() }

    /// The bearer token from `Authorization`, else the `access_token` cookie.
    public var accessToken: String? {
        if let header = request.header("authorization") {
            let parts = header.split(separator: " ", maxSplits: 1)
            if parts.count == 2, parts[0].lowercased() == "bearer" { return String(parts[1]).trimmed() }
            return ""  // present but not a bearer token: refuse rather than fall back to the cookie
        }
        return request.cookies[Tokens.accessCookie]
    }

    private func authenticate() throws -> Caller? {
        guard let token = accessToken else { return nil }
        let secret = try Tokens.secret(config)
        let claims: JWT.Claims
        do {
            claims = try JWT.verify(token, secret: secret, now: unixTime())
        } catch .expired {
            throw APIError(status: 401, code: "token_expired", message: "Your session has expired. Sign in again.")
        } catch {
            throw APIError(status: 401, code: "invalid_token", message: "The access token is not valid.")
        }
        guard isUUID(claims.sub) else { throw APIError(status: 401, code: "invalid_token", message: "The access token is not valid.") }
        let row = try db().query("SELECT \(fragment: Caller.columns) FROM users WHERE id = \(claims.sub)").first
        guard let row, try row.string("status") != "deleted", try row.int("token_version") == claims.ver,
            let role = Role(rawValue: try row.string("role"))
        else {
            throw APIError(status: 401, code: "invalid_token", message: "The access token is not valid.")
        }
        guard try row.string("status") == "active" else {
            throw APIError(status: 403, code: "account_suspended", message: "This account is suspended.")
        }
        return Caller(id: claims.sub, role: role, emailVerified: try row.optionalString("email_verified_at") != nil, row: row)
    }
}

/// True for the canonical text form of a UUID; path ids that are not UUIDs are simply not found.
public func isUUID(_ text: String) -> Bool {
    let bytes = Array(text.utf8)
    guard bytes.count == 36 else { return false }
    for (index, byte) in bytes.enumerated() {
        if [8, 13, 18, 23].contains(index) {
            if byte != UInt8(ascii: "-") { return false }
        } else if !((48...57).contains(byte) || (97...102).contains(byte) || (65...70).contains(byte)) {
            return false
        }
    }
    return true
}
