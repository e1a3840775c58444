import Database
import Runtime

/// `infra/routes.manifest`: one route a line, whitespace-separated columns
/// `method path function access mode procs body rate`; `#` starts a comment.
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

        public var isPublic: Bool { access == ["public"] }
        /// True when the path has `{parameters}`.
        public var isTemplate: Bool { path.contains("{") }
    }

    public enum Mode: String, Sendable {
        /// One process per request (fcgiwrap); `fastcgi`: long-lived processes; `stream`: CGI
        /// with the request body passed on as it arrives (uploads), never FastCGI.
        case cgi, fastcgi, stream
    }

    public struct ParseError: Error, CustomStringConvertible {
        public var line: Int
        public var reason: String
        public var description: String { "routes.manifest line \(line): \(reason)" }
    }

    public var routes: [Route]

    public static func load(_ path: String) throws -> Manifest { try parse(try readTextFile(path)) }

    public static func parse(_ text: String) throws -> Manifest {
        var routes: [Route] = []
        for (number, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            let columns = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            if columns.isEmpty { continue }
            guard columns.count == 8 else { throw ParseError(line: number + 1, reason: "expected 8 columns, found \(columns.count)") }
            guard ["GET", "POST", "PUT", "PATCH", "DELETE"].contains(columns[0]) else {
                throw ParseError(line: number + 1, reason: "unknown method \(columns[0])")
            }
            guard columns[1].hasPrefix("/api/v1/") || columns[1] == "/api/v1" else {
                throw ParseError(line: number + 1, reason: "paths start with /api/v1")
            }
            guard let mode = Mode(rawValue: columns[4]) else { throw ParseError(line: number + 1, reason: "mode is cgi, fastcgi or stream") }
            guard let limit = parseSize(columns[6]) else { throw ParseError(line: number + 1, reason: "bad body limit \(columns[6])") }
            let processes = columns[5] == "-" ? 0 : Int(columns[5]) ?? -1
            guard processes >= 0, mode != .fastcgi || processes >= 1 else {
                throw ParseError(line: number + 1, reason: "fastcgi routes need a process count")
            }
            let access = columns[3].split(separator: ",").map(String.init)
            let known = ["public", "signed-in", "student", "instructor", "admin"]
            guard access.allSatisfy(known.contains) else { throw ParseError(line: number + 1, reason: "unknown access \(columns[3])") }
            let route = Route(
                method: columns[0], path: columns[1], function: columns[2], access: access, mode: mode, processes: processes,
                bodyLimit: limit, rateClass: columns[7] == "-" ? nil : columns[7])
            guard !routes.contains(where: { $0.method == route.method && $0.path == route.path }) else {
                throw ParseError(line: number + 1, reason: "duplicate route \(route.method) \(route.path)")
            }
            routes.append(route)
        }
        return Manifest(routes: routes)
    }

    /// The FastCGI functions and how many processes each gets (a function listed on several
    /// routes keeps the largest count).
    public func fastCGIFunctions() -> [(function: String, processes: Int)] {
        var result: [(String, Int)] = []
        for route in routes where route.mode == .fastcgi {
            if let index = result.firstIndex(where: { $0.0 == route.function }) {
                result[index].1 = max(result[index].1, route.processes)
            } else {
                result.append((route.function, route.processes))
            }
        }
        return result
    }

    /// Every function named by the manifest, once.
    public var functions: [String] {
        var seen: [String] = []
        for route in routes where !seen.contains(route.function) { seen.append(route.function) }
        return seen
    }
}

/// "0", "512", "16k", "2m", "4g" in bytes.
func parseSize(_ text: String) -> Int? {
    let lower = text.lowercased()
    if lower.hasSuffix("g") { return Int(lower.dropLast()).map { $0 * 1024 * 1024 * 1024 } }
    if lower.hasSuffix("k") { return Int(lower.dropLast()).map { $0 * 1024 } }
    if lower.hasSuffix("m") { return Int(lower.dropLast()).map { $0 * 1024 * 1024 } }
    return Int(lower)
}
