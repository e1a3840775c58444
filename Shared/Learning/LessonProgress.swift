import Auth
import Core
import Database
import Runtime

/// `POST /api/v1/lessons/{id}/complete`: marks a lesson done for the enrolled caller (201 the
/// first time, 200 after), emits the lesson's XP event, then checks whether the course is now
/// complete (in its own transaction: see `CourseCompletion`).
public enum CompleteLesson {
    public static let endpoint = Endpoint(.post, "/api/v1/lessons/{id}/complete", access: .signedIn, body: 1 * KiB, handle)

    public static func handle(_ context: Context) throws -> Response {
        let caller = try context.user()
        let lessonId = try context.request.parameter("id")
        let courseId = try LearnerAccess.courseOfLesson(try context.db(), lessonId: lessonId)
        let newlyCompleted: Bool = try context.transaction { db in
            _ = try LearnerAccess.enrolled(db, courseId: courseId, caller: caller)
            // Only the request that turns "not done" into "done" gets a row back.
            let row = try db.query(
                """
                INSERT INTO lesson_progress (user_id, lesson_id, course_id, completed_at)
                VALUES (\(caller.id), \(lessonId), \(courseId), now())
                ON CONFLICT (user_id, lesson_id) DO UPDATE SET completed_at = now(), updated_at = now()
                    WHERE lesson_progress.completed_at IS NULL
                RETURNING \(fragment: isoTime("completed_at")) AS occurred_at
                """
            ).first
            if let row {
                try LearningEvents.awardXP(
                    db, userId: caller.id, type: .lessonComplete, source: "lesson:\(lessonId)", courseId: courseId,
                    occurredAt: try row.string("occurred_at"))
            }
            return row != nil
        }
        try CourseCompletion.check(context, userId: caller.id, courseId: courseId)
        let row = try context.db().query(
            """
            SELECT p.completed_at, cc.completed_at AS course_completed_at
            FROM lesson_progress p
            LEFT JOIN course_completions cc ON cc.user_id = p.user_id AND cc.course_id = p.course_id
            WHERE p.user_id = \(caller.id) AND p.lesson_id = \(lessonId)
            """
        ).first
        let state = LessonState(
            lessonId: lessonId, courseId: courseId, completed: try row?.optionalTimestamp("completed_at") != nil,
            completedAt: try row?.optionalTimestamp("completed_at"),
            courseCompletedAt: try row?.optionalTimestamp("course_completed_at"))
        return newlyCompleted ? .created(state, message: "Lesson completed.") : .ok(state, message: "Lesson already completed.")
    }
}

/// `DELETE /api/v1/lessons/{id}/complete`: marks a lesson not done again (idempotent). A course
/// already completed stays completed: the completion record is history.
public enum UncompleteLesson {
    public static let endpoint = Endpoint(.delete, "/api/v1/lessons/{id}/complete", access: .signedIn, body: 1 * KiB, handle)

    public static func handle(_ context: Context) throws -> Response {
        let caller = try context.user()
        let lessonId = try context.request.parameter("id")
        let state: LessonState = try context.transaction { db in
            let courseId = try LearnerAccess.courseOfLesson(db, lessonId: lessonId)
            _ = try LearnerAccess.enrolled(db, courseId: courseId, caller: caller)
            try db.execute(
                """
                UPDATE lesson_progress SET completed_at = NULL, updated_at = now()
                WHERE user_id = \(caller.id) AND lesson_id = \(lessonId) AND completed_at IS NOT NULL
                """)
            let completed = try db.query(
                "SELECT completed_at FROM course_completions WHERE user_id = \(caller.id) AND course_id = \(courseId)"
            ).first
            return LessonState(
                lessonId: lessonId, courseId: courseId, completed: false, completedAt: nil,
                courseCompletedAt: try completed?.timestamp("completed_at"))
        }
        return .ok(state, message: "Lesson marked as not done.")
    }
}

struct LessonState: Encodable, Sendable {
    var lessonId: String
    var courseId: String
    var completed: Bool
    @Nullable var completedAt: String?
    @Nullable var courseCompletedAt: String?
}

/// `PUT /api/v1/lessons/{id}/position` `{"seconds": n}`: where the player stopped, for resume.
/// Called every few seconds by players: FastCGI, and one statement that checks the enrollment,
/// clamps to the lesson's duration (when it has one) and upserts, committed without waiting for
/// the WAL flush (a position is a hint, not a record). Only a refusal costs more.
public enum SaveLessonPosition {
    public static let endpoint = Endpoint(
        .put, "/api/v1/lessons/{id}/position", access: .signedIn, session: .withFirstStatement, mode: .fastcgi, processes: 2,
        body: 1 * KiB, handle)

    /// Longer than any lesson (the duration's CHECK allows a day).
    static let maxSeconds = 10_000_000

    /// The save is sent in the session check's round trip (`Context.user(with:)`), guarded by
    /// the session's validity: a round trip fewer on the route players call every few seconds.
    public static func handle(_ context: Context) throws -> Response {
        let lessonId = try context.request.parameter("id")
        let seconds: Int
        do {
            let fields = try Fields(context.request.json())
            // Players report fractions of a second; they are dropped.
            guard case .number(let value)? = fields.object["seconds"], value.isFinite, value >= 0, value <= Double(maxSeconds) else {
                throw APIError.invalid(field: "seconds", "must be a number of seconds from 0 to \(maxSeconds)")
            }
            seconds = Int(value)
        } catch {
            // A refused caller hears that first, as on every endpoint.
            _ = try context.user()
            throw error
        }
        let (caller, saved) = try context.user { user, valid in
            """
            INSERT INTO lesson_progress (user_id, lesson_id, course_id, position_seconds)
            SELECT \(user), l.id, l.course_id,
                   CASE WHEN l.duration_seconds > 0 THEN least(\(seconds), l.duration_seconds) ELSE \(seconds) END
            FROM lessons l
            JOIN courses c ON c.id = l.course_id AND c.status IN ('published', 'unpublished', 'archived')
            JOIN enrollments e ON e.course_id = l.course_id AND e.user_id = \(user)
            -- A resume point lost in a crash costs seconds of video: this statement's commit does not
            -- wait for the WAL flush (set_config is local to its own implicit transaction).
            WHERE l.id = \(lessonId) AND \(fragment: valid) AND set_config('synchronous_commit', 'off', true) = 'off'
            ON CONFLICT (user_id, lesson_id) DO UPDATE SET position_seconds = excluded.position_seconds, updated_at = now()
            RETURNING position_seconds
            """
        }
        let row = saved.first
        guard let row else {
            // Not saved: say why (404 lesson or course, 403 enrollment_required).
            let db = try context.db()
            _ = try LearnerAccess.enrolled(db, courseId: try LearnerAccess.courseOfLesson(db, lessonId: lessonId), caller: caller)
            throw APIError.notFound("Lesson")
        }
        return .ok(Position(lessonId: lessonId, seconds: try row.int("position_seconds")), message: "Position saved.")
    }

    struct Position: Encodable, Sendable {
        var lessonId: String
        var seconds: Int
    }
}
