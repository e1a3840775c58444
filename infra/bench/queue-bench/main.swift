// queue-bench: the job queue's benchmark, run by infra/bench/queue.sh beside pgqueuer's.
//   queue-bench drain --jobs 50000 --consumers 5 --batch-size 10
//   queue-bench concurrent --seconds 10 --rate 10000 --consumers 5 --batch-size 10
//   queue-bench latency --samples 300
//   queue-bench requeue
// Consumers are real worker processes (Workers/probe, no-op jobs). DATABASE_URL and
// PROBE_BIN (the worker-probe executable) come from the environment.
import Core
import Database
import Queue

#if canImport(Glibc)
    import Glibc
#endif

let config = Config.load()
let arguments = Array(CommandLine.arguments.dropFirst())
@MainActor func option(_ name: String, _ fallback: Int) -> Int {
    guard let index = arguments.firstIndex(of: "--\(name)"), index + 1 < arguments.count, let value = Int(arguments[index + 1]) else {
        return fallback
    }
    return value
}
func fail(_ message: String) -> Never {
    print("queue-bench: \(message)")
    exit(1)
}
guard let url = config["DATABASE_URL"], let probe = config["PROBE_BIN"] else { fail("DATABASE_URL and PROBE_BIN must be set") }
let db = try Connection(url: url)

func now() -> Double { monotonicSeconds() }
func wallMicros() -> Int {
    var spec = timespec()
    clock_gettime(CLOCK_REALTIME, &spec)
    return Int(spec.tv_sec) * 1_000_000 + Int(spec.tv_nsec) / 1000
}
@MainActor func pending(_ queue: String) throws -> Int {
    try db.query("SELECT count(*)::int AS n FROM jobs WHERE queue = \(queue)").one().int("n")
}

/// Starts `count` worker-probe processes on `queue`; returns their pids.
@MainActor func startConsumers(_ count: Int, queue: String, batchSize: Int, extra: [String: String] = [:]) -> [pid_t] {
    var pids: [pid_t] = []
    for _ in 0..<count {
        var environment = [
            "DATABASE_URL": url, "PROBE_QUEUE": queue, "WORKER_CONCURRENCY": "1", "WORKER_BATCH_SIZE": String(batchSize),
            "LMS_ENV_FILE": "/nonexistent", "PROBE_SCHEDULE_SECONDS": "86400", "SWIFT_BACKTRACE": "enable=no",
        ]
        for (key, value) in extra { environment[key] = value }
        let argv = [strdup(probe), nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        var pid: pid_t = 0
        if posix_spawn(&pid, probe, &actions, nil, argv, envp) != 0 { fail("cannot start \(probe)") }
        posix_spawn_file_actions_destroy(&actions)
        argv.forEach { free($0) }
        envp.forEach { free($0) }
        pids.append(pid)
    }
    usleep(400_000)  // connected and listening
    return pids
}

func stop(_ pids: [pid_t], signal: Int32 = SIGTERM) {
    for pid in pids { kill(pid, signal) }
    for pid in pids {
        var status: Int32 = 0
        waitpid(pid, &status, 0)
    }
}

func freshQueue(_ name: String) -> String { "bench-\(name)-\(getpid())" }

@MainActor func enqueueNoops(_ queue: String, count: Int, chunk: Int = 5000) throws {
    var left = count
    let payload: [String: Int] = [:]
    while left > 0 {
        let n = min(chunk, left)
        try Queue.enqueueMany(db, kind: "noop", payloads: Array(repeating: payload, count: n), options: .init(queue: queue))
        left -= n
    }
}

switch arguments.first {
case "drain":
    let jobs = option("jobs", 50_000)
    let consumers = option("consumers", 5)
    let batch = option("batch-size", 10)
    let queue = freshQueue("drain")
    try enqueueNoops(queue, count: jobs)
    let started = now()
    let pids = startConsumers(consumers, queue: queue, batchSize: batch)
    while try pending(queue) > 0 { usleep(20_000) }
    let seconds = now() - started
    stop(pids)
    print("lms drain: \(jobs) jobs, \(consumers) consumers, batch \(batch): \(format2(seconds)) s, \(Int(Double(jobs) / seconds)) jobs/s")

case "concurrent":
    let seconds = option("seconds", 10)
    let rate = option("rate", 10_000)
    let consumers = option("consumers", 5)
    let batch = option("batch-size", 10)
    let queue = freshQueue("concurrent")
    let pids = startConsumers(consumers, queue: queue, batchSize: batch)
    let perTick = max(1, rate / 100)  // a batch every 10 ms
    var produced = 0
    var samples: [Int] = []
    let start = now()
    var nextSample = start + 1
    var tick = start
    while now() - start < Double(seconds) {
        try enqueueNoops(queue, count: perTick, chunk: perTick)
        produced += perTick
        tick += 0.01
        let wait = tick - now()
        if wait > 0 { usleep(useconds_t(wait * 1_000_000)) }
        if now() >= nextSample {
            samples.append(try pending(queue))
            nextSample += 1
        }
    }
    let elapsed = now() - start
    let backlog = try pending(queue)
    stop(pids)
    let consumed = produced - backlog
    print(
        "lms concurrent: produced \(Int(Double(produced) / elapsed))/s, consumed \(Int(Double(consumed) / elapsed))/s, backlog per second: "
            + samples.map(String.init).joined(separator: " "))
    try db.execute("DELETE FROM jobs WHERE queue = \(queue)")

case "latency":
    let samples = option("samples", 300)
    let queue = freshQueue("latency")
    try db.runScript("CREATE TABLE IF NOT EXISTS probe_latency (job_id bigint PRIMARY KEY, micros bigint NOT NULL)")
    let pids = startConsumers(1, queue: queue, batchSize: 1)
    var ids: [Int64] = []
    for _ in 0..<samples {
        guard let id = try Queue.enqueue(db, kind: "probe.latency", payload: ["t": wallMicros()], options: .init(queue: queue)) else {
            continue
        }
        ids.append(id)
        while try pending(queue) > 0 { usleep(1000) }
        usleep(useconds_t(2000 + Int.random(in: 0..<3000)))
    }
    stop(pids)
    let values = try db.query("SELECT micros FROM probe_latency WHERE job_id = ANY(\(BigIntArray(ids))::bigint[]) ORDER BY micros").rows
        .map { Double(try $0.int("micros")) / 1000 }
    func percentile(_ p: Double) -> Double { values.isEmpty ? 0 : values[min(values.count - 1, Int(Double(values.count) * p))] }
    print(
        "lms latency: p50 \(format2(percentile(0.5))) ms, p99 \(format2(percentile(0.99))) ms, max \(format2(values.last ?? 0)) ms (n=\(values.count))"
    )

case "requeue":
    let queue = freshQueue("requeue")
    try db.runScript(
        "CREATE TABLE IF NOT EXISTS probe_effects (key text PRIMARY KEY, job_id bigint, attempt int, duplicates int NOT NULL DEFAULT 0)")
    let doomed = startConsumers(1, queue: queue, batchSize: 1)
    let id = try Queue.enqueue(
        db, kind: "probe.effect", payload: ["key": JSONValue.string("\(queue)-1"), "sleep_ms": .number(600_000)],
        options: .init(queue: queue))!
    while try db.query("SELECT state FROM jobs WHERE id = \(Int(id))").first?.string("state") != "running" { usleep(10_000) }
    let survivor = startConsumers(1, queue: queue, batchSize: 1)
    let killed = now()
    stop(doomed, signal: SIGKILL)
    while try db.query("SELECT attempts FROM jobs WHERE id = \(Int(id))").first?.int("attempts") != 2 { usleep(20_000) }
    let seconds = now() - killed
    stop(survivor, signal: SIGKILL)
    try db.execute("DELETE FROM jobs WHERE queue = \(queue)")
    print(
        "lms requeue after SIGKILL: job running again after \(format2(seconds)) s (lease \(Queue.Defaults.leaseSeconds) s, reaper every 2 s)"
    )

default:
    fail(
        "usage: queue-bench drain|concurrent|latency|requeue [--jobs N] [--consumers N] [--batch-size N] [--seconds N] [--rate N] [--samples N]"
    )
}

func format2(_ value: Double) -> String {
    let scaled = Int((value * 100).rounded())
    let fraction = abs(scaled % 100)
    return "\(scaled / 100).\(fraction < 10 ? "0" : "")\(fraction)"
}
