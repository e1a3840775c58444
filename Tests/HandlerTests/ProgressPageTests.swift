import Core
import Courses
import Database
import Learning
import Runtime
import TestSupport
import Testing

/// The progress page is written from a course outline kept in memory by the serving process
/// and the learner's own rows: it must be exactly the page that one SQL statement wrote before
/// (`reference` below), for every learner and course, right after any edit of the course.
@Suite struct ProgressPageTests {
    func progress(_ course: String, _ token: String) throws -> TestResponse {
        try call(GetCourseProgress.endpoint, "GET", "/api/v1/courses/\(course)/progress", token: token)
    }

    /// Checks the page against the statement that wrote the whole page in SQL (kept here as the
    /// definition): same bytes, not only the same values.
    func expectReferencePage(_ db: Connection, _ course: String, _ learner: TestUser, sourceLocation: SourceLocation = #_sourceLocation)
        throws
    {
        let page = try progress(course, learner.accessToken)
        #expect(page.status == 200, sourceLocation: sourceLocation)
        let expected = RawJSON(
            compacting: Array(try db.query(Self.reference(user: learner.id, course: course)).one().string("progress").utf8))
        let body = page.text
        let data = String(decoding: expected.bytes, as: UTF8.self)
        #expect(body.hasPrefix("{\"data\":" + data + ","), "page differs from the SQL one", sourceLocation: sourceLocation)
        #expect(page.data == (try JSONValue.parse(expected.bytes)), sourceLocation: sourceLocation)
    }

    /// Two courses with quizzes, assignments and learners part-way through, requested in turns by
    /// learners of both: each page is that learner's, of that course.
    @Test func everyPageIsTheLearnersOwnOfThatCourse() throws {
        let db = try TestEnvironment.connect()
        let first = try LearningCourse.make(db, modules: 3, lessonsPerModule: 3)
        let second = try LearningCourse.make(db, modules: 2, lessonsPerModule: 4)
        let ann = try first.learner(db)
        let bob = try first.learner(db)
        try second.enroll(db, ann)
        try second.enroll(db, bob)
        for course in [first, second] {
            let quiz = try db.query(
                """
                INSERT INTO quizzes (module_id, course_id, title, after_lesson_id, max_attempts)
                VALUES (\(course.modules[0]), \(course.id), 'Check', \(course.lessons[1])::uuid, 3) RETURNING id
                """
            ).one().string("id")
            try db.execute(
                """
                INSERT INTO quiz_attempts (quiz_id, user_id, course_id, number, layout, submitted_at, score_percent, passed, correct_questions)
                VALUES (\(quiz), \(ann.id), \(course.id), 1, '[]', now(), 90, true, '{}'),
                       (\(quiz), \(bob.id), \(course.id), 1, '[]', now(), 10, false, '{}')
                """)
            let assignment = try db.query(
                """
                INSERT INTO assignments (module_id, course_id, title, due_at, max_points, pass_points)
                VALUES (\(course.modules[1]), \(course.id), 'Essay "one"', '2030-02-03 04:05:06.789+00', 10, 5) RETURNING id
                """
            ).one().string("id")
            try db.execute(
                """
                INSERT INTO assignment_submissions (assignment_id, user_id, course_id, is_late, status, points, graded_at)
                VALUES (\(assignment), \(bob.id), \(course.id), false, 'graded', 7, now())
                """)
        }
        for lesson in first.lessons.prefix(4) {
            _ = try call(CompleteLesson.endpoint, "POST", "/api/v1/lessons/\(lesson)/complete", token: ann.accessToken)
        }
        _ = try call(
            SaveLessonPosition.endpoint, "PUT", "/api/v1/lessons/\(second.lessons[5])/position", json: #"{"seconds":77}"#,
            token: bob.accessToken)
        _ = try call(CompleteLesson.endpoint, "POST", "/api/v1/lessons/\(second.lessons[0])/complete", token: bob.accessToken)
        for _ in 0..<2 {
            for (course, learner) in [(first, ann), (second, bob), (first, bob), (second, ann)] {
                try expectReferencePage(db, course.id, learner)
            }
        }
        // Someone enrolled in only one of the two gets nothing of the other.
        let carol = try first.learner(db)
        try expectReferencePage(db, first.id, carol)
        #expect(try progress(second.id, carol.accessToken).code == "enrollment_required")
    }

    /// The page follows the author's edits at once, through the endpoints and by hand-written SQL.
    @Test func thePageChangesRightAfterAnEdit() throws {
        let db = try TestEnvironment.connect()
        let course = try LearningCourse.make(db, modules: 2, lessonsPerModule: 3)
        let student = try course.learner(db)
        let author = course.instructor.accessToken
        _ = try call(CompleteLesson.endpoint, "POST", "/api/v1/lessons/\(course.lessons[0])/complete", token: student.accessToken)
        try expectReferencePage(db, course.id, student)

        let renamed = try call(
            UpdateLesson.endpoint, "PATCH", "/api/v1/lessons/\(course.lessons[1])", json: #"{"title":"Renamed"}"#, token: author)
        #expect(renamed.status == 200)
        let page = try progress(course.id, student.accessToken)
        let titles = page.data["modules"]?.array.flatMap { $0["lessons"]?.array ?? [] }.compactMap { $0["title"]?.string }
        #expect(titles?[1] == "Renamed")
        try expectReferencePage(db, course.id, student)

        let moved = try call(
            UpdateLesson.endpoint, "PATCH", "/api/v1/lessons/\(course.lessons[2])", json: #"{"position":1}"#, token: author)
        #expect(moved.status == 200)
        try expectReferencePage(db, course.id, student)
        #expect(
            try call(UpdateModule.endpoint, "PATCH", "/api/v1/modules/\(course.modules[1])", json: #"{"title":"Part two"}"#, token: author)
                .status == 200)
        try expectReferencePage(db, course.id, student)
        #expect(try call(DeleteLesson.endpoint, "DELETE", "/api/v1/lessons/\(course.lessons[0])", token: author).status == 200)
        try expectReferencePage(db, course.id, student)
        #expect(
            try call(CreateModule.endpoint, "POST", "/api/v1/courses/\(course.id)/modules", json: #"{"title":"Extra"}"#, token: author)
                .status == 201)
        try expectReferencePage(db, course.id, student)

        // By hand: a required flag, a quiz and an assignment added, then removed with their module.
        try db.execute("UPDATE lessons SET is_required = false WHERE id = \(course.lessons[3])")
        try expectReferencePage(db, course.id, student)
        try db.execute("INSERT INTO quizzes (module_id, course_id, title) VALUES (\(course.modules[1]), \(course.id), 'Late quiz')")
        try db.execute("INSERT INTO assignments (module_id, course_id, title) VALUES (\(course.modules[1]), \(course.id), 'Late work')")
        try expectReferencePage(db, course.id, student)
        try db.execute("UPDATE quizzes SET pass_percent = 75 WHERE course_id = \(course.id)")
        try expectReferencePage(db, course.id, student)
        try db.execute("DELETE FROM modules WHERE id = \(course.modules[1])")
        try expectReferencePage(db, course.id, student)
    }

    /// Every change to the outline's tables moves the course's version forward; other courses keep theirs.
    @Test func outlineEditsMoveOnlyTheirCoursesVersion() throws {
        let db = try TestEnvironment.connect()
        let course = try LearningCourse.make(db)
        let other = try LearningCourse.make(db)
        func version(_ id: String) throws -> Int {
            try db.query("SELECT outline_version FROM courses WHERE id = \(id)").one().int("outline_version")
        }
        let untouched = try version(other.id)
        var last = try version(course.id)
        for statement: SQL in [
            "UPDATE modules SET title = 'M' WHERE id = \(course.modules[0])",
            "UPDATE lessons SET duration_seconds = 5 WHERE id = \(course.lessons[0])",
            "INSERT INTO quizzes (module_id, course_id, title) VALUES (\(course.modules[0]), \(course.id), 'Q')",
            "UPDATE quizzes SET title = 'Q2' WHERE course_id = \(course.id)",
            "INSERT INTO assignments (module_id, course_id, title) VALUES (\(course.modules[0]), \(course.id), 'A')",
            "DELETE FROM assignments WHERE course_id = \(course.id)",
            "DELETE FROM lessons WHERE id = \(course.lessons[1])",
        ] {
            try db.execute(statement)
            let now = try version(course.id)
            #expect(now > last)
            last = now
        }
        #expect(try version(other.id) == untouched)
        // A course deleted with its curriculum is simply gone.
        try db.execute("DELETE FROM courses WHERE id = \(course.id)")
    }

    /// The page as one SQL statement wrote it before the outline was kept in memory: the definition
    /// that the faster page must match byte for byte.
    static func reference(user: String, course: String) -> SQL {
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
