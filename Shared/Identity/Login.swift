import Auth
import Core
import Crypto
import Database
import Runtime

/// `POST /api/v1/auth/login`: email and password in, a session out. A wrong password and an
/// unknown email fail the same way (same status, body and cost); repeated failures lock the
/// account for that client address for a growing time, and too many from all addresses lock
/// the account for the rest of the hour (429 with Retry-After; see `Throttle`).
public enum Login {
    public static let endpoint = Endpoint(
        .post, "/api/v1/auth/login", access: .anyone, mode: .fastcgi, processes: 2, body: 16 * KiB, rate: "auth", handle)

    static let failure = APIError(status: 401, code: "invalid_credentials", message: "The email or password is incorrect.")

    public static func handle(_ context: Context) throws -> Response {
        var fields = try Fields(context.request.json())
        let email = fields.string("email", max: 254).map(Email.normalize)
        let password = PasswordPolicy.current(&fields, "password")
        try fields.finish()
        guard let email, let password else { throw APIError.invalid([]) }

        let db = try context.db()
        let throttle = Throttle.signIn(email, from: context.request.remoteAddress)
        try Throttle.attempt(db, key: throttle)
        let row = try db.query(
            """
            SELECT \(fragment: Caller.columns), password_hash FROM users
            WHERE email = normalize(\(email), NFC) AND status <> 'deleted'
            """
        ).first
        let hash = try row?.optionalString("password_hash")
        // Unknown email: verify against a decoy so both paths cost one Argon2id run.
        let matches = Passwords.verify(password, hash: hash ?? Passwords.decoy) && hash != nil
        guard let row, let hash, matches else {
            context.log.info("sign-in failed")
            throw failure
        }
        guard try row.string("status") == "active" else {
            throw APIError(status: 403, code: "account_suspended", message: "This account is suspended.")
        }
        let user = try PrivateProfile(row)
        let signedIn = try context.transaction { tx in
            try Throttle.reset(tx, key: throttle)
            if Passwords.needsRehash(hash) {
                try tx.execute("UPDATE users SET password_hash = \(Passwords.hash(password)) WHERE id = \(user.id)")
            }
            let session = try Tokens.issue(
                tx, config: context.config, userId: user.id, role: user.role, tokenVersion: try row.int("token_version"),
                userAgent: context.request.header("user-agent"))
            return SignedIn(user: user, session: session)
        }
        context.log.info("signed in", [("user_id", .string(user.id))])
        return signedIn.response(context.config, status: 200, message: "Signed in.")
    }
}
