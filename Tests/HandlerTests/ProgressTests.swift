import Auth
import Core
import Courses
import Database
import Learning
import Runtime
import TestSupport
import Testing

/// Lesson completion, positions for resume, the progress page, reset, and the instructor's
/// learner list.
@Suite struct ProgressTests {
    func complete(_ lesson: String, _ token: String?) throws -> TestResponse {
        try call(CompleteLesson.endpoint, "POST", "/api/v1/lessons/\(lesson)/complete", token: token)
    }

    func position(_ lesson: String, _ json: String, _ token: String?) throws -> TestResponse {
        try call(SaveLessonPosition.endpoint, "PUT", "/api/v1/lessons/\(lesson)/position", json: json, token: token)
    }

    func progress(_ course: String, _ token: String?) throws -> TestResponse {
        try call(GetCourseProgress.endpoint, "GET", "/api/v1/courses/\(course)/progress", token: token)
    }

    @Test func completingALessonIsIdempotentAndEmitsItsXPEvent() throws {
        let db = try TestEnvironment.connect()
        let course = try LearningCourse.make(db)
        let student = try course.learner(db)
        let first = try complete(course.lessons[0], student.accessToken)
        #expect(first.status == 201)
        #expect(first.data["completed"]?.bool == true)
        #expect(try complete(course.lessons[0], student.accessToken).status == 200)
        let awards = try course.jobs(db, kind: "xp.award", user: student)
        #expect(awards.count == 1)
        #expect(awards.first?["type"]?.string == "lesson_complete")
        #expect(awards.first?["source"]?.string == "lesson:\(course.lessons[0])")
        #expect(awards.first?["score_percent"] == nil)
        let job = try db.query("SELECT queue, unique_key FROM jobs WHERE kind = 'xp.award' AND payload->>'user_id' = \(student.id)").one()
        #expect(try job.string("queue") == "xp")
        #expect(try job.string("unique_key") == "xp:\(student.id):lesson_complete:lesson:\(course.lessons[0])")
        let occurred = try #require(awards.first?["occurred_at"]?.string)
        #expect(occurred.count == 20 && occurred.hasSuffix("Z"))

        let undone = try call(
            UncompleteLesson.endpoint, "DELETE", "/api/v1/lessons/\(course.lessons[0])/complete", token: student.accessToken)
        #expect(undone.status == 200)
        #expect(undone.data["completed"]?.bool == false)
        #expect(
            try call(UncompleteLesson.endpoint, "DELETE", "/api/v1/lessons/\(course.lessons[0])/complete", token: student.accessToken)
                .status == 200)
        #expect(try progress(course.id, student.accessToken).data["done_items"] == .number(0))
    }

    @Test func learningEndpointsRefuseEveryoneButEnrolledLearners() throws {
        let db = try TestEnvironment.connect()
        let course = try LearningCourse.make(db)
        let lesson = course.lessons[0]
        let stranger = try Factory.user(db)
        let otherInstructor = try Factory.user(db, role: .instructor)
        // Anonymous: 401 everywhere.
        #expect(try complete(lesson, nil).status == 401)
        #expect(try position(lesson, #"{"seconds":1}"#, nil).status == 401)
        #expect(try progress(course.id, nil).status == 401)
        // Visible but not enrolled: 403 enrollment_required (students, other instructors, the author).
        for token in [stranger.accessToken, otherInstructor.accessToken, course.instructor.accessToken] {
            #expect(try complete(lesson, token).code == "enrollment_required")
            #expect(try position(lesson, #"{"seconds":1}"#, token).code == "enrollment_required")
            #expect(try progress(course.id, token).code == "enrollment_required")
            #expect(
                try call(ResetCourseProgress.endpoint, "POST", "/api/v1/courses/\(course.id)/progress/reset", token: token).code
                    == "enrollment_required")
            #expect(
                try call(UncompleteLesson.endpoint, "DELETE", "/api/v1/lessons/\(lesson)/complete", token: token).code
                    == "enrollment_required")
        }
        // A course nobody may see (a draft): 404, as for unknown ids.
        let draft = try LearningCourse.make(db, status: "draft")
        #expect(try complete(draft.lessons[0], stranger.accessToken).status == 404)
        #expect(try position(draft.lessons[0], #"{"seconds":1}"#, stranger.accessToken).status == 404)
        #expect(try progress(draft.id, stranger.accessToken).status == 404)
        for bad in ["00000000-0000-4000-8000-000000000000", "nope"] {
            #expect(try complete(bad, stranger.accessToken).status == 404)
            #expect(try position(bad, #"{"seconds":1}"#, stranger.accessToken).status == 404)
            #expect(try progress(bad, stranger.accessToken).status == 404)
        }
        // A learner keeps a course that was unpublished after they enrolled.
        let student = try course.learner(db)
        try db.execute("UPDATE courses SET status = 'unpublished' WHERE id = \(course.id)")
        #expect(try complete(lesson, student.accessToken).status == 201)
        #expect(try complete(lesson, stranger.accessToken).status == 404)
    }

    /// Position saves and the progress page check the caller's session in the round trip of
    /// their first statement: a suspended account is still 403 (also before a bad body's 422),
    /// a revoked token or a deleted account 401, and the save is not made.
    @Test func theSessionCheckedWithTheFirstStatementRefusesAndSavesNothing() throws {
        let db = try TestEnvironment.connect()
        let course = try LearningCourse.make(db, duration: 300)
        let lesson = course.lessons[0]
        func saved(_ user: TestUser) throws -> Int? {
            try db.query("SELECT position_seconds FROM lesson_progress WHERE user_id = \(user.id) AND lesson_id = \(lesson)")
                .first?.int("position_seconds")
        }
        let suspended = try course.learner(db)
        let revoked = try course.learner(db)
        let deleted = try course.learner(db)
        for user in [suspended, revoked, deleted] {
            #expect(try position(lesson, #"{"seconds":5}"#, user.accessToken).status == 200)
            #expect(try progress(course.id, user.accessToken).status == 200)
        }
        try db.execute("UPDATE users SET status = 'suspended' WHERE id = \(suspended.id)")
        try db.execute("UPDATE users SET token_version = token_version + 1 WHERE id = \(revoked.id)")
        try db.execute("UPDATE users SET status = 'deleted', deleted_at = now() WHERE id = \(deleted.id)")
        for (user, status) in [(suspended, 403), (revoked, 401), (deleted, 401)] {
            #expect(try position(lesson, #"{"seconds":60}"#, user.accessToken).status == status)
            #expect(try position(lesson, #"{"seconds":-1}"#, user.accessToken).status == status)
            #expect(try position("nope", #"{"seconds":60}"#, user.accessToken).status == status)
            let page = try progress(course.id, user.accessToken)
            #expect(page.status == status)
            #expect(page.json["data"] == nil)
            #expect(try saved(user) == 5)
        }
        #expect(try position(lesson, #"{"seconds":60}"#, "not-a-token").status == 401)
    }

    /// On such an endpoint nothing reaches the database before the session check: a handler
    /// that asks for the connection first is a bug, answered 500, and runs no statement.
    @Test func aHandlerCannotSkipTheDeferredSessionCheck() throws {
        let db = try TestEnvironment.connect()
        let student = try Factory.user(db)
        let careless = Endpoint(.get, "/api/v1/careless", access: .signedIn, session: .withFirstStatement) { context in
            _ = try context.db().query("SELECT 1 AS n")
            return .message("Ran.")
        }
        #expect(try call(careless, "GET", "/api/v1/careless", token: student.accessToken).status == 500)
        let careful = Endpoint(.get, "/api/v1/careful", access: .signedIn, session: .withFirstStatement) { context in
            let (caller, rows) = try context.user { user, valid in "SELECT \(fragment: valid) AS valid, \(user)::text AS user_id" }
            _ = try context.db().query("SELECT 1 AS n")
            return .ok(["caller": caller.id, "user": try rows.one().string("user_id"), "valid": String(try rows.one().bool("valid"))])
        }
        let answer = try call(careful, "GET", "/api/v1/careful", token: student.accessToken)
        #expect(answer.data == .object(["caller": .string(student.id), "user": .string(student.id), "valid": .string("true")]))
        #expect(try call(careful, "GET", "/api/v1/careful", token: nil).status == 401)
        // A first statement that fails: a refused caller hears the refusal, not the failure.
        let failing = Endpoint(.get, "/api/v1/failing", access: .signedIn, session: .withFirstStatement) { context in
            _ = try context.user { _, _ in "SELECT 1 / \(0) AS n" }
            return .message("Ran.")
        }
        #expect(try call(failing, "GET", "/api/v1/failing", token: student.accessToken).status == 500)
        try db.execute("UPDATE users SET status = 'suspended' WHERE id = \(student.id)")
        #expect(try call(failing, "GET", "/api/v1/failing", token: student.accessToken).status == 403)
    }

    @Test func positionsAreClampedRefusedWhenNegativeAndResumeWhereLeft() throws {
        let db = try TestEnvironment.connect()
        let course = try LearningCourse.make(db, duration: 300)
        let student = try course.learner(db)
        let saved = try position(course.lessons[1], #"{"seconds":42.7}"#, student.accessToken)
        #expect(saved.status == 200)
        #expect(saved.data["seconds"] == .number(42))
        #expect(try position(course.lessons[1], #"{"seconds":99999}"#, student.accessToken).data["seconds"] == .number(300))
        for bad in [#"{"seconds":-1}"#, #"{"seconds":"10"}"#, #"{}"#, #"{"seconds":1e300}"#] {
            let refused = try position(course.lessons[1], bad, student.accessToken)
            #expect(refused.status == 422)
            #expect(refused.failedFields == ["seconds"])
        }
        #expect(try position(course.lessons[1], #"[1]"#, student.accessToken).status == 400)
        #expect(try position(course.lessons[1], #"{"seconds":"#, student.accessToken).status == 400)
        #expect(
            try call(
                SaveLessonPosition.endpoint, "PUT", "/api/v1/lessons/\(course.lessons[1])/position", body: Array("x".utf8),
                token: student.accessToken
            ).status == 415)
        _ = try position(course.lessons[2], #"{"seconds":10}"#, student.accessToken)
        _ = try position(course.lessons[1], #"{"seconds":120}"#, student.accessToken)
        let page = try progress(course.id, student.accessToken)
        #expect(page.status == 200)
        #expect(page.data["resume"]?["lesson_id"]?.string == course.lessons[1])
        #expect(page.data["resume"]?["position_seconds"] == .number(120))
        let lessons = page.data["modules"]?.array.flatMap { $0["lessons"]?.array ?? [] } ?? []
        #expect(lessons.count == 4)
        #expect(lessons[1]["position_seconds"] == .number(120))
        // Another student sees none of it.
        let other = try course.learner(db)
        let theirs = try progress(course.id, other.accessToken)
        #expect(theirs.data["resume"]?["lesson_id"]?.string == course.lessons[0])
        #expect(theirs.data["resume"]?["position_seconds"] == .number(0))
    }

    @Test func progressCountsRequiredItemsAndSurvivesCurriculumEdits() throws {
        let db = try TestEnvironment.connect()
        let course = try LearningCourse.make(db, modules: 2, lessonsPerModule: 2)
        let student = try course.learner(db)
        // An optional lesson does not count.
        try db.execute("UPDATE lessons SET is_required = false WHERE id = \(course.lessons[3])")
        for lesson in course.lessons.prefix(2) { _ = try complete(lesson, student.accessToken) }
        var page = try progress(course.id, student.accessToken)
        #expect(page.data["required_items"] == .number(3))
        #expect(page.data["done_items"] == .number(2))
        #expect(page.data["percent"] == .number(66))
        // A deleted lesson (done) drops out: 1 of 2.
        #expect(
            try call(DeleteLesson.endpoint, "DELETE", "/api/v1/lessons/\(course.lessons[0])", token: course.instructor.accessToken).status
                == 200)
        page = try progress(course.id, student.accessToken)
        #expect(page.data["required_items"] == .number(2))
        #expect(page.data["percent"] == .number(50))
        // A new required lesson lowers it.
        let added = try call(
            CreateLesson.endpoint, "POST", "/api/v1/modules/\(course.modules[1])/lessons", json: #"{"title":"New","kind":"article"}"#,
            token: course.instructor.accessToken)
        #expect(added.status == 201)
        #expect(added.data["is_required"]?.bool == true)
        page = try progress(course.id, student.accessToken)
        #expect(page.data["required_items"] == .number(3))
        #expect(page.data["percent"] == .number(33))
        // Finishing everything completes the course; a later lesson lowers the percent, not the completion.
        _ = try complete(course.lessons[2], student.accessToken)
        let done = try complete(try #require(added.data["id"]?.string), student.accessToken)
        #expect(done.data["course_completed_at"]?.string != nil)
        _ = try call(
            CreateLesson.endpoint, "POST", "/api/v1/modules/\(course.modules[1])/lessons", json: #"{"title":"Later","kind":"article"}"#,
            token: course.instructor.accessToken)
        page = try progress(course.id, student.accessToken)
        #expect(page.data["percent"] == .number(75))
        #expect(page.data["completed_at"]?.string != nil)
    }

    @Test func theProgressPageShowsEveryItemWithItsState() throws {
        let db = try TestEnvironment.connect()
        let course = try LearningCourse.make(db, modules: 3, lessonsPerModule: 2)
        let lessons = course.lessons
        let modules = course.modules
        // Module 3 has no lessons left; lesson 2 is optional; a title that JSON must escape.
        try db.execute("DELETE FROM lessons WHERE module_id = \(modules[2])")
        let title = "Quote \" back \\ tab \t new\nline \u{1} é 🎓 </x>"
        try db.execute("UPDATE lessons SET title = \(title), kind = 'article', duration_seconds = 0 WHERE id = \(lessons[0])")
        try db.execute("UPDATE lessons SET is_required = false WHERE id = \(lessons[1])")
        let student = try course.learner(db)
        #expect(try complete(lessons[0], student.accessToken).status == 201)
        try db.execute("UPDATE lesson_progress SET completed_at = '2030-01-01 00:00:00+00' WHERE lesson_id = \(lessons[0])")
        _ = try position(lessons[1], #"{"seconds":30}"#, student.accessToken)
        _ = try position(lessons[2], #"{"seconds":40}"#, student.accessToken)
        try db.execute("UPDATE lesson_progress SET updated_at = now() - interval '1 minute' WHERE lesson_id = \(lessons[1])")
        // Quizzes: passed before the reset (no longer counts), untried and optional, passed after it.
        func quiz(_ module: String, _ title: String, required: Bool = true, after: String? = nil, max: Int? = nil) throws -> String {
            try db.query(
                """
                INSERT INTO quizzes (module_id, course_id, title, after_lesson_id, max_attempts, is_required, created_at)
                VALUES (\(module), \(course.id), \(title), \(after)::uuid, \(max), \(required), clock_timestamp()) RETURNING id
                """
            ).one().string("id")
        }
        func attempt(_ quiz: String, _ number: Int, percent: Int?, submitted: String = "now") throws {
            try db.execute(
                """
                INSERT INTO quiz_attempts (quiz_id, user_id, course_id, number, layout, submitted_at, score_percent, passed, correct_questions)
                VALUES (\(quiz), \(student.id), \(course.id), \(number), '[]', CASE WHEN \(percent)::int IS NULL THEN NULL ELSE \(submitted)::timestamptz END,
                        \(percent), \(percent)::int >= 60, CASE WHEN \(percent)::int IS NULL THEN NULL ELSE '{}'::uuid[] END)
                """)
        }
        let before = try quiz(modules[0], "Before", after: lessons[0], max: 3)
        try attempt(before, 1, percent: 40, submitted: "2020-01-01")
        try attempt(before, 2, percent: 80, submitted: "2020-01-02")
        try db.execute("UPDATE enrollments SET progress_reset_at = '2021-01-01' WHERE user_id = \(student.id) AND course_id = \(course.id)")
        let untried = try quiz(modules[1], "Untried", required: false)
        try attempt(untried, 1, percent: nil)
        let after = try quiz(modules[0], "After")
        try attempt(after, 1, percent: 100)
        // Assignments: graded and passed, submitted, optional and untouched, graded below the pass mark, superseded only.
        func assignment(_ module: String, _ title: String, required: Bool = true, due: String? = nil) throws -> String {
            try db.query(
                """
                INSERT INTO assignments (module_id, course_id, title, due_at, max_points, pass_points, is_required, created_at)
                VALUES (\(module), \(course.id), \(title), \(due)::timestamptz, 20, 12, \(required), clock_timestamp()) RETURNING id
                """
            ).one().string("id")
        }
        func submission(_ assignment: String, _ status: String, points: Int? = nil) throws {
            try db.execute(
                """
                INSERT INTO assignment_submissions (assignment_id, user_id, course_id, is_late, status, points, graded_at)
                VALUES (\(assignment), \(student.id), \(course.id), false, \(status), \(points), CASE WHEN \(status) = 'graded' THEN now() END)
                """)
        }
        try submission(try assignment(modules[0], "Graded", due: "2030-01-02 03:04:05.5+00"), "graded", points: 15)
        try submission(try assignment(modules[1], "Submitted"), "submitted")
        _ = try assignment(modules[1], "Optional", required: false)
        try submission(try assignment(modules[1], "Low"), "graded", points: 11)
        try submission(try assignment(modules[1], "Superseded"), "superseded")
        try db.execute(
            "INSERT INTO course_completions (user_id, course_id, completed_at) VALUES (\(student.id), \(course.id), '2031-05-06 07:08:09.123456+00')"
        )

        let page = try progress(course.id, student.accessToken)
        #expect(page.status == 200)
        #expect(page.header("cache-control")?.contains("no-store") == true)
        let data = page.data
        #expect(data.objectKeys == ["completed_at", "course_id", "done_items", "modules", "percent", "required_items", "resume"])
        #expect(data["course_id"]?.string == course.id)
        #expect(data["completed_at"]?.string == "2031-05-06T07:08:09.123Z")
        // Lessons 1 and 3 (not 2: optional), quizzes Before and After, the four required assignments.
        #expect(data["required_items"] == .number(9))
        #expect(data["done_items"] == .number(3))
        #expect(data["percent"] == .number(33))
        #expect(data["resume"] == .object(["lesson_id": .string(lessons[2]), "position_seconds": .number(40)]))
        let pageModules = data["modules"]?.array ?? []
        #expect(pageModules.compactMap { $0["id"]?.string } == modules)
        #expect(pageModules.map(\.objectKeys) == Array(repeating: ["assignments", "id", "lessons", "quizzes", "title"], count: 3))
        #expect(pageModules[2]["lessons"] == .array([]))
        #expect(pageModules[2]["quizzes"] == .array([]))
        let first = pageModules[0]["lessons"]?.array ?? []
        #expect(
            first.first
                == .object([
                    "completed_at": .string("2030-01-01T00:00:00Z"), "done": .bool(true), "duration_seconds": .number(0),
                    "id": .string(lessons[0]),
                    "is_required": .bool(true), "kind": .string("article"), "position_seconds": .number(0), "title": .string(title),
                ]))
        #expect(page.text.contains(String(decoding: try encodeJSON(title), as: UTF8.self)))
        #expect(first.last?["done"]?.bool == false)
        #expect(first.last?["completed_at"] == .null)
        #expect(first.last?["is_required"]?.bool == false)
        #expect(first.last?["position_seconds"] == .number(30))
        let quizzes = pageModules[0]["quizzes"]?.array ?? []
        #expect(
            quizzes.first
                == .object([
                    "after_lesson_id": .string(lessons[0]), "attempts": .number(2), "best_score": .number(80), "id": .string(before),
                    "is_required": .bool(true), "max_attempts": .number(3), "pass_percent": .number(60), "passed": .bool(false),
                    "title": .string("Before"),
                ]))
        #expect(quizzes.last?["id"]?.string == after)
        #expect(quizzes.last?["passed"]?.bool == true)
        let untriedPage = pageModules[1]["quizzes"]?.array.first
        #expect(untriedPage?["attempts"] == .number(1))
        #expect(untriedPage?["best_score"] == .null)
        #expect(untriedPage?["max_attempts"] == .null)
        #expect(untriedPage?["after_lesson_id"] == .null)
        let graded = pageModules[0]["assignments"]?.array.first
        #expect(
            graded?.objectKeys == ["due_at", "id", "is_required", "max_points", "pass_points", "passed", "points", "status", "title"])
        #expect(graded?["due_at"]?.string == "2030-01-02T03:04:05.5Z")
        #expect(graded?["status"]?.string == "graded")
        #expect(graded?["points"] == .number(15))
        #expect(graded?["passed"]?.bool == true)
        let others = pageModules[1]["assignments"]?.array ?? []
        #expect(others.compactMap { $0["title"]?.string } == ["Submitted", "Optional", "Low", "Superseded"])
        #expect(others.compactMap { $0["status"]?.string } == ["submitted", "not_submitted", "graded", "not_submitted"])
        #expect(others.map { $0["points"] } == [.null, .null, .number(11), .null])
        #expect(others.compactMap { $0["passed"]?.bool } == [false, false, false, false])
        #expect(others[1]["due_at"] == .null)

        // Someone who has done nothing resumes at the first lesson; once every lesson is done, nowhere.
        let other = try course.learner(db)
        let fresh = try progress(course.id, other.accessToken)
        #expect(fresh.data["resume"] == .object(["lesson_id": .string(lessons[0]), "position_seconds": .number(0)]))
        #expect(fresh.data["completed_at"] == .null)
        #expect(fresh.data["done_items"] == .number(0))
        for lesson in lessons.prefix(4) { _ = try complete(lesson, other.accessToken) }
        #expect(try progress(course.id, other.accessToken).data["resume"] == .null)
        // A course emptied of its modules: nothing to count.
        try db.execute("DELETE FROM modules WHERE course_id = \(course.id)")
        let empty = try progress(course.id, other.accessToken).data
        #expect(empty["modules"] == .array([]))
        #expect(empty["required_items"] == .number(0))
        #expect(empty["percent"] == .number(0))
        #expect(empty["resume"] == .null)
    }

    /// The page's times are written by SQL (`SQL.timestamp`) exactly as `Row.timestamp` reads them elsewhere.
    @Test func timestampsWrittenInSQLMatchTheOnesReadInSwift() throws {
        let db = try TestEnvironment.connect()
        for text in ["2026-11-23 09:16:53.123456+00", "2026-11-23 09:16:53+00", "2026-11-23 09:16:53.5+00", "1999-12-31 23:59:59.9999+00"] {
            let row = try db.query("SELECT \(text)::timestamptz AS t, \(fragment: .timestamp("\(text)::timestamptz")) AS sql").one()
            #expect(try row.string("sql") == row.timestamp("t"))
        }
        #expect(try db.query("SELECT \(fragment: .timestamp("NULL::timestamptz")) AS sql").one().optionalString("sql") == nil)
    }

    @Test func resetStartsOverButKeepsHistory() throws {
        let db = try TestEnvironment.connect()
        let course = try LearningCourse.make(db)
        let student = try course.learner(db)
        for lesson in course.lessons.prefix(3) { _ = try complete(lesson, student.accessToken) }
        _ = try position(course.lessons[3], #"{"seconds":30}"#, student.accessToken)
        let other = try course.learner(db)
        _ = try complete(course.lessons[0], other.accessToken)
        let reset = try call(
            ResetCourseProgress.endpoint, "POST", "/api/v1/courses/\(course.id)/progress/reset", token: student.accessToken)
        #expect(reset.status == 200)
        let page = try progress(course.id, student.accessToken)
        #expect(page.data["done_items"] == .number(0))
        #expect(page.data["resume"]?["lesson_id"]?.string == course.lessons[0])
        // Someone else's progress is untouched.
        #expect(try progress(course.id, other.accessToken).data["done_items"] == .number(1))
        // Completing again re-awards nothing new beyond the consumer's dedup: jobs carry the same keys.
        #expect(try complete(course.lessons[0], student.accessToken).status == 201)
    }

    @Test func instructorsListLearnersInPagesAndAsCSV() throws {
        let db = try TestEnvironment.connect()
        let course = try LearningCourse.make(db)
        var learners: [TestUser] = []
        for _ in 0..<3 { learners.append(try course.learner(db)) }
        _ = try complete(course.lessons[0], learners[1].accessToken)
        try db.execute("UPDATE users SET name = '=SUM(A1)' WHERE id = \(learners[2].id)")
        let path = "/api/v1/instructor/courses/\(course.id)/learners"
        let first = try call(ListCourseLearners.endpoint, "GET", path + "?limit=2", token: course.instructor.accessToken)
        #expect(first.status == 200)
        #expect(first.items.compactMap { $0["user_id"]?.string } == [learners[0].id, learners[1].id])
        #expect(first.items[1]["percent"] == .number(25))
        #expect(first.items[1]["last_activity_at"]?.string != nil)
        let cursor = try #require(first.data["next_cursor"]?.string)
        let second = try call(ListCourseLearners.endpoint, "GET", path + "?limit=2&cursor=\(cursor)", token: course.instructor.accessToken)
        #expect(second.items.compactMap { $0["user_id"]?.string } == [learners[2].id])
        #expect(second.data["next_cursor"] == .null)
        let csv = try call(ListCourseLearners.endpoint, "GET", path, token: course.instructor.accessToken, headers: ["accept": "text/csv"])
        #expect(csv.status == 200)
        #expect(csv.header("content-type")?.hasPrefix("text/csv") == true)
        let lines = csv.text.split(separator: "\r\n")
        #expect(lines.count == 4)
        #expect(lines.first?.hasPrefix("user_id,name,email") == true)
        #expect(csv.text.contains("\"'=SUM(A1)\""))
        // Admins too; nobody else.
        #expect(try call(ListCourseLearners.endpoint, "GET", path, token: try Factory.user(db, role: .admin).accessToken).status == 200)
        #expect(
            try call(ListCourseLearners.endpoint, "GET", path, token: try Factory.user(db, role: .instructor).accessToken).status == 404)
        #expect(try call(ListCourseLearners.endpoint, "GET", path, token: learners[0].accessToken).status == 403)
        #expect(try call(ListCourseLearners.endpoint, "GET", path).status == 401)
        #expect(try call(ListCourseLearners.endpoint, "GET", path + "?limit=0", token: course.instructor.accessToken).status == 422)
        #expect(try call(ListCourseLearners.endpoint, "GET", path + "?cursor=zzz", token: course.instructor.accessToken).status == 400)
        #expect(
            try call(
                ListCourseLearners.endpoint, "GET", "/api/v1/instructor/courses/00000000-0000-4000-8000-000000000000/learners",
                token: course.instructor.accessToken
            ).status == 404)
    }
}
