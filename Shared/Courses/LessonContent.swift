import Auth
import Core
import Database
import Media
import Runtime

/// A link to a lesson's file: signed and short-lived for uploaded files, as given for files
/// hosted elsewhere.
struct ContentLink: Encodable, Sendable {
    var url: String
    @Nullable var filename: String?
    @Nullable var contentType: String?
    @Nullable var expiresAt: String?
}

struct ResourceLink: Encodable, Sendable {
    var id: String
    var title: String
    var position: Int
    var filename: String
    var contentType: String
    var sizeBytes: Int
    var url: String
    var expiresAt: String
}

/// `GET /api/v1/lessons/{id}/content`: what a learner needs to take a lesson: the article
/// body and short-lived links to the video, materials, subtitles and resources. Only for
/// learners enrolled in the course, its instructor and admins, and for anyone when the lesson
/// is a free preview of a published course. Everyone else learns nothing about a course they
/// cannot see (404) or is told to enroll (401/403).
public enum GetLessonContent {
    public static let endpoint = Endpoint(.get, "/api/v1/lessons/{id}/content", access: .anyone, mode: .fastcgi, processes: 2, handle)

    public static func handle(_ context: Context) throws -> Response {
        let caller = try context.optionalCaller()
        let id = try context.request.parameter("id")
        guard isUUID(id) else { throw APIError.notFound("Lesson") }
        let db = try context.db()
        let row = try db.query(
            """
            SELECT l.id, l.course_id, l.title, l.kind, l.body, l.duration_seconds, l.is_preview, l.video_url, l.materials_url,
                   l.subtitle_url, c.status AS course_status, c.instructor_id,
                   v.object_key AS video_key, v.declared_type AS video_type, v.filename AS video_name, v.storage AS video_storage,
                   mt.object_key AS materials_key, mt.declared_type AS materials_type, mt.filename AS materials_name,
                   mt.storage AS materials_storage,
                   st.object_key AS subtitle_key, st.declared_type AS subtitle_type, st.filename AS subtitle_name,
                   st.storage AS subtitle_storage,
                   EXISTS (SELECT 1 FROM enrollments e WHERE e.course_id = l.course_id AND e.user_id = \(caller?.id)) AS enrolled
            FROM lessons l
            JOIN courses c ON c.id = l.course_id
            LEFT JOIN media v ON v.id = l.video_media_id AND v.status = 'ready'
            LEFT JOIN media mt ON mt.id = l.materials_media_id AND mt.status = 'ready'
            LEFT JOIN media st ON st.id = l.subtitle_media_id AND st.status = 'ready'
            WHERE l.id = \(id)
            """
        ).first
        guard let row else { throw APIError.notFound("Lesson") }
        let status = try row.string("course_status")
        let instructorId = try row.string("instructor_id")
        let isAuthor = caller?.role == .admin || caller?.id == instructorId
        // Learners keep what they enrolled in when a course is later unpublished or archived.
        let isEnrolled = try row.bool("enrolled")
        let enrolled = isEnrolled && ["published", "unpublished", "archived"].contains(status)
        let isPreview = try row.bool("is_preview")
        let preview = isPreview && status == "published"
        if !(isAuthor || enrolled || preview) {
            guard status == "published" else { throw APIError.notFound("Lesson") }
            guard caller != nil else { throw APIError.unauthorized }
            throw APIError(status: 403, code: "enrollment_required", message: "Enroll in this course to open this lesson.")
        }

        let resources = try db.query(
            """
            SELECT r.id, r.title, r.position, m.object_key, m.filename, m.declared_type, m.size_bytes, m.storage
            FROM lesson_resources r JOIN media m ON m.id = r.media_id
            WHERE r.lesson_id = \(id) AND m.status = 'ready'
            ORDER BY r.position
            """
        ).rows
        let uploaded = try ["video_key", "materials_key", "subtitle_key"].contains { try row.optionalString($0) != nil }
        let store = uploaded || !resources.isEmpty ? try MediaStore.from(context.config) : nil
        // Files of another store (before a change of MEDIA_STORAGE) cannot be linked.
        func here(_ storage: String?) -> Bool { storage == store?.name }
        let now = unixTime()

        func link(_ name: String, external: String, download: Bool) throws -> ContentLink? {
            if let key = try row.optionalString("\(name)_key"), let store, here(try row.optionalString("\(name)_storage")) {
                let filename = try row.string("\(name)_name")
                let signed = store.privateLink(key: key, downloadName: download ? filename : nil, now: now)
                return ContentLink(
                    url: signed.url, filename: filename, contentType: try row.string("\(name)_type"), expiresAt: signed.expiresAt)
            }
            return try row.optionalString(external).map { ContentLink(url: $0, filename: nil, contentType: nil, expiresAt: nil) }
        }
        let content = Content(
            lessonId: id, courseId: try row.string("course_id"), title: try row.string("title"), kind: try row.string("kind"),
            durationSeconds: try row.int("duration_seconds"), isPreview: try row.bool("is_preview"),
            body: try row.optionalString("body"),
            video: try link("video", external: "video_url", download: false),
            materials: try link("materials", external: "materials_url", download: true),
            subtitles: try link("subtitle", external: "subtitle_url", download: false),
            resources: try resources.filter { here(try $0.string("storage")) }.map { resource in
                let filename = try resource.string("filename")
                let signed = store!.privateLink(key: try resource.string("object_key"), downloadName: filename, now: now)
                return ResourceLink(
                    id: try resource.string("id"), title: try resource.string("title"), position: try resource.int("position"),
                    filename: filename, contentType: try resource.string("declared_type"), sizeBytes: try resource.int("size_bytes"),
                    url: signed.url, expiresAt: signed.expiresAt)
            })
        var response = Response.ok(content)
        // Signed links must not outlive their welcome in a shared cache.
        response.headers.append(("Cache-Control", "private, no-store"))
        return response
    }

    struct Content: Encodable, Sendable {
        var lessonId: String
        var courseId: String
        var title: String
        var kind: String
        var durationSeconds: Int
        var isPreview: Bool
        @Nullable var body: String?
        @Nullable var video: ContentLink?
        @Nullable var materials: ContentLink?
        @Nullable var subtitles: ContentLink?
        var resources: [ResourceLink]
    }
}

/// An uploaded file a course may use: ready, of the expected purpose, and uploaded by the
/// course's instructor (or by an admin acting on the course). Otherwise a 422 on `field`.
func attachableMedia(_ db: Connection, id: String, purpose: MediaPurpose, course: CourseView, caller: Caller, field: String) throws {
    let row = isUUID(id) ? try db.query("SELECT owner_id, purpose, status FROM media WHERE id = \(id)").first : nil
    guard let row, try row.string("purpose") == purpose.rawValue, try row.string("status") == "ready" else {
        throw APIError.invalid(field: field, "must be a ready \(purpose.rawValue) upload")
    }
    let owner = try row.string("owner_id")
    guard owner == course.instructorId || (caller.role == .admin && owner == caller.id) else {
        throw APIError.invalid(field: field, "must be a ready \(purpose.rawValue) upload")
    }
}

/// A downloadable resource of a lesson, as authors see it.
public struct ResourceView: Encodable, Sendable {
    public var id: String
    public var lessonId: String
    public var mediaId: String
    public var title: String
    public var position: Int

    static let columns: SQL = "r.id, r.lesson_id, r.media_id, r.title, r.position"

    init(_ row: Row) throws {
        id = try row.string("id")
        lessonId = try row.string("lesson_id")
        mediaId = try row.string("media_id")
        title = try row.string("title")
        position = try row.int("position")
    }
}

/// `POST /api/v1/lessons/{id}/resources`: attaches an uploaded file as a downloadable resource.
public enum AddLessonResource {
    public static let endpoint = Endpoint(
        .post, "/api/v1/lessons/{id}/resources", access: .roles([.instructor, .admin]), body: 4 * KiB, handle)

    public static func handle(_ context: Context) throws -> Response {
        let caller = try context.user()
        let lessonId = try context.request.parameter("id")
        var fields = try Fields(context.request.json())
        let mediaId = fields.string("media_id", max: 36)
        let title = fields.optionalString("title", min: 1, max: 120)
        fields.checkDisplayText("title", title)
        let position = fields.has("position") ? fields.int("position", min: 1, max: 10_000) : nil
        try fields.finish()
        guard let mediaId else { throw APIError.invalid([]) }
        let resource: ResourceView = try context.transaction { db in
            let courseId = try Curriculum.courseOfLesson(db, lessonId: lessonId)
            let course = try Curriculum.lockCourse(db, courseId: courseId, caller: caller)
            try attachableMedia(db, id: mediaId, purpose: .resource, course: course, caller: caller, field: "media_id")
            let row = try db.query(
                """
                INSERT INTO lesson_resources (lesson_id, course_id, media_id, title, position)
                VALUES (\(lessonId), \(courseId), \(mediaId),
                        coalesce(\(title), (SELECT left(filename, 120) FROM media WHERE id = \(mediaId))),
                        (SELECT count(*) + 1 FROM lesson_resources WHERE lesson_id = \(lessonId)))
                RETURNING id, position
                """
            ).one()
            let id = try row.string("id")
            if let position {
                _ = try Curriculum.move(db, table: .resources, id: id, parentId: lessonId, from: try row.int("position"), to: position)
            }
            try db.execute("UPDATE courses SET updated_at = now() WHERE id = \(courseId)")
            return try ResourceView(
                try db.query("SELECT \(fragment: ResourceView.columns) FROM lesson_resources r WHERE r.id = \(id)").one())
        }
        return .created(resource, message: "Resource added.")
    }
}

/// `PATCH /api/v1/resources/{id}`: renames and/or moves a resource within its lesson.
public enum UpdateLessonResource {
    public static let endpoint = Endpoint(.patch, "/api/v1/resources/{id}", access: .roles([.instructor, .admin]), body: 4 * KiB, handle)

    public static func handle(_ context: Context) throws -> Response {
        let caller = try context.user()
        let id = try context.request.parameter("id")
        var fields = try Fields(context.request.json())
        let title = fields.optionalString("title", min: 1, max: 120)
        fields.checkDisplayText("title", title)
        let position = fields.has("position") ? fields.int("position", min: 1, max: 10_000) : nil
        try fields.finish()
        let resource: ResourceView = try context.transaction { db in
            _ = try Curriculum.lockCourse(db, courseId: try Curriculum.courseOfResource(db, resourceId: id), caller: caller)
            let current = try ResourceView(
                try db.query("SELECT \(fragment: ResourceView.columns) FROM lesson_resources r WHERE r.id = \(id)").one())
            if let title { try db.execute("UPDATE lesson_resources SET title = \(title) WHERE id = \(id)") }
            if let position {
                _ = try Curriculum.move(db, table: .resources, id: id, parentId: current.lessonId, from: current.position, to: position)
            }
            return try ResourceView(
                try db.query("SELECT \(fragment: ResourceView.columns) FROM lesson_resources r WHERE r.id = \(id)").one())
        }
        return .ok(resource, message: "Resource updated.")
    }
}

/// `DELETE /api/v1/resources/{id}`: detaches a resource (the uploaded file stays with its owner).
public enum DeleteLessonResource {
    public static let endpoint = Endpoint(.delete, "/api/v1/resources/{id}", access: .roles([.instructor, .admin]), body: 1 * KiB, handle)

    public static func handle(_ context: Context) throws -> Response {
        let caller = try context.user()
        let id = try context.request.parameter("id")
        try context.transaction { db in
            _ = try Curriculum.lockCourse(db, courseId: try Curriculum.courseOfResource(db, resourceId: id), caller: caller)
            let row = try db.query("DELETE FROM lesson_resources WHERE id = \(id) RETURNING lesson_id, position").one()
            try Curriculum.closeGap(db, table: .resources, parentId: try row.string("lesson_id"), after: try row.int("position"))
        }
        return .message("Resource removed.")
    }
}
