#if canImport(Glibc)
    import Glibc
#endif

/// Keeps `children` FastCGI server processes alive on the inherited listening socket: spawn-fcgi
/// and systemd start one process, this one forks the servers and restarts a server that exits
/// (a crash must not leave its route answering 502). SIGTERM goes on to every server, which
/// finishes the request in hand; then the supervisor exits.
enum FastCGISupervisor {
    static func run(children: Int, component: String, serve: () -> Void) -> Never {
        guard children > 1 else {
            serve()
            exit(0)
        }
        let log = Logger(component: component)
        installSupervisorStopHandler()
        var servers: Set<pid_t> = []
        var recentExits: [Double] = []
        func start() {
            let pid = fork()
            if pid == 0 {
                serve()
                exit(0)
            }
            if pid > 0 { servers.insert(pid) } else { log.error("fork failed", [("errno", .int(Int(errno)))]) }
        }
        for _ in 0..<children { start() }
        while true {
            var status: Int32 = 0
            let pid = waitpid(-1, &status, 0)
            if supervisorStopRequested != 0 {
                for server in servers { kill(server, SIGTERM) }
                while !servers.isEmpty {
                    let done = waitpid(-1, &status, 0)
                    if done > 0 { servers.remove(done) } else if errno == ECHILD { break }
                }
                exit(0)
            }
            guard pid > 0, servers.remove(pid) != nil else {
                if pid < 0 && errno == ECHILD { start() }
                continue
            }
            log.error("fastcgi server exited; starting another", [("pid", .int(Int(pid))), ("status", .int(Int(status)))])
            // A server that dies at once every time must not turn into a fork loop.
            let now = monotonicSeconds()
            recentExits = recentExits.filter { now - $0 < 10 } + [now]
            if recentExits.count > 5 { usleep(1_000_000) }
            start()
        }
    }
}

nonisolated(unsafe) var supervisorStopRequested: sig_atomic_t = 0

private func installSupervisorStopHandler() {
    var action = sigaction()
    action.__sigaction_handler.sa_handler = { _ in supervisorStopRequested = 1 }
    sigemptyset(&action.sa_mask)
    action.sa_flags = 0  // no SA_RESTART: waitpid returns to look at the flag
    sigaction(SIGTERM, &action, nil)
    sigaction(SIGINT, &action, nil)
}
