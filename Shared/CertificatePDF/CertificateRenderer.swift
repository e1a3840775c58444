import CHaru
import CQREncode
import Core
import PDFWriter

/// What a certificate says. Every text is UTF-8 and may be in any script the font covers
/// (Latin with diacritics, Vietnamese, Greek, Cyrillic with DejaVu Sans).
public struct CertificateContent: Sendable, Equatable {
    public var platformName: String
    public var learnerName: String
    public var courseTitle: String
    public var instructorName: String
    /// "30 November 2026".
    public var completedOn: String
    public var code: String
    /// The public verification page the QR code points to.
    public var verificationURL: String

    public init(
        platformName: String, learnerName: String, courseTitle: String, instructorName: String, completedOn: String, code: String,
        verificationURL: String
    ) {
        self.platformName = platformName
        self.learnerName = learnerName
        self.courseTitle = courseTitle
        self.instructorName = instructorName
        self.completedOn = completedOn
        self.code = code
        self.verificationURL = verificationURL
    }
}

/// Renders the one-page landscape A4 certificate with libharu (through `PDFWriter`): the
/// TrueType font embedded as a subset (glyphs used only), texts that would overflow shrink to fit
/// their line, and the QR code (libqrencode, error correction M) drawn as vector squares.
public struct CertificateRenderer: Sendable {
    public var fonts: PDFFont

    public static let defaultFont = PDFFont.defaultPath

    public init(fontPath: String = CertificateRenderer.defaultFont, subsetFontPath: String? = nil) {
        fonts = PDFFont(path: fontPath, subsetPath: subsetFontPath)
    }

    public init(config: Config) {
        fonts = PDFFont(config: config)
    }

    /// The font file for this content.
    public func font(for content: CertificateContent) -> String {
        fonts.file(for: [
            content.platformName, content.learnerName, content.courseTitle, content.instructorName, content.completedOn, content.code,
            content.verificationURL,
        ])
    }

    static let pageWidth: Float = 841.89
    static let pageHeight: Float = 595.28
    /// Left and right margin of every centred line.
    static let margin: Float = 80

    /// The PDF's bytes.
    public func render(_ content: CertificateContent) throws -> [UInt8] {
        let writer = try PDFWriter(title: "Certificate \(content.code)", creator: content.platformName, fontFile: font(for: content))
        let page = try writer.addPage(HPDF_PAGE_LANDSCAPE)
        drawFrame(page)
        let width = Self.pageWidth - 2 * Self.margin
        let lines: [(text: String, size: Float, y: Float, gray: Float)] = [
            (content.platformName, 16, 505, 0.35),
            ("Certificate of Completion", 34, 450, 0.1),
            ("This certifies that", 14, 405, 0.35),
            (content.learnerName, 32, 360, 0),
            ("has successfully completed the course", 14, 318, 0.35),
            (content.courseTitle, 22, 280, 0),
            ("Instructor: " + content.instructorName, 13, 225, 0.25),
            ("Completed on " + content.completedOn, 13, 204, 0.25),
        ]
        HPDF_Page_BeginText(page)
        for line in lines {
            let size = writer.fitted(line.text, size: line.size, width: width)
            HPDF_Page_SetGrayFill(page, line.gray)
            HPDF_Page_SetFontAndSize(page, writer.font, size)
            HPDF_Page_TextOut(page, (Self.pageWidth - writer.width(line.text, size: size)) / 2, line.y, line.text)
        }
        let footerWidth = Self.pageWidth - 2 * Self.margin - 150
        HPDF_Page_SetGrayFill(page, 0.3)
        for (text, y) in [("Certificate code: " + content.code, Float(96)), ("Verify at " + content.verificationURL, 78)] {
            HPDF_Page_SetFontAndSize(page, writer.font, writer.fitted(text, size: 10, width: footerWidth))
            HPDF_Page_TextOut(page, Self.margin, y, text)
        }
        HPDF_Page_EndText(page)
        try writer.check("writing the text")
        try drawQR(page, content.verificationURL, x: Self.pageWidth - Self.margin - 110, y: 60, size: 110)
        try writer.check("drawing the QR code")
        return try writer.bytes()
    }

    func drawFrame(_ page: HPDF_Page) {
        HPDF_Page_SetRGBStroke(page, 0.14, 0.34, 0.84)
        HPDF_Page_SetLineWidth(page, 3)
        HPDF_Page_Rectangle(page, 24, 24, Self.pageWidth - 48, Self.pageHeight - 48)
        HPDF_Page_Stroke(page)
        HPDF_Page_SetLineWidth(page, 0.8)
        HPDF_Page_Rectangle(page, 32, 32, Self.pageWidth - 64, Self.pageHeight - 64)
        HPDF_Page_Stroke(page)
    }

    /// The QR code of `text`, `size` points square with its lower-left corner at (x, y); the
    /// white page around it is the quiet zone.
    func drawQR(_ page: HPDF_Page, _ text: String, x: Float, y: Float, size: Float) throws {
        guard let code = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1) else {
            throw RenderError("libqrencode could not encode the verification URL")
        }
        defer { QRcode_free(code) }
        let count = Int(code.pointee.width)
        let module = size / Float(count)
        HPDF_Page_SetGrayFill(page, 0)
        for row in 0..<count {
            var column = 0
            while column < count {
                // Runs of dark modules as one rectangle: fewer operators, smaller file.
                guard code.pointee.data[row * count + column] & 1 == 1 else {
                    column += 1
                    continue
                }
                let start = column
                while column < count && code.pointee.data[row * count + column] & 1 == 1 { column += 1 }
                HPDF_Page_Rectangle(
                    page, x + Float(start) * module, y + size - Float(row + 1) * module, Float(column - start) * module, module)
            }
        }
        HPDF_Page_Fill(page)
    }

    /// "2026-11-30T12:00:00Z" -> "30 November 2026".
    public static func displayDate(_ iso: String) -> String { PDFWriter.displayDate(iso) }
}
