import Assignments
import Auth
import Core
import Database
import Learning
import Media
import Runtime
import TestSupport
import Testing

/// Assignments: authoring, submissions (text and files), resubmission history, late work,
/// grading with its email and XP event, and who may see the files.
@Suite struct AssignmentTests {
    func createAssignment(_ course: LearningCourse, _ json: String, token: String? = nil) throws -> TestResponse {
        try call(
            CreateAssignment.endpoint, "POST", "/api/v1/modules/\(course.modules[0])/assignments", json: json,
            token: token ?? course.instructor.accessToken)
    }

    func submit(_ assignment: String, _ json: String, _ token: String?) throws -> TestResponse {
        try call(SubmitAssignment.endpoint, "POST", "/api/v1/assignments/\(assignment)/submissions", json: json, token: token)
    }

    func upload(
        _ db: Connection, owner: TestUser, type: String = "application/pdf", purpose: String = "submission", status: String = "ready"
    ) throws
        -> String
    {
        let id = try db.query("SELECT gen_random_uuid()::text AS id").one().string("id")
        try db.execute(
            """
            INSERT INTO media (id, owner_id, purpose, storage, object_key, filename, declared_type, size_bytes, status)
            VALUES (\(id), \(owner.id), \(purpose), 'local', \("private/\(purpose)/\(id).bin"), 'essay.pdf', \(type), 100, \(status))
            """)
        return id
    }

    @Test func learnersSubmitResubmitAndGetGraded() throws {
        let db = try TestEnvironment.connect()
        let course = try LearningCourse.make(db, modules: 1, lessonsPerModule: 1)
        let created = try createAssignment(
            course, #"{"title":"Essay","instructions":"Write.","max_points":20,"pass_points":12,"file_kinds":["pdf","text"]}"#)
        #expect(created.status == 201)
        let id = try #require(created.data["id"]?.string)
        #expect(created.data["file_kinds"]?.array == [.string("pdf"), .string("text")])
        let student = try course.learner(db)
        let file = try upload(db, owner: student)
        let first = try submit(id, #"{"body":"Draft one"}"#, student.accessToken)
        #expect(first.status == 201)
        #expect(first.data["is_late"]?.bool == false)
        let second = try submit(id, #"{"body":"Draft two","media_ids":["\#(file)"]}"#, student.accessToken)
        #expect(second.status == 201)
        #expect(second.data["files"]?.array.first?["url"]?.string?.contains("/media/private/") == true)
        // The learner sees their history, newest first, with file links.
        let mine = try call(GetAssignment.endpoint, "GET", "/api/v1/assignments/\(id)", token: student.accessToken)
        #expect(mine.data["submissions"]?.array.compactMap { $0["status"]?.string } == ["submitted", "superseded"])
        // The instructor lists the current ones, ungraded.
        let list = try call(
            ListSubmissions.endpoint, "GET", "/api/v1/assignments/\(id)/submissions?status=ungraded", token: course.instructor.accessToken)
        #expect(list.items.count == 1)
        #expect(list.items.first?["learner_name"]?.string == student.name)
        #expect(list.items.first?["files"]?.array.count == 1)
        let submissionId = try #require(list.items.first?["id"]?.string)
        let supersededId = try #require(first.data["id"]?.string)
        let stale = try call(
            GradeSubmission.endpoint, "POST", "/api/v1/submissions/\(supersededId)/grade", json: #"{"points":15}"#,
            token: course.instructor.accessToken)
        #expect(stale.code == "submission_superseded")
        #expect(
            try call(
                GradeSubmission.endpoint, "POST", "/api/v1/submissions/\(submissionId)/grade", json: #"{"points":21}"#,
                token: course.instructor.accessToken
            ).failedFields == ["points"])
        let graded = try call(
            GradeSubmission.endpoint, "POST", "/api/v1/submissions/\(submissionId)/grade", json: #"{"points":15,"feedback":"Good work."}"#,
            token: course.instructor.accessToken)
        #expect(graded.status == 200)
        #expect(graded.data["status"]?.string == "graded")
        #expect(try course.emailJobs(db, template: "assignment_graded", to: student) == 1)
        let award = try course.jobs(db, kind: "xp.award", user: student).first { $0["type"]?.string == "assignment_graded" }
        #expect(award?["score_percent"] == .number(75))
        #expect(award?["source"]?.string == "assignment:\(id)")
        // Graded: final.
        #expect(try submit(id, #"{"body":"Draft three"}"#, student.accessToken).code == "already_graded")
        #expect(
            try call(
                GradeSubmission.endpoint, "POST", "/api/v1/submissions/\(submissionId)/grade", json: #"{"points":1}"#,
                token: course.instructor.accessToken
            ).code == "already_graded")
        let seen = try call(GetAssignment.endpoint, "GET", "/api/v1/assignments/\(id)", token: student.accessToken)
        #expect(seen.data["submissions"]?.array.first?["feedback"]?.string == "Good work.")
        #expect(seen.data["submissions"]?.array.first?["points"] == .number(15))
        // The lesson plus the assignment at its pass mark complete the course.
        _ = try call(CompleteLesson.endpoint, "POST", "/api/v1/lessons/\(course.lessons[0])/complete", token: student.accessToken)
        #expect(try course.jobs(db, kind: "certificate.issue", user: student).count == 1)
    }

    @Test func submissionsAreCheckedAndPrivate() throws {
        let db = try TestEnvironment.connect()
        let course = try LearningCourse.make(db)
        let id = try #require(try createAssignment(course, #"{"title":"Files","file_kinds":["pdf"]}"#).data["id"]?.string)
        let student = try course.learner(db)
        let other = try course.learner(db)
        let theirs = try upload(db, owner: other)
        let image = try upload(db, owner: student, type: "image/png")
        let pending = try upload(db, owner: student, status: "pending")
        let resource = try upload(db, owner: student, purpose: "resource")
        for media in [theirs, image, pending, resource] {
            #expect(try submit(id, #"{"media_ids":["\#(media)"]}"#, student.accessToken).failedFields == ["media_ids"])
        }
        #expect(try submit(id, #"{}"#, student.accessToken).failedFields == ["body"])
        #expect(try submit(id, #"{"media_ids":["nope"]}"#, student.accessToken).failedFields == ["media_ids"])
        #expect(try submit(id, #"{"body":5}"#, student.accessToken).failedFields == ["body"])
        #expect(try submit(id, "[]", student.accessToken).status == 400)
        // Refused roles.
        #expect(try submit(id, #"{"body":"x"}"#, nil).status == 401)
        #expect(try submit(id, #"{"body":"x"}"#, try Factory.user(db).accessToken).code == "enrollment_required")
        #expect(try submit("00000000-0000-4000-8000-000000000000", #"{"body":"x"}"#, student.accessToken).status == 404)
        let submitted = try submit(id, #"{"media_ids":["\#(try upload(db, owner: student))"]}"#, student.accessToken)
        #expect(submitted.status == 201)
        let submissionId = try #require(submitted.data["id"]?.string)
        // Other students see only their own; other instructors see nothing.
        let otherView = try call(GetAssignment.endpoint, "GET", "/api/v1/assignments/\(id)", token: other.accessToken)
        #expect(otherView.data["submissions"]?.array.isEmpty == true)
        let outsider = try Factory.user(db, role: .instructor)
        #expect(
            try call(ListSubmissions.endpoint, "GET", "/api/v1/assignments/\(id)/submissions", token: outsider.accessToken).status == 404)
        #expect(
            try call(ListSubmissions.endpoint, "GET", "/api/v1/assignments/\(id)/submissions", token: student.accessToken).status == 403)
        #expect(
            try call(
                GradeSubmission.endpoint, "POST", "/api/v1/submissions/\(submissionId)/grade", json: #"{"points":1}"#,
                token: outsider.accessToken
            ).status == 404)
        #expect(
            try call(
                GradeSubmission.endpoint, "POST", "/api/v1/submissions/\(submissionId)/grade", json: #"{"points":1}"#,
                token: student.accessToken
            ).status == 403)
        #expect(
            try call(GetAssignment.endpoint, "GET", "/api/v1/assignments/\(id)", token: outsider.accessToken).code == "enrollment_required")
        let admin = try Factory.user(db, role: .admin)
        let adminList = try call(ListSubmissions.endpoint, "GET", "/api/v1/assignments/\(id)/submissions", token: admin.accessToken)
        #expect(adminList.items.first?["files"]?.array.first?["url"]?.string != nil)
        #expect(
            try call(ListSubmissions.endpoint, "GET", "/api/v1/assignments/\(id)/submissions?status=nope", token: admin.accessToken).status
                == 422)
        #expect(
            try call(
                GradeSubmission.endpoint, "POST", "/api/v1/submissions/00000000-0000-4000-8000-000000000000/grade", json: #"{"points":1}"#,
                token: admin.accessToken
            ).status == 404)
    }

    @Test func lateWorkIsFlaggedOrRefused() throws {
        let db = try TestEnvironment.connect()
        let course = try LearningCourse.make(db)
        let lenient = try #require(try createAssignment(course, #"{"title":"Lenient","due_at":"2020-01-01T00:00:00Z"}"#).data["id"]?.string)
        let strict = try #require(
            try createAssignment(course, #"{"title":"Strict","due_at":"2020-01-01T00:00Z","allow_late":false}"#).data["id"]?.string)
        let future = try #require(
            try createAssignment(course, #"{"title":"Future","due_at":"2999-01-01T00:00:00+05:30","allow_late":false}"#).data["id"]?.string)
        let student = try course.learner(db)
        let late = try submit(lenient, #"{"body":"Sorry"}"#, student.accessToken)
        #expect(late.status == 201)
        #expect(late.data["is_late"]?.bool == true)
        #expect(try submit(strict, #"{"body":"Sorry"}"#, student.accessToken).code == "past_due")
        #expect(try submit(future, #"{"body":"Early"}"#, student.accessToken).data["is_late"]?.bool == false)
        let lateOnly = try call(
            ListSubmissions.endpoint, "GET", "/api/v1/assignments/\(lenient)/submissions?late=true", token: course.instructor.accessToken)
        #expect(lateOnly.items.count == 1)
        let onTime = try call(
            ListSubmissions.endpoint, "GET", "/api/v1/assignments/\(lenient)/submissions?late=false", token: course.instructor.accessToken)
        #expect(onTime.items.isEmpty)
    }

    @Test func invalidAssignmentsAreRefused() throws {
        let db = try TestEnvironment.connect()
        let course = try LearningCourse.make(db)
        let refused = try createAssignment(
            course, #"{"title":"","due_at":"2026-02-30T10:00:00Z","max_points":0,"pass_points":5000,"file_kinds":["exe"]}"#)
        #expect(refused.status == 422)
        #expect(Set(refused.failedFields) == ["title", "due_at", "max_points", "pass_points", "file_kinds"])
        #expect(try createAssignment(course, #"{"title":"x","pass_points":101}"#).failedFields == ["pass_points"])
        #expect(try createAssignment(course, #"{"title":"x"}"#, token: try Factory.user(db, role: .instructor).accessToken).status == 404)
        #expect(try createAssignment(course, #"{"title":"x"}"#, token: try Factory.user(db).accessToken).status == 403)
        #expect(
            try call(CreateAssignment.endpoint, "POST", "/api/v1/modules/\(course.modules[0])/assignments", json: #"{"title":"x"}"#).status
                == 401)
        let made = try createAssignment(course, #"{"title":"Defaults"}"#)
        #expect(made.data["pass_points"] == .number(50))
        #expect(made.data["allow_late"]?.bool == true)
    }

    @Test func submissionUploadsAreOpenToStudentsAndTakeText() throws {
        #expect(MediaPurpose.submission.allows(.student))
        #expect(!MediaPurpose.resource.allows(.student))
        #expect(MediaPurpose.submission.contentTypes.contains("text/plain"))
        #expect(FileKind.detect(Array("My essay, in plain words.\n".utf8)) == .plainText)
        #expect(FileKind.detect(Array("  <script>alert(1)</script>".utf8)) == nil)
        #expect(FileKind.detect([0x68, 0x69, 0x00]) == nil)
        #expect(FileKind.detect(Array("Café ".utf8) + [0xC3]) == .plainText)
    }
}
