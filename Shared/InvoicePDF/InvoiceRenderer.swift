import CHaru
import Core
import PDFWriter

/// Renders an invoice or a credit note on A4 portrait pages with libharu (through
/// `PDFWriter`, like the certificates): seller and buyer, number and date, a table of the lines
/// (descriptions wrap, amounts shrink to their column, never past the margin), the discount and
/// coupon, the tax with its label, rate and whether prices include it, the totals, the payment
/// reference, and "Page n of m" on every page. Lines that do not fit continue on the next page
/// under the table's header again (20 one-line course titles fit on the first page).
public struct InvoiceRenderer: Sendable {
    public var fonts: PDFFont

    public init(fonts: PDFFont = PDFFont()) {
        self.fonts = fonts
    }

    /// `CERTIFICATE_FONT` and `CERTIFICATE_SUBSET_FONT`, as the certificates use.
    public init(config: Config) {
        fonts = PDFFont(config: config)
    }

    /// The font file for this document: the cut-down font when every text is in its scripts.
    public func font(for document: InvoiceDocument) -> String { fonts.file(for: document.texts) }

    /// The PDF's bytes.
    public func render(_ document: InvoiceDocument) throws -> [UInt8] {
        let writer = try PDFWriter(
            title: "\(document.title) \(document.number)", creator: document.seller.name ?? "", fontFile: font(for: document))
        var layout = InvoiceLayout(writer: writer, document: document)
        try layout.draw()
        return try writer.bytes()
    }
}

/// Where everything goes, top to bottom, page after page (points; y grows upwards).
struct InvoiceLayout {
    static let pageWidth: Float = 595.28
    static let pageHeight: Float = 841.89
    static let left: Float = 48
    static let right: Float = pageWidth - 48
    static let top: Float = pageHeight - 48
    /// Nothing but the footer below this.
    static let bottom: Float = 64
    static let amountWidth: Float = 54
    static let gap: Float = 6

    enum Align { case left, right }

    let writer: PDFWriter
    let document: InvoiceDocument
    /// The table's amount columns, left to right: discount and tax only when the document has them.
    let columns: [(title: String, amount: (InvoiceDocument.Line) -> Int)]
    var pages: [HPDF_Page] = []
    var page: HPDF_Page?
    /// Each page's texts, written at the end in one text object per page (the rules and fills
    /// are drawn as they come, under the text).
    var runs: [[(text: String, x: Float, y: Float, size: Float, gray: Float)]] = []
    var y: Float = top

    init(writer: PDFWriter, document: InvoiceDocument) {
        self.writer = writer
        self.document = document
        var columns: [(title: String, amount: (InvoiceDocument.Line) -> Int)] = [("Price", { $0.listPriceMinor })]
        if document.showsDiscount { columns.append(("Discount", { -$0.discountMinor })) }
        if document.showsTax { columns += [("Net", { $0.netMinor }), (document.taxName, { $0.taxMinor })] }
        columns.append(("Total", { $0.totalMinor }))
        self.columns = columns
    }

    mutating func draw() throws {
        try newPage()
        header()
        try table()
        try totals()
        footers()
        writeTexts()
        try writer.check("writing the document")
    }

    // MARK: - Blocks

    /// Seller on the left, title, number and date on the right; then the buyer.
    mutating func header() {
        let split = Self.left + 290
        var sellerY = Self.top - 14
        if let name = nonEmpty(document.seller.name) {
            for line in wrap(name, size: 15, width: split - Self.left - Self.gap) {
                text(line, x: Self.left, y: sellerY, size: 15)
                sellerY -= 19
            }
        }
        sellerY = party(document.seller, name: false, y: sellerY, width: split - Self.left - Self.gap)

        let width = Self.right - split
        var detailsY = Self.top - 16
        text(document.title, x: Self.right, y: detailsY, size: 22, gray: 0.1, align: .right, width: width)
        detailsY -= 26
        var details = [("Number", document.number), ("Date", document.issuedOn)]
        if document.kind == .creditNote, let invoice = document.correctsNumber { details.append(("Corrects", invoice)) }
        for (label, value) in details {
            text(label, x: split, y: detailsY, size: 9, gray: 0.4)
            text(value, x: Self.right, y: detailsY, size: 10, align: .right, width: width - 60)
            detailsY -= 14
        }
        if document.kind == .creditNote, let invoice = document.correctsNumber {
            text("Credit note for invoice \(invoice)", x: Self.right, y: detailsY, size: 9, gray: 0.25, align: .right, width: width)
            detailsY -= 14
        }

        y = min(sellerY, detailsY) - 14
        text(document.kind == .invoice ? "Billed to" : "Credited to", x: Self.left, y: y, size: 9, gray: 0.4)
        y -= 15
        y = party(document.buyer, name: true, y: y, width: split - Self.left - Self.gap) - 12
    }

    /// A party's name (when `name`), address lines, email and tax id from `y` down; returns the
    /// next free baseline.
    mutating func party(_ party: InvoiceDocument.Party, name: Bool, y start: Float, width: Float) -> Float {
        var y = start
        if name, let value = nonEmpty(party.name) {
            for line in wrap(value, size: 11, width: width) {
                text(line, x: Self.left, y: y, size: 11)
                y -= 14
            }
        }
        var rest: [String] = []
        if let address = nonEmpty(party.address) { rest += wrap(address, size: 9, width: width) }
        if let email = nonEmpty(party.email) { rest.append(email) }
        if let taxId = nonEmpty(party.taxId) { rest.append("Tax ID: \(taxId)") }
        for line in rest {
            text(line, x: Self.left, y: y, size: 9, gray: 0.25, width: width)
            y -= 12
        }
        return y
    }

    var descriptionWidth: Float { Self.right - Self.left - Float(columns.count) * (Self.amountWidth + Self.gap) }

    mutating func table() throws {
        text("Amounts in \(document.currency)", x: Self.right, y: y, size: 8, gray: 0.4, align: .right)
        y -= 6
        tableHeader()
        let size: Float = 8.5
        for line in document.lines {
            let wrapped = wrap(line.description, size: size, width: descriptionWidth)
            let height = Float(wrapped.count) * 11 + 8
            if y - height < Self.bottom {
                try newPage()
                continued()
                tableHeader()
            }
            let baseline = y - 4 - size
            for (index, part) in wrapped.enumerated() {
                text(part, x: Self.left, y: baseline - Float(index) * 11, size: size)
            }
            var x = Self.right
            for column in columns.reversed() {
                text(
                    Money.amount(minor: column.amount(line), currency: document.currency), x: x, y: baseline, size: size, align: .right,
                    width: Self.amountWidth)
                x -= Self.amountWidth + Self.gap
            }
            y -= height
            rule(y, gray: 0.85)
        }
    }

    mutating func tableHeader() {
        guard let page else { return }
        HPDF_Page_SetGrayFill(page, 0.93)
        HPDF_Page_Rectangle(page, Self.left - 4, y - 18, Self.right - Self.left + 8, 18)
        HPDF_Page_Fill(page)
        text("Description", x: Self.left, y: y - 12.5, size: 8.5, gray: 0.2)
        var x = Self.right
        for column in columns.reversed() {
            text(column.title, x: x, y: y - 12.5, size: 8.5, gray: 0.2, align: .right, width: Self.amountWidth)
            x -= Self.amountWidth + Self.gap
        }
        y -= 18
    }

    /// The totals on the right; the tax wording, currency, payment and coupon on the left.
    mutating func totals() throws {
        var rows: [(label: String, amount: Int)] = [("Subtotal", document.subtotalMinor)]
        if document.showsDiscount {
            let coupon = nonEmpty(document.couponCode).map { " (coupon \($0))" } ?? ""
            rows.append(("Discount" + coupon, -document.discountMinor))
        }
        if document.showsTax {
            rows.append(("Net amount", document.netMinor))
            rows.append((document.taxName + (document.taxInclusive ? " (included)" : ""), document.taxMinor))
        }
        let total = document.kind == .invoice ? "Total" : "Total credited"
        let split = Self.left + 230
        var notes: [String] = []
        if let wording = document.taxWording { notes.append(wording) }
        let provider = document.providerName
        if document.kind == .invoice {
            notes.append("Paid with \(provider).")
            notes.append("Payment reference: \(document.paymentReference)")
        } else {
            notes.append("Refunded with \(provider).")
            notes.append("Refund reference: \(document.paymentReference)")
        }
        if let coupon = nonEmpty(document.couponCode) { notes.append("Coupon code: \(coupon)") }
        let wrappedNotes = notes.flatMap { wrap($0, size: 8.5, width: split - Self.left - 2 * Self.gap) }

        let height = max(Float(rows.count) * 15 + 30, Float(wrappedNotes.count) * 12) + 20
        if y - height < Self.bottom {
            try newPage()
            continued()
        }
        y -= 18
        var notesY = y
        for note in wrappedNotes {
            text(note, x: Self.left, y: notesY, size: 8.5, gray: 0.3)
            notesY -= 12
        }
        let valueWidth: Float = 100
        for row in rows {
            text(row.label, x: split, y: y, size: 9.5, gray: 0.25, width: Self.right - split - valueWidth - Self.gap)
            text(document.money(row.amount), x: Self.right, y: y, size: 9.5, align: .right, width: valueWidth)
            y -= 15
        }
        rule(y + 9, gray: 0.3, from: split)
        y -= 6
        text(total, x: split, y: y, size: 12, width: Self.right - split - valueWidth - Self.gap)
        text(document.money(document.totalMinor), x: Self.right, y: y, size: 12, align: .right, width: valueWidth)
        y = min(y, notesY) - 12
    }

    /// "INV-… · Page 1 of 2" at the foot of every page, once the page count is known.
    mutating func footers() {
        for index in pages.indices {
            let footer = "\(document.title) \(document.number) · Page \(index + 1) of \(pages.count)"
            let (size, width) = fit(footer, size: 8, width: Self.right - Self.left)
            runs[index].append((footer, (Self.pageWidth - width) / 2, 34, size, 0.45))
        }
    }

    func writeTexts() {
        for (page, texts) in zip(pages, runs) {
            var size: Float = 0
            var gray: Float = -1
            HPDF_Page_BeginText(page)
            for run in texts {
                if run.size != size {
                    size = run.size
                    HPDF_Page_SetFontAndSize(page, writer.font, size)
                }
                if run.gray != gray {
                    gray = run.gray
                    HPDF_Page_SetGrayFill(page, gray)
                }
                HPDF_Page_TextOut(page, run.x, run.y, run.text)
            }
            HPDF_Page_EndText(page)
        }
    }

    /// The top of a page after the first.
    mutating func continued() {
        text("\(document.title) \(document.number) (continued)", x: Self.left, y: Self.top - 10, size: 10, gray: 0.3)
        y = Self.top - 28
    }

    mutating func newPage() throws {
        let page = try writer.addPage(HPDF_PAGE_PORTRAIT)
        pages.append(page)
        runs.append([])
        self.page = page
        y = Self.top
    }

    // MARK: - Drawing

    /// One line of text; with a `width` it shrinks until it fits. Right-aligned text ends at `x`.
    mutating func text(_ text: String, x: Float, y: Float, size: Float, gray: Float = 0, align: Align = .left, width: Float? = nil) {
        guard !runs.isEmpty else { return }
        let (fitted, measured) = fit(text, size: size, width: width ?? .infinity)
        runs[runs.count - 1].append((text, align == .left ? x : x - measured, y, fitted, gray))
    }

    /// The size at which `text` fits in `width` (at most `size`, never below 4 pt) and its width then.
    func fit(_ text: String, size: Float, width: Float) -> (size: Float, width: Float) {
        let natural = writer.width(text, size: size)
        guard natural > width else { return (size, natural) }
        let fitted = max(4, (size * width / natural * 100).rounded(.down) / 100)
        return (fitted, natural * fitted / size)
    }

    func rule(_ y: Float, gray: Float, from x: Float = left) {
        guard let page else { return }
        HPDF_Page_SetGrayStroke(page, gray)
        HPDF_Page_SetLineWidth(page, 0.5)
        HPDF_Page_MoveTo(page, x, y)
        HPDF_Page_LineTo(page, Self.right, y)
        HPDF_Page_Stroke(page)
    }

    /// `text` in lines no wider than `width`: its own line breaks kept, words moved down, a word
    /// longer than a line broken between characters. (libharu does not kern: a line's width is
    /// the sum of its words' and spaces'.)
    func wrap(_ text: String, size: Float, width: Float) -> [String] {
        let space = writer.width(" ", size: size)
        var lines: [String] = []
        for paragraph in text.split(whereSeparator: \.isNewline) {
            var line = ""
            var used: Float = 0
            for word in paragraph.split(whereSeparator: { $0 == " " || $0 == "\t" }) {
                let wordWidth = writer.width(String(word), size: size)
                if !line.isEmpty && used + space + wordWidth <= width {
                    line += " " + word
                    used += space + wordWidth
                    continue
                }
                if !line.isEmpty { lines.append(line) }
                if wordWidth <= width {
                    (line, used) = (String(word), wordWidth)
                    continue
                }
                (line, used) = ("", 0)
                for character in word {
                    let characterWidth = writer.width(String(character), size: size)
                    if !line.isEmpty && used + characterWidth > width {
                        lines.append(line)
                        (line, used) = ("", 0)
                    }
                    line.append(character)
                    used += characterWidth
                }
            }
            if !line.isEmpty { lines.append(line) }
        }
        return lines
    }

    func nonEmpty(_ text: String?) -> String? {
        guard let text = text?.trimmed(), !text.isEmpty else { return nil }
        return text
    }
}
