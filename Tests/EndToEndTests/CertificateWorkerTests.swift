import CertificateCodes
import CertificatePDF
import Core
import Database
import Queue
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The certificate worker as a real process, killed with SIGKILL after it rendered and stored
/// the PDF but before it committed: the retried job issues the same certificate once.
@Suite struct CertificateWorkerTests {
    @Test func aWorkerKilledAfterRenderingLeavesOneCertificateAndOneEmail() throws {
        let db = try TestEnvironment.connect()
        let learner = try Factory.user(db)
        try db.execute("UPDATE users SET name = 'Łukasz Żółć' WHERE id = \(learner.id)")
        let instructor = try Factory.user(db, role: .instructor)
        let courseId = try db.query(
            """
            INSERT INTO courses (instructor_id, title, status, published_at) VALUES (\(instructor.id), 'Killed worker course', 'published', now())
            RETURNING id
            """
        ).one().string("id")
        let code = CertificateCode.generate()
        let id = try db.query(
            """
            INSERT INTO certificates (code, user_id, course_id, learner_name, course_title, instructor_name, completed_at)
            VALUES (\(code), \(learner.id), \(courseId), 'Łukasz Żółć', 'Killed worker course', 'Test Instructor', now())
            RETURNING id
            """
        ).one().string("id")
        // Another transaction holds the email job's unique key: the worker renders, stores the
        // file, and then waits on that key, before its commit.
        let blocker = try holdUniqueKey("email:certificate-issued:\(id)", kind: "email.certificate_issued")
        let queue = "certs-e2e-\(id.prefix(8))"
        try Queue.enqueue(
            db, kind: "certificate.issue", payload: ["user_id": learner.id, "course_id": courseId, "completed_at": "2026-11-30T12:00:00Z"],
            options: .init(queue: queue, uniqueKey: "certificate:\(learner.id):\(courseId)"))
        let media = try makeTemporaryDirectory()
        defer { removeTemporaryDirectory(media) }
        let file = media + "/" + CertificateCode.fileKey(code)
        func worker() throws -> ChildProcess {
            try workerProcess(
                "certificate", queueVariable: "CERTIFICATE_QUEUE", queue: queue, media: media,
                environment: ["PUBLIC_APP_URL": "https://app.example.test"])
        }
        try killAfterStoring(try worker(), file: file, blocker: blocker) {
            try db.query("SELECT file_key FROM certificates WHERE id = \(id)").one().optionalString("file_key") != nil
        }

        let survivor = try worker()
        defer { survivor.stop() }
        #expect(
            try eventually(seconds: 30) {
                try db.query("SELECT file_key FROM certificates WHERE id = \(id)").one().optionalString("file_key") != nil
            })
        let row = try db.query("SELECT code, version, count(*) OVER () AS n FROM certificates WHERE user_id = \(learner.id)").one()
        #expect(try row.string("code") == code)
        #expect(try row.int("version") == 1)
        #expect(try row.int("n") == 1)
        #expect(
            try db.query("SELECT count(*)::int AS n FROM jobs WHERE unique_key = \("email:certificate-issued:\(id)")").one().int("n") == 1)
        #expect(try eventually(seconds: 10) { try db.query("SELECT 1 FROM jobs WHERE queue = \(queue)").rows.isEmpty })
        let text = try runCommand(["pdftotext", "-enc", "UTF-8", file, "-"])
        #expect(String(decoding: text.output, as: UTF8.self).contains("Łukasz Żółć"))
        try db.execute("DELETE FROM jobs WHERE unique_key = \("email:certificate-issued:\(id)")")
    }
}

/// Public look-ups by code through nginx: limited per client address (`lookup` class), the
/// same 404 envelope for unknown and malformed codes.
@Suite struct CertificateLookupProxyTests {
    @Test(arguments: Mode.allCases)
    func verificationIsRateLimitedPerAddress(mode: Mode) throws {
        let client = try mode.client()
        let unknown = try client.send("GET", "/api/v1/certificates/ZZZZ-ZZZZ-ZZZZ-ZZZ0")
        let malformed = try client.send("GET", "/api/v1/certificates/%3Cscript%3E")
        #expect(unknown.status == 404)
        #expect(malformed.status == 404)
        #expect(unknown.json["message"] == malformed.json["message"])
        var limited: TestResponse?
        for _ in 0..<80 {
            let response = try client.send("GET", "/api/v1/certificates/ZZZZ-ZZZZ-ZZZZ-ZZZ0", from: "127.0.0.3")
            if response.status == 429 {
                limited = response
                break
            }
            #expect(response.status == 404)
        }
        let response = try #require(limited)
        #expect(response.code == "rate_limited")
        #expect(response.header("Retry-After") != nil)
        #expect(try client.send("GET", "/api/v1/health", from: "127.0.0.3").status == 200)
    }
}

/// The XP and leaderboard workers as processes: awards enqueued as issue 10 does are awarded
/// once, and the schedule's refresh ranks the board without anyone asking.
@Suite struct AchievementWorkerTests {
    @Test func xpJobsAreAwardedOnceAndTheScheduledRefreshRanksThem() throws {
        let db = try TestEnvironment.connect()
        let learner = try Factory.user(db)
        let instructor = try Factory.user(db, role: .instructor)
        let courseId = try db.query(
            """
            INSERT INTO courses (instructor_id, title, status, published_at) VALUES (\(instructor.id), 'Worker XP course', 'published', now())
            RETURNING id
            """
        ).one().string("id")
        let suffix = String(learner.id.prefix(8))
        let environment = [
            "DATABASE_URL": try TestEnvironment.databaseURL(), "XP_QUEUE": "xp-e2e-\(suffix)", "LEADERBOARD_QUEUE": "lb-e2e-\(suffix)",
            "LEADERBOARD_SCHEDULE_PREFIX": "e2e-\(suffix)-", "LEADERBOARD_REFRESH_SECONDS": "5", "WORKER_POLL_MS": "200",
            "LMS_ENV_FILE": "/nonexistent",
        ]
        let bin = try TestEnvironment.value("E2E_BIN_DIR")
        let xp = try ChildProcess(
            [bin + "/worker-xp"], stdout: "/tmp/lms-xp-\(suffix).log", stderr: "/tmp/lms-xp-\(suffix).log", environment: environment)
        defer { xp.stop() }
        let board = try ChildProcess(
            [bin + "/worker-leaderboard"], stdout: "/tmp/lms-lb-\(suffix).log", stderr: "/tmp/lms-lb-\(suffix).log",
            environment: environment)
        defer { board.stop() }
        let now = isoTime(unixTime())
        for lesson in ["a", "b", "a", "a"] {  // completed, another, the first again twice
            try Queue.enqueue(
                db, kind: "xp.award",
                payload: [
                    "user_id": learner.id, "type": "lesson_complete", "source": "lesson:\(lesson)", "course_id": courseId,
                    "occurred_at": now,
                ],
                options: .init(queue: "xp-e2e-\(suffix)", uniqueKey: "xp:\(learner.id):lesson_complete:lesson:\(lesson)-\(suffix)"))
            usleep(300_000)
        }
        #expect(
            try eventually(seconds: 30) {
                try db.query(
                    """
                    SELECT r.rank, r.points FROM leaderboard_boards b JOIN leaderboard_ranks r ON r.ranking = b.ranking
                    WHERE r.user_id = \(learner.id) AND b.course_id = \(courseId) AND b.period = 'week'
                    """
                ).first?.int("points") == 20
            })
        #expect(try db.query("SELECT count(*)::int AS n FROM xp WHERE user_id = \(learner.id)").one().int("n") == 2)
        #expect(try db.query("SELECT 1 FROM user_badges WHERE user_id = \(learner.id) AND badge = 'first_lesson'").first != nil)
    }
}
