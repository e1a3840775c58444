import Core
import Database

/// A small parser for the JSON that PostgreSQL hands back from quiz columns (`jsonb::text`:
/// options, keys, answers, layouts). A submit reads a few hundred such values; Foundation's
/// JSONDecoder (what request bodies go through) costs several milliseconds for that, this a
/// fraction of one. Input that is not JSON is a decoding error (a bug, never a client's).
enum StoredJSON {
    static func parse(_ text: String) throws -> JSONValue {
        var parser = Parser(bytes: Array(text.utf8))
        let value = try parser.value()
        parser.skipSpace()
        guard parser.index == parser.bytes.count else { throw Parser.failure }
        return value
    }

    struct Parser {
        let bytes: [UInt8]
        var index = 0
        static let failure = DatabaseError(.decoding, message: "stored JSON is not valid")

        mutating func skipSpace() {
            while index < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[index]) { index += 1 }
        }

        mutating func expect(_ literal: String) throws {
            let word = Array(literal.utf8)
            guard index + word.count <= bytes.count, Array(bytes[index..<index + word.count]) == word else { throw Self.failure }
            index += word.count
        }

        mutating func value(depth: Int = 0) throws -> JSONValue {
            guard depth < 64 else { throw Self.failure }
            skipSpace()
            guard index < bytes.count else { throw Self.failure }
            switch bytes[index] {
            case UInt8(ascii: "{"):
                index += 1
                var object: [String: JSONValue] = [:]
                skipSpace()
                if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
                    index += 1
                    return .object(object)
                }
                while true {
                    skipSpace()
                    let key = try string()
                    skipSpace()
                    try expect(":")
                    object[key] = try value(depth: depth + 1)
                    skipSpace()
                    guard index < bytes.count else { throw Self.failure }
                    index += 1
                    if bytes[index - 1] == UInt8(ascii: "}") { return .object(object) }
                    guard bytes[index - 1] == UInt8(ascii: ",") else { throw Self.failure }
                }
            case UInt8(ascii: "["):
                index += 1
                var array: [JSONValue] = []
                skipSpace()
                if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
                    index += 1
                    return .array(array)
                }
                while true {
                    array.append(try value(depth: depth + 1))
                    skipSpace()
                    guard index < bytes.count else { throw Self.failure }
                    index += 1
                    if bytes[index - 1] == UInt8(ascii: "]") { return .array(array) }
                    guard bytes[index - 1] == UInt8(ascii: ",") else { throw Self.failure }
                }
            case UInt8(ascii: "\""):
                return .string(try string())
            case UInt8(ascii: "t"):
                try expect("true")
                return .bool(true)
            case UInt8(ascii: "f"):
                try expect("false")
                return .bool(false)
            case UInt8(ascii: "n"):
                try expect("null")
                return .null
            default:
                let start = index
                while index < bytes.count, "+-0123456789.eE".utf8.contains(bytes[index]) { index += 1 }
                guard index > start, let number = Double(String(decoding: bytes[start..<index], as: UTF8.self)) else {
                    throw Self.failure
                }
                return .number(number)
            }
        }

        mutating func string() throws -> String {
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw Self.failure }
            index += 1
            var out: [UInt8] = []
            while index < bytes.count {
                let byte = bytes[index]
                index += 1
                switch byte {
                case UInt8(ascii: "\""):
                    return String(decoding: out, as: UTF8.self)
                case UInt8(ascii: "\\"):
                    guard index < bytes.count else { throw Self.failure }
                    let escape = bytes[index]
                    index += 1
                    switch escape {
                    case UInt8(ascii: "n"): out.append(0x0A)
                    case UInt8(ascii: "t"): out.append(0x09)
                    case UInt8(ascii: "r"): out.append(0x0D)
                    case UInt8(ascii: "b"): out.append(0x08)
                    case UInt8(ascii: "f"): out.append(0x0C)
                    case UInt8(ascii: "u"):
                        var scalar = try hex4()
                        if (0xD800..<0xDC00).contains(scalar) {
                            try expect("\\u")
                            let low = try hex4()
                            guard (0xDC00..<0xE000).contains(low) else { throw Self.failure }
                            scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                        }
                        guard let unicode = Unicode.Scalar(scalar) else { throw Self.failure }
                        out += Array(String(Character(unicode)).utf8)
                    default: out.append(escape)  // \" \\ \/
                    }
                default:
                    out.append(byte)
                }
            }
            throw Self.failure
        }

        mutating func hex4() throws -> UInt32 {
            guard index + 4 <= bytes.count, let value = UInt32(String(decoding: bytes[index..<index + 4], as: UTF8.self), radix: 16) else {
                throw Self.failure
            }
            index += 4
            return value
        }
    }
}
