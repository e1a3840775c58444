import Auth
import Core
import Courses
import Database
import Media
import Runtime
import TestSupport
import Testing

/// Lesson content: signed links only for enrolled learners, the instructor, admins, and
/// anyone for previews; uploaded files attached to lessons; downloadable resources.
@Suite struct LessonContentTests {
    /// A ready upload of `owner`, straight into the table (the upload path has its own tests).
    func media(_ db: Connection, owner: TestUser, purpose: String, type: String, status: String = "ready") throws -> String {
        let id = try db.query("SELECT gen_random_uuid()::text AS id").one().string("id")
        try db.execute(
            """
            INSERT INTO media (id, owner_id, purpose, storage, object_key, filename, declared_type, size_bytes, status)
            VALUES (\(id), \(owner.id), \(purpose), 'local', \("private/\(purpose)/\(id).bin"), 'file name.pdf', \(type), 100, \(status))
            """)
        return id
    }

    struct Fixture {
        var owner: TestUser
        var courseId: String
        var moduleId: String
        var lessonId: String
        var previewId: String
    }

    func fixture(_ db: Connection, published: Bool = true) throws -> Fixture {
        let owner = try Factory.user(db, role: .instructor)
        let courseId = try #require(
            try call(CreateCourse.endpoint, "POST", "/api/v1/courses", json: #"{"title":"Media course"}"#, token: owner.accessToken).data[
                "id"]?.string)
        let moduleId = try #require(
            try call(
                CreateModule.endpoint, "POST", "/api/v1/courses/\(courseId)/modules", json: #"{"title":"M"}"#, token: owner.accessToken
            ).data["id"]?.string)
        let video = try media(db, owner: owner, purpose: "video", type: "video/mp4")
        let subtitle = try media(db, owner: owner, purpose: "subtitle", type: "text/vtt")
        let path = "/api/v1/modules/\(moduleId)/lessons"
        let lesson = try call(
            CreateLesson.endpoint, "POST", path,
            json: #"{"title":"Paid","kind":"video","video_media_id":"\#(video)","subtitle_media_id":"\#(subtitle)","body":"secret notes"}"#,
            token: owner.accessToken)
        #expect(lesson.status == 201)
        #expect(lesson.data["video_media_id"]?.string == video)
        let preview = try call(
            CreateLesson.endpoint, "POST", path,
            json: #"{"title":"Free","kind":"video","video_url":"https://cdn.example.test/free.m3u8","is_preview":true}"#,
            token: owner.accessToken)
        if published { try db.execute("UPDATE courses SET status = 'published', published_at = now() WHERE id = \(courseId)") }
        return Fixture(
            owner: owner, courseId: courseId, moduleId: moduleId, lessonId: try #require(lesson.data["id"]?.string),
            previewId: try #require(preview.data["id"]?.string))
    }

    func content(_ lessonId: String, token: String?) throws -> TestResponse {
        try call(GetLessonContent.endpoint, "GET", "/api/v1/lessons/\(lessonId)/content", token: token)
    }

    @Test func paidLessonsAreForEnrolledLearnersTheInstructorAndAdmins() throws {
        let db = try TestEnvironment.connect()
        let f = try fixture(db)
        let student = try Factory.user(db)
        let admin = try Factory.user(db, role: .admin)
        let otherTeacher = try Factory.user(db, role: .instructor)

        #expect(try content(f.lessonId, token: nil).status == 401)
        let refused = try content(f.lessonId, token: student.accessToken)
        #expect(refused.status == 403)
        #expect(refused.code == "enrollment_required")
        #expect(!refused.text.contains("/media/"))
        #expect(try content(f.lessonId, token: otherTeacher.accessToken).status == 403)

        try db.execute("INSERT INTO enrollments (user_id, course_id, source) VALUES (\(student.id), \(f.courseId), 'free')")
        let granted = try content(f.lessonId, token: student.accessToken)
        #expect(granted.status == 200)
        #expect(granted.header("cache-control") == "private, no-store")
        #expect(granted.data["body"]?.string == "secret notes")
        let video = try #require(granted.data["video"]?["url"]?.string)
        #expect(video.contains("/media/private/video/") && video.contains("md5=") && video.contains("expires="))
        #expect(!video.contains("name="))  // videos play inline
        #expect(granted.data["video"]?["content_type"]?.string == "video/mp4")
        #expect(granted.data["subtitles"]?["url"]?.string?.contains("/media/private/subtitle/") == true)
        #expect(granted.data["materials"] == .null)
        #expect(try content(f.lessonId, token: f.owner.accessToken).status == 200)
        #expect(try content(f.lessonId, token: admin.accessToken).status == 200)

        // Previews are open to everyone; external links are passed on as they are.
        let preview = try content(f.previewId, token: nil)
        #expect(preview.status == 200)
        #expect(preview.data["video"]?["url"]?.string == "https://cdn.example.test/free.m3u8")
        #expect(preview.data["video"]?["expires_at"] == .null)

        // Enrolled learners keep access when the course is unpublished; strangers lose the preview.
        try db.execute("UPDATE courses SET status = 'unpublished' WHERE id = \(f.courseId)")
        #expect(try content(f.lessonId, token: student.accessToken).status == 200)
        #expect(try content(f.previewId, token: nil).status == 404)
        #expect(try content(f.lessonId, token: otherTeacher.accessToken).status == 404)
        #expect(try content("00000000-0000-4000-8000-000000000000", token: admin.accessToken).status == 404)
        #expect(try content("not-a-uuid", token: admin.accessToken).status == 404)
    }

    @Test func draftsAreInvisibleEvenWhenPreviews() throws {
        let db = try TestEnvironment.connect()
        let f = try fixture(db, published: false)
        let student = try Factory.user(db)
        #expect(try content(f.previewId, token: nil).status == 404)
        #expect(try content(f.lessonId, token: student.accessToken).status == 404)
        #expect(try content(f.lessonId, token: f.owner.accessToken).status == 200)
    }

    @Test func onlyTheCoursesOwnReadyUploadsOfTheRightKindAttach() throws {
        let db = try TestEnvironment.connect()
        let f = try fixture(db, published: false)
        let stranger = try Factory.user(db, role: .instructor)
        let theirs = try media(db, owner: stranger, purpose: "video", type: "video/mp4")
        let pending = try media(db, owner: f.owner, purpose: "video", type: "video/mp4", status: "pending")
        let pdf = try media(db, owner: f.owner, purpose: "resource", type: "application/pdf")
        let path = "/api/v1/lessons/\(f.lessonId)"
        for (field, id) in [
            ("video_media_id", theirs), ("video_media_id", pending), ("video_media_id", pdf), ("subtitle_media_id", pdf),
            ("video_media_id", "nope"),
        ] {
            let response = try call(UpdateLesson.endpoint, "PATCH", path, json: #"{"\#(field)":"\#(id)"}"#, token: f.owner.accessToken)
            #expect(response.status == 422)
            #expect(response.failedFields == [field])
        }
        let attached = try call(
            UpdateLesson.endpoint, "PATCH", path, json: #"{"materials_media_id":"\#(pdf)","video_media_id":null}"#,
            token: f.owner.accessToken)
        #expect(attached.status == 200)
        #expect(attached.data["materials_media_id"]?.string == pdf)
        #expect(attached.data["video_media_id"] == .null)
        let materials = try #require(try content(f.lessonId, token: f.owner.accessToken).data["materials"]?["url"]?.string)
        #expect(materials.contains("name=file%20name.pdf"))  // downloads carry their name
    }

    @Test func resourcesAreAddedRenamedReorderedAndRemoved() throws {
        let db = try TestEnvironment.connect()
        let f = try fixture(db)
        let student = try Factory.user(db)
        let stranger = try Factory.user(db, role: .instructor)
        let path = "/api/v1/lessons/\(f.lessonId)/resources"
        func add(_ json: String, token: String) throws -> TestResponse {
            try call(AddLessonResource.endpoint, "POST", path, json: json, token: token)
        }
        // A published course is edited through unpublishing; resources are edits.
        try db.execute("UPDATE courses SET status = 'draft' WHERE id = \(f.courseId)")
        let slides = try media(db, owner: f.owner, purpose: "resource", type: "application/pdf")
        let sheet = try media(db, owner: f.owner, purpose: "resource", type: "application/pdf")
        let a = try add(#"{"media_id":"\#(slides)","title":"Slides"}"#, token: f.owner.accessToken)
        #expect(a.status == 201)
        #expect(a.data["position"] == .number(1))
        let b = try add(#"{"media_id":"\#(sheet)","position":1}"#, token: f.owner.accessToken)
        #expect(b.data["title"]?.string == "file name.pdf")
        #expect(b.data["position"] == .number(1))
        #expect(try add(#"{"media_id":"\#(slides)"}"#, token: student.accessToken).status == 403)
        #expect(try add(#"{"media_id":"\#(slides)"}"#, token: stranger.accessToken).status == 404)
        #expect(
            try add(
                #"{"media_id":"\#(try media(db, owner: stranger, purpose: "resource", type: "application/pdf"))"}"#,
                token: f.owner.accessToken
            ).status == 422)
        #expect(try add(#"{"title":"x"}"#, token: f.owner.accessToken).status == 422)
        #expect(
            try call(
                AddLessonResource.endpoint, "POST", "/api/v1/lessons/00000000-0000-4000-8000-000000000000/resources",
                json: #"{"media_id":"\#(slides)"}"#, token: f.owner.accessToken
            ).status == 404)

        let aId = try #require(a.data["id"]?.string)
        let moved = try call(
            UpdateLessonResource.endpoint, "PATCH", "/api/v1/resources/\(aId)", json: #"{"position":1,"title":"Deck"}"#,
            token: f.owner.accessToken)
        #expect(moved.status == 200)
        #expect(moved.data["title"]?.string == "Deck")
        #expect(
            try call(UpdateLessonResource.endpoint, "PATCH", "/api/v1/resources/\(aId)", json: #"{"title":""}"#, token: f.owner.accessToken)
                .status == 422)
        #expect(
            try call(
                UpdateLessonResource.endpoint, "PATCH", "/api/v1/resources/\(aId)", json: #"{"title":"x"}"#, token: stranger.accessToken
            ).status == 404)
        let listed = try content(f.lessonId, token: f.owner.accessToken)
        guard case .array(let resources)? = listed.data["resources"] else {
            Issue.record("no resources")
            return
        }
        #expect(resources.map { $0["title"]?.string } == ["Deck", "file name.pdf"])
        #expect(resources.first?["url"]?.string?.contains("name=file%20name.pdf") == true)

        #expect(try call(DeleteLessonResource.endpoint, "DELETE", "/api/v1/resources/\(aId)", token: stranger.accessToken).status == 404)
        #expect(try call(DeleteLessonResource.endpoint, "DELETE", "/api/v1/resources/\(aId)", token: f.owner.accessToken).status == 200)
        #expect(try call(DeleteLessonResource.endpoint, "DELETE", "/api/v1/resources/\(aId)", token: f.owner.accessToken).status == 404)
        let positions = try db.query("SELECT position FROM lesson_resources WHERE lesson_id = \(f.lessonId)").rows.map {
            try $0.int("position")
        }
        #expect(positions == [1])
    }
}
