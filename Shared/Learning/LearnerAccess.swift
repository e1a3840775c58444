import Auth
import Core
import Database
import Runtime

/// A course as the learning endpoints need it.
public struct LearnerCourse: Sendable {
    public var id: String
    public var title: String
    public var instructorId: String
    public var status: String
}

/// Who may learn in a course, and who may look after its learners. One place for the rule:
/// a caller who cannot see a course gets 404; one who can see it but is not enrolled gets 403
/// `enrollment_required`; a learner keeps a course they enrolled in when it is later
/// unpublished or archived (as `GET /lessons/{id}/content`).
public enum LearnerAccess {
    /// Course states in which enrolled learners keep learning.
    static let keptStates = ["published", "unpublished", "archived"]

    public static let enrollmentRequired = APIError(
        status: 403, code: "enrollment_required", message: "Enroll in this course to do this.")

    /// The course of `courseId` for its enrolled learner; `lock` takes the enrollment row, so
    /// one learner's writes in one course (attempts, submissions) take turns.
    public static func enrolled(_ db: Connection, courseId: String, caller: Caller, lock: Bool = false) throws -> LearnerCourse {
        guard isUUID(courseId) else { throw APIError.notFound("Course") }
        let row = try db.query(
            """
            SELECT c.id, c.title, c.status, c.instructor_id,
                   EXISTS (SELECT 1 FROM enrollments e WHERE e.course_id = c.id AND e.user_id = \(caller.id)) AS enrolled
            FROM courses c WHERE c.id = \(courseId)
            """
        ).first
        guard let row else { throw APIError.notFound("Course") }
        let course = LearnerCourse(
            id: try row.string("id"), title: try row.string("title"), instructorId: try row.string("instructor_id"),
            status: try row.string("status"))
        if try row.bool("enrolled") && keptStates.contains(course.status) {
            if lock {
                try db.execute("SELECT 1 FROM enrollments WHERE course_id = \(courseId) AND user_id = \(caller.id) FOR UPDATE")
            }
            return course
        }
        let isAuthor = caller.role == .admin || caller.id == course.instructorId
        guard course.status == "published" || isAuthor else { throw APIError.notFound("Course") }
        throw enrollmentRequired
    }

    /// SQL: whether `user` is enrolled in `course` and the course is in a state its learners
    /// keep, for a statement that checks access along with its work (`enrolled` explains a refusal).
    public static func learns(user: String, course: String) -> SQL {
        """
        EXISTS (SELECT 1 FROM enrollments e JOIN courses c ON c.id = e.course_id AND c.status IN ('published', 'unpublished', 'archived')
                WHERE e.user_id = \(user) AND e.course_id = \(course))
        """
    }

    /// The same for a course named by a column of the calling statement (`a.course_id`).
    public static func learns(user: String, courseColumn: SQL) -> SQL {
        """
        EXISTS (SELECT 1 FROM enrollments e JOIN courses c ON c.id = e.course_id AND c.status IN ('published', 'unpublished', 'archived')
                WHERE e.user_id = \(user) AND e.course_id = \(fragment: courseColumn))
        """
    }

    /// The course of `courseId` for its instructor or an admin; 404 for everyone else.
    public static func authored(_ db: Connection, courseId: String, caller: Caller, lock: Bool = false) throws -> LearnerCourse {
        guard isUUID(courseId) else { throw APIError.notFound("Course") }
        let row =
            lock
            ? try db.query("SELECT id, title, status, instructor_id FROM courses WHERE id = \(courseId) FOR UPDATE").first
            : try db.query("SELECT id, title, status, instructor_id FROM courses WHERE id = \(courseId)").first
        guard let row else { throw APIError.notFound("Course") }
        let course = LearnerCourse(
            id: try row.string("id"), title: try row.string("title"), instructorId: try row.string("instructor_id"),
            status: try row.string("status"))
        guard caller.role == .admin || caller.id == course.instructorId else { throw APIError.notFound("Course") }
        return course
    }

    /// The course id of a lesson, or 404.
    public static func courseOfLesson(_ db: Connection, lessonId: String) throws -> String {
        guard isUUID(lessonId), let row = try db.query("SELECT course_id FROM lessons WHERE id = \(lessonId)").first else {
            throw APIError.notFound("Lesson")
        }
        return try row.string("course_id")
    }

    /// The course id of a module, or 404.
    public static func courseOfModule(_ db: Connection, moduleId: String) throws -> String {
        guard isUUID(moduleId), let row = try db.query("SELECT course_id FROM modules WHERE id = \(moduleId)").first else {
            throw APIError.notFound("Module")
        }
        return try row.string("course_id")
    }

    /// Whether the caller authors the course (its instructor or an admin).
    public static func isAuthor(_ caller: Caller, of course: LearnerCourse) -> Bool {
        caller.role == .admin || caller.id == course.instructorId
    }
}

/// Now, or a column, as the ISO 8601 UTC text the job payloads carry (`2026-11-30T12:00:00Z`).
public func isoTime(_ expression: SQL) -> SQL {
    "to_char(\(fragment: expression) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
}
