import Auth
import Core
import Database
import Runtime

/// A course in a learner's lists (enrollments, wishlist): the course and when it was added.
struct ListedCourse: Encodable, Sendable {
    var course: CourseView
    var addedAt: String
}

/// `limit` (1...100, default 20) and `cursor` of a learner's list.
func pageParameters(_ request: Request) throws -> (limit: Int, after: (time: String, id: String)?) {
    try CourseCursor.page(request)
}

/// A published course, or 404.
func publishedCourse(_ db: Connection, id: String, lock: Bool = false) throws -> CourseView {
    guard isUUID(id) else { throw APIError.notFound("Course") }
    let row =
        lock
        ? try db.query("SELECT \(fragment: CourseView.columns) FROM courses c WHERE c.id = \(id) AND c.status = 'published' FOR UPDATE")
            .first
        : try db.query("SELECT \(fragment: CourseView.columns) FROM courses c WHERE c.id = \(id) AND c.status = 'published'").first
    guard let row else { throw APIError.notFound("Course") }
    return try CourseView(row)
}

func page(_ rows: [Row], limit: Int) throws -> ItemsPage<ListedCourse> {
    let items = try rows.prefix(limit).map { ListedCourse(course: try CourseView($0), addedAt: try $0.timestamp("added_at")) }
    var next: String?
    if rows.count > limit, let last = rows.prefix(limit).last {
        next = CourseCursor.encode(time: try last.string("cursor_time"), id: try last.string("cursor_id"))
    }
    return ItemsPage(items: items, nextCursor: next)
}
