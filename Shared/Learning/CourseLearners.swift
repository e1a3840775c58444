import Auth
import Core
import Courses
import Database
import Runtime

/// `GET /api/v1/instructor/courses/{id}/learners`: the course's learners with their percent,
/// last activity and completion, oldest enrollment first, in cursor pages (`?limit=&cursor=`);
/// with `Accept: text/csv`, every learner as CSV (up to `csvLimit` rows). For the course's
/// instructor and admins; 404 for everyone else.
public enum ListCourseLearners {
    public static let endpoint = Endpoint(
        .get, "/api/v1/instructor/courses/{id}/learners", access: .roles([.instructor, .admin]), handle)

    static let csvLimit = 50_000

    public static func handle(_ context: Context) throws -> Response {
        let caller = try context.user()
        let courseId = try context.request.parameter("id")
        let csv = (context.request.header("accept") ?? "").lowercased().contains("text/csv")
        let limit = csv ? csvLimit : Int(context.request.queryValue("limit") ?? "20") ?? 0
        guard (1...(csv ? csvLimit : 100)).contains(limit) else {
            throw APIError.invalid(field: "limit", "must be a whole number from 1 to 100")
        }
        let after = csv ? nil : try CourseCursor.decode(context.request.queryValue("cursor"))
        let db = try context.db()
        let course = try LearnerAccess.authored(db, courseId: courseId, caller: caller)
        let rows = try db.query(
            """
            SELECT u.id, u.name, u.email, e.created_at AS enrolled_at, p.done, p.required, cc.completed_at,
                   greatest(e.created_at, e.progress_reset_at,
                            (SELECT max(lp.updated_at) FROM lesson_progress lp WHERE lp.user_id = e.user_id AND lp.course_id = e.course_id),
                            (SELECT max(coalesce(a.submitted_at, a.started_at)) FROM quiz_attempts a
                             WHERE a.user_id = e.user_id AND a.course_id = e.course_id),
                            (SELECT max(x.submitted_at) FROM assignment_submissions x
                             WHERE x.user_id = e.user_id AND x.course_id = e.course_id)) AS last_activity_at,
                   e.created_at::text AS cursor_time, e.id::text AS cursor_id
            FROM enrollments e
            JOIN users u ON u.id = e.user_id
            CROSS JOIN LATERAL learner_progress(e.user_id, e.course_id) p
            LEFT JOIN course_completions cc ON cc.user_id = e.user_id AND cc.course_id = e.course_id
            WHERE e.course_id = \(course.id)
              AND (\(after?.time)::timestamptz IS NULL OR (e.created_at, e.id) > (\(after?.time)::timestamptz, \(after?.id)::uuid))
            ORDER BY e.created_at, e.id
            LIMIT \(limit + 1)
            """
        ).rows
        let learners = try rows.prefix(limit).map { row in
            let required = try row.int("required")
            return Learner(
                userId: try row.string("id"), name: try row.string("name"), email: try row.string("email"),
                enrolledAt: try row.timestamp("enrolled_at"), percent: required == 0 ? 0 : try row.int("done") * 100 / required,
                doneItems: try row.int("done"), requiredItems: required, lastActivityAt: try row.timestamp("last_activity_at"),
                completedAt: try row.optionalTimestamp("completed_at"))
        }
        if csv {
            var text = "user_id,name,email,enrolled_at,percent,done_items,required_items,last_activity_at,completed_at\r\n"
            for learner in learners {
                let cells = [
                    learner.userId, learner.name, learner.email, learner.enrolledAt, String(learner.percent), String(learner.doneItems),
                    String(learner.requiredItems), learner.lastActivityAt, learner.completedAt ?? "",
                ]
                text += cells.map(CSV.cell).joined(separator: ",") + "\r\n"
            }
            return Response(
                status: 200,
                headers: [
                    ("Content-Type", "text/csv; charset=utf-8"), ("Content-Disposition", "attachment; filename=\"learners.csv\""),
                ],
                body: Array(text.utf8))
        }
        var next: String?
        if rows.count > limit, let last = rows.prefix(limit).last {
            next = CourseCursor.encode(time: try last.string("cursor_time"), id: try last.string("cursor_id"))
        }
        return .ok(Page(items: learners, nextCursor: next))
    }

    struct Learner: Encodable, Sendable {
        var userId: String
        var name: String
        var email: String
        var enrolledAt: String
        var percent: Int
        var doneItems: Int
        var requiredItems: Int
        var lastActivityAt: String
        @Nullable var completedAt: String?
    }

    struct Page: Encodable, Sendable {
        var items: [Learner]
        @Nullable var nextCursor: String?
    }
}
