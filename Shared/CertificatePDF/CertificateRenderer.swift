import CHaru
import CQREncode
import Core

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

/// A libharu or libqrencode failure; the job that rendered fails (and is retried).
public struct RenderError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// Renders the one-page landscape A4 certificate with libharu: the TrueType font embedded as a
/// subset (glyphs used only), texts that would overflow shrink to fit their line, and the QR
/// code (libqrencode, error correction M) drawn as vector squares.
public struct CertificateRenderer: Sendable {
    /// A TrueType font with the scripts learners' names use (`CERTIFICATE_FONT`).
    public var fontPath: String
    /// The same font cut down to `subsetRanges` (`CERTIFICATE_SUBSET_FONT`, made by
    /// infra/scripts/lib.sh): libharu parses the whole TrueType file for every document, so a
    /// fifth of the file renders about four times faster. Used when every character of the
    /// certificate is in those ranges; the whole font otherwise.
    public var subsetFontPath: String?

    public static let defaultFont = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"

    /// Latin (with Vietnamese), Greek, Cyrillic, punctuation, currency and letter-like symbols:
    /// the same ranges as CERTIFICATE_FONT_RANGES in infra/scripts/lib.sh.
    public static let subsetRanges: [ClosedRange<UInt32>] = [
        0x20...0x7E, 0xA0...0x52F, 0x1E00...0x1FFF, 0x2000...0x206F, 0x20A0...0x20CF, 0x2100...0x214F,
    ]

    public init(fontPath: String = CertificateRenderer.defaultFont, subsetFontPath: String? = nil) {
        self.fontPath = fontPath
        self.subsetFontPath = subsetFontPath
    }

    public init(config: Config) {
        self.init(
            fontPath: config["CERTIFICATE_FONT"] ?? CertificateRenderer.defaultFont,
            subsetFontPath: config["CERTIFICATE_SUBSET_FONT"].flatMap { $0.isEmpty ? nil : $0 })
    }

    /// The font file for this content.
    public func font(for content: CertificateContent) -> String {
        guard let subsetFontPath else { return fontPath }
        let texts = [
            content.platformName, content.learnerName, content.courseTitle, content.instructorName, content.completedOn, content.code,
            content.verificationURL,
        ]
        let covered = texts.allSatisfy { text in
            text.unicodeScalars.allSatisfy { scalar in Self.subsetRanges.contains { $0.contains(scalar.value) } }
        }
        return covered ? subsetFontPath : fontPath
    }

    static let pageWidth: Float = 841.89
    static let pageHeight: Float = 595.28
    /// Left and right margin of every centred line.
    static let margin: Float = 80

    /// The PDF's bytes.
    public func render(_ content: CertificateContent) throws -> [UInt8] {
        let errors = ErrorRecorder()
        let recorder = Unmanaged.passUnretained(errors).toOpaque()
        guard
            let pdf = HPDF_New(
                { code, detail, data in
                    guard let data else { return }
                    Unmanaged<ErrorRecorder>.fromOpaque(data).takeUnretainedValue().record(code, detail)
                }, recorder)
        else { throw RenderError("libharu could not allocate a document") }
        defer { HPDF_Free(pdf) }
        try withExtendedLifetime(errors) {
            func check(_ step: String) throws {
                if let failure = errors.failure { throw RenderError("libharu failed at \(step): \(failure)") }
            }
            HPDF_SetCompressionMode(pdf, UInt32(HPDF_COMP_ALL))
            HPDF_UseUTFEncodings(pdf)
            HPDF_SetInfoAttr(pdf, HPDF_INFO_TITLE, "Certificate \(content.code)")
            HPDF_SetInfoAttr(pdf, HPDF_INFO_CREATOR, content.platformName)
            let fontFile = font(for: content)
            guard let fontName = HPDF_LoadTTFontFromFile(pdf, fontFile, HPDF_TRUE) else {
                try check("loading the font \(fontFile)")
                throw RenderError("libharu could not load the font \(fontFile)")
            }
            guard let font = HPDF_GetFont(pdf, fontName, "UTF-8"), let page = HPDF_AddPage(pdf) else {
                try check("creating the page")
                throw RenderError("libharu could not create the page")
            }
            HPDF_Page_SetSize(page, HPDF_PAGE_SIZE_A4, HPDF_PAGE_LANDSCAPE)
            try check("setting up the page")
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
                let size = fitted(page, font, line.text, size: line.size, width: width)
                HPDF_Page_SetGrayFill(page, line.gray)
                HPDF_Page_SetFontAndSize(page, font, size)
                let textWidth = HPDF_Page_TextWidth(page, line.text)
                HPDF_Page_TextOut(page, (Self.pageWidth - textWidth) / 2, line.y, line.text)
            }
            let footerWidth = Self.pageWidth - 2 * Self.margin - 150
            HPDF_Page_SetGrayFill(page, 0.3)
            for (text, y) in [("Certificate code: " + content.code, Float(96)), ("Verify at " + content.verificationURL, 78)] {
                HPDF_Page_SetFontAndSize(page, font, fitted(page, font, text, size: 10, width: footerWidth))
                HPDF_Page_TextOut(page, Self.margin, y, text)
            }
            HPDF_Page_EndText(page)
            try check("writing the text")
            try drawQR(page, content.verificationURL, x: Self.pageWidth - Self.margin - 110, y: 60, size: 110)
            try check("drawing the QR code")
            guard HPDF_SaveToStream(pdf) == HPDF_OK else {
                try check("saving")
                throw RenderError("libharu could not save the document")
            }
            try check("saving")
        }
        var bytes = [UInt8](repeating: 0, count: Int(HPDF_GetStreamSize(pdf)))
        var length = UInt32(bytes.count)
        let status = bytes.withUnsafeMutableBufferPointer { HPDF_ReadFromStream(pdf, $0.baseAddress, &length) }
        guard status == HPDF_OK || status == HPDF_STREAM_EOF, Int(length) == bytes.count else {
            throw RenderError("libharu could not read the document back (status \(status))")
        }
        return bytes
    }

    /// The largest size up to `size` at which `text` fits in `width` (never below 4 pt).
    func fitted(_ page: HPDF_Page, _ font: HPDF_Font, _ text: String, size: Float, width: Float) -> Float {
        HPDF_Page_SetFontAndSize(page, font, size)
        let natural = HPDF_Page_TextWidth(page, text)
        guard natural > width else { return size }
        return max(4, (size * width / natural * 100).rounded(.down) / 100)
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
    public static func displayDate(_ iso: String) -> String {
        let parts = iso.prefix(10).split(separator: "-")
        let months = [
            "January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December",
        ]
        guard parts.count == 3, let month = Int(parts[1]), (1...12).contains(month), let day = Int(parts[2]) else { return iso }
        return "\(day) \(months[month - 1]) \(parts[0])"
    }
}

/// The first error libharu reported through the handler.
final class ErrorRecorder: @unchecked Sendable {
    var failure: String?

    func record(_ code: UInt, _ detail: UInt) {
        if failure == nil { failure = "error 0x\(String(code, radix: 16, uppercase: true)) (detail \(detail))" }
    }
}
