import Core
import Crypto
import Database
import Notifications

/// Password-reset tokens, made by the email worker (never by the request, so neither the
/// answer nor its timing reveals an account, and the token never sits in the jobs table).
/// Below both the Identity functions and the Delivery worker library.
public enum PasswordResetTokens {
    /// How long a reset link stays valid.
    public static let lifetimeMinutes = 30

    /// Called by the email worker for a `password_reset` job: the message to send, with a new
    /// token, or nil when no active account has the address or one was sent in the last minute.
    public static func prepare(_ db: Connection, _ request: Notifications.Email) throws -> Notifications.Email? {
        try db.transaction { tx in
            guard
                let user = try tx.query(
                    "SELECT id, name, email FROM users WHERE email = normalize(\(request.to), NFC) AND status = 'active' FOR UPDATE"
                ).first
            else { return nil }
            let userId = try user.string("id")
            // One email a minute per account (a retry of this same request does not count).
            let recent = try tx.query(
                """
                SELECT 1 FROM password_resets WHERE user_id = \(userId) AND created_at > now() - interval '1 minute'
                  AND message_key IS DISTINCT FROM \(request.messageKey)
                """
            ).first
            guard recent == nil else { return nil }
            let token = Crypto.randomToken()
            try tx.execute(
                """
                INSERT INTO password_resets (user_id, token_hash, expires_at, message_key)
                VALUES (\(userId), \(Bytes(Crypto.sha256(token))), now() + make_interval(mins => \(lifetimeMinutes)), \(request.messageKey))
                ON CONFLICT (message_key) DO UPDATE SET token_hash = excluded.token_hash, expires_at = excluded.expires_at
                """)
            var message = request
            message.to = try user.string("email")
            message.name = try user.string("name")
            message.data = ["token": token, "expires_minutes": String(lifetimeMinutes)]
            return message
        }
    }
}
