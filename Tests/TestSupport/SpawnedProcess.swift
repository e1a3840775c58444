import Runtime

#if canImport(Glibc)
    import Glibc
#endif

/// A process that runs beside a test (a fake server): started from the `PATH` with the test's
/// environment, stdin from /dev/null, stdout and stderr into `logPath`, stopped with SIGTERM.
/// `runProcess` is the one for programs that run to completion.
public final class SpawnedProcess {
    public let pid: pid_t
    public let logPath: String
    private var exitStatus: Int32?

    public init(_ arguments: [String], logPath: String) throws {
        precondition(!arguments.isEmpty)
        self.logPath = logPath
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, logPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        // The test runner's blocked and ignored signals would be inherited: SIGTERM must work.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        var allSignals = sigset_t()
        sigemptyset(&noSignals)
        sigfillset(&allSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        posix_spawnattr_setsigdefault(&attributes, &allSignals)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        let argv = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawnp(&pid, arguments[0], &actions, &attributes, argv, environ)
        guard spawned == 0 else {
            throw HTTPClient.Failure(description: "cannot start \(arguments[0]): \(String(cString: strerror(spawned)))")
        }
        self.pid = pid
    }

    /// Whether it has ended (reaped here, so `stop` and `wait` know).
    public var hasExited: Bool {
        if exitStatus != nil { return true }
        var status: Int32 = 0
        if waitpid(pid, &status, WNOHANG) == pid {
            exitStatus = status
            return true
        }
        return false
    }

    /// What it wrote to stdout and stderr so far.
    public func output() -> String { (try? readTextFile(logPath)) ?? "" }

    /// Waits for it to end; the raw wait status.
    @discardableResult
    public func wait() -> Int32 {
        if let exitStatus { return exitStatus }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        exitStatus = status
        return status
    }

    /// SIGTERM, then SIGKILL if it is still there after five seconds.
    public func stop() {
        guard !hasExited else { return }
        kill(pid, SIGTERM)
        for _ in 0..<100 {
            if hasExited { return }
            usleep(50_000)
        }
        kill(pid, SIGKILL)
        wait()
    }

    deinit { stop() }
}

/// A new empty directory under /tmp (`mkdtemp`).
public func makeTemporaryDirectory(_ prefix: String) throws -> String {
    var template = Array("/tmp/\(prefix).XXXXXX".utf8CString)
    guard let result = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
        throw HTTPClient.Failure(description: "mkdtemp failed")
    }
    return String(cString: result)
}

/// Removes a directory tree made by a test.
public func removeTree(_ path: String) {
    precondition(path.hasPrefix("/tmp/"), "only temporary directories are removed")
    if let remover = try? SpawnedProcess(["rm", "-rf", path], logPath: "/dev/null") { remover.wait() }
}

/// A whole file's bytes.
public func readFileBytes(_ path: String) throws -> [UInt8] {
    guard let file = fopen(path, "rb") else { throw HTTPClient.Failure(description: "cannot read \(path)") }
    defer { fclose(file) }
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
        let count = fread(&buffer, 1, buffer.count, file)
        if count <= 0 { break }
        bytes += buffer[0..<count]
    }
    return bytes
}
