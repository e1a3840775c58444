import Auth
import Core
import Crypto
import Database
import Runtime

/// `POST /api/v1/auth/logout`: revokes the refresh token's family (body or cookie) and clears
/// the cookies. Idempotent; succeeds without a token too.
public enum Logout {
    public static let endpoint = Endpoint(.post, "/api/v1/auth/logout", access: .anyone, body: 4 * KiB, handle)

    public static func handle(_ context: Context) throws -> Response {
        var fields = try Fields(context.request.optionalJSON())
        let fromBody = fields.optionalString("refresh_token", max: 512).flatMap { $0.isEmpty ? nil : $0 }
        try fields.finish()
        if let token = fromBody ?? context.request.cookies[Tokens.refreshCookie], !token.isEmpty, token.utf8.count <= 512 {
            try context.db().execute(
                """
                UPDATE refresh_tokens SET revoked_at = now()
                WHERE revoked_at IS NULL AND family_id IN (
                    SELECT family_id FROM refresh_tokens WHERE token_hash = \(Bytes(Crypto.sha256(token))))
                """)
        }
        var response = Response.message("Signed out.")
        Tokens.clearCookies(on: &response, config: context.config)
        return response
    }
}
