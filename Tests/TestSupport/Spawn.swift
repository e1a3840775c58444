#if canImport(Glibc)
    import Glibc
#endif

/// A background process for a test (a worker, a fake server), with stdout and stderr
/// appended to `logFile`. Stop it with `signal(_:)` and `wait()`.
public final class BackgroundProcess: @unchecked Sendable {
    public let pid: pid_t
    private var reaped = false
    public private(set) var exitStatus: Int32?

    public init(_ path: String, arguments: [String] = [], environment: [String: String], logFile: String = "/dev/null") throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, logFile, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        // A clean signal state: test threads may block signals, and children inherit the mask.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGTERM, SIGINT, SIGPIPE, SIGHUP] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        var pid: pid_t = 0
        let result = posix_spawn(&pid, path, &actions, &attributes, argv, envp)
        guard result == 0 else { throw HTTPClient.Failure(description: "spawn \(path) failed: \(result)") }
        self.pid = pid
    }

    public func signal(_ signal: Int32) { kill(pid, signal) }

    /// Waits up to `seconds` for the process to exit; true when it did.
    @discardableResult
    public func wait(seconds: Double = 30) -> Bool {
        if reaped { return true }
        let deadline = monotonicNow() + seconds
        while monotonicNow() < deadline {
            var status: Int32 = 0
            if waitpid(pid, &status, WNOHANG) == pid {
                reaped = true
                exitStatus = status
                return true
            }
            usleep(20_000)
        }
        return false
    }

    deinit {
        if !reaped {
            kill(pid, SIGKILL)
            var status: Int32 = 0
            waitpid(pid, &status, 0)
        }
    }
}

func monotonicNow() -> Double {
    var spec = timespec()
    clock_gettime(CLOCK_MONOTONIC, &spec)
    return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
}

/// Polls `condition` every 50 ms for up to `seconds`; true once it holds.
public func eventually(seconds: Double, _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = monotonicNow() + seconds
    repeat {
        if try condition() { return true }
        usleep(50_000)
    } while monotonicNow() < deadline
    return try condition()
}
