import Auth
import Core
import Courses
import Database
import Runtime

/// `GET /api/v1/users/me/purchases`: the caller's orders, newest first, with their items.
public enum ListPurchases {
    public static let endpoint = Endpoint(.get, "/api/v1/users/me/purchases", access: .signedIn, handle)

    public static func handle(_ context: Context) throws -> Response {
        let caller = try context.user()
        let (limit, after) = try CourseCursor.page(context.request)
        let db = try context.db()
        let rows = try db.query(
            """
            SELECT \(fragment: OrderView.columns) FROM orders o
            WHERE o.user_id = \(caller.id)
              AND (\(after?.time)::timestamptz IS NULL OR (o.created_at, o.id) < (\(after?.time)::timestamptz, \(after?.id)::uuid))
            ORDER BY o.created_at DESC, o.id DESC LIMIT \(limit + 1)
            """
        ).rows
        let orders = try OrderView.load(db, rows: Array(rows.prefix(limit)))
        let next = try CourseCursor.next(rows, limit: limit)
        return .ok(Page(orders: orders, nextCursor: next))
    }

    struct Page: Encodable, Sendable {
        var orders: [OrderView]
        @Nullable var nextCursor: String?
    }
}

/// `GET /api/v1/orders/{id}`: one order, for its buyer or an admin (404 for anyone else).
public enum GetOrder {
    public static let endpoint = Endpoint(.get, "/api/v1/orders/{id}", access: .signedIn, handle)

    public static func handle(_ context: Context) throws -> Response {
        let caller = try context.user()
        guard let order = try OrderView.find(context.db(), id: try context.request.parameter("id")),
            order.userId == caller.id || caller.role == .admin
        else { throw APIError.notFound("Order") }
        return .ok(order.view)
    }
}

/// `GET /api/v1/courses/{id}/enrollment` (seed 004): whether the caller is enrolled, since
/// when, and how (free, paid, admin). 404 for a course the caller cannot see.
public enum GetCourseEnrollment {
    public static let endpoint = Endpoint(.get, "/api/v1/courses/{id}/enrollment", access: .signedIn, mode: .fastcgi, handle)

    public static func handle(_ context: Context) throws -> Response {
        let caller = try context.user()
        let id = try context.request.parameter("id")
        let row = try context.db().query(
            """
            SELECT c.status, c.instructor_id::text AS instructor_id, e.created_at, e.source, e.order_id::text AS order_id
            FROM courses c LEFT JOIN enrollments e ON e.course_id = c.id AND e.user_id = \(caller.id)
            WHERE c.id = \(id)
            """
        ).first
        // Enrolled learners keep seeing a course that was archived or unpublished after they joined.
        guard let row,
            try row.string("status") == "published" || row.optionalString("source") != nil
                || row.string("instructor_id") == caller.id || caller.role == .admin
        else { throw APIError.notFound("Course") }
        return .ok(
            Status(
                courseId: id, enrolled: try row.optionalString("source") != nil, since: try row.optionalTimestamp("created_at"),
                source: try row.optionalString("source"), orderId: try row.optionalString("order_id")))
    }

    struct Status: Encodable, Sendable {
        var courseId: String
        var enrolled: Bool
        @Nullable var since: String?
        @Nullable var source: String?
        @Nullable var orderId: String?
    }
}
