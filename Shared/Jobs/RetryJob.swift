import Auth
import Core
import Database
import Runtime

/// `POST /api/v1/admin/jobs/{id}/retry`: a dead (or waiting) job runs again now with its
/// attempts reset. A running job cannot be retried (409).
public enum RetryJob {
    public static let endpoint = Endpoint(
        .post, "/api/v1/admin/jobs/{id}/retry", access: .roles([.admin]), body: 1 * KiB, parameters: ["id": .integer], handle)

    public static func handle(_ context: Context) throws -> Response {
        let id = try JobView.id(context)
        let job: JobView = try context.transaction { db in
            guard let job = try JobView.load(db, id: id, lock: true) else { throw APIError.notFound("Job") }
            guard job.state != "running" else {
                throw APIError.conflict("The job is running; it cannot be retried now.", code: "job_running")
            }
            do {
                guard
                    let row = try db.query(
                        """
                        UPDATE jobs SET state = 'ready', run_at = now(), attempts = 0, updated_at = now()
                        WHERE id = \(id) RETURNING \(fragment: JobView.columns)
                        """
                    ).first
                else { throw APIError.notFound("Job") }
                try db.query("SELECT pg_notify('lms_jobs', \(job.queue))")
                return try JobView(row)
            } catch let error as DatabaseError where error.kind == .uniqueViolation {
                throw APIError.conflict("Another pending job has the same unique key.", code: "duplicate_job")
            }
        }
        context.log.info("job retried by admin", [("job_id", .int(id)), ("kind", .string(job.kind))])
        return .ok(job, message: "The job will run again.")
    }
}
