import Auth
import Core
import Crypto
import Runtime

/// The opaque cursor of course lists: the last row's (timestamp, id), base64url.
enum CourseCursor {
    static func encode(time: String, id: String) -> String { Base64URL.encode(Array("\(time)|\(id)".utf8)) }

    /// nil for no cursor; 400 for one that is not ours.
    static func decode(_ cursor: String?) throws -> (time: String, id: String)? {
        guard let cursor else { return nil }
        guard let bytes = Base64URL.decode(Substring(cursor)), let text = String(validating: bytes, as: UTF8.self),
            let bar = text.firstIndex(of: "|"), isUUID(String(text[text.index(after: bar)...])), text[..<bar].count <= 40
        else { throw APIError.badRequest("The cursor is not valid.", code: "bad_cursor") }
        return (String(text[..<bar]), String(text[text.index(after: bar)...]))
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
