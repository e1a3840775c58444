import Auth
import Core
import Crypto
import Database
import Runtime

/// `POST /api/v1/auth/signup`: creates a student or instructor account and signs it in.
/// Nobody makes themselves admin (admins come from `lmsctl create-admin`).
public enum Signup {
    public static let endpoint = Endpoint(.post, "/api/v1/auth/signup", access: .anyone, body: 16 * KiB, rate: "auth", handle)

    public static func handle(_ context: Context) throws -> Response {
        var fields = try Fields(context.request.json())
        let name = fields.string("name", max: 100)
        fields.checkDisplayText("name", name)
        let email = Email.field(&fields)
        let password = PasswordPolicy.field(&fields, "password")
        let role = fields.oneOf("role", [Role.student.rawValue, Role.instructor.rawValue], default: Role.student.rawValue)
        try fields.finish()
        guard let name, let email, let password, let role else { throw APIError.invalid([]) }

        let hash = Passwords.hash(password)
        let signedIn = try context.transaction { db in
            let row: Row
            do {
                guard
                    let inserted = try db.query(
                        """
                        INSERT INTO users (email, name, role, password_hash)
                        VALUES (normalize(\(email), NFC), \(name), \(role), \(hash))
                        RETURNING \(fragment: Caller.columns)
                        """
                    ).first
                else { throw APIError.internalError }
                row = inserted
            } catch let error as DatabaseError where error.kind == .uniqueViolation {
                throw APIError(
                    status: 409, code: "email_taken", message: "An account with this email already exists.",
                    fieldErrors: [FieldError(field: "email", message: "is already registered")])
            }
            let user = try PrivateProfile(row)
            try Verification.send(db, userId: user.id, email: user.email, name: user.name, config: context.config)
            let session = try Tokens.issue(
                db, config: context.config, userId: user.id, role: user.role, tokenVersion: 0,
                userAgent: context.request.header("user-agent"))
            return SignedIn(user: user, session: session)
        }
        context.log.info("signed up", [("user_id", .string(signedIn.user.id)), ("role", .string(role))])
        return signedIn.response(context.config, status: 201, message: "Account created.")
    }
}
