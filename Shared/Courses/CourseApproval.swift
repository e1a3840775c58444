import Auth
import Core
import Database
import Notifications
import Runtime

/// The review workflow: draft → submitted → published or rejected (with a reason);
/// published → unpublished (or archived by DELETE); rejected or unpublished → submitted again.
/// Every change is recorded in `course_events`; the instructor gets an email for each decision.
enum CourseApproval {
    /// Moves a locked course to `to` and records who did it and why.
    static func transition(_ db: Connection, _ course: CourseView, to: String, actor: String, reason: String? = nil) throws -> CourseView {
        guard
            let row = try db.query(
                """
                WITH c AS (
                    UPDATE courses SET status = \(to), updated_at = now(),
                        rejection_reason = CASE WHEN \(to) = 'rejected' THEN \(reason) ELSE NULL END,
                        published_at = CASE WHEN \(to) = 'published' THEN coalesce(published_at, now()) ELSE published_at END
                    WHERE id = \(course.id)
                    RETURNING *
                )
                SELECT \(fragment: CourseView.columns) FROM c
                """
            ).first
        else { throw APIError.notFound("Course") }
        try recordEvent(db, courseId: course.id, actor: actor, from: course.status, to: to, reason: reason)
        return try CourseView(row)
    }

    /// The decision email to the course's instructor, in the same transaction.
    static func notifyInstructor(_ db: Connection, _ course: CourseView, decision: String, reason: String?) throws {
        guard let instructor = try db.query("SELECT email, name FROM users WHERE id = \(course.instructorId) AND status = 'active'").first
        else { return }
        var data = ["course_title": course.title, "decision": decision]
        if let reason { data["reason"] = reason }
        let event = try db.query("SELECT max(id)::text AS id FROM course_events WHERE course_id = \(course.id)").one().string("id")
        try Notifications.email(
            db,
            .init(
                template: "course_decision", to: try instructor.string("email"), name: try instructor.string("name"), data: data,
                messageKey: "course_decision:\(course.id):\(event)"))
    }

    static func requireStatus(_ course: CourseView, in allowed: [String], action: String) throws {
        guard allowed.contains(course.status) else {
            throw APIError.conflict("A course that is \(course.status) cannot be \(action).", code: "invalid_transition")
        }
    }
}

/// `POST /api/v1/courses/{id}/submit`: the instructor asks for review. Needs at least one lesson.
public enum SubmitCourse {
    public static let endpoint = Endpoint(
        .post, "/api/v1/courses/{id}/submit", access: .roles([.instructor, .admin]), body: 1 * KiB, handle)

    public static func handle(_ context: Context) throws -> Response {
        let caller = try context.user()
        let id = try context.request.parameter("id")
        let course: CourseView = try context.transaction { db in
            let course = try editableCourse(db, id: id, caller: caller, lock: true)
            try CourseApproval.requireStatus(course, in: ["draft", "rejected", "unpublished"], action: "submitted")
            guard try db.query("SELECT 1 FROM lessons WHERE course_id = \(id) LIMIT 1").first != nil else {
                throw APIError(
                    status: 422, code: "course_incomplete", message: "Add at least one lesson before submitting the course.")
            }
            return try CourseApproval.transition(db, course, to: "submitted", actor: caller.id)
        }
        return .ok(course, message: "Submitted for review.")
    }
}

/// `POST /api/v1/courses/{id}/unpublish`: takes a published course out of the catalog.
public enum UnpublishCourse {
    public static let endpoint = Endpoint(
        .post, "/api/v1/courses/{id}/unpublish", access: .roles([.instructor, .admin]), body: 1 * KiB, handle)

    public static func handle(_ context: Context) throws -> Response {
        let caller = try context.user()
        let id = try context.request.parameter("id")
        let course: CourseView = try context.transaction { db in
            let course = try editableCourse(db, id: id, caller: caller, lock: true)
            try CourseApproval.requireStatus(course, in: ["published"], action: "unpublished")
            return try CourseApproval.transition(db, course, to: "unpublished", actor: caller.id)
        }
        return .ok(course, message: "The course is no longer in the catalog.")
    }
}

/// `POST /api/v1/admin/courses/{id}/approve`: publishes a submitted course.
public enum ApproveCourse {
    public static let endpoint = Endpoint(.post, "/api/v1/admin/courses/{id}/approve", access: .roles([.admin]), body: 1 * KiB, handle)

    public static func handle(_ context: Context) throws -> Response {
        let caller = try context.user()
        let id = try context.request.parameter("id")
        let course: CourseView = try context.transaction { db in
            let course = try editableCourse(db, id: id, caller: caller, lock: true)
            try CourseApproval.requireStatus(course, in: ["submitted"], action: "approved")
            let published = try CourseApproval.transition(db, course, to: "published", actor: caller.id)
            try CourseApproval.notifyInstructor(db, published, decision: "approved", reason: nil)
            return published
        }
        return .ok(course, message: "The course is published.")
    }
}

/// `POST /api/v1/admin/courses/{id}/reject`: sends a submitted course back with a `reason`.
public enum RejectCourse {
    public static let endpoint = Endpoint(.post, "/api/v1/admin/courses/{id}/reject", access: .roles([.admin]), body: 8 * KiB, handle)

    public static func handle(_ context: Context) throws -> Response {
        let caller = try context.user()
        let id = try context.request.parameter("id")
        var fields = try Fields(context.request.json())
        let reason = fields.string("reason", max: 2000, multiline: true)
        try fields.finish()
        guard let reason else { throw APIError.invalid([]) }
        let course: CourseView = try context.transaction { db in
            let course = try editableCourse(db, id: id, caller: caller, lock: true)
            try CourseApproval.requireStatus(course, in: ["submitted"], action: "rejected")
            let rejected = try CourseApproval.transition(db, course, to: "rejected", actor: caller.id, reason: reason)
            try CourseApproval.notifyInstructor(db, rejected, decision: "rejected", reason: reason)
            return rejected
        }
        return .ok(course, message: "The course was sent back to its instructor.")
    }
}

/// `GET /api/v1/admin/courses`: courses by `status` (default `submitted`), oldest first so the
/// review queue is worked in order; cursor-paginated.
public enum ListCoursesForReview {
    public static let endpoint = Endpoint(.get, "/api/v1/admin/courses", access: .roles([.admin]), handle)

    public static func handle(_ context: Context) throws -> Response {
        let request = context.request
        var errors: [FieldError] = []
        let status = request.queryValue("status") ?? "submitted"
        if !ListInstructorCourses.statuses.contains(status) {
            errors.append(FieldError(field: "status", message: "must be one of: " + ListInstructorCourses.statuses.joined(separator: ", ")))
        }
        let limit = Int(request.queryValue("limit") ?? "20") ?? 0
        if !(1...100).contains(limit) { errors.append(FieldError(field: "limit", message: "must be a whole number from 1 to 100")) }
        if !errors.isEmpty { throw APIError.invalid(errors) }
        let cursor = try CourseCursor.decode(request.queryValue("cursor"))
        let rows = try context.db().query(
            """
            SELECT \(fragment: CourseView.columns), c.updated_at::text AS cursor_time FROM courses c
            WHERE c.status = \(status)
              AND (\(cursor?.time)::timestamptz IS NULL OR (c.updated_at, c.id) > (\(cursor?.time)::timestamptz, \(cursor?.id)::uuid))
            ORDER BY c.updated_at, c.id
            LIMIT \(limit + 1)
            """
        ).rows
        let courses = try rows.prefix(limit).map(CourseView.init)
        let next =
            rows.count > limit
            ? try rows.prefix(limit).last.map { CourseCursor.encode(time: try $0.string("cursor_time"), id: try $0.string("id")) } : nil
        return .ok(CourseListPage(courses: courses, nextCursor: next))
    }
}
