import Core
import InvoicePDF
import PDFWriter
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The invoice and credit-note PDF read back with poppler (pdftotext, pdffonts, pdfinfo), as
/// the buyer and an accountant would read it.
@Suite struct InvoiceDocumentTests {
    static let seller = InvoiceDocument.Party(
        name: "LMS Academy Pvt Ltd", email: "billing@lms.example", address: "12 MG Road\nBengaluru 560001\nIndia", taxId: "29ABCDE1234F1Z5")

    /// A paid order of `lines` courses at `price` each, 18% GST included, a 10% coupon.
    static func invoice(
        buyer: String = "José Müller", lines count: Int = 2, price: Int = 149_900, currency: String = "INR",
        description: (Int) -> String = { "Course \($0 + 1): Swift on the Server" }
    ) -> InvoiceDocument {
        let lines = (0..<count).map { index in
            let discount = price / 10
            let total = price - discount
            let tax = total * 1800 / 11800
            return InvoiceDocument.Line(
                description: description(index), listPriceMinor: price, discountMinor: discount, netMinor: total - tax, taxMinor: tax,
                totalMinor: total)
        }
        return InvoiceDocument(
            kind: .invoice, number: "INV-2026-27-000123", issuedOn: "30 November 2026", currency: currency, seller: seller,
            buyer: .init(name: buyer, email: "buyer@example.test", address: "4 Rue de Rivoli\n75004 Paris", taxId: "FR12345678901"),
            lines: lines, couponCode: "WELCOME10", subtotalMinor: lines.reduce(0) { $0 + $1.listPriceMinor },
            discountMinor: lines.reduce(0) { $0 + $1.discountMinor }, netMinor: lines.reduce(0) { $0 + $1.netMinor },
            taxMinor: lines.reduce(0) { $0 + $1.taxMinor }, totalMinor: lines.reduce(0) { $0 + $1.totalMinor }, taxLabel: "GST",
            taxRateBp: 1800, taxInclusive: true, provider: "razorpay", paymentReference: "pay_NXk3A9bC2dE4fG")
    }

    func text(_ pdf: [UInt8]) throws -> String { try readPDF(pdf, ["pdftotext", "-enc", "UTF-8"]) }

    func pages(_ pdf: [UInt8]) throws -> Int {
        let info = try readPDF(pdf, ["pdfinfo"])
        let line = info.split(separator: "\n").first { $0.hasPrefix("Pages:") }
        return Int(line?.split(separator: " ").last ?? "") ?? 0
    }

    @Test(arguments: ["Nguyễn Thị Minh Khai", "Łukasz Żółć", "Иван Петров", "Ελένη Παπαδοπούλου", "José Müller"])
    func theBuyerNumberLinesAndAmountsComeBackAsText(buyer: String) throws {
        let document = Self.invoice(buyer: buyer)
        let pdf = try InvoiceRenderer().render(document)
        #expect(pdf.starts(with: Array("%PDF-".utf8)))
        let text = try text(pdf)
        #expect(text.contains("Tax invoice"))
        #expect(text.contains("INV-2026-27-000123"))
        #expect(text.contains("30 November 2026"))
        #expect(text.contains(buyer))
        #expect(text.contains("LMS Academy Pvt Ltd"))
        #expect(text.contains("Bengaluru 560001"))
        #expect(text.contains("Tax ID: 29ABCDE1234F1Z5"))
        #expect(text.contains("Tax ID: FR12345678901"))
        #expect(text.contains("Course 1: Swift on the Server"))
        #expect(text.contains("Course 2: Swift on the Server"))
        // Lines in the currency's own digits; totals with its code.
        #expect(text.contains("1,499.00"))
        #expect(text.contains("INR 2,998.00"))  // subtotal
        #expect(text.contains("-INR 299.80"))  // discount
        #expect(text.contains("INR \(Money.amount(minor: document.taxMinor, currency: "INR"))"))
        #expect(text.contains("INR 2,698.20"))  // total
        #expect(text.contains("Amounts in INR"))
        #expect(text.contains("GST 18%"))
        #expect(text.contains("Prices include GST 18%."))
        #expect(text.contains("WELCOME10"))
        #expect(text.contains("pay_NXk3A9bC2dE4fG"))
        #expect(text.contains("Razorpay"))
        #expect(text.contains("Page 1 of 1"))
    }

    @Test(arguments: [("JPY", 1500, "JPY 3,000"), ("USD", 1999, "USD 39.98"), ("KWD", 12_345, "KWD 24.690"), ("INR", 49_900, "INR 998.00")])
    func amountsHaveTheirCurrencysMinorUnits(currency: String, price: Int, subtotal: String) throws {
        var document = Self.invoice(price: price, currency: currency)
        document.taxRateBp = 0
        document.taxLabel = ""
        document.couponCode = nil
        document.lines = document.lines.map {
            InvoiceDocument.Line(
                description: $0.description, listPriceMinor: price, discountMinor: 0, netMinor: price, taxMinor: 0, totalMinor: price)
        }
        (document.discountMinor, document.taxMinor) = (0, 0)
        (document.subtotalMinor, document.netMinor, document.totalMinor) = (2 * price, 2 * price, 2 * price)
        let text = try text(try InvoiceRenderer().render(document))
        #expect(text.contains("Subtotal"))
        #expect(text.contains(subtotal))
        #expect(text.contains("Amounts in \(currency)"))
        #expect(text.contains(Money.amount(minor: price, currency: currency)))
        // No tax, no discount: neither is mentioned.
        #expect(!text.contains("Discount"))
        #expect(!text.contains("Prices include"))
        #expect(!text.contains("Tax 0%"))
    }

    @Test func taxAddedToThePricesSaysSo() throws {
        var document = Self.invoice(currency: "USD")
        document.taxInclusive = false
        document.taxLabel = "VAT"
        document.taxRateBp = 1250
        let text = try text(try InvoiceRenderer().render(document))
        #expect(text.contains("VAT 12.5% is added to the prices."))
        #expect(!text.contains("Prices include"))
    }

    @Test func aCreditNoteNamesTheInvoiceItCorrects() throws {
        var document = Self.invoice(buyer: "Łukasz Żółć", lines: 1)
        document.kind = .creditNote
        document.number = "CN-2026-27-000004"
        document.correctsNumber = "INV-2026-27-000123"
        document.paymentReference = "rfnd_Q1w2E3r4T5"
        let text = try text(try InvoiceRenderer().render(document))
        #expect(text.contains("Credit note"))
        #expect(!text.contains("Tax invoice"))
        #expect(text.contains("CN-2026-27-000004"))
        #expect(text.contains("Credit note for invoice INV-2026-27-000123"))
        #expect(text.contains("rfnd_Q1w2E3r4T5"))
        #expect(text.contains("Łukasz Żółć"))
        #expect(text.contains("Total credited"))
    }

    @Test func twentyLinesFitOnOnePageAndSixtyContinueOnTheNext() throws {
        let twenty = try InvoiceRenderer().render(Self.invoice(lines: 20))
        #expect(try pages(twenty) == 1)
        let text20 = try text(twenty)
        for index in 1...20 { #expect(text20.contains("Course \(index): Swift on the Server"), "line \(index)") }
        #expect(twenty.count < 300 * 1024)

        let sixty = try InvoiceRenderer().render(Self.invoice(lines: 60))
        let count = try pages(sixty)
        #expect(count >= 2)
        let text60 = try text(sixty)
        for index in 1...60 { #expect(text60.contains("Course \(index): Swift on the Server"), "line \(index)") }
        #expect(text60.contains("Page \(count) of \(count)"))
        #expect(text60.contains("INV-2026-27-000123 (continued)"))
        // The table's header again on the next page.
        #expect(text60.components(separatedBy: "Description").count - 1 >= 2)
        #expect(text60.contains("INR \(Money.amount(minor: 60 * (149_900 - 14_990), currency: "INR"))"))
    }

    @Test func longTextsWrapOrShrinkAndNothingPassesTheMargins() throws {
        let long = "Advanced Distributed Systems with Swift on Linux: Consensus, Replication, Queues and Everything In Between"
        var document = Self.invoice(
            buyer: String(repeating: "Maximilian Alexander Wolfgang ", count: 3) + "von Hohenzollern-Sigmaringen", lines: 20,
            price: 99_999_999_99, description: { $0 == 3 ? String(repeating: "Unbreakable", count: 12) : long })
        document.buyer.address = String(repeating: "Very Long Street Name ", count: 8) + "\nSomewhere"
        let pdf = try InvoiceRenderer().render(document)
        let words = try pdfWords(pdf)
        #expect(words.count > 200)
        for word in words {
            #expect(word.xMin >= 47 && word.xMax <= 595.28 - 47, "\(word)")
        }
        let text = try readPDF(pdf, ["pdftotext", "-enc", "UTF-8", "-nopgbrk"])
        #expect(text.contains("Everything In Between"))
        #expect(text.contains(Money.amount(minor: 99_999_999_99, currency: "INR")))
    }

    @Test func theFontIsEmbeddedAsASubsetOnPortraitA4() throws {
        let pdf = try InvoiceRenderer().render(Self.invoice())
        let fonts = try readPDF(pdf, ["pdffonts"])
        let line = try #require(fonts.split(separator: "\n").first { $0.contains("DejaVuSans") })
        // name, type (2 words), encoding, emb, sub, uni, object, generation
        #expect(line.split(separator: " ", omittingEmptySubsequences: true).suffix(5).prefix(2) == ["yes", "yes"])
        #expect(try readPDF(pdf, ["pdfinfo"]).contains("595.276 x 841.89 pts"))
    }

    /// The cut-down font for the scripts it covers, the whole font otherwise: an Armenian name
    /// still prints.
    @Test func theSubsetFontServesItsScriptsAndTheWholeFontTheRest() throws {
        let subset = TestEnvironment.root + "/.deps/fonts/DejaVuSans-certificate.ttf"
        guard access(subset, R_OK) == 0 else { return }  // made by infra/test.sh; absent in a bare `swift test`
        let renderer = InvoiceRenderer(fonts: PDFFont(subsetPath: subset))
        for name in ["Nguyễn Thị Minh Khai", "Łukasz Żółć", "Иван"] {
            let document = Self.invoice(buyer: name, lines: 20)
            #expect(renderer.font(for: document) == subset)
            let pdf = try renderer.render(document)
            #expect(try text(pdf).contains(name))
            #expect(pdf.count < 100 * 1024)
        }
        var windows = Self.invoice()
        windows.buyer.address = "Flat 4\r\nHanoi"  // a form's line break: not drawn, so not a reason for the whole font
        #expect(renderer.font(for: windows) == subset)
        let armenian = Self.invoice(buyer: "Արամ Խաչատրյան")
        #expect(renderer.font(for: armenian) == PDFFont.defaultPath)
        #expect(try text(try renderer.render(armenian)).contains("Արամ Խաչատրյան"))
    }

    @Test func aMissingFontIsAnErrorNotACrash() throws {
        #expect(throws: RenderError.self) {
            try InvoiceRenderer(fonts: PDFFont(path: "/nonexistent/font.ttf")).render(Self.invoice())
        }
    }

    @Test func moneyIsFormattedWithTheCurrencysDigits() {
        #expect(Money.format(minor: 149_900, currency: "INR") == "INR 1,499.00")
        #expect(Money.format(minor: 1500, currency: "jpy") == "JPY 1,500")
        #expect(Money.format(minor: -500, currency: "USD") == "-USD 5.00")
        #expect(Money.format(minor: 1_234_567, currency: "KWD") == "KWD 1,234.567")
        #expect(Money.amount(minor: 5, currency: "KWD") == "0.005")
        #expect(Money.amount(minor: -99, currency: "USD") == "-0.99")
        #expect(Money.amount(minor: 0, currency: "JPY") == "0")
    }
}
