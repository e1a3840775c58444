import Core
import Database

#if canImport(Glibc)
    import Glibc

    /// glibc's `mallopt`: malloc.h is not in Swift's Glibc module.
    @_silgen_name("mallopt") private func glibcMallopt(_ parameter: Int32, _ value: Int32) -> Int32
#endif

/// The entry point of every function executable, whose `main.swift` is its route:
///
///     Function.run(Login.endpoint)
///
/// Serves one CGI request and exits, or, when fd 0 is a listening socket, serves FastCGI
/// requests until SIGTERM. `--describe` prints the endpoint's declaration (one JSON line).
public enum Function {
    public static func run(_ endpoint: Endpoint) -> Never {
        if CommandLine.arguments.dropFirst().first == "--describe" {
            _ = writeAll(fd: 1, endpoint.description + [UInt8(ascii: "\n")])
            exit(0)
        }
        signal(SIGPIPE, SIG_IGN)
        let config = Config.load()
        let name = executableName()
        if FastCGIServer.stdinIsListeningSocket() {
            // Long-lived: connect straight to PostgreSQL and reuse prepared statements. The
            // supervisor keeps FASTCGI_CHILDREN servers alive and replaces them on SIGHUP (deploys).
            FastCGISupervisor.run(children: config.int("FASTCGI_CHILDREN", default: 1), component: name) {
                keepFreedMemory()
                let database = DatabaseSource(url: config["DATABASE_URL"], prepareStatements: true)
                FastCGIServer(endpoint: endpoint, config: config, database: database, component: name).serve()
            }
        }
        // One request per process: go through PgBouncer when it is configured.
        let database = DatabaseSource(url: config["DATABASE_POOL_URL"] ?? config["DATABASE_URL"], prepareStatements: false)
        let request = CGI.readRequest(config: config, endpoint: endpoint)
        let response = respond(to: request, endpoint: endpoint, config: config, database: database, component: name)
        CGI.write(response)
        exit(0)
    }

    /// A long-lived server frees most of what a request allocated when it answers. glibc's
    /// defaults then give the top of the heap back to the kernel (brk) and map and unmap larger
    /// blocks for each request: about 3% of a FastCGI process's CPU time in profiles of the
    /// progress page. Fixed thresholds keep up to 32 MiB of freed heap for the next request and
    /// serve blocks under 4 MiB from the heap.
    static func keepFreedMemory() {
        #if canImport(Glibc)
            _ = glibcMallopt(-1, 32 << 20)  // M_TRIM_THRESHOLD (malloc.h)
            _ = glibcMallopt(-3, 4 << 20)  // M_MMAP_THRESHOLD
        #endif
    }

    /// Routes, authorizes and runs the handler, turning every outcome into a response; also
    /// what tests call.
    public static func respond(
        to request: Request, endpoint: Endpoint, config: Config, database: DatabaseSource, component: String
    ) -> Response {
        let started = monotonicSeconds()
        let requestId = acceptedRequestId(request.header("x-request-id")) ?? newRequestId()
        let log = Logger(component: component, requestId: requestId)
        var request = request
        var response: Response
        do {
            if let error = request.earlyError { throw error }
            try endpoint.route(&request)
            let context = Context(request: request, requestId: requestId, config: config, database: database, component: component)
            try endpoint.authorize(context)
            response = try endpoint.handler(context)
        } catch {
            response = Function.response(for: error, log: log, requestId: requestId)
        }
        database.afterRequest()
        response.headers.append(("X-Request-Id", requestId))
        let milliseconds = (monotonicSeconds() - started) * 1000
        if response.status >= 500 || config.bool("LOG_REQUESTS", default: true) {
            log.info(
                "request",
                [
                    ("method", .string(request.method)), ("path", .string(request.path)),
                    ("status", .int(response.status)), ("duration_ms", .double((milliseconds * 100).rounded() / 100)),
                ])
        }
        return response
    }

    /// The error envelope for anything a handler threw: `APIError` as it says, a constraint
    /// that refused input as 422, an unreachable database as 503, anything else a logged 500.
    static func response(for error: any Error, log: Logger, requestId: String) -> Response {
        switch error {
        case let error as APIError:
            return .error(error, requestId: requestId)
        case let error as DatabaseError where error.kind == .checkViolation || error.kind == .invalidInput:
            // A value our validation let through but a constraint refused: still the client's input.
            log.warning("constraint refused input", [("error", .string(error.description))])
            return .error(APIError.invalid([]), requestId: requestId)
        case let error as DatabaseError where error.kind == .unavailable || error.kind == .timeout:
            log.error("database unavailable", [("error", .string(error.description))])
            return .error(.unavailable, requestId: requestId)
        default:
            // Details go to the log only; the client gets the request id to quote.
            log.error("unhandled error", [("error", .string(String(describing: error)))])
            return .error(.internalError, requestId: requestId)
        }
    }

    /// The release this executable is (`releases/NAME/HASH`, installed by `lmsctl deploy`):
    /// the 12 hex digits of its file name, or nil for a binary run from elsewhere.
    public static let release: String? = {
        guard let path = CommandLine.arguments.first, let resolved = resolvedPath(path) else { return nil }
        let name = resolved.split(separator: "/").last.map(String.init) ?? ""
        return name.utf8.count == 12 && name.utf8.allSatisfy({ isAlphanumeric($0) }) ? name : nil
    }()

    /// Keeps a caller's `X-Request-Id` when it is short and plain, so ids can be traced end to end.
    static func acceptedRequestId(_ value: String?) -> String? {
        guard let value, (1...64).contains(value.utf8.count),
            value.utf8.allSatisfy({ isAlphanumeric($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ".") })
        else { return nil }
        return value
    }

    static func newRequestId() -> String {
        var generator = SystemRandomNumberGenerator()
        let value = generator.next() as UInt64
        let hex = String(value, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }

    static func executableName() -> String {
        let path = CommandLine.arguments.first ?? "function"
        return String(path.split(separator: "/").last ?? "function")
    }
}
