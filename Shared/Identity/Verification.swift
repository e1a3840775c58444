import Auth
import Core
import Crypto
import Database
import Notifications
import Runtime

/// Email verification codes: 6 digits, 10 minutes, 5 tries; at most one email a minute and
/// five an hour per user. Codes are stored as HMAC-SHA256 under a server key.
enum Verification {
    static let lifetimeMinutes = 10
    static let maximumAttempts = 5
    static let resendAfterSeconds = 60
    static let sendsPerHour = 5

    /// A uniformly random 6-digit code.
    static func newCode() -> String {
        while true {
            let bytes = Crypto.randomBytes(4)
            let value = bytes.reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
            // Reject the top sliver so every code is equally likely.
            if value < 4_294_000_000 {
                let code = String(value % 1_000_000)
                return String(repeating: "0", count: 6 - code.count) + code
            }
        }
    }

    static func hash(_ code: String, userId: String, config: Config) throws -> Bytes {
        Bytes(Crypto.hmacSHA256(key: try Tokens.secret(config), data: Array("email-verification:\(userId):\(code)".utf8)))
    }

    /// Replaces the user's code with a new one and enqueues the email, in the caller's
    /// transaction. Throws 429 when the user asked too recently or too often.
    static func send(_ db: Connection, userId: String, email: String, name: String, config: Config) throws {
        if let row = try db.query(
            """
            SELECT ceil(extract(epoch FROM sent_at + make_interval(secs => \(resendAfterSeconds)) - now()))::int AS wait,
                   CASE WHEN sent_window_start > now() - interval '1 hour' THEN sent_in_window ELSE 0 END AS in_window,
                   ceil(extract(epoch FROM sent_window_start + interval '1 hour' - now()))::int AS window_left
            FROM email_verifications WHERE user_id = \(userId) FOR UPDATE
            """
        ).first {
            if try row.int("wait") > 0 {
                throw APIError.tooManyRequests(retryAfter: try row.int("wait"), message: "A code was just sent. Try again in a minute.")
            }
            if try row.int("in_window") >= sendsPerHour {
                throw APIError.tooManyRequests(
                    retryAfter: try row.int("window_left"), message: "Too many codes requested. Try again later.")
            }
        }
        let code = newCode()
        try db.execute(
            """
            INSERT INTO email_verifications AS v (user_id, code_hash, expires_at)
            VALUES (\(userId), \(try hash(code, userId: userId, config: config)), now() + make_interval(mins => \(lifetimeMinutes)))
            ON CONFLICT (user_id) DO UPDATE SET
                code_hash = excluded.code_hash, expires_at = excluded.expires_at, attempts = 0, sent_at = now(),
                sent_in_window = CASE WHEN v.sent_window_start > now() - interval '1 hour' THEN v.sent_in_window + 1 ELSE 1 END,
                sent_window_start = CASE WHEN v.sent_window_start > now() - interval '1 hour' THEN v.sent_window_start ELSE now() END
            """)
        try Notifications.email(
            db,
            .init(
                template: "verification", to: email, name: name,
                data: ["code": code, "expires_minutes": String(lifetimeMinutes)],
                messageKey: "verification:\(userId):\(Crypto.hex(Crypto.randomBytes(8)))"))
    }
}

/// `POST /api/v1/auth/otp`: sends a new verification code to the signed-in user.
public enum ResendVerification {
    public static let endpoint = Endpoint(.post, "/api/v1/auth/otp", access: .signedIn, body: 1 * KiB, rate: "auth", handle)

    public static func handle(_ context: Context) throws -> Response {
        let caller = try context.user()
        guard !caller.emailVerified else {
            throw APIError.conflict("Your email address is already verified.", code: "already_verified")
        }
        try context.transaction { db in
            try Verification.send(
                db, userId: caller.id, email: try caller.row.string("email"), name: try caller.row.string("name"), config: context.config)
        }
        return .message("A new code is on its way.")
    }
}

/// `POST /api/v1/auth/otp/verify`: checks the code; on success the email is verified and a
/// welcome email goes out.
public enum VerifyEmail {
    public static let endpoint = Endpoint(.post, "/api/v1/auth/otp/verify", access: .signedIn, body: 1 * KiB, rate: "auth", handle)

    enum Outcome {
        case verified(PrivateProfile)
        case wrong(attemptsLeft: Int)
    }

    public static func handle(_ context: Context) throws -> Response {
        let caller = try context.user()
        var fields = try Fields(context.request.json())
        let code = fields.string("code", min: 6, max: 6)
        if let code, !code.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) { fields.fail("code", "must be 6 digits") }
        try fields.finish()
        guard let code else { throw APIError.invalid([]) }
        guard !caller.emailVerified else {
            throw APIError.conflict("Your email address is already verified.", code: "already_verified")
        }
        let outcome: Outcome = try context.transaction { db in
            guard
                let row = try db.query(
                    """
                    SELECT code_hash = \(try Verification.hash(code, userId: caller.id, config: context.config)) AS matches,
                           expires_at <= now() AS expired, attempts
                    FROM email_verifications WHERE user_id = \(caller.id) FOR UPDATE
                    """
                ).first
            else {
                throw APIError(
                    status: 422, code: "code_missing", message: "Request a new code first.",
                    fieldErrors: [FieldError(field: "code", message: "no code is pending")])
            }
            guard try row.int("attempts") < Verification.maximumAttempts else {
                throw APIError(
                    status: 422, code: "code_locked", message: "Too many wrong codes. Request a new one.",
                    fieldErrors: [FieldError(field: "code", message: "too many wrong attempts")])
            }
            guard try !row.bool("expired") else {
                throw APIError(
                    status: 422, code: "code_expired", message: "This code has expired. Request a new one.",
                    fieldErrors: [FieldError(field: "code", message: "has expired")])
            }
            guard try row.bool("matches") else {
                let attempts = try db.query(
                    "UPDATE email_verifications SET attempts = attempts + 1 WHERE user_id = \(caller.id) RETURNING attempts"
                ).one().int("attempts")
                return .wrong(attemptsLeft: max(0, Verification.maximumAttempts - attempts))  // committed
            }
            try db.execute("DELETE FROM email_verifications WHERE user_id = \(caller.id)")
            guard
                let user = try db.query(
                    """
                    UPDATE users SET email_verified_at = now(), updated_at = now() WHERE id = \(caller.id)
                    RETURNING \(fragment: Caller.columns)
                    """
                ).first
            else { throw APIError.notFound("User") }
            let profile = try PrivateProfile(user)
            try Notifications.email(
                db, .init(template: "welcome", to: profile.email, name: profile.name, data: [:], messageKey: "welcome:\(profile.id)"))
            return .verified(profile)
        }
        switch outcome {
        case .verified(let profile):
            context.log.info("email verified", [("user_id", .string(caller.id))])
            return .ok(profile, message: "Your email address is verified.")
        case .wrong(let left):
            throw APIError(
                status: 422, code: "code_invalid", message: "That code is not right.",
                fieldErrors: [FieldError(field: "code", message: "is not right (\(left) attempts left)")])
        }
    }
}
