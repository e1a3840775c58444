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
    let limit = Int(request.queryValue("limit") ?? "20") ?? 0
    guard (1...100).contains(limit) else { throw APIError.invalid(field: "limit", "must be a whole number from 1 to 100") }
    return (limit, try CourseCursor.decode(request.queryValue("cursor")))
}

/// A published course, or 404.
func publishedCourse(_ db: Connection, id: String, lock: Bool = false) throws -> CourseView {
    guard isUUID(id) else { throw APIError.notFound("Course") }
    let row = lock
        ? try db.query("SELECT \(fragment: CourseView.columns) FROM courses c WHERE c.id = \(id) AND c.status = 'published' FOR UPDATE").first
        : try db.query("SELECT \(fragment: CourseView.columns) FROM courses c WHERE c.id = \(id) AND c.status = 'published'").first
    guard let row else { throw APIError.notFound("Course") }
    return try CourseView(row)
}

/// `POST /api/v1/courses/{id}/enroll`: enrolls the caller in a free published course.
/// Idempotent (201 the first time, 200 after). Needs a verified email; paid courses are bought.
public enum EnrollInCourse {
    public static let endpoint = Endpoint(.post, "/api/v1/courses/{id}/enroll", access: .signedIn, body: 1 * KiB, handle)

    public static func handle(_ context: Context) throws -> Response {
        let caller = try context.user()
        try caller.requireVerifiedEmail()
        let id = try context.request.parameter("id")
        let created: Bool = try context.transaction { db in
            let course = try publishedCourse(db, id: id, lock: true)
            guard course.priceMinor == 0 else {
                throw APIError.conflict("This course is paid: buy it to enroll.", code: "payment_required")
            }
            let inserted = try db.execute(
                "INSERT INTO enrollments (user_id, course_id, source) VALUES (\(caller.id), \(id), 'free') ON CONFLICT DO NOTHING")
            if inserted == 1 {
                try db.execute("UPDATE courses SET enrollment_count = enrollment_count + 1 WHERE id = \(id)")
            }
            return inserted == 1
        }
        let row = try context.db().query(
            "SELECT id, course_id, source, created_at FROM enrollments WHERE user_id = \(caller.id) AND course_id = \(id)").first!
        let enrollment = Enrollment(
            id: try row.string("id"), courseId: try row.string("course_id"), source: try row.string("source"),
            createdAt: try row.timestamp("created_at"))
        return created ? .created(enrollment, message: "Enrolled.") : .ok(enrollment, message: "Already enrolled.")
    }

    struct Enrollment: Encodable, Sendable {
        var id: String
        var courseId: String
        var source: String
        var createdAt: String
    }
}

/// `GET /api/v1/users/me/enrollments`: the caller's courses, newest enrollment first.
public enum ListEnrollments {
    public static let endpoint = Endpoint(.get, "/api/v1/users/me/enrollments", access: .signedIn, mode: .fastcgi, handle)

    public static func handle(_ context: Context) throws -> Response {
        let caller = try context.user()
        let (limit, after) = try pageParameters(context.request)
        let rows = try context.db().query(
            """
            SELECT \(fragment: CourseView.columns), e.created_at AS added_at, e.created_at::text AS cursor_time, e.id::text AS cursor_id
            FROM enrollments e JOIN courses c ON c.id = e.course_id
            WHERE e.user_id = \(caller.id)
              AND (\(after?.time)::timestamptz IS NULL OR (e.created_at, e.id) < (\(after?.time)::timestamptz, \(after?.id)::uuid))
            ORDER BY e.created_at DESC, e.id DESC LIMIT \(limit + 1)
            """
        ).rows
        return .ok(try page(rows, limit: limit))
    }
}

/// `GET /api/v1/users/me/wishlist`: the caller's saved courses, newest first.
public enum ListWishlist {
    public static let endpoint = Endpoint(.get, "/api/v1/users/me/wishlist", access: .signedIn, handle)

    public static func handle(_ context: Context) throws -> Response {
        let caller = try context.user()
        let (limit, after) = try pageParameters(context.request)
        let rows = try context.db().query(
            """
            SELECT \(fragment: CourseView.columns), w.created_at AS added_at, w.created_at::text AS cursor_time, c.id::text AS cursor_id
            FROM wishlist_items w JOIN courses c ON c.id = w.course_id
            WHERE w.user_id = \(caller.id) AND c.status = 'published'
              AND (\(after?.time)::timestamptz IS NULL OR (w.created_at, c.id) < (\(after?.time)::timestamptz, \(after?.id)::uuid))
            ORDER BY w.created_at DESC, c.id DESC LIMIT \(limit + 1)
            """
        ).rows
        return .ok(try page(rows, limit: limit))
    }
}

/// `PUT /api/v1/users/me/wishlist/{courseId}`: saves a published course (idempotent).
public enum AddToWishlist {
    public static let endpoint = Endpoint(.put, "/api/v1/users/me/wishlist/{courseId}", access: .signedIn, body: 1 * KiB, handle)

    public static func handle(_ context: Context) throws -> Response {
        let caller = try context.user()
        let id = try context.request.parameter("courseId")
        try context.transaction { db in
            _ = try publishedCourse(db, id: id)
            try db.execute("INSERT INTO wishlist_items (user_id, course_id) VALUES (\(caller.id), \(id)) ON CONFLICT DO NOTHING")
        }
        return .message("Saved to your wishlist.")
    }
}

/// `DELETE /api/v1/users/me/wishlist/{courseId}`: removes a course (idempotent).
public enum RemoveFromWishlist {
    public static let endpoint = Endpoint(.delete, "/api/v1/users/me/wishlist/{courseId}", access: .signedIn, body: 1 * KiB, handle)

    public static func handle(_ context: Context) throws -> Response {
        let caller = try context.user()
        let id = try context.request.parameter("courseId")
        guard isUUID(id) else { throw APIError.notFound("Course") }
        try context.db().execute("DELETE FROM wishlist_items WHERE user_id = \(caller.id) AND course_id = \(id)")
        return .message("Removed from your wishlist.")
    }
}

func page(_ rows: [Row], limit: Int) throws -> ItemsPage<ListedCourse> {
    let items = try rows.prefix(limit).map { ListedCourse(course: try CourseView($0), addedAt: try $0.timestamp("added_at")) }
    var next: String?
    if rows.count > limit, let last = rows.prefix(limit).last {
        next = CourseCursor.encode(time: try last.string("cursor_time"), id: try last.string("cursor_id"))
    }
    return ItemsPage(items: items, nextCursor: next)
}
