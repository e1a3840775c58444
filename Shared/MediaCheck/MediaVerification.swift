import Auth
import Core
import Database
import HTTPClient
import Media
import Queue
import Worker

/// The media worker's check of a file uploaded straight to S3 (`media.verify`, queued by
/// `POST /uploads/{id}/complete`): the object must exist with the declared size, and its first
/// bytes must be what it claims to be. A file that fails is deleted from the bucket and marked
/// rejected; a store that cannot be reached is retried by the queue.
public enum MediaVerification {
    public static func handle(_ job: Queue.Job, _ context: JobContext, client: CurlClient, store: MediaStore) throws {
        guard case .string(let id) = job.payload["media_id"] ?? .null, isUUID(id) else {
            throw PermanentJobError("media.verify without a media id")
        }
        let row = try context.db.query("SELECT object_key, declared_type, size_bytes, status FROM media WHERE id = \(id)").first
        guard let row, try row.string("status") == "verifying" else { return }  // deleted, or decided already
        let key = try row.string("object_key")
        let declaredType = try row.string("declared_type")
        let now = unixTime()
        guard let headURL = store.serverRequest(method: "HEAD", key: key, now: now),
            let getURL = store.serverRequest(method: "GET", key: key, now: now)
        else {
            throw PermanentJobError("media.verify needs the S3 store (MEDIA_STORAGE=s3)")
        }

        let head = try client.request(method: "HEAD", url: headURL, timeoutSeconds: 20)
        if head.status == 404 {
            return try decide(context, id: id, ready: false, reason: "The file was not uploaded.")
        }
        guard head.status == 200 else { throw StorageError("HEAD \(key): status \(head.status)") }
        guard Int(head.header("content-length") ?? "") == (try row.int("size_bytes")) else {
            try delete(key, client: client, store: store)
            return try decide(context, id: id, ready: false, reason: "The file is not the size that was declared.")
        }
        let first = try client.request(
            method: "GET", url: getURL, headers: ["Range": "bytes=0-\(FileKind.headerLength - 1)"], timeoutSeconds: 20)
        guard first.status == 206 || first.status == 200 else { throw StorageError("GET \(key): status \(first.status)") }
        if let kind = FileKind.detect(Array(first.body.prefix(FileKind.headerLength))), kind.contentTypes.contains(declaredType) {
            return try decide(context, id: id, ready: true, reason: nil)
        }
        try delete(key, client: client, store: store)
        try decide(context, id: id, ready: false, reason: "The content is not a valid \(declaredType) file.")
    }

    static func decide(_ context: JobContext, id: String, ready: Bool, reason: String?) throws {
        try context.db.execute(
            """
            UPDATE media SET status = \(ready ? "ready" : "rejected"), content_type = CASE WHEN \(ready) THEN declared_type END,
                             reject_reason = \(reason), updated_at = now()
            WHERE id = \(id) AND status = 'verifying'
            """)
        context.log.info("media checked", [("media_id", .string(id)), ("ready", .string(ready ? "yes" : "no"))])
    }

    static func delete(_ key: String, client: CurlClient, store: MediaStore) throws {
        guard let url = store.serverRequest(method: "DELETE", key: key, now: unixTime()) else { return }
        let response = try client.request(method: "DELETE", url: url, timeoutSeconds: 20)
        guard response.status == 204 || response.status == 200 || response.status == 404 else {
            throw StorageError("DELETE \(key): status \(response.status)")
        }
    }
}
