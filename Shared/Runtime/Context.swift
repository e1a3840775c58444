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

    /// The database connection; an unreachable database surfaces as 503.
    public func db() throws -> Connection { try database.connection() }

    /// Runs `body` in one transaction that rolls back on any thrown error.
    public func transaction<T>(_ body: (Connection) throws -> T) throws -> T {
        try db().transaction(body)
    }
}
