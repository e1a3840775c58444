import Auth
import Core
import Database
import Jobs
import Queue
import Runtime
import TestSupport
import Testing

/// The admin API over the queue: list with counts and filters, retry, discard.
@Suite struct JobsAdminTests {
    func deadJob(_ db: Connection, queue: String) throws -> Int {
        let id = try #require(
            try Queue.enqueue(db, kind: "email.send", payload: ["to": "x@example.test"], options: .init(queue: queue, maxAttempts: 1)))
        let job = try #require(try Queue.claim(db, queue: queue, limit: 1, worker: "w").first)
        try Queue.fail(db, [Queue.Failure(job.lease, error: "550 mailbox unavailable")], worker: "w")
        return Int(id)
    }

    func queue() -> String { "adm-" + Factory.uniqueEmail("q").split(separator: "@")[0].lowercased() }

    @Test func listsCountsAndFilteredJobsWithCursor() throws {
        let db = try TestEnvironment.connect()
        let admin = try Factory.user(db, role: .admin)
        let q = queue()
        let dead = try deadJob(db, queue: q)
        for n in 0..<3 { try Queue.enqueue(db, kind: "noop", payload: ["n": n], options: .init(queue: q)) }
        let page = try call(ListJobs.endpoint, "GET", "/api/v1/admin/jobs?queue=\(q)&limit=2", token: admin.accessToken)
        #expect(page.status == 200)
        guard case .array(let jobs)? = page.data["jobs"] else {
            Issue.record("no jobs")
            return
        }
        #expect(jobs.count == 2)
        let cursor = try #require(page.data["next_cursor"]?.string)
        let rest = try call(ListJobs.endpoint, "GET", "/api/v1/admin/jobs?queue=\(q)&limit=2&cursor=\(cursor)", token: admin.accessToken)
        guard case .array(let more)? = rest.data["jobs"] else {
            Issue.record("no jobs")
            return
        }
        #expect(more.count == 2)
        #expect(rest.data["next_cursor"] == .null)
        let deadOnly = try call(ListJobs.endpoint, "GET", "/api/v1/admin/jobs?queue=\(q)&state=dead", token: admin.accessToken)
        guard case .array(let deadJobs)? = deadOnly.data["jobs"] else {
            Issue.record("no jobs")
            return
        }
        #expect(deadJobs.count == 1)
        #expect(deadJobs.first?["id"] == .number(Double(dead)))
        #expect(deadJobs.first?["last_error"]?.string == "550 mailbox unavailable")
        guard case .array(let counts)? = page.data["counts"] else {
            Issue.record("no counts")
            return
        }
        #expect(counts.contains { $0["queue"]?.string == q && $0["state"]?.string == "ready" && $0["count"] == .number(3) })
    }

    @Test func refusesNonAdminsAndBadFilters() throws {
        let db = try TestEnvironment.connect()
        let student = try Factory.user(db, role: .student)
        let instructor = try Factory.user(db, role: .instructor)
        let admin = try Factory.user(db, role: .admin)
        #expect(try call(ListJobs.endpoint, "GET", "/api/v1/admin/jobs").status == 401)
        #expect(try call(ListJobs.endpoint, "GET", "/api/v1/admin/jobs", token: student.accessToken).status == 403)
        #expect(try call(ListJobs.endpoint, "GET", "/api/v1/admin/jobs", token: instructor.accessToken).status == 403)
        let bad = try call(ListJobs.endpoint, "GET", "/api/v1/admin/jobs?state=finished&limit=5000", token: admin.accessToken)
        #expect(bad.status == 422)
        #expect(Set(bad.failedFields) == ["state", "limit"])
        #expect(try call(ListJobs.endpoint, "GET", "/api/v1/admin/jobs?cursor=abc", token: admin.accessToken).status == 400)
        #expect(try call(ListJobs.endpoint, "GET", "/api/v1/admin/jobs?kind=%27%20OR%201%3D1--", token: admin.accessToken).status == 200)
    }

    @Test func retriesADeadJob() throws {
        let db = try TestEnvironment.connect()
        let admin = try Factory.user(db, role: .admin)
        let q = queue()
        let id = try deadJob(db, queue: q)
        let response = try call(RetryJob.endpoint, "POST", "/api/v1/admin/jobs/\(id)/retry", token: admin.accessToken)
        #expect(response.status == 200)
        #expect(response.data["state"]?.string == "ready")
        #expect(response.data["attempts"] == .number(0))
        #expect(try Queue.claim(db, queue: q, limit: 1, worker: "w").first?.id == Int64(id))
        // Now it is running: neither retry nor discard.
        let running = try call(RetryJob.endpoint, "POST", "/api/v1/admin/jobs/\(id)/retry", token: admin.accessToken)
        #expect(running.status == 409)
        #expect(try call(DiscardJob.endpoint, "DELETE", "/api/v1/admin/jobs/\(id)", token: admin.accessToken).status == 409)
    }

    @Test func retryRefusesADuplicateOfAPendingUniqueJob() throws {
        let db = try TestEnvironment.connect()
        let admin = try Factory.user(db, role: .admin)
        let q = queue()
        let key = "cert:\(q)"
        let id = try #require(
            try Queue.enqueue(db, kind: "noop", payload: ["a": 1], options: .init(queue: q, uniqueKey: key, maxAttempts: 1)))
        let job = try #require(try Queue.claim(db, queue: q, limit: 1, worker: "w").first)
        #expect(job.id == id)
        try Queue.fail(db, [Queue.Failure(job.lease, error: "x")], worker: "w")
        try Queue.enqueue(db, kind: "noop", payload: ["a": 2], options: .init(queue: q, uniqueKey: key))
        let response = try call(RetryJob.endpoint, "POST", "/api/v1/admin/jobs/\(id)/retry", token: admin.accessToken)
        #expect(response.status == 409)
        #expect(response.code == "duplicate_job")
    }

    @Test func discardsADeadJob() throws {
        let db = try TestEnvironment.connect()
        let admin = try Factory.user(db, role: .admin)
        let id = try deadJob(db, queue: queue())
        let response = try call(DiscardJob.endpoint, "DELETE", "/api/v1/admin/jobs/\(id)", token: admin.accessToken)
        #expect(response.status == 200)
        #expect(try db.query("SELECT 1 FROM jobs WHERE id = \(id)").rows.isEmpty)
        #expect(try call(DiscardJob.endpoint, "DELETE", "/api/v1/admin/jobs/\(id)", token: admin.accessToken).status == 404)
    }

    @Test func unknownAndMalformedIdsAre404AndNonAdminsAreRefused() throws {
        let db = try TestEnvironment.connect()
        let admin = try Factory.user(db, role: .admin)
        let student = try Factory.user(db)
        for id in ["999999999", "abc", "-1", "1e5", "99999999999999999999999"] {
            #expect(try call(RetryJob.endpoint, "POST", "/api/v1/admin/jobs/\(id)/retry", token: admin.accessToken).status == 404)
            #expect(try call(DiscardJob.endpoint, "DELETE", "/api/v1/admin/jobs/\(id)", token: admin.accessToken).status == 404)
        }
        let id = try deadJob(db, queue: queue())
        #expect(try call(RetryJob.endpoint, "POST", "/api/v1/admin/jobs/\(id)/retry", token: student.accessToken).status == 403)
        #expect(try call(DiscardJob.endpoint, "DELETE", "/api/v1/admin/jobs/\(id)").status == 401)
    }
}
