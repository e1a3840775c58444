import Core
import Database
import InvoiceJobs
import Queue
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The invoice worker as a real process, killed with SIGKILL after it rendered and stored the
/// PDF but before it committed: the retried job records the same file and enqueues one email.
@Suite struct InvoiceWorkerTests {
    @Test func aWorkerKilledAfterStoringLeavesOneDocumentAndOneEmail() throws {
        let db = try TestEnvironment.connect()
        var buyer = try Factory.user(db)
        buyer.name = "Nguyễn Thị Minh Khai"
        try db.execute("UPDATE users SET name = \(buyer.name) WHERE id = \(buyer.id)")
        let invoice = try Factory.invoice(db, buyer: buyer, lines: 3)
        let emailKey = "email:invoice:\(invoice.invoiceId)"
        // Another transaction holds the email job's unique key: the worker renders, stores the
        // file, and then waits on that key, before its commit.
        let blocker = try holdUniqueKey(emailKey, kind: "email.invoice_issued")
        let queue = "invoices-e2e-\(invoice.invoiceId.prefix(8))"
        try db.transaction { tx in try InvoiceJobs.enqueue(tx, invoiceId: invoice.invoiceId, queue: queue) }
        let media = try makeTemporaryDirectory()
        defer { removeTemporaryDirectory(media) }
        let file = media + "/" + InvoiceJobs.fileKey(number: invoice.number)
        func worker() throws -> ChildProcess { try workerProcess("invoice", queueVariable: "INVOICE_QUEUE", queue: queue, media: media) }
        func recorded() throws -> String? {
            try db.query("SELECT file_key FROM invoices WHERE id = \(invoice.invoiceId)").one().optionalString("file_key")
        }
        try killAfterStoring(try worker(), file: file, blocker: blocker) { try recorded() != nil }

        let survivor = try worker()
        defer { survivor.stop() }
        #expect(try eventually(seconds: 30) { try recorded() != nil })
        #expect(try recorded() == InvoiceJobs.fileKey(number: invoice.number))
        #expect(try db.query("SELECT count(*)::int AS n FROM jobs WHERE unique_key = \(emailKey)").one().int("n") == 1)
        #expect(try eventually(seconds: 10) { try db.query("SELECT 1 FROM jobs WHERE queue = \(queue)").rows.isEmpty })
        let text = String(decoding: try runCommand(["pdftotext", "-enc", "UTF-8", file, "-"]).output, as: UTF8.self)
        #expect(text.contains("Nguyễn Thị Minh Khai"))
        #expect(text.contains(invoice.number))
        try db.execute("DELETE FROM jobs WHERE unique_key = \(emailKey)")
    }
}
