import Core
import Notifications
import Queue
import Runtime

/// A job as the admin API shows it.
public struct JobView: Encodable, Sendable {
    public var id: Int
    public var queue: String
    public var kind: String
    public var state: String
    public var priority: Int
    public var attempts: Int
    public var maxAttempts: Int
    public var runAt: String
    public var lockedBy: String?
    public var lockedUntil: String?
    public var uniqueKey: String?
    public var lastError: String?
    public var errors: JSONValue
    public var payload: JSONValue
    public var createdAt: String
    public var updatedAt: String

    init(_ job: Queue.StoredJob) {
        id = Int(job.id)
        queue = job.queue
        kind = job.kind
        state = job.state
        priority = job.priority
        attempts = job.attempts
        maxAttempts = job.maxAttempts
        runAt = job.runAt
        lockedBy = job.lockedBy
        lockedUntil = job.lockedUntil
        uniqueKey = job.uniqueKey
        lastError = job.lastError
        errors = job.errors
        payload = JobView.redacted(job.payload)
        createdAt = job.createdAt
        updatedAt = job.updatedAt
    }

    enum CodingKeys: String, CodingKey {
        case id, queue, kind, state, priority, attempts, maxAttempts, runAt, lockedBy, lockedUntil, uniqueKey, lastError, errors,
            payload, createdAt, updatedAt
    }

    /// Optional fields are present as null.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(queue, forKey: .queue)
        try c.encode(kind, forKey: .kind)
        try c.encode(state, forKey: .state)
        try c.encode(priority, forKey: .priority)
        try c.encode(attempts, forKey: .attempts)
        try c.encode(maxAttempts, forKey: .maxAttempts)
        try c.encode(runAt, forKey: .runAt)
        try c.encode(lockedBy, forKey: .lockedBy)
        try c.encode(lockedUntil, forKey: .lockedUntil)
        try c.encode(uniqueKey, forKey: .uniqueKey)
        try c.encode(lastError, forKey: .lastError)
        try c.encode(errors, forKey: .errors)
        try c.encode(payload, forKey: .payload)
        try c.encode(createdAt, forKey: .createdAt)
        try c.encode(updatedAt, forKey: .updatedAt)
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
