import Auth
import Core
import Crypto
import Database
import Runtime

/// The opaque cursor of course lists: the last row's (timestamp, id), base64url.
public enum CourseCursor {
    public static func encode(time: String, id: String) -> String { Base64URL.encode(Array("\(time)|\(id)".utf8)) }

    /// nil for no cursor; 400 for one that is not ours.
    public static func decode(_ cursor: String?) throws -> (time: String, id: String)? {
        guard let cursor else { return nil }
        guard let bytes = Base64URL.decode(Substring(cursor)), let text = String(validating: bytes, as: UTF8.self),
            let bar = text.firstIndex(of: "|"), isUUID(String(text[text.index(after: bar)...])), isTimestamp(text[..<bar])
        else { throw APIError.badRequest("The cursor is not valid.", code: "bad_cursor") }
        return (String(text[..<bar]), String(text[text.index(after: bar)...]))
    }

    /// `limit` (1...100, default 20) and `cursor` of a list ordered by (time, id) descending.
    public static func page(_ request: Request) throws -> (limit: Int, after: (time: String, id: String)?) {
        let limit = Int(request.queryValue("limit") ?? "20") ?? 0
        guard (1...100).contains(limit) else { throw APIError.invalid(field: "limit", "must be a whole number from 1 to 100") }
        return (limit, try decode(request.queryValue("cursor")))
    }

    /// The cursor after the last of `limit` rows shown (their `cursor_time` and `id` columns),
    /// when the query found one more (it asks for `limit + 1`); nil at the end.
    public static func next(_ rows: [Row], limit: Int, id: String = "id") throws -> String? {
        guard rows.count > limit, let last = rows.prefix(limit).last else { return nil }
        return encode(time: try last.string("cursor_time"), id: try last.string(id))
    }

    /// PostgreSQL's text form of a UTC `timestamptz` (`2024-05-01 12:34:56.123456+00`), down to
    /// a real calendar date, so that a made-up cursor is a 400 and never a database error.
    static func isTimestamp(_ text: Substring) -> Bool {
        let bytes = Array(text.utf8)
        guard bytes.count >= 22, bytes.count <= 29, bytes.suffix(3) == Array("+00".utf8) else { return false }
        func number(_ start: Int, _ length: Int) -> Int? {
            var value = 0
            for byte in bytes[start..<start + length] {
                guard (48...57).contains(byte) else { return nil }
                value = value * 10 + Int(byte - 48)
            }
            return value
        }
        let separators: [(Int, Character)] = [(4, "-"), (7, "-"), (10, " "), (13, ":"), (16, ":")]
        guard separators.allSatisfy({ bytes[$0.0] == $0.1.asciiValue }),
            let year = number(0, 4), let month = number(5, 2), let day = number(8, 2),
            let hour = number(11, 2), let minute = number(14, 2), let second = number(17, 2),
            year >= 1, (1...12).contains(month), hour < 24, minute < 60, second < 60
        else { return false }
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
        let days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
        guard (1...days).contains(day) else { return false }
        // Optional fraction: a dot and 1 to 6 digits before the zone.
        let fraction = bytes.count - 22
        if fraction == 0 { return true }
        return fraction >= 2 && bytes[19] == UInt8(ascii: ".") && number(20, fraction - 1) != nil
    }
}

/// A page of courses for authors and admins: `{"courses": [...], "next_cursor": ...}`.
struct CourseListPage: Encodable, Sendable {
    var courses: [CourseView]
    @Nullable var nextCursor: String?
}

/// A page of a learner's or the catalog's items: `{"items": [...], "next_cursor": ...}`.
struct ItemsPage<Item: Encodable & Sendable>: Encodable, Sendable {
    var items: [Item]
    @Nullable var nextCursor: String?
}
