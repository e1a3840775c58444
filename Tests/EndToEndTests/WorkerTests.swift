import Core
import Database
import Queue
import Runtime
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The worker runtime as real processes: crashes, SIGTERM, retries, schedules. Each test has
/// its own queue so they can run side by side.
@Suite struct WorkerTests {
    func setUp() throws -> (db: Connection, queue: String) {
        let db = try TestEnvironment.connect()
        try db.transaction { tx in
            // Tests run in parallel: one creates the probe's tables, the others wait for it.
            try tx.query("SELECT pg_advisory_xact_lock(4242)")
            try tx.runScript(
                """
                CREATE TABLE IF NOT EXISTS probe_effects (key text PRIMARY KEY, job_id bigint, attempt int, duplicates int NOT NULL DEFAULT 0);
                CREATE TABLE IF NOT EXISTS probe_ticks (queue text, slot text, runs int NOT NULL DEFAULT 1, PRIMARY KEY (queue, slot));
                """)
        }
        return (db, "w-" + Factory.uniqueEmail("q").split(separator: "@")[0].lowercased())
    }

    func worker(_ queue: String, _ extra: [String: String] = [:]) throws -> ChildProcess {
        var environment = [
            "DATABASE_URL": try TestEnvironment.databaseURL(), "PROBE_QUEUE": queue, "WORKER_LEASE_SECONDS": "3",
            "WORKER_POLL_MS": "200", "LMS_ENV_FILE": "/nonexistent",
        ]
        for (key, value) in extra { environment[key] = value }
        let log = "/tmp/lms-worker-\(queue).log"
        return try ChildProcess(
            [try TestEnvironment.value("E2E_BIN_DIR") + "/worker-probe"], stdout: log, stderr: log, environment: environment)
    }

    func pending(_ db: Connection, _ queue: String) throws -> Int {
        try db.query("SELECT count(*) AS n FROM jobs WHERE queue = \(queue)").one().int("n")
    }

    @Test func everyJobRunsAfterAWorkerIsKilledAndNoEffectHappensTwice() throws {
        let (db, queue) = try setUp()
        let count = 300
        try Queue.enqueueMany(
            db, kind: "probe.effect", payloads: (0..<count).map { ["key": .string("\(queue)-\($0)"), "sleep_ms": JSONValue.number(100)] },
            options: .init(queue: queue))
        // Jobs long enough that the queue is still being worked when the kill lands, however
        // slowly a loaded machine gets there (at 20 ms the two workers could drain it first).
        let doomed = try worker(queue)
        let survivor = try worker(queue)
        #expect(
            try eventually(seconds: 10) {
                try db.query(
                    "SELECT count(*) AS n FROM jobs WHERE queue = \(queue) AND state = 'running' AND locked_by LIKE \("%:\(doomed.pid):%")"
                ).one().int("n") > 0
            })
        doomed.signal(SIGKILL)
        doomed.waitForExit()
        let replacement = try worker(queue)
        #expect(try eventually(seconds: 60) { try pending(db, queue) == 0 })
        let effects = try db.query(
            "SELECT count(*) AS n, count(*) FILTER (WHERE attempt > 1) AS reruns FROM probe_effects WHERE key LIKE \(queue + "-%")"
        ).one()
        #expect(try effects.int("n") == count)  // every job's effect exists, once (the key is its primary key)
        #expect(
            try effects.int("reruns")
                + (try db.query("SELECT coalesce(sum(duplicates), 0)::int AS d FROM probe_effects WHERE key LIKE \(queue + "-%")").one()
                    .int("d")) >= 1)
        survivor.signal(SIGTERM)
        replacement.signal(SIGTERM)
        #expect(survivor.waitForExit(seconds: 30) && replacement.waitForExit(seconds: 30))
    }

    @Test func sigtermFinishesRunningJobsAndClaimsNoMore() throws {
        let (db, queue) = try setUp()
        try Queue.enqueueMany(
            db, kind: "probe.effect", payloads: (0..<6).map { ["key": .string("\(queue)-\($0)"), "sleep_ms": JSONValue.number(5000)] },
            options: .init(queue: queue))
        let process = try worker(queue, ["WORKER_CONCURRENCY": "2"])
        #expect(
            try eventually(seconds: 10) {
                try db.query("SELECT count(*) AS n FROM jobs WHERE queue = \(queue) AND state = 'running'").one().int("n") == 2
            })
        process.signal(SIGTERM)
        #expect(process.waitForExit(seconds: 20))
        #expect(process.exitStatus() == 0)
        #expect(try db.query("SELECT count(*) AS n FROM probe_effects WHERE key LIKE \(queue + "-%")").one().int("n") == 2)
        let left = try db.query("SELECT count(*) FILTER (WHERE state = 'ready') AS ready, count(*) AS n FROM jobs WHERE queue = \(queue)")
            .one()
        #expect(try left.int("n") == 4)
        #expect(try left.int("ready") == 4)
    }

    @Test func sigtermReleasesJobsThatOutliveTheGracePeriod() throws {
        let (db, queue) = try setUp()
        try Queue.enqueue(
            db, kind: "probe.effect", payload: ["key": JSONValue.string("\(queue)-slow"), "sleep_ms": .number(5000)],
            options: .init(queue: queue))
        let process = try worker(queue, ["WORKER_CONCURRENCY": "1", "WORKER_GRACE_SECONDS": "1"])
        #expect(
            try eventually(seconds: 10) {
                try db.query("SELECT count(*) AS n FROM jobs WHERE queue = \(queue) AND state = 'running'").one().int("n") == 1
            })
        process.signal(SIGTERM)
        #expect(process.waitForExit(seconds: 10))
        let job = try #require(try db.query("SELECT state, attempts FROM jobs WHERE queue = \(queue)").first)
        #expect(try job.string("state") == "ready")
        #expect(try job.int("attempts") == 0)
    }

    @Test func transientFailuresAreRetried() throws {
        let (db, queue) = try setUp()
        let id = try #require(try Queue.enqueue(db, kind: "probe.flaky", payload: ["succeed_on": 2], options: .init(queue: queue)))
        let process = try worker(queue)
        #expect(try eventually(seconds: 20) { try pending(db, queue) == 0 })
        process.signal(SIGTERM)
        process.waitForExit()
        _ = id
    }

    @Test func schedulesRunOncePerSlotWithTwoWorkers() throws {
        let (db, queue) = try setUp()
        let first = try worker(queue, ["PROBE_SCHEDULE_SECONDS": "1"])
        let second = try worker(queue, ["PROBE_SCHEDULE_SECONDS": "1"])
        #expect(
            try eventually(seconds: 20) { try db.query("SELECT count(*) AS n FROM probe_ticks WHERE queue = \(queue)").one().int("n") >= 3 }
        )
        first.signal(SIGTERM)
        second.signal(SIGTERM)
        first.waitForExit()
        second.waitForExit()
        let runs = try db.query("SELECT max(runs) AS most FROM probe_ticks WHERE queue = \(queue)").one()
        #expect(try runs.int("most") == 1)
    }
}
