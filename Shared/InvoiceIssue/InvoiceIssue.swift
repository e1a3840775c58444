import Core
import Database
import FoundationEssentials
import InvoiceJobs
import InvoicePDF
import MediaFiles
import Notifications
import PDFWriter
import Queue
import Worker

/// The invoice worker's job, `invoice.render` (queue `invoices`, payload `{"invoice_id"}`,
/// enqueued by the billing transaction through `InvoiceJobs.enqueue`): the PDF of an invoice or
/// a credit note, stored and emailed exactly once, as the certificates are:
///
/// - the `invoices` row is locked FOR UPDATE for the whole job, so two workers render one after
///   the other and the second finds the file recorded;
/// - rendering, storing (the key is fixed by the number: a replay overwrites the same file),
///   recording the file and enqueuing the buyer's email (PDF attached, message key
///   `invoice:<id>`) happen in that one transaction, so a worker killed anywhere in between
///   leaves the row unrendered and the retried job does it all again, once.
///
/// The document is what the row says: it never changes once issued; only `file_key`,
/// `file_size` and `rendered_at` are written here.
public enum InvoiceIssue {
    public enum Outcome: Equatable, Sendable {
        case rendered(number: String)
        /// Already rendered (a replayed or duplicated job).
        case unchanged(number: String)
        /// No such invoice.
        case gone
    }

    @discardableResult
    public static func handle(_ job: Queue.Job, _ context: JobContext, renderer: InvoiceRenderer, files: MediaFiles) throws -> Outcome {
        guard case .string(let id) = job.payload["invoice_id"] ?? .null, isUUID(id) else {
            throw PermanentJobError("\(InvoiceJobs.kind) needs invoice_id as a UUID")
        }
        return try context.db.transaction { tx in
            let row = try tx.query(
                """
                SELECT i.kind, i.number, i.order_id::text AS order_id, i.issued_at, i.currency, i.seller::text AS seller,
                       i.buyer::text AS buyer, i.lines::text AS lines, i.coupon_code, i.subtotal_minor, i.discount_minor,
                       i.net_minor, i.tax_minor, i.total_minor, i.tax_label, i.tax_rate_bp, i.tax_inclusive, i.provider,
                       i.payment_reference, i.file_key, c.number AS corrects_number, u.email, u.name, u.status
                FROM invoices i JOIN users u ON u.id = i.user_id LEFT JOIN invoices c ON c.id = i.corrects_id
                WHERE i.id = \(id) FOR UPDATE OF i
                """
            ).first
            guard let row else { return .gone }
            let number = try row.string("number")
            if try row.optionalString("file_key") != nil { return .unchanged(number: number) }
            guard InvoiceJobs.isFileSafe(number) else { throw PermanentJobError("invoice \(id): the number \(number) cannot name a file") }
            let document = try Self.document(row)
            // A render or storage failure is retried: a missing font or a storage outage is fixed
            // by an operator, not by giving up.
            let pdf = try renderer.render(document)
            let key = InvoiceJobs.fileKey(number: number)
            try files.put(key: key, bytes: pdf, contentType: "application/pdf")
            try tx.execute("UPDATE invoices SET file_key = \(key), file_size = \(pdf.count), rendered_at = now() WHERE id = \(id)")
            // A deleted account's address is anonymized: the document is kept, nobody is mailed.
            if try row.string("status") != "deleted" {
                var data = [
                    "number": number, "order_id": try row.string("order_id"), "issued_on": document.issuedOn,
                    "total_minor": String(document.totalMinor), "currency": document.currency, "attachment_key": key,
                    "attachment_name": "\(number).pdf",
                ]
                if let corrected = document.correctsNumber { data["invoice_number"] = corrected }
                try Notifications.email(
                    tx,
                    Notifications.Email(
                        template: document.kind == .invoice ? "invoice_issued" : "credit_note_issued", to: try row.string("email"),
                        name: try row.string("name"), data: data, messageKey: "invoice:\(id)"))
            }
            context.log.info(
                document.kind == .invoice ? "invoice rendered" : "credit note rendered",
                [("invoice_id", .string(id)), ("number", .string(number)), ("bytes", .int(pdf.count))])
            return .rendered(number: number)
        }
    }

    /// The document of an `invoices` row (selected as above).
    static func document(_ row: Row) throws -> InvoiceDocument {
        func decode<T: Decodable>(_ type: T.Type, _ column: String) throws -> T {
            do {
                return try JSONDecoder().decode(type, from: Data(try row.string(column).utf8))
            } catch {
                throw PermanentJobError("invoice \(column) does not decode: \(error)")
            }
        }
        let kind = try row.string("kind")
        return InvoiceDocument(
            kind: kind == "credit_note" ? .creditNote : .invoice, number: try row.string("number"),
            issuedOn: PDFWriter.displayDate(try row.timestamp("issued_at")), currency: try row.string("currency"),
            seller: try decode(InvoiceDocument.Party.self, "seller"), buyer: try decode(InvoiceDocument.Party.self, "buyer"),
            lines: try decode([InvoiceDocument.Line].self, "lines"), couponCode: try row.optionalString("coupon_code"),
            subtotalMinor: try row.int("subtotal_minor"), discountMinor: try row.int("discount_minor"), netMinor: try row.int("net_minor"),
            taxMinor: try row.int("tax_minor"), totalMinor: try row.int("total_minor"), taxLabel: try row.string("tax_label"),
            taxRateBp: try row.int("tax_rate_bp"), taxInclusive: try row.bool("tax_inclusive"), provider: try row.string("provider"),
            paymentReference: try row.string("payment_reference"), correctsNumber: try row.optionalString("corrects_number"))
    }
}
