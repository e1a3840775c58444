import Auth
import Core
import Crypto
import Database
import Runtime

/// `POST /api/v1/users/me/password`: checks the current password, sets the new one, ends
/// every other session (refresh tokens revoked, access tokens invalidated) and returns a
/// fresh session for this one.
public enum ChangePassword {
    public static let endpoint = Endpoint(.post, "/api/v1/users/me/password", access: .signedIn, body: 4 * KiB, rate: "auth", handle)

    public static func handle(_ context: Context) throws -> Response {
        let caller = try context.user()
        var fields = try Fields(context.request.json())
        let current = PasswordPolicy.current(&fields, "current_password")
        let new = PasswordPolicy.field(&fields, "new_password")
        if let current, let new, current == new { fields.fail("new_password", "must differ from the current password") }
        try fields.finish()
        guard let current, let new else { throw APIError.invalid([]) }

        let db = try context.db()
        let throttle = Throttle.reauthentication(caller.id)
        try Throttle.attempt(db, key: throttle)
        let stored = try db.query("SELECT password_hash FROM users WHERE id = \(caller.id)").first
        guard let hash = try stored?.optionalString("password_hash"), Passwords.verify(current, hash: hash) else {
            throw APIError.invalid(field: "current_password", "is incorrect")
        }
        let newHash = Passwords.hash(new)
        let signedIn = try context.transaction { tx in
            try Throttle.reset(tx, key: throttle)
            try tx.execute("UPDATE users SET password_hash = \(newHash) WHERE id = \(caller.id)")
            let version = try Tokens.revokeAll(tx, userId: caller.id)
            guard let row = try Users.load(tx, id: caller.id) else { throw APIError.notFound("User") }
            let user = try PrivateProfile(row)
            let session = try Tokens.issue(
                tx, config: context.config, userId: user.id, role: user.role, tokenVersion: version,
                userAgent: context.request.header("user-agent"))
            return SignedIn(user: user, session: session)
        }
        context.log.info("password changed", [("user_id", .string(caller.id))])
        return signedIn.response(context.config, status: 200, message: "Password changed. Other sessions were signed out.")
    }
}
