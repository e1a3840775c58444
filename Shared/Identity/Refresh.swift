import Auth
import Core
import Crypto
import Database
import Runtime

/// `POST /api/v1/auth/refresh`: spends a refresh token (body `refresh_token` or the cookie)
/// for a new session in the same family. A token presented a second time means it leaked:
/// the whole family is revoked and the caller must sign in again.
public enum Refresh {
    public static let endpoint = Endpoint(
        .post, "/api/v1/auth/refresh", access: .anyone, mode: .fastcgi, body: 4 * KiB, rate: "auth", handle)

    /// A token spent this recently by a concurrent request is answered with 409, not treated as theft.
    static let graceSeconds = 10
    static let invalid = APIError(status: 401, code: "invalid_refresh_token", message: "The refresh token is not valid. Sign in again.")

    enum Outcome {
        case session(SignedIn)
        case reused
    }

    public static func handle(_ context: Context) throws -> Response {
        var fields = try Fields(context.request.optionalJSON())
        let fromBody = fields.optionalString("refresh_token", max: 512).flatMap { $0.isEmpty ? nil : $0 }
        try fields.finish()
        guard let token = fromBody ?? context.request.cookies[Tokens.refreshCookie], !token.isEmpty, token.utf8.count <= 512 else {
            throw invalid
        }
        let hash = Bytes(Crypto.sha256(token))
        let outcome: Outcome = try context.transaction { db in
            guard
                let stored = try db.query(
                    """
                    SELECT id, user_id, family_id, used_at IS NOT NULL OR revoked_at IS NOT NULL AS spent,
                           coalesce(revoked_at IS NULL AND used_at > now() - make_interval(secs => \(graceSeconds)), false) AS just_used,
                           expires_at <= now() AS expired
                    FROM refresh_tokens WHERE token_hash = \(hash) FOR UPDATE
                    """
                ).first
            else { throw invalid }
            let family = try stored.string("family_id")
            if try stored.bool("just_used") {
                // Two tabs refreshing at once: the other request already has the successor.
                throw APIError.conflict("This session was just refreshed. Use the new token.", code: "refresh_in_progress")
            }
            if try stored.bool("spent") {
                try db.execute("UPDATE refresh_tokens SET revoked_at = now() WHERE family_id = \(family) AND revoked_at IS NULL")
                return .reused  // committed: the revocation must stick
            }
            guard try !stored.bool("expired") else { throw invalid }
            try db.execute("UPDATE refresh_tokens SET used_at = now() WHERE id = \(try stored.string("id"))")
            guard let row = try Users.load(db, id: try stored.string("user_id")), try row.string("status") != "deleted" else {
                throw invalid
            }
            guard try row.string("status") == "active" else {
                throw APIError(status: 403, code: "account_suspended", message: "This account is suspended.")
            }
            let user = try PrivateProfile(row)
            let session = try Tokens.issue(
                db, config: context.config, userId: user.id, role: user.role, tokenVersion: try row.int("token_version"),
                family: family, userAgent: context.request.header("user-agent"))
            return .session(SignedIn(user: user, session: session))
        }
        switch outcome {
        case .session(let signedIn):
            return signedIn.response(context.config, status: 200, message: "Session refreshed.")
        case .reused:
            context.log.warning("refresh token reused; family revoked")
            throw invalid
        }
    }
}
