import Core
import Database
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A worker of the test stack (`E2E_BIN_DIR/worker-<name>`) as a process of its own, on a queue
/// of its own (`queueVariable` = `queue`), with a 3-second lease, quick polling, no env file and
/// the local media store in `media`; its log is /tmp/lms-worker-<queue>.log.
func workerProcess(
    _ name: String, queueVariable: String, queue: String, media: String, environment: [String: String] = [:]
) throws -> ChildProcess {
    let log = "/tmp/lms-worker-\(queue).log"
    let base = [
        "DATABASE_URL": try TestEnvironment.databaseURL(), queueVariable: queue, "WORKER_LEASE_SECONDS": "3", "WORKER_POLL_MS": "200",
        "LMS_ENV_FILE": "/nonexistent", "MEDIA_DIR": media, "MEDIA_SIGNING_SECRET": TestEnvironment.mediaSecret,
    ]
    return try ChildProcess(
        [try TestEnvironment.value("E2E_BIN_DIR") + "/worker-\(name)"], stdout: log, stderr: log,
        environment: base.merging(environment) { $1 })
}

/// A connection whose open transaction holds a job's unique key: a worker that enqueues a job
/// under that key waits there, just before its commit, until `ROLLBACK`.
func holdUniqueKey(_ key: String, kind: String) throws -> Connection {
    let blocker = try TestEnvironment.connect()
    try blocker.execute("BEGIN")
    try blocker.execute("INSERT INTO jobs (queue, kind, payload, unique_key) VALUES ('blocker', \(kind), '{}'::jsonb, \(key))")
    return blocker
}

/// The crash between storing and committing: once `worker` has written `file` (and waits on
/// `blocker`'s key) with nothing recorded (`recorded` false), it is SIGKILLed, the key is
/// released and the file removed, so only a retried job can bring either back.
func killAfterStoring(_ worker: ChildProcess, file: String, blocker: Connection, recorded: () throws -> Bool) throws {
    #expect(eventually(seconds: 30) { access(file, F_OK) == 0 })
    usleep(300_000)
    #expect(try recorded() == false)
    worker.signal(SIGKILL)
    #expect(worker.waitForExit())
    try blocker.execute("ROLLBACK")
    unlink(file)
}
