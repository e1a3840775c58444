import Core

#if canImport(Glibc)
    import Glibc
#endif

/// Keeps `children` FastCGI servers alive on the inherited listening socket: spawn-fcgi and
/// systemd start one process, this one starts the servers by executing its own path again
/// (so a deploy that repointed that path is picked up) and restarts a server that exits (a
/// crash must not leave its route answering 502).
///
/// - SIGHUP (`lmsctl deploy`, `lmsctl rollback`): start a new set of servers from the path,
///   then SIGTERM the old ones, which finish the request in hand and exit: no request fails.
/// - SIGTERM: pass it on to every server, wait for them, exit.
///
/// With `FASTCGI_STATUS_FILE` set it keeps a JSON status there for `lmsctl status`.
enum FastCGISupervisor {
    /// Set in the environment of the servers it starts: they serve instead of supervising.
    static let childVariable = "LMS_FASTCGI_CHILD"

    static func run(children: Int, component: String, serve: () -> Void) -> Never {
        if let value = getenv(childVariable), String(cString: value) == "1" {
            serve()
            exit(0)
        }
        let log = Logger(component: component)
        installSupervisorSignalHandlers()
        let program = programPath()
        let statusFile = getenv("FASTCGI_STATUS_FILE").map { String(cString: $0) }
        let started = unixTime()
        var servers: [pid_t: String] = [:]  // pid -> binary it runs
        var restarts = 0
        var reloads = 0
        var recentExits: [Double] = []

        func start() {
            let binary = resolvedPath(program) ?? program
            if let pid = spawnServer(program) {
                servers[pid] = binary
            } else {
                log.error("could not start a fastcgi server", [("errno", .int(Int(errno)))])
            }
        }
        func writeStatus() {
            guard let statusFile else { return }
            let list = servers.sorted { $0.key < $1.key }.map {
                JSONValue.object(["pid": .number(Double($0.key)), "binary": .string($0.value)])
            }
            let status: JSONValue = .object([
                "pid": .number(Double(getpid())), "started_at": .string(isoTime(started)), "restarts": .number(Double(restarts)),
                "reloads": .number(Double(reloads)), "servers": .array(list),
            ])
            guard let bytes = try? encodeJSON(status) else { return }
            let temporary = statusFile + ".new"
            let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
            guard fd >= 0 else { return }
            _ = writeAll(fd: fd, bytes)
            close(fd)
            rename(temporary, statusFile)
        }

        // The signals are blocked except inside sigsuspend, so none can arrive between looking at
        // the flags and going to sleep: the supervisor sleeps until there is something to do.
        var watched = sigset_t()
        sigemptyset(&watched)
        for signal in [SIGTERM, SIGINT, SIGHUP, SIGCHLD] { sigaddset(&watched, signal) }
        var waiting = sigset_t()
        sigprocmask(SIG_BLOCK, &watched, &waiting)
        for signal in [SIGTERM, SIGINT, SIGHUP, SIGCHLD] { sigdelset(&waiting, signal) }

        for _ in 0..<max(children, 1) { start() }
        writeStatus()
        while true {
            var status: Int32 = 0
            if supervisorStopRequested != 0 {
                for server in servers.keys { kill(server, SIGTERM) }
                while !servers.isEmpty {
                    let done = waitpid(-1, &status, 0)
                    if done > 0 { servers[done] = nil } else if errno == ECHILD { break }
                }
                if let statusFile { unlink(statusFile) }
                exit(0)
            }
            if supervisorReloadRequested != 0 {
                supervisorReloadRequested = 0
                reloads += 1
                // New servers first: both sets accept while the old ones finish what they hold.
                let old = Array(servers.keys)
                for _ in 0..<max(children, 1) { start() }
                for server in old {
                    kill(server, SIGTERM)
                    servers[server] = nil
                }
                log.info("fastcgi servers replaced", [("binary", .string(resolvedPath(program) ?? program))])
                writeStatus()
            }
            var exited = false
            while true {
                let pid = waitpid(-1, &status, WNOHANG)
                guard pid > 0 else { break }
                // Servers replaced by a reload are no longer listed: their exit is expected.
                guard servers.removeValue(forKey: pid) != nil else { continue }
                exited = true
                log.error("fastcgi server exited; starting another", [("pid", .int(Int(pid))), ("status", .int(Int(status)))])
                restarts += 1
                // A server that dies at once every time must not turn into a fork loop.
                let now = monotonicSeconds()
                recentExits = recentExits.filter { now - $0 < 10 } + [now]
                if recentExits.count > 5 { usleep(1_000_000) }
                start()
            }
            if exited {
                writeStatus()
                continue
            }
            if supervisorStopRequested == 0 && supervisorReloadRequested == 0 { sigsuspend(&waiting) }
        }
    }

    /// The path this process was started by (a deploy repoints it), made absolute.
    static func programPath() -> String {
        let first = CommandLine.arguments.first ?? ""
        if first.hasPrefix("/") { return first }
        if first.contains("/") {
            if let directory = getcwd(nil, 0) {
                defer { free(directory) }
                return String(cString: directory) + "/" + first
            }
        }
        return "/proc/self/exe"
    }

    /// fork + exec of `program` with the listening socket on fd 0 and the child marker set.
    static func spawnServer(_ program: String) -> pid_t? {
        var environment = processEnvironment().filter { !$0.hasPrefix(childVariable + "=") } + [childVariable + "=1"]
        environment.sort()
        var envp: [UnsafeMutablePointer<CChar>?] = environment.map { strdup($0) } + [nil]
        var argv: [UnsafeMutablePointer<CChar>?] = [strdup(program), nil]
        defer {
            envp.forEach { free($0) }
            argv.forEach { free($0) }
        }
        var pid: pid_t = 0
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // The child starts with default signal handling (ours would set flags it never reads).
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGTERM, SIGINT, SIGHUP] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        // ... and none blocked (the supervisor blocks the ones it waits for).
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))
        guard posix_spawn(&pid, program, nil, &attributes, &argv, &envp) == 0 else { return nil }
        return pid
    }

}

nonisolated(unsafe) var supervisorStopRequested: sig_atomic_t = 0
nonisolated(unsafe) var supervisorReloadRequested: sig_atomic_t = 0

private func installSupervisorSignalHandlers() {
    var action = sigaction()
    action.__sigaction_handler.sa_handler = { _ in supervisorStopRequested = 1 }
    sigemptyset(&action.sa_mask)
    action.sa_flags = 0
    sigaction(SIGTERM, &action, nil)
    sigaction(SIGINT, &action, nil)
    var reload = sigaction()
    reload.__sigaction_handler.sa_handler = { _ in supervisorReloadRequested = 1 }
    sigemptyset(&reload.sa_mask)
    reload.sa_flags = 0
    sigaction(SIGHUP, &reload, nil)
    // SIGCHLD is ignored by default, which would not wake sigsuspend: a handler that does nothing.
    var child = sigaction()
    child.__sigaction_handler.sa_handler = { _ in }
    sigemptyset(&child.sa_mask)
    child.sa_flags = SA_NOCLDSTOP
    sigaction(SIGCHLD, &child, nil)
}
