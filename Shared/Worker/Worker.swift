import Core
import Database
import Queue
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// What a job handler gets: its thread's own database connection, configuration, a logger
/// carrying the job id.
public struct JobContext {
    public let db: Connection
    public let config: Config
    public let log: Logger
    public let worker: String

    public init(db: Connection, config: Config, log: Logger, worker: String) {
        self.db = db
        self.config = config
        self.log = log
        self.worker = worker
    }
}

/// Throw this for failures that retrying cannot fix: the job goes dead at once.
public struct PermanentJobError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

public typealias JobHandler = @Sendable (Queue.Job, JobContext) throws -> Void

/// The runtime every worker executable shares:
///
///     Worker.run(name: "email", options: .init(queue: "email", concurrency: 4), handler: EmailJob.handle)
///
/// `concurrency` threads each claim batches of jobs and run them; one more thread LISTENs
/// for new jobs (polling as a fallback), heart-beats the leases of running jobs, returns
/// expired leases of dead workers to the queue, and ticks the schedules. SIGTERM stops
/// claiming, lets running jobs finish within the grace period, releases the rest, exits.
public enum Worker {
    public struct Options: Sendable {
        public var queue: String
        /// Only these kinds (nil: every kind in the queue).
        public var kinds: [String]?
        /// Jobs run at once by this process: the kind's concurrency limit on this host.
        public var concurrency: Int
        /// Jobs claimed per statement by one thread.
        public var batchSize: Int
        public var leaseSeconds: Int
        /// Longest wait between claims when no notification arrives.
        public var pollMilliseconds: Int
        public var graceSeconds: Int
        public var schedules: [Schedule]

        public init(
            queue: String, kinds: [String]? = nil, concurrency: Int = 1, batchSize: Int = 1,
            leaseSeconds: Int = Queue.Defaults.leaseSeconds, pollMilliseconds: Int = 1000, graceSeconds: Int = 25,
            schedules: [Schedule] = []
        ) {
            self.queue = queue
            self.kinds = kinds
            self.concurrency = concurrency
            self.batchSize = batchSize
            self.leaseSeconds = leaseSeconds
            self.pollMilliseconds = pollMilliseconds
            self.graceSeconds = graceSeconds
            self.schedules = schedules
        }

        /// Overrides from the environment: WORKER_CONCURRENCY, WORKER_BATCH_SIZE,
        /// WORKER_LEASE_SECONDS, WORKER_POLL_MS, WORKER_GRACE_SECONDS.
        public func with(_ config: Config) -> Options {
            var options = self
            options.concurrency = max(1, config.int("WORKER_CONCURRENCY", default: concurrency))
            options.batchSize = max(1, config.int("WORKER_BATCH_SIZE", default: batchSize))
            options.leaseSeconds = max(3, config.int("WORKER_LEASE_SECONDS", default: leaseSeconds))
            options.pollMilliseconds = max(10, config.int("WORKER_POLL_MS", default: pollMilliseconds))
            options.graceSeconds = max(0, config.int("WORKER_GRACE_SECONDS", default: graceSeconds))
            return options
        }
    }

    /// What a worker needs before it runs (its media store, its mail transport), made once at
    /// start-up; when that fails the worker logs why and exits 1 (its supervisor tries again).
    public static func prepare<Value>(_ name: String, _ make: () throws -> Value) -> Value {
        do {
            return try make()
        } catch {
            Logger(component: "worker-\(name)").error("cannot start", [("error", .string(String(describing: error)))])
            exit(1)
        }
    }

    public static func run(name: String, options baseOptions: Options, handler: @escaping JobHandler) -> Never {
        signal(SIGPIPE, SIG_IGN)
        let config = Config.load()
        let options = baseOptions.with(config)
        var host = [CChar](repeating: 0, count: 256)
        gethostname(&host, host.count - 1)
        let hostname = String(decoding: host.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        // Random part: pids repeat (pid 1 in every container), a worker id must not.
        var random = SystemRandomNumberGenerator()
        let worker = "\(hostname):\(getpid()):\(name):\(String(random.next() as UInt32, radix: 36))"
        let log = Logger(component: "worker-\(name)")
        guard let url = config["DATABASE_URL"] else {
            log.error("DATABASE_URL is not set")
            exit(1)
        }
        installStopHandler()
        let state = WorkerState()
        log.info(
            "worker started",
            [("worker", .string(worker)), ("queue", .string(options.queue)), ("concurrency", .int(options.concurrency))])

        startThread { listen(url: url, options: options, state: state, log: log) }
        startThread { housekeeping(url: url, worker: worker, options: options, state: state, log: log) }
        for index in 0..<options.concurrency {
            startThread {
                jobLoop(
                    url: url, worker: worker, options: options, config: config, state: state, handler: handler,
                    log: log, index: index)
            }
        }

        while !stopRequested.load(ordering: .relaxed) { usleep(50_000) }
        log.info("stopping: no new claims", [("grace_seconds", .int(options.graceSeconds))])
        state.monitor.locked { state.monitor.broadcast() }
        let deadline = monotonicSeconds() + Double(options.graceSeconds)
        while state.monitor.locked({ state.activeThreads }) > 0 && monotonicSeconds() < deadline { usleep(20_000) }
        let unfinished = state.monitor.locked { Array(state.held) }
        if !unfinished.isEmpty, let db = try? Connection(url: url) {
            let released = (try? Queue.release(db, unfinished, worker: worker)) ?? 0
            log.warning("released unfinished jobs", [("count", .int(released))])
        }
        log.info("worker stopped")
        exit(0)
    }

    /// One job thread: claim, run, complete or fail, repeat; sleep until woken when idle.
    static func jobLoop(
        url: String, worker: String, options: Options, config: Config, state: WorkerState, handler: JobHandler,
        log: Logger, index: Int
    ) {
        state.monitor.locked { state.activeThreads += 1 }
        defer { state.monitor.locked { state.activeThreads -= 1 } }
        var db: Connection?
        var batch: [Queue.Lease] = []
        while !stopRequested.load(ordering: .relaxed) {
            do {
                if db == nil || db?.isHealthy == false { db = try Connection(url: url, prepareStatements: true) }
                guard let connection = db else { continue }
                batch = []
                let seen = state.monitor.locked { state.wakeups }
                let jobs = try Queue.claim(
                    connection, queue: options.queue, kinds: options.kinds, limit: options.batchSize, worker: worker,
                    leaseSeconds: options.leaseSeconds)
                if jobs.isEmpty {
                    state.monitor.locked {
                        if state.wakeups == seen && !stopRequested.load(ordering: .relaxed) {
                            state.monitor.wait(milliseconds: options.pollMilliseconds)
                        }
                    }
                    continue
                }
                if jobs.count == options.batchSize { state.monitor.locked { state.monitor.broadcast() } }
                batch = jobs.map(\.lease)
                state.monitor.locked { state.held.formUnion(batch) }
                var done: [Queue.Lease] = []
                var failed: [Queue.Failure] = []
                for job in jobs {
                    if stopRequested.load(ordering: .relaxed) && !done.isEmpty { break }  // the rest is released
                    let context = JobContext(
                        db: connection, config: config, log: Logger(component: log.component, requestId: "job-\(job.id)"),
                        worker: worker)
                    let started = monotonicSeconds()
                    do {
                        try handler(job, context)
                        done.append(job.lease)
                    } catch let error as PermanentJobError {
                        failed.append(Queue.Failure(job.lease, error: error.description, permanent: true))
                    } catch {
                        failed.append(Queue.Failure(job.lease, error: String(describing: error)))
                    }
                    if let failure = failed.last, failure.lease == job.lease {
                        context.log.warning(
                            "job failed",
                            [
                                ("kind", .string(job.kind)), ("attempt", .int(job.attempt)), ("error", .string(failure.error)),
                                ("permanent", .string(failure.permanent ? "yes" : "no")),
                            ])
                    } else if options.batchSize == 1 {
                        context.log.info(
                            "job done",
                            [
                                ("kind", .string(job.kind)), ("attempt", .int(job.attempt)),
                                ("duration_ms", .double(((monotonicSeconds() - started) * 100_000).rounded() / 100)),
                            ])
                    }
                }
                try Queue.complete(connection, done, worker: worker)
                try Queue.fail(connection, failed, worker: worker)
                // Jobs skipped because of a stop stay in `held`: released at exit.
                let finished = Set(done).union(failed.map(\.lease))
                state.monitor.locked { state.held.subtract(finished) }
                batch = []
            } catch {
                log.error("job loop error", [("thread", .int(index)), ("error", .string(String(describing: error)))])
                // Stop heart-beating what this batch held: its leases run out and the reaper
                // hands the jobs to a worker that can finish them.
                let lost = batch
                state.monitor.locked { state.held.subtract(lost) }
                batch = []
                db = nil
                usleep(500_000)
            }
        }
    }

    /// LISTEN/NOTIFY wake-ups with a polling fallback. Nothing else runs on this thread, so a
    /// notification wakes the job threads at once.
    static func listen(url: String, options: Options, state: WorkerState, log: Logger) {
        var db: Connection?
        while !stopRequested.load(ordering: .relaxed) {
            do {
                if db == nil || db?.isHealthy == false {
                    let connection = try Connection(url: url)
                    try connection.listen(Queue.notifyChannel)
                    db = connection
                    state.wake()  // jobs may have arrived while we were not listening
                }
                guard let connection = db else { continue }
                let payloads = try connection.notifications(timeoutMilliseconds: Int32(min(options.pollMilliseconds, 250)))
                let lastWake = state.monitor.locked { state.lastWake }
                if payloads.contains(options.queue) || monotonicSeconds() - lastWake >= Double(options.pollMilliseconds) / 1000 {
                    state.wake()  // a notification, or the polling fallback (delayed jobs, missed notifications)
                }
            } catch {
                log.error("listen error", [("error", .string(String(describing: error)))])
                db = nil
                usleep(500_000)
            }
        }
    }

    /// Heartbeats for held jobs, the lease reaper, schedules: on their own connection so they
    /// never delay a wake-up.
    static func housekeeping(url: String, worker: String, options: Options, state: WorkerState, log: Logger) {
        var db: Connection?
        var lastHeartbeat = 0.0
        var lastReap = 0.0
        var lastTick = 0.0
        let heartbeatEvery = Double(options.leaseSeconds) / 3
        // Runs until the process exits: running jobs keep their leases through the grace period.
        while true {
            do {
                if db == nil || db?.isHealthy == false { db = try Connection(url: url, prepareStatements: true) }
                guard let connection = db else { continue }
                let now = monotonicSeconds()
                if now - lastHeartbeat >= heartbeatEvery {
                    let held = state.monitor.locked { Array(state.held) }
                    try Queue.heartbeat(connection, held, worker: worker, leaseSeconds: options.leaseSeconds)
                    lastHeartbeat = now
                }
                if stopRequested.load(ordering: .relaxed) {
                    usleep(100_000)
                    continue
                }
                if now - lastReap >= 2 {
                    if try Queue.reapExpiredLeases(connection) > 0 { state.wake() }
                    lastReap = now
                }
                if now - lastTick >= 5 {
                    for schedule in options.schedules where schedule.queue == options.queue {
                        if !(try schedule.tick(connection)).isEmpty { state.wake() }
                    }
                    lastTick = now
                }
                usleep(100_000)
            } catch {
                log.error("housekeeping error", [("error", .string(String(describing: error)))])
                db = nil
                usleep(500_000)
            }
        }
    }
}

/// State shared by a worker's threads, guarded by `monitor`.
final class WorkerState: @unchecked Sendable {
    let monitor = Monitor()
    var held: Set<Queue.Lease> = []
    var wakeups = 0
    var activeThreads = 0
    /// When the job threads were last woken.
    var lastWake = 0.0

    func wake() {
        monitor.locked {
            wakeups &+= 1
            lastWake = monotonicSeconds()
            monitor.broadcast()
        }
    }
}

let stopRequested = Atomic<Bool>(false)

private func installStopHandler() {
    // Whoever started us may have blocked these; we need them.
    var signals = sigset_t()
    sigemptyset(&signals)
    sigaddset(&signals, SIGTERM)
    sigaddset(&signals, SIGINT)
    pthread_sigmask(SIG_UNBLOCK, &signals, nil)
    var action = sigaction()
    action.__sigaction_handler.sa_handler = { _ in stopRequested.store(true, ordering: .relaxed) }
    sigemptyset(&action.sa_mask)
    action.sa_flags = 0
    sigaction(SIGTERM, &action, nil)
    sigaction(SIGINT, &action, nil)
}
