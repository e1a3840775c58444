import Auth
import Core
import Courses
import Database
import Runtime
import TestSupport
import Testing

/// Modules and lessons: create, edit, reorder, delete; positions stay dense.
@Suite struct CurriculumTests {
    func course(_ owner: TestUser) throws -> String {
        try #require(
            try call(CreateCourse.endpoint, "POST", "/api/v1/courses", json: #"{"title":"Curriculum test"}"#, token: owner.accessToken)
                .data["id"]?.string)
    }

    func addModule(_ courseId: String, _ title: String, token: String, position: Int? = nil) throws -> TestResponse {
        let json = position.map { #"{"title":"\#(title)","position":\#($0)}"# } ?? #"{"title":"\#(title)"}"#
        return try call(CreateModule.endpoint, "POST", "/api/v1/courses/\(courseId)/modules", json: json, token: token)
    }

    func order(_ db: Connection, modulesOf courseId: String) throws -> [String] {
        try db.query("SELECT title FROM modules WHERE course_id = \(courseId) ORDER BY position").rows.map { try $0.string("title") }
    }

    func order(_ db: Connection, lessonsOf moduleId: String) throws -> [String] {
        try db.query("SELECT title FROM lessons WHERE module_id = \(moduleId) ORDER BY position").rows.map { try $0.string("title") }
    }

    @Test func modulesKeepDenseOrderThroughInsertsMovesAndDeletes() throws {
        let db = try TestEnvironment.connect()
        let owner = try Factory.user(db, role: .instructor)
        let courseId = try course(owner)
        let a = try #require(try addModule(courseId, "A", token: owner.accessToken).data["id"]?.string)
        _ = try addModule(courseId, "B", token: owner.accessToken)
        let c = try #require(try addModule(courseId, "C", token: owner.accessToken).data["id"]?.string)
        let first = try addModule(courseId, "Intro", token: owner.accessToken, position: 1)
        #expect(first.status == 201)
        #expect(first.data["position"] == .number(1))
        #expect(try order(db, modulesOf: courseId) == ["Intro", "A", "B", "C"])
        #expect(
            try call(
                UpdateModule.endpoint, "PATCH", "/api/v1/modules/\(c)", json: #"{"position":2,"title":"C!"}"#, token: owner.accessToken
            ).status == 200)
        #expect(try order(db, modulesOf: courseId) == ["Intro", "C!", "A", "B"])
        #expect(
            try call(UpdateModule.endpoint, "PATCH", "/api/v1/modules/\(c)", json: #"{"position":99}"#, token: owner.accessToken).data[
                "position"] == .number(4))
        #expect(try call(DeleteModule.endpoint, "DELETE", "/api/v1/modules/\(a)", token: owner.accessToken).status == 200)
        #expect(try order(db, modulesOf: courseId) == ["Intro", "B", "C!"])
        let positions = try db.query("SELECT position FROM modules WHERE course_id = \(courseId) ORDER BY position").rows.map {
            try $0.int("position")
        }
        #expect(positions == [1, 2, 3])
    }

    @Test func lessonsAreAddedEditedMovedAndRemoved() throws {
        let db = try TestEnvironment.connect()
        let owner = try Factory.user(db, role: .instructor)
        let courseId = try course(owner)
        let module = try #require(try addModule(courseId, "Basics", token: owner.accessToken).data["id"]?.string)
        let path = "/api/v1/modules/\(module)/lessons"
        let video = try call(
            CreateLesson.endpoint, "POST", path,
            json:
                #"{"title":"Welcome","kind":"video","video_url":"https://cdn.example.test/v.m3u8","duration_seconds":300,"is_preview":true}"#,
            token: owner.accessToken)
        #expect(video.status == 201)
        #expect(video.data["is_preview"]?.bool == true)
        let article = try #require(
            try call(
                CreateLesson.endpoint, "POST", path,
                json: #"{"title":"Reading","kind":"article","body":"Heading\nText"}"#, token: owner.accessToken
            ).data["id"]?.string)
        let moved = try call(
            UpdateLesson.endpoint, "PATCH", "/api/v1/lessons/\(article)",
            json: #"{"position":1,"duration_seconds":120,"body":null}"#, token: owner.accessToken)
        #expect(moved.status == 200)
        #expect(moved.data["body"] == .null)
        #expect(try order(db, lessonsOf: module) == ["Reading", "Welcome"])
        #expect(try call(DeleteLesson.endpoint, "DELETE", "/api/v1/lessons/\(article)", token: owner.accessToken).status == 200)
        #expect(try db.query("SELECT position FROM lessons WHERE module_id = \(module)").rows.map { try $0.int("position") } == [1])
        let invalid = try call(
            CreateLesson.endpoint, "POST", path,
            json: #"{"kind":"podcast","video_url":"ftp://x","duration_seconds":-1}"#, token: owner.accessToken)
        #expect(Set(invalid.failedFields) == ["title", "kind", "video_url", "duration_seconds"])
    }

    @Test func onlyTheOwnerOrAnAdminChangesTheCurriculum() throws {
        let db = try TestEnvironment.connect()
        let owner = try Factory.user(db, role: .instructor)
        let courseId = try course(owner)
        let module = try #require(try addModule(courseId, "Mine", token: owner.accessToken).data["id"]?.string)
        let other = try Factory.user(db, role: .instructor)
        #expect(try addModule(courseId, "Theirs", token: other.accessToken).status == 404)
        #expect(
            try call(UpdateModule.endpoint, "PATCH", "/api/v1/modules/\(module)", json: #"{"title":"x"}"#, token: other.accessToken).status
                == 404)
        #expect(
            try call(
                CreateLesson.endpoint, "POST", "/api/v1/modules/\(module)/lessons", json: #"{"title":"x","kind":"video"}"#,
                token: other.accessToken
            ).status == 404)
        #expect(try addModule(courseId, "Student", token: try Factory.user(db).accessToken).status == 403)
        #expect(try call(CreateModule.endpoint, "POST", "/api/v1/courses/\(courseId)/modules", json: #"{"title":"x"}"#).status == 401)
        #expect(try addModule(courseId, "Admin's", token: try Factory.user(db, role: .admin).accessToken).status == 201)
        for bad in ["00000000-0000-4000-8000-000000000000", "nope"] {
            #expect(try call(DeleteModule.endpoint, "DELETE", "/api/v1/modules/\(bad)", token: owner.accessToken).status == 404)
            #expect(try call(DeleteLesson.endpoint, "DELETE", "/api/v1/lessons/\(bad)", token: owner.accessToken).status == 404)
            #expect(try addModule(bad, "x", token: owner.accessToken).status == 404)
        }
        try db.execute("UPDATE courses SET status = 'submitted' WHERE id = \(courseId)")
        #expect(try addModule(courseId, "Late", token: owner.accessToken).status == 409)
        #expect(try addModule(courseId, "", token: owner.accessToken).status == 422)
    }
}
