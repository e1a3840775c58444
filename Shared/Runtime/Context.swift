import Auth
import Core
import Database

/// Everything a handler gets besides its request: configuration, a logger carrying the
/// request id, and the database connection (opened on first use, reused across requests
/// by a FastCGI process).
public final class Context {
    public let request: Request
    public let requestId: String
    public let config: Config
    public let log: Logger
    let database: DatabaseSource

    public init(request: Request, requestId: String, config: Config, database: DatabaseSource, component: String) {
        self.request = request
        self.requestId = requestId
        self.config = config
        self.database = database
        self.log = Logger(component: component, requestId: requestId)
    }

    /// The database connection; an unreachable database surfaces as 503. Refused (a bug, 500)
    /// while the caller's session check waits for the handler's first statement
    /// (`user(with:)`): nothing runs before that check.
    public func db() throws -> Connection {
        guard pending == nil else { throw APIError.internalError }
        return try database.connection()
    }

    /// Runs `body` in one transaction that rolls back on any thrown error: the one way to
    /// open a transaction in a handler.
    public func transaction<T>(_ body: (Connection) throws -> T) throws -> T {
        try db().transaction(body)
    }

    /// The caller, authenticated at most once per request.
    private var authenticated: Caller??
    /// On an endpoint declared `session: .withFirstStatement`: the verified token whose session
    /// is checked in the same round trip as the handler's first statement.
    private var pending: JWT.Claims?

    /// Verifies the token now (401 without a good one) and leaves the session check to the
    /// handler's first statement (`Endpoint.Session.withFirstStatement`).
    func deferSessionCheck() throws {
        guard authenticated == nil else { return }
        guard let token = accessToken else { throw APIError.unauthorized }
        pending = try Caller.verify(token: token, config: config)
    }

    /// The signed-in caller: 401 without a valid session, 403 for a suspended account. On an
    /// endpoint that is not `.anyone` the runtime has already called it, so it cannot throw there.
    public func user() throws -> Caller {
        guard let caller = try optionalCaller() else { throw APIError.unauthorized }
        return caller
    }

    /// The caller when a token was sent, nil for anonymous; a bad token is still a 401.
    public func optionalCaller() throws -> Caller? {
        if let authenticated { return authenticated }
        if let pending {
            let caller = try Caller.caller(pending, session: try database.connection().query(Caller.session(pending)).first)
            self.pending = nil
            authenticated = .some(caller)
            return caller
        }
        let caller = try accessToken.map { try Caller.authenticate(token: $0, config: config, db: db()) }
        authenticated = .some(caller)
        return caller
    }

    /// The caller as `optionalCaller()` finds them, and the rows of `statement`, in one round
    /// trip: the statement is sent beside the session check (`Connection.queries`), for the
    /// caller id the token names (nil: no token). Only for a statement that reads what anyone
    /// may read but for the caller's own part, whose rows are dropped unchecked when the session
    /// check refuses the caller (401, 403). A bad signature is refused before anything is read.
    public func optionalCaller(reading statement: (String?) -> SQL) throws -> (Caller?, QueryResult) {
        if let authenticated { return (authenticated, try db().query(statement(authenticated?.id))) }
        guard let token = accessToken else {
            authenticated = .some(nil)
            return (nil, try db().query(statement(nil)))
        }
        let claims = try Caller.verify(token: token, config: config)
        return try check(claims, beside: statement(claims.sub), onlyRead: true)
    }

    /// The signed-in caller and the rows of the handler's first statement, in one round trip
    /// where the endpoint allows it (`session: .withFirstStatement`): the statement is sent
    /// beside the session check, for the user the verified token names, and runs in the same
    /// implicit transaction. `statement(user id, valid)`: a statement that writes must hold
    /// `valid` in its condition (true only while that session is valid: active, token not
    /// revoked), so it changes nothing for a caller the check refuses; one that reads only the
    /// caller's own rows may leave it out (its rows are dropped unread when the check refuses).
    /// Elsewhere, the caller as `user()` and then the statement.
    public func user(with statement: (_ user: String, _ valid: SQL) -> SQL) throws -> (Caller, QueryResult) {
        guard let claims = pending else {
            let caller = try user()
            return (caller, try db().query(statement(caller.id, "true")))
        }
        return try check(claims, beside: statement(claims.sub, Caller.sessionIsValid(claims)), onlyRead: false)
    }

    /// The session check of `claims` and `statement` in one round trip; the caller is then
    /// authenticated for the request. When the statement fails, the session is checked alone
    /// first: a refused caller hears that rather than the statement's failure.
    private func check(_ claims: JWT.Claims, beside statement: SQL, onlyRead: Bool) throws -> (Caller, QueryResult) {
        let connection = try database.connection()
        let results: [QueryResult]
        do {
            results = try connection.queries([Caller.session(claims), statement], onlyRead: onlyRead)
        } catch {
            _ = try Caller.caller(claims, session: try connection.query(Caller.session(claims)).first)
            throw error
        }
        let caller = try Caller.caller(claims, session: results[0].first)
        pending = nil
        authenticated = .some(caller)
        return (caller, results[1])
    }

    /// The bearer token from `Authorization`, else the `access_token` cookie.
    public var accessToken: String? {
        if let header = request.header("authorization") {
            let parts = header.split(separator: " ", maxSplits: 1)
            if parts.count == 2, parts[0].lowercased() == "bearer" { return String(parts[1]).trimmed() }
            return ""  // present but not a bearer token: refuse rather than fall back to the cookie
        }
        return request.cookies[Tokens.accessCookie]
    }
}
