/// Byte-level text helpers shared by every layer: percent-encoding, UUID and character checks.

@inline(__always) public func isAlphanumeric(_ byte: UInt8) -> Bool {
    (byte >= 48 && byte <= 57) || (byte >= 65 && byte <= 90) || (byte >= 97 && byte <= 122)
}

/// True for the canonical text form of a UUID; path ids that are not UUIDs are simply not found.
public func isUUID(_ text: String) -> Bool {
    let bytes = Array(text.utf8)
    guard bytes.count == 36 else { return false }
    for (index, byte) in bytes.enumerated() {
        if [8, 13, 18, 23].contains(index) {
            if byte != UInt8(ascii: "-") { return false }
        } else if !((48...57).contains(byte) || (97...102).contains(byte) || (65...70).contains(byte)) {
            return false
        }
    }
    return true
}

/// Percent-encodes everything but RFC 3986 unreserved characters (`A-Z a-z 0-9 - . _ ~`):
/// safe in a query value, a form value and a path segment. The one encoder of the code base
/// (AWS SigV4 requires exactly this set).
public func percentEncode(_ text: String) -> String {
    let digits = Array("0123456789ABCDEF".utf8)
    var out: [UInt8] = []
    out.reserveCapacity(text.utf8.count)
    for byte in text.utf8 {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
            UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
            out.append(byte)
        default:
            out += [UInt8(ascii: "%"), digits[Int(byte >> 4)], digits[Int(byte & 0xF)]]
        }
    }
    return String(decoding: out, as: UTF8.self)
}

/// Percent-decodes; malformed escapes stay as they are, invalid UTF-8 becomes U+FFFD.
public func percentDecode(_ text: Substring, plusIsSpace: Bool) -> String {
    let bytes = Array(text.utf8)
    guard bytes.contains(UInt8(ascii: "%")) || (plusIsSpace && bytes.contains(UInt8(ascii: "+"))) else { return String(text) }
    var out: [UInt8] = []
    out.reserveCapacity(bytes.count)
    var index = 0
    while index < bytes.count {
        let byte = bytes[index]
        if byte == UInt8(ascii: "%"), index + 2 < bytes.count,
            let high = hexValue(bytes[index + 1]), let low = hexValue(bytes[index + 2])
        {
            out.append(high << 4 | low)
            index += 3
        } else {
            out.append(plusIsSpace && byte == UInt8(ascii: "+") ? UInt8(ascii: " ") : byte)
            index += 1
        }
    }
    return String(decoding: out, as: UTF8.self)
}

private func hexValue(_ byte: UInt8) -> UInt8? {
    switch byte {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
    case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
    case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
    default: return nil
    }
}

/// `2026-12-31T23:59Z`, `2026-12-31T23:59:00.5+05:30`: an RFC 3339 time (seconds optional), with
/// a real calendar date and a year from 2000 to 2999, so PostgreSQL never sees one it refuses.
public func isTimestamp(_ text: String) -> Bool {
    let b = Array(text.utf8)
    func digits(_ start: Int, _ count: Int) -> Int? {
        guard start + count <= b.count else { return nil }
        var value = 0
        for byte in b[start..<start + count] {
            guard (48...57).contains(byte) else { return nil }
            value = value * 10 + Int(byte - 48)
        }
        return value
    }
    guard b.count >= 17, let year = digits(0, 4), b[4] == UInt8(ascii: "-"), let month = digits(5, 2), b[7] == UInt8(ascii: "-"),
        let day = digits(8, 2), b[10] == UInt8(ascii: "T") || b[10] == UInt8(ascii: "t") || b[10] == UInt8(ascii: " "),
        let hour = digits(11, 2), b[13] == UInt8(ascii: ":"), let minute = digits(14, 2),
        (2000...2999).contains(year), (1...12).contains(month), hour < 24, minute < 60
    else { return false }
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
    guard (1...[31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]).contains(day) else { return false }
    var index = 16
    if index < b.count, b[index] == UInt8(ascii: ":") {
        guard let second = digits(index + 1, 2), second < 60 else { return false }
        index += 3
        if index < b.count, b[index] == UInt8(ascii: ".") {
            index += 1
            let start = index
            while index < b.count, (48...57).contains(b[index]) { index += 1 }
            guard index > start, index - start <= 6 else { return false }
        }
    }
    guard index < b.count else { return false }
    if b[index] == UInt8(ascii: "Z") || b[index] == UInt8(ascii: "z") { return index + 1 == b.count }
    guard b[index] == UInt8(ascii: "+") || b[index] == UInt8(ascii: "-"), index + 6 == b.count, let zoneHour = digits(index + 1, 2),
        b[index + 3] == UInt8(ascii: ":"), let zoneMinute = digits(index + 4, 2)
    else { return false }
    return zoneHour < 15 && zoneMinute < 60
}

/// CSV for spreadsheets (reports and exports).
public enum CSV {
    /// A field: quoted when needed; a leading `=`, `+`, `-` or `@` is defused (except in a plain
    /// number such as `-1499.00`) so a spreadsheet never runs a learner's name as a formula.
    public static func cell(_ value: String) -> String {
        var text = value
        // A plain number (a negative amount) stays a number; anything else that starts like a formula is defused.
        let number =
            text.utf8.allSatisfy { (48...57).contains($0) || $0 == 46 || $0 == 45 } && text.utf8.dropFirst().allSatisfy { $0 != 45 }
        if !number, let first = text.unicodeScalars.first, "=+-@".unicodeScalars.contains(first) { text = "'" + text }
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" || $0 == "'" }) else { return text }
        return "\"" + text.split(separator: "\"", omittingEmptySubsequences: false).joined(separator: "\"\"") + "\""
    }
}
