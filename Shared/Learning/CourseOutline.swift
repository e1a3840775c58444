import Core
import Database

/// A course's outline as the progress page shows it: modules in order with their lessons,
/// quizzes and assignments, each item's fixed fields already written as JSON around the holes
/// that a learner's state fills (see `CourseProgressPage`). The same for every learner; it
/// changes only with `courses.outline_version` (infra/migrations/0027).
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

    /// The outline as of now with its version, in one statement (one snapshot): the course row
    /// first, then modules, lessons, quizzes and assignments, each in page order.
    static func load(_ db: Connection, courseId: String) throws -> CourseOutline {
        let rows = try db.query(
            """
            SELECT 0 AS part, c.outline_version AS number, NULL::timestamptz AS created, NULL::uuid AS id, NULL::uuid AS module_id,
                   NULL::text AS title, NULL::text AS kind, NULL::int AS duration, NULL::boolean AS required, NULL::uuid AS after,
                   NULL::int AS max, NULL::int AS pass, NULL::timestamptz AS due
            FROM courses c WHERE c.id = \(courseId)
            UNION ALL
            SELECT 1, m.position, NULL, m.id, NULL, m.title, NULL, NULL, NULL, NULL, NULL, NULL, NULL
            FROM modules m WHERE m.course_id = \(courseId)
            UNION ALL
            SELECT 2, l.position, NULL, l.id, l.module_id, l.title, l.kind, l.duration_seconds, l.is_required, NULL, NULL, NULL, NULL
            FROM lessons l WHERE l.course_id = \(courseId)
            UNION ALL
            SELECT 3, NULL, q.created_at, q.id, q.module_id, q.title, NULL, NULL, q.is_required, q.after_lesson_id, q.max_attempts,
                   q.pass_percent, NULL
            FROM quizzes q WHERE q.course_id = \(courseId)
            UNION ALL
            SELECT 4, NULL, s.created_at, s.id, s.module_id, s.title, NULL, NULL, s.is_required, NULL, s.max_points, s.pass_points,
                   s.due_at
            FROM assignments s WHERE s.course_id = \(courseId)
            ORDER BY part, number, created, id
            """
        ).rows
        var outline = CourseOutline(courseId: courseId, version: -1, modules: [])
        var index: [String: Int] = [:]
        for row in rows {
            let part = try row.int("part")
            if part == 0 {
                outline.version = try row.int("number")
                continue
            }
            let id = try row.string("id")
            let title = try json(row.string("title"))
            if part == 1 {
                index[id] = outline.modules.count
                outline.modules.append(Module(id: id, title: Array(title.utf8), lessons: [], quizzes: [], assignments: []))
                continue
            }
            guard let module = index[try row.string("module_id")] else { continue }
            let required = try row.bool("required")
            let tail = bytes(",\"title\":", title, "}")
            switch part {
            case 2:
                outline.modules[module].lessons.append(
                    Lesson(
                        id: id, isRequired: required,
                        middle: bytes(
                            ",\"duration_seconds\":", number(try row.optionalInt("duration")), ",\"id\":\"", id, "\",\"is_required\":",
                            String(required), ",\"kind\":", try json(row.string("kind"))),
                        tail: tail))
            case 3:
                outline.modules[module].quizzes.append(
                    Quiz(
                        id: id, isRequired: required,
                        head: bytes("{\"after_lesson_id\":", try row.optionalString("after").map { "\"\($0)\"" } ?? "null"),
                        middle: bytes(
                            ",\"id\":\"", id, "\",\"is_required\":", String(required), ",\"max_attempts\":",
                            number(try row.optionalInt("max")), ",\"pass_percent\":", String(try row.int("pass"))),
                        tail: tail))
            default:
                let passPoints = try row.int("pass")
                outline.modules[module].assignments.append(
                    Assignment(
                        id: id, isRequired: required, passPoints: passPoints,
                        head: bytes(
                            "{\"due_at\":", try row.optionalTimestamp("due").map { "\"\($0)\"" } ?? "null", ",\"id\":\"", id,
                            "\",\"is_required\":", String(required), ",\"max_points\":", String(try row.int("max")),
                            ",\"pass_points\":", String(passPoints)),
                        tail: tail))
            }
        }
        return outline
    }

    private static func json(_ text: String) throws -> String { String(decoding: try encodeJSON(text), as: UTF8.self) }
    private static func number(_ value: Int?) -> String { value.map(String.init) ?? "null" }
    private static func bytes(_ parts: String...) -> [UInt8] { Array(parts.joined().utf8) }
}
