import Core
import Database
import Invoices
import TestSupport
import Testing

/// The download links of invoices and credit notes: the buyer and admins get a signed link once
/// the PDF is rendered; anyone else, unknown and malformed ids, and orders or refunds without a
/// document get the same 404.
@Suite struct InvoiceEndpointTests {
    /// A rendered invoice (by the worker's code), a stranger and an admin.
    func rendered(buyerName: String = "José Müller") throws -> (fixture: InvoiceFixture, stranger: TestUser, admin: TestUser) {
        let fixture = try InvoiceFixture(buyerName: buyerName)
        try fixture.render()
        try fixture.cleanUp()
        return (fixture, try Factory.user(fixture.db), try Factory.user(fixture.db, role: .admin))
    }

    @Test func theBuyerAndAdminsGetASignedLinkToTheInvoice() throws {
        let (fixture, stranger, admin) = try rendered()
        let path = "/api/v1/orders/\(fixture.invoice.orderId)/invoice"
        let owner = try call(OrderInvoiceDownload.endpoint, "GET", path, token: fixture.buyer.accessToken)
        #expect(owner.status == 200)
        let url = try #require(owner.data["url"]?.string)
        #expect(url.contains("/media/private/invoices/\(fixture.invoice.number).pdf?md5="))
        #expect(url.contains("expires="))
        #expect(url.contains("name=\(fixture.invoice.number).pdf"))
        #expect(owner.data["number"]?.string == fixture.invoice.number)
        #expect(owner.data["issued_at"]?.string?.hasSuffix("Z") == true)
        #expect(owner.data["expires_at"]?.string != nil)
        #expect(try call(OrderInvoiceDownload.endpoint, "GET", path, token: admin.accessToken).status == 200)
        let other = try call(OrderInvoiceDownload.endpoint, "GET", path, token: stranger.accessToken)
        #expect(other.status == 404)
        #expect(try call(OrderInvoiceDownload.endpoint, "GET", path).status == 401)
        let unknown = try call(
            OrderInvoiceDownload.endpoint, "GET", "/api/v1/orders/00000000-0000-4000-8000-000000000001/invoice",
            token: fixture.buyer.accessToken)
        #expect(unknown.status == 404)
        #expect(unknown.json["message"] == other.json["message"])
        #expect(
            try call(OrderInvoiceDownload.endpoint, "GET", "/api/v1/orders/not-a-uuid/invoice", token: fixture.buyer.accessToken).status
                == 404)
    }

    @Test func anInvoiceNotRenderedYetIsAConflictAndAnOrderWithoutOneIsNotFound() throws {
        let db = try TestEnvironment.connect()
        let buyer = try Factory.user(db)
        let invoice = try Factory.invoice(db, buyer: buyer, lines: 1)
        let pending = try call(
            OrderInvoiceDownload.endpoint, "GET", "/api/v1/orders/\(invoice.orderId)/invoice", token: buyer.accessToken)
        #expect(pending.status == 409)
        #expect(pending.code == "invoice_pending")
        // An order not paid (no invoice issued).
        let unpaid = try db.query(
            """
            INSERT INTO orders (id, user_id, provider, currency, amount_minor, provider_order_id)
            VALUES (gen_random_uuid(), \(buyer.id), 'razorpay', 'INR', 49900, \("order_unpaid_\(buyer.id.prefix(8))")) RETURNING id
            """
        ).one().string("id")
        let none = try call(OrderInvoiceDownload.endpoint, "GET", "/api/v1/orders/\(unpaid)/invoice", token: buyer.accessToken)
        #expect(none.status == 404)
    }

    @Test func theCreditNoteOfARefundGoesToItsRequesterAndAdmins() throws {
        let (fixture, stranger, admin) = try rendered(buyerName: "Иван")
        let (refundId, note) = try Factory.creditNote(fixture.db, for: fixture.invoice, buyer: fixture.buyer)
        let path = "/api/v1/refunds/\(refundId)/credit-note"
        let pending = try call(RefundCreditNoteDownload.endpoint, "GET", path, token: fixture.buyer.accessToken)
        #expect(pending.status == 409)
        #expect(pending.code == "invoice_pending")
        try fixture.render(fixture.job(note.invoiceId))
        try fixture.cleanUp(note.invoiceId)
        let owner = try call(RefundCreditNoteDownload.endpoint, "GET", path, token: fixture.buyer.accessToken)
        #expect(owner.status == 200)
        #expect(owner.data["url"]?.string?.contains("/media/private/invoices/\(note.number).pdf?md5=") == true)
        #expect(owner.data["number"]?.string == note.number)
        #expect(try call(RefundCreditNoteDownload.endpoint, "GET", path, token: admin.accessToken).status == 200)
        #expect(try call(RefundCreditNoteDownload.endpoint, "GET", path, token: stranger.accessToken).status == 404)
        #expect(try call(RefundCreditNoteDownload.endpoint, "GET", path).status == 401)
        for unknown in ["00000000-0000-4000-8000-000000000001", "not-a-uuid"] {
            #expect(
                try call(RefundCreditNoteDownload.endpoint, "GET", "/api/v1/refunds/\(unknown)/credit-note", token: admin.accessToken)
                    .status == 404)
        }
        // The order's invoice is still the invoice, not the credit note.
        let invoice = try call(
            OrderInvoiceDownload.endpoint, "GET", "/api/v1/orders/\(fixture.invoice.orderId)/invoice", token: fixture.buyer.accessToken)
        #expect(invoice.data["number"]?.string == fixture.invoice.number)
    }

    @Test func aRefundWithoutACreditNoteIsNotFound() throws {
        let (fixture, _, admin) = try rendered()
        let refundId = try fixture.db.query(
            """
            INSERT INTO refunds (order_id, user_id, amount_minor, currency) VALUES (\(fixture.invoice.orderId), \(fixture.buyer.id), 100, 'INR')
            RETURNING id
            """
        ).one().string("id")
        #expect(
            try call(RefundCreditNoteDownload.endpoint, "GET", "/api/v1/refunds/\(refundId)/credit-note", token: fixture.buyer.accessToken)
                .status == 404)
        #expect(
            try call(RefundCreditNoteDownload.endpoint, "GET", "/api/v1/refunds/\(refundId)/credit-note", token: admin.accessToken).status
                == 404)
    }
}
