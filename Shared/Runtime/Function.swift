import Database

#if canImport(Glibc)
    import Glibc
#endif

/// A handler: the request (in the context) in, a response out. Throw `APIError` for
/// anything the client should be told.
public typealias Handler = (Context) throws -> Response

/// The entry point of every function executable:
///
///     Function.run(Login.handle)
///
/// Serves one CGI request and exits, or, when fd 0 is a listening socket, serves FastCGI
/// requests until SIGTERM.
public enum Function {
    /// `body: .stream` hands large bodies to the handler piece by piece (`request.stream`).
    public static func run(_ handler: @escaping Handler, body mode: BodyMode = .buffered) -> Never {
        signal(SIGPIPE, SIG_IGN)
        let config = Config.load()
        let name = executableName()
        if FastCGIServer.stdinIsListeningSocket() {
            // Long-lived: connect straight to PostgreSQL and reuse prepared statements. With
            // FASTCGI_CHILDREN > 1 this process forks that many servers and restarts any that dies.
            FastCGISupervisor.run(children: config.int("FASTCGI_CHILDREN", default: 1), component: name) {
                let database = DatabaseSource(url: config["DATABASE_URL"], prepareStatements: true)
                FastCGIServer(handler: handler, config: config, database: database, component: name, bodyMode: mode).serve()
            }
        }
        // One request per process: go through PgBouncer when it is configured.
        let database = DatabaseSource(url: config["DATABASE_POOL_URL"] ?? config["DATABASE_URL"], prepareStatements: false)
        let request = CGI.readRequest(config: config, mode: mode)
        let response = respond(to: request, handler: handler, config: config, database: database, component: name)
        CGI.write(response)
        exit(0)
    }

    /// Runs the handler and turns every outcome into a response; also what tests call.
    public static func respond(
        to request: Request, handler: Handler, config: Config, database: DatabaseSource, component: String
    ) -> Response {
        let started = monotonicSeconds()
        let requestId = acceptedRequestId(request.header("x-request-id")) ?? newRequestId()
        let context = Context(request: request, requestId: requestId, config: config, database: database, component: component)
        var response: Response
        do {
            if let error = request.earlyError { throw error }
            response = try handler(context)
        } catch let error as APIError {
            response = .error(error, requestId: requestId)
        } catch let error as DatabaseError where error.kind == .checkViolation || error.kind == .invalidInput {
            // A value our validation let through but a constraint refused: still the client's input.
            context.log.warning("constraint refused input", [("error", .string(error.description))])
            response = .error(APIError.invalid([]), requestId: requestId)
        } catch let error as DatabaseError where error.kind == .unavailable || error.kind == .timeout {
            context.log.error("database unavailable", [("error", .string(error.description))])
            response = .error(.unavailable, requestId: requestId)
        } catch {
            // Details go to the log only; the client gets the request id to quote.
            context.log.error("unhandled error", [("error", .string(String(describing: error)))])
            response = .error(.internalError, requestId: requestId)
        }
        database.afterRequest()
        response.headers.append(("X-Request-Id", requestId))
        let milliseconds = (monotonicSeconds() - started) * 1000
        if response.status >= 500 || config.bool("LOG_REQUESTS", default: true) {
            context.log.info(
                "request",
                [
                    ("method", .string(request.method)), ("path", .string(request.path)),
                    ("status", .int(response.status)), ("duration_ms", .double((milliseconds * 100).rounded() / 100)),
                ])
        }
        return response
    }

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

@inline(__always) public func isAlphanumeric(_ byte: UInt8) -> Bool {
    (byte >= 48 && byte <= 57) || (byte >= 65 && byte <= 90) || (byte >= 97 && byte <= 122)
}
