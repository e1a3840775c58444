import Auth
import Core
import Database
import Runtime

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
            "SELECT id, course_id, source, created_at FROM enrollments WHERE user_id = \(caller.id) AND course_id = \(id)"
        ).one()
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
