import Auth
import Core
import Courses
import Database
import Runtime
import TestSupport
import Testing

/// Course authoring: instructors create and edit their own courses; admins may act on any.
@Suite struct CourseAuthoringTests {
    static let valid = #"""
        {"title":"Swift on the Server","subtitle":"CGI to FastCGI","description":"Line one\nLine two","category":"development",
         "level":"intermediate","language":"en","price_minor":49900,"currency":"INR","thumbnail_url":"https://cdn.example.test/t.png",
         "tags":["swift","server"],"outcomes":["Deploy a function"],"requirements":["Some Swift"]}
        """#

    func create(_ token: String, _ json: String = valid) throws -> TestResponse {
        try call(CreateCourse.endpoint, "POST", "/api/v1/courses", json: json, token: token)
    }

    @Test func instructorsCreateDraftsAndTheEventIsRecorded() throws {
        let db = try TestEnvironment.connect()
        let instructor = try Factory.user(db, role: .instructor)
        let response = try create(instructor.accessToken)
        #expect(response.status == 201)
        #expect(response.data["status"]?.string == "draft")
        #expect(response.data["category"]?.string == "development")
        #expect(response.data["price_minor"] == .number(49900))
        #expect(response.data["tags"] == .array([.string("swift"), .string("server")]))
        #expect(response.data["description"]?.string == "Line one\nLine two")
        #expect(response.data["instructor_id"]?.string == instructor.id)
        let id = try #require(response.data["id"]?.string)
        #expect(try db.query("SELECT to_status FROM course_events WHERE course_id = \(id)").first?.string("to_status") == "draft")
        let admin = try Factory.user(db, role: .admin)
        #expect(try create(admin.accessToken, #"{"title":"Admin course"}"#).status == 201)
    }

    @Test func studentsAndAnonymousAreRefused() throws {
        let student = try Factory.user(TestEnvironment.connect(), role: .student)
        #expect(try create(student.accessToken).status == 403)
        #expect(try call(CreateCourse.endpoint, "POST", "/api/v1/courses", json: Self.valid).status == 401)
    }

    @Test func listsEveryInvalidField() throws {
        let instructor = try Factory.user(TestEnvironment.connect(), role: .instructor)
        let response = try create(
            instructor.accessToken,
            #"""
            {"level":"expert","language":"english","currency":"rupees","category":"astrology","price_minor":-5,
             "thumbnail_url":"javascript:alert(1)","tags":["a","b","c","d","e","f","g","h","i","j","k"],"outcomes":"not a list"}
            """#)
        #expect(response.status == 422)
        #expect(
            Set(response.failedFields)
                == ["title", "level", "language", "currency", "category", "price_minor", "thumbnail_url", "tags", "outcomes"])
        #expect(try create(instructor.accessToken, "[1]").status == 400)
        #expect(
            try call(
                CreateCourse.endpoint, "POST", "/api/v1/courses", body: Array("title=x".utf8), token: instructor.accessToken,
                headers: ["content-type": "text/plain"]
            ).status == 415)
    }

    @Test func ownersAndAdminsEditOthersDoNotSeeIt() throws {
        let db = try TestEnvironment.connect()
        let owner = try Factory.user(db, role: .instructor)
        let id = try #require(try create(owner.accessToken).data["id"]?.string)
        let path = "/api/v1/courses/\(id)"
        let edit = try call(
            UpdateCourse.endpoint, "PATCH", path,
            json: #"{"title":"Swift on the Server, 2nd ed.","subtitle":null,"tags":[],"price_minor":0}"#, token: owner.accessToken)
        #expect(edit.status == 200)
        #expect(edit.data["title"]?.string == "Swift on the Server, 2nd ed.")
        #expect(edit.data["subtitle"] == .null)
        #expect(edit.data["tags"] == .array([]))
        #expect(edit.data["price_minor"] == .number(0))
        #expect(edit.data["level"]?.string == "intermediate")
        let other = try Factory.user(db, role: .instructor)
        #expect(try call(UpdateCourse.endpoint, "PATCH", path, json: #"{"title":"Mine now"}"#, token: other.accessToken).status == 404)
        let admin = try Factory.user(db, role: .admin)
        #expect(try call(UpdateCourse.endpoint, "PATCH", path, json: #"{"level":"advanced"}"#, token: admin.accessToken).status == 200)
        let student = try Factory.user(db)
        #expect(try call(UpdateCourse.endpoint, "PATCH", path, json: "{}", token: student.accessToken).status == 403)
        #expect(try call(UpdateCourse.endpoint, "PATCH", path, json: #"{"title":"x"}"#, token: owner.accessToken).status == 422)
        for bad in ["00000000-0000-4000-8000-000000000000", "not-a-uuid"] {
            #expect(try call(UpdateCourse.endpoint, "PATCH", "/api/v1/courses/\(bad)", json: "{}", token: owner.accessToken).status == 404)
        }
        try db.execute("UPDATE courses SET status = 'submitted' WHERE id = \(id)")
        let locked = try call(UpdateCourse.endpoint, "PATCH", path, json: #"{"level":"beginner"}"#, token: owner.accessToken)
        #expect(locked.status == 409)
        #expect(locked.code == "course_locked")
    }

    @Test func neverPublishedCoursesAreDeletedPublishedOnesArchived() throws {
        let db = try TestEnvironment.connect()
        let owner = try Factory.user(db, role: .instructor)
        let draft = try #require(try create(owner.accessToken).data["id"]?.string)
        let other = try Factory.user(db, role: .instructor)
        #expect(try call(DeleteCourse.endpoint, "DELETE", "/api/v1/courses/\(draft)", token: other.accessToken).status == 404)
        #expect(try call(DeleteCourse.endpoint, "DELETE", "/api/v1/courses/\(draft)", token: owner.accessToken).status == 200)
        #expect(try db.query("SELECT 1 FROM courses WHERE id = \(draft)").rows.isEmpty)
        let live = try #require(try create(owner.accessToken).data["id"]?.string)
        try db.execute("UPDATE courses SET status = 'published', published_at = now() WHERE id = \(live)")
        let archived = try call(DeleteCourse.endpoint, "DELETE", "/api/v1/courses/\(live)", token: owner.accessToken)
        #expect(archived.status == 200)
        #expect(try db.query("SELECT status FROM courses WHERE id = \(live)").first?.string("status") == "archived")
        #expect(
            try db.query("SELECT count(*)::int AS n FROM course_events WHERE course_id = \(live) AND to_status = 'archived'").one().int("n")
                == 1)
        let student = try Factory.user(db)
        #expect(try call(DeleteCourse.endpoint, "DELETE", "/api/v1/courses/\(live)", token: student.accessToken).status == 403)
        #expect(try call(DeleteCourse.endpoint, "DELETE", "/api/v1/courses/\(live)").status == 401)
    }

    @Test func instructorsListTheirOwnCoursesWithACursor() throws {
        let db = try TestEnvironment.connect()
        let owner = try Factory.user(db, role: .instructor)
        var ids: [String] = []
        for n in 0..<3 { ids.append(try #require(try create(owner.accessToken, #"{"title":"Course number \#(n)"}"#).data["id"]?.string)) }
        _ = try create(try Factory.user(db, role: .instructor).accessToken)
        let first = try call(ListInstructorCourses.endpoint, "GET", "/api/v1/instructor/courses?limit=2", token: owner.accessToken)
        #expect(first.status == 200)
        guard case .array(let page1)? = first.data["courses"] else {
            Issue.record("no courses")
            return
        }
        #expect(page1.compactMap { $0["id"]?.string } == [ids[2], ids[1]])
        let cursor = try #require(first.data["next_cursor"]?.string)
        let second = try call(
            ListInstructorCourses.endpoint, "GET", "/api/v1/instructor/courses?limit=2&cursor=\(cursor)", token: owner.accessToken)
        guard case .array(let page2)? = second.data["courses"] else {
            Issue.record("no courses")
            return
        }
        #expect(page2.compactMap { $0["id"]?.string } == [ids[0]])
        #expect(second.data["next_cursor"] == .null)
        try db.execute("UPDATE courses SET status = 'rejected' WHERE id = \(ids[0])")
        let rejected = try call(
            ListInstructorCourses.endpoint, "GET", "/api/v1/instructor/courses?status=rejected", token: owner.accessToken)
        guard case .array(let only)? = rejected.data["courses"] else {
            Issue.record("no courses")
            return
        }
        #expect(only.compactMap { $0["id"]?.string } == [ids[0]])
        #expect(
            try call(ListInstructorCourses.endpoint, "GET", "/api/v1/instructor/courses?cursor=zzz", token: owner.accessToken).status == 400
        )
        let invalid = try call(
            ListInstructorCourses.endpoint, "GET", "/api/v1/instructor/courses?limit=0&status=gone", token: owner.accessToken)
        #expect(Set(invalid.failedFields) == ["limit", "status"])
        #expect(
            try call(ListInstructorCourses.endpoint, "GET", "/api/v1/instructor/courses", token: try Factory.user(db).accessToken).status
                == 403)
    }

    @Test func categoriesCountPublishedCoursesOnly() throws {
        let db = try TestEnvironment.connect()
        let before = try call(ListCategories.endpoint, "GET", "/api/v1/categories")
        guard case .array(let categories)? = before.data["categories"] ?? before.data as JSONValue? else {
            Issue.record("no list")
            return
        }
        let music = { (list: [JSONValue]) in list.first { $0["slug"]?.string == "music" }?["course_count"]?.number ?? -1 }
        let owner = try Factory.user(db, role: .instructor)
        let id = try #require(try create(owner.accessToken, #"{"title":"Guitar basics","category":"music"}"#).data["id"]?.string)
        let draftOnly = try call(ListCategories.endpoint, "GET", "/api/v1/categories")
        guard case .array(let afterDraft) = draftOnly.data else {
            Issue.record("no list")
            return
        }
        #expect(music(afterDraft) == music(categories))
        try db.execute("UPDATE courses SET status = 'published', published_at = now() WHERE id = \(id)")
        guard case .array(let afterPublish) = try call(ListCategories.endpoint, "GET", "/api/v1/categories").data else {
            Issue.record("no list")
            return
        }
        #expect(music(afterPublish) == music(categories) + 1)
        #expect(categories.count == 12)
    }
}
