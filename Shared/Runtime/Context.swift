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

/// Opens the connection lazily and keeps it while it stays healthy.
public final class DatabaseSource {
    let url: String?
    let prepareStatements: Bool
    private var current: Connection?

    /// `url` nil means no database is configured: using it is a configuration error.
    public init(url: String?, prepareStatements: Bool) {
        self.url = url
        self.prepareStatements = prepareStatements
    }

    /// A source that hands out an existing connection (tests).
    public init(connection: Connection) {
        url = nil
        prepareStatements = false
        current = connection
    }

    public func connection() throws -> Connection {
        if let current { return current }
        guard let url else { throw ConfigError(key: "DATABASE_URL") }
        let connection = try Connection(url: url, prepareStatements: prepareStatements)
        current = connection
        return connection
    }

    /// Drops a connection left broken or inside a transaction by a failed request.
    func afterRequest() {
        if let current, !current.isHealthy, url != nil { self.current = nil }
    }
}
