import Core
import Courses
import Jobs
import Runtime
import TestSupport
import Testing

/// Every paginated list answers a cursor it did not hand out with 400 `bad_cursor`, never with
/// a database error.
@Suite struct MalformedCursorTests {
    static let uuid = "3f1c2a9e-6b7d-4c8e-9f10-2a3b4c5d6e7f"

    /// Base64url without padding, as the lists encode their cursors.
    static func encode(_ bytes: [UInt8]) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
        var out = ""
        var index = 0
        while index < bytes.count {
            let chunk = Array(bytes[index..<min(index + 3, bytes.count)])
            let value = chunk.enumerated().reduce(0) { $0 | Int($1.element) << (16 - 8 * $1.offset) }
            for position in 0...chunk.count { out.append(alphabet[(value >> (18 - 6 * position)) & 63]) }
            index += 3
        }
        return out
    }

    static func encode(_ text: String) -> String { encode(Array(text.utf8)) }

    /// Malformed cursors of the (time, id) lists.
    static let timeAndIdCursors: [String] = [
        "!!!!",  // not base64url
        "a",  // not a whole byte
        encode([0xFF, 0xFE, 0x7C]),  // not UTF-8
        encode("yesterday|\(uuid)"),  // time not a timestamp
        encode("2024-02-30 10:00:00+00|\(uuid)"),  // no such day
        encode("2023-02-29 10:00:00+00|\(uuid)"),  // not a leap year
        encode("2024-13-01 10:00:00+00|\(uuid)"),  // no such month
        encode("2024-05-01 24:00:00+00|\(uuid)"),  // no such hour
        encode("2024-05-01 10:00:00.1234567+00|\(uuid)"),  // past microseconds
        encode("2024-05-01 10:00:00|\(uuid)"),  // no zone
        encode("2024-05-01T10:00:00Z|\(uuid)"),  // another format
        encode("0000-01-01 00:00:00+00|\(uuid)"),  // no year 0
        encode("2024-05-01 10:00:00+00|not-a-uuid"),  // id not a uuid
        encode("2024-05-01 10:00:00+00|\(uuid.dropLast())g"),  // id not hex
        encode("2024-05-01 10:00:00+00"),  // one part
        encode("2024-05-01 10:00:00+00|\(uuid)|\(uuid)"),  // three parts
        encode("|\(uuid)"),  // empty time
    ]

    func expectBadCursor(_ response: TestResponse, _ cursor: String, _ list: String) {
        #expect(response.status == 400, "\(list) with cursor \(cursor): \(response.text)")
        #expect(response.code == "bad_cursor", "\(list) with cursor \(cursor)")
    }

    @Test func courseListsRefuseMalformedCursors() throws {
        let db = try TestEnvironment.connect()
        let instructor = try Factory.user(db, role: .instructor)
        let admin = try Factory.user(db, role: .admin)
        let student = try Factory.user(db)
        let lists: [(Endpoint, String, TestUser)] = [
            (ListInstructorCourses.endpoint, "/api/v1/instructor/courses", instructor),
            (ListCoursesForReview.endpoint, "/api/v1/admin/courses", admin),
            (ListEnrollments.endpoint, "/api/v1/users/me/enrollments", student),
            (ListWishlist.endpoint, "/api/v1/users/me/wishlist", student),
        ]
        for (handler, path, user) in lists {
            for cursor in Self.timeAndIdCursors {
                expectBadCursor(try call(handler, "GET", "\(path)?cursor=\(cursor)", token: user.accessToken), cursor, path)
            }
        }
    }

    @Test func courseListsAcceptEveryTimestampTheyHandOut() throws {
        let instructor = try Factory.user(TestEnvironment.connect(), role: .instructor)
        let times = [
            "2024-05-01 10:00:00+00", "2024-05-01 10:00:00.1+00", "2024-05-01 10:00:00.123456+00", "2024-02-29 23:59:59.5+00",
            "2000-02-29 00:00:00+00",
        ]
        for time in times {
            let cursor = Self.encode("\(time)|\(Self.uuid)")
            let response = try call(
                ListInstructorCourses.endpoint, "GET", "/api/v1/instructor/courses?cursor=\(cursor)", token: instructor.accessToken)
            #expect(response.status == 200, "\(time): \(response.text)")
        }
    }

    @Test func catalogSearchRefusesMalformedCursors() throws {
        let cursors = [
            "!!!!", Self.encode("o:"), Self.encode("o:20"), Self.encode("x:5"), Self.encode("5"),
            // Keyset cursors: another sort's, a key that is not the sort's type, a bad id, parts missing.
            Self.encode("k|popular|12|\(Self.uuid)"), Self.encode("k|newest|12|\(Self.uuid)"),
            Self.encode("k|newest|2024-13-01 10:00:00+00|\(Self.uuid)"), Self.encode("k|newest|2024-05-01 10:00:00+00|nope"),
            Self.encode("k|newest|2024-05-01 10:00:00+00"), Self.encode("k|newest||\(Self.uuid)"),
        ]
        for cursor in cursors {
            expectBadCursor(try call(SearchCourses.endpoint, "GET", "/api/v1/courses?cursor=\(cursor)"), cursor, "/api/v1/courses")
        }
    }

    @Test func jobListRefusesMalformedCursors() throws {
        let admin = try Factory.user(TestEnvironment.connect(), role: .admin)
        for cursor in ["abc", "-1", "0", "1.5", "99999999999999999999999", Self.encode("2024-05-01 10:00:00+00|\(Self.uuid)")] {
            expectBadCursor(
                try call(ListJobs.endpoint, "GET", "/api/v1/admin/jobs?cursor=\(cursor)", token: admin.accessToken), cursor,
                "/api/v1/admin/jobs")
        }
    }
}
