import Core
import Crypto

#if canImport(Glibc)
    import Glibc
#endif

/// Installs function executables one at a time, the way `lmsctl deploy` and `rollback` do.
///
/// A stack folder holds `functions/NAME`, a symlink to `releases/NAME/HASH` (the first 12 hex
/// digits of the binary's SHA-256), and `releases/NAME/previous`, a symlink to the release it
/// replaced. fcgiwrap executes `functions/NAME` for every CGI request, so repointing the
/// symlink (one `rename`) deploys a CGI function; each FastCGI function's supervisor
/// (`run/INSTANCE/fn-NAME.pid`) gets SIGHUP and replaces its servers from the new target
/// while the old ones finish what they hold. Nothing else restarts.
public struct Deployment {
    public let stack: String
    public var functions: String { stack + "/functions" }
    public var releases: String { stack + "/releases" }

    public init(stack: String) { self.stack = stack }

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
        init(_ description: String) { self.description = description }
    }

    /// What a deploy or rollback did to one function.
    public struct Outcome: Sendable {
        public var function: String
        public var release: String
        public var previous: String?
        /// FastCGI supervisors that replaced their servers.
        public var reloaded: Int
    }

    /// Checks that `binary` starts and declares the same route as the installed version (a
    /// changed route needs a new proxy config: `infra/up.sh`), installs it beside the previous
    /// one and switches to it. `wait` seconds for the FastCGI servers to be replaced.
    public func deploy(function: String, binary: String, allowRouteChange: Bool = false, wait: Double = 30) throws -> Outcome {
        guard access(binary, X_OK) == 0 else {
            throw Failure("no executable at \(binary) (infra/deploy.sh \(function) builds and deploys it)")
        }
        guard let description = try captureOutput([binary, "--describe"]) else {
            throw Failure("\(binary) does not start (`--describe` failed): not deployed")
        }
        let route = try Manifest.route(function: function, description: description)
        if !allowRouteChange, let current = try captureOutput([functions + "/" + function, "--describe"]) {
            let installed = try Manifest.route(function: function, description: current)
            var comparable = route
            comparable.mode = installed.mode
            comparable.processes = installed.processes
            guard comparable == installed else {
                throw Failure(
                    "\(function) now declares \(route.method) \(route.path) (access \(route.access.joined(separator: ",")), body \(route.bodyLimit)); "
                        + "the proxy routes \(installed.method) \(installed.path): regenerate the proxy config (infra/up.sh), or pass --route-change"
                )
            }
        }
        let bytes = try readFileBytes(binary)
        let release = Crypto.hex(Crypto.sha256(bytes)).prefix(12)
        let folder = releases + "/" + function
        try makeFolder(functions)
        try makeFolder(folder)
        let target = folder + "/" + release
        if access(target, X_OK) != 0 { try writeAtomically(bytes, to: target, mode: 0o755) }
        return try switchTo(function: function, target: target, wait: wait)
    }

    /// Switches back to the release the last deploy replaced (and remembers the current one,
    /// so a second rollback undoes the first).
    public func rollback(function: String, wait: Double = 30) throws -> Outcome {
        guard let previous = readLink(releases + "/" + function + "/previous") else {
            throw Failure("\(function) has no previous release")
        }
        return try switchTo(function: function, target: previous, wait: wait)
    }

    func switchTo(function: String, target: String, wait: Double) throws -> Outcome {
        let link = functions + "/" + function
        let current = readLink(link)
        if let current, current != target {
            try replaceLink(releases + "/" + function + "/previous", pointingTo: current)
        }
        try replaceLink(link, pointingTo: target)
        prune(function: function, keeping: [target, current].compactMap { $0 })
        var reloaded = 0
        for instance in instances() {
            // The servers to be replaced, read before the signal: the supervisor may rewrite its
            // status before we look again.
            let replaced = serverPids(instance: instance, function: function)
            guard signalSupervisor(instance: instance, function: function, SIGHUP) else { continue }
            reloaded += 1
            try waitForServers(instance: instance, function: function, binary: target, replacing: replaced, seconds: wait)
        }
        return Outcome(function: function, release: lastComponent(target), previous: current.map(lastComponent), reloaded: reloaded)
    }

    /// Removes the releases of a function other than the current and the previous one.
    func prune(function: String, keeping: [String]) {
        let folder = releases + "/" + function
        for (name, _) in folderEntries(folder) ?? []
        where name.utf8.count == 12 && !keeping.contains(where: { lastComponent($0) == name }) {
            unlink(folder + "/" + name)
        }
    }

    /// One line per function: release, previous release, and per FastCGI instance its servers.
    public func status() throws -> [String] {
        var lines: [String] = []
        for function in try Manifest.executables(in: functions) {
            let release = readLink(functions + "/" + function).map(lastComponent) ?? "(not a release)"
            let previous = readLink(releases + "/" + function + "/previous").map(lastComponent) ?? "-"
            var modes: [String] = []
            for instance in instances() {
                guard let status = supervisorStatus(instance: instance, function: function) else { continue }
                var servers: [JSONValue] = []
                if case .array(let list)? = status["servers"] { servers = list }
                let binaries = Set(servers.compactMap { $0["binary"]?.stringValue }.map(lastComponent))
                let restarts = status["restarts"]?.intValue ?? 0
                let reloads = status["reloads"]?.intValue ?? 0
                modes.append(
                    "\(lastComponent(instance)):fastcgi servers=\(servers.count) running=\(binaries.sorted().joined(separator: ",")) "
                        + "restarts=\(restarts) reloads=\(reloads) since=\(status["started_at"]?.stringValue ?? "?")")
            }
            let mode = modes.isEmpty ? "cgi" : modes.joined(separator: " ")
            lines.append("\(function) release=\(release) previous=\(previous) \(mode)")
        }
        return lines
    }

    /// The run folders of the proxy instances (`run/NAME/`) of this stack.
    func instances() -> [String] {
        (folderEntries(stack + "/run") ?? []).filter { $0.isFolder && !$0.name.hasPrefix(".") }.map { stack + "/run/" + $0.name }.sorted()
    }

    func supervisorStatus(instance: String, function: String) -> JSONValue? {
        guard let bytes = try? readFileBytes(instance + "/fn-" + function + ".status") else { return nil }
        return try? JSONValue.parse(bytes)
    }

    /// Sends `signal` to the function's supervisor in that instance; false when none runs there.
    func signalSupervisor(instance: String, function: String, _ signal: Int32) -> Bool {
        guard let text = try? readTextFile(instance + "/fn-" + function + ".pid"), let pid = pid_t(text.trimmed()), pid > 0 else {
            return false
        }
        return kill(pid, signal) == 0
    }

    /// The pids of the function's servers in that instance, as its supervisor last wrote them.
    func serverPids(instance: String, function: String) -> Set<Int> {
        guard let status = supervisorStatus(instance: instance, function: function), case .array(let servers)? = status["servers"] else {
            return []
        }
        return Set(servers.compactMap { $0["pid"]?.intValue })
    }

    /// Waits until every server of the instance runs `binary` and the `replacing` ones are gone.
    func waitForServers(instance: String, function: String, binary: String, replacing before: Set<Int>, seconds: Double) throws {
        let deadline = monotonicSeconds() + seconds
        let wanted = resolvedPath(binary) ?? binary
        while monotonicSeconds() < deadline {
            if let status = supervisorStatus(instance: instance, function: function), case .array(let servers)? = status["servers"],
                !servers.isEmpty, servers.allSatisfy({ $0["binary"]?.stringValue == wanted })
            {
                let current = Set(servers.compactMap { $0["pid"]?.intValue })
                let leftovers = before.subtracting(current).filter { kill(pid_t($0), 0) == 0 }
                if leftovers.isEmpty { return }
            }
            usleep(50_000)
        }
        throw Failure("\(function): the FastCGI servers in \(instance) were not replaced within \(Int(seconds)) s")
    }

    func makeFolder(_ path: String) throws {
        if let failed = makeDirectories(path, mode: 0o755) { throw Failure("cannot create \(failed)") }
    }

    func writeAtomically(_ bytes: [UInt8], to path: String, mode: mode_t) throws {
        let temporary = path + ".new"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC, mode)
        guard fd >= 0 else { throw Failure("cannot write \(temporary)") }
        let written = writeAll(fd: fd, bytes)
        fchmod(fd, mode)
        fsync(fd)
        close(fd)
        guard written, rename(temporary, path) == 0 else { throw Failure("cannot install \(path)") }
    }

    /// A symlink replaced in one `rename`, so a concurrent exec sees the old or the new target.
    func replaceLink(_ link: String, pointingTo target: String) throws {
        let temporary = link + ".new"
        unlink(temporary)
        guard symlink(target, temporary) == 0, rename(temporary, link) == 0 else { throw Failure("cannot point \(link) to \(target)") }
    }

    func readLink(_ path: String) -> String? {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = readlink(path, &buffer, buffer.count - 1)
        guard count > 0 else { return nil }
        return String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    func lastComponent(_ path: String) -> String { String(path.split(separator: "/").last ?? Substring(path)) }
}

extension JSONValue {
    var stringValue: String? { if case .string(let value) = self { value } else { nil } }
    var intValue: Int? { if case .number(let value) = self { Int(value) } else { nil } }
}
