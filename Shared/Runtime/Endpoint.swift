import Auth
import Core

/// A handler: the request (in the context) in, a response out. Throw `APIError` for
/// anything the client should be told.
public typealias Handler = @Sendable (Context) throws -> Response

/// One HTTP endpoint, declared once, next to its handler:
///
///     public static let endpoint = Endpoint(.post, "/api/v1/courses/{id}/enroll", access: .signedIn, body: 1 * KiB, handle)
///
/// The executable serves it (`Function.run(EnrollInCourse.endpoint)`) and prints it with
/// `--describe`, which is where `lmsctl` reads routes from: the nginx config, the OpenAPI check
/// and the access walk all derive from this one value. Before the handler runs, the runtime
/// refuses callers the declared access does not admit (401/403) and path parameters of the
/// wrong type (404); handlers keep the object-level checks (owner, enrolled).
public struct Endpoint: Sendable {
    public enum Method: String, Sendable, CaseIterable {
        case get = "GET"
        case post = "POST"
        case put = "PUT"
        case patch = "PATCH"
        case delete = "DELETE"
    }

    /// Who may call. `.anyone` endpoints authenticate lazily (`Context.optionalCaller()`).
    public enum Access: Sendable, Equatable {
        case anyone
        case signedIn
        case roles(Set<Role>)

        /// `public`, `signed-in` or the roles comma-separated (the manifest and `--describe` form).
        public var text: String {
            switch self {
            case .anyone: "public"
            case .signedIn: "signed-in"
            case .roles(let roles): Role.allCases.filter(roles.contains).map(\.rawValue).joined(separator: ",")
            }
        }

        public init?(text: String) {
            switch text {
            case "public": self = .anyone
            case "signed-in": self = .signedIn
            default:
                let roles = text.split(separator: ",").map { Role(rawValue: String($0)) }
                guard !roles.isEmpty, !roles.contains(nil) else { return nil }
                self = .roles(Set(roles.compactMap { $0 }))
            }
        }

        public func admits(_ role: Role) -> Bool {
            switch self {
            case .anyone, .signedIn: true
            case .roles(let roles): roles.contains(role)
            }
        }
    }

    /// How the proxy runs it by default; the operator may override mode and processes
    /// (`infra/functions.conf`) without a rebuild.
    public enum Mode: String, Sendable {
        /// One process per request (fcgiwrap).
        case cgi
        /// Long-lived processes on a socket.
        case fastcgi
        /// CGI with the request body passed on as it arrives (uploads); never FastCGI.
        case stream
    }

    /// The type of a `{parameter}` in the path, checked before the handler runs.
    public enum Parameter: String, Sendable {
        /// A UUID in canonical text form; anything else is a 404.
        case uuid
        /// A positive whole number that fits in 64 bits (queue job ids).
        case integer
        /// Any non-empty segment (the handler validates it).
        case text

        func admits(_ value: String) -> Bool {
            switch self {
            case .uuid: isUUID(value)
            case .integer: (1...19).contains(value.utf8.count) && value.utf8.allSatisfy { $0 >= 48 && $0 <= 57 } && Int64(value) != nil
            case .text: true
            }
        }
    }

    /// When a `.signedIn` caller's session is checked against the database (the token's
    /// signature and expiry are always checked before the handler).
    public enum Session: Sendable {
        /// Before the handler runs.
        case beforeHandler
        /// In the round trip of the handler's first statement (`Context.user(with:)`), which
        /// the handler must send before any other (`Context.db()` refuses until then): a
        /// round trip fewer, for the hottest signed-in routes. Only with `.signedIn` access.
        case withFirstStatement
    }

    public var method: Method
    /// The full path template, e.g. `/api/v1/courses/{id}`.
    public var path: String
    public var access: Access
    public var session: Session
    public var mode: Mode
    /// FastCGI processes by default.
    public var processes: Int
    /// Largest request body in bytes (0: none accepted).
    public var bodyLimit: Int
    /// A `limit_req` class of the proxy (`auth`), or nil.
    public var rateClass: String?
    /// Path parameters that are not UUIDs.
    public var parameters: [String: Parameter]
    public let handler: Handler

    public init(
        _ method: Method, _ path: String, access: Access, session: Session = .beforeHandler, mode: Mode = .cgi, processes: Int = 1,
        body: Int = 0, rate: String? = nil, parameters: [String: Parameter] = [:], _ handler: @escaping Handler
    ) {
        self.method = method
        self.path = path
        self.access = access
        self.session = access == .signedIn ? session : .beforeHandler
        self.mode = mode
        self.processes = processes
        self.bodyLimit = body
        self.rateClass = rate
        self.parameters = parameters
        self.handler = handler
    }

    /// What `--describe` prints: one JSON object.
    public var description: [UInt8] {
        let value: JSONValue = .object([
            "method": .string(method.rawValue), "path": .string(path), "access": .string(access.text),
            "mode": .string(mode.rawValue), "processes": .number(Double(processes)), "body": .number(Double(bodyLimit)),
            "rate": rateClass.map(JSONValue.string) ?? .null,
        ])
        return (try? encodeJSON(value)) ?? []
    }

    /// Matches the request's path (filling its parameters) and method: 404 or 405 otherwise.
    func route(_ request: inout Request) throws {
        guard request.matchRoute(path) else { throw APIError.notFound("Route") }
        // HEAD is answered as GET (the proxy drops the body).
        let method = request.method == "HEAD" ? "GET" : request.method
        guard method == self.method.rawValue else {
            throw APIError(
                status: 405, code: "method_not_allowed", message: "This method is not allowed here.",
                headers: [("Allow", self.method.rawValue)])
        }
    }

    /// Refuses callers the declared access does not admit (401 without a valid session, 403
    /// for a role that is not admitted or a suspended account), then path parameters of the
    /// wrong type (404): an anonymous caller learns nothing about which ids are well-formed.
    func authorize(_ context: Context) throws {
        if session == .withFirstStatement {
            try context.deferSessionCheck()
        } else if access != .anyone {
            let caller = try context.user()
            guard access.admits(caller.role) else { throw APIError.forbidden }
        }
        for (name, value) in context.request.pathParameters where !(parameters[name] ?? .uuid).admits(value) {
            // A deferred session is checked first all the same: a suspended caller is 403 here too.
            if session == .withFirstStatement { _ = try context.user() }
            throw APIError.notFound()
        }
    }
}

/// Body limits read like sizes: `body: 16 * KiB` (unit symbols, hence the capitals).
// swift-format-ignore: AlwaysUseLowerCamelCase
public let KiB = 1024
// swift-format-ignore: AlwaysUseLowerCamelCase
public let MiB = 1024 * 1024
// swift-format-ignore: AlwaysUseLowerCamelCase
public let GiB = 1024 * 1024 * 1024
