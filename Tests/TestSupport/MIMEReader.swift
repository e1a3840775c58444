/// A small reader of MIME messages, written apart from the renderer so tests check its output
/// against the RFCs rather than against itself.
public struct MIMEEntity {
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]

    public init(_ bytes: [UInt8]) {
        var end = 0
        while end + 3 < bytes.count, bytes[end..<end + 4] != [13, 10, 13, 10] { end += 1 }
        let head = String(decoding: bytes[0..<min(end, bytes.count)], as: UTF8.self)
        body = end + 4 <= bytes.count ? Array(bytes[(end + 4)...]) : []
        headers = []
        // Unfold: a line that starts with white space continues the previous header.
        for line in head.split(separator: "\r\n", omittingEmptySubsequences: false) {
            if let first = line.first, first == " " || first == "\t", !headers.isEmpty {
                headers[headers.count - 1].value += line
            } else if let colon = line.firstIndex(of: ":") {
                headers.append((String(line[..<colon]), String(line[line.index(after: colon)...].drop(while: { $0 == " " }))))
            }
        }
    }

    public func header(_ name: String) -> String? { headers.first { $0.name.lowercased() == name.lowercased() }?.value }

    /// `text/plain` from `text/plain; charset=utf-8`.
    public var mediaType: String {
        String((header("Content-Type") ?? "text/plain").split(separator: ";")[0]).lowercased()
    }

    /// A parameter of a structured header (`boundary`, `filename`, `charset`), unquoted.
    public func parameter(_ headerName: String, _ name: String) -> String? {
        guard let value = header(headerName) else { return nil }
        for piece in value.split(separator: ";").dropFirst() {
            let pair = piece.split(separator: "=", maxSplits: 1)
            guard pair.count == 2, pair[0].drop(while: { $0 == " " || $0 == "\t" }).lowercased() == name.lowercased() else { continue }
            var text = String(pair[1])
            if text.hasPrefix("\"") && text.hasSuffix("\"") { text = String(text.dropFirst().dropLast()) }
            return text
        }
        return nil
    }

    /// The parts of a multipart entity.
    public var parts: [MIMEEntity] {
        guard let boundary = parameter("Content-Type", "boundary") else { return [] }
        let text = "\r\n" + String(decoding: body, as: UTF8.self)
        let pieces = text.split(separator: "\r\n--" + boundary, omittingEmptySubsequences: false)
        guard pieces.count >= 3, pieces.last!.hasPrefix("--") else { return [] }
        return pieces.dropFirst().dropLast().map { MIMEEntity(Array($0.utf8.dropFirst(2))) }  // the boundary line's CRLF
    }

    /// The body with its Content-Transfer-Encoding undone.
    public var decodedBody: [UInt8] {
        switch header("Content-Transfer-Encoding")?.lowercased() {
        case "base64": return decodeBase64(String(decoding: body, as: UTF8.self)) ?? []
        case "quoted-printable": return decodeQuotedPrintable(body)
        default: return body
        }
    }

    public var decodedText: String { String(decoding: decodedBody, as: UTF8.self) }
}

/// RFC 4648 base64; line breaks are ignored, anything else outside the alphabet fails.
public func decodeBase64(_ text: String) -> [UInt8]? {
    let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
    var values: [UInt8] = []
    var padding = 0
    for byte in text.utf8 where byte != 13 && byte != 10 {
        if byte == UInt8(ascii: "=") {
            padding += 1
            continue
        }
        guard padding == 0, let index = alphabet.firstIndex(of: byte) else { return nil }
        values.append(UInt8(index))
    }
    guard (values.count + padding) % 4 == 0 else { return nil }
    var out: [UInt8] = []
    var index = 0
    while index < values.count {
        let chunk = values[index..<min(index + 4, values.count)]
        var value: UInt32 = 0
        for (offset, sextet) in chunk.enumerated() { value |= UInt32(sextet) << (18 - 6 * offset) }
        let bytes = [UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)]
        out += bytes.prefix(chunk.count - 1)
        index += 4
    }
    return out
}

/// RFC 2045 quoted-printable: `=XX` escapes and `=` soft line breaks.
public func decodeQuotedPrintable(_ bytes: [UInt8]) -> [UInt8] {
    func hex(_ byte: UInt8) -> UInt8? { UInt8(String(UnicodeScalar(byte)), radix: 16) }
    var out: [UInt8] = []
    var index = 0
    while index < bytes.count {
        if bytes[index] == UInt8(ascii: "=") {
            if index + 2 < bytes.count, bytes[index + 1] == 13, bytes[index + 2] == 10 {
                index += 3
                continue
            }
            if index + 2 < bytes.count, let high = hex(bytes[index + 1]), let low = hex(bytes[index + 2]) {
                out.append(high << 4 | low)
                index += 3
                continue
            }
        }
        out.append(bytes[index])
        index += 1
    }
    return out
}

/// Header text with RFC 2047 `=?UTF-8?B?...?=` words decoded and the white space between
/// two encoded-words dropped.
public func decodeEncodedWords(_ text: String) -> String {
    var out = ""
    var pendingSpace = ""
    var previousWasEncoded = false
    for token in text.split(separator: " ", omittingEmptySubsequences: false) {
        if token.hasPrefix("=?UTF-8?B?") && token.hasSuffix("?=") {
            let payload = token.dropFirst(10).dropLast(2)
            if !previousWasEncoded { out += pendingSpace }
            out += String(decoding: decodeBase64(String(payload)) ?? [], as: UTF8.self)
            previousWasEncoded = true
        } else {
            out += pendingSpace + token
            previousWasEncoded = false
        }
        pendingSpace = " "
    }
    return out
}
