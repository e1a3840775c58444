import Auth
import CertificateCodes
import CertificateIssue
import CertificatePDF
import Certificates
import Core
import Database
import Delivery
import Identity
import Mail
import Media
import MediaFiles
import Queue
import Runtime
import TestSupport
import Testing
import Worker

#if canImport(Glibc)
    import Glibc
#endif

/// Shared set-up of the certificate tests: a published course and its learner.
struct CertificateFixture {
    let db: Connection
    let learner: TestUser
    let instructor: TestUser
    let courseId: String
    let title: String

    init(learnerName: String = "Zoë Ødegaard") throws {
        db = try TestEnvironment.connect()
        learner = try Factory.user(db)
        instructor = try Factory.user(db, role: .instructor)
        try db.execute("UPDATE users SET name = \(learnerName) WHERE id = \(learner.id)")
        try db.execute("UPDATE users SET name = 'Ada Lovelace' WHERE id = \(instructor.id)")
        title = "Certified \(Factory.uniqueEmail("c").prefix(14))"
        courseId = try db.query(
            """
            INSERT INTO courses (instructor_id, title, status, published_at) VALUES (\(instructor.id), \(title), 'published', now())
            RETURNING id
            """
        ).one().string("id")
    }

    var payload: JSONValue {
        .object(["user_id": .string(learner.id), "course_id": .string(courseId), "completed_at": .string("2026-11-30T12:00:00Z")])
    }

    /// A `certificate.issue` job as issue 10 enqueues it (its own queue, so no worker takes it), claimed.
    func claimedJob() throws -> Queue.Job {
        let queue = "certs-\(courseId.prefix(8))"
        try Queue.enqueue(
            db, kind: CertificateIssue.kind, payload: payload,
            options: .init(queue: queue, uniqueKey: "certificate:\(learner.id):\(courseId)"))
        return try #require(try Queue.claim(db, queue: queue, limit: 1, worker: "test").first)
    }

    func job() -> Queue.Job {
        Queue.Job(id: 1, queue: "certificates", kind: CertificateIssue.kind, payload: payload, attempt: 1, maxAttempts: 10)
    }

    static func context(_ db: Connection) throws -> JobContext { try JobTesting.context(db) }

    static func files() throws -> MediaFiles { try JobTesting.files() }

    static let settings = CertificateIssue.Settings(platformName: "LMS Academy", appURL: "https://app.example.test")

    @discardableResult
    func issue(_ job: Queue.Job? = nil, db: Connection? = nil) throws -> CertificateIssue.Outcome {
        let connection = db ?? self.db
        return try CertificateIssue.handle(
            job ?? self.job(), try Self.context(connection), renderer: CertificateRenderer(), files: try Self.files(),
            settings: Self.settings)
    }

    func row() throws -> Row {
        try db.query("SELECT * FROM certificates WHERE user_id = \(learner.id) AND course_id = \(courseId)").one()
    }

    func emailJobs(_ certificateId: String) throws -> Int {
        try db.query("SELECT count(*)::int AS n FROM jobs WHERE unique_key = \("email:certificate-issued:\(certificateId)")").one().int("n")
    }

    func pdfText(_ code: String) throws -> String {
        let path = TestEnvironment.mediaDirectory + "/" + CertificateCode.fileKey(code)
        let result = try runCommand(["pdftotext", "-enc", "UTF-8", path, "-"])
        return String(decoding: result.output, as: UTF8.self)
    }
}

@Suite struct CertificateIssueTests {
    @Test func issuesOneCertificateWithTheFileStoredAndTheLearnerEmailedOnce() throws {
        let fixture = try CertificateFixture()
        let job = try fixture.claimedJob()
        guard case .issued(let code) = try fixture.issue(job) else {
            Issue.record("not issued")
            return
        }
        // The same event again (a duplicate job, a replay after a crash) changes nothing.
        #expect(try fixture.issue(job) == .unchanged(code: code))
        #expect(try fixture.issue() == .unchanged(code: code))
        let row = try fixture.row()
        #expect(try row.string("code") == code)
        #expect(try row.int("version") == 1)
        #expect(try row.string("file_key") == "private/certificates/\(code).pdf")
        #expect(try fixture.emailJobs(row.string("id")) == 1)
        let email = try fixture.db.query(
            "SELECT payload::text AS p FROM jobs WHERE unique_key = \("email:certificate-issued:\(try row.string("id"))")"
        ).one().string("p")
        #expect(email.contains("\"attachment_key\": \"private/certificates/\(code).pdf\""))
        let text = try fixture.pdfText(code)
        #expect(text.contains("Zoë Ødegaard"))
        #expect(text.contains(fixture.title))
        #expect(text.contains(code))
        #expect(text.contains("Ada Lovelace"))
        #expect(text.contains("30 November 2026"))
        // No PDF bytes in PostgreSQL: only the key.
        #expect(try fixture.db.query("SELECT 1 FROM certificates WHERE id = \(try row.string("id")) AND file_size > 1000").first != nil)
    }

    @Test func theLearnersEmailCarriesThePDFFromTheStore() throws {
        let fixture = try CertificateFixture(learnerName: "Ελένη Παπαδοπούλου")
        guard case .issued(let code) = try fixture.issue() else {
            Issue.record("not issued")
            return
        }
        let outbox = try EmailOutbox(fixture.db, messageKey: "certificate-issued:\(try fixture.row().string("id"))")
        try outbox.deliver()
        let message = try #require(try outbox.messages().first)
        #expect(message.header("To")?.contains(fixture.learner.email) == true)
        let attachment = try #require(message.parts.first { $0.mediaType == "application/pdf" })
        #expect(attachment.header("Content-Disposition")?.contains("certificate-\(code).pdf") == true)
        let stored = try readFileBytes(TestEnvironment.mediaDirectory + "/" + CertificateCode.fileKey(code))
        #expect(attachment.decodedBody == stored)
        let text = message.parts.first { $0.mediaType.hasPrefix("multipart/alternative") || $0.mediaType == "text/plain" }
        #expect(text != nil)
        // Sent once: a replay of the email job sends nothing more.
        try outbox.deliver()
        #expect(try outbox.messages().count == 1)
        try outbox.remove()
    }

    @Test func withS3StorageThePDFIsAnObjectReplacedOnReissue() throws {
        let fake = try FakeS3()
        let store = try MediaStore.from(try TestEnvironment.config(fake.settings))
        let files = try MediaFiles(store: store)
        let fixture = try CertificateFixture(learnerName: "Иван Петров")
        let outcome = try CertificateIssue.handle(
            fixture.job(), try CertificateFixture.context(fixture.db), renderer: CertificateRenderer(), files: files,
            settings: CertificateFixture.settings)
        guard case .issued(let code) = outcome else {
            Issue.record("not issued")
            return
        }
        let first = try files.get(key: CertificateCode.fileKey(code))
        #expect(first.starts(with: Array("%PDF-".utf8)))
        try CertificateReissue.request(fixture.db, certificateIds: [try fixture.row().string("id")])
        try fixture.db.execute("UPDATE users SET name = 'Ivan Petrov' WHERE id = \(fixture.learner.id)")
        #expect(
            try CertificateIssue.handle(
                fixture.job(), try CertificateFixture.context(fixture.db), renderer: CertificateRenderer(), files: files,
                settings: CertificateFixture.settings) == .reissued(code: code))
        let second = try files.get(key: CertificateCode.fileKey(code))
        #expect(second.starts(with: Array("%PDF-".utf8)))
        #expect(second != first)
        let link = store.privateLink(key: CertificateCode.fileKey(code), downloadName: "certificate.pdf", now: unixTime())
        #expect(link.url.hasPrefix(fake.endpoint + "/lms-media/private/certificates/\(code).pdf?"))
        try fixture.db.execute("DELETE FROM jobs WHERE unique_key LIKE \("certificate-reissue:\(try fixture.row().string("id")):%")")
    }

    @Test func twoWorkersAtOnceMakeOneCertificate() async throws {
        let fixture = try CertificateFixture(learnerName: "Nguyễn Thị Minh Khai")
        let job = fixture.job()
        let outcomes = await JobTesting.concurrently(4) { db in
            let outcome = try CertificateIssue.handle(
                job, try CertificateFixture.context(db), renderer: CertificateRenderer(), files: try CertificateFixture.files(),
                settings: CertificateFixture.settings)
            return "\(outcome)"
        }
        let row = try fixture.row()
        let code = try row.string("code")
        #expect(outcomes.filter { $0 == "\(CertificateIssue.Outcome.issued(code: code))" }.count == 1, "\(outcomes)")
        #expect(outcomes.filter { $0 == "\(CertificateIssue.Outcome.unchanged(code: code))" }.count == 3, "\(outcomes)")
        #expect(try row.int("version") == 1)
        #expect(try fixture.emailJobs(row.string("id")) == 1)
        #expect(
            try fixture.db.query("SELECT count(*)::int AS n FROM certificates WHERE course_id = \(fixture.courseId)").one().int("n") == 1)
    }

    @Test func aReissueKeepsTheCodeAndReplacesTheFileWithTheNewName() throws {
        let fixture = try CertificateFixture(learnerName: "Иван Петров")
        guard case .issued(let code) = try fixture.issue() else {
            Issue.record("not issued")
            return
        }
        // The learner renames themselves: PATCH /users/me asks for a re-issue.
        let renamed = try call(
            UpdateMe.endpoint, "PATCH", "/api/v1/users/me", json: #"{"name": "Łukasz Żółć"}"#, token: fixture.learner.accessToken)
        #expect(renamed.status == 200)
        let row = try fixture.row()
        #expect(try row.optionalString("reissue_requested_at") != nil)
        let pending = try fixture.db.query(
            "SELECT count(*)::int AS n FROM jobs WHERE unique_key = \("certificate-reissue:\(try row.string("id")):1")"
        ).one().int("n")
        #expect(pending == 1)
        #expect(try fixture.issue() == .reissued(code: code))
        let after = try fixture.row()
        #expect(try after.string("code") == code)
        #expect(try after.int("version") == 2)
        #expect(try after.string("learner_name") == "Łukasz Żółć")
        #expect(try fixture.pdfText(code).contains("Łukasz Żółć"))
        #expect(try fixture.emailJobs(row.string("id")) == 1)  // no second email for a re-issue
        try fixture.db.execute("DELETE FROM jobs WHERE unique_key LIKE \("certificate-reissue:\(try row.string("id")):%")")
    }

    @Test func badPayloadsFailForGoodAndMissingUsersOrCoursesAreSkipped() throws {
        let fixture = try CertificateFixture()
        for payload: JSONValue in [
            .object([:]), .object(["user_id": .string("nope"), "course_id": .string(fixture.courseId)]),
            .object(["user_id": .string(fixture.learner.id), "course_id": .string(fixture.courseId), "completed_at": .string("yesterday")]),
        ] {
            let job = Queue.Job(id: 1, queue: "certificates", kind: CertificateIssue.kind, payload: payload, attempt: 1, maxAttempts: 3)
            #expect(throws: PermanentJobError.self) { try fixture.issue(job) }
        }
        let ghost = Queue.Job(
            id: 1, queue: "certificates", kind: CertificateIssue.kind,
            payload: .object(["user_id": .string("00000000-0000-4000-8000-000000000001"), "course_id": .string(fixture.courseId)]),
            attempt: 1, maxAttempts: 3)
        #expect(try fixture.issue(ghost) == .gone)
    }
}
