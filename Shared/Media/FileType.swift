/// What a file really is, from its first bytes (never from its name or the type a client
/// declares). Each kind lists the declared content types it may honestly carry: a `.pptx` is a
/// ZIP archive, a `.mov` an ISO media file.
public enum FileKind: String, Sendable, CaseIterable {
    case jpeg, png, webp, gif, isoMedia, webm, pdf, zip, ole, webVTT, subRip, plainText

    /// How many leading bytes `detect` needs to decide.
    public static let headerLength = 64

    public static func detect(_ head: [UInt8]) -> FileKind? {
        func starts(_ prefix: [UInt8], at offset: Int = 0) -> Bool {
            head.count >= offset + prefix.count && Array(head[offset..<offset + prefix.count]) == prefix
        }
        if starts([0xFF, 0xD8, 0xFF]) { return .jpeg }
        if starts([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return .png }
        if starts(Array("RIFF".utf8)) && starts(Array("WEBP".utf8), at: 8) { return .webp }
        if starts(Array("GIF87a".utf8)) || starts(Array("GIF89a".utf8)) { return .gif }
        if starts(Array("ftyp".utf8), at: 4) { return .isoMedia }
        if starts([0x1A, 0x45, 0xDF, 0xA3]) { return .webm }
        if starts(Array("%PDF-".utf8)) { return .pdf }
        if starts([0x50, 0x4B, 0x03, 0x04]) { return .zip }
        if starts([0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) { return .ole }
        let text = starts([0xEF, 0xBB, 0xBF]) ? Array(head.dropFirst(3)) : head
        if text.starts(with: Array("WEBVTT".utf8)) && (text.count == 6 || [0x20, 0x09, 0x0A, 0x0D].contains(text[6])) {
            return .webVTT
        }
        if isSubRip(text) { return .subRip }
        if isPlainText(text) { return .plainText }
        return nil
    }

    /// The declared content types this kind of file may carry.
    public var contentTypes: [String] {
        switch self {
        case .jpeg: return ["image/jpeg"]
        case .png: return ["image/png"]
        case .webp: return ["image/webp"]
        case .gif: return ["image/gif"]
        case .isoMedia: return ["video/mp4", "video/quicktime"]
        case .webm: return ["video/webm"]
        case .pdf: return ["application/pdf"]
        case .zip:
            return [
                "application/zip",
                "application/vnd.openxmlformats-officedocument.presentationml.presentation",
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            ]
        case .ole: return ["application/vnd.ms-powerpoint", "application/msword", "application/vnd.ms-excel"]
        // Subtitle files are plain text too (a learner's notes may start like one).
        case .webVTT: return ["text/vtt", "text/plain"]
        case .subRip: return ["application/x-subrip", "text/plain"]
        case .plainText: return ["text/plain"]
        }
    }

    /// The kind that may carry a declared content type (its own kind first: `text/plain` is
    /// plain text, though subtitle files may carry it too).
    public static func carrying(_ contentType: String) -> FileKind? {
        allCases.first { $0.contentTypes.first == contentType } ?? allCases.first { $0.contentTypes.contains(contentType) }
    }

    /// Plain text: UTF-8 (a character cut at the end of the header is fine) without control
    /// characters other than tab and line breaks, and not markup (nothing that starts with `<`,
    /// which a browser could take for HTML or SVG).
    static func isPlainText(_ text: [UInt8]) -> Bool {
        guard let first = text.first(where: { ![0x20, 0x09, 0x0A, 0x0D].contains($0) }), first != UInt8(ascii: "<") else {
            return false
        }
        if text.contains(where: { ($0 < 0x20 && ![0x09, 0x0A, 0x0D].contains($0)) || $0 == 0x7F }) { return false }
        // Drop an incomplete sequence at the end (at most 3 bytes), then require valid UTF-8.
        var end = text.count
        for back in 1...min(3, text.count) where text[text.count - back] >= 0xC0 {
            let need = text[text.count - back] >= 0xF0 ? 4 : text[text.count - back] >= 0xE0 ? 3 : 2
            if back < need { end = text.count - back }
            break
        }
        return String(validating: text[..<end], as: UTF8.self) != nil
    }

    /// SubRip: a cue number, a line break, then `00:00:01,000 --> ...`.
    static func isSubRip(_ text: [UInt8]) -> Bool {
        var index = 0
        while index < text.count, (48...57).contains(text[index]) { index += 1 }
        guard index > 0 else { return false }
        if index < text.count, text[index] == 0x0D { index += 1 }
        guard index < text.count, text[index] == 0x0A else { return false }
        let time = Array(text.dropFirst(index + 1).prefix(12))
        let shape = Array("00:00:00,000".utf8)
        guard time.count == 12 else { return false }
        for (byte, expected) in Swift.zip(time, shape) {
            switch expected {
            case UInt8(ascii: "0"): if !(48...57).contains(byte) { return false }
            case UInt8(ascii: ","): if byte != UInt8(ascii: ",") && byte != UInt8(ascii: ".") { return false }
            default: if byte != expected { return false }
            }
        }
        return true
    }
}

/// Every content type a stored file may have, with the extension its object key gets, so the
/// file server (nginx's `types`, S3's metadata) sends the right Content-Type.
public let storedFileTypes: [(contentType: String, fileExtension: String)] = [
    ("image/jpeg", "jpg"), ("image/png", "png"), ("image/webp", "webp"), ("image/gif", "gif"),
    ("video/mp4", "mp4"), ("video/quicktime", "mov"), ("video/webm", "webm"),
    ("application/pdf", "pdf"), ("application/zip", "zip"),
    ("application/vnd.openxmlformats-officedocument.presentationml.presentation", "pptx"),
    ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx"),
    ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
    ("application/vnd.ms-powerpoint", "ppt"), ("application/msword", "doc"), ("application/vnd.ms-excel", "xls"),
    ("text/vtt", "vtt"), ("application/x-subrip", "srt"), ("text/plain", "txt"),
]

/// The extension of a stored object of this content type.
public func fileExtension(for contentType: String) -> String {
    storedFileTypes.first { $0.contentType == contentType }?.fileExtension ?? "bin"
}
