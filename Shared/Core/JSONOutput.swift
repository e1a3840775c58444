/// The JSON writer of every response, job payload and stored document: snake_case keys (as
/// Foundation's `convertToSnakeCase` makes them), keys sorted, slashes unescaped, nothing else
/// between values. Written here because Foundation's `JSONEncoder` was most of the CPU time of a
/// catalog search (about 60% of the process, in a profile), and of every CGI start-up.
///
///     let bytes = try encodeJSON(value)
public func encodeJSON(_ value: some Encodable) throws -> [UInt8] {
    let encoder = TreeEncoder()
    try value.encode(to: encoder)
    var out: [UInt8] = []
    out.reserveCapacity(1024)
    encoder.root.write(to: &out)
    return out
}

/// A value being built: objects and arrays are reference boxes so containers handed out
/// earlier can still add to them.
final class JSONNode {
    enum Kind {
        case object([(key: [UInt8], value: JSONNode)])
        case array([JSONNode])
        case scalar([UInt8])  // already serialized: number, string, true/false/null
        case unset
    }
    var kind: Kind = .unset

    func write(to out: inout [UInt8]) {
        switch kind {
        case .unset: out += [UInt8(ascii: "{"), UInt8(ascii: "}")]
        case .scalar(let bytes): out += bytes
        case .array(let items):
            out.append(UInt8(ascii: "["))
            for (index, item) in items.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                item.write(to: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let members):
            out.append(UInt8(ascii: "{"))
            // Sorted by key (a stable sort); a key set twice keeps its last value, as Foundation does.
            let sorted = members.sorted { $0.key.lexicographicallyPrecedes($1.key) }
            var first = true
            for (index, member) in sorted.enumerated() where index + 1 == sorted.count || sorted[index + 1].key != member.key {
                if !first { out.append(UInt8(ascii: ",")) }
                first = false
                writeString(member.key, to: &out)
                out.append(UInt8(ascii: ":"))
                member.value.write(to: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    func makeObject() {
        if case .object = kind { return }
        kind = .object([])
    }

    func makeArray() {
        if case .array = kind { return }
        kind = .array([])
    }

    func add(key: [UInt8], _ node: JSONNode) {
        if case .object(var members) = kind {
            kind = .unset
            members.append((key, node))
            kind = .object(members)
        }
    }

    func append(_ node: JSONNode) {
        if case .array(var items) = kind {
            kind = .unset
            items.append(node)
            kind = .array(items)
        }
    }

    var count: Int {
        if case .array(let items) = kind { return items.count }
        if case .object(let members) = kind { return members.count }
        return 0
    }
}

/// `"..."` with `"`, `\` and control characters escaped; everything else as UTF-8.
func writeString(_ bytes: [UInt8], to out: inout [UInt8]) {
    let hex = Array("0123456789abcdef".utf8)
    out.append(UInt8(ascii: "\""))
    for byte in bytes {
        switch byte {
        case UInt8(ascii: "\""): out += [UInt8(ascii: "\\"), UInt8(ascii: "\"")]
        case UInt8(ascii: "\\"): out += [UInt8(ascii: "\\"), UInt8(ascii: "\\")]
        case 0x08: out += [UInt8(ascii: "\\"), UInt8(ascii: "b")]
        case 0x0C: out += [UInt8(ascii: "\\"), UInt8(ascii: "f")]
        case 0x0A: out += [UInt8(ascii: "\\"), UInt8(ascii: "n")]
        case 0x0D: out += [UInt8(ascii: "\\"), UInt8(ascii: "r")]
        case 0x09: out += [UInt8(ascii: "\\"), UInt8(ascii: "t")]
        case 0..<0x20: out += [UInt8(ascii: "\\"), UInt8(ascii: "u"), 48, 48, hex[Int(byte >> 4)], hex[Int(byte & 0xF)]]
        default: out.append(byte)
        }
    }
    out.append(UInt8(ascii: "\""))
}

/// String-keyed dictionaries keep their keys as they are (only property names become
/// snake_case, as with Foundation).
protocol StringKeyedEncodable {
    func writeEntries(into node: JSONNode, codingPath: [any CodingKey]) throws
}

extension Dictionary: StringKeyedEncodable where Key == String, Value: Encodable {
    func writeEntries(into node: JSONNode, codingPath: [any CodingKey]) throws {
        node.makeObject()
        for (key, value) in self { node.add(key: Array(key.utf8), try Scalar.node(value, codingPath: codingPath)) }
    }
}

/// `camelCaseKey` -> `camel_case_key`, `userURL` -> `user_url`, `URLValue` -> `url_value`: the
/// word boundaries of Foundation's `convertToSnakeCase` (ASCII letters).
func snakeCase(_ key: String) -> [UInt8] {
    let bytes = Array(key.utf8)
    func isUpper(_ byte: UInt8) -> Bool { byte >= 65 && byte <= 90 }
    func isLower(_ byte: UInt8) -> Bool { byte >= 97 && byte <= 122 }
    guard bytes.contains(where: isUpper) else { return bytes }
    var words: [Range<Int>] = []
    var wordStart = 0
    var searchStart = 1
    let end = bytes.count
    while let upper = (searchStart..<end).first(where: { isUpper(bytes[$0]) }) {
        words.append(wordStart..<upper)
        guard let lower = (upper..<end).first(where: { isLower(bytes[$0]) }) else {
            wordStart = upper
            searchStart = end
            break
        }
        if lower == upper + 1 {
            wordStart = upper
        } else {
            words.append(upper..<(lower - 1))
            wordStart = lower - 1
        }
        searchStart = lower + 1
    }
    words.append(wordStart..<end)
    var out: [UInt8] = []
    out.reserveCapacity(bytes.count + 4)
    for (index, word) in words.enumerated() {
        if index > 0 { out.append(UInt8(ascii: "_")) }
        for byte in bytes[word] { out.append(isUpper(byte) ? byte + 32 : byte) }
    }
    return out
}

final class TreeEncoder: Encoder {
    let root: JSONNode
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    init(root: JSONNode = JSONNode(), codingPath: [any CodingKey] = []) {
        self.root = root
        self.codingPath = codingPath
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        root.makeObject()
        return KeyedEncodingContainer(KeyedContainer<Key>(node: root, codingPath: codingPath))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        root.makeArray()
        return UnkeyedContainer(node: root, codingPath: codingPath)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer { SingleContainer(node: root, codingPath: codingPath) }
}

/// Scalars serialized once, the way Foundation writes them.
enum Scalar {
    static let null = Array("null".utf8)

    static func string(_ value: String) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(value.utf8.count + 2)
        writeString(Array(value.utf8), to: &out)
        return out
    }

    static func double(_ value: Double) throws -> [UInt8] {
        guard value.isFinite else {
            throw EncodingError.invalidValue(value, .init(codingPath: [], debugDescription: "JSON has no NaN or infinity"))
        }
        var text = value.description
        if text.hasSuffix(".0") { text.removeLast(2) }
        return Array(text.utf8)
    }

    /// Encodes any value into a new node.
    static func node(_ value: some Encodable, codingPath: [any CodingKey]) throws -> JSONNode {
        let node = JSONNode()
        switch value {
        case let text as String: node.kind = .scalar(string(text))
        case let number as Int: node.kind = .scalar(Array(String(number).utf8))
        case let number as Double: node.kind = .scalar(try double(number))
        case let number as Float: node.kind = .scalar(try double(Double(number)))
        case let number as any BinaryInteger: node.kind = .scalar(Array(String(describing: number).utf8))
        case let flag as Bool: node.kind = .scalar(Array((flag ? "true" : "false").utf8))
        case let map as any StringKeyedEncodable: try map.writeEntries(into: node, codingPath: codingPath)
        default: try value.encode(to: TreeEncoder(root: node, codingPath: codingPath))
        }
        return node
    }
}

struct KeyedContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let node: JSONNode
    let codingPath: [any CodingKey]

    func encodeNil(forKey key: Key) throws { add(key, scalar: Scalar.null) }
    func encode(_ value: Bool, forKey key: Key) throws { add(key, scalar: Array((value ? "true" : "false").utf8)) }
    func encode(_ value: String, forKey key: Key) throws { add(key, scalar: Scalar.string(value)) }
    func encode(_ value: Double, forKey key: Key) throws { add(key, scalar: try Scalar.double(value)) }
    func encode(_ value: Float, forKey key: Key) throws { add(key, scalar: try Scalar.double(Double(value))) }
    func encode(_ value: Int, forKey key: Key) throws { add(key, scalar: Array(String(value).utf8)) }
    func encode(_ value: Int8, forKey key: Key) throws { add(key, scalar: Array(String(value).utf8)) }
    func encode(_ value: Int16, forKey key: Key) throws { add(key, scalar: Array(String(value).utf8)) }
    func encode(_ value: Int32, forKey key: Key) throws { add(key, scalar: Array(String(value).utf8)) }
    func encode(_ value: Int64, forKey key: Key) throws { add(key, scalar: Array(String(value).utf8)) }
    func encode(_ value: UInt, forKey key: Key) throws { add(key, scalar: Array(String(value).utf8)) }
    func encode(_ value: UInt8, forKey key: Key) throws { add(key, scalar: Array(String(value).utf8)) }
    func encode(_ value: UInt16, forKey key: Key) throws { add(key, scalar: Array(String(value).utf8)) }
    func encode(_ value: UInt32, forKey key: Key) throws { add(key, scalar: Array(String(value).utf8)) }
    func encode(_ value: UInt64, forKey key: Key) throws { add(key, scalar: Array(String(value).utf8)) }

    func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        node.add(key: snakeCase(key.stringValue), try Scalar.node(value, codingPath: codingPath + [key]))
    }

    func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
        let child = JSONNode()
        child.makeObject()
        node.add(key: snakeCase(key.stringValue), child)
        return KeyedEncodingContainer(KeyedContainer<NestedKey>(node: child, codingPath: codingPath + [key]))
    }

    func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        let child = JSONNode()
        child.makeArray()
        node.add(key: snakeCase(key.stringValue), child)
        return UnkeyedContainer(node: child, codingPath: codingPath + [key])
    }

    func superEncoder() -> any Encoder { superEncoder(named: "super") }
    func superEncoder(forKey key: Key) -> any Encoder { superEncoder(named: key.stringValue) }

    private func superEncoder(named name: String) -> any Encoder {
        let child = JSONNode()
        node.add(key: snakeCase(name), child)
        return TreeEncoder(root: child, codingPath: codingPath)
    }

    private func add(_ key: Key, scalar: [UInt8]) {
        let child = JSONNode()
        child.kind = .scalar(scalar)
        node.add(key: snakeCase(key.stringValue), child)
    }
}

struct UnkeyedContainer: UnkeyedEncodingContainer {
    let node: JSONNode
    let codingPath: [any CodingKey]
    var count: Int { node.count }

    mutating func encodeNil() throws { append(scalar: Scalar.null) }
    mutating func encode(_ value: Bool) throws { append(scalar: Array((value ? "true" : "false").utf8)) }
    mutating func encode(_ value: String) throws { append(scalar: Scalar.string(value)) }
    mutating func encode(_ value: Double) throws { append(scalar: try Scalar.double(value)) }
    mutating func encode(_ value: Int) throws { append(scalar: Array(String(value).utf8)) }
    mutating func encode(_ value: Float) throws { append(scalar: try Scalar.double(Double(value))) }
    mutating func encode(_ value: Int8) throws { append(scalar: Array(String(value).utf8)) }
    mutating func encode(_ value: Int16) throws { append(scalar: Array(String(value).utf8)) }
    mutating func encode(_ value: Int32) throws { append(scalar: Array(String(value).utf8)) }
    mutating func encode(_ value: Int64) throws { append(scalar: Array(String(value).utf8)) }
    mutating func encode(_ value: UInt) throws { append(scalar: Array(String(value).utf8)) }
    mutating func encode(_ value: UInt8) throws { append(scalar: Array(String(value).utf8)) }
    mutating func encode(_ value: UInt16) throws { append(scalar: Array(String(value).utf8)) }
    mutating func encode(_ value: UInt32) throws { append(scalar: Array(String(value).utf8)) }
    mutating func encode(_ value: UInt64) throws { append(scalar: Array(String(value).utf8)) }
    mutating func encode<T: Encodable>(_ value: T) throws { node.append(try Scalar.node(value, codingPath: codingPath)) }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        let child = JSONNode()
        child.makeObject()
        node.append(child)
        return KeyedEncodingContainer(KeyedContainer<NestedKey>(node: child, codingPath: codingPath))
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        let child = JSONNode()
        child.makeArray()
        node.append(child)
        return UnkeyedContainer(node: child, codingPath: codingPath)
    }

    mutating func superEncoder() -> any Encoder {
        let child = JSONNode()
        node.append(child)
        return TreeEncoder(root: child, codingPath: codingPath)
    }

    private func append(scalar: [UInt8]) {
        let child = JSONNode()
        child.kind = .scalar(scalar)
        node.append(child)
    }
}

struct SingleContainer: SingleValueEncodingContainer {
    let node: JSONNode
    let codingPath: [any CodingKey]

    mutating func encodeNil() throws { node.kind = .scalar(Scalar.null) }
    mutating func encode(_ value: Bool) throws { node.kind = .scalar(Array((value ? "true" : "false").utf8)) }
    mutating func encode(_ value: String) throws { node.kind = .scalar(Scalar.string(value)) }
    mutating func encode(_ value: Double) throws { node.kind = .scalar(try Scalar.double(value)) }
    mutating func encode(_ value: Int) throws { node.kind = .scalar(Array(String(value).utf8)) }
    mutating func encode(_ value: Float) throws { node.kind = .scalar(try Scalar.double(Double(value))) }
    mutating func encode(_ value: Int8) throws { node.kind = .scalar(Array(String(value).utf8)) }
    mutating func encode(_ value: Int16) throws { node.kind = .scalar(Array(String(value).utf8)) }
    mutating func encode(_ value: Int32) throws { node.kind = .scalar(Array(String(value).utf8)) }
    mutating func encode(_ value: Int64) throws { node.kind = .scalar(Array(String(value).utf8)) }
    mutating func encode(_ value: UInt) throws { node.kind = .scalar(Array(String(value).utf8)) }
    mutating func encode(_ value: UInt8) throws { node.kind = .scalar(Array(String(value).utf8)) }
    mutating func encode(_ value: UInt16) throws { node.kind = .scalar(Array(String(value).utf8)) }
    mutating func encode(_ value: UInt32) throws { node.kind = .scalar(Array(String(value).utf8)) }
    mutating func encode(_ value: UInt64) throws { node.kind = .scalar(Array(String(value).utf8)) }
    mutating func encode<T: Encodable>(_ value: T) throws {
        let built = try Scalar.node(value, codingPath: codingPath)
        node.kind = built.kind
    }
}

/// JSON that is already written, such as a document a SQL statement built with `json_build_object`,
/// placed as it is wherever an `Encodable` value goes (`Response.ok(RawJSON(compacting: bytes))`):
/// the handler hands it through without decoding it. Only `encodeJSON` can write it.
public struct RawJSON: Encodable, Sendable {
    public let bytes: [UInt8]

    /// `bytes` must be valid JSON; the whitespace between tokens (PostgreSQL writes `{"a" : 1, "b" : 2}`)
    /// is dropped, so the output is what `encodeJSON` writes for the same value when the keys come sorted.
    public init(compacting bytes: [UInt8]) {
        self.bytes = [UInt8](unsafeUninitializedCapacity: bytes.count) { out, count in
            var inString = false
            var escaped = false
            count = 0
            for byte in bytes {
                if inString {
                    if escaped {
                        escaped = false
                    } else if byte == UInt8(ascii: "\\") {
                        escaped = true
                    } else if byte == UInt8(ascii: "\"") {
                        inString = false
                    }
                } else if byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 {
                    continue
                } else if byte == UInt8(ascii: "\"") {
                    inString = true
                }
                out[count] = byte
                count += 1
            }
        }
    }

    /// `bytes` must be valid JSON already written compactly (as `encodeJSON` writes it), kept as they are.
    public init(written bytes: [UInt8]) {
        self.bytes = bytes
    }

    public func encode(to encoder: Encoder) throws {
        guard let encoder = encoder as? TreeEncoder else {
            throw EncodingError.invalidValue(self, .init(codingPath: encoder.codingPath, debugDescription: "RawJSON needs encodeJSON"))
        }
        encoder.root.kind = .scalar(bytes)
    }
}

extension JSONValue {
    /// Appends exactly what `encodeJSON(self)` writes, without building its tree: a quiz result
    /// writes a hundred small values (answers and keys), which through the tree were a tenth of
    /// a submit's CPU time.
    public func writeJSON(to out: inout [UInt8]) throws {
        switch self {
        case .null: out += Scalar.null
        case .bool(let flag): out += (flag ? "true" : "false").utf8
        case .number(let value):
            // As `encode(to:)` writes it: whole numbers as integers.
            if value.rounded() == value, abs(value) < 9e15 { out += String(Int64(value)).utf8 } else { out += try Scalar.double(value) }
        case .string(let text): writeString(Array(text.utf8), to: &out)
        case .array(let items):
            out.append(UInt8(ascii: "["))
            for (index, item) in items.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                try item.writeJSON(to: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let fields):
            out.append(UInt8(ascii: "{"))
            for (index, key) in fields.keys.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }).enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                writeString(Array(key.utf8), to: &out)
                out.append(UInt8(ascii: ":"))
                try fields[key]!.writeJSON(to: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }
}

/// The pieces of JSON exactly as `encodeJSON` writes them, for a response written by hand
/// where the generic encoder would cost too much (the catalog's pages: 20 course summaries
/// through the tree were 0.3 ms a request). A test should compare such output with
/// `encodeJSON` of the equivalent `Encodable` value.
public enum JSONWrite {
    /// `"..."` escaped as `encodeJSON` escapes it; `null` for nil.
    public static func string(_ text: String?, to out: inout [UInt8]) {
        guard let text else { return out.append(contentsOf: Scalar.null) }
        let utf8 = text.utf8
        if utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) {
            writeString(Array(utf8), to: &out)
        } else {
            out.append(UInt8(ascii: "\""))
            out.append(contentsOf: utf8)
            out.append(UInt8(ascii: "\""))
        }
    }

    public static func number(_ value: Int, to out: inout [UInt8]) {
        out.append(contentsOf: String(value).utf8)
    }

    public static func number(_ value: Double, to out: inout [UInt8]) throws {
        out.append(contentsOf: try Scalar.double(value))
    }
}
