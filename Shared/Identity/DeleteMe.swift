import Auth
import Core
import Crypto
import Database
import Runtime

/// `DELETE /api/v1/users/me`: with the password, closes the account. Personal data is erased;
/// the row stays, anonymized, so records kept for accounting (payments, invoices) still point
/// at it. The email address becomes free for a new account.
public enum DeleteMe {
    public static let endpoint = Endpoint(.delete, "/api/v1/users/me", access: .signedIn, body: 4 * KiB, rate: "auth", handle)

    public static func handle(_ context: Context) throws -> Response {
        let caller = try context.user()
        var fields = try Fields(context.request.json())
        let password = PasswordPolicy.current(&fields, "password")
        try fields.finish()
        guard let password else { throw APIError.invalid([]) }

        let db = try context.db()
        let throttle = Throttle.reauthentication(caller.id)
        try Throttle.attempt(db, key: throttle)
        let stored = try db.query("SELECT password_hash FROM users WHERE id = \(caller.id)").first
        guard let hash = try stored?.optionalString("password_hash"), Passwords.verify(password, hash: hash) else {
            throw APIError.invalid(field: "password", "is incorrect")
        }
        try context.transaction { tx in
            try Throttle.reset(tx, key: throttle)
            try tx.execute("DELETE FROM refresh_tokens WHERE user_id = \(caller.id)")
            // No more pushes, and the app installs are free for whoever signs in on them next.
            try tx.execute("DELETE FROM devices WHERE user_id = \(caller.id)")
            try tx.execute(
                """
                UPDATE users SET
                    status = 'deleted', deleted_at = now(), updated_at = now(),
                    email = 'deleted-' || id::text || '@deleted.invalid', name = 'Deleted user',
                    password_hash = NULL, email_verified_at = NULL, headline = NULL, bio = NULL, phone = NULL,
                    avatar_url = NULL, links = '{}'::jsonb, token_version = token_version + 1
                WHERE id = \(caller.id)
                """)
        }
        context.log.info("account deleted", [("user_id", .string(caller.id))])
        var response = Response.message("Your account has been deleted.")
        Tokens.clearCookies(on: &response, config: context.config)
        return response
    }
}
