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

        /// Embeds another parameterized fragment, renumbering its parameters.
        public mutating func appendInterpolation(fragment: SQL) {
            var piece = fragment.text
            // Renumber from the highest index down so "$1" never rewrites part of "$10".
            for index in stride(from: fragment.binds.count, through: 1, by: -1) {
                piece = piece.replacingAll("$\(index)", with: "$#\(index + binds.count)")
            }
            text += piece.replacingAll("$#", with: "$")
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
    /// Replaces every occurrence of `target` (no Foundation needed).
    public func replacingAll(_ target: String, with replacement: String) -> String {
        guard !target.isEmpty, contains(target) else { return self }
        var result = ""
        var rest = self[...]
        while let range = rest.firstRange(of: target) {
            result += rest[..<range.lowerBound]
            result += replacement
            rest = rest[range.upperBound...]
        }
        result += rest
        return result
    }
}
