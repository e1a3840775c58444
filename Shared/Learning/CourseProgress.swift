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

    /// The page is one statement that writes the JSON (the keys of the OpenAPI `CourseProgress`
    /// schema, sorted as `encodeJSON` sorts them), handed to the response without being decoded
    /// here: decoding and re-encoding a 200-lesson course was most of this function's time.
    public static func handle(_ context: Context) throws -> Response {
        let caller = try context.user()
        let courseId = try context.request.parameter("id")
        let db = try context.db()
        // No row: no enrollment in a course learners keep; only then, say why (404 or 403).
        guard let row = try db.query(page(user: caller.id, course: courseId)).first else {
            _ = try LearnerAccess.enrolled(db, courseId: courseId, caller: caller)
            throw APIError.notFound("Course")
        }
        var response = Response.ok(RawJSON(compacting: Array(try row.string("progress").utf8)))
        response.headers.append(("Cache-Control", "private, no-store"))
        return response
    }

    /// Lessons count when required and done; quizzes when required and passed by an attempt
    /// submitted after the last reset; assignments when required and graded at or above their pass
    /// mark. The lesson to resume is the open one touched last, else the first open one.
    static func page(user: String, course: String) -> SQL {
        """
        WITH head AS (
            SELECT e.progress_reset_at, cc.completed_at
            FROM enrollments e
            JOIN courses c ON c.id = e.course_id AND c.status IN ('published', 'unpublished', 'archived')
            LEFT JOIN course_completions cc ON cc.user_id = e.user_id AND cc.course_id = e.course_id
            WHERE e.user_id = \(user) AND e.course_id = \(course)
        ),
        lesson AS (
            SELECT l.module_id, m.position AS module_position, l.position, l.is_required, p.completed_at, p.updated_at, l.id,
                   coalesce(p.position_seconds, 0) AS position_seconds, row_to_json(j) AS item
            FROM modules m
            JOIN lessons l ON l.module_id = m.id
            LEFT JOIN lesson_progress p ON p.lesson_id = l.id AND p.user_id = \(user)
            CROSS JOIN LATERAL (
                SELECT \(fragment: .timestamp("p.completed_at")) AS completed_at, p.completed_at IS NOT NULL AS done,
                       l.duration_seconds, l.id, l.is_required, l.kind, coalesce(p.position_seconds, 0) AS position_seconds, l.title) j
            WHERE m.course_id = \(course)
        ),
        quiz AS (
            SELECT q.module_id, q.created_at, q.id, q.is_required, j.passed, row_to_json(j) AS item
            FROM quizzes q
            CROSS JOIN LATERAL (
                SELECT max(a.score_percent) AS best, count(*)::int AS attempts,
                       coalesce(bool_or(a.passed AND a.submitted_at > coalesce((SELECT progress_reset_at FROM head), '-infinity')), false)
                           AS passed
                FROM quiz_attempts a WHERE a.quiz_id = q.id AND a.user_id = \(user)) s
            CROSS JOIN LATERAL (
                SELECT q.after_lesson_id, s.attempts, s.best AS best_score, q.id, q.is_required, q.max_attempts, q.pass_percent, s.passed,
                       q.title) j
            WHERE q.course_id = \(course)
        ),
        assignment AS (
            SELECT s.module_id, s.created_at, s.id, s.is_required, j.passed, row_to_json(j) AS item
            FROM assignments s
            LEFT JOIN assignment_submissions x ON x.assignment_id = s.id AND x.user_id = \(user) AND x.status IN ('submitted', 'graded')
            CROSS JOIN LATERAL (
                SELECT \(fragment: .timestamp("s.due_at")) AS due_at, s.id, s.is_required, s.max_points, s.pass_points,
                       coalesce(x.status = 'graded' AND coalesce(x.points, 0) >= s.pass_points, false) AS passed, x.points,
                       coalesce(x.status, 'not_submitted') AS status, s.title) j
            WHERE s.course_id = \(course)
        ),
        counts AS MATERIALIZED (
            SELECT sum(required)::int AS required, sum(done)::int AS done
            FROM (SELECT count(*) FILTER (WHERE is_required), count(*) FILTER (WHERE is_required AND completed_at IS NOT NULL) FROM lesson
                  UNION ALL SELECT count(*) FILTER (WHERE is_required), count(*) FILTER (WHERE is_required AND passed) FROM quiz
                  UNION ALL SELECT count(*) FILTER (WHERE is_required), count(*) FILTER (WHERE is_required AND passed) FROM assignment
            ) c (required, done)
        )
        SELECT json_build_object(
            'completed_at', \(fragment: .timestamp("h.completed_at")),
            'course_id', \(course)::text,
            'done_items', t.done,
            'modules', coalesce((
                SELECT json_agg(json_build_object(
                    'assignments',
                        coalesce((SELECT json_agg(s.item ORDER BY s.created_at, s.id) FROM assignment s WHERE s.module_id = m.id), '[]'),
                    'id', m.id,
                    'lessons', coalesce((SELECT json_agg(l.item ORDER BY l.position) FROM lesson l WHERE l.module_id = m.id), '[]'),
                    'quizzes', coalesce((SELECT json_agg(q.item ORDER BY q.created_at, q.id) FROM quiz q WHERE q.module_id = m.id), '[]'),
                    'title', m.title) ORDER BY m.position)
                FROM modules m WHERE m.course_id = \(course)), '[]'),
            'percent', CASE WHEN t.required = 0 THEN 0 ELSE t.done * 100 / t.required END,
            'required_items', t.required,
            'resume', (SELECT json_build_object('lesson_id', l.id, 'position_seconds', l.position_seconds)
                       FROM lesson l WHERE l.completed_at IS NULL
                       ORDER BY l.updated_at DESC NULLS LAST, l.module_position, l.position LIMIT 1)) AS progress
        FROM head h, counts t
        """
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
