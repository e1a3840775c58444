import Core
import Runtime
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// PostgreSQL restarts under the running functions: once it accepts connections again, no
/// request fails, neither through PgBouncer (CGI) nor on the connections the FastCGI processes
/// kept from before. Restarting the database breaks whatever else is running, so
/// infra/test.sh runs this suite alone, after the others.
@Suite(.serialized) struct DatabaseRestartTests {
    /// Enough rounds that every FastCGI process of a route serves several requests.
    static let rounds = 8
    /// Requests at once, so they spread over a route's FastCGI processes (the manifest runs up to 4).
    static let concurrency = 4

    @Test func everyRequestSucceedsOncePostgresIsBack() async throws {
        let user = try Factory.user(TestEnvironment.connect())
        let login = #"{"email":"\#(user.email)","password":"\#(user.password)"}"#
        // Before: every FastCGI process holds a connection and PgBouncer has pooled some.
        for mode in Mode.allCases {
            #expect(try await statuses(try mode.client(), rounds: 2, login: login).allSatisfy { $0 == 200 })
        }

        try restartPostgres()

        for mode in Mode.allCases {
            let after = try await statuses(try mode.client(), rounds: Self.rounds, login: login)
            #expect(after.count == Self.rounds * (Self.concurrency + 1))
            #expect(after.allSatisfy { $0 == 200 }, "\(mode) statuses after the restart: \(after)")
        }
    }

    /// Per round: `concurrency` catalog reads at once, then one sign-in.
    func statuses(_ client: HTTPClient, rounds: Int, login: String) async throws -> [Int] {
        var all: [Int] = []
        for _ in 0..<rounds {
            all += await withTaskGroup(of: Int.self) { group in
                for _ in 0..<Self.concurrency {
                    group.addTask { (try? client.send("GET", "/api/v1/courses?limit=5").status) ?? 0 }
                }
                var statuses: [Int] = []
                for await status in group { statuses.append(status) }
                return statuses
            }
            all.append(try client.send("POST", "/api/v1/auth/login", json: login).status)
        }
        return all
    }

    /// `pg_ctl restart` as the cluster's owner (PostgreSQL refuses root); returns once the
    /// server accepts connections again.
    func restartPostgres() throws {
        var command = [
            try TestEnvironment.value("E2E_PG_CTL"), "-D", try TestEnvironment.value("E2E_PG_DATA"), "-l",
            try TestEnvironment.value("E2E_PG_LOG"), "-m", "fast", "-w", "-t", "60", "restart",
        ]
        if getuid() == 0 { command = ["runuser", "-u", try TestEnvironment.value("E2E_PG_USER"), "--"] + command }
        // From /: pg_ctl changes back to the starting folder, which the cluster's owner may not enter.
        let (output, status) = try runCommand(["sh", "-c", "cd / && exec \"$@\"", "sh"] + command)
        guard status == 0 else { throw ProcessFailure("pg_ctl restart failed: \(String(decoding: output, as: UTF8.self))") }
    }
}
