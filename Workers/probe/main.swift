// The probe worker: jobs with no real work, for the queue benchmark (`noop`) and the queue's
// crash and retry tests (`probe.effect` records its side effect once per key; `probe.flaky`
// fails until its attempt number reaches `succeed_on`).
import Core
import Database
import Queue
import Worker

#if canImport(Glibc)
    import Glibc
#endif

// PROBE_QUEUE and PROBE_SCHEDULE_SECONDS let tests run several probes side by side.
let config = Config.load()
let queue = config["PROBE_QUEUE"] ?? "probe"
let period = max(1, config.int("PROBE_SCHEDULE_SECONDS", default: 60))
let options = Worker.Options(
    queue: queue, concurrency: 2, batchSize: 1,
    schedules: [Schedule(name: "\(queue).every-\(period)s", kind: "probe.tick", queue: queue, every: .seconds(period))])

Worker.run(name: "probe", options: options) { job, context in
    switch job.kind {
    case "noop":
        return
    case "probe.latency":
        // Enqueue-to-start latency for the benchmark: the payload carries the enqueue time.
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        let started = Int(now.tv_sec) * 1_000_000 + Int(now.tv_nsec) / 1000
        guard case .number(let enqueued)? = job.payload["t"] else { return }
        try context.db.execute("INSERT INTO probe_latency (job_id, micros) VALUES (\(Int(job.id)), \(started - Int(enqueued)))")
    case "probe.effect":
        if case .number(let milliseconds)? = job.payload["sleep_ms"] { usleep(useconds_t(milliseconds * 1000)) }
        guard case .string(let key)? = job.payload["key"] else { throw PermanentJobError("probe.effect needs a key") }
        // The side effect, made idempotent by its key: a rerun after a crash changes nothing.
        try context.db.execute(
            """
            INSERT INTO probe_effects (key, job_id, attempt) VALUES (\(key), \(Int(job.id)), \(job.attempt))
            ON CONFLICT (key) DO UPDATE SET duplicates = probe_effects.duplicates + 1
            """)
    case "probe.flaky":
        if case .number(let succeedOn)? = job.payload["succeed_on"], job.attempt >= Int(succeedOn) { return }
        throw ProbeFailure(job)
    case "probe.tick":
        guard case .string(let slot)? = job.payload["slot"] else { return }
        try context.db.execute(
            """
            INSERT INTO probe_ticks (queue, slot) VALUES (\(job.queue), \(slot))
            ON CONFLICT (queue, slot) DO UPDATE SET runs = probe_ticks.runs + 1
            """)
    default:
        throw PermanentJobError("unknown kind \(job.kind)")
    }
}

/// A transient failure for the retry tests.
struct ProbeFailure: Error, CustomStringConvertible {
    let job: Queue.Job
    init(_ job: Queue.Job) { self.job = job }
    var description: String { "probe failure on attempt \(job.attempt)" }
}
