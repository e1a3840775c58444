import Auth
import Core
import Database
import Media
import Runtime

/// The editable fields of a lesson.
struct LessonInput {
    var title: String?
    var kind: String?
    var videoUrl: Patch<String>
    var materialsUrl: Patch<String>
    var subtitleUrl: Patch<String>
    var durationSeconds: Int?
    var isPreview: Bool?
    var isRequired: Bool?
    var body: Patch<String>
    var position: Int?
    /// Uploaded files (see `POST /uploads`) instead of, or besides, the URLs.
    var videoMediaId: Patch<String>
    var materialsMediaId: Patch<String>
    var subtitleMediaId: Patch<String>

    init(_ fields: inout Fields, creating: Bool) throws {
        title = creating ? fields.string("title", max: 120) : fields.optionalString("title", min: 1, max: 120)
        fields.checkDisplayText("title", title)
        kind = creating || fields.has("kind") ? fields.oneOf("kind", ["video", "article", "resource"]) : nil
        videoUrl = fields.patchString("video_url", max: 2048)
        materialsUrl = fields.patchString("materials_url", max: 2048)
        subtitleUrl = fields.patchString("subtitle_url", max: 2048)
        for (key, value) in [("video_url", videoUrl), ("materials_url", materialsUrl), ("subtitle_url", subtitleUrl)] {
            if let url = value.value, !isWebURL(url) { fields.fail(key, "must be an http(s) URL") }
        }
        durationSeconds = fields.has("duration_seconds") ? fields.int("duration_seconds", min: 0, max: 86_400) : nil
        isPreview = fields.has("is_preview") ? fields.bool("is_preview", default: false) : nil
        isRequired = fields.has("is_required") ? fields.bool("is_required", default: true) : nil
        body = fields.patchString("body", max: 100_000, multiline: true)
        position = fields.has("position") ? fields.int("position", min: 1, max: 10_000) : nil
        videoMediaId = fields.patchString("video_media_id", max: 36)
        materialsMediaId = fields.patchString("materials_media_id", max: 36)
        subtitleMediaId = fields.patchString("subtitle_media_id", max: 36)
        for (key, value) in [
            ("video_media_id", videoMediaId), ("materials_media_id", materialsMediaId), ("subtitle_media_id", subtitleMediaId),
        ] {
            if let id = value.value, !isUUID(id) { fields.fail(key, "must be an upload id") }
        }
        try fields.finish()
    }

    /// Refuses files that are not this course's ready uploads of the right purpose.
    func checkMedia(_ db: Connection, course: CourseView, caller: Caller) throws {
        let wanted: [(String, Patch<String>, MediaPurpose)] = [
            ("video_media_id", videoMediaId, .video), ("materials_media_id", materialsMediaId, .resource),
            ("subtitle_media_id", subtitleMediaId, .subtitle),
        ]
        for (field, value, purpose) in wanted {
            if let id = value.value { try attachableMedia(db, id: id, purpose: purpose, course: course, caller: caller, field: field) }
        }
    }
}

/// `POST /api/v1/modules/{id}/lessons`: adds a lesson to a module (at the end by default).
public enum CreateLesson {
    public static let endpoint = Endpoint(
        .post, "/api/v1/modules/{id}/lessons", access: .roles([.instructor, .admin]), body: 256 * KiB, handle)

    public static func handle(_ context: Context) throws -> Response {
        let caller = try context.user()
        let moduleId = try context.request.parameter("id")
        var fields = try Fields(context.request.json())
        let input = try LessonInput(&fields, creating: true)
        guard let title = input.title, let kind = input.kind else { throw APIError.invalid([]) }
        let lesson: LessonView = try context.transaction { db in
            let courseId = try Curriculum.courseOfModule(db, moduleId: moduleId)
            let course = try Curriculum.lockCourse(db, courseId: courseId, caller: caller)
            try input.checkMedia(db, course: course, caller: caller)
            let row = try db.query(
                """
                INSERT INTO lessons (module_id, course_id, title, kind, video_url, materials_url, subtitle_url, duration_seconds,
                                     is_preview, is_required, body, position, video_media_id, materials_media_id, subtitle_media_id)
                VALUES (\(moduleId), \(courseId), \(title), \(kind), \(input.videoUrl.value), \(input.materialsUrl.value),
                        \(input.subtitleUrl.value), \(input.durationSeconds ?? 0), \(input.isPreview ?? false), \(input.isRequired ?? true),
                        \(input.body.value),
                        (SELECT count(*) + 1 FROM lessons WHERE module_id = \(moduleId)),
                        \(input.videoMediaId.value)::uuid, \(input.materialsMediaId.value)::uuid, \(input.subtitleMediaId.value)::uuid)
                RETURNING id, position
                """
            ).one()
            let id = try row.string("id")
            if let position = input.position {
                _ = try Curriculum.move(db, table: .lessons, id: id, parentId: moduleId, from: try row.int("position"), to: position)
            }
            try db.execute("UPDATE courses SET updated_at = now() WHERE id = \(courseId)")
            return try LessonView(try db.query("SELECT \(fragment: LessonView.columns) FROM lessons l WHERE l.id = \(id)").one())
        }
        return .created(lesson, message: "Lesson added.")
    }
}

/// `PATCH /api/v1/lessons/{id}`: edits and/or moves a lesson within its module.
public enum UpdateLesson {
    public static let endpoint = Endpoint(.patch, "/api/v1/lessons/{id}", access: .roles([.instructor, .admin]), body: 256 * KiB, handle)

    public static func handle(_ context: Context) throws -> Response {
        let caller = try context.user()
        let id = try context.request.parameter("id")
        var fields = try Fields(context.request.json())
        let input = try LessonInput(&fields, creating: false)
        let lesson: LessonView = try context.transaction { db in
            let courseId = try Curriculum.courseOfLesson(db, lessonId: id)
            let course = try Curriculum.lockCourse(db, courseId: courseId, caller: caller)
            try input.checkMedia(db, course: course, caller: caller)
            let current = try LessonView(try db.query("SELECT \(fragment: LessonView.columns) FROM lessons l WHERE l.id = \(id)").one())
            try db.execute(
                """
                UPDATE lessons SET
                    title = coalesce(\(input.title), title),
                    kind = coalesce(\(input.kind), kind),
                    video_url = CASE WHEN \(input.videoUrl.isPresent) THEN \(input.videoUrl.value) ELSE video_url END,
                    materials_url = CASE WHEN \(input.materialsUrl.isPresent) THEN \(input.materialsUrl.value) ELSE materials_url END,
                    subtitle_url = CASE WHEN \(input.subtitleUrl.isPresent) THEN \(input.subtitleUrl.value) ELSE subtitle_url END,
                    duration_seconds = coalesce(\(input.durationSeconds), duration_seconds),
                    is_preview = coalesce(\(input.isPreview), is_preview),
                    is_required = coalesce(\(input.isRequired), is_required),
                    body = CASE WHEN \(input.body.isPresent) THEN \(input.body.value) ELSE body END,
                    video_media_id = CASE WHEN \(input.videoMediaId.isPresent) THEN \(input.videoMediaId.value)::uuid ELSE video_media_id END,
                    materials_media_id = CASE WHEN \(input.materialsMediaId.isPresent) THEN \(input.materialsMediaId.value)::uuid
                                         ELSE materials_media_id END,
                    subtitle_media_id = CASE WHEN \(input.subtitleMediaId.isPresent) THEN \(input.subtitleMediaId.value)::uuid
                                        ELSE subtitle_media_id END,
                    updated_at = now()
                WHERE id = \(id)
                """)
            if let position = input.position {
                _ = try Curriculum.move(db, table: .lessons, id: id, parentId: current.moduleId, from: current.position, to: position)
            }
            return try LessonView(try db.query("SELECT \(fragment: LessonView.columns) FROM lessons l WHERE l.id = \(id)").one())
        }
        return .ok(lesson, message: "Lesson updated.")
    }
}

/// `DELETE /api/v1/lessons/{id}`: removes a lesson; the rest of its module close ranks.
public enum DeleteLesson {
    public static let endpoint = Endpoint(.delete, "/api/v1/lessons/{id}", access: .roles([.instructor, .admin]), body: 1 * KiB, handle)

    public static func handle(_ context: Context) throws -> Response {
        let caller = try context.user()
        let id = try context.request.parameter("id")
        try context.transaction { db in
            let courseId = try Curriculum.courseOfLesson(db, lessonId: id)
            _ = try Curriculum.lockCourse(db, courseId: courseId, caller: caller)
            let row = try db.query("DELETE FROM lessons WHERE id = \(id) RETURNING module_id, position").one()
            try Curriculum.closeGap(db, table: .lessons, parentId: try row.string("module_id"), after: try row.int("position"))
        }
        return .message("Lesson removed.")
    }
}
