import Auth
import Core
import Database
import Runtime

/// `PATCH /api/v1/users/me/certificates/{code}` `{"public": true}`: the owner lets anyone with
/// the code download the PDF (or stops it). Verification is public either way.
public enum UpdateCertificate {
    public static let endpoint = Endpoint(
        .patch, "/api/v1/users/me/certificates/{code}", access: .signedIn, body: 1 * KiB, parameters: ["code": .text], handle)

    public static func handle(_ context: Context) throws -> Response {
        let caller = try context.user()
        let code = try codeParameter(context)
        var fields = try Fields(context.request.json())
        guard case .bool(let isPublic)? = fields.object["public"] else {
            fields.fail("public", "must be true or false")
            try fields.finish()
            throw APIError.invalid(field: "public", "must be true or false")
        }
        try fields.finish()
        let row = try context.db().query(
            """
            UPDATE certificates c SET is_public = \(isPublic)
            WHERE c.code = \(code) AND c.user_id = \(caller.id)
            RETURNING \(fragment: CertificateView.columns)
            """
        ).first
        guard let row else { throw APIError.notFound("Certificate") }
        return .ok(try CertificateView(row, appURL: appURL(context.config)), message: "Certificate updated.")
    }
}
