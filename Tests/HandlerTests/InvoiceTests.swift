import Core
import Database
import Delivery
import InvoiceIssue
import InvoiceJobs
import InvoicePDF
import Mail
import Media
import MediaFiles
import PDFWriter
import Queue
import TestSupport
import Testing
import Worker

#if canImport(Glibc)
    import Glibc
#endif

/// Shared set-up of the invoice worker tests: a buyer and the invoice of their paid order.
struct InvoiceFixture {
    let db: Connection
    let buyer: TestUser
    let invoice: IssuedInvoice

    init(buyerName: String = "Nguyễn Thị Minh Khai", lines: Int = 2) throws {
        db = try TestEnvironment.connect()
        var buyer = try Factory.user(db)
        buyer.name = buyerName
        try db.execute("UPDATE users SET name = \(buyerName) WHERE id = \(buyer.id)")
        self.buyer = buyer
        invoice = try Factory.invoice(db, buyer: buyer, lines: lines)
    }

    func job(_ id: String? = nil) -> Queue.Job {
        Queue.Job(
            id: 1, queue: InvoiceJobs.queue, kind: InvoiceJobs.kind, payload: .object(["invoice_id": .string(id ?? invoice.invoiceId)]),
            attempt: 1, maxAttempts: 10)
    }

    @discardableResult
    func render(_ job: Queue.Job? = nil, renderer: InvoiceRenderer = InvoiceRenderer(), db: Connection? = nil) throws
        -> InvoiceIssue.Outcome
    {
        try InvoiceIssue.handle(job ?? self.job(), try JobTesting.context(db ?? self.db), renderer: renderer, files: try JobTesting.files())
    }

    func row(_ id: String? = nil) throws -> Row {
        try db.query("SELECT file_key, file_size, rendered_at FROM invoices WHERE id = \(id ?? invoice.invoiceId)").one()
    }

    /// The email jobs of an invoice (its message key), with their payloads.
    func emails(_ id: String? = nil) throws -> [String] {
        try db.query(
            "SELECT payload::text AS p FROM jobs WHERE unique_key = \("email:invoice:\(id ?? invoice.invoiceId)")"
        ).rows.map { try $0.string("p") }
    }

    func pdfText(_ number: String) throws -> String {
        try readPDF(
            try readFileBytes(TestEnvironment.mediaDirectory + "/" + InvoiceJobs.fileKey(number: number)), ["pdftotext", "-enc", "UTF-8"])
    }

    /// Removes the invoice's email job (no worker takes the shared `email` queue in these tests).
    func cleanUp(_ id: String? = nil) throws {
        try db.execute("DELETE FROM jobs WHERE unique_key = \("email:invoice:\(id ?? invoice.invoiceId)")")
    }
}

@Suite struct InvoiceIssueTests {
    @Test func rendersStoresRecordsAndEmailsTheBuyerOnce() throws {
        let fixture = try InvoiceFixture()
        let number = fixture.invoice.number
        #expect(try fixture.render() == .rendered(number: number))
        // A replayed or duplicated job changes nothing.
        #expect(try fixture.render() == .unchanged(number: number))
        let row = try fixture.row()
        #expect(try row.string("file_key") == "private/invoices/\(number).pdf")
        #expect(try row.int("file_size") > 1000)
        #expect(try row.optionalString("rendered_at") != nil)
        let emails = try fixture.emails()
        #expect(emails.count == 1)
        let email = try JSONValue.parse(Array(try #require(emails.first).utf8))
        #expect(email["template"]?.string == "invoice_issued")
        #expect(email["to"]?.string == fixture.buyer.email)
        #expect(email["name"]?.string == "Nguyễn Thị Minh Khai")
        #expect(email["message_key"]?.string == "invoice:\(fixture.invoice.invoiceId)")
        #expect(email["data"]?["attachment_key"]?.string == "private/invoices/\(number).pdf")
        #expect(email["data"]?["attachment_name"]?.string == "\(number).pdf")
        #expect(email["data"]?["number"]?.string == number)
        #expect(email["data"]?["order_id"]?.string == fixture.invoice.orderId)
        let text = try fixture.pdfText(number)
        #expect(text.contains("Tax invoice"))
        #expect(text.contains(number))
        #expect(text.contains("Nguyễn Thị Minh Khai"))
        for description in fixture.invoice.descriptions { #expect(text.contains(description)) }
        #expect(text.contains(Money.format(minor: fixture.invoice.totalMinor, currency: "INR")))
        #expect(text.contains("Prices include GST 18%."))
        try fixture.cleanUp()
    }

    @Test func theBuyersEmailCarriesThePDFFromTheStore() throws {
        let fixture = try InvoiceFixture(buyerName: "Łukasz Żółć")
        try fixture.render()
        let outbox = try EmailOutbox(fixture.db, messageKey: "invoice:\(fixture.invoice.invoiceId)")
        try outbox.deliver()
        try outbox.deliver()  // a replay sends nothing more
        let messages = try outbox.messages()
        #expect(messages.count == 1)
        let message = try #require(messages.first)
        #expect(message.header("To")?.contains(fixture.buyer.email) == true)
        #expect(message.header("Subject")?.contains("Your LMS Academy invoice \(fixture.invoice.number)") == true)
        let attachment = try #require(message.parts.first { $0.mediaType == "application/pdf" })
        #expect(attachment.header("Content-Disposition")?.contains("\(fixture.invoice.number).pdf") == true)
        let stored = try readFileBytes(TestEnvironment.mediaDirectory + "/" + InvoiceJobs.fileKey(number: fixture.invoice.number))
        #expect(attachment.decodedBody == stored)
        try outbox.remove()
    }

    /// Through the queue: the first attempt fails (the font is missing, as after a bad deploy)
    /// and leaves nothing behind; the retry renders, records and emails once.
    @Test func aFailedAttemptLeavesNothingAndTheRetryIssuesOnce() throws {
        let fixture = try InvoiceFixture(buyerName: "Иван Петров")
        let queue = "invoices-\(fixture.invoice.invoiceId.prefix(8))"
        try fixture.db.transaction { tx in try InvoiceJobs.enqueue(tx, invoiceId: fixture.invoice.invoiceId, queue: queue) }
        let first = try #require(try Queue.claim(fixture.db, queue: queue, limit: 1, worker: "test").first)
        let broken = InvoiceRenderer(fonts: PDFFont(path: "/nonexistent/font.ttf"))
        #expect(throws: RenderError.self) { try fixture.render(first, renderer: broken) }
        try Queue.fail(fixture.db, [Queue.Failure(first.lease, error: "render failed")], worker: "test")
        #expect(try fixture.row().optionalString("file_key") == nil)
        #expect(try fixture.emails().isEmpty)
        #expect(access(TestEnvironment.mediaDirectory + "/" + InvoiceJobs.fileKey(number: fixture.invoice.number), F_OK) != 0)

        try fixture.db.execute("UPDATE jobs SET run_at = now() WHERE id = \(Int(first.id))")  // skip the backoff
        let second = try #require(try Queue.claim(fixture.db, queue: queue, limit: 1, worker: "test").first)
        #expect(second.attempt == 2)
        #expect(try fixture.render(second) == .rendered(number: fixture.invoice.number))
        try Queue.complete(fixture.db, [second.lease], worker: "test")
        #expect(try fixture.row().optionalString("file_key") != nil)
        #expect(try fixture.emails().count == 1)
        #expect(try fixture.pdfText(fixture.invoice.number).contains("Иван Петров"))
        #expect(try fixture.db.query("SELECT 1 FROM jobs WHERE queue = \(queue)").rows.isEmpty)
        try fixture.cleanUp()
    }

    @Test func twoWorkersAtOnceRenderOnceAndEmailOnce() async throws {
        let fixture = try InvoiceFixture()
        let job = fixture.job()
        let outcomes = await JobTesting.concurrently(4) { db in
            "\(try InvoiceIssue.handle(job, try JobTesting.context(db), renderer: InvoiceRenderer(), files: try JobTesting.files()))"
        }
        let number = fixture.invoice.number
        #expect(outcomes.filter { $0 == "\(InvoiceIssue.Outcome.rendered(number: number))" }.count == 1, "\(outcomes)")
        #expect(outcomes.filter { $0 == "\(InvoiceIssue.Outcome.unchanged(number: number))" }.count == 3, "\(outcomes)")
        #expect(try fixture.emails().count == 1)
        try fixture.cleanUp()
    }

    @Test func aCreditNoteNamesItsInvoiceAndHasItsOwnEmail() throws {
        let fixture = try InvoiceFixture(buyerName: "Ελένη Παπαδοπούλου", lines: 1)
        let (_, note) = try Factory.creditNote(fixture.db, for: fixture.invoice, buyer: fixture.buyer)
        #expect(try fixture.render(fixture.job(note.invoiceId)) == .rendered(number: note.number))
        #expect(try fixture.row(note.invoiceId).string("file_key") == "private/invoices/\(note.number).pdf")
        let text = try fixture.pdfText(note.number)
        #expect(text.contains("Credit note"))
        #expect(text.contains("Credit note for invoice \(fixture.invoice.number)"))
        #expect(text.contains("Ελένη Παπαδοπούλου"))
        let email = try JSONValue.parse(Array(try #require(try fixture.emails(note.invoiceId).first).utf8))
        #expect(email["template"]?.string == "credit_note_issued")
        #expect(email["data"]?["invoice_number"]?.string == fixture.invoice.number)
        // The invoice itself is still to be rendered: its own job, its own email.
        #expect(try fixture.row().optionalString("file_key") == nil)
        #expect(try fixture.emails().isEmpty)
        try fixture.cleanUp(note.invoiceId)
    }

    @Test func aDeletedAccountKeepsTheDocumentButGetsNoEmail() throws {
        let fixture = try InvoiceFixture()
        try fixture.db.execute("UPDATE users SET status = 'deleted', deleted_at = now() WHERE id = \(fixture.buyer.id)")
        #expect(try fixture.render() == .rendered(number: fixture.invoice.number))
        #expect(try fixture.emails().isEmpty)
    }

    @Test func badPayloadsFailForGoodAndUnknownInvoicesAreSkipped() throws {
        let fixture = try InvoiceFixture()
        for payload: JSONValue in [.object([:]), .object(["invoice_id": .string("nope")]), .object(["invoice_id": .number(3)])] {
            let job = Queue.Job(id: 1, queue: InvoiceJobs.queue, kind: InvoiceJobs.kind, payload: payload, attempt: 1, maxAttempts: 3)
            #expect(throws: PermanentJobError.self) { try fixture.render(job) }
        }
        #expect(try fixture.render(fixture.job("00000000-0000-4000-8000-000000000001")) == .gone)
    }

    /// The contract with the billing transaction: kind, queue, payload and unique key, once per invoice.
    @Test func theBillingTransactionsEnqueueMatchesTheContract() throws {
        let fixture = try InvoiceFixture()
        let id = fixture.invoice.invoiceId
        try fixture.db.transaction { tx in
            try InvoiceJobs.enqueue(tx, invoiceId: id)
            try InvoiceJobs.enqueue(tx, invoiceId: id)
        }
        let jobs = try fixture.db.query(
            "SELECT queue, kind, payload::text AS p FROM jobs WHERE unique_key = \("invoice:\(id)")"
        ).rows
        #expect(jobs.count == 1)
        #expect(try jobs.first?.string("queue") == "invoices")
        #expect(try jobs.first?.string("kind") == "invoice.render")
        #expect(try JSONValue.parse(Array(try #require(jobs.first).string("p").utf8)) == .object(["invoice_id": .string(id)]))
        try fixture.db.execute("DELETE FROM jobs WHERE unique_key = \("invoice:\(id)")")
    }
}
