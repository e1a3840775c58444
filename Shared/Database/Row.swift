/// One result row, decoded from PostgreSQL's text format.
public struct Row: Sendable {
    let columns: Columns
    let values: [String?]

    public func raw(_ column: String) throws -> String? {
        guard let index = columns.index(column) else {
            throw DatabaseError(.decoding, message: "no column \(column)")
        }
        return values[index]
    }

    /// A result's column names, shared by its rows. A few names are searched in order: short
    /// names compare in a step or two, where a dictionary hashes the name on every read (a
    /// hundred-row page reads several hundred values). A repeated name means its last column.
    struct Columns: Sendable {
        let names: [String]
        let byName: [String: Int]?

        init(_ names: [String]) {
            self.names = names
            byName = names.count > 12 ? Dictionary(names.enumerated().map { ($1, $0) }, uniquingKeysWith: { $1 }) : nil
        }

        func index(_ name: String) -> Int? {
            if let byName { return byName[name] }
            return names.lastIndex(of: name)
        }
    }

    public func string(_ column: String) throws -> String {
        guard let value = try raw(column) else {
            throw DatabaseError(.decoding, message: "column \(column) is NULL")
        }
        return value
    }

    public func optionalString(_ column: String) throws -> String? { try raw(column) }

    public func int(_ column: String) throws -> Int {
        guard let value = Int(try string(column)) else {
            throw DatabaseError(.decoding, message: "column \(column) is not an integer")
        }
        return value
    }

    public func optionalInt(_ column: String) throws -> Int? {
        guard let text = try raw(column) else { return nil }
        guard let value = Int(text) else {
            throw DatabaseError(.decoding, message: "column \(column) is not an integer")
        }
        return value
    }

    public func double(_ column: String) throws -> Double {
        guard let value = Double(try string(column)) else {
            throw DatabaseError(.decoding, message: "column \(column) is not a number")
        }
        return value
    }

    public func bool(_ column: String) throws -> Bool {
        switch try string(column) {
        case "t": return true
        case "f": return false
        default: throw DatabaseError(.decoding, message: "column \(column) is not a boolean")
        }
    }

    /// A `timestamptz` as RFC 3339 in UTC (the session runs with `TimeZone=UTC`, `DateStyle=ISO`).
    public func timestamp(_ column: String) throws -> String {
        try Row.rfc3339(try string(column))
    }

    public func optionalTimestamp(_ column: String) throws -> String? {
        guard let text = try raw(column) else { return nil }
        return try Row.rfc3339(text)
    }

    /// "2026-11-23 09:16:53.123456+00" -> "2026-11-23T09:16:53.123Z", written in one allocation
    /// (a page of 100 lessons has 100 of them).
    static func rfc3339(_ text: String) throws -> String {
        var text = text
        return try text.withUTF8 { source -> String in
            guard source.count >= 19, source[10] == UInt8(ascii: " ") else {
                throw DatabaseError(.decoding, message: "unexpected timestamp format")
            }
            var count = source.count
            if source[count - 3] == UInt8(ascii: "+"), source[count - 2] == UInt8(ascii: "0"), source[count - 1] == UInt8(ascii: "0") {
                count -= 3
            }
            // Keep milliseconds: enough for clients, stable width.
            count = min(count, 23)
            return String(unsafeUninitializedCapacity: count + 1) { buffer in
                _ = buffer.initialize(from: source[0..<count])
                buffer[10] = UInt8(ascii: "T")
                buffer[count] = UInt8(ascii: "Z")
                return count + 1
            }
        }
    }
}

extension SQL {
    /// A `timestamptz` expression as the text `Row.timestamp` makes of it (RFC 3339, UTC,
    /// milliseconds kept as stored), for JSON that a statement builds; NULL stays NULL.
    public static func timestamp(_ expression: SQL) -> SQL {
        "left(left(replace((\(fragment: expression))::text, ' ', 'T'), -3), 23) || 'Z'"
    }
}

/// The rows a statement returned plus the count of affected rows.
public struct QueryResult: Sendable {
    public var rows: [Row]
    public var affectedRows: Int

    public var first: Row? { rows.first }

    /// The first row of a statement that always returns one (`RETURNING`, an aggregate, a row
    /// just locked): a missing row is a bug, thrown (a logged 500) rather than a crash that
    /// would end every request a FastCGI process holds.
    public func one() throws -> Row {
        guard let row = rows.first else { throw DatabaseError(.other, message: "expected a row, the statement returned none") }
        return row
    }
}
