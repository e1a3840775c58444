import Auth
import Core
import Database
import Queue
import Runtime

/// `POST /api/v1/admin/jobs/{id}/retry`: a dead (or waiting) job runs again now with its
/// attempts reset. A running job cannot be retried (409).
public enum RetryJob {
    public static let endpoint = Endpoint(
        .post, "/api/v1/admin/jobs/{id}/retry", access: .roles([.admin]), body: 1 * KiB, parameters: ["id": .integer], handle)

    public static func handle(_ context: Context) throws -> Response {
        let id = try JobView.id(context)
        let job: Queue.StoredJob = try context.transaction { db in
            guard let job = try Queue.job(db, id: Int64(id), lock: true) else { throw APIError.notFound("Job") }
            guard job.state != "running" else {
                throw APIError.conflict("The job is running; it cannot be retried now.", code: "job_running")
            }
            do {
                guard let retried = try Queue.retry(db, id: job.id) else { throw APIError.notFound("Job") }
                return JobView.make(retried)
            } catch let error as DatabaseError where error.kind == .uniqueViolation {
                throw APIError.conflict("Another pending job has the same unique key.", code: "duplicate_job")
            }
        }
        context.log.info("job retried by admin", [("job_id", .int(id)), ("kind", .string(job.kind))])
        return .ok(job, message: "The job will run again.")
    }
}
