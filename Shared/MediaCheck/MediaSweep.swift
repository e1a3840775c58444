import Database
import HTTPClient
import Media
import Queue
import Runtime
import Worker

#if canImport(Glibc)
    import Glibc
#endif

/// The media worker's hourly clean-up (`media.sweep`): uploads requested but never finished
/// (a day old) and rejected ones (a week old) go, with whatever bytes reached the store: a
/// partial local file, or an object a client PUT to S3 without completing.
public enum MediaSweep {
    public static let schedule = Schedule(name: "media-sweep", kind: "media.sweep", queue: MediaJobs.queue, every: .seconds(3600), catchUpLimit: 1)

    public static func handle(_ context: JobContext, client: CurlClient?, store: MediaStore) throws {
        let stale = try context.db.query(
            """
            SELECT id, object_key, storage FROM media
            WHERE (status = 'pending' AND created_at < now() - interval '1 day')
               OR (status = 'rejected' AND updated_at < now() - interval '7 days')
            ORDER BY created_at
            LIMIT 500
            """
        ).rows
        for row in stale {
            let id = try row.string("id")
            let key = try row.string("object_key")
            if let directory = store.directory, try row.string("storage") == "local" {
                unlink("\(directory)/\(key)")
                unlink("\(directory)/.incoming/\(id).part")
            } else if let client, let url = store.serverRequest(method: "DELETE", key: key, now: unixTime()) {
                let response = try client.request(method: "DELETE", url: url, timeoutSeconds: 20)
                guard [200, 204, 404].contains(response.status) else { throw StorageError("DELETE \(key): status \(response.status)") }
            }
            try context.db.execute("DELETE FROM media WHERE id = \(id) AND status IN ('pending', 'rejected')")
        }
        if !stale.isEmpty { context.log.info("media swept", [("count", .int(stale.count))]) }
    }
}
