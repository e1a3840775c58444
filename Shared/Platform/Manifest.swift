import Core

#if canImport(Glibc)
    import Glibc
#endif

/// The routes of a deployment. Each function executable declares its own endpoint (method,
/// path, access, default mode and processes, body limit, rate class) and prints it with
/// `--describe`; the manifest is what the installed executables say, with the operator's
/// overrides (`infra/functions.conf`: mode and processes per function) applied on top. The
/// nginx config, `lmsctl status` and the tests' route checks all read it.
public struct Manifest: Sendable {
    public struct Route: Sendable, Equatable {
        public var method: String
        public var path: String
        public var function: String
        /// `public`, `signed-in`, or roles.
        public var access: [String]
        public var mode: Mode
        /// FastCGI processes to start for this function.
        public var processes: Int
        public var bodyLimit: Int
        public var rateClass: String?

        public init(
            method: String, path: String, function: String, access: [String], mode: Mode, processes: Int, bodyLimit: Int,
            rateClass: String?
        ) {
            self.method = method
            self.path = path
            self.function = function
            self.access = access
            self.mode = mode
            self.processes = processes
            self.bodyLimit = bodyLimit
            self.rateClass = rateClass
        }

        public var isPublic: Bool { access == ["public"] }
    }

    public enum Mode: String, Sendable {
        /// One process per request (fcgiwrap); `fastcgi`: long-lived processes; `stream`: CGI
        /// with the request body passed on as it arrives (uploads), never FastCGI.
        case cgi, fastcgi, stream
    }

    /// A declaration or override that cannot be used; names the function or line at fault.
    public struct ParseError: Error, CustomStringConvertible {
        public var reason: String
        public init(_ reason: String) { self.reason = reason }
        public var description: String { reason }
    }

    public var routes: [Route]

    public init(routes: [Route]) { self.routes = routes }

    /// Asks every executable in `directory` for its declaration (`NAME --describe`), then
    /// applies the overrides file when there is one.
    public static func describe(directory: String, overrides: String? = nil) throws -> Manifest {
        var routes: [Route] = []
        for name in try executables(in: directory) {
            let output = try captureOutput([directory + "/" + name, "--describe"])
            guard let output else { throw ParseError("\(name) did not describe itself (\(directory)/\(name) --describe failed)") }
            routes.append(try route(function: name, description: output))
        }
        // By path, then GET, POST, PUT, PATCH, DELETE: the order of the proxy's locations and Allow lists.
        let order = ["GET", "POST", "PUT", "PATCH", "DELETE"]
        routes.sort { ($0.path, order.firstIndex(of: $0.method) ?? 9) < ($1.path, order.firstIndex(of: $1.method) ?? 9) }
        var manifest = Manifest(routes: routes)
        try manifest.checkUnique()
        if let overrides { try manifest.apply(overrides: try readTextFile(overrides)) }
        return manifest
    }

    /// One function's `--describe` output as a route.
    public static func route(function: String, description: [UInt8]) throws -> Route {
        let value = try? JSONValue.parse(description)
        guard let value, case .string(let method)? = value["method"], case .string(let path)? = value["path"],
            case .string(let access)? = value["access"], case .string(let modeName)? = value["mode"],
            let mode = Mode(rawValue: modeName), case .number(let processes)? = value["processes"],
            case .number(let body)? = value["body"]
        else { throw ParseError("\(function): unreadable declaration") }
        guard ["GET", "POST", "PUT", "PATCH", "DELETE"].contains(method), path.hasPrefix("/api/v1/") || path == "/api/v1" else {
            throw ParseError("\(function): bad method or path \(method) \(path)")
        }
        let rate: String? = if case .string(let rate)? = value["rate"] { rate } else { nil }
        return Route(
            method: method, path: path, function: function, access: access.split(separator: ",").map(String.init), mode: mode,
            processes: Int(processes), bodyLimit: Int(body), rateClass: rate)
    }

    /// `function mode [processes]` a line, `#` comments: the operator moves a function between
    /// CGI and FastCGI or changes its process count without a rebuild.
    public mutating func apply(overrides text: String) throws {
        for (number, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            let columns = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            if columns.isEmpty { continue }
            let at = "functions.conf line \(number + 1)"
            guard (2...3).contains(columns.count), let mode = Mode(rawValue: columns[1]), mode != .stream else {
                throw ParseError("\(at): expected `function cgi|fastcgi [processes]`")
            }
            let processes = columns.count == 3 ? Int(columns[2]) ?? 0 : 1
            guard processes >= 1 else { throw ParseError("\(at): processes must be a positive number") }
            let indices = routes.indices.filter { routes[$0].function == columns[0] }
            guard !indices.isEmpty else { throw ParseError("\(at): no function named \(columns[0])") }
            for index in indices {
                guard routes[index].mode != .stream else { throw ParseError("\(at): \(columns[0]) streams uploads and stays CGI") }
                routes[index].mode = mode
                routes[index].processes = processes
            }
        }
    }

    func checkUnique() throws {
        var seen: [String: String] = [:]
        for route in routes {
            let key = "\(route.method) \(route.path)"
            if let other = seen[key] { throw ParseError("\(other) and \(route.function) both declare \(key)") }
            seen[key] = route.function
        }
    }

    /// The FastCGI functions and how many processes each gets.
    public func fastCGIFunctions() -> [(function: String, processes: Int)] {
        routes.filter { $0.mode == .fastcgi }.map { ($0.function, max($0.processes, 1)) }
    }

    /// Every function, once, in route order.
    public var functions: [String] {
        var seen: [String] = []
        for route in routes where !seen.contains(route.function) { seen.append(route.function) }
        return seen
    }

    /// The names of the executables in a folder (symlinks followed), sorted.
    static func executables(in directory: String) throws -> [String] {
        guard let entries = folderEntries(directory) else { throw ParseError("cannot list \(directory)") }
        var names: [String] = []
        for (name, _) in entries {
            guard !name.hasPrefix("."), access(directory + "/" + name, X_OK) == 0 else { continue }
            var info = stat()
            guard stat(directory + "/" + name, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { continue }
            names.append(name)
        }
        return names.sorted()
    }
}

/// Runs a program and returns what it printed, or nil when it could not start or failed.
/// (A few lines of posix_spawn rather than Foundation's Process: lmsctl stays static.)
public func captureOutput(_ arguments: [String]) throws -> [UInt8]? {
    var pipeEnds: [Int32] = [0, 0]
    guard pipe(&pipeEnds) == 0 else { return nil }
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_adddup2(&actions, pipeEnds[1], 1)
    posix_spawn_file_actions_addclose(&actions, pipeEnds[0])
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
    defer { argv.forEach { free($0) } }
    var pid: pid_t = 0
    let spawned = posix_spawn(&pid, arguments[0], &actions, nil, &argv, environ)
    close(pipeEnds[1])
    defer { close(pipeEnds[0]) }
    guard spawned == 0 else { return nil }
    var output: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 4096)
    while true {
        let count = read(pipeEnds[0], &buffer, buffer.count)
        if count > 0 {
            output += buffer[0..<count]
        } else if count < 0 && errno == EINTR {
            continue
        } else {
            break
        }
    }
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    return (status & 0x7f) == 0 && (status >> 8) & 0xff == 0 ? output : nil
}
