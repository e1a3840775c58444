import Auth
import Core
import Database
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
        var jobs: [JobView]
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
        var before = Int.max
        if let cursor = request.queryValue("cursor") {
            guard let value = Int(cursor), value > 0 else {
                throw APIError.badRequest("The cursor is not valid.", code: "bad_cursor")
            }
            before = value
        }
        if !errors.isEmpty { throw APIError.invalid(errors) }

        let db = try context.db()
        let counts = try db.query("SELECT queue, kind, state, count(*)::int AS n FROM jobs GROUP BY 1, 2, 3 ORDER BY 1, 2, 3").rows.map {
            Count(queue: try $0.string("queue"), kind: try $0.string("kind"), state: try $0.string("state"), count: try $0.int("n"))
        }
        let rows = try db.query(
            """
            SELECT \(fragment: JobView.columns) FROM jobs
            WHERE id < \(before) AND (\(state)::text IS NULL OR state = \(state))
              AND (\(kind)::text IS NULL OR kind = \(kind)) AND (\(queue)::text IS NULL OR queue = \(queue))
            ORDER BY id DESC LIMIT \(limit + 1)
            """
        ).rows
        let jobs = try rows.prefix(limit).map(JobView.init)
        let next = rows.count > limit ? jobs.last.map { String($0.id) } : nil
        return .ok(Page(counts: counts, jobs: jobs, nextCursor: next))
    }
}
