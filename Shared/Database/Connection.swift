import CLibPQ

#if canImport(Glibc)
    import Glibc
#endif

/// One libpq connection. Not thread-safe: a function process or a worker thread owns one.
///
/// Statements are always parameterized (`PQexecParams`/`PQexecPrepared`). With
/// `prepareStatements` the connection prepares each distinct statement once and reuses it,
/// which a long-lived FastCGI process connected straight to PostgreSQL benefits from; CGI
/// processes go through PgBouncer in transaction mode and use unnamed statements.
///
/// A connection kept across requests is checked with `prepareForReuse()`: one the server has
/// closed meanwhile (a restart) is reopened before anything is sent. Nothing that may have
/// reached the server is ever sent again, except a BEGIN with the first statement of its
/// transaction, which cannot have committed.
public final class Connection {
    private var handle: OpaquePointer?
    private let url: String
    private let prepareStatements: Bool
    private var prepared: [String: String] = [:]
    private var transactionDepth = 0
    /// Inside `transaction` until its first statement, which carries the BEGIN with it.
    private var beginPending = false
    /// Set by `prepareForReuse()` until the request's first statement: if that is a BEGIN
    /// and the connection turns out dead, it is reopened and the BEGIN sent again, once.
    private var mayReopenForBegin = false

    /// Opens a connection from a libpq URL or keyword string (`postgresql://...`).
    public init(url: String, prepareStatements: Bool = false) throws {
        self.url = url
        self.prepareStatements = prepareStatements
        try open()
    }

    private func open() throws {
        handle = PQconnectdb(url)
        guard let handle, PQstatus(handle) == CONNECTION_OK else {
            let message = handle.map { String(cString: PQerrorMessage($0)) } ?? "out of memory"
            if let handle { PQfinish(handle) }
            self.handle = nil
            throw DatabaseError(.unavailable, message: Connection.firstLine(message))
        }
        // Server NOTICEs (e.g. "already exists, skipping") are not errors; keep them off stderr.
        PQsetNoticeProcessor(handle, { _, _ in }, nil)
        // TimeZone=UTC, DateStyle=ISO and the statement timeout are database defaults set by
        // migration 0001, so connecting costs no extra round trips (and works under PgBouncer).
    }

    /// Closes the session and opens a new one; prepared statements went with the old one.
    private func reopen() throws {
        if let handle { PQfinish(handle) }
        handle = nil
        prepared = [:]
        transactionDepth = 0
        beginPending = false
        mayReopenForBegin = false
        try open()
    }

    /// Gives up a connection left in a state this class does not know (a pipeline cut short):
    /// the next request opens a new one.
    private func drop() {
        if let handle { PQfinish(handle) }
        handle = nil
        prepared = [:]
    }

    /// Called before a new request uses this connection. A connection the server closed while
    /// it sat idle (restart, idle timeout) has the server's goodbye and EOF waiting on its
    /// socket, so this costs one `poll`, no round trip; such a connection is reopened now,
    /// before any statement is sent. Throws `unavailable` when the server cannot be reached.
    public func prepareForReuse() throws {
        if closedByServer { try reopen() }
        mayReopenForBegin = true
    }

    /// True when libpq knows the connection is gone, or an idle connection has something to
    /// read: a function's connection never LISTENs, so that can only be the server leaving.
    private var closedByServer: Bool {
        guard let handle, PQstatus(handle) == CONNECTION_OK else { return true }
        guard PQtransactionStatus(handle) == PQTRANS_IDLE else { return false }
        var descriptor = pollfd(fd: PQsocket(handle), events: Int16(POLLIN), revents: 0)
        return poll(&descriptor, 1, 0) != 0
    }

    deinit {
        if let handle { PQfinish(handle) }
    }

    /// The libpq handle, for the LISTEN support below.
    var rawHandle: OpaquePointer? { handle }

    public var isHealthy: Bool {
        guard let handle else { return false }
        return PQstatus(handle) == CONNECTION_OK && PQtransactionStatus(handle) == PQTRANS_IDLE
    }

    /// Runs a statement and returns its rows. `reusePlan: false` plans it for its values every
    /// time even on a connection that prepares statements: for a statement whose best plan
    /// depends on the values (how many courses a search word matches), never a generic plan.
    @discardableResult
    public func query(_ sql: SQL, reusePlan: Bool = true) throws -> QueryResult {
        // A transaction's first statement carries its BEGIN.
        if beginPending { return try send([sql], prepared: prepareStatements && reusePlan, onlyRead: false)[0] }
        mayReopenForBegin = false
        guard let handle else { throw DatabaseError(.unavailable, message: "connection closed") }
        let result: OpaquePointer?
        if prepareStatements && reusePlan {
            let name = try statementName(for: sql)
            result = withParameters(sql.binds) { count, values in
                PQexecPrepared(handle, name, count, values, nil, nil, 0)
            }
        } else {
            result = withParameters(sql.binds) { count, values in
                PQexecParams(handle, sql.text, count, nil, values, nil, nil, 0)
            }
        }
        return try consume(result, handle: handle)
    }

    /// Runs a statement and returns the number of rows it affected.
    @discardableResult
    public func execute(_ sql: SQL) throws -> Int {
        try query(sql).affectedRows
    }

    /// Runs `body` inside BEGIN/COMMIT; any thrown error rolls back and is rethrown.
    /// Nested calls join the outer transaction.
    ///
    /// BEGIN is not sent on its own: it goes with the transaction's first statement, in one
    /// round trip (`send`). A separate BEGIN was a round trip on every
    /// transaction: a twentieth of a quiz submit's CPU time, PostgreSQL's and ours.
    public func transaction<T>(_ body: (Connection) throws -> T) throws -> T {
        if transactionDepth > 0 {
            transactionDepth += 1
            defer { transactionDepth -= 1 }
            return try body(self)
        }
        transactionDepth = 1
        beginPending = true
        do {
            let value = try body(self)
            transactionDepth = 0
            // A body that ran no statement began nothing.
            if beginPending { beginPending = false } else { try simple("COMMIT") }
            return value
        } catch {
            transactionDepth = 0
            if beginPending { beginPending = false } else { try? simple("ROLLBACK") }
            throw error
        }
    }

    /// Runs statements in one round trip (libpq's pipeline mode), and returns their rows in
    /// order; the first that fails is thrown. Outside a transaction they run in one implicit
    /// transaction (one snapshot, committed together); inside one, they join it. For a
    /// handler's first statement beside the caller's session check (`Context.user(with:)`,
    /// `Context.optionalCaller(reading:)`). `onlyRead: false` when one writes: a connection
    /// lost midway is then not tried again (the write may have committed).
    public func queries(_ statements: [SQL], onlyRead: Bool = true) throws -> [QueryResult] {
        try send(statements, prepared: prepareStatements, onlyRead: onlyRead)
    }

    /// `statements` in one round trip, led by the transaction's BEGIN when it is still to be
    /// sent; a BEGIN that fails is thrown as itself. If the request's first round trip finds the
    /// connection dead, it is reopened and the round trip sent again when nothing in it can have
    /// taken effect: it only read, or began a transaction that cannot have committed.
    private func send(_ statements: [SQL], prepared: Bool, onlyRead: Bool) throws -> [QueryResult] {
        let reopenable = mayReopenForBegin && (onlyRead || beginPending)
        mayReopenForBegin = false
        var parts = statements.map { (sql: $0, prepared: prepared) }
        let begins = beginPending
        beginPending = false
        if begins { parts.insert(("BEGIN", false), at: 0) }
        var results: [Result<QueryResult, Error>]
        do {
            results = try pipeline(parts)
        } catch let error as DatabaseError where error.kind == .unavailable && reopenable {
            try reopen()
            if begins { transactionDepth = 1 }
            results = try pipeline(parts)
        }
        if begins { _ = try results.removeFirst().get() }
        return try results.map { try $0.get() }
    }

    /// Sends `statements` (prepared ones by name) and a sync point in one round trip, then reads
    /// their results in order, each consumed as `query` consumes one. A round trip cut short (a
    /// connection lost midway) gives up the connection: `unavailable`.
    private func pipeline(_ statements: [(sql: SQL, prepared: Bool)]) throws -> [Result<QueryResult, Error>] {
        guard let handle else { throw DatabaseError(.unavailable, message: "connection closed") }
        // Preparing is a round trip of its own, once per statement and connection (not allowed in a pipeline).
        let names = try statements.map { $0.prepared ? try statementName(for: $0.sql) : nil }
        guard PQenterPipelineMode(handle) == 1 else { throw lost(handle) }
        var sent = true
        for (statement, name) in zip(statements, names) where sent {
            sent =
                withParameters(statement.sql.binds) { count, values in
                    if let name { return PQsendQueryPrepared(handle, name, count, values, nil, nil, 0) }
                    return PQsendQueryParams(handle, statement.sql.text, count, nil, values, nil, nil, 0)
                } == 1
        }
        sent = sent && PQpipelineSync(handle) == 1
        // Each statement's result, then the nil that ends it; after them all, the sync point.
        var raw: [OpaquePointer] = []
        while sent, raw.count < statements.count, let result = PQgetResult(handle) {
            while let extra = PQgetResult(handle) { PQclear(extra) }
            raw.append(result)
        }
        var synced = false
        if raw.count == statements.count, let sync = PQgetResult(handle) {
            synced = PQresultStatus(sync) == PGRES_PIPELINE_SYNC
            PQclear(sync)
        }
        guard synced, PQexitPipelineMode(handle) == 1 else {
            raw.forEach { PQclear($0) }
            throw lost(handle)
        }
        return raw.map { result in Result { try consume(result, handle: handle) } }
    }

    /// The error for a connection given up midway (see `drop`).
    private func lost(_ handle: OpaquePointer) -> DatabaseError {
        let error = DatabaseError(.unavailable, message: Connection.firstLine(String(cString: PQerrorMessage(handle))))
        drop()
        return error
    }

    /// Runs a script of several statements with no parameters (migrations only).
    public func runScript(_ text: String) throws {
        try simple(text)
    }

    private func simple(_ text: String) throws {
        defer { mayReopenForBegin = false }
        guard let handle else { throw DatabaseError(.unavailable, message: "connection closed") }
        // A script as a transaction's first statement (migrations): its BEGIN goes first, alone.
        if beginPending {
            beginPending = false
            _ = try consume(PQexec(handle, "BEGIN"), handle: handle)
        }
        _ = try consume(PQexec(handle, text), handle: handle)
    }

    private func statementName(for sql: SQL) throws -> String {
        if let name = prepared[sql.text] { return name }
        guard let handle else { throw DatabaseError(.unavailable, message: "connection closed") }
        let name = "s\(prepared.count + 1)"
        let result = PQprepare(handle, name, sql.text, Int32(sql.binds.count), nil)
        _ = try consume(result, handle: handle)
        prepared[sql.text] = name
        return name
    }

    private func withParameters<R>(
        _ binds: [String?], _ body: (Int32, UnsafePointer<UnsafePointer<CChar>?>?) -> R
    ) -> R {
        var pointers: [UnsafeMutablePointer<CChar>?] = binds.map { $0.flatMap { strdup($0) } }
        defer { pointers.forEach { free($0) } }
        return pointers.withUnsafeMutableBufferPointer { buffer in
            buffer.baseAddress!.withMemoryRebound(to: UnsafePointer<CChar>?.self, capacity: max(binds.count, 1)) {
                body(Int32(binds.count), binds.isEmpty ? nil : $0)
            }
        }
    }

    private func consume(_ result: OpaquePointer?, handle: OpaquePointer) throws -> QueryResult {
        guard let result else {
            throw DatabaseError(.unavailable, message: Connection.firstLine(String(cString: PQerrorMessage(handle))))
        }
        defer { PQclear(result) }
        switch PQresultStatus(result) {
        case PGRES_TUPLES_OK, PGRES_COMMAND_OK, PGRES_EMPTY_QUERY:
            break
        default:
            let state = field(result, diagnostic("C"))
            let message = field(result, diagnostic("M")) ?? String(cString: PQerrorMessage(handle))
            var error = DatabaseError.from(sqlState: state, constraint: field(result, diagnostic("n")), message: message)
            if PQstatus(handle) != CONNECTION_OK {
                error.kind = .unavailable
            }
            throw error
        }
        let rowCount = Int(PQntuples(result))
        let columnCount = Int(PQnfields(result))
        let columns = Row.Columns((0..<columnCount).map { String(cString: PQfname(result, Int32($0))) })
        var rows: [Row] = []
        rows.reserveCapacity(rowCount)
        for row in 0..<rowCount {
            var values: [String?] = []
            values.reserveCapacity(columnCount)
            for column in 0..<columnCount {
                if PQgetisnull(result, Int32(row), Int32(column)) == 1 {
                    values.append(nil)
                } else {
                    let length = Int(PQgetlength(result, Int32(row), Int32(column)))
                    let bytes = UnsafeRawBufferPointer(start: PQgetvalue(result, Int32(row), Int32(column)), count: length)
                    values.append(String(decoding: bytes.bindMemory(to: UInt8.self), as: UTF8.self))
                }
            }
            rows.append(Row(columns: columns, values: values))
        }
        let affected = Int(String(cString: PQcmdTuples(result))) ?? rowCount
        return QueryResult(rows: rows, affectedRows: affected)
    }

    private func field(_ result: OpaquePointer, _ code: Int32) -> String? {
        guard let pointer = PQresultErrorField(result, code) else { return nil }
        return String(cString: pointer)
    }

    static func firstLine(_ text: String) -> String {
        String(text.split(separator: "\n", omittingEmptySubsequences: true).first ?? "")
    }
}

/// libpq's `PG_DIAG_*` codes are character macros that Swift does not import.
private func diagnostic(_ code: Unicode.Scalar) -> Int32 { Int32(code.value) }

extension Connection {
    /// Subscribes this connection to a NOTIFY channel (workers use a dedicated connection).
    public func listen(_ channel: String) throws {
        guard channel.utf8.allSatisfy({ $0 == UInt8(ascii: "_") || ($0 >= 97 && $0 <= 122) || ($0 >= 48 && $0 <= 57) }) else {
            throw DatabaseError(.other, message: "bad channel name")
        }
        try runScript("LISTEN \(channel)")
    }

    /// Waits up to `timeoutMilliseconds` for notifications and returns their payloads
    /// (empty on timeout). Throws when the connection is lost.
    public func notifications(timeoutMilliseconds: Int32) throws -> [String] {
        guard let handle = rawHandle else { throw DatabaseError(.unavailable, message: "connection closed") }
        var payloads = drainNotifications(handle)
        if !payloads.isEmpty { return payloads }
        var descriptor = pollfd(fd: PQsocket(handle), events: Int16(POLLIN), revents: 0)
        let ready = poll(&descriptor, 1, timeoutMilliseconds)
        if ready > 0 {
            guard PQconsumeInput(handle) == 1 else {
                throw DatabaseError(.unavailable, message: Connection.firstLine(String(cString: PQerrorMessage(handle))))
            }
            payloads = drainNotifications(handle)
        }
        if PQstatus(handle) != CONNECTION_OK { throw DatabaseError(.unavailable, message: "connection lost") }
        return payloads
    }

    private func drainNotifications(_ handle: OpaquePointer) -> [String] {
        var payloads: [String] = []
        while let notify = PQnotifies(handle) {
            payloads.append(String(cString: notify.pointee.extra))
            PQfreemem(notify)
        }
        return payloads
    }
}
