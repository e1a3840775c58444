import Auth
import Core
import Crypto
import Database
import Queue
import Runtime

#if canImport(Glibc)
    import Glibc
#endif

/// An uploaded file as its owner sees it.
public struct MediaView: Encodable, Sendable {
    public var id: String
    public var purpose: String
    public var filename: String
    public var contentType: String
    public var sizeBytes: Int
    public var status: String
    @Nullable public var rejectReason: String?
    /// The permanent address of a public file once it is ready; nil for private files (they
    /// are reached through short-lived links only).
    @Nullable public var url: String?
    public var createdAt: String

    public static let columns: SQL = """
        m.id, m.owner_id, m.purpose, m.storage, m.object_key, m.filename, m.declared_type, m.size_bytes, m.status,
        m.reject_reason, m.created_at
        """

    init(_ row: Row, store: MediaStore) throws {
        id = try row.string("id")
        purpose = try row.string("purpose")
        filename = try row.string("filename")
        contentType = try row.string("declared_type")
        sizeBytes = try row.int("size_bytes")
        status = try row.string("status")
        rejectReason = try row.optionalString("reject_reason")
        let isPublic = MediaPurpose(rawValue: purpose)?.isPublic ?? false
        let here = try row.string("storage") == store.name
        url = isPublic && status == "ready" && here ? store.publicURL(key: try row.string("object_key")) : nil
        createdAt = try row.timestamp("created_at")
    }
}

/// The media row of `id` that the caller owns (admins: any), or 404.
func ownedMedia(_ db: Connection, id: String, caller: Caller, lock: Bool = false) throws -> Row {
    guard isUUID(id) else { throw APIError.notFound("Upload") }
    let row =
        lock
        ? try db.query("SELECT \(fragment: MediaView.columns) FROM media m WHERE m.id = \(id) FOR UPDATE").first
        : try db.query("SELECT \(fragment: MediaView.columns) FROM media m WHERE m.id = \(id)").first
    guard let row else { throw APIError.notFound("Upload") }
    let owner = try row.string("owner_id")
    guard caller.role == .admin || owner == caller.id else { throw APIError.notFound("Upload") }
    return row
}

/// `POST /api/v1/uploads`: asks to upload a file. Answers where to send the bytes: a presigned
/// S3 PUT, or the local streaming upload function, both with the size and type pinned.
public enum CreateUpload {
    public static let endpoint = Endpoint(.post, "/api/v1/uploads", access: .signedIn, body: 4 * KiB, handle)

    /// Uploads a user may have waiting at once (requested, not yet sent or checked).
    static let pendingLimit = 20
    /// Students upload avatars only; instructors and admins get `MEDIA_QUOTA_MB` (100 GiB).
    static let studentQuota = 50 << 20

    public static func handle(_ context: Context) throws -> Response {
        let caller = try context.user()
        var fields = try Fields(context.request.json())
        let purpose = fields.oneOf("purpose", MediaPurpose.allCases.map(\.rawValue)).flatMap(MediaPurpose.init(rawValue:))
        let rawFilename = fields.string("filename", max: maxFilename)
        let contentType = fields.string("content_type", max: 100)?.lowercased()
        let size = fields.int("size_bytes", min: 1, max: Int(Int32.max) * 4)
        if let purpose, let contentType, !purpose.contentTypes.contains(contentType) {
            fields.fail("content_type", "must be one of " + purpose.contentTypes.joined(separator: ", "))
        }
        try fields.finish()
        guard let purpose, let rawFilename, let contentType, let size else { throw APIError.invalid([]) }
        guard purpose.allows(caller.role) else { throw APIError.forbidden }
        try caller.requireVerifiedEmail()
        let filename = cleanFilename(rawFilename, contentType: contentType)
        guard size <= purpose.maxBytes else {
            throw APIError(
                status: 413, code: "file_too_large", message: "A \(purpose.rawValue) may be at most \(purpose.maxBytes >> 20) MiB.")
        }
        let store = try MediaStore.from(context.config)
        let now = unixTime()
        let quota = caller.role == .student ? studentQuota : context.config.int("MEDIA_QUOTA_MB", default: 102_400) << 20
        let (media, target): (MediaView, MediaStore.UploadTarget) = try context.transaction { db in
            // The caller's row lock: concurrent requests of one user are counted one after another.
            try db.execute("SELECT 1 FROM users WHERE id = \(caller.id) FOR UPDATE")
            let usage = try db.query(
                """
                SELECT count(*) FILTER (WHERE status IN ('pending', 'uploading', 'verifying'))::int AS waiting,
                       coalesce(sum(size_bytes) FILTER (WHERE status <> 'rejected'), 0)::int8 AS bytes
                FROM media WHERE owner_id = \(caller.id)
                """
            ).one()
            guard try usage.int("waiting") < pendingLimit else {
                throw APIError.tooManyRequests(retryAfter: 3600, message: "Finish or abandon your other uploads first.")
            }
            guard try usage.int("bytes") + size <= quota else {
                throw APIError.conflict(
                    "Your uploads would exceed your storage quota of \(quota >> 20) MiB.", code: "quota_exceeded")
            }
            let id = try db.query("SELECT gen_random_uuid()::text AS id").one().string("id")
            let key = "\(purpose.isPublic ? "public" : "private")/\(purpose.rawValue)/\(id).\(fileExtension(for: contentType))"
            try db.execute(
                """
                INSERT INTO media (id, owner_id, purpose, storage, object_key, filename, declared_type, size_bytes)
                VALUES (\(id), \(caller.id), \(purpose.rawValue), \(store.name), \(key), \(filename), \(contentType), \(size))
                """)
            let row = try db.query("SELECT \(fragment: MediaView.columns) FROM media m WHERE m.id = \(id)").one()
            let target = store.uploadTarget(mediaId: id, key: key, contentType: contentType, size: size, now: now)
            return (try MediaView(row, store: store), target)
        }
        return .created(Created(media: media, upload: target), message: "Send the file to the upload URL.")
    }

    struct Created: Encodable, Sendable {
        var media: MediaView
        var upload: MediaStore.UploadTarget
    }

    /// The longest stored name, in code points (the column's CHECK).
    static let maxFilename = 200

    /// A name to offer for download: the last path component, without control, format
    /// (bidirectional overrides) or quote characters, ending in the extension of the type the
    /// file was checked to be (`syllabus.pdf.cmd` is offered as `syllabus.pdf`), shortened
    /// before the extension when adding it would pass `maxFilename`.
    static func cleanFilename(_ name: String, contentType: String) -> String {
        let base = name.split(whereSeparator: { $0 == "/" || $0 == "\\" }).last.map(String.init) ?? ""
        let kept = base.unicodeScalars.filter {
            $0.value >= 0x20 && $0.value != 0x7F && $0 != "\"" && $0.properties.generalCategory != .format
        }
        var cleaned = String(String.UnicodeScalarView(kept)).trimmed()
        let suffix = "." + fileExtension(for: contentType)
        if !cleaned.lowercased().hasSuffix(suffix) {
            if let dot = cleaned.lastIndex(of: "."), dot != cleaned.startIndex { cleaned = String(cleaned[..<dot]) }
            if !cleaned.lowercased().hasSuffix(suffix) { cleaned += suffix }
        }
        if cleaned.unicodeScalars.count > maxFilename {
            let ending = String(cleaned.suffix(suffix.count))
            var stem = String(cleaned.dropLast(suffix.count))
            while stem.unicodeScalars.count + ending.unicodeScalars.count > maxFilename { stem.removeLast() }
            cleaned = stem.trimmed() + ending
        }
        return cleaned == suffix ? "file" + suffix : cleaned
    }
}

/// `PUT /api/v1/uploads/{id}/content?expires=&signature=`: the local store's upload. Streams
/// the body to a temporary file (never all in memory), checks the real type from the first
/// bytes, then moves it into place. Authorised by the signed URL `POST /uploads` handed out.
/// The row is claimed (`uploading`) first, so one upload of an id runs at a time; any failure
/// gives the claim back. nginx refuses a bad or expired signature before it reads the body, then
/// buffers the body to disk before it starts this process, so a slow client never holds a
/// function process or a database connection.
public enum UploadContent {
    public static let endpoint = Endpoint(.put, "/api/v1/uploads/{id}/content", access: .anyone, mode: .stream, body: 4 * GiB, handle)

    public static func handle(_ context: Context) throws -> Response {
        do {
            return try upload(context)
        } catch {
            // Read what is left of the body: the gateway is still writing it, and a process that
            // exits before taking it all turns a clear 4xx into a 502.
            if let stream = context.request.stream { while let piece = try? stream.read(max: 1 << 20), !piece.isEmpty {} }
            throw error
        }
    }

    static func upload(_ context: Context) throws -> Response {
        let id = try context.request.parameter("id")
        let store = try MediaStore.from(context.config)
        guard let directory = store.directory, isUUID(id) else { throw APIError.notFound("Upload") }
        guard
            store.acceptsUpload(
                mediaId: id, expires: context.request.queryValue("expires"), signature: context.request.queryValue("signature"),
                now: unixTime())
        else {
            throw APIError(status: 403, code: "invalid_signature", message: "This upload URL is not valid or has expired.")
        }
        let db = try context.db()
        guard let row = try db.query("SELECT \(fragment: MediaView.columns) FROM media m WHERE m.id = \(id)").first else {
            throw APIError.notFound("Upload")
        }
        let declaredType = try row.string("declared_type")
        let size = try row.int("size_bytes")
        let key = try row.string("object_key")
        guard let stream = context.request.stream else {
            throw APIError.badRequest("Send the file as the request body.", code: "body_required")
        }
        guard stream.length == size else {
            throw APIError.badRequest("The body must be exactly \(size) bytes, as declared.", code: "size_mismatch")
        }
        let sentType = (context.request.header("content-type") ?? "").split(separator: ";").first.map { String($0).trimmed().lowercased() }
        guard sentType == declaredType else {
            throw APIError(status: 415, code: "unsupported_media_type", message: "Send the file with Content-Type \(declaredType).")
        }
        let claimed = try db.execute(
            "UPDATE media SET status = 'uploading', updated_at = now() WHERE id = \(id) AND status = 'pending' AND storage = 'local'")
        guard claimed == 1 else {
            let status = try row.string("status")
            if status == "uploading" { throw APIError.conflict("This file is being uploaded already.", code: "upload_in_progress") }
            throw APIError.conflict("This file has been uploaded already.", code: "already_uploaded")
        }
        let incoming = "\(directory)/.incoming"
        let partial = "\(incoming)/\(id).part"
        var placed = false
        do {
            try makeStoreDirectories(incoming)
            let fd = open(partial, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
            guard fd >= 0 else { throw StorageError("cannot create \(partial): errno \(errno)") }
            defer { close(fd) }
            var head: [UInt8] = []
            var checked = false
            while true {
                let piece = try stream.read()
                if piece.isEmpty { break }
                if !checked {
                    head += piece.prefix(FileKind.headerLength - head.count)
                    if head.count >= FileKind.headerLength || head.count == size {
                        try check(head: head, declaredType: declaredType, id: id, db: db)
                        checked = true
                    }
                }
                guard writeAll(fd: fd, piece) else { throw StorageError("cannot write \(partial): errno \(errno)") }
            }
            if !checked { try check(head: head, declaredType: declaredType, id: id, db: db) }
            guard fsync(fd) == 0 else { throw StorageError("cannot sync \(partial): errno \(errno)") }
            let destination = "\(directory)/\(key)"
            try makeStoreDirectories(String(destination[..<destination.lastIndex(of: "/")!]))
            guard rename(partial, destination) == 0 else { throw StorageError("cannot move \(partial): errno \(errno)") }
            placed = true
            let updated = try db.query(
                """
                UPDATE media m SET status = 'ready', content_type = declared_type, updated_at = now()
                WHERE m.id = \(id) AND m.status = 'uploading'
                RETURNING \(fragment: MediaView.columns)
                """
            ).first
            guard let updated else { throw APIError.conflict("This upload was abandoned. Request a new one.", code: "upload_abandoned") }
            return .ok(try MediaView(updated, store: store), message: "Uploaded.")
        } catch {
            // Give the claim back (a rejected file stays rejected) and leave nothing behind.
            unlink(partial)
            if placed { unlink("\(directory)/\(key)") }
            _ = try? db.execute("UPDATE media SET status = 'pending', updated_at = now() WHERE id = \(id) AND status = 'uploading'")
            throw error
        }
    }

    /// Refuses a file whose first bytes are not what it claimed to be, and marks it rejected.
    static func check(head: [UInt8], declaredType: String, id: String, db: Connection) throws {
        if let kind = FileKind.detect(head), kind.contentTypes.contains(declaredType) { return }
        let reason = "The content is not a valid \(declaredType) file."
        try db.execute(
            "UPDATE media SET status = 'rejected', reject_reason = \(reason), updated_at = now() WHERE id = \(id) AND status = 'uploading'")
        throw APIError(
            status: 415, code: "type_mismatch",
            message: "The file's content is not \(declaredType). Request a new upload for the real file.")
    }
}

/// `POST /api/v1/uploads/{id}/complete`: says the bytes are in place. Local uploads are
/// checked as they arrive, so this just answers; S3 uploads are checked by the media worker
/// (size, then the real type from the first bytes), so this queues that check (202).
public enum CompleteUpload {
    public static let endpoint = Endpoint(.post, "/api/v1/uploads/{id}/complete", access: .signedIn, body: 1 * KiB, handle)

    public static func handle(_ context: Context) throws -> Response {
        let caller = try context.user()
        let id = try context.request.parameter("id")
        let store = try MediaStore.from(context.config)
        let (view, queued): (MediaView, Bool) = try context.transaction { db in
            var row = try ownedMedia(db, id: id, caller: caller, lock: true)
            let status = try row.string("status")
            if status == "pending" {
                guard try row.string("storage") == "s3" else {
                    throw APIError.conflict("Upload the file before completing it.", code: "not_uploaded")
                }
                row = try db.query(
                    """
                    UPDATE media m SET status = 'verifying', updated_at = now() WHERE m.id = \(id)
                    RETURNING \(fragment: MediaView.columns)
                    """
                ).one()
                try Queue.enqueue(
                    db, kind: MediaJobs.verifyKind, payload: MediaJobs.Verify(mediaId: id),
                    options: Queue.Options(queue: MediaJobs.queue, uniqueKey: "media-verify:\(id)"))
                return (try MediaView(row, store: store), true)
            }
            if status == "verifying" {
                // The check may have died with its job (the unique key keeps it to one at a time).
                try Queue.enqueue(
                    db, kind: MediaJobs.verifyKind, payload: MediaJobs.Verify(mediaId: id),
                    options: Queue.Options(queue: MediaJobs.queue, uniqueKey: "media-verify:\(id)"))
                return (try MediaView(row, store: store), true)
            }
            if status == "uploading" {
                throw APIError.conflict("The file is still being uploaded.", code: "upload_in_progress")
            }
            return (try MediaView(row, store: store), false)
        }
        return queued ? .envelope(status: 202, message: "The file is being checked.", data: view) : .ok(view)
    }
}

/// `GET /api/v1/uploads/{id}`: an upload's state, for its owner and admins.
public enum GetUpload {
    public static let endpoint = Endpoint(.get, "/api/v1/uploads/{id}", access: .signedIn, handle)

    public static func handle(_ context: Context) throws -> Response {
        let caller = try context.user()
        let id = try context.request.parameter("id")
        let store = try MediaStore.from(context.config)
        let row = try ownedMedia(try context.db(), id: id, caller: caller)
        return .ok(try MediaView(row, store: store))
    }
}

/// The media worker's jobs (Workers/media).
public enum MediaJobs {
    public static let queue = "media"
    public static let verifyKind = "media.verify"

    public struct Verify: Codable, Sendable {
        public var mediaId: String
        public init(mediaId: String) { self.mediaId = mediaId }
    }
}

/// A storage failure on our side (a 500 to the client, details in the log).
public struct StorageError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// `mkdir -p` of a store folder: others may read (nginx serves the files).
func makeStoreDirectories(_ path: String) throws {
    if let failed = makeDirectories(path, mode: 0o755) { throw StorageError("cannot create \(failed): errno \(errno)") }
}
