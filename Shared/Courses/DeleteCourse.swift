import Auth
import Core
import Database
import Runtime

/// `DELETE /api/v1/courses/{id}`: a course that was never published is deleted; one that was
/// (students may have bought it) is archived instead, never deleted.
public enum DeleteCourse {
    public static let endpoint = Endpoint(.delete, "/api/v1/courses/{id}", access: .roles([.instructor, .admin]), body: 1 * KiB, handle)

    public static func handle(_ context: Context) throws -> Response {
        let caller = try context.user()
        let id = try context.request.parameter("id")
        let archived: Bool = try context.transaction { db in
            let course = try editableCourse(db, id: id, caller: caller, lock: true)
            if course.publishedAt == nil {
                try db.execute("DELETE FROM courses WHERE id = \(id)")
                return false
            }
            guard course.status != "archived" else { return true }
            try db.execute("UPDATE courses SET status = 'archived', updated_at = now() WHERE id = \(id)")
            try recordEvent(
                db, courseId: id, actor: caller.id, from: course.status, to: "archived", reason: "deleted by \(caller.role.rawValue)")
            return true
        }
        return .message(archived ? "The course was archived: it had been published." : "The course was deleted.")
    }
}
