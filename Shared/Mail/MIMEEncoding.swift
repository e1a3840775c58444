import Core

#if canImport(Glibc)
    import Glibc
#endif

/// The encodings a message is made of: base64 and quoted-printable bodies (RFC 2045),
/// encoded-words for header text (RFC 2047), parameter values (RFC 2231), the RFC 5322 date.
enum MIMEEncoding {
    static let crlf: [UInt8] = [13, 10]
    static let base64Alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
    static let hexDigits = Array("0123456789ABCDEF".utf8)

    /// Standard base64 with padding, in lines of at most `lineLength` characters joined by
    /// CRLF (no CRLF after the last line); `nil` for one unbroken line.
    static func base64(_ bytes: [UInt8], lineLength: Int? = 76) -> [UInt8] {
        var encoded: [UInt8] = []
        encoded.reserveCapacity((bytes.count + 2) / 3 * 4)
        var index = 0
        while index < bytes.count {
            let count = min(3, bytes.count - index)
            var value = UInt32(bytes[index]) << 16
            if count > 1 { value |= UInt32(bytes[index + 1]) << 8 }
            if count > 2 { value |= UInt32(bytes[index + 2]) }
            encoded.append(base64Alphabet[Int(value >> 18 & 63)])
            encoded.append(base64Alphabet[Int(value >> 12 & 63)])
            encoded.append(count > 1 ? base64Alphabet[Int(value >> 6 & 63)] : UInt8(ascii: "="))
            encoded.append(count > 2 ? base64Alphabet[Int(value & 63)] : UInt8(ascii: "="))
            index += 3
        }
        guard let lineLength else { return encoded }
        var out: [UInt8] = []
        out.reserveCapacity(encoded.count + encoded.count / lineLength * 2)
        var start = 0
        while start < encoded.count {
            if start > 0 { out += crlf }
            out += encoded[start..<min(start + lineLength, encoded.count)]
            start += lineLength
        }
        return out
    }

    /// Quoted-printable with CRLF hard line breaks (any of CRLF, CR, LF in `text` is one) and
    /// soft breaks that keep every line at most 76 characters. A dot that starts a line is
    /// encoded too, so no relay can mistake it for the end of the SMTP data.
    static func quotedPrintable(_ text: String) -> [UInt8] {
        var out: [UInt8] = []
        var lineLength = 0
        let bytes = Array(text.utf8)
        var index = 0
        func emit(_ token: [UInt8]) {
            if lineLength + token.count > 75 {
                out += [UInt8(ascii: "=")] + crlf
                lineLength = 0
            }
            out += token
            lineLength += token.count
        }
        func escaped(_ byte: UInt8) -> [UInt8] {
            [UInt8(ascii: "="), hexDigits[Int(byte >> 4)], hexDigits[Int(byte & 0xF)]]
        }
        while index < bytes.count {
            let byte = bytes[index]
            if byte == 13 || byte == 10 {
                index += (byte == 13 && index + 1 < bytes.count && bytes[index + 1] == 10) ? 2 : 1
                out += crlf
                lineLength = 0
                continue
            }
            let atLineEnd = index + 1 == bytes.count || bytes[index + 1] == 13 || bytes[index + 1] == 10
            switch byte {
            case 9, 32:
                // Trailing white space would be stripped in transit: encode it there.
                emit(atLineEnd ? escaped(byte) : [byte])
            case UInt8(ascii: "."):
                emit(lineLength == 0 ? escaped(byte) : [byte])
            case 33...126 where byte != UInt8(ascii: "="):
                emit([byte])
            default:
                emit(escaped(byte))
            }
            index += 1
        }
        return out
    }

    /// RFC 2047 encoded-words (`=?UTF-8?B?...?=`), each at most 64 characters and never
    /// splitting a character, to be joined by folding white space.
    static func encodedWords(_ text: String) -> [String] {
        var words: [String] = []
        var chunk: [UInt8] = []
        func flush() {
            guard !chunk.isEmpty else { return }
            words.append("=?UTF-8?B?" + String(decoding: base64(chunk, lineLength: nil), as: UTF8.self) + "?=")
            chunk = []
        }
        for scalar in text.unicodeScalars {
            let encoded = Array(String(scalar).utf8)
            if chunk.count + encoded.count > 39 { flush() }
            chunk += encoded
        }
        flush()
        return words
    }

    /// Line breaks become spaces and other control characters go: a header value can then
    /// never start a new header.
    static func headerText(_ text: String) -> String {
        var out = String.UnicodeScalarView()
        var previousWasBreak = false
        for scalar in text.unicodeScalars {
            if scalar == "\r" || scalar == "\n" {
                if !previousWasBreak { out.append(" ") }
                previousWasBreak = true
                continue
            }
            previousWasBreak = false
            if scalar == "\t" || (scalar.value >= 0x20 && scalar.value != 0x7F) { out.append(scalar) }
        }
        return String(out)
    }

    /// Printable ASCII and spaces only, and nothing a reader would take for an encoded-word.
    static func isPlainASCII(_ text: String) -> Bool {
        text.utf8.allSatisfy { $0 == 9 || (32...126).contains($0) } && !text.contains("=?")
    }

    /// An unstructured header (`Subject`, extra headers): ASCII folded at spaces to about 78
    /// characters a line, anything else as encoded-words.
    static func unstructuredHeader(_ name: String, _ value: String) -> String {
        let text = headerText(value)
        guard isPlainASCII(text) else {
            return "\(name): " + encodedWords(text).joined(separator: "\r\n ")
        }
        var lines: [String] = []
        var line = "\(name):"
        for word in text.split(separator: " ", omittingEmptySubsequences: false) {
            // Fold before a word, never inside one, and never leave a line of only spaces.
            if !word.isEmpty && line.contains(" ") && line.utf8.count + 1 + word.utf8.count > 78 {
                lines.append(line)
                line = ""
            }
            line += " " + word
        }
        lines.append(line)
        // A single word too long for any line (RFC 5322 allows 998) goes as encoded-words.
        if lines.contains(where: { $0.utf8.count > 998 }) {
            return "\(name): " + encodedWords(text).joined(separator: "\r\n ")
        }
        return lines.joined(separator: "\r\n")
    }

    /// A display name as a phrase: atoms as they are, other ASCII as a quoted-string,
    /// non-ASCII as encoded-words.
    static func phrase(_ name: String) -> String {
        let text = headerText(name).trimmed()
        guard isPlainASCII(text) else { return encodedWords(text).joined(separator: "\r\n ") }
        let atext = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+-/=?^_`{|}~ ".utf8)
        if text.utf8.allSatisfy({ atext.contains($0) }) { return text }
        return quoted(text)
    }

    /// A quoted-string: `"` and `\` escaped.
    static func quoted(_ text: String) -> String {
        var out = "\""
        for character in text {
            if character == "\"" || character == "\\" { out.append("\\") }
            out.append(character)
        }
        return out + "\""
    }

    /// A MIME parameter (`filename`, `name`): quoted ASCII, or RFC 2231 `name*=UTF-8''...`.
    static func parameter(_ name: String, _ value: String) -> String {
        let text = headerText(value)
        if isPlainASCII(text) && !text.contains("\t") { return "\(name)=\(quoted(text))" }
        let unreserved = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~".utf8)
        var encoded: [UInt8] = []
        for byte in text.utf8 {
            if unreserved.contains(byte) {
                encoded.append(byte)
            } else {
                encoded += [UInt8(ascii: "%"), hexDigits[Int(byte >> 4)], hexDigits[Int(byte & 0xF)]]
            }
        }
        return "\(name)*=UTF-8''" + String(decoding: encoded, as: UTF8.self)
    }

    /// RFC 5322 date-time in UTC: `Tue, 02 Jan 2024 03:04:05 +0000`.
    static func date(_ unixSeconds: Int) -> String {
        var seconds = time_t(unixSeconds)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        func pad(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(days[Int(parts.tm_wday)]), \(pad(parts.tm_mday)) \(months[Int(parts.tm_mon)]) \(parts.tm_year + 1900) "
            + "\(pad(parts.tm_hour)):\(pad(parts.tm_min)):\(pad(parts.tm_sec)) +0000"
    }
}
