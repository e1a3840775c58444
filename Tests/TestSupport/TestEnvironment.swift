import Auth
import Core
import Crypto
import Database
import Runtime

#if canImport(Glibc)
    import Glibc
#endif

/// What `infra/test.sh` hands the tests: the throwaway database, the JWT secret of the running
/// functions, the two nginx front ends. Missing values fail the test that needs them (run the
/// suite through infra/test.sh).
public enum TestEnvironment {
    public struct Missing: Error, CustomStringConvertible {
        public var name: String
        public var description: String { "\(name) is not set: run the tests with infra/test.sh" }
    }

    public static func value(_ name: String) throws -> String {
        guard let pointer = getenv(name), let value = Optional(String(cString: pointer)), !value.isEmpty else {
            throw Missing(name: name)
        }
        return value
    }

    public static func databaseURL() throws -> String { try value("TEST_DATABASE_URL") }
    public static func jwtSecret() throws -> String { try value("TEST_JWT_SECRET") }

    /// The local media store the test stack's nginx serves (infra/test.sh), or a stand-in.
    public static var mediaSecret: String { (try? value("TEST_MEDIA_SECRET")) ?? "test-media-secret-0123456789abcdef0123456789" }
    public static var mediaDirectory: String { (try? value("TEST_MEDIA_DIR")) ?? "/tmp/lms-test-media" }

    /// A fresh connection to the test database.
    public static func connect() throws -> Connection { try Connection(url: try databaseURL()) }

    /// The configuration handlers see in handler tests.
    public static func config(_ extra: [String: String] = [:]) throws -> Config {
        var values = [
            "JWT_SECRET": try jwtSecret(), "COOKIE_SECURE": "false", "LMS_ENV": "test", "LOG_REQUESTS": "false",
            "MEDIA_SIGNING_SECRET": mediaSecret, "MEDIA_DIR": mediaDirectory, "PUBLIC_BASE_URL": "http://127.0.0.1:18081",
            // Tests publish and search at once; CatalogSearchTests turns the catalog's cache on where it tests it.
            "CATALOG_CACHE_SECONDS": "0",
            // LeaderboardTests turns the leaderboard's page cache on where it tests it.
            "LEADERBOARD_CACHE_SECONDS": "0",
        ]
        for (key, value) in extra { values[key] = value }
        return Config(values)
    }

    /// The repository root (for the manifest, migrations, OpenAPI document).
    public static var root: String {
        if let pointer = getenv("LMS_ROOT") { return String(cString: pointer) }
        var path = #filePath.split(separator: "/").dropLast(3).joined(separator: "/")
        path = "/" + path
        return path
    }
}
