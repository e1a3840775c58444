import Auth
import Core
import Database
import Runtime
import TestSupport
import Testing

/// A published course with modules of lessons, made straight in the database for the learning
/// tests, plus the people around it: its instructor, learners, outsiders.
struct LearningCourse {
    var instructor: TestUser
    var id: String
    var modules: [String]
    var lessons: [String]

    static func make(
        _ db: Connection, modules: Int = 2, lessonsPerModule: Int = 2, status: String = "published", duration: Int = 600
    ) throws -> LearningCourse {
        let instructor = try Factory.user(db, role: .instructor)
        let id = try db.query(
            """
            INSERT INTO courses (instructor_id, title, status, published_at)
            VALUES (\(instructor.id), 'Learning test course', \(status), CASE WHEN \(status) = 'draft' THEN NULL ELSE now() END)
            RETURNING id
            """
        ).one().string("id")
        var moduleIds: [String] = []
        var lessonIds: [String] = []
        for m in 1...max(modules, 1) {
            let module = try db.query(
                "INSERT INTO modules (course_id, title, position) VALUES (\(id), \("Module \(m)"), \(m)) RETURNING id"
            )
            .one().string("id")
            moduleIds.append(module)
            for l in 0..<lessonsPerModule {
                lessonIds.append(
                    try db.query(
                        """
                        INSERT INTO lessons (module_id, course_id, title, kind, duration_seconds, position)
                        VALUES (\(module), \(id), \("Lesson \(m).\(l + 1)"), 'video', \(duration), \(l + 1)) RETURNING id
                        """
                    ).one().string("id"))
            }
        }
        return LearningCourse(instructor: instructor, id: id, modules: moduleIds, lessons: lessonIds)
    }

    /// A new student enrolled in the course.
    func learner(_ db: Connection) throws -> TestUser {
        let student = try Factory.user(db)
        try enroll(db, student)
        return student
    }

    func enroll(_ db: Connection, _ user: TestUser) throws {
        try db.execute("INSERT INTO enrollments (user_id, course_id, source) VALUES (\(user.id), \(id), 'free') ON CONFLICT DO NOTHING")
    }

    /// Jobs of a kind enqueued for this course (payloads mention its id).
    func jobs(_ db: Connection, kind: String, user: TestUser) throws -> [JSONValue] {
        try db.query(
            """
            SELECT payload::text AS payload FROM jobs
            WHERE kind = \(kind) AND payload->>'course_id' = \(id) AND payload->>'user_id' = \(user.id) ORDER BY id
            """
        ).rows.map { try JSONValue.parse(Array(try $0.string("payload").utf8)) }
    }

    func emailJobs(_ db: Connection, template: String, to user: TestUser) throws -> Int {
        try db.query("SELECT count(*)::int AS n FROM jobs WHERE kind = \("email.\(template)") AND payload->>'to' = \(user.email)")
            .one().int("n")
    }
}

extension TestResponse {
    /// The items of a list response.
    var items: [JSONValue] {
        if case .array(let items)? = data["items"] { return items }
        return []
    }
}

extension JSONValue {
    var array: [JSONValue] {
        if case .array(let items) = self { return items }
        return []
    }

    /// An object's keys, sorted (the shape of a response object).
    var objectKeys: [String] {
        if case .object(let fields) = self { return fields.keys.sorted() }
        return []
    }
}
