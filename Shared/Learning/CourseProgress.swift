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
        .get, "/api/v1/courses/{id}/progress", access: .signedIn, session: .withFirstStatement, mode: .fastcgi, processes: 2,
        handle)

    /// One statement reads the caller's own rows and the outline's version; the outline (the same
    /// for every learner) comes from this process's `outlines` when it has that version,
    /// else it is read and kept. The page is written here from the two (`CourseProgressPage`),
    /// keys sorted as `encodeJSON` sorts them: building it in SQL cost about 1 ms of the
    /// server's time per request for a 200-lesson course, this a small fraction of that.
    /// The outlines this process has built, one version per course, the oldest dropped past 100
    /// courses. Only outlines are kept, never a learner's state; one is used only when its version
    /// is the one the request's own statement read for that course.
    static let outlines = ProcessCache<CourseOutline>(capacity: 100)

    public static func handle(_ context: Context) throws -> Response {
        let courseId = try context.request.parameter("id")
        // The caller's own rows are read in the session check's round trip.
        let (caller, first) = try context.user { user, _ in LearnerProgress.statement(user: user, course: courseId) }
        let db = try context.db()
        guard isUUID(courseId), var learner = try LearnerProgress.read(first.rows) else {
            // No enrollment in a course learners keep: say why (404 or 403).
            _ = try LearnerAccess.enrolled(db, courseId: courseId, caller: caller)
            throw APIError.notFound("Course")
        }
        var outline = outlines.value(courseId)?.value
        if outline?.version != learner.outlineVersion {
            let fresh = try CourseOutline.load(db, courseId: courseId)
            outlines.keep(courseId, fresh)
            outline = fresh
            // An edit committed between the two reads: read the learner's rows again, once.
            if fresh.version != learner.outlineVersion, let again = try LearnerProgress.load(db, user: caller.id, course: courseId) {
                learner = again
            }
        }
        guard let outline else { throw APIError.notFound("Course") }
        var (page, due) = CourseProgressPage.write(outline, learner)
        // Everything done but no completion: the write that finished the course made none (its
        // process died right after its commit, or it was a re-pass after a missed check). The
        // check makes it now (exactly once: its own row is unique), and the page, read again
        // (rare), says so as every later page will.
        if due, try CourseCompletion.check(context, userId: caller.id, courseId: courseId) != nil,
            let again = try LearnerProgress.load(db, user: caller.id, course: courseId)
        {
            page = CourseProgressPage.write(outline, again).page
        }
        var response = Response.ok(RawJSON(written: page))
        response.headers.append(("Cache-Control", "private, no-store"))
        return response
    }
}

/// One learner's own state in one course, as the progress page needs it.
struct LearnerProgress: Sendable {
    var outlineVersion: Int
    var completedAt: String?
    var lessons: [String: Lesson] = [:]
    var quizzes: [String: Quiz] = [:]
    var assignments: [String: Assignment] = [:]

    struct Lesson: Sendable {
        var position: Int
        var completedAt: String?
        /// Open and touched last (several on a tie): where to resume.
        var latestOpen: Bool
    }

    struct Quiz: Sendable {
        var attempts: Int
        var best: Int?
        var passed: Bool
    }

    struct Assignment: Sendable {
        var status: String
        var points: Int?
    }

    /// nil when `user` is not enrolled in `course` or the course is not one learners keep.
    static func load(_ db: Connection, user: String, course: String) throws -> LearnerProgress? {
        try read(try db.query(statement(user: user, course: course)).rows)
    }

    /// From the rows of `statement`; nil as `load`.
    static func read(_ rows: [Row]) throws -> LearnerProgress? {
        guard let head = rows.first, try head.string("kind") == "course" else { return nil }
        var learner = LearnerProgress(outlineVersion: try head.int("number"), completedAt: try head.optionalTimestamp("time"))
        for row in rows.dropFirst() {
            let id = try row.string("id")
            switch try row.string("kind") {
            case "lesson":
                learner.lessons[id] = Lesson(
                    position: try row.int("number"), completedAt: try row.optionalTimestamp("time"), latestOpen: try row.bool("flag"))
            case "quiz":
                learner.quizzes[id] = Quiz(
                    attempts: try row.int("number"), best: try row.optionalInt("points"), passed: try row.bool("flag"))
            default:
                learner.assignments[id] = Assignment(status: try row.string("status"), points: try row.optionalInt("points"))
            }
        }
        return learner
    }

    /// The head row first (`course`: the outline's version, the completion), then one row per
    /// lesson touched, per quiz attempted, per assignment handed in; nothing when not enrolled.
    /// Quizzes count as passed by an attempt submitted after the last reset; only the current
    /// submission of an assignment counts.
    static func statement(user: String, course: String) -> SQL {
        """
        WITH head AS (
            SELECT e.progress_reset_at, cc.completed_at, c.outline_version
            FROM enrollments e
            JOIN courses c ON c.id = e.course_id AND c.status IN ('published', 'unpublished', 'archived')
            LEFT JOIN course_completions cc ON cc.user_id = e.user_id AND cc.course_id = e.course_id
            WHERE e.user_id = \(user) AND e.course_id = \(course)
        )
        SELECT 0 AS part, 'course' AS kind, NULL::uuid AS id, h.outline_version AS number, NULL::int AS points, h.completed_at AS time,
               NULL::text AS status, NULL::boolean AS flag
        FROM head h
        UNION ALL
        SELECT 1, 'lesson', p.lesson_id, p.position_seconds, NULL, p.completed_at, NULL,
               p.completed_at IS NULL AND p.updated_at = max(p.updated_at) FILTER (WHERE p.completed_at IS NULL) OVER ()
        FROM lesson_progress p
        WHERE p.user_id = \(user) AND p.course_id = \(course) AND EXISTS (SELECT 1 FROM head)
        UNION ALL
        SELECT 2, 'quiz', q.id, count(*), max(a.score_percent), NULL, NULL,
               coalesce(bool_or(a.passed AND a.submitted_at > coalesce((SELECT progress_reset_at FROM head), '-infinity')), false)
        FROM quizzes q JOIN quiz_attempts a ON a.quiz_id = q.id AND a.user_id = \(user)
        WHERE q.course_id = \(course) AND EXISTS (SELECT 1 FROM head)
        GROUP BY q.id
        UNION ALL
        SELECT 3, 'assignment', s.id, NULL, x.points, NULL, x.status, NULL
        FROM assignments s
        JOIN assignment_submissions x ON x.assignment_id = s.id AND x.user_id = \(user) AND x.status IN ('submitted', 'graded')
        WHERE s.course_id = \(course) AND EXISTS (SELECT 1 FROM head)
        ORDER BY part
        """
    }
}

/// The progress page (the OpenAPI `CourseProgress` schema) from an outline and one learner's
/// state: lessons count when required and done, quizzes when required and passed, assignments
/// when required and graded at or above their pass mark. The lesson to resume is the open one
/// touched last (the first in course order on a tie), else the first open one.
enum CourseProgressPage {
    /// `due`: every required item is done and no completion is recorded (what
    /// `CourseCompletion.due` finds).
    static func write(_ outline: CourseOutline, _ learner: LearnerProgress) -> (page: [UInt8], due: Bool) {
        var out: [UInt8] = []
        out.reserveCapacity(
            256 + outline.modules.reduce(0) { $0 + 48 + $1.lessons.count * 220 + ($1.quizzes.count + $1.assignments.count) * 260 })
        var required = 0
        var done = 0
        var resume: (id: String, position: Int)?
        var firstOpen: (id: String, position: Int)?
        out.append(contentsOf: #","modules":["#.utf8)
        for (moduleIndex, module) in outline.modules.enumerated() {
            if moduleIndex > 0 { out.append(UInt8(ascii: ",")) }
            out.append(contentsOf: #"{"assignments":["#.utf8)
            for (index, item) in module.assignments.enumerated() {
                let state = learner.assignments[item.id]
                let passed = state.map { $0.status == "graded" && ($0.points ?? 0) >= item.passPoints } ?? false
                if item.isRequired {
                    required += 1
                    if passed { done += 1 }
                }
                if index > 0 { out.append(UInt8(ascii: ",")) }
                out += item.head
                out.append(contentsOf: #","passed":"#.utf8)
                out.append(contentsOf: String(passed).utf8)
                out.append(contentsOf: #","points":"#.utf8)
                out.append(contentsOf: (state?.points.map(String.init) ?? "null").utf8)
                out.append(contentsOf: #","status":""#.utf8)
                out.append(contentsOf: (state?.status ?? "not_submitted").utf8)
                out.append(UInt8(ascii: "\""))
                out += item.tail
            }
            out.append(contentsOf: #"],"id":""#.utf8)
            out.append(contentsOf: module.id.utf8)
            out.append(contentsOf: #"","lessons":["#.utf8)
            for (index, item) in module.lessons.enumerated() {
                let state = learner.lessons[item.id]
                let completed = state?.completedAt != nil
                let position = state?.position ?? 0
                if item.isRequired {
                    required += 1
                    if completed { done += 1 }
                }
                if !completed {
                    if resume == nil, state?.latestOpen == true { resume = (item.id, position) }
                    if firstOpen == nil { firstOpen = (item.id, position) }
                }
                if index > 0 { out.append(UInt8(ascii: ",")) }
                out.append(contentsOf: #"{"completed_at":"#.utf8)
                if let at = state?.completedAt {
                    out.append(UInt8(ascii: "\""))
                    out.append(contentsOf: at.utf8)
                    out.append(UInt8(ascii: "\""))
                } else {
                    out.append(contentsOf: "null".utf8)
                }
                out.append(contentsOf: #","done":"#.utf8)
                out.append(contentsOf: String(completed).utf8)
                out += item.middle
                out.append(contentsOf: #","position_seconds":"#.utf8)
                out.append(contentsOf: String(position).utf8)
                out += item.tail
            }
            out.append(contentsOf: #"],"quizzes":["#.utf8)
            for (index, item) in module.quizzes.enumerated() {
                let state = learner.quizzes[item.id]
                let passed = state?.passed ?? false
                if item.isRequired {
                    required += 1
                    if passed { done += 1 }
                }
                if index > 0 { out.append(UInt8(ascii: ",")) }
                out += item.head
                out.append(contentsOf: #","attempts":"#.utf8)
                out.append(contentsOf: String(state?.attempts ?? 0).utf8)
                out.append(contentsOf: #","best_score":"#.utf8)
                out.append(contentsOf: (state?.best.map(String.init) ?? "null").utf8)
                out += item.middle
                out.append(contentsOf: #","passed":"#.utf8)
                out.append(contentsOf: String(passed).utf8)
                out += item.tail
            }
            out.append(contentsOf: #"],"title":"#.utf8)
            out += module.title
            out.append(UInt8(ascii: "}"))
        }
        var head = Array(#"{"completed_at":"#.utf8)
        head.append(contentsOf: (learner.completedAt.map { "\"\($0)\"" } ?? "null").utf8)
        head.append(contentsOf: #","course_id":""#.utf8)
        head.append(contentsOf: outline.courseId.utf8)
        head.append(contentsOf: #"","done_items":"#.utf8)
        head.append(contentsOf: String(done).utf8)
        out.insert(contentsOf: head, at: 0)
        out.append(contentsOf: #"],"percent":"#.utf8)
        out.append(contentsOf: String(required == 0 ? 0 : done * 100 / required).utf8)
        out.append(contentsOf: #","required_items":"#.utf8)
        out.append(contentsOf: String(required).utf8)
        out.append(contentsOf: #","resume":"#.utf8)
        if let resume = resume ?? firstOpen {
            out.append(contentsOf: #"{"lesson_id":""#.utf8)
            out.append(contentsOf: resume.id.utf8)
            out.append(contentsOf: #"","position_seconds":"#.utf8)
            out.append(contentsOf: String(resume.position).utf8)
            out.append(UInt8(ascii: "}"))
        } else {
            out.append(contentsOf: "null".utf8)
        }
        out.append(UInt8(ascii: "}"))
        return (out, required > 0 && done >= required && learner.completedAt == nil)
    }
}

/// `POST /api/v1/courses/{id}/progress/reset`: the learner starts over. Lesson progress is
/// cleared and quizzes must be passed again; attempts stay as history (and still count toward
/// a quiz's attempt limit); graded assignments stay graded; a completion already reached stays.
public enum ResetCourseProgress {
    public static let endpoint = Endpoint(.post, "/api/v1/courses/{id}/progress/reset", access: .signedIn, body: 1 * KiB, handle)

    /// The outlines this process has built, one version per course, the oldest dropped past 100
    /// courses. Only outlines are kept, never a learner's state; one is used only when its version
    /// is the one the request's own statement read for that course.
    static let outlines = ProcessCache<CourseOutline>(capacity: 100)

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
