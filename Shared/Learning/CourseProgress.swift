import Auth
import Core
import Database
import Runtime

/// `GET /api/v1/courses/{id}/progress`: the enrolled caller's progress, module by module:
/// lessons (done, position), quizzes (best score, passed), assignments (status, grade); the
/// percent of required items done (lessons deleted since drop out, lessons added since count),
/// the lesson to resume, and `completed_at` (kept once reached, whatever changes later).
public enum GetCourseProgress {
    public static let endpoint = Endpoint(
        .get, "/api/v1/courses/{id}/progress", access: .signedIn, mode: .fastcgi, processes: 2, handle)

    public static func handle(_ context: Context) throws -> Response {
        let caller = try context.user()
        let courseId = try context.request.parameter("id")
        let db = try context.db()
        let user = caller.id
        // The enrollment in a course learners keep; only when there is none, say why (404 or 403).
        let found = try db.query(
            """
            SELECT e.progress_reset_at, cc.completed_at
            FROM enrollments e
            JOIN courses c ON c.id = e.course_id AND c.status IN ('published', 'unpublished', 'archived')
            LEFT JOIN course_completions cc ON cc.user_id = e.user_id AND cc.course_id = e.course_id
            WHERE e.user_id = \(user) AND e.course_id = \(courseId)
            """
        ).first
        guard let head = found else {
            _ = try LearnerAccess.enrolled(db, courseId: courseId, caller: caller)
            throw APIError.notFound("Course")
        }
        let lessons = try db.query(
            """
            SELECT m.id AS module_id, m.title AS module_title, l.id, l.title, l.kind, l.duration_seconds, l.is_required,
                   p.completed_at, p.position_seconds, p.updated_at
            FROM modules m
            LEFT JOIN lessons l ON l.module_id = m.id
            LEFT JOIN lesson_progress p ON p.lesson_id = l.id AND p.user_id = \(user)
            WHERE m.course_id = \(courseId)
            ORDER BY m.position, l.position
            """
        ).rows
        let quizzes = try db.query(
            """
            SELECT q.id, q.module_id, q.title, q.after_lesson_id, q.is_required, q.pass_percent, q.max_attempts,
                   s.best, s.attempts, s.passed
            FROM quizzes q
            CROSS JOIN LATERAL (
                SELECT max(a.score_percent) AS best, count(*)::int AS attempts,
                       coalesce(bool_or(a.passed AND a.submitted_at > coalesce(\(try head.optionalString("progress_reset_at"))::timestamptz,
                                                                               '-infinity')), false) AS passed
                FROM quiz_attempts a WHERE a.quiz_id = q.id AND a.user_id = \(user)) s
            WHERE q.course_id = \(courseId)
            ORDER BY q.created_at, q.id
            """
        ).rows
        let assignments = try db.query(
            """
            SELECT s.id, s.module_id, s.title, s.is_required, s.due_at, s.max_points, s.pass_points, x.status, x.points
            FROM assignments s
            LEFT JOIN assignment_submissions x
                ON x.assignment_id = s.id AND x.user_id = \(user) AND x.status IN ('submitted', 'graded')
            WHERE s.course_id = \(courseId)
            ORDER BY s.created_at, s.id
            """
        ).rows

        var modules: [ModuleProgress] = []
        var required = 0
        var done = 0
        var resume: (id: String, touched: String)?
        var firstOpen: String?
        for row in lessons {
            let moduleId = try row.string("module_id")
            if modules.last?.id != moduleId {
                modules.append(
                    ModuleProgress(id: moduleId, title: try row.string("module_title"), lessons: [], quizzes: [], assignments: []))
            }
            guard let id = try row.optionalString("id") else { continue }
            let completedAt = try row.optionalTimestamp("completed_at")
            let isRequired = try row.bool("is_required")
            if isRequired {
                required += 1
                if completedAt != nil { done += 1 }
            }
            if completedAt == nil {
                if firstOpen == nil { firstOpen = id }
                if let touched = try row.optionalString("updated_at"), touched > (resume?.touched ?? "") { resume = (id, touched) }
            }
            modules[modules.count - 1].lessons.append(
                LessonProgress(
                    id: id, title: try row.string("title"), kind: try row.string("kind"), durationSeconds: try row.int("duration_seconds"),
                    isRequired: isRequired, done: completedAt != nil, completedAt: completedAt,
                    positionSeconds: try row.optionalInt("position_seconds") ?? 0))
        }
        for row in quizzes {
            let passed = try row.bool("passed")
            let isRequired = try row.bool("is_required")
            if isRequired {
                required += 1
                if passed { done += 1 }
            }
            let quiz = QuizProgress(
                id: try row.string("id"), title: try row.string("title"), afterLessonId: try row.optionalString("after_lesson_id"),
                isRequired: isRequired, passPercent: try row.int("pass_percent"), attempts: try row.int("attempts"),
                maxAttempts: try row.optionalInt("max_attempts"), bestScore: try row.optionalInt("best"), passed: passed)
            let moduleId = try row.string("module_id")
            if let index = modules.firstIndex(where: { $0.id == moduleId }) { modules[index].quizzes.append(quiz) }
        }
        for row in assignments {
            let status = try row.optionalString("status")
            let points = try row.optionalInt("points")
            let passPoints = try row.int("pass_points")
            let passed = status == "graded" && (points ?? 0) >= passPoints
            let isRequired = try row.bool("is_required")
            if isRequired {
                required += 1
                if passed { done += 1 }
            }
            let assignment = AssignmentProgress(
                id: try row.string("id"), title: try row.string("title"), isRequired: isRequired,
                dueAt: try row.optionalTimestamp("due_at"), maxPoints: try row.int("max_points"), passPoints: passPoints,
                status: status ?? "not_submitted", points: points, passed: passed)
            let moduleId = try row.string("module_id")
            if let index = modules.firstIndex(where: { $0.id == moduleId }) { modules[index].assignments.append(assignment) }
        }
        let resumeId = resume?.id ?? firstOpen
        let resumeLesson = resumeId.flatMap { id in
            modules.lazy.flatMap(\.lessons).first { $0.id == id }.map { Resume(lessonId: $0.id, positionSeconds: $0.positionSeconds) }
        }
        let progress = Progress(
            courseId: courseId, percent: required == 0 ? 0 : done * 100 / required, requiredItems: required, doneItems: done,
            resume: resumeLesson, completedAt: try head.optionalTimestamp("completed_at"), modules: modules)
        var response = Response.ok(progress)
        response.headers.append(("Cache-Control", "private, no-store"))
        return response
    }

    struct Progress: Encodable, Sendable {
        var courseId: String
        var percent: Int
        var requiredItems: Int
        var doneItems: Int
        @Nullable var resume: Resume?
        @Nullable var completedAt: String?
        var modules: [ModuleProgress]
    }

    struct Resume: Encodable, Sendable {
        var lessonId: String
        var positionSeconds: Int
    }

    struct ModuleProgress: Encodable, Sendable {
        var id: String
        var title: String
        var lessons: [LessonProgress]
        var quizzes: [QuizProgress]
        var assignments: [AssignmentProgress]
    }

    struct LessonProgress: Encodable, Sendable {
        var id: String
        var title: String
        var kind: String
        var durationSeconds: Int
        var isRequired: Bool
        var done: Bool
        @Nullable var completedAt: String?
        var positionSeconds: Int
    }

    struct QuizProgress: Encodable, Sendable {
        var id: String
        var title: String
        @Nullable var afterLessonId: String?
        var isRequired: Bool
        var passPercent: Int
        var attempts: Int
        @Nullable var maxAttempts: Int?
        @Nullable var bestScore: Int?
        var passed: Bool
    }

    struct AssignmentProgress: Encodable, Sendable {
        var id: String
        var title: String
        var isRequired: Bool
        @Nullable var dueAt: String?
        var maxPoints: Int
        var passPoints: Int
        /// `not_submitted`, `submitted` or `graded`.
        var status: String
        @Nullable var points: Int?
        var passed: Bool
    }
}

/// `POST /api/v1/courses/{id}/progress/reset`: the learner starts over. Lesson progress is
/// cleared and quizzes must be passed again; attempts stay as history (and still count toward
/// a quiz's attempt limit); graded assignments stay graded; a completion already reached stays.
public enum ResetCourseProgress {
    public static let endpoint = Endpoint(.post, "/api/v1/courses/{id}/progress/reset", access: .signedIn, body: 1 * KiB, handle)

    public static func handle(_ context: Context) throws -> Response {
        let caller = try context.user()
        let courseId = try context.request.parameter("id")
        try context.transaction { db in
            _ = try LearnerAccess.enrolled(db, courseId: courseId, caller: caller, lock: true)
            try db.execute("DELETE FROM lesson_progress WHERE user_id = \(caller.id) AND course_id = \(courseId)")
            try db.execute("UPDATE enrollments SET progress_reset_at = now() WHERE user_id = \(caller.id) AND course_id = \(courseId)")
        }
        return .message("Progress reset.")
    }
}
