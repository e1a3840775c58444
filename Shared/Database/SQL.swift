/// A SQL statement whose values travel as bind parameters, never spliced into the text.
///
///     let rows = try db.query("SELECT id FROM users WHERE email = \(email)")
///
/// Every interpolated value becomes `$n`; only `SQL` fragments (also parameterized) can be
/// embedded as text, so a value can never reach the statement text.
public struct SQL: ExpressibleByStringInterpolation, Sendable {
    public private(set) var text: String
    public private(set) var binds: [String?]

    public init(stringLiteral value: String) {
        text = value
        binds = []
    }

    public init(stringInterpolation: Interpolation) {
        text = stringInterpolation.text
        binds = stringInterpolation.binds
    }

    public struct Interpolation: StringInterpolationProtocol {
        var text = ""
        var binds: [String?] = []

        public init(literalCapacity: Int, interpolationCount: Int) {
            text.reserveCapacity(literalCapacity + interpolationCount * 3)
        }

        public mutating func appendLiteral(_ literal: String) { text += literal }

        public mutating func appendInterpolation(_ value: some SQLValue) {
            binds.append(value.sqlText)
            text += "$\(binds.count)"
        }

        public mutating func appendInterpolation(_ value: (some SQLValue)?) {
            binds.append(value?.sqlText)
            text += "$\(binds.count)"
        }

        /// Embeds another parameterized fragment, renumbering its parameters (`$1` becomes
        /// `$(1 + binds so far)`), in one pass over its UTF-8 bytes: catalog queries nest
        /// several fragments per request, and this runs on every one.
        public mutating func appendInterpolation(fragment: SQL) {
            let offset = binds.count
            if offset == 0 || fragment.binds.isEmpty {
                text += fragment.text
            } else {
                let bytes = Array(fragment.text.utf8)
                var out: [UInt8] = []
                out.reserveCapacity(bytes.count + 16)
                var index = 0
                while index < bytes.count {
                    let byte = bytes[index]
                    out.append(byte)
                    index += 1
                    guard byte == UInt8(ascii: "$"), index < bytes.count, (48...57).contains(bytes[index]) else { continue }
                    var number = 0
                    while index < bytes.count, (48...57).contains(bytes[index]) {
                        number = number * 10 + Int(bytes[index] - 48)
                        index += 1
                    }
                    out += Array(String(number + offset).utf8)
                }
                text += String(decoding: out, as: UTF8.self)
            }
            binds += fragment.binds
        }
    }
}

/// A Swift value that can be sent to PostgreSQL as a text-format parameter.
public protocol SQLValue: Sendable {
    var sqlText: String? { get }
}

extension String: SQLValue { public var sqlText: String? { self } }
extension Substring: SQLValue { public var sqlText: String? { String(self) } }
extension Int: SQLValue { public var sqlText: String? { String(self) } }
extension Int32: SQLValue { public var sqlText: String? { String(self) } }
extension Int64: SQLValue { public var sqlText: String? { String(self) } }
extension Double: SQLValue { public var sqlText: String? { String(self) } }
extension Bool: SQLValue { public var sqlText: String? { self ? "true" : "false" } }

/// Binary data sent as a `bytea` hex literal.
public struct Bytes: SQLValue, Sendable, Equatable {
    public var bytes: [UInt8]
    public init(_ bytes: [UInt8]) { self.bytes = bytes }
    public var sqlText: String? { "\\x" + hexString(bytes) }
}

/// A `text[]` parameter.
public struct TextArray: SQLValue, Sendable {
    public var values: [String]
    public init(_ values: [String]) { self.values = values }
    public var sqlText: String? {
        "{" + values.map { "\"" + $0.replacingAll("\\", with: "\\\\").replacingAll("\"", with: "\\\"") + "\"" }.joined(separator: ",") + "}"
    }
}

func hexString(_ bytes: [UInt8]) -> String {
    let digits = Array("0123456789abcdef".utf8)
    var out = [UInt8]()
    out.reserveCapacity(bytes.count * 2)
    for byte in bytes {
        out.append(digits[Int(byte >> 4)])
        out.append(digits[Int(byte & 0xF)])
    }
    return String(decoding: out, as: UTF8.self)
}

extension String {
    /// Replaces every occurrence of `target` (no Foundation needed), comparing UTF-8 bytes.
    public func replacingAll(_ target: String, with replacement: String) -> String {
        let needle = Array(target.utf8)
        guard let first = needle.first else { return self }
        let bytes = Array(utf8)
        guard bytes.count >= needle.count else { return self }
        var out: [UInt8] = []
        var index = 0
        var changed = false
        let last = bytes.count - needle.count
        while index < bytes.count {
            if index <= last, bytes[index] == first, bytes[index..<index + needle.count].elementsEqual(needle) {
                if !changed {
                    out.reserveCapacity(bytes.count + 16)
                    out += bytes[..<index]
                    changed = true
                }
                out += replacement.utf8
                index += needle.count
            } else {
                if changed { out.append(bytes[index]) }
                index += 1
            }
        }
        return changed ? String(decoding: out, as: UTF8.self) : self
    }
}
