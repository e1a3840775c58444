import Auth
import Core
import Database
import Runtime

/// `POST /api/v1/admin/certificates/{code}/revoke` `{"reason": "..."}`: verification then says
/// revoked, with the reason; only admins can still download it. Revoking twice is a 409.
public enum RevokeCertificate {
    public static let endpoint = Endpoint(
        .post, "/api/v1/admin/certificates/{code}/revoke", access: .roles([.admin]), body: 4 * KiB, parameters: ["code": .text], handle)

    public static func handle(_ context: Context) throws -> Response {
        let caller = try context.user()
        let code = try codeParameter(context)
        var fields = try Fields(context.request.json())
        let reason = fields.string("reason", min: 3, max: 1000, multiline: true)
        try fields.finish()
        return try context.transaction { db in
            guard let current = try db.query("SELECT revoked_at FROM certificates WHERE code = \(code) FOR UPDATE").first else {
                throw APIError.notFound("Certificate")
            }
            guard try current.optionalString("revoked_at") == nil else {
                throw APIError.conflict("This certificate is already revoked.", code: "already_revoked")
            }
            let row = try db.query(
                """
                UPDATE certificates c SET revoked_at = now(), revoke_reason = \(reason), revoked_by = \(caller.id),
                       reissue_requested_at = NULL
                WHERE c.code = \(code)
                RETURNING \(fragment: CertificateView.columns)
                """
            ).one()
            context.log.info("certificate revoked", [("code", .string(code))])
            return .ok(try CertificateView(row, appURL: appURL(context.config)), message: "Certificate revoked.")
        }
    }
}

/// `POST /api/v1/admin/certificates/{code}/reissue`: renders the certificate again with today's
/// names (same code, the file replaced). 202: the certificate worker does it.
public enum ReissueCertificate {
    public static let endpoint = Endpoint(
        .post, "/api/v1/admin/certificates/{code}/reissue", access: .roles([.admin]), body: 1 * KiB, parameters: ["code": .text],
        handle)

    public static func handle(_ context: Context) throws -> Response {
        _ = try context.user()
        let code = try codeParameter(context)
        return try context.transaction { db in
            guard let row = try db.query("SELECT id, revoked_at FROM certificates WHERE code = \(code) FOR UPDATE").first else {
                throw APIError.notFound("Certificate")
            }
            guard try row.optionalString("revoked_at") == nil else {
                throw APIError.conflict("A revoked certificate cannot be re-issued.", code: "certificate_revoked")
            }
            try CertificateReissue.request(db, certificateIds: [try row.string("id")])
            return .message("The certificate will be re-issued shortly.", status: 202)
        }
    }
}
