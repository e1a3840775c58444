import Auth
import Core
import Database
import Runtime

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
