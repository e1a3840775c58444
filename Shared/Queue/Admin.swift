import Core
import Database

/// The statements the admin API runs over the queue: look at jobs, count them, retry or
/// discard one. Like the worker's statements, each matches a job by id and none touches a
/// running job (its worker holds the lease).
extension Queue {
    /// A job as the table holds it: every column, for operators (and, its payload redacted,
    /// what the admin API shows: every documented key present, null when empty).
    public struct StoredJob: Encodable, Sendable, Equatable {
        public var id: Int64
        public var queue: String
        public var kind: String
        /// `ready`, `running` or `dead`.
        public var state: String
        public var priority: Int
        public var attempts: Int
        public var maxAttempts: Int
        /// Timestamps are RFC 3339 in UTC.
        public var runAt: String
        @Nullable public var lockedBy: String?
        @Nullable public var lockedUntil: String?
        @Nullable public var uniqueKey: String?
        @Nullable public var lastError: String?
        /// The last few errors, oldest first (an empty array if unreadable).
        public var errors: JSONValue
        /// As enqueued, secrets included: redact before showing it (null if unreadable).
        public var payload: JSONValue
        public var createdAt: String
        public var updatedAt: String

        init(_ row: Row) throws {
            id = Int64(try row.int("id"))
            queue = try row.string("queue")
            kind = try row.string("kind")
            state = try row.string("state")
            priority = try row.int("priority")
            attempts = try row.int("attempts")
            maxAttempts = try row.int("max_attempts")
            runAt = try row.timestamp("run_at")
            lockedBy = try row.optionalString("locked_by")
            lockedUntil = try row.optionalTimestamp("locked_until")
            uniqueKey = try row.optionalString("unique_key")
            lastError = try row.optionalString("last_error")
            errors = (try? JSONValue.parse(Array(try row.string("errors").utf8))) ?? .array([])
            payload = (try? JSONValue.parse(Array(try row.string("payload").utf8))) ?? .null
            createdAt = try row.timestamp("created_at")
            updatedAt = try row.timestamp("updated_at")
        }

        static let columns: SQL = """
            id, queue, kind, state, priority, attempts, max_attempts, run_at, locked_by, locked_until, unique_key,
            last_error, errors::text AS errors, payload::text AS payload, created_at, updated_at
            """
    }

    /// How many jobs one queue holds of one kind in one state.
    public struct Count: Sendable, Equatable {
        public var queue: String
        public var kind: String
        public var state: String
        public var count: Int

        public init(queue: String, kind: String, state: String, count: Int) {
            self.queue = queue
            self.kind = kind
            self.state = state
            self.count = count
        }
    }

    /// One job, or nil if there is none with `id`. `lock` holds its row until the caller's
    /// transaction ends, so a retry or discard decides on a state no worker can change meanwhile.
    public static func job(_ db: Connection, id: Int64, lock: Bool = false) throws -> StoredJob? {
        let row =
            lock
            ? try db.query("SELECT \(fragment: StoredJob.columns) FROM jobs WHERE id = \(id) FOR UPDATE").first
            : try db.query("SELECT \(fragment: StoredJob.columns) FROM jobs WHERE id = \(id)").first
        return try row.map(StoredJob.init)
    }

    /// Up to `limit` jobs, newest first, with ids below `before` (the last id of the previous
    /// page), of the given state, kind and queue (nil: any).
    public static func list(
        _ db: Connection, state: String? = nil, kind: String? = nil, queue: String? = nil, before: Int64 = .max, limit: Int
    ) throws -> [StoredJob] {
        try db.query(
            """
            SELECT \(fragment: StoredJob.columns) FROM jobs
            WHERE id < \(before) AND (\(state)::text IS NULL OR state = \(state))
              AND (\(kind)::text IS NULL OR kind = \(kind)) AND (\(queue)::text IS NULL OR queue = \(queue))
            ORDER BY id DESC LIMIT \(limit)
            """
        ).rows.map(StoredJob.init)
    }

    /// The number of jobs per queue, kind and state, in that order.
    public static func counts(_ db: Connection) throws -> [Count] {
        try db.query("SELECT queue, kind, state, count(*)::int AS n FROM jobs GROUP BY 1, 2, 3 ORDER BY 1, 2, 3").rows.map {
            Count(queue: try $0.string("queue"), kind: try $0.string("kind"), state: try $0.string("state"), count: try $0.int("n"))
        }
    }

    /// Makes a job that is not running ready now with its attempts reset, and wakes its
    /// queue's workers when the transaction commits. Returns the job as it now is, or nil if
    /// there is no such job or it is running. Throws a `.uniqueViolation` `DatabaseError`
    /// when another pending job holds its unique key.
    public static func retry(_ db: Connection, id: Int64) throws -> StoredJob? {
        guard
            let row = try db.query(
                """
                UPDATE jobs SET state = 'ready', run_at = now(), attempts = 0, updated_at = now()
                WHERE id = \(id) AND state <> 'running' RETURNING \(fragment: StoredJob.columns)
                """
            ).first
        else { return nil }
        let job = try StoredJob(row)
        // The insert trigger notifies for new jobs; an update needs its own.
        try db.query("SELECT pg_notify(\(notifyChannel), \(job.queue))")
        return job
    }

    /// Deletes a job that is not running; false if there is no such job or it is running.
    @discardableResult
    public static func discard(_ db: Connection, id: Int64) throws -> Bool {
        try db.execute("DELETE FROM jobs WHERE id = \(id) AND state <> 'running'") == 1
    }
}
