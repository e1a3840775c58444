import Accounts
import Auth
import Core
import Crypto
import Database
import Notifications
import Runtime

/// `POST /api/v1/auth/password-reset`: emails a single-use link valid for 30 minutes. The
/// request only enqueues a job, for every well-formed address, so neither the answer nor its
/// timing tells whether an account exists; the email worker looks the account up and makes
/// the token (`prepare`), which therefore never sits in the jobs table.
public enum RequestPasswordReset {
    public static let endpoint = Endpoint(.post, "/api/v1/auth/password-reset", access: .anyone, body: 4 * KiB, rate: "auth", handle)

    static let answer = "If an account exists for that address, we sent a link to reset the password."

    public static func handle(_ context: Context) throws -> Response {
        var fields = try Fields(context.request.json())
        let email = Email.field(&fields)
        try fields.finish()
        guard let email else { throw APIError.invalid([]) }
        try Notifications.email(
            context.db(),
            .init(
                template: "password_reset", to: email, name: "", data: [:],
                messageKey: "password_reset:\(Crypto.hex(Crypto.randomBytes(12)))"))
        return .message(answer)
    }
}

/// `POST /api/v1/auth/password-reset/confirm`: the token from the email and a new password.
/// Sets the password, spends every outstanding reset token, ends every session.
public enum ConfirmPasswordReset {
    public static let endpoint = Endpoint(
        .post, "/api/v1/auth/password-reset/confirm", access: .anyone, body: 4 * KiB, rate: "auth", handle)

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
            try Throttle.resetSignIns(db, email: try reset.string("email"))
            return userId
        }
        context.log.info("password reset", [("user_id", .string(userId))])
        return .message("Your password was changed. Sign in with the new one.")
    }
}
