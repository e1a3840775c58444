import Core
import Database

/// Opens the connection lazily and keeps it while it stays healthy. A kept connection is
/// checked once per request, before its first statement (`Connection.prepareForReuse`).
public final class DatabaseSource {
    let url: String?
    let prepareStatements: Bool
    private var current: Connection?
    /// Whether this request has already been handed the connection.
    private var inUse = false

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
        if let current {
            if !inUse { try current.prepareForReuse() }
            inUse = true
            return current
        }
        guard let url else { throw ConfigError(key: "DATABASE_URL") }
        let connection = try Connection(url: url, prepareStatements: prepareStatements)
        current = connection
        inUse = true
        return connection
    }

    /// Drops a connection left broken or inside a transaction by a failed request.
    func afterRequest() {
        inUse = false
        if let current, !current.isHealthy, url != nil { self.current = nil }
    }
}
