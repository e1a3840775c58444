import Auth
import Core
import Database
import Learning
import Media
import Runtime

/// An assignment's settings.
struct AssignmentView: Encodable, Sendable {
    var id: String
    var moduleId: String
    var courseId: String
    var title: String
    var instructions: String
    @Nullable var dueAt: String?
    var maxPoints: Int
    var passPoints: Int
    var fileKinds: [String]
    var allowLate: Bool
    var isRequired: Bool
    var createdAt: String

    static let columns: SQL = """
        s.id, s.module_id, s.course_id, s.title, s.instructions, s.due_at, s.max_points, s.pass_points,
        array_to_string(s.file_kinds, ',') AS file_kinds, s.allow_late, s.is_required, s.created_at
        """

    init(_ row: Row) throws {
        id = try row.string("id")
        moduleId = try row.string("module_id")
        courseId = try row.string("course_id")
        title = try row.string("title")
        instructions = try row.string("instructions")
        dueAt = try row.optionalTimestamp("due_at")
        maxPoints = try row.int("max_points")
        passPoints = try row.int("pass_points")
        fileKinds = try row.string("file_kinds").split(separator: ",").map(String.init)
        allowLate = try row.bool("allow_late")
        isRequired = try row.bool("is_required")
        createdAt = try row.timestamp("created_at")
    }

    static func load(_ db: Connection, id: String) throws -> AssignmentView {
        guard isUUID(id), let row = try db.query("SELECT \(fragment: columns) FROM assignments s WHERE s.id = \(id)").first else {
            throw APIError.notFound("Assignment")
        }
        return try AssignmentView(row)
    }
}

/// A file of a submission: a short-lived signed link, as lesson media.
struct SubmissionFile: Encodable, Sendable {
    var mediaId: String
    var filename: String
    var contentType: String
    var sizeBytes: Int
    @Nullable var url: String?
    @Nullable var expiresAt: String?
}

/// A submission as its learner, the course's instructor and admins see it.
struct SubmissionView: Encodable, Sendable {
    var id: String
    var assignmentId: String
    var userId: String
    @Nullable var learnerName: String?
    @Nullable var body: String?
    var files: [SubmissionFile]
    var submittedAt: String
    var isLate: Bool
    /// `submitted` (waiting for a grade), `superseded` (resubmitted since) or `graded`.
    var status: String
    @Nullable var points: Int?
    @Nullable var feedback: String?
    @Nullable var gradedAt: String?

    static let columns: SQL = """
        x.id, x.assignment_id, x.user_id, u.name AS learner_name, x.body, x.submitted_at, x.is_late, x.status, x.points, x.feedback,
        x.graded_at, x.submitted_at::text AS cursor_time
        """

    /// Views of `rows` (selected with `columns`, joined to `users u`) with their files' links.
    static func build(_ db: Connection, _ rows: [Row], config: Config, showName: Bool) throws -> [SubmissionView] {
        let ids = try rows.map { try $0.string("id") }
        var files: [String: [SubmissionFile]] = [:]
        if !ids.isEmpty {
            let fileRows = try db.query(
                """
                SELECT f.submission_id, m.id, m.filename, m.declared_type, m.size_bytes, m.object_key, m.storage
                FROM submission_files f JOIN media m ON m.id = f.media_id
                WHERE f.submission_id = ANY(\(TextArray(ids))::uuid[])
                ORDER BY f.submission_id, f.position
                """
            ).rows
            let store = fileRows.isEmpty ? nil : try MediaStore.from(config)
            let now = unixTime()
            for row in fileRows {
                let filename = try row.string("filename")
                // A file of another store (before a change of MEDIA_STORAGE) cannot be linked.
                let link =
                    try row.string("storage") == store?.name
                    ? store?.privateLink(key: try row.string("object_key"), downloadName: filename, now: now) : nil
                files[try row.string("submission_id"), default: []].append(
                    SubmissionFile(
                        mediaId: try row.string("id"), filename: filename, contentType: try row.string("declared_type"),
                        sizeBytes: try row.int("size_bytes"), url: link?.url, expiresAt: link?.expiresAt))
            }
        }
        return try rows.map { row in
            let id = try row.string("id")
            return SubmissionView(
                id: id, assignmentId: try row.string("assignment_id"), userId: try row.string("user_id"),
                learnerName: showName ? try row.string("learner_name") : nil, body: try row.optionalString("body"),
                files: files[id] ?? [], submittedAt: try row.timestamp("submitted_at"), isLate: try row.bool("is_late"),
                status: try row.string("status"), points: try row.optionalInt("points"), feedback: try row.optionalString("feedback"),
                gradedAt: try row.optionalTimestamp("graded_at"))
        }
    }
}
