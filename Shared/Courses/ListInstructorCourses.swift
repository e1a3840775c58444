import Auth
import Crypto
import Database
import Runtime

/// `GET /api/v1/instructor/courses`: the caller's own courses in every state, newest first,
/// cursor-paginated (`limit` up to 100, `cursor` from `next_cursor`), optionally one `status`.
public enum ListInstructorCourses {
    struct Page: Encodable, Sendable {
        var courses: [CourseView]
        var nextCursor: String?

        enum CodingKeys: String, CodingKey { case courses, nextCursor }
        func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(courses, forKey: .courses)
            try c.encode(nextCursor, forKey: .nextCursor)
        }
    }

    static let statuses = ["draft", "submitted", "published", "rejected", "unpublished", "archived"]

    public static func handle(_ context: Context) throws -> Response {
        let caller = try context.require(.roles([.instructor, .admin]))
        let request = context.request
        var errors: [FieldError] = []
        let limit = Int(request.queryValue("limit") ?? "20") ?? 0
        if !(1...100).contains(limit) { errors.append(FieldError(field: "limit", message: "must be a whole number from 1 to 100")) }
        let status = request.queryValue("status")
        if let status, !statuses.contains(status) {
            errors.append(FieldError(field: "status", message: "must be one of: " + statuses.joined(separator: ", ")))
        }
        if !errors.isEmpty { throw APIError.invalid(errors) }
        // The cursor is the last course's (created_at, id), opaque to clients.
        var after: (String, String)?
        if let cursor = request.queryValue("cursor") {
            guard let bytes = Base64URL.decode(Substring(cursor)), let text = String(validating: bytes, as: UTF8.self),
                let bar = text.firstIndex(of: "|"), isUUID(String(text[text.index(after: bar)...]))
            else { throw APIError.badRequest("The cursor is not valid.", code: "bad_cursor") }
            after = (String(text[..<bar]), String(text[text.index(after: bar)...]))
        }
        let rows = try context.db().query(
            """
            SELECT \(fragment: CourseView.columns), c.created_at::text AS cursor_time FROM courses c
            WHERE c.instructor_id = \(caller.id) AND (\(status)::text IS NULL OR c.status = \(status))
              AND (\(after?.0)::timestamptz IS NULL OR (c.created_at, c.id) < (\(after?.0)::timestamptz, \(after?.1)::uuid))
            ORDER BY c.created_at DESC, c.id DESC
            LIMIT \(limit + 1)
            """
        ).rows
        let courses = try rows.prefix(limit).map(CourseView.init)
        var next: String?
        if rows.count > limit, let last = rows.prefix(limit).last {
            next = Base64URL.encode(Array("\(try last.string("cursor_time"))|\(try last.string("id"))".utf8))
        }
        return .ok(Page(courses: courses, nextCursor: next))
    }
}
