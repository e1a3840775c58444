import Auth
import Core
import Courses
import Database
import Delivery
import Mail
import Queue
import Runtime
import TestSupport
import Testing
import Worker

/// Draft → submitted → published or rejected; published → unpublished. Every change recorded,
/// every decision emailed to the instructor.
@Suite struct ReviewWorkflowTests {
    /// A draft with one lesson, owned by a new instructor.
    public func readyCourse(_ db: Connection) throws -> (owner: TestUser, id: String) {
        let owner = try Factory.user(db, role: .instructor)
        let id = try #require(
            try call(CreateCourse.endpoint, "POST", "/api/v1/courses", json: #"{"title":"Review me"}"#, token: owner.accessToken).data[
                "id"]?.string)
        let module = try #require(
            try call(CreateModule.endpoint, "POST", "/api/v1/courses/\(id)/modules", json: #"{"title":"M"}"#, token: owner.accessToken)
                .data["id"]?.string)
        #expect(
            try call(
                CreateLesson.endpoint, "POST", "/api/v1/modules/\(module)/lessons", json: #"{"title":"L","kind":"article"}"#,
                token: owner.accessToken
            ).status == 201)
        return (owner, id)
    }

    func post(_ endpoint: Endpoint, _ path: String, token: String?, json: String? = nil) throws -> TestResponse {
        try call(endpoint, "POST", path, json: json, token: token)
    }

    @Test func submitNeedsALessonAndTheOwner() throws {
        let db = try TestEnvironment.connect()
        let owner = try Factory.user(db, role: .instructor)
        let empty = try #require(
            try call(CreateCourse.endpoint, "POST", "/api/v1/courses", json: #"{"title":"Empty"}"#, token: owner.accessToken).data["id"]?
                .string)
        let incomplete = try post(SubmitCourse.endpoint, "/api/v1/courses/\(empty)/submit", token: owner.accessToken)
        #expect(incomplete.status == 422)
        #expect(incomplete.code == "course_incomplete")
        let (author, id) = try readyCourse(db)
        #expect(try post(SubmitCourse.endpoint, "/api/v1/courses/\(id)/submit", token: owner.accessToken).status == 404)
        #expect(try post(SubmitCourse.endpoint, "/api/v1/courses/\(id)/submit", token: try Factory.user(db).accessToken).status == 403)
        let submitted = try post(SubmitCourse.endpoint, "/api/v1/courses/\(id)/submit", token: author.accessToken)
        #expect(submitted.data["status"]?.string == "submitted")
        #expect(try post(SubmitCourse.endpoint, "/api/v1/courses/\(id)/submit", token: author.accessToken).status == 409)
    }

    @Test func approvalPublishesAndEmailsTheInstructor() throws {
        let db = try TestEnvironment.connect()
        let (owner, id) = try readyCourse(db)
        _ = try post(SubmitCourse.endpoint, "/api/v1/courses/\(id)/submit", token: owner.accessToken)
        #expect(try post(ApproveCourse.endpoint, "/api/v1/admin/courses/\(id)/approve", token: owner.accessToken).status == 403)
        let admin = try Factory.user(db, role: .admin)
        let approved = try post(ApproveCourse.endpoint, "/api/v1/admin/courses/\(id)/approve", token: admin.accessToken)
        #expect(approved.status == 200)
        #expect(approved.data["status"]?.string == "published")
        #expect(approved.data["published_at"] != .null)
        let events = try db.query("SELECT to_status, actor_id::text AS actor FROM course_events WHERE course_id = \(id) ORDER BY id").rows
        #expect(try events.map { try $0.string("to_status") } == ["draft", "submitted", "published"])
        #expect(try events.last?.string("actor") == admin.id)
        // The decision email, rendered as the email worker would.
        let row = try #require(
            try db.query(
                "SELECT id, payload::text AS p FROM jobs WHERE kind = 'email.course_decision' AND payload->>'to' = \(owner.email)"
            ).first)
        let job = Queue.Job(
            id: Int64(try row.int("id")), queue: "email", kind: "email.course_decision",
            payload: try JSONValue.parse(Array(try row.string("p").utf8)), attempt: 1, maxAttempts: 8)
        let folder = try makeTemporaryDirectory("decision-mail")
        defer { removeTemporaryDirectory(folder) }
        try EmailDelivery.handle(
            job, JobContext(db: db, config: try TestEnvironment.config(), log: Logger(component: "test"), worker: "t"),
            transport: FileTransport(folder: folder), templates: EmailTemplates(), sender: MailAddress("no-reply@app.test"))
        let listing = String(decoding: try runCommand(["ls", folder]).output, as: UTF8.self)
        let file = try #require(listing.split(separator: "\n").first)
        let subject = decodeEncodedWords(MIMEEntity(try readFileBytes("\(folder)/\(file)")).header("Subject") ?? "")
        #expect(subject.contains("Review me"))
        #expect(try post(ApproveCourse.endpoint, "/api/v1/admin/courses/\(id)/approve", token: admin.accessToken).status == 409)
    }

    @Test func rejectionNeedsAReasonAndTheCourseCanComeBack() throws {
        let db = try TestEnvironment.connect()
        let (owner, id) = try readyCourse(db)
        _ = try post(SubmitCourse.endpoint, "/api/v1/courses/\(id)/submit", token: owner.accessToken)
        let admin = try Factory.user(db, role: .admin)
        let path = "/api/v1/admin/courses/\(id)/reject"
        #expect(try post(RejectCourse.endpoint, path, token: admin.accessToken, json: "{}").failedFields == ["reason"])
        let rejected = try post(RejectCourse.endpoint, path, token: admin.accessToken, json: #"{"reason":"Audio is too quiet."}"#)
        #expect(rejected.data["status"]?.string == "rejected")
        #expect(rejected.data["rejection_reason"]?.string == "Audio is too quiet.")
        #expect(
            try db.query(
                "SELECT payload->'data'->>'reason' AS r FROM jobs WHERE kind = 'email.course_decision' AND payload->>'to' = \(owner.email)"
            ).first?.string("r") == "Audio is too quiet.")
        #expect(
            try call(UpdateCourse.endpoint, "PATCH", "/api/v1/courses/\(id)", json: #"{"subtitle":"Louder"}"#, token: owner.accessToken)
                .status == 200)
        #expect(try post(SubmitCourse.endpoint, "/api/v1/courses/\(id)/submit", token: owner.accessToken).data["rejection_reason"] == .null)
        #expect(try post(RejectCourse.endpoint, path, token: owner.accessToken, json: #"{"reason":"x"}"#).status == 403)
    }

    @Test func publishedCoursesCanBeUnpublished() throws {
        let db = try TestEnvironment.connect()
        let (owner, id) = try readyCourse(db)
        #expect(try post(UnpublishCourse.endpoint, "/api/v1/courses/\(id)/unpublish", token: owner.accessToken).status == 409)
        try db.execute("UPDATE courses SET status = 'published', published_at = now() WHERE id = \(id)")
        let done = try post(UnpublishCourse.endpoint, "/api/v1/courses/\(id)/unpublish", token: owner.accessToken)
        #expect(done.data["status"]?.string == "unpublished")
    }

    @Test func adminsSeeTheReviewQueueOldestFirst() throws {
        let db = try TestEnvironment.connect()
        let admin = try Factory.user(db, role: .admin)
        let first = try readyCourse(db)
        let second = try readyCourse(db)
        _ = try post(SubmitCourse.endpoint, "/api/v1/courses/\(first.id)/submit", token: first.owner.accessToken)
        _ = try post(SubmitCourse.endpoint, "/api/v1/courses/\(second.id)/submit", token: second.owner.accessToken)
        // The queue is everyone's, oldest first: read on until both are in it (other tests submit too).
        var ids: [String] = []
        var cursor: String?
        repeat {
            let page = try call(
                ListCoursesForReview.endpoint, "GET", "/api/v1/admin/courses?limit=100" + (cursor.map { "&cursor=\($0)" } ?? ""),
                token: admin.accessToken)
            guard case .array(let courses)? = page.data["courses"] else {
                Issue.record("no courses: \(page.text)")
                return
            }
            ids += courses.compactMap { $0["id"]?.string }
            cursor = page.data["next_cursor"]?.string
        } while cursor != nil && !(ids.contains(first.id) && ids.contains(second.id))
        let a = try #require(ids.firstIndex(of: first.id))
        let b = try #require(ids.firstIndex(of: second.id))
        #expect(a < b)
        #expect(try call(ListCoursesForReview.endpoint, "GET", "/api/v1/admin/courses", token: first.owner.accessToken).status == 403)
        #expect(
            try call(ListCoursesForReview.endpoint, "GET", "/api/v1/admin/courses?status=pending", token: admin.accessToken).status == 422)
        #expect(try call(ListCoursesForReview.endpoint, "GET", "/api/v1/admin/courses?cursor=%%%", token: admin.accessToken).status == 400)
    }
}

@Suite struct CourseDetailTests {
    @Test func draftsAreVisibleOnlyToTheirInstructorAndAdmins() throws {
        let db = try TestEnvironment.connect()
        let (owner, id) = try ReviewWorkflowTests().readyCourse(db)
        let path = "/api/v1/courses/\(id)"
        let mine = try call(GetCourse.endpoint, "GET", path, token: owner.accessToken)
        #expect(mine.status == 200)
        #expect(mine.data["course"]?["status"]?.string == "draft")
        #expect(mine.data["lesson_count"] == .number(1))
        #expect(mine.data["instructor"]?["name"]?.string == owner.name)
        #expect(mine.data["instructor"]?["email"] == nil)
        #expect(try call(GetCourse.endpoint, "GET", path, token: try Factory.user(db, role: .admin).accessToken).status == 200)
        #expect(try call(GetCourse.endpoint, "GET", path).status == 404)
        #expect(try call(GetCourse.endpoint, "GET", path, token: try Factory.user(db).accessToken).status == 404)
        #expect(try call(GetCourse.endpoint, "GET", path, token: try Factory.user(db, role: .instructor).accessToken).status == 404)
    }

    @Test func publishedCoursesShowTheOutlineButNoLessonContent() throws {
        let db = try TestEnvironment.connect()
        let (_, id) = try ReviewWorkflowTests().readyCourse(db)
        try db.execute("UPDATE lessons SET body = 'secret text', video_url = 'https://cdn.example.test/paid.m3u8' WHERE course_id = \(id)")
        try db.execute("UPDATE courses SET status = 'published', published_at = now() WHERE id = \(id)")
        let page = try call(GetCourse.endpoint, "GET", "/api/v1/courses/\(id)")
        #expect(page.status == 200)
        guard case .array(let modules)? = page.data["curriculum"] else {
            Issue.record("no curriculum")
            return
        }
        #expect(modules.count == 1)
        #expect(!page.text.contains("secret text"))
        #expect(!page.text.contains("paid.m3u8"))
        for bad in ["00000000-0000-4000-8000-000000000000", "x'--"] {
            #expect(try call(GetCourse.endpoint, "GET", "/api/v1/courses/\(bad)").status == 404)
        }
        #expect(try call(GetCourse.endpoint, "GET", "/api/v1/courses/\(id)", token: "garbage").status == 401)
    }
}
