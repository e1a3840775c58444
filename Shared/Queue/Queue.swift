import Core
import Database
import FoundationEssentials

/// The PostgreSQL job queue. Every statement that touches its tables is in this module, one
/// per purpose (the worker's here, the admin API's in `Admin.swift`, the schedules' in
/// `Schedule.swift`); the tables and their indexes are in `infra/migrations/0002_jobs.sql`.
///
/// Enqueue inside the caller's own transaction so a function's writes and its jobs commit
/// or roll back together:
///
///     try context.transaction { db in
///         try db.execute("INSERT INTO ...")
///         try Queue.enqueue(db, kind: "email.welcome", queue: "email", payload: Welcome(userId: id))
///     }
public enum Queue {
    /// The channel workers LISTEN on; the insert trigger and `retry` notify it with the job's queue.
    public static let notifyChannel = "lms_jobs"

    /// Defaults, in one place.
    public enum Defaults {
        /// Attempts before a job is dead.
        public static let maxAttempts = 10
        /// A claimed job belongs to its worker this long unless a heartbeat extends it.
        public static let leaseSeconds = 15
        /// Retry n waits `min(base * 2^(n-1), cap)` seconds, times a jitter of 0.75...1.25.
        public static let backoffBaseSeconds = 2.0
        public static let backoffCapSeconds = 3600.0
        /// Errors kept per job.
        public static let errorHistory = 10
    }

    public struct Options: Sendable {
        public var queue: String
        public var priority: Int
        /// Seconds from now (0: at once).
        public var delaySeconds: Int
        public var uniqueKey: String?
        public var maxAttempts: Int

        public init(
            queue: String = "default", priority: Int = 0, delaySeconds: Int = 0, uniqueKey: String? = nil,
            maxAttempts: Int = Defaults.maxAttempts
        ) {
            self.queue = queue
            self.priority = priority
            self.delaySeconds = delaySeconds
            self.uniqueKey = uniqueKey
            self.maxAttempts = maxAttempts
        }
    }

    /// Enqueues one job; returns its id, or nil when a pending job already has `uniqueKey`.
    @discardableResult
    public static func enqueue(_ db: Connection, kind: String, payload: some Encodable, options: Options = Options()) throws -> Int64? {
        let row = try db.query(
            """
            INSERT INTO jobs (queue, kind, payload, priority, run_at, unique_key, max_attempts)
            VALUES (\(options.queue), \(kind), \(try encode(payload))::jsonb, \(options.priority),
                    now() + make_interval(secs => \(options.delaySeconds)), \(options.uniqueKey), \(options.maxAttempts))
            ON CONFLICT (unique_key) WHERE unique_key IS NOT NULL AND state <> 'dead' DO NOTHING
            RETURNING id
            """
        ).first
        return try row.map { Int64(try $0.int("id")) }
    }

    /// Enqueues many jobs of one kind in one statement; returns how many were inserted
    /// (those whose unique key was pending are skipped).
    @discardableResult
    public static func enqueueMany(
        _ db: Connection, kind: String, payloads: [some Encodable], options: Options = Options(), uniqueKeys: [String?]? = nil
    ) throws -> Int {
        var texts: [String] = []
        for payload in payloads { texts.append(try encode(payload)) }
        let keys = uniqueKeys ?? Array(repeating: nil, count: texts.count)
        precondition(keys.count == texts.count, "one unique key per payload")
        return try db.execute(
            """
            INSERT INTO jobs (queue, kind, payload, priority, run_at, unique_key, max_attempts)
            SELECT \(options.queue), \(kind), p::jsonb, \(options.priority), now() + make_interval(secs => \(options.delaySeconds)),
                   k, \(options.maxAttempts)
            FROM unnest(\(TextArray(texts))::text[], \(NullableTextArray(keys))::text[]) AS t(p, k)
            ON CONFLICT (unique_key) WHERE unique_key IS NOT NULL AND state <> 'dead' DO NOTHING
            """)
    }

    /// One claim of a job: its id and the attempt the claim started. Every statement after the
    /// claim matches both, so a worker that lost its lease (and the job was claimed again) can
    /// no longer complete, fail, extend or release the new attempt.
    public struct Lease: Sendable, Hashable {
        public var id: Int64
        public var attempt: Int
        public init(id: Int64, attempt: Int) {
            self.id = id
            self.attempt = attempt
        }
    }

    /// A claimed job.
    public struct Job: Sendable {
        public var id: Int64
        public var queue: String
        public var kind: String
        public var payload: JSONValue
        /// This attempt's number, from 1.
        public var attempt: Int
        public var maxAttempts: Int

        public init(id: Int64, queue: String, kind: String, payload: JSONValue, attempt: Int, maxAttempts: Int) {
            self.id = id
            self.queue = queue
            self.kind = kind
            self.payload = payload
            self.attempt = attempt
            self.maxAttempts = maxAttempts
        }

        public var lease: Lease { Lease(id: id, attempt: attempt) }
    }

    /// Claims up to `limit` ready jobs of `queue` (and of `kinds`, when given) in one statement:
    /// the oldest of the highest priority first, skipping rows other workers hold.
    public static func claim(
        _ db: Connection, queue: String, kinds: [String]? = nil, limit: Int, worker: String,
        leaseSeconds: Int = Defaults.leaseSeconds
    ) throws -> [Job] {
        let kindFilter = kinds ?? []
        let rows = try db.query(
            """
            WITH next AS (
                SELECT id FROM jobs
                WHERE state = 'ready' AND queue = \(queue) AND run_at <= now()
                  AND (cardinality(\(TextArray(kindFilter))::text[]) = 0 OR kind = ANY(\(TextArray(kindFilter))::text[]))
                ORDER BY priority, run_at, id
                LIMIT \(limit)
                FOR UPDATE SKIP LOCKED
            )
            UPDATE jobs AS j SET state = 'running', attempts = j.attempts + 1, locked_by = \(worker),
                   locked_until = now() + make_interval(secs => \(leaseSeconds)), updated_at = now()
            FROM next WHERE j.id = next.id
            RETURNING j.id, j.queue, j.kind, j.payload::text AS payload, j.attempts, j.max_attempts
            """
        ).rows
        return try rows.map { row in
            Job(
                id: Int64(try row.int("id")), queue: try row.string("queue"), kind: try row.string("kind"),
                payload: (try? JSONValue.parse(Array(try row.string("payload").utf8))) ?? .null,
                attempt: try row.int("attempts"), maxAttempts: try row.int("max_attempts"))
        }
    }

    /// Finished jobs leave the table (only the claim still holding them may do that).
    @discardableResult
    public static func complete(_ db: Connection, _ leases: [Lease], worker: String) throws -> Int {
        guard !leases.isEmpty else { return 0 }
        return try db.execute(
            """
            DELETE FROM jobs WHERE locked_by = \(worker)
              AND id = ANY(\(BigIntArray(leases.map(\.id)))::bigint[])
              AND (id, attempts) IN (SELECT * FROM unnest(\(BigIntArray(leases.map(\.id)))::bigint[], \(BigIntArray(leases.map { Int64($0.attempt) }))::int[]))
            """)
    }

    /// A failed attempt: back to ready after the backoff, or dead after the last attempt
    /// (`permanent` makes it dead at once).
    public struct Failure: Sendable {
        public var lease: Lease
        public var error: String
        public var permanent: Bool
        public init(_ lease: Lease, error: String, permanent: Bool = false) {
            self.lease = lease
            self.error = error
            self.permanent = permanent
        }
    }

    @discardableResult
    public static func fail(_ db: Connection, _ failures: [Failure], worker: String) throws -> Int {
        guard !failures.isEmpty else { return 0 }
        return try db.execute(
            """
            UPDATE jobs AS j SET
                state = CASE WHEN f.permanent OR j.attempts >= j.max_attempts THEN 'dead' ELSE 'ready' END,
                run_at = now() + make_interval(secs => least(\(Defaults.backoffCapSeconds),
                    \(Defaults.backoffBaseSeconds) * power(2, greatest(j.attempts - 1, 0))) * (0.75 + random() * 0.5)),
                locked_by = NULL, locked_until = NULL, last_error = f.error, updated_at = now(),
                errors = (SELECT coalesce(jsonb_agg(e ORDER BY n), '[]'::jsonb) FROM (
                    SELECT e, n FROM jsonb_array_elements(j.errors || jsonb_build_array(jsonb_build_object(
                        'at', now(), 'attempt', j.attempts, 'error', f.error))) WITH ORDINALITY AS x(e, n)
                    ORDER BY n DESC LIMIT \(Defaults.errorHistory)) AS kept)
            FROM unnest(\(BigIntArray(failures.map(\.lease.id)))::bigint[], \(BigIntArray(failures.map { Int64($0.lease.attempt) }))::int[],
                        \(TextArray(failures.map { String($0.error.prefix(2000)) }))::text[],
                        \(BoolArray(failures.map(\.permanent)))::boolean[]) AS f(id, attempt, error, permanent)
            WHERE j.id = f.id AND j.attempts = f.attempt AND j.locked_by = \(worker)
              AND j.id = ANY(\(BigIntArray(failures.map(\.lease.id)))::bigint[])
            """)
    }

    /// Extends the leases of the jobs a live worker still holds.
    @discardableResult
    public static func heartbeat(_ db: Connection, _ leases: [Lease], worker: String, leaseSeconds: Int = Defaults.leaseSeconds) throws
        -> Int
    {
        guard !leases.isEmpty else { return 0 }
        return try db.execute(
            """
            UPDATE jobs SET locked_until = now() + make_interval(secs => \(leaseSeconds))
            WHERE locked_by = \(worker) AND state = 'running'
              AND id = ANY(\(BigIntArray(leases.map(\.id)))::bigint[])
              AND (id, attempts) IN (SELECT * FROM unnest(\(BigIntArray(leases.map(\.id)))::bigint[], \(BigIntArray(leases.map { Int64($0.attempt) }))::int[]))
            """)
    }

    /// Jobs whose worker stopped heart-beating (killed, machine lost) go back to ready, or
    /// dead if that was their last attempt. Any worker runs this every few seconds.
    @discardableResult
    public static func reapExpiredLeases(_ db: Connection) throws -> Int {
        try db.execute(
            """
            UPDATE jobs SET
                state = CASE WHEN attempts >= max_attempts THEN 'dead' ELSE 'ready' END,
                run_at = now(), locked_by = NULL, locked_until = NULL, updated_at = now(),
                last_error = 'lease expired: the worker stopped (killed or lost) during attempt ' || attempts
            WHERE state = 'running' AND locked_until < now()
            """)
    }

    /// Gives back jobs a stopping worker did not finish, without counting the attempt.
    @discardableResult
    public static func release(_ db: Connection, _ leases: [Lease], worker: String) throws -> Int {
        guard !leases.isEmpty else { return 0 }
        return try db.execute(
            """
            UPDATE jobs SET state = 'ready', run_at = now(), attempts = greatest(attempts - 1, 0),
                   locked_by = NULL, locked_until = NULL, updated_at = now()
            WHERE locked_by = \(worker) AND state = 'running'
              AND id = ANY(\(BigIntArray(leases.map(\.id)))::bigint[])
              AND (id, attempts) IN (SELECT * FROM unnest(\(BigIntArray(leases.map(\.id)))::bigint[], \(BigIntArray(leases.map { Int64($0.attempt) }))::int[]))
            """)
    }

    static func encode(_ payload: some Encodable) throws -> String {
        String(decoding: try encodeJSON(payload), as: UTF8.self)
    }
}

/// A `bigint[]` parameter.
public struct BigIntArray: SQLValue {
    public var values: [Int64]
    public init(_ values: [Int64]) { self.values = values }
    public var sqlText: String? { "{" + values.map(String.init).joined(separator: ",") + "}" }
}

/// A `boolean[]` parameter.
public struct BoolArray: SQLValue {
    public var values: [Bool]
    public init(_ values: [Bool]) { self.values = values }
    public var sqlText: String? { "{" + values.map { $0 ? "t" : "f" }.joined(separator: ",") + "}" }
}

/// A `text[]` parameter whose elements may be NULL.
public struct NullableTextArray: SQLValue {
    public var values: [String?]
    public init(_ values: [String?]) { self.values = values }
    public var sqlText: String? {
        "{"
            + values.map { value in
                guard let value else { return "NULL" }
                return "\"" + value.replacingAll("\\", with: "\\\\").replacingAll("\"", with: "\\\"") + "\""
            }.joined(separator: ",") + "}"
    }
}
