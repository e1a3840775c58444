import Auth
import CertificateCodes
import Core
import Database
import Runtime

/// A certificate as its owner (and admins) see it.
public struct CertificateView: Encodable, Sendable {
    public var code: String
    public var courseId: String
    public var courseTitle: String
    public var learnerName: String
    public var instructorName: String
    public var completedAt: String
    public var issuedAt: String
    /// `pending` until the PDF is rendered, then `ready`; `revoked` once revoked.
    public var status: String
    public var isPublic: Bool
    public var verificationUrl: String
    @Nullable public var revokedAt: String?
    @Nullable public var revokeReason: String?

    static let columns: SQL = """
        c.code, c.course_id, c.course_title, c.learner_name, c.instructor_name, c.completed_at, c.issued_at, c.file_key,
        c.is_public, c.revoked_at, c.revoke_reason
        """

    init(_ row: Row, appURL: String) throws {
        code = try row.string("code")
        courseId = try row.string("course_id")
        courseTitle = try row.string("course_title")
        learnerName = try row.string("learner_name")
        instructorName = try row.string("instructor_name")
        completedAt = try row.timestamp("completed_at")
        issuedAt = try row.timestamp("issued_at")
        let revokedAt = try row.optionalTimestamp("revoked_at")
        status = revokedAt != nil ? "revoked" : (try row.optionalString("file_key") == nil ? "pending" : "ready")
        isPublic = try row.bool("is_public")
        verificationUrl = CertificateCode.verificationURL(appURL: appURL, code: code)
        self.revokedAt = revokedAt
        revokeReason = try row.optionalString("revoke_reason")
    }
}

/// `PUBLIC_APP_URL`: where the verification page lives.
func appURL(_ config: Config) -> String { config["PUBLIC_APP_URL"] ?? "http://localhost:3000" }

/// The code in a path, canonical; unknown and malformed codes are the same 404.
func codeParameter(_ context: Context) throws -> String {
    guard let code = CertificateCode.normalize(try context.request.parameter("code")) else { throw APIError.notFound("Certificate") }
    return code
}
