import Auth
import Core
import Crypto
import Database
import Runtime

#if canImport(Glibc)
    import Glibc
#endif

/// Back-off on password checks: 5 free attempts, then a lock that starts at 30 seconds and
/// doubles up to 15 minutes, with one attempt allowed each time a lock runs out.
///
/// Sign-in is keyed by a hash of the normalized email *and* the client's address (an IPv6
/// client by its /64), so unknown addresses behave exactly like known ones and failures sent
/// from elsewhere never lock the owner out. Guessing spread over many addresses meets a
/// per-account ceiling instead: 100 failed sign-ins an hour from all addresses together, then
/// 429 until the hour is over (what the large identity providers do). Re-checks of a
/// signed-in user's password (change, delete) have their own key per user, so strangers
/// failing sign-ins cannot lock a user out of their own settings.
///
/// An attempt is counted (and the lock taken) under the row lock *before* the password is
/// checked, so concurrent attempts cannot all slip through while a failure is being recorded;
/// the ceiling row is counted the same way, after the client's row (always in that order).
enum Throttle {
    static let freeFailures = 5
    static let firstLockSeconds = 30
    static let maximumLockSeconds = 900
    /// Failed sign-ins of one account from all addresses together per window.
    static let accountCeiling = 100
    static let ceilingWindowSeconds = 3600

    /// One row of `login_throttle`: whose password, tried from where.
    struct Key {
        var account: Bytes
        /// Empty when the address does not matter (re-authentication) or is unknown.
        var client: Bytes
        /// Whether the account's ceiling applies (sign-in).
        var hasCeiling: Bool
    }

    /// The sign-in key for an email address tried from a client address.
    static func signIn(_ email: String, from address: String) -> Key {
        Key(account: signInAccount(email), client: client(address), hasCeiling: true)
    }

    /// The key for a signed-in user confirming their password.
    static func reauthentication(_ userId: String) -> Key {
        Key(account: Bytes(Crypto.sha256("reauth:" + userId)), client: Bytes([]), hasCeiling: false)
    }

    static func signInAccount(_ email: String) -> Bytes { Bytes(Crypto.sha256("login:" + email)) }

    /// The client part of a key. An IPv6 client counts by its /64: one host commonly holds a
    /// whole /64 and could otherwise try from a fresh address each time.
    static func client(_ address: String) -> Bytes {
        if address.isEmpty { return Bytes([]) }
        var v4 = in_addr()
        if inet_pton(AF_INET, address, &v4) == 1 {
            return Bytes(Crypto.sha256("v4:" + withUnsafeBytes(of: &v4) { $0.map(String.init).joined(separator: ".") }))
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, address, &v6) == 1 {
            let bytes = withUnsafeBytes(of: &v6) { Array($0) }
            // An IPv4-mapped address (::ffff:a.b.c.d) is that IPv4 client.
            if bytes[0..<10].allSatisfy({ $0 == 0 }), bytes[10] == 0xFF, bytes[11] == 0xFF {
                return Bytes(Crypto.sha256("v4:" + bytes[12...].map(String.init).joined(separator: ".")))
            }
            return Bytes(Crypto.sha256("v6:" + Crypto.hex(Array(bytes[0..<8]))))
        }
        return Bytes(Crypto.sha256("other:" + address))
    }

    /// Counts one attempt; throws 429 with Retry-After when the key is locked or the
    /// account's ceiling is spent. Call before checking the password, and `reset` after a success.
    static func attempt(_ db: Connection, key: Key) throws {
        let wait: Int? = try db.transaction { tx in
            // The row first, so that concurrent first attempts queue on its lock instead of
            // each seeing "no row" and counting 1.
            try tx.execute(
                """
                INSERT INTO login_throttle (account_key, client_key, failures) VALUES (\(key.account), \(key.client), 0)
                ON CONFLICT DO NOTHING
                """)
            let previous = try tx.query(
                """
                SELECT failures, locked_until IS NOT NULL AS was_locked, coalesce(locked_until > now(), false) AS locked,
                       ceil(extract(epoch FROM locked_until - now()))::int AS seconds
                FROM login_throttle WHERE account_key = \(key.account) AND client_key = \(key.client) FOR UPDATE
                """
            ).first
            if let previous, try previous.bool("locked") { return try previous.int("seconds") }
            let count = (try previous?.int("failures") ?? 0) + 1
            // Past the free attempts, only the first attempt after a lock ran out goes ahead.
            if count > freeFailures, try previous?.bool("was_locked") != true { return firstLockSeconds }
            // Refused by the ceiling: not counted against this client either.
            if key.hasCeiling, let seconds = try spendCeiling(tx, account: key.account) { return seconds }
            let lock = count >= freeFailures ? min(maximumLockSeconds, firstLockSeconds << min(count - freeFailures, 10)) : 0
            try tx.execute(
                """
                INSERT INTO login_throttle (account_key, client_key, failures, locked_until, updated_at)
                VALUES (\(key.account), \(key.client), \(count),
                        CASE WHEN \(lock) > 0 THEN now() + make_interval(secs => \(lock)) END, now())
                ON CONFLICT (account_key, client_key) DO UPDATE SET
                    failures = excluded.failures, locked_until = excluded.locked_until, updated_at = now()
                """)
            return nil
        }
        if let wait {
            throw APIError.tooManyRequests(retryAfter: wait, message: "Too many failed attempts. Try again later.")
        }
    }

    /// Counts one attempt against the account's ceiling under its row lock; the seconds left in
    /// the window when the ceiling is already spent (nothing counted then).
    private static func spendCeiling(_ tx: Connection, account: Bytes) throws -> Int? {
        try tx.execute("INSERT INTO login_ceiling (account_key) VALUES (\(account)) ON CONFLICT DO NOTHING")
        let window = try tx.query(
            """
            SELECT failures, window_start > now() - make_interval(secs => \(ceilingWindowSeconds)) AS current,
                   ceil(extract(epoch FROM window_start + make_interval(secs => \(ceilingWindowSeconds)) - now()))::int AS seconds
            FROM login_ceiling WHERE account_key = \(account) FOR UPDATE
            """
        ).first
        let current = try window?.bool("current") ?? false
        if current, let window, try window.int("failures") >= accountCeiling { return try window.int("seconds") }
        try tx.execute(
            """
            INSERT INTO login_ceiling (account_key, window_start, failures) VALUES (\(account), now(), 1)
            ON CONFLICT (account_key) DO UPDATE SET
                failures = CASE WHEN \(current) THEN login_ceiling.failures + 1 ELSE 1 END,
                window_start = CASE WHEN \(current) THEN login_ceiling.window_start ELSE now() END
            """)
        return nil
    }

    /// After the password checked out: clears this client's failures and gives back the
    /// attempt it counted against the ceiling (the ceiling itself stays: the owner signing in
    /// does not hand a distributed guesser a fresh hundred).
    static func reset(_ db: Connection, key: Key) throws {
        try db.execute("DELETE FROM login_throttle WHERE account_key = \(key.account) AND client_key = \(key.client)")
        if key.hasCeiling {
            try db.execute("UPDATE login_ceiling SET failures = failures - 1 WHERE account_key = \(key.account) AND failures > 0")
        }
    }

    /// A password reset proved the address: every lock and the ceiling of its sign-ins go.
    static func resetSignIns(_ db: Connection, email: String) throws {
        let account = signInAccount(email)
        try db.execute("DELETE FROM login_throttle WHERE account_key = \(account)")
        try db.execute("DELETE FROM login_ceiling WHERE account_key = \(account)")
    }
}
