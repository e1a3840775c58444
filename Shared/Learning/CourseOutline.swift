import Core
import Database
import Synchronization

/// A course's outline as the progress page shows it: modules in order with their lessons,
/// quizzes and assignments, each item's fixed fields already written as JSON around the holes
/// that a learner's state fills (see `CourseProgressPage`). The same for every learner; it
/// changes only with `courses.outline_version` (infra/migrations/0026).
struct CourseOutline: Sendable {
    var courseId: String
    var version: Int
    var modules: [Module]

    struct Module: Sendable {
        var id: String
        /// `"title"` as a JSON string.
        var title: [UInt8]
        var lessons: [Lesson]
        var quizzes: [Quiz]
        var assignments: [Assignment]
    }

    /// `{"completed_at":…,"done":…` `middle` `,"position_seconds":…` `tail`
    struct Lesson: Sendable {
        var id: String
        var isRequired: Bool
        var middle: [UInt8]
        var tail: [UInt8]
    }

    /// `head` `,"attempts":…,"best_score":…` `middle` `,"passed":…` `tail`
    struct Quiz: Sendable {
        var id: String
        var isRequired: Bool
        var head: [UInt8]
        var middle: [UInt8]
        var tail: [UInt8]
    }

    /// `head` `,"passed":…,"points":…,"status":…` `tail`
    struct Assignment: Sendable {
        var id: String
        var isRequired: Bool
        var passPoints: Int
        var head: [UInt8]
        var tail: [UInt8]
    }

    /// The outline as of now, read in one snapshot (a repeatable-read transaction) with its version.
    static func load(_ db: Connection, courseId: String) throws -> CourseOutline {
        try db.transaction { db in
            try db.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            let version = try db.query("SELECT outline_version FROM courses WHERE id = \(courseId)").first?.int("outline_version") ?? -1
            var modules: [Module] = []
            var index: [String: Int] = [:]
            for row in try db.query("SELECT id, title FROM modules WHERE course_id = \(courseId) ORDER BY position").rows {
                let id = try row.string("id")
                index[id] = modules.count
                modules.append(Module(id: id, title: Array(try json(row.string("title")).utf8), lessons: [], quizzes: [], assignments: []))
            }
            for row in try db.query(
                """
                SELECT id, module_id, title, kind, duration_seconds, is_required FROM lessons
                WHERE course_id = \(courseId) ORDER BY module_id, position
                """
            ).rows {
                guard let module = index[try row.string("module_id")] else { continue }
                let id = try row.string("id")
                let required = try row.bool("is_required")
                modules[module].lessons.append(
                    Lesson(
                        id: id, isRequired: required,
                        middle: bytes(
                            ",\"duration_seconds\":", number(try row.optionalInt("duration_seconds")), ",\"id\":\"", id,
                            "\",\"is_required\":", String(required), ",\"kind\":", try json(row.string("kind"))),
                        tail: bytes(",\"title\":", try json(row.string("title")), "}")))
            }
            for row in try db.query(
                """
                SELECT id, module_id, title, after_lesson_id, is_required, max_attempts, pass_percent FROM quizzes
                WHERE course_id = \(courseId) ORDER BY created_at, id
                """
            ).rows {
                guard let module = index[try row.string("module_id")] else { continue }
                let id = try row.string("id")
                let required = try row.bool("is_required")
                modules[module].quizzes.append(
                    Quiz(
                        id: id, isRequired: required,
                        head: bytes("{\"after_lesson_id\":", try row.optionalString("after_lesson_id").map { "\"\($0)\"" } ?? "null"),
                        middle: bytes(
                            ",\"id\":\"", id, "\",\"is_required\":", String(required), ",\"max_attempts\":",
                            number(try row.optionalInt("max_attempts")), ",\"pass_percent\":", String(try row.int("pass_percent"))),
                        tail: bytes(",\"title\":", try json(row.string("title")), "}")))
            }
            for row in try db.query(
                """
                SELECT id, module_id, title, due_at, is_required, max_points, pass_points FROM assignments
                WHERE course_id = \(courseId) ORDER BY created_at, id
                """
            ).rows {
                guard let module = index[try row.string("module_id")] else { continue }
                let id = try row.string("id")
                let required = try row.bool("is_required")
                let passPoints = try row.int("pass_points")
                modules[module].assignments.append(
                    Assignment(
                        id: id, isRequired: required, passPoints: passPoints,
                        head: bytes(
                            "{\"due_at\":", try row.optionalTimestamp("due_at").map { "\"\($0)\"" } ?? "null", ",\"id\":\"", id,
                            "\",\"is_required\":", String(required), ",\"max_points\":", String(try row.int("max_points")),
                            ",\"pass_points\":", String(passPoints)),
                        tail: bytes(",\"title\":", try json(row.string("title")), "}")))
            }
            return CourseOutline(courseId: courseId, version: version, modules: modules)
        }
    }

    private static func json(_ text: String) throws -> String { String(decoding: try encodeJSON(text), as: UTF8.self) }
    private static func number(_ value: Int?) -> String { value.map(String.init) ?? "null" }
    private static func bytes(_ parts: String...) -> [UInt8] { Array(parts.joined().utf8) }
}

/// The outlines this process has built, one version per course, the least recently used dropped
/// past `capacity` courses. Only outlines are kept, never a learner's state; an entry is used
/// only when its version is the one the request's own statement read for that course.
enum CourseOutlineCache {
    static let capacity = 100

    private struct Store {
        var entries: [String: (outline: CourseOutline, used: UInt64)] = [:]
        var clock: UInt64 = 0
    }

    private static let store = Mutex(Store())

    static func outline(courseId: String) -> CourseOutline? {
        store.withLock { store in
            guard let entry = store.entries[courseId] else { return nil }
            store.clock += 1
            store.entries[courseId]?.used = store.clock
            return entry.outline
        }
    }

    static func keep(_ outline: CourseOutline) {
        store.withLock { store in
            store.clock += 1
            if store.entries[outline.courseId] == nil, store.entries.count >= capacity,
                let oldest = store.entries.min(by: { $0.value.used < $1.value.used })?.key
            {
                store.entries[oldest] = nil
            }
            store.entries[outline.courseId] = (outline, store.clock)
        }
    }

    /// Forgets every outline (tests).
    static func clear() { store.withLock { $0 = Store() } }
}
