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
