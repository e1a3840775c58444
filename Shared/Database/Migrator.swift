import Core

#if canImport(Glibc)
    import Glibc
#endif

/// Applies the numbered SQL files of a folder (`0001_identity.sql`, ...) in order, each in its
/// own transaction, under a session advisory lock so concurrent runs wait instead of racing.
/// Applied versions are recorded with a checksum; a file changed after it was applied is refused.
public struct Migrator {
    /// Arbitrary constant identifying the migration lock.
    static let lockKey: Int64 = 72_657_301

    public struct Migration: Sendable {
        public var version: Int
        public var name: String
        public var sql: String
        public var checksum: String
    }

    public let folder: String

    public init(folder: String) { self.folder = folder }

    /// Reads the migration files, sorted by version.
    public func migrations() throws -> [Migration] {
        guard let entries = folderEntries(folder) else {
            throw DatabaseError(.other, message: "cannot open migrations folder \(folder)")
        }
        var found: [Migration] = []
        for (name, _) in entries {
            guard name.hasSuffix(".sql"), let underscore = name.firstIndex(of: "_"),
                let version = Int(name[..<underscore])
            else { continue }
            let sql = try readFile(folder + "/" + name)
            found.append(Migration(version: version, name: name, sql: sql, checksum: fnv1a(sql)))
        }
        found.sort { $0.version < $1.version }
        for (previous, next) in zip(found, found.dropFirst()) where previous.version == next.version {
            throw DatabaseError(.other, message: "two migrations numbered \(next.version)")
        }
        return found
    }

    /// Applies what is missing; returns the names applied now (empty when up to date).
    @discardableResult
    public func migrate(_ db: Connection) throws -> [String] {
        let all = try migrations()
        try db.query("SELECT pg_advisory_lock(\(Migrator.lockKey))")
        defer { _ = try? db.query("SELECT pg_advisory_unlock(\(Migrator.lockKey))") }
        try db.runScript(
            """
            CREATE TABLE IF NOT EXISTS schema_migrations (
                version integer PRIMARY KEY,
                name text NOT NULL,
                checksum text NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now()
            )
            """)
        var applied: [Int: String] = [:]
        for row in try db.query("SELECT version, checksum FROM schema_migrations").rows {
            applied[try row.int("version")] = try row.string("checksum")
        }
        var done: [String] = []
        for migration in all {
            if let checksum = applied[migration.version] {
                guard checksum == migration.checksum else {
                    throw DatabaseError(.other, message: "\(migration.name) changed after it was applied")
                }
                continue
            }
            try db.transaction { tx in
                // The database's statement timeout is for requests: rewriting a large table
                // (a new generated column over every course) may take minutes.
                try tx.runScript("SET LOCAL statement_timeout = 0")
                try tx.runScript(migration.sql)
                try tx.execute(
                    "INSERT INTO schema_migrations (version, name, checksum) VALUES (\(migration.version), \(migration.name), \(migration.checksum))"
                )
            }
            done.append(migration.name)
        }
        return done
    }
}

/// 64-bit FNV-1a, hex: a stable content fingerprint (not a security measure).
func fnv1a(_ text: String) -> String {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in text.utf8 {
        hash ^= UInt64(byte)
        hash = hash &* 0x100_0000_01b3
    }
    return String(hash, radix: 16)
}
