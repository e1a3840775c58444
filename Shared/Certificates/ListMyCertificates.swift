import Auth
import Core
import Database
import Runtime

/// `GET /api/v1/users/me/certificates`: the caller's certificates, newest first.
public enum ListMyCertificates {
    public static let endpoint = Endpoint(.get, "/api/v1/users/me/certificates", access: .signedIn, handle)

    struct Page: Encodable, Sendable {
        var items: [CertificateView]
    }

    public static func handle(_ context: Context) throws -> Response {
        let caller = try context.user()
        // A learner has one certificate per completed course: a bounded list, no cursor needed.
        let rows = try context.db().query(
            """
            SELECT \(fragment: CertificateView.columns) FROM certificates c
            WHERE c.user_id = \(caller.id) ORDER BY c.issued_at DESC, c.id DESC LIMIT 1000
            """
        ).rows
        return .ok(Page(items: try rows.map { try CertificateView($0, appURL: appURL(context.config)) }))
    }
}
