import Auth
import Core
import Database
import Queue
import Runtime

/// `GET /api/v1/admin/jobs`: counts per queue, kind and state, and the jobs themselves,
/// newest first, filtered by `state`, `kind`, `queue`; cursor-paginated (`limit`, `cursor`).
public enum ListJobs {
    public static let endpoint = Endpoint(.get, "/api/v1/admin/jobs", access: .roles([.admin]), handle)

    struct Count: Encodable, Sendable {
        var queue: String
        var kind: String
        var state: String
        var count: Int
    }

    struct Page: Encodable, Sendable {
        var counts: [Count]
        var jobs: [Queue.StoredJob]
        var nextCursor: String?

        enum CodingKeys: String, CodingKey { case counts, jobs, nextCursor }
        func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(counts, forKey: .counts)
            try c.encode(jobs, forKey: .jobs)
            try c.encode(nextCursor, forKey: .nextCursor)
        }
    }

    static let maximumLimit = 200

    public static func handle(_ context: Context) throws -> Response {
        let request = context.request
        var errors: [FieldError] = []
        let state = request.queryValue("state")
        if let state, !["ready", "running", "dead"].contains(state) {
            errors.append(FieldError(field: "state", message: "must be one of: ready, running, dead"))
        }
        let kind = request.queryValue("kind")
        let queue = request.queryValue("queue")
        for (name, value) in [("kind", kind), ("queue", queue)] where (value?.utf8.count ?? 0) > 64 {
            errors.append(FieldError(field: name, message: "must be at most 64 characters"))
        }
        let limitText = request.queryValue("limit") ?? "50"
        let limit = Int(limitText) ?? 0
        if !(1...maximumLimit).contains(limit) {
            errors.append(FieldError(field: "limit", message: "must be a whole number from 1 to \(maximumLimit)"))
        }
        var before = Int64.max
        if let cursor = request.queryValue("cursor") {
            guard let value = Int64(cursor), value > 0 else {
                throw APIError.badRequest("The cursor is not valid.", code: "bad_cursor")
            }
            before = value
        }
        if !errors.isEmpty { throw APIError.invalid(errors) }

        let db = try context.db()
        let counts = try Queue.counts(db).map { Count(queue: $0.queue, kind: $0.kind, state: $0.state, count: $0.count) }
        // One more than a page tells whether another page follows.
        let found = try Queue.list(db, state: state, kind: kind, queue: queue, before: before, limit: limit + 1)
        let jobs = found.prefix(limit).map(JobView.make)
        let next = found.count > limit ? jobs.last.map { String($0.id) } : nil
        return .ok(Page(counts: counts, jobs: jobs, nextCursor: next))
    }
}
