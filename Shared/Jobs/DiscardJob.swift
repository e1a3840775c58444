import Auth
import Core
import Database
import Queue
import Runtime

/// `DELETE /api/v1/admin/jobs/{id}`: removes a job that is not running (typically a dead one).
public enum DiscardJob {
    public static let endpoint = Endpoint(
        .delete, "/api/v1/admin/jobs/{id}", access: .roles([.admin]), body: 1 * KiB, parameters: ["id": .integer], handle)

    public static func handle(_ context: Context) throws -> Response {
        let id = try JobView.id(context)
        let kind: String = try context.transaction { db in
            guard let job = try Queue.job(db, id: Int64(id), lock: true) else { throw APIError.notFound("Job") }
            guard job.state != "running" else {
                throw APIError.conflict("The job is running; it cannot be discarded now.", code: "job_running")
            }
            try Queue.discard(db, id: job.id)
            return job.kind
        }
        context.log.info("job discarded by admin", [("job_id", .int(id)), ("kind", .string(kind))])
        return .message("The job was discarded.")
    }
}
