import Auth
import Core
import Database
import Runtime

/// A module as authors see it.
public struct ModuleView: Encodable, Sendable {
    public var id: String
    public var courseId: String
    public var title: String
    public var position: Int

    static let columns: SQL = "m.id, m.course_id, m.title, m.position"

    init(_ row: Row) throws {
        id = try row.string("id")
        courseId = try row.string("course_id")
        title = try row.string("title")
        position = try row.int("position")
    }
}

/// A lesson as authors see it (links included: authors may see their own content).
public struct LessonView: Encodable, Sendable {
    public var id: String
    public var moduleId: String
    public var courseId: String
    public var title: String
    public var kind: String
    @Nullable public var videoUrl: String?
    @Nullable public var materialsUrl: String?
    @Nullable public var subtitleUrl: String?
    public var durationSeconds: Int
    public var isPreview: Bool
    /// Counts toward completion (and the progress percent).
    public var isRequired: Bool
    @Nullable public var body: String?
    public var position: Int
    @Nullable public var videoMediaId: String?
    @Nullable public var materialsMediaId: String?
    @Nullable public var subtitleMediaId: String?

    static let columns: SQL = """
        l.id, l.module_id, l.course_id, l.title, l.kind, l.video_url, l.materials_url, l.subtitle_url, l.duration_seconds,
        l.is_preview, l.is_required, l.body, l.position, l.video_media_id, l.materials_media_id, l.subtitle_media_id
        """

    init(_ row: Row) throws {
        id = try row.string("id")
        moduleId = try row.string("module_id")
        courseId = try row.string("course_id")
        title = try row.string("title")
        kind = try row.string("kind")
        videoUrl = try row.optionalString("video_url")
        materialsUrl = try row.optionalString("materials_url")
        subtitleUrl = try row.optionalString("subtitle_url")
        durationSeconds = try row.int("duration_seconds")
        isPreview = try row.bool("is_preview")
        isRequired = try row.bool("is_required")
        body = try row.optionalString("body")
        position = try row.int("position")
        videoMediaId = try row.optionalString("video_media_id")
        materialsMediaId = try row.optionalString("materials_media_id")
        subtitleMediaId = try row.optionalString("subtitle_media_id")
    }
}

/// The course behind a module or lesson, locked for a structural change by someone allowed to
/// make it (404 for everyone else, and for a course under review or archived: 409).
enum Curriculum {
    static func lockCourse(_ db: Connection, courseId: String, caller: Caller) throws -> CourseView {
        let course = try editableCourse(db, id: courseId, caller: caller, lock: true)
        guard course.status != "submitted" && course.status != "archived" else {
            throw APIError.conflict("A course that is \(course.status) cannot be edited.", code: "course_locked")
        }
        return course
    }

    /// The course id of a module, or 404.
    static func courseOfModule(_ db: Connection, moduleId: String) throws -> String {
        guard isUUID(moduleId), let row = try db.query("SELECT course_id FROM modules WHERE id = \(moduleId)").first else {
            throw APIError.notFound("Module")
        }
        return try row.string("course_id")
    }

    /// The course id of a lesson, or 404.
    static func courseOfLesson(_ db: Connection, lessonId: String) throws -> String {
        guard isUUID(lessonId), let row = try db.query("SELECT course_id FROM lessons WHERE id = \(lessonId)").first else {
            throw APIError.notFound("Lesson")
        }
        return try row.string("course_id")
    }

    /// The course id of a lesson resource, or 404.
    static func courseOfResource(_ db: Connection, resourceId: String) throws -> String {
        guard isUUID(resourceId), let row = try db.query("SELECT course_id FROM lesson_resources WHERE id = \(resourceId)").first else {
            throw APIError.notFound("Resource")
        }
        return try row.string("course_id")
    }

    /// Moves an item to `target` (clamped to 1...count) among its siblings, shifting the others so
    /// positions stay 1...count. `table` and `parent` are fixed names, never input.
    static func move(_ db: Connection, table: MoveTable, id: String, parentId: String, from: Int, to target: Int) throws -> Int {
        let count = try db.query(table.countSQL(parentId)).one().int("n")
        let to = min(max(target, 1), count)
        guard to != from else { return to }
        try db.execute(table.shiftSQL(parentId: parentId, from: from, to: to))
        try db.execute(table.placeSQL(id: id, position: to))
        return to
    }

    /// Closes the gap a removed item left.
    static func closeGap(_ db: Connection, table: MoveTable, parentId: String, after position: Int) throws {
        try db.execute(table.closeGapSQL(parentId: parentId, after: position))
    }
}

/// The positioned tables, with their statements written out (no SQL built from input).
enum MoveTable {
    case modules, lessons, resources

    func countSQL(_ parent: String) -> SQL {
        switch self {
        case .modules: return "SELECT count(*)::int AS n FROM modules WHERE course_id = \(parent)"
        case .lessons: return "SELECT count(*)::int AS n FROM lessons WHERE module_id = \(parent)"
        case .resources: return "SELECT count(*)::int AS n FROM lesson_resources WHERE lesson_id = \(parent)"
        }
    }

    func shiftSQL(parentId: String, from: Int, to: Int) -> SQL {
        // Moving up (to < from): the ones in [to, from) go down by one; moving down: (from, to] go up.
        let delta = to < from ? 1 : -1
        let low = min(from, to)
        let high = max(from, to)
        switch self {
        case .modules:
            return """
                UPDATE modules SET position = position + \(delta), updated_at = now()
                WHERE course_id = \(parentId) AND position BETWEEN \(low) AND \(high) AND position <> \(from)
                """
        case .lessons:
            return """
                UPDATE lessons SET position = position + \(delta), updated_at = now()
                WHERE module_id = \(parentId) AND position BETWEEN \(low) AND \(high) AND position <> \(from)
                """
        case .resources:
            return """
                UPDATE lesson_resources SET position = position + \(delta)
                WHERE lesson_id = \(parentId) AND position BETWEEN \(low) AND \(high) AND position <> \(from)
                """
        }
    }

    func placeSQL(id: String, position: Int) -> SQL {
        switch self {
        case .modules: return "UPDATE modules SET position = \(position), updated_at = now() WHERE id = \(id)"
        case .lessons: return "UPDATE lessons SET position = \(position), updated_at = now() WHERE id = \(id)"
        case .resources: return "UPDATE lesson_resources SET position = \(position) WHERE id = \(id)"
        }
    }

    func closeGapSQL(parentId: String, after position: Int) -> SQL {
        switch self {
        case .modules: return "UPDATE modules SET position = position - 1 WHERE course_id = \(parentId) AND position > \(position)"
        case .lessons: return "UPDATE lessons SET position = position - 1 WHERE module_id = \(parentId) AND position > \(position)"
        case .resources:
            return "UPDATE lesson_resources SET position = position - 1 WHERE lesson_id = \(parentId) AND position > \(position)"
        }
    }
}
