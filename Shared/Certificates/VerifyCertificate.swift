import Auth
import Core
import Database
import Runtime

/// `GET /api/v1/certificates/{code}`: public verification. Valid or revoked, with the learner's
/// name, course, instructor and date. Rate limited per address by the proxy (`lookup` class);
/// an unknown code and a malformed one are the same 404, so nothing is learnt by guessing.
public enum VerifyCertificate {
    public static let endpoint = Endpoint(
        .get, "/api/v1/certificates/{code}", access: .anyone, mode: .fastcgi, rate: "lookup", parameters: ["code": .text], handle)

    struct Verification: Encodable, Sendable {
        var code: String
        var valid: Bool
        var status: String
        var learnerName: String
        var courseTitle: String
        var instructorName: String
        var completedAt: String
        var issuedAt: String
        @Nullable var revokedAt: String?
        @Nullable var revokeReason: String?
        var pdfAvailable: Bool
    }

    public static func handle(_ context: Context) throws -> Response {
        let code = try codeParameter(context)
        let row = try context.db().query(
            """
            SELECT \(fragment: CertificateView.columns) FROM certificates c WHERE c.code = \(code)
            """
        ).first
        guard let row else { throw APIError.notFound("Certificate") }
        let view = try CertificateView(row, appURL: appURL(context.config))
        return .ok(
            Verification(
                code: view.code, valid: view.revokedAt == nil, status: view.revokedAt == nil ? "valid" : "revoked",
                learnerName: view.learnerName, courseTitle: view.courseTitle, instructorName: view.instructorName,
                completedAt: view.completedAt, issuedAt: view.issuedAt, revokedAt: view.revokedAt, revokeReason: view.revokeReason,
                pdfAvailable: view.isPublic && view.status == "ready"))
    }
}
