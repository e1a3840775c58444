import Auth
import Core
import Crypto
import Database
import Runtime

/// `GET /api/v1/instructor/courses`: the caller's own courses in every state, newest first,
/// cursor-paginated (`limit` up to 100, `cursor` from `next_cursor`), optionally one `status`.
public enum ListInstructorCourses {
    public static let endpoint = Endpoint(.get, "/api/v1/instructor/courses", access: .roles([.instructor, .admin]), handle)

    static let statuses = ["draft", "submitted", "published", "rejected", "unpublished", "archived"]

    public static func handle(_ context: Context) throws -> Response {
        let caller = try context.user()
        let request = context.request
        var errors: [FieldError] = []
        let limit = Int(request.queryValue("limit") ?? "20") ?? 0
        if !(1...100).contains(limit) { errors.append(FieldError(field: "limit", message: "must be a whole number from 1 to 100")) }
        let status = request.queryValue("status")
        if let status, !statuses.contains(status) {
            errors.append(FieldError(field: "status", message: "must be one of: " + statuses.joined(separator: ", ")))
        }
        if !errors.isEmpty { throw APIError.invalid(errors) }
        let after = try CourseCursor.decode(request.queryValue("cursor"))
        let rows = try context.db().query(
            """
            SELECT \(fragment: CourseView.columns), c.created_at::text AS cursor_time FROM courses c
            WHERE c.instructor_id = \(caller.id) AND (\(status)::text IS NULL OR c.status = \(status))
              AND (\(after?.time)::timestamptz IS NULL OR (c.created_at, c.id) < (\(after?.time)::timestamptz, \(after?.id)::uuid))
            ORDER BY c.created_at DESC, c.id DESC
            LIMIT \(limit + 1)
            """
        ).rows
        let courses = try rows.prefix(limit).map(CourseView.init)
        var next: String?
        if rows.count > limit, let last = rows.prefix(limit).last {
            next = CourseCursor.encode(time: try last.string("cursor_time"), id: try last.string("id"))
        }
        return .ok(CourseListPage(courses: courses, nextCursor: next))
    }
}
