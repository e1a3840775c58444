import Core
import Database
import Runtime

/// `GET /api/v1/health`: the process answers and the database is reachable (503 if not).
public enum Health {
    public static let endpoint = Endpoint(.get, "/api/v1/health", access: .anyone, mode: .fastcgi, handle)

    struct Status: Encodable, Sendable {
        var status: String
        var database: String
        var schemaVersion: Int
        /// The release this process runs (`lmsctl deploy`), when it runs one.
        var release: String?
    }

    public static func handle(_ context: Context) throws -> Response {
        let row = try context.db().query("SELECT coalesce(max(version), 0) AS version FROM schema_migrations").first
        return .ok(Status(status: "ok", database: "ok", schemaVersion: try row?.int("version") ?? 0, release: Function.release))
    }
}
