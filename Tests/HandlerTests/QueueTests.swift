import Core
import Database
import Queue
import Runtime
import TestSupport
import Testing

/// The queue's statements against the real database. Each test uses its own queue name so
/// tests running in parallel never claim each other's jobs.
@Suite struct QueueTests {
    func uniqueQueue() -> String { "t-" + Factory.uniqueEmail("q").split(separator: "@")[0].lowercased() }

    @Test func enqueueClaimComplete() throws {
        let db = try TestEnvironment.connect()
        let queue = uniqueQueue()
        let id = try #require(try Queue.enqueue(db, kind: "noop", payload: ["n": 1], options: .init(queue: queue)))
        let claimed = try Queue.claim(db, queue: queue, limit: 10, worker: "w1")
        #expect(claimed.map(\.id) == [id])
        #expect(claimed.first?.attempt == 1)
        #expect(claimed.first?.payload["n"] == .number(1))
        #expect(try Queue.claim(db, queue: queue, limit: 10, worker: "w2").isEmpty)
        let lease = try #require(claimed.first?.lease)
        #expect(try Queue.complete(db, [lease], worker: "w2") == 0)  // not the holder
        #expect(try Queue.complete(db, [Queue.Lease(id: id, attempt: 2)], worker: "w1") == 0)  // not this attempt
        #expect(try Queue.complete(db, [lease], worker: "w1") == 1)
        #expect(try db.query("SELECT 1 FROM jobs WHERE id = \(Int(id))").rows.isEmpty)
    }

    @Test func enqueueRollsBackWithTheCallersTransaction() throws {
        let db = try TestEnvironment.connect()
        let queue = uniqueQueue()
        struct Boom: Error {}
        #expect(throws: Boom.self) {
            try db.transaction { tx in
                try Queue.enqueue(tx, kind: "noop", payload: ["a": 1], options: .init(queue: queue))
                throw Boom()
            }
        }
        #expect(try Queue.claim(db, queue: queue, limit: 10, worker: "w").isEmpty)
    }

    @Test func claimsByPriorityThenAge() throws {
        let db = try TestEnvironment.connect()
        let queue = uniqueQueue()
        let low = try Queue.enqueue(db, kind: "noop", payload: ["p": "low"], options: .init(queue: queue, priority: 5))
        let first = try Queue.enqueue(db, kind: "noop", payload: ["p": "first"], options: .init(queue: queue))
        let second = try Queue.enqueue(db, kind: "noop", payload: ["p": "second"], options: .init(queue: queue))
        let urgent = try Queue.enqueue(db, kind: "noop", payload: ["p": "urgent"], options: .init(queue: queue, priority: -1))
        let delayed = try Queue.enqueue(db, kind: "noop", payload: ["p": "later"], options: .init(queue: queue, delaySeconds: 60))
        let order = try Queue.claim(db, queue: queue, limit: 10, worker: "w").map(\.id)
        #expect(order == [urgent, first, second, low].compactMap { $0 })
        #expect(!order.contains(delayed!))
    }

    @Test func uniqueKeysEnqueueOncePerPendingJob() throws {
        let db = try TestEnvironment.connect()
        let queue = uniqueQueue()
        let key = "certificate:\(queue)"
        let first = try Queue.enqueue(db, kind: "noop", payload: ["a": 1], options: .init(queue: queue, uniqueKey: key))
        #expect(first != nil)
        #expect(try Queue.enqueue(db, kind: "noop", payload: ["a": 2], options: .init(queue: queue, uniqueKey: key)) == nil)
        // Still pending while running.
        let claimed = try Queue.claim(db, queue: queue, limit: 1, worker: "w")
        #expect(try Queue.enqueue(db, kind: "noop", payload: ["a": 3], options: .init(queue: queue, uniqueKey: key)) == nil)
        try Queue.complete(db, claimed.map(\.lease), worker: "w")
        #expect(try Queue.enqueue(db, kind: "noop", payload: ["a": 4], options: .init(queue: queue, uniqueKey: key)) != nil)
    }

    @Test func bulkEnqueueSkipsPendingKeys() throws {
        let db = try TestEnvironment.connect()
        let queue = uniqueQueue()
        try Queue.enqueue(db, kind: "noop", payload: ["a": 0], options: .init(queue: queue, uniqueKey: "\(queue)-1"))
        let inserted = try Queue.enqueueMany(
            db, kind: "noop", payloads: [["a": 1], ["a": 2], ["a": 3]], options: .init(queue: queue),
            uniqueKeys: ["\(queue)-1", "\(queue)-2", nil])
        #expect(inserted == 2)
        #expect(try Queue.claim(db, queue: queue, limit: 10, worker: "w").count == 3)
    }

    @Test func failuresBackOffThenDie() throws {
        let db = try TestEnvironment.connect()
        let queue = uniqueQueue()
        let id = try #require(try Queue.enqueue(db, kind: "noop", payload: ["a": 1], options: .init(queue: queue, maxAttempts: 2)))
        let first = try #require(try Queue.claim(db, queue: queue, limit: 1, worker: "w").first)
        try Queue.fail(db, [Queue.Failure(first.lease, error: "smtp 451")], worker: "w")
        let retry = try #require(
            try db.query(
                "SELECT state, last_error, extract(epoch FROM run_at - updated_at) AS wait, jsonb_array_length(errors) AS errors FROM jobs WHERE id = \(Int(id))"
            ).first)
        #expect(try retry.string("state") == "ready")
        #expect(try retry.string("last_error") == "smtp 451")
        #expect((1.5...2.5).contains(try retry.double("wait")))  // 2 s base, ±25 % jitter, from the failure
        try db.execute("UPDATE jobs SET run_at = now() + interval '1 minute' WHERE id = \(Int(id))")
        #expect(try Queue.claim(db, queue: queue, limit: 1, worker: "w").isEmpty)  // not yet
        try db.execute("UPDATE jobs SET run_at = now() WHERE id = \(Int(id))")
        let second = try #require(try Queue.claim(db, queue: queue, limit: 1, worker: "w").first)
        #expect(second.attempt == 2)
        try Queue.fail(db, [Queue.Failure(second.lease, error: "smtp 451 again")], worker: "w")
        let dead = try #require(try db.query("SELECT state, jsonb_array_length(errors) AS errors FROM jobs WHERE id = \(Int(id))").first)
        #expect(try dead.string("state") == "dead")
        #expect(try dead.int("errors") == 2)
    }

    @Test func errorHistoryKeepsTheLastTenOldestFirst() throws {
        let db = try TestEnvironment.connect()
        let queue = uniqueQueue()
        let id = try #require(try Queue.enqueue(db, kind: "noop", payload: ["a": 1], options: .init(queue: queue, maxAttempts: 20)))
        for attempt in 1...12 {
            try db.execute("UPDATE jobs SET run_at = now() WHERE id = \(Int(id))")
            let job = try #require(try Queue.claim(db, queue: queue, limit: 1, worker: "w").first)
            try Queue.fail(db, [Queue.Failure(job.lease, error: "failure \(attempt)")], worker: "w")
        }
        let attempts = try db.query(
            "SELECT (e->>'attempt')::int AS a FROM jobs, jsonb_array_elements(errors) WITH ORDINALITY AS x(e, n) WHERE id = \(Int(id)) ORDER BY n"
        ).rows.map { try $0.int("a") }
        #expect(attempts == Array(3...12))
    }

    @Test func permanentFailuresDieAtOnce() throws {
        let db = try TestEnvironment.connect()
        let queue = uniqueQueue()
        let id = try #require(try Queue.enqueue(db, kind: "noop", payload: ["a": 1], options: .init(queue: queue)))
        let job = try #require(try Queue.claim(db, queue: queue, limit: 1, worker: "w").first)
        try Queue.fail(db, [Queue.Failure(job.lease, error: "no such address", permanent: true)], worker: "w")
        #expect(try db.query("SELECT state FROM jobs WHERE id = \(Int(id))").first?.string("state") == "dead")
    }

    @Test func expiredLeasesAreReclaimedAndHeartbeatsKeepThem() throws {
        let db = try TestEnvironment.connect()
        let queue = uniqueQueue()
        let lost = try #require(try Queue.enqueue(db, kind: "noop", payload: ["a": 1], options: .init(queue: queue)))
        let alive = try #require(try Queue.enqueue(db, kind: "noop", payload: ["a": 2], options: .init(queue: queue)))
        let claimed = try Queue.claim(db, queue: queue, limit: 2, worker: "w", leaseSeconds: 30)
        // One lease has run out, the other is about to and is renewed by a heartbeat (set in SQL
        // rather than slept through, so a stalled test thread cannot change the outcome; workers
        // of other tests reap too).
        try db.execute("UPDATE jobs SET locked_until = now() - interval '1 second' WHERE id = \(Int(lost))")
        try db.execute("UPDATE jobs SET locked_until = now() + interval '5 seconds' WHERE id = \(Int(alive))")
        #expect(try Queue.heartbeat(db, claimed.filter { $0.id == alive }.map(\.lease), worker: "w", leaseSeconds: 60) == 1)
        #expect(
            try db.query("SELECT locked_until > now() + interval '50 seconds' AS renewed FROM jobs WHERE id = \(Int(alive))").one().bool(
                "renewed"))
        try Queue.reapExpiredLeases(db)
        let states = try db.query("SELECT id, state, last_error FROM jobs WHERE id IN (\(Int(lost)), \(Int(alive))) ORDER BY id").rows
        #expect(try states[0].string("state") == "ready")
        #expect(try states[0].optionalString("last_error")?.contains("lease expired") == true)
        #expect(try states[1].string("state") == "running")
        let again = try Queue.claim(db, queue: queue, limit: 1, worker: "w")
        #expect(again.first?.id == lost)
        #expect(again.first?.attempt == 2)
        // The first claim of that job (same worker id, attempt 1) can no longer finish it.
        #expect(try Queue.complete(db, [Queue.Lease(id: lost, attempt: 1)], worker: "w") == 0)
        #expect(try Queue.complete(db, again.map(\.lease), worker: "w") == 1)
    }

    @Test func releaseGivesJobsBackWithoutCountingTheAttempt() throws {
        let db = try TestEnvironment.connect()
        let queue = uniqueQueue()
        let id = try #require(try Queue.enqueue(db, kind: "noop", payload: ["a": 1], options: .init(queue: queue)))
        let job = try #require(try Queue.claim(db, queue: queue, limit: 1, worker: "w").first)
        #expect(job.id == id)
        #expect(try Queue.release(db, [job.lease], worker: "w") == 1)
        #expect(try Queue.claim(db, queue: queue, limit: 1, worker: "w").first?.attempt == 1)
    }

    /// A job that failed its only attempt.
    @discardableResult
    func deadJob(_ db: Connection, queue: String, kind: String = "noop", uniqueKey: String? = nil) throws -> Int64 {
        let id = try #require(
            try Queue.enqueue(db, kind: kind, payload: ["a": 1], options: .init(queue: queue, uniqueKey: uniqueKey, maxAttempts: 1)))
        let job = try #require(try Queue.claim(db, queue: queue, limit: 1, worker: "w").first)
        try Queue.fail(db, [Queue.Failure(job.lease, error: "boom")], worker: "w")
        return id
    }

    /// An id no job has (any longer).
    func goneId(_ db: Connection, queue: String) throws -> Int64 {
        let id = try #require(try Queue.enqueue(db, kind: "noop", payload: ["a": 1], options: .init(queue: queue)))
        let job = try #require(try Queue.claim(db, queue: queue, limit: 1, worker: "w").first)
        try Queue.complete(db, [job.lease], worker: "w")
        return id
    }

    @Test func jobReadsEveryColumnAndIsNilForAnUnknownId() throws {
        let db = try TestEnvironment.connect()
        let queue = uniqueQueue()
        let id = try deadJob(db, queue: queue, uniqueKey: "\(queue)-k")
        let job = try #require(try Queue.job(db, id: id))
        #expect(job.id == id)
        #expect(job.queue == queue)
        #expect(job.kind == "noop")
        #expect(job.state == "dead")
        #expect(job.attempts == 1)
        #expect(job.maxAttempts == 1)
        #expect(job.uniqueKey == "\(queue)-k")
        #expect(job.lastError == "boom")
        #expect(job.lockedBy == nil)
        #expect(job.payload["a"] == .number(1))
        guard case .array(let errors) = job.errors else {
            Issue.record("errors is not an array")
            return
        }
        #expect(errors.count == 1)
        #expect(job.runAt.hasSuffix("Z"))
        let locked = try db.transaction { tx in try Queue.job(tx, id: id, lock: true) }
        #expect(locked?.id == id)
        #expect(try Queue.job(db, id: try goneId(db, queue: queue)) == nil)
        #expect(try db.transaction { tx in try Queue.job(tx, id: Int64.max, lock: true) } == nil)
    }

    @Test func listFiltersNewestFirstBelowTheCursor() throws {
        let db = try TestEnvironment.connect()
        let queue = uniqueQueue()
        let dead = try deadJob(db, queue: queue, kind: "mail.send")
        var ready: [Int64] = []
        for n in 0..<3 { ready.append(try #require(try Queue.enqueue(db, kind: "noop", payload: ["n": n], options: .init(queue: queue)))) }
        #expect(try Queue.list(db, queue: queue, limit: 10).map(\.id) == ([dead] + ready).reversed())
        #expect(try Queue.list(db, queue: queue, limit: 2).map(\.id) == [ready[2], ready[1]])
        #expect(try Queue.list(db, queue: queue, before: ready[1], limit: 2).map(\.id) == [ready[0], dead])
        #expect(try Queue.list(db, state: "dead", queue: queue, limit: 10).map(\.id) == [dead])
        #expect(try Queue.list(db, kind: "mail.send", queue: queue, limit: 10).map(\.id) == [dead])
        #expect(try Queue.list(db, state: "running", queue: queue, limit: 10).isEmpty)
        #expect(try Queue.list(db, queue: queue, before: dead, limit: 10).isEmpty)
        #expect(try Queue.list(db, kind: "' OR 1=1--", limit: 10).isEmpty)  // a value, never SQL
    }

    @Test func countsPerQueueKindAndState() throws {
        let db = try TestEnvironment.connect()
        let queue = uniqueQueue()
        #expect(try !Queue.counts(db).contains { $0.queue == queue })
        try deadJob(db, queue: queue)
        for n in 0..<2 { try Queue.enqueue(db, kind: "noop", payload: ["n": n], options: .init(queue: queue)) }
        try Queue.enqueue(db, kind: "other", payload: ["n": 9], options: .init(queue: queue))
        let counts = try Queue.counts(db).filter { $0.queue == queue }
        #expect(
            counts == [
                Queue.Count(queue: queue, kind: "noop", state: "dead", count: 1),
                Queue.Count(queue: queue, kind: "noop", state: "ready", count: 2),
                Queue.Count(queue: queue, kind: "other", state: "ready", count: 1),
            ])
    }

    @Test func retryMakesADeadJobReadyAndWakesItsQueue() throws {
        let db = try TestEnvironment.connect()
        let listener = try TestEnvironment.connect()
        try listener.listen(Queue.notifyChannel)
        let queue = uniqueQueue()
        let id = try deadJob(db, queue: queue)
        let retried = try #require(try db.transaction { tx in try Queue.retry(tx, id: id) })
        #expect(retried.id == id)
        #expect(retried.state == "ready")
        #expect(retried.attempts == 0)
        #expect(retried.lastError == "boom")  // the history stays
        var woken: [String] = []
        for _ in 0..<20 where !woken.contains(queue) { woken += try listener.notifications(timeoutMilliseconds: 100) }
        #expect(woken.contains(queue))
        #expect(try Queue.claim(db, queue: queue, limit: 1, worker: "w").first?.id == id)
    }

    @Test func retryRefusesRunningUnknownAndDuplicateJobs() throws {
        let db = try TestEnvironment.connect()
        let queue = uniqueQueue()
        let running = try #require(try Queue.enqueue(db, kind: "noop", payload: ["a": 1], options: .init(queue: queue)))
        let claimed = try #require(try Queue.claim(db, queue: queue, limit: 1, worker: "w").first)
        #expect(try Queue.retry(db, id: running) == nil)
        #expect(try Queue.job(db, id: running)?.state == "running")
        #expect(try Queue.job(db, id: running)?.attempts == 1)
        try Queue.complete(db, [claimed.lease], worker: "w")
        #expect(try Queue.retry(db, id: running) == nil)  // gone
        let key = "\(queue)-unique"
        let dead = try deadJob(db, queue: queue, uniqueKey: key)
        try Queue.enqueue(db, kind: "noop", payload: ["a": 2], options: .init(queue: queue, uniqueKey: key))
        let duplicate = #expect(throws: DatabaseError.self) { try db.transaction { tx in try Queue.retry(tx, id: dead) } }
        #expect(duplicate?.kind == .uniqueViolation)
        #expect(try Queue.job(db, id: dead)?.state == "dead")
    }

    @Test func discardDeletesAJobThatIsNotRunning() throws {
        let db = try TestEnvironment.connect()
        let queue = uniqueQueue()
        let dead = try deadJob(db, queue: queue)
        let ready = try #require(try Queue.enqueue(db, kind: "noop", payload: ["a": 2], options: .init(queue: queue, delaySeconds: 60)))
        #expect(try Queue.discard(db, id: dead))
        #expect(try Queue.discard(db, id: ready))
        #expect(try Queue.job(db, id: dead) == nil)
        #expect(try Queue.job(db, id: ready) == nil)
    }

    @Test func discardRefusesRunningAndUnknownJobs() throws {
        let db = try TestEnvironment.connect()
        let queue = uniqueQueue()
        let id = try #require(try Queue.enqueue(db, kind: "noop", payload: ["a": 1], options: .init(queue: queue)))
        let job = try #require(try Queue.claim(db, queue: queue, limit: 1, worker: "w").first)
        #expect(try !Queue.discard(db, id: id))
        #expect(try Queue.job(db, id: id)?.state == "running")
        #expect(try Queue.complete(db, [job.lease], worker: "w") == 1)  // its worker still finishes it
        #expect(try !Queue.discard(db, id: id))  // gone
    }

    @Test func claimUsesThePartialIndex() throws {
        let db = try TestEnvironment.connect()
        // That the index serves the claim, whatever the shared table's size and statistics are
        // at this moment (a small fresh table may be read whole instead).
        let plan = try db.transaction { tx in
            try tx.execute("SET LOCAL enable_seqscan = off")
            return try tx.query(
                """
                EXPLAIN SELECT id FROM jobs WHERE state = 'ready' AND queue = 'email' AND run_at <= now()
                ORDER BY priority, run_at, id LIMIT 10 FOR UPDATE SKIP LOCKED
                """
            ).rows.map { try $0.string("QUERY PLAN") }.joined(separator: "\n")
        }
        #expect(plan.contains("jobs_ready_idx"))
    }
}

@Suite struct ScheduleTests {
    @Test func slotsAreComputedInUTC() {
        // 2026-11-23 is a Monday.
        let monday = 1_795_392_000  // 2026-11-23T00:00:00Z
        let weekly = Schedule(name: "w", kind: "k", every: .weekly(weekday: 1, hour: 0, minute: 0))
        #expect(weekly.slot(atOrBefore: monday + 3600) == monday)
        #expect(weekly.slot(atOrBefore: monday - 1) == monday - 7 * 86_400)
        #expect(weekly.slot(after: monday) == monday + 7 * 86_400)
        let monthly = Schedule(name: "m", kind: "k", every: .monthly(day: 1, hour: 0, minute: 0))
        #expect(Schedule.iso(monthly.slot(atOrBefore: monday)) == "2026-11-01T00:00:00Z")
        #expect(Schedule.iso(monthly.slot(after: monthly.slot(atOrBefore: monday))) == "2026-12-01T00:00:00Z")
        let daily = Schedule(name: "d", kind: "k", every: .daily(hour: 6, minute: 30))
        #expect(Schedule.iso(daily.slot(atOrBefore: monday)) == "2026-11-22T06:30:00Z")
    }

    @Test func eachSlotRunsOnceAndMissedSlotsCatchUp() throws {
        let db = try TestEnvironment.connect()
        let other = try TestEnvironment.connect()
        let name = "test-" + Factory.uniqueEmail("s").split(separator: "@")[0]
        let schedule = Schedule(name: name, kind: "probe.tick", queue: "sched-\(name.suffix(12))", every: .seconds(60))
        let start = 1_795_392_000
        #expect(try schedule.tick(db, now: start).isEmpty)  // first sight: nothing to catch up
        #expect(try schedule.tick(other, now: start + 59).isEmpty)
        #expect(try schedule.tick(db, now: start + 60) == [start + 60])
        #expect(try schedule.tick(other, now: start + 61).isEmpty)  // the same slot, another worker
        #expect(try schedule.tick(db, now: start + 300) == [start + 120, start + 180, start + 240, start + 300])
        let jobs = try db.query("SELECT count(*) AS n FROM jobs WHERE unique_key LIKE \("schedule:" + name + ":%")").one().int("n")
        #expect(jobs == 5)
    }
}

func usleepSeconds(_ seconds: Double) {
    var remaining = timespec(tv_sec: Int(seconds), tv_nsec: Int((seconds - Double(Int(seconds))) * 1e9))
    nanosleep(&remaining, nil)
}

#if canImport(Glibc)
    import Glibc
#endif
