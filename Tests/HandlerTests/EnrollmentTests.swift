import Auth
import Core
import Courses
import Database
import Runtime
import TestSupport
import Testing

/// Free enrollment and the wishlist.
@Suite struct EnrollmentTests {
    func publishedCourse(_ db: Connection, price: Int = 0) throws -> String {
        let (_, id) = try ReviewWorkflowTests().readyCourse(db)
        try db.execute("UPDATE courses SET status = 'published', published_at = now(), price_minor = \(price) WHERE id = \(id)")
        return id
    }

    func enroll(_ id: String, _ token: String?) throws -> TestResponse {
        try call(EnrollInCourse.endpoint, "POST", "/api/v1/courses/\(id)/enroll", token: token)
    }

    @Test func enrollingInAFreeCourseIsIdempotent() throws {
        let db = try TestEnvironment.connect()
        let id = try publishedCourse(db)
        let student = try Factory.user(db)
        let first = try enroll(id, student.accessToken)
        #expect(first.status == 201)
        #expect(first.data["source"]?.string == "free")
        #expect(try enroll(id, student.accessToken).status == 200)
        #expect(try db.query("SELECT enrollment_count FROM courses WHERE id = \(id)").one().int("enrollment_count") == 1)
        let list = try call(ListEnrollments.endpoint, "GET", "/api/v1/users/me/enrollments", token: student.accessToken)
        guard case .array(let items)? = list.data["items"] else {
            Issue.record("no items")
            return
        }
        #expect(items.compactMap { $0["course"]?["id"]?.string } == [id])
    }

    @Test func refusesPaidDraftUnverifiedAnonymousAndUnknown() throws {
        let db = try TestEnvironment.connect()
        let student = try Factory.user(db)
        let paid = try publishedCourse(db, price: 49900)
        let refused = try enroll(paid, student.accessToken)
        #expect(refused.status == 409)
        #expect(refused.code == "payment_required")
        let (_, draft) = try ReviewWorkflowTests().readyCourse(db)
        #expect(try enroll(draft, student.accessToken).status == 404)
        let free = try publishedCourse(db)
        let unverified = try Factory.user(db, verified: false)
        #expect(try enroll(free, unverified.accessToken).code == "email_unverified")
        #expect(try enroll(free, nil).status == 401)
        #expect(try enroll("00000000-0000-4000-8000-000000000000", student.accessToken).status == 404)
        #expect(try enroll("nope", student.accessToken).status == 404)
    }

    @Test func enrollmentsArePrivateAndPaged() throws {
        let db = try TestEnvironment.connect()
        let student = try Factory.user(db)
        var ids: [String] = []
        for _ in 0..<3 {
            let id = try publishedCourse(db)
            _ = try enroll(id, student.accessToken)
            ids.append(id)
        }
        let first = try call(ListEnrollments.endpoint, "GET", "/api/v1/users/me/enrollments?limit=2", token: student.accessToken)
        guard case .array(let page1)? = first.data["items"] else {
            Issue.record("no items")
            return
        }
        #expect(page1.compactMap { $0["course"]?["id"]?.string } == [ids[2], ids[1]])
        let cursor = try #require(first.data["next_cursor"]?.string)
        let second = try call(
            ListEnrollments.endpoint, "GET", "/api/v1/users/me/enrollments?limit=2&cursor=\(cursor)", token: student.accessToken)
        guard case .array(let page2)? = second.data["items"] else {
            Issue.record("no items")
            return
        }
        #expect(page2.compactMap { $0["course"]?["id"]?.string } == [ids[0]])
        let other = try call(ListEnrollments.endpoint, "GET", "/api/v1/users/me/enrollments", token: try Factory.user(db).accessToken)
        #expect(other.data["items"] == .array([]))
        #expect(
            try call(ListEnrollments.endpoint, "GET", "/api/v1/users/me/enrollments?limit=500", token: student.accessToken).status == 422)
        #expect(try call(ListEnrollments.endpoint, "GET", "/api/v1/users/me/enrollments").status == 401)
    }

    @Test func wishlistSavesPublishedCoursesOnce() throws {
        let db = try TestEnvironment.connect()
        let student = try Factory.user(db)
        let id = try publishedCourse(db)
        let path = "/api/v1/users/me/wishlist/\(id)"
        #expect(try call(AddToWishlist.endpoint, "PUT", path, token: student.accessToken).status == 200)
        #expect(try call(AddToWishlist.endpoint, "PUT", path, token: student.accessToken).status == 200)
        let list = try call(ListWishlist.endpoint, "GET", "/api/v1/users/me/wishlist", token: student.accessToken)
        guard case .array(let items)? = list.data["items"] else {
            Issue.record("no items")
            return
        }
        #expect(items.compactMap { $0["course"]?["id"]?.string } == [id])
        #expect(try call(RemoveFromWishlist.endpoint, "DELETE", path, token: student.accessToken).status == 200)
        #expect(try call(ListWishlist.endpoint, "GET", "/api/v1/users/me/wishlist", token: student.accessToken).data["items"] == .array([]))
        let (_, draft) = try ReviewWorkflowTests().readyCourse(db)
        #expect(try call(AddToWishlist.endpoint, "PUT", "/api/v1/users/me/wishlist/\(draft)", token: student.accessToken).status == 404)
        #expect(try call(AddToWishlist.endpoint, "PUT", "/api/v1/users/me/wishlist/bad", token: student.accessToken).status == 404)
        #expect(try call(AddToWishlist.endpoint, "PUT", path).status == 401)
        #expect(try call(RemoveFromWishlist.endpoint, "DELETE", "/api/v1/users/me/wishlist/bad", token: student.accessToken).status == 404)
    }
}
