#if canImport(Glibc)
    import Glibc
#endif

/// A process a test starts in the background (a fake server, a worker) and stops when done
/// with it. It inherits the test's environment unless one is given; `PATH` finds the program.
/// The one way tests start processes.
public final class ChildProcess: @unchecked Sendable {
    public let pid: pid_t
    public let arguments: [String]
    private var status: Int32?

    /// Starts `arguments[0]` with stdout and stderr appended to the given files (else inherited).
    public init(_ arguments: [String], stdout: String? = nil, stderr: String? = nil, environment: [String: String]? = nil) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for (fd, path) in [(Int32(1), stdout), (Int32(2), stderr)] {
            if let path { posix_spawn_file_actions_addopen(&actions, fd, path, O_WRONLY | O_CREAT | O_APPEND, 0o644) }
        }
        self.pid = try spawn(arguments, &actions, environment: environment)
        self.arguments = arguments
    }

    deinit { stop() }

    /// The wait status once the process has exited (on its own or by `stop`), else nil.
    public func exitStatus() -> Int32? {
        if status == nil {
            var raw: Int32 = 0
            if waitpid(pid, &raw, WNOHANG) == pid { status = raw }
        }
        return status
    }

    public func signal(_ signal: Int32) { kill(pid, signal) }

    /// Waits up to `seconds` for the process to exit; true when it did.
    @discardableResult
    public func waitForExit(seconds: Double = 30) -> Bool {
        var waited = 0.0
        while exitStatus() == nil {
            if waited >= seconds { return false }
            usleep(20_000)
            waited += 0.02
        }
        return true
    }

    /// SIGTERM, then SIGKILL if it has not exited within `graceSeconds`; reaps it either way.
    public func stop(graceSeconds: Double = 5) {
        guard exitStatus() == nil else { return }
        kill(pid, SIGTERM)
        var waited = 0.0
        while exitStatus() == nil {
            if waited >= graceSeconds {
                kill(pid, SIGKILL)
                var raw: Int32 = 0
                waitpid(pid, &raw, 0)
                status = raw
                return
            }
            usleep(20_000)
            waited += 0.02
        }
    }
}

/// Runs a command to completion and returns its stdout and wait status; stderr is inherited.
/// The environment is the test's unless one is given.
public func runCommand(_ arguments: [String], input: [UInt8] = [], environment: [String: String]? = nil) throws -> (
    output: [UInt8], status: Int32
) {
    var stdinPipe: [Int32] = [0, 0]
    var stdoutPipe: [Int32] = [0, 0]
    guard pipe(&stdinPipe) == 0, pipe(&stdoutPipe) == 0 else { throw ProcessFailure("pipe failed") }
    // Close-on-exec, so processes other tests start meanwhile cannot hold these pipes open
    // (Glibc's module does not export pipe2; the window before this line is tiny).
    for fd in stdinPipe + stdoutPipe { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_adddup2(&actions, stdinPipe[0], 0)
    posix_spawn_file_actions_adddup2(&actions, stdoutPipe[1], 1)
    let pid: pid_t
    do { pid = try spawn(arguments, &actions, environment: environment) } catch {
        (stdinPipe + stdoutPipe).forEach { _ = close($0) }
        throw error
    }
    close(stdinPipe[0])
    close(stdoutPipe[1])
    signal(SIGPIPE, SIG_IGN)
    var written = 0
    while written < input.count {
        let count = input.withUnsafeBytes { write(stdinPipe[1], $0.baseAddress! + written, input.count - written) }
        if count <= 0 { break }
        written += count
    }
    close(stdinPipe[1])
    var output: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
        let count = read(stdoutPipe[0], &buffer, buffer.count)
        if count <= 0 { break }
        output += buffer[0..<count]
    }
    close(stdoutPipe[0])
    var status: Int32 = 0
    waitpid(pid, &status, 0)
    return (output, status)
}

/// A helper process that could not be started or did not behave.
public struct ProcessFailure: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// posix_spawnp with the default signal mask and dispositions: the test process's threads block
/// SIGTERM (and ignore SIGPIPE), and a child would otherwise inherit that and never stop.
private func spawn(_ arguments: [String], _ actions: inout posix_spawn_file_actions_t, environment: [String: String]? = nil) throws -> pid_t
{
    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    var empty = sigset_t()
    sigemptyset(&empty)
    var defaults = sigset_t()
    sigemptyset(&defaults)
    for signal in [SIGTERM, SIGINT, SIGHUP, SIGPIPE] { sigaddset(&defaults, signal) }
    posix_spawnattr_setsigmask(&attributes, &empty)
    posix_spawnattr_setsigdefault(&attributes, &defaults)
    posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
    var pid: pid_t = 0
    let spawned = withCStrings(arguments) { argv in
        guard let environment else { return posix_spawnp(&pid, arguments[0], &actions, &attributes, argv, environ) }
        return withCStrings(environment.map { "\($0.key)=\($0.value)" }) { envp in
            posix_spawnp(&pid, arguments[0], &actions, &attributes, argv, envp)
        }
    }
    guard spawned == 0 else { throw ProcessFailure("cannot start \(arguments[0]): \(String(cString: strerror(spawned)))") }
    return pid
}

/// `argv` for posix_spawn: NUL-terminated copies, freed afterwards.
private func withCStrings<Result>(_ strings: [String], _ body: ([UnsafeMutablePointer<CChar>?]) -> Result) -> Result {
    let pointers = strings.map { strdup($0) } + [nil]
    defer { pointers.forEach { free($0) } }
    return body(pointers)
}
