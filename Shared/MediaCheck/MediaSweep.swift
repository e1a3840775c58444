import Core
import Database
import HTTPClient
import Media
import Queue
import Worker

#if canImport(Glibc)
    import Glibc
#endif

/// The media worker's hourly clean-up (`media.sweep`), for this store's files only:
/// - uploads requested but never finished (a day old) and rejected ones (a week old) go, with
///   whatever bytes reached the store (a partial local file, an object PUT to S3 without
///   `complete`): rows first, then bytes, so a file that just became ready is never removed;
/// - a local upload whose process died mid-way (`uploading` for an hour) can be sent again;
/// - an S3 upload whose check never finished (`verifying` for a day) is rejected and removed.
public enum MediaSweep {
    public static let schedule = Schedule(
        name: "media-sweep", kind: "media.sweep", queue: MediaJobs.queue, every: .seconds(3600), catchUpLimit: 1)

    public static func handle(_ context: JobContext, client: CurlClient?, store: MediaStore) throws {
        let reset = try context.db.query(
            """
            UPDATE media SET status = 'pending', updated_at = now()
            WHERE storage = \(store.name) AND status = 'uploading' AND updated_at < now() - interval '1 hour'
            RETURNING id
            """
        ).rows
        if let directory = store.directory {
            for row in reset { unlink("\(directory)/.incoming/\(try row.string("id")).part") }
        }
        try context.db.execute(
            """
            UPDATE media SET status = 'rejected', reject_reason = 'The file could not be checked.', updated_at = now()
            WHERE storage = \(store.name) AND status = 'verifying' AND updated_at < now() - interval '1 day'
            """)
        let removed = try context.db.query(
            """
            DELETE FROM media
            WHERE id IN (SELECT id FROM media
                         WHERE storage = \(store.name)
                           AND ((status = 'pending' AND created_at < now() - interval '1 day')
                                OR (status = 'rejected' AND updated_at < now() - interval '7 days'))
                         ORDER BY created_at LIMIT 500)
              AND status IN ('pending', 'rejected')
            RETURNING id, object_key
            """
        ).rows
        for row in removed {
            let id = try row.string("id")
            let key = try row.string("object_key")
            if let directory = store.directory {
                unlink("\(directory)/\(key)")
                unlink("\(directory)/.incoming/\(id).part")
            } else if let client {
                try MediaVerification.delete(key, client: client, store: store)
            }
        }
        if !removed.isEmpty || !reset.isEmpty {
            context.log.info("media swept", [("removed", .int(removed.count)), ("reset", .int(reset.count))])
        }
    }
}
