import Core
import Database
import Delivery
import Mail
import Media
import MediaFiles
import Notifications
import Queue
import TestSupport
import Worker

/// What the tests of a worker's job share: the job's context on a connection and the media
/// store's files, as the worker builds them.
enum JobTesting {
    static func context(_ db: Connection) throws -> JobContext {
        JobContext(db: db, config: try TestEnvironment.config(), log: Logger(component: "test"), worker: "test")
    }

    static func files() throws -> MediaFiles { try MediaFiles(store: try MediaStore.from(try TestEnvironment.config())) }

    /// `job` run by `count` workers at once, each on a connection of its own: what each returned
    /// (as text), or its error.
    static func concurrently(_ count: Int, _ job: @escaping @Sendable (Connection) throws -> String) async -> [String] {
        await withTaskGroup(of: String.self) { group in
            for _ in 0..<count {
                group.addTask {
                    do {
                        return try job(try TestEnvironment.connect())
                    } catch {
                        return "error: \(error)"
                    }
                }
            }
            var all: [String] = []
            for await outcome in group { all.append(outcome) }
            return all
        }
    }
}

/// The email job a worker enqueued under a message key, sent as the email worker sends it into
/// a folder of `.eml` files: what the recipient gets. `remove()` deletes the folder and the job.
struct EmailOutbox {
    let db: Connection
    let job: Queue.Job
    let folder: String

    init(_ db: Connection, messageKey: String) throws {
        let row = try db.query("SELECT id, kind, payload::text AS p FROM jobs WHERE unique_key = \("email:\(messageKey)")").one()
        job = Queue.Job(
            id: Int64(try row.int("id")), queue: Notifications.emailQueue, kind: try row.string("kind"),
            payload: try JSONValue.parse(Array(try row.string("p").utf8)), attempt: 1, maxAttempts: 8)
        folder = try makeTemporaryDirectory("outbox")
        self.db = db
    }

    /// Runs the email job (again: a replay sends nothing more).
    func deliver() throws {
        try EmailDelivery.handle(
            job, try JobTesting.context(db), transport: FileTransport(folder: folder),
            templates: EmailTemplates(productName: "LMS Academy", appURL: "https://app.example.test"),
            sender: MailAddress("no-reply@app.test"), files: try JobTesting.files())
    }

    /// The messages sent so far.
    func messages() throws -> [MIMEEntity] {
        let listing = String(decoding: try runCommand(["ls", folder]).output, as: UTF8.self)
        return try listing.split(separator: "\n").map { MIMEEntity(try readFileBytes("\(folder)/\($0)")) }
    }

    func remove() throws {
        removeTemporaryDirectory(folder)
        try db.execute("DELETE FROM jobs WHERE id = \(Int(job.id))")
    }
}
