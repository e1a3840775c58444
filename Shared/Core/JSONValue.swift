import FoundationEssentials

/// A parsed JSON document, for request bodies: validators read fields from it and list every
/// failing field at once (Codable would stop at the first).
public enum JSONValue: Sendable, Equatable, Codable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .number(let value):
            if value.rounded() == value, abs(value) < 9e15 { try container.encode(Int64(value)) } else { try container.encode(value) }
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }

    public subscript(key: String) -> JSONValue? {
        if case .object(let fields) = self { return fields[key] }
        return nil
    }

    public var typeName: String {
        switch self {
        case .null: return "null"
        case .bool: return "a boolean"
        case .number: return "a number"
        case .string: return "a string"
        case .array: return "an array"
        case .object: return "an object"
        }
    }

    /// Parses a request body. Malformed JSON or invalid UTF-8 is a 400.
    public static func parse(_ bytes: [UInt8]) throws -> JSONValue {
        if let value = PlainJSON.parse(bytes) { return value }
        do {
            return try JSONDecoder().decode(JSONValue.self, from: Data(bytes))
        } catch {
            throw APIError.badRequest("The request body is not valid JSON.", code: "malformed_json")
        }
    }
}

/// The common request body (an object or array of plain ASCII strings without escapes, numbers,
/// booleans and nulls) parsed directly; anything else, valid or not, returns nil and goes to
/// Foundation's decoder, which decides. Decoding `JSONValue` through Codable tries each type in
/// turn and builds an error for every miss: most of the parse of a small body such as a player's
/// `{"seconds": 42}`. What this accepts is valid JSON, read as the decoder reads it.
enum PlainJSON {
    static func parse(_ bytes: [UInt8]) -> JSONValue? {
        var index = 0
        skipSpace(bytes, &index)
        guard index < bytes.count, bytes[index] == UInt8(ascii: "{") || bytes[index] == UInt8(ascii: "[") else { return nil }
        guard let value = self.value(bytes, &index, depth: 0) else { return nil }
        skipSpace(bytes, &index)
        return index == bytes.count ? value : nil
    }

    static func skipSpace(_ bytes: [UInt8], _ index: inout Int) {
        while index < bytes.count, bytes[index] == 0x20 || bytes[index] == 0x0A || bytes[index] == 0x0D || bytes[index] == 0x09 {
            index += 1
        }
    }

    static func value(_ bytes: [UInt8], _ index: inout Int, depth: Int) -> JSONValue? {
        guard depth < 32, index < bytes.count else { return nil }
        switch bytes[index] {
        case UInt8(ascii: "{"):
            index += 1
            var object: [String: JSONValue] = [:]
            skipSpace(bytes, &index)
            if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
                index += 1
                return .object(object)
            }
            while true {
                skipSpace(bytes, &index)
                guard let key = string(bytes, &index), object[key] == nil else { return nil }
                skipSpace(bytes, &index)
                guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { return nil }
                index += 1
                skipSpace(bytes, &index)
                guard let item = value(bytes, &index, depth: depth + 1) else { return nil }
                object[key] = item
                skipSpace(bytes, &index)
                guard index < bytes.count else { return nil }
                index += 1
                if bytes[index - 1] == UInt8(ascii: "}") { return .object(object) }
                guard bytes[index - 1] == UInt8(ascii: ",") else { return nil }
            }
        case UInt8(ascii: "["):
            index += 1
            var array: [JSONValue] = []
            skipSpace(bytes, &index)
            if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
                index += 1
                return .array(array)
            }
            while true {
                skipSpace(bytes, &index)
                guard let item = value(bytes, &index, depth: depth + 1) else { return nil }
                array.append(item)
                skipSpace(bytes, &index)
                guard index < bytes.count else { return nil }
                index += 1
                if bytes[index - 1] == UInt8(ascii: "]") { return .array(array) }
                guard bytes[index - 1] == UInt8(ascii: ",") else { return nil }
            }
        case UInt8(ascii: "\""):
            return string(bytes, &index).map(JSONValue.string)
        case UInt8(ascii: "t"):
            return literal(bytes, &index, "true") ? .bool(true) : nil
        case UInt8(ascii: "f"):
            return literal(bytes, &index, "false") ? .bool(false) : nil
        case UInt8(ascii: "n"):
            return literal(bytes, &index, "null") ? .null : nil
        default:
            return number(bytes, &index)
        }
    }

    static func literal(_ bytes: [UInt8], _ index: inout Int, _ word: StaticString) -> Bool {
        let count = word.utf8CodeUnitCount
        guard index + count <= bytes.count else { return false }
        for offset in 0..<count where bytes[index + offset] != word.utf8Start[offset] { return false }
        index += count
        return true
    }

    /// Printable ASCII only, no escapes.
    static func string(_ bytes: [UInt8], _ index: inout Int) -> String? {
        guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { return nil }
        let start = index + 1
        var end = start
        while end < bytes.count, bytes[end] != UInt8(ascii: "\"") {
            guard bytes[end] >= 0x20, bytes[end] < 0x7F, bytes[end] != UInt8(ascii: "\\") else { return nil }
            end += 1
        }
        guard end < bytes.count else { return nil }
        index = end + 1
        return String(decoding: bytes[start..<end], as: UTF8.self)
    }

    /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?` with at most 15 digits, which a double holds exactly as
    /// written; exponents and longer numbers go to the decoder.
    static func number(_ bytes: [UInt8], _ index: inout Int) -> JSONValue? {
        let start = index
        func digits() -> Int {
            let first = index
            while index < bytes.count, bytes[index] >= 0x30, bytes[index] <= 0x39 { index += 1 }
            return index - first
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "-") { index += 1 }
        let whole = index
        var count = digits()
        guard count > 0, bytes[whole] != 0x30 || count == 1 else { return nil }
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            let fraction = digits()
            guard fraction > 0 else { return nil }
            count += fraction
        }
        guard count <= 15, index == bytes.count || (bytes[index] != UInt8(ascii: "e") && bytes[index] != UInt8(ascii: "E")) else {
            return nil
        }
        guard let number = Double(String(decoding: bytes[start..<index], as: UTF8.self)) else { return nil }
        return .number(number)
    }
}
