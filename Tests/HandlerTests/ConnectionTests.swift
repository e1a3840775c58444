import Database
import TestSupport
import Testing

/// `Connection.transaction` sends BEGIN with the transaction's first statement (libpq's pipeline
/// mode): the statements still run in one transaction, a failing first statement fails as it
/// would alone and rolls back, and the connection serves the next transaction either way.
@Suite struct ConnectionTests {
    @Test(arguments: [false, true]) func statementsAfterTheFirstShareItsTransaction(prepared: Bool) throws {
        let db = try Connection(url: try TestEnvironment.databaseURL(), prepareStatements: prepared)
        let (first, second) = try db.transaction { tx in
            (
                try tx.query("SELECT txid_current()::text AS id, \(1) AS one").one().string("id"),
                try tx.query("SELECT txid_current()::text AS id").one().string("id")
            )
        }
        #expect(first == second)
        // Outside a transaction, each statement is its own.
        let next = try db.query("SELECT txid_current()::text AS id").one().string("id")
        #expect(next != first)
        #expect(db.isHealthy)
    }

    @Test(arguments: [false, true]) func aFailingFirstStatementFailsAloneAndRollsBack(prepared: Bool) throws {
        let db = try Connection(url: try TestEnvironment.databaseURL(), prepareStatements: prepared)
        // A temporary table: this connection's own.
        try db.runScript("CREATE TEMPORARY TABLE notes (id int PRIMARY KEY, note text NOT NULL)")
        try db.execute("INSERT INTO notes VALUES (1, 'kept')")
        #expect {
            try db.transaction { tx in try tx.execute("INSERT INTO notes VALUES (1, 'again')") }
        } throws: { ($0 as? DatabaseError)?.kind == .uniqueViolation }
        #expect(db.isHealthy)
        // A first statement that worked, then an error thrown by the body: both undone.
        #expect(throws: CancellationError.self) {
            try db.transaction { tx in
                try tx.execute("INSERT INTO notes VALUES (2, 'undone')")
                throw CancellationError()
            }
        }
        let notes = try db.query("SELECT note FROM notes ORDER BY id").rows.map { try $0.string("note") }
        #expect(notes == ["kept"])
        // A transaction that runs no statement sends nothing, and leaves the connection idle.
        try db.transaction { _ in }
        #expect(db.isHealthy)
        try db.transaction { tx in try tx.execute("INSERT INTO notes VALUES (3, 'committed')") }
        #expect(try db.query("SELECT count(*)::int AS n FROM notes").one().int("n") == 2)
    }

    /// `queries` sends several reads in one round trip and returns their rows in order; the
    /// first that fails is thrown; outside a transaction they share one snapshot, inside one
    /// (even as its first statements) they join it.
    @Test(arguments: [false, true]) func readsSentTogetherComeBackInOrder(prepared: Bool) throws {
        let db = try Connection(url: try TestEnvironment.databaseURL(), prepareStatements: prepared)
        let results = try db.queries(["SELECT \(1) AS n, txid_current_if_assigned() AS x", "SELECT \(2) AS n, now()::text AS t"])
        #expect(try results.map { try $0.one().int("n") } == [1, 2])
        #expect(throws: DatabaseError.self) { try db.queries(["SELECT 1 AS n", "SELECT 1 / \(0) AS n", "SELECT 3 AS n"]) }
        #expect(db.isHealthy)
        let (first, second) = try db.transaction { tx in
            let both = try tx.queries(["SELECT txid_current()::text AS id", "SELECT txid_current()::text AS id"])
            return (try both[0].one().string("id"), try tx.query("SELECT txid_current()::text AS id").one().string("id"))
        }
        #expect(first == second)
        #expect(db.isHealthy)
    }
}
