import Auth
import Core
import Database
import Media
import Runtime

/// `GET /api/v1/certificates/{code}/pdf`: a signed link to the PDF that works for
/// `MEDIA_LINK_TTL_SECONDS`. The owner and admins always; anyone else only when the owner made
/// the certificate public, and never once revoked (admins still can). Everyone else gets the
/// same 404 as for an unknown code.
public enum CertificateDownload {
    public static let endpoint = Endpoint(
        .get, "/api/v1/certificates/{code}/pdf", access: .anyone, rate: "lookup", parameters: ["code": .text], handle)

    struct Link: Encodable, Sendable {
        var url: String
        var expiresAt: String
    }

    public static func handle(_ context: Context) throws -> Response {
        let code = try codeParameter(context)
        let caller = try context.optionalCaller()
        let row = try context.db().query(
            "SELECT user_id, file_key, is_public, revoked_at FROM certificates WHERE code = \(code)"
        ).first
        guard let row else { throw APIError.notFound("Certificate") }
        let isOwner = try caller?.id == row.string("user_id")
        let isAdmin = caller?.role == .admin
        let revoked = try row.optionalString("revoked_at") != nil
        let isPublic = try row.bool("is_public")
        let allowed = isAdmin || (!revoked && (isOwner || isPublic))
        guard allowed else { throw APIError.notFound("Certificate") }
        guard let key = try row.optionalString("file_key") else {
            throw APIError.conflict("The certificate is still being prepared. Try again in a moment.", code: "certificate_pending")
        }
        let store = try MediaStore.from(context.config)
        let link = store.privateLink(key: key, downloadName: "certificate-\(code).pdf", now: unixTime())
        return .ok(Link(url: link.url, expiresAt: link.expiresAt))
    }
}
