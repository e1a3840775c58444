import Auth
import Core
import Database
import Runtime

/// `GET /api/v1/courses/{id}`: a course's details, its instructor's public profile and the
/// curriculum outline (titles, kinds, durations, preview flags; never lesson links or bodies).
/// Anyone sees published courses; other states only their instructor and admins (404 for the
/// rest, as if they did not exist).
public enum GetCourse {
    public static let endpoint = Endpoint(.get, "/api/v1/courses/{id}", access: .anyone, mode: .fastcgi, processes: 2, handle)

    struct Instructor: Encodable, Sendable {
        var id: String
        var name: String
        var headline: String?
        var avatarUrl: String?

        enum CodingKeys: String, CodingKey { case id, name, headline, avatarUrl }
        func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(id, forKey: .id)
            try c.encode(name, forKey: .name)
            try c.encode(headline, forKey: .headline)
            try c.encode(avatarUrl, forKey: .avatarUrl)
        }
    }

    struct OutlineLesson: Encodable, Sendable {
        var id: String
        var title: String
        var kind: String
        var durationSeconds: Int
        var isPreview: Bool
        var position: Int
    }

    struct OutlineModule: Encodable, Sendable {
        var id: String
        var title: String
        var position: Int
        var lessons: [OutlineLesson]
    }

    struct Detail: Encodable, Sendable {
        var course: CourseView
        var instructor: Instructor
        var curriculum: [OutlineModule]
        var lessonCount: Int
        var totalDurationSeconds: Int
    }

    public static func handle(_ context: Context) throws -> Response {
        let id = try context.request.parameter("id")
        guard isUUID(id) else { throw APIError.notFound("Course") }
        let caller = try context.optionalCaller()
        let db = try context.db()
        guard let row = try db.query("SELECT \(fragment: CourseView.columns) FROM courses c WHERE c.id = \(id)").first else {
            throw APIError.notFound("Course")
        }
        let course = try CourseView(row)
        let mayDraft = caller.map { $0.id == course.instructorId || $0.role == .admin } ?? false
        guard course.status == "published" || mayDraft else { throw APIError.notFound("Course") }

        let person = try db.query("SELECT id, name, headline, avatar_url FROM users WHERE id = \(course.instructorId)").one()
        let instructor = Instructor(
            id: try person.string("id"), name: try person.string("name"), headline: try person.optionalString("headline"),
            avatarUrl: try person.optionalString("avatar_url"))
        let rows = try db.query(
            """
            SELECT m.id AS module_id, m.title AS module_title, m.position AS module_position,
                   l.id, l.title, l.kind, l.duration_seconds, l.is_preview, l.position
            FROM modules m LEFT JOIN lessons l ON l.module_id = m.id
            WHERE m.course_id = \(id)
            ORDER BY m.position, l.position
            """
        ).rows
        var modules: [OutlineModule] = []
        for row in rows {
            let moduleId = try row.string("module_id")
            if modules.last?.id != moduleId {
                modules.append(
                    OutlineModule(
                        id: moduleId, title: try row.string("module_title"), position: try row.int("module_position"), lessons: []))
            }
            if let lessonId = try row.optionalString("id") {
                modules[modules.count - 1].lessons.append(
                    OutlineLesson(
                        id: lessonId, title: try row.string("title"), kind: try row.string("kind"),
                        durationSeconds: try row.int("duration_seconds"), isPreview: try row.bool("is_preview"),
                        position: try row.int("position")))
            }
        }
        let lessons = modules.flatMap(\.lessons)
        return .ok(
            Detail(
                course: course, instructor: instructor, curriculum: modules, lessonCount: lessons.count,
                totalDurationSeconds: lessons.reduce(0) { $0 + $1.durationSeconds }))
    }
}
