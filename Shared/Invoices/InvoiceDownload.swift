import Auth
import Core
import Database
import Media
import Runtime

/// `GET /api/v1/orders/{id}/invoice`: a signed link to the order's invoice PDF that works for
/// `MEDIA_LINK_TTL_SECONDS`. The order's buyer and admins; anyone else, an unknown order and an
/// order without an invoice get the same 404; 409 `invoice_pending` until the worker rendered it.
public enum OrderInvoiceDownload {
    public static let endpoint = Endpoint(.get, "/api/v1/orders/{id}/invoice", access: .signedIn, handle)

    public static func handle(_ context: Context) throws -> Response {
        try InvoiceLink.respond(
            context, what: "Invoice",
            """
            SELECT o.user_id::text AS owner, i.number, i.issued_at, i.file_key
            FROM orders o JOIN invoices i ON i.order_id = o.id AND i.kind = 'invoice'
            WHERE o.id = \(try context.request.parameter("id"))
            """)
    }
}

/// `GET /api/v1/refunds/{id}/credit-note`: the same for the credit note of a refund (its
/// requester and admins).
public enum RefundCreditNoteDownload {
    public static let endpoint = Endpoint(.get, "/api/v1/refunds/{id}/credit-note", access: .signedIn, handle)

    public static func handle(_ context: Context) throws -> Response {
        try InvoiceLink.respond(
            context, what: "Credit note",
            """
            SELECT r.user_id::text AS owner, i.number, i.issued_at, i.file_key
            FROM refunds r JOIN invoices i ON i.refund_id = r.id AND i.kind = 'credit_note'
            WHERE r.id = \(try context.request.parameter("id"))
            """)
    }
}

/// The download link of an invoice or a credit note, as both endpoints answer it.
struct InvoiceLink: Encodable, Sendable {
    var url: String
    var expiresAt: String
    var number: String
    var issuedAt: String

    /// The document `query` finds (owner, number, issued_at, file_key) as the caller may see it:
    /// 404 when absent or not theirs, 409 before it is rendered, else a link named `<number>.pdf`.
    static func respond(_ context: Context, what: String, _ query: SQL) throws -> Response {
        let caller = try context.user()
        guard let row = try context.db().query(query).first, try row.string("owner") == caller.id || caller.role == .admin else {
            throw APIError.notFound(what)
        }
        let number = try row.string("number")
        guard let key = try row.optionalString("file_key") else {
            throw APIError.conflict("The \(what.lowercased()) is still being prepared. Try again in a moment.", code: "invoice_pending")
        }
        let link = try MediaStore.from(context.config).privateLink(key: key, downloadName: "\(number).pdf", now: unixTime())
        return .ok(InvoiceLink(url: link.url, expiresAt: link.expiresAt, number: number, issuedAt: try row.timestamp("issued_at")))
    }
}
