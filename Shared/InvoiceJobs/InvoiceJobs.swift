import Core
import Database
import Queue

/// The invoice worker's job, as the billing transaction enqueues it: kind `invoice.render` on
/// queue `invoices`, payload `{"invoice_id": "<uuid>"}`, unique key `invoice:<invoice id>`.
/// No C library: the payment functions (static executables) link it.
public enum InvoiceJobs {
    public static let kind = "invoice.render"
    public static let queue = "invoices"

    struct Payload: Codable, Sendable {
        var invoiceId: String
    }

    /// Enqueues the rendering of an `invoices` row (an invoice or a credit note) in the caller's
    /// transaction: the row and its job commit or roll back together. Once per invoice.
    public static func enqueue(_ db: Connection, invoiceId: String, queue: String = InvoiceJobs.queue) throws {
        try Queue.enqueue(
            db, kind: kind, payload: Payload(invoiceId: invoiceId), options: .init(queue: queue, uniqueKey: uniqueKey(invoiceId)))
    }

    /// `invoice:<invoice id>`.
    public static func uniqueKey(_ invoiceId: String) -> String { "invoice:\(invoiceId)" }

    /// `private/invoices/<number>.pdf`: where the worker stores the document (the key never
    /// changes, so a replay overwrites the same file).
    public static func fileKey(number: String) -> String { "private/invoices/\(number).pdf" }

    /// Whether `number` can name a file: letters, digits, `-`, `_` and `.` (not leading), as
    /// `INV-2026-27-000123` does.
    public static func isFileSafe(_ number: String) -> Bool {
        guard let first = number.utf8.first, first != UInt8(ascii: "."), number.utf8.count <= 60 else { return false }
        return number.utf8.allSatisfy { byte in
            (byte >= 48 && byte <= 57) || (byte >= 65 && byte <= 90) || (byte >= 97 && byte <= 122) || byte == 45 || byte == 95
                || byte == 46
        }
    }
}
