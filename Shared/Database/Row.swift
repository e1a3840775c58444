/// One result row, decoded from PostgreSQL's text format.
public struct Row: Sendable {
    let columns: [String: Int]
    let values: [String?]

    public func raw(_ column: String) throws -> String? {
        guard let index = columns[column] else {
            throw DatabaseError(.decoding, message: "no column \(column)")
        }
        return values[index]
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

    /// "2026-11-23 09:16:53.123456+00" -> "2026-11-23T09:16:53.123Z"
    static func rfc3339(_ text: String) throws -> String {
        var utf8 = Array(text.utf8)
        guard utf8.count >= 19, utf8[10] == UInt8(ascii: " ") else {
            throw DatabaseError(.decoding, message: "unexpected timestamp format")
        }
        utf8[10] = UInt8(ascii: "T")
        if utf8.suffix(3) == Array("+00".utf8) { utf8.removeLast(3) }
        // Keep milliseconds: enough for clients, stable width.
        if utf8.count > 23 { utf8.removeLast(utf8.count - 23) }
        return String(decoding: utf8, as: UTF8.self) + "Z"
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
