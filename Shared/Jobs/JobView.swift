import Core
import Notifications
import Queue
import Runtime

/// A job as the admin API shows it: the stored job with its payload's secrets redacted.
public enum JobView {
    static func make(_ job: Queue.StoredJob) -> Queue.StoredJob {
        var shown = job
        shown.payload = redacted(job.payload)
        return shown
    }

    /// One-time codes and reset tokens are never shown, even to admins.
    static func redacted(_ value: JSONValue) -> JSONValue {
        switch value {
        case .object(let fields):
            var clean: [String: JSONValue] = [:]
            for (key, field) in fields {
                clean[key] = Notifications.secretFields.contains(key) ? .string("[redacted]") : redacted(field)
            }
            return .object(clean)
        case .array(let items): return .array(items.map(redacted))
        default: return value
        }
    }

    /// A path id: a positive integer, or not found.
    static func id(_ context: Context) throws -> Int {
        guard let id = Int(try context.request.parameter("id")), id > 0 else { throw APIError.notFound("Job") }
        return id
    }
}
