import CHaru
import Core

/// A libharu (or libqrencode) failure; the job that rendered fails (and is retried).
public struct RenderError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// One PDF being written with libharu: its errors come through libharu's error handler (the
/// first one fails the render instead of crashing), the text is UTF-8 in one TrueType font
/// embedded as a subset (glyphs used only), and the result is the file's bytes. Certificates and
/// invoices are both written through it.
public final class PDFWriter {
    public let document: HPDF_Doc
    /// The font every text is set in (UTF-8).
    public let font: HPDF_Font
    let errors: ErrorRecorder

    /// A new, compressed document with its title and creator, set in the font at `fontFile`.
    public init(title: String, creator: String, fontFile: String) throws {
        let errors = ErrorRecorder()
        let recorder = Unmanaged.passUnretained(errors).toOpaque()
        guard
            let document = HPDF_New(
                { code, detail, data in
                    guard let data else { return }
                    Unmanaged<ErrorRecorder>.fromOpaque(data).takeUnretainedValue().record(code, detail)
                }, recorder)
        else { throw RenderError("libharu could not allocate a document") }
        self.errors = errors
        self.document = document
        HPDF_SetCompressionMode(document, UInt32(HPDF_COMP_ALL))
        HPDF_UseUTFEncodings(document)
        HPDF_SetInfoAttr(document, HPDF_INFO_TITLE, title)
        HPDF_SetInfoAttr(document, HPDF_INFO_CREATOR, creator)
        guard let fontName = HPDF_LoadTTFontFromFile(document, fontFile, HPDF_TRUE), let font = HPDF_GetFont(document, fontName, "UTF-8")
        else {
            let failure = errors.failure.map { ": \($0)" } ?? ""
            HPDF_Free(document)
            throw RenderError("libharu could not load the font \(fontFile)\(failure)")
        }
        self.font = font
    }

    deinit { HPDF_Free(document) }

    /// Throws the first error libharu reported, naming the step that was being done.
    public func check(_ step: String) throws {
        if let failure = errors.failure { throw RenderError("libharu failed at \(step): \(failure)") }
    }

    /// A new A4 page.
    public func addPage(_ direction: HPDF_PageDirection) throws -> HPDF_Page {
        guard let page = HPDF_AddPage(document) else {
            try check("creating a page")
            throw RenderError("libharu could not create a page")
        }
        HPDF_Page_SetSize(page, HPDF_PAGE_SIZE_A4, direction)
        try check("setting up a page")
        return page
    }

    /// The finished file.
    public func bytes() throws -> [UInt8] {
        guard HPDF_SaveToStream(document) == HPDF_OK else {
            try check("saving")
            throw RenderError("libharu could not save the document")
        }
        try check("saving")
        var bytes = [UInt8](repeating: 0, count: Int(HPDF_GetStreamSize(document)))
        var length = UInt32(bytes.count)
        let status = bytes.withUnsafeMutableBufferPointer { HPDF_ReadFromStream(document, $0.baseAddress, &length) }
        guard status == HPDF_OK || status == HPDF_STREAM_EOF, Int(length) == bytes.count else {
            throw RenderError("libharu could not read the document back (status \(status))")
        }
        return bytes
    }

    /// The width of `text` at `size` points in the document's font.
    public func width(_ text: String, size: Float) -> Float {
        let bytes = Array(text.utf8)
        let measured = bytes.withUnsafeBufferPointer { HPDF_Font_TextWidth(font, $0.baseAddress, UInt32($0.count)) }
        return Float(measured.width) * size / 1000
    }

    /// The largest size up to `size` at which `text` fits in `width` (never below 4 pt).
    public func fitted(_ text: String, size: Float, width available: Float) -> Float {
        let natural = width(text, size: size)
        guard natural > available else { return size }
        return max(4, (size * available / natural * 100).rounded(.down) / 100)
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

/// The TrueType font documents are set in, and its cut-down copy for the common scripts.
public struct PDFFont: Sendable, Equatable {
    /// A font with the scripts people's names use (`CERTIFICATE_FONT`).
    public var path: String
    /// The same font cut down to `subsetRanges` (`CERTIFICATE_SUBSET_FONT`, made by
    /// infra/scripts/lib.sh): libharu parses the whole TrueType file for every document, so a
    /// fifth of the file renders about four times faster. Used when every character of the
    /// document is in those ranges; the whole font otherwise.
    public var subsetPath: String?

    public static let defaultPath = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"

    /// Latin (with Vietnamese), Greek, Cyrillic, punctuation, currency and letter-like symbols:
    /// the same ranges as CERTIFICATE_FONT_RANGES in infra/scripts/lib.sh.
    public static let subsetRanges: [ClosedRange<UInt32>] = [
        0x20...0x7E, 0xA0...0x52F, 0x1E00...0x1FFF, 0x2000...0x206F, 0x20A0...0x20CF, 0x2100...0x214F,
    ]

    public init(path: String = PDFFont.defaultPath, subsetPath: String? = nil) {
        self.path = path
        self.subsetPath = subsetPath
    }

    public init(config: Config) {
        self.init(
            path: config["CERTIFICATE_FONT"] ?? PDFFont.defaultPath,
            subsetPath: config["CERTIFICATE_SUBSET_FONT"].flatMap { $0.isEmpty ? nil : $0 })
    }

    /// The font file for a document holding `texts` (line breaks and tabs aside: never drawn).
    public func file(for texts: [String]) -> String {
        guard let subsetPath else { return path }
        let covered = texts.allSatisfy { text in
            text.unicodeScalars.allSatisfy { scalar in
                scalar == "\n" || scalar == "\r" || scalar == "\t" || Self.subsetRanges.contains { $0.contains(scalar.value) }
            }
        }
        return covered ? subsetPath : path
    }
}
