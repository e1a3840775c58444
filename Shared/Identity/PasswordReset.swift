import Auth
import Crypto
import Database
import Notifications
import Runtime

/// `POST /api/v1/auth/password-reset`: emails a single-use link valid for 30 minutes. The
/// answer is the same whether or not the address has an account.
public enum RequestPasswordReset {
    static let lifetimeMinutes = 30
    static let answer = "If an account exists for that address, we sent a link to reset the password."

    public static func handle(_ context: Context) throws -> Response {
        var fields = try Fields(context.request.json())
        let email = Email.field(&fields)
        try fields.finish()
        guard let email else { throw APIError.invalid([]) }
        try context.transaction { db in
            guard
                let user = try db.query(
                    "SELECT id, name, email FROM users WHERE email = normalize(\(email), NFC) AND status = 'active' FOR UPDATE"
                ).first
            else { return }
            let userId = try user.string("id")
            // One email a minute per account; extra requests are answered the same way.
            let recent = try db.query(
                "SELECT 1 FROM password_resets WHERE user_id = \(userId) AND created_at > now() - interval '1 minute'"
            ).first
            guard recent == nil else { return }
            let token = Crypto.randomToken()
            let id = try db.query(
                """
                INSERT INTO password_resets (user_id, token_hash, expires_at)
                VALUES (\(userId), \(Bytes(Crypto.sha256(token))), now() + make_interval(mins => \(lifetimeMinutes)))
                RETURNING id
                """
            ).first!.string("id")
            try Notifications.email(
                db,
                .init(
                    template: "password_reset", to: try user.string("email"), name: try user.string("name"),
                    data: ["token": token, "expires_minutes": String(lifetimeMinutes)], messageKey: "password_reset:\(id)"))
        }
        return .message(answer)
    }
}

/// `POST /api/v1/auth/password-reset/confirm`: the token from the email and a new password.
/// Sets the password, spends every outstanding reset token, ends every session.
public enum ConfirmPasswordReset {
    static let invalid = APIError(
        status: 422, code: "reset_token_invalid", message: "This reset link is invalid or has expired. Request a new one.",
        fieldErrors: [FieldError(field: "token", message: "is invalid or expired")])

    public static func handle(_ context: Context) throws -> Response {
        var fields = try Fields(context.request.json())
        let token = fields.string("token", max: 128, trim: true)
        let password = PasswordPolicy.field(&fields, "new_password")
        try fields.finish()
        guard let token, let password else { throw APIError.invalid([]) }
        let hash = Passwords.hash(password)
        let userId: String = try context.transaction { db in
            guard
                let reset = try db.query(
                    """
                    SELECT r.user_id, u.email FROM password_resets r JOIN users u ON u.id = r.user_id
                    WHERE r.token_hash = \(Bytes(Crypto.sha256(token))) AND r.used_at IS NULL AND r.expires_at > now()
                      AND u.status = 'active'
                    FOR UPDATE OF r
                    """
                ).first
            else { throw invalid }
            let userId = try reset.string("user_id")
            try db.execute("UPDATE password_resets SET used_at = now() WHERE user_id = \(userId) AND used_at IS NULL")
            // The link proved the address works.
            try db.execute(
                """
                UPDATE users SET password_hash = \(hash), email_verified_at = coalesce(email_verified_at, now()), updated_at = now()
                WHERE id = \(userId)
                """)
            try Tokens.revokeAll(db, userId: userId)
            try Throttle.reset(db, key: Throttle.signIn(try reset.string("email")))
            return userId
        }
        context.log.info("password reset", [("user_id", .string(userId))])
        return .message("Your password was changed. Sign in with the new one.")
    }
}
