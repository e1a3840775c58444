import CertificateCodes
import CertificatePDF
import Core
import Database
import FoundationEssentials
import MediaFiles
import Notifications
import Queue
import Worker

/// The certificate worker's job, `certificate.issue` (queue `certificates`): payload
/// `{"user_id", "course_id", "completed_at"}` from the completion (issue 10's contract), or a
/// re-issue request. Exactly one certificate per (user, course) whatever happens:
///
/// - the row (and so the code) is inserted with ON CONFLICT DO NOTHING on UNIQUE (user, course);
/// - the row is locked FOR UPDATE for the rest of the job, so two workers render one after the
///   other and the second finds the work done;
/// - rendering, storing (the key is fixed by the code: a replay overwrites the same file) and
///   recording the file happen in that one transaction, so a worker killed anywhere in between
///   leaves the row unrendered and the retried job does it again;
/// - the learner's email (PDF attached) is enqueued in the same transaction, keyed by the
///   certificate: sent once however often the job runs.
///
/// A re-issue (`reissue_requested_at` set by a name change or an admin) keeps the code,
/// refreshes the names and replaces the file.
public enum CertificateIssue {
    public static let kind = "certificate.issue"
    public static let queue = "certificates"

    public struct Settings: Sendable {
        public var platformName: String
        public var appURL: String

        public init(platformName: String, appURL: String) {
            self.platformName = platformName
            self.appURL = appURL
        }

        public init(config: Config) {
            self.init(platformName: config["PRODUCT_NAME"] ?? "LMS", appURL: config["PUBLIC_APP_URL"] ?? "http://localhost:3000")
        }
    }

    public enum Outcome: Equatable, Sendable {
        case issued(code: String)
        case reissued(code: String)
        /// Already rendered and no re-issue asked for (a duplicate event or a replayed job).
        case unchanged(code: String)
        case revoked(code: String)
        /// The user or the course no longer exists.
        case gone
    }

    @discardableResult
    public static func handle(
        _ job: Queue.Job, _ context: JobContext, renderer: CertificateRenderer, files: MediaFiles, settings: Settings
    ) throws -> Outcome {
        guard case .string(let userId) = job.payload["user_id"] ?? .null, isUUID(userId),
            case .string(let courseId) = job.payload["course_id"] ?? .null, isUUID(courseId)
        else { throw PermanentJobError("\(kind) needs user_id and course_id as UUIDs") }
        var completedAt: String?
        if case .string(let text) = job.payload["completed_at"] ?? .null {
            guard isTimestamp(text) else { throw PermanentJobError("\(kind): completed_at is not an ISO 8601 time") }
            completedAt = text
        }
        return try context.db.transaction { tx in
            let facts = try tx.query(
                """
                SELECT u.name AS learner, u.email, u.status, c.title, i.name AS instructor
                FROM users u, courses c JOIN users i ON i.id = c.instructor_id
                WHERE u.id = \(userId) AND c.id = \(courseId)
                """
            ).first
            guard let facts else { return .gone }
            try tx.execute(
                """
                INSERT INTO certificates (code, user_id, course_id, learner_name, course_title, instructor_name, completed_at)
                VALUES (\(CertificateCode.generate()), \(userId), \(courseId), \(try facts.string("learner")),
                        \(try facts.string("title")), \(try facts.string("instructor")),
                        coalesce(\(completedAt)::timestamptz, now()))
                ON CONFLICT (user_id, course_id) DO NOTHING
                """)
            let row = try tx.query(
                """
                SELECT id, code, version, file_key, revoked_at, reissue_requested_at, completed_at,
                       learner_name, course_title, instructor_name
                FROM certificates WHERE user_id = \(userId) AND course_id = \(courseId) FOR UPDATE
                """
            ).one()
            let id = try row.string("id")
            let code = try row.string("code")
            if try row.optionalString("revoked_at") != nil { return .revoked(code: code) }
            let reissue = try row.optionalString("reissue_requested_at") != nil
            let firstIssue = try row.optionalString("file_key") == nil
            guard firstIssue || reissue else { return .unchanged(code: code) }

            // A re-issue takes today's names; the first rendering uses what the row was inserted with.
            let learner = try reissue ? facts.string("learner") : row.string("learner_name")
            let title = try reissue ? facts.string("title") : row.string("course_title")
            let instructor = try reissue ? facts.string("instructor") : row.string("instructor_name")
            let verification = CertificateCode.verificationURL(appURL: settings.appURL, code: code)
            let content = CertificateContent(
                platformName: settings.platformName, learnerName: learner, courseTitle: title, instructorName: instructor,
                completedOn: CertificateRenderer.displayDate(try row.timestamp("completed_at")), code: code,
                verificationURL: verification)
            // A render failure is retried: a missing font is fixed by an operator, not by giving up.
            let pdf = try renderer.render(content)
            let key = CertificateCode.fileKey(code)
            try files.put(key: key, bytes: pdf, contentType: "application/pdf")
            try tx.execute(
                """
                UPDATE certificates SET learner_name = \(learner), course_title = \(title), instructor_name = \(instructor),
                       file_key = \(key), file_size = \(pdf.count), rendered_at = now(), version = version + 1,
                       reissue_requested_at = NULL
                WHERE id = \(id)
                """)
            let active = try facts.string("status") == "active"
            if firstIssue && active {
                try Notifications.email(
                    tx,
                    Notifications.Email(
                        template: "certificate_issued", to: try facts.string("email"), name: learner,
                        data: [
                            "course_title": title, "code": code, "verification_url": verification, "attachment_key": key,
                            "attachment_name": "certificate-\(code).pdf",
                        ],
                        messageKey: "certificate-issued:\(id)"))
            }
            context.log.info(
                firstIssue ? "certificate issued" : "certificate re-issued",
                [("certificate_id", .string(id)), ("bytes", .int(pdf.count))])
            return firstIssue ? .issued(code: code) : .reissued(code: code)
        }
    }

    /// `2026-11-30T12:00:00Z` (fractions and offsets allowed): the shape, not the calendar.
    static func isTimestamp(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard bytes.count >= 19, bytes.count <= 40, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"),
            bytes[10] == UInt8(ascii: "T") || bytes[10] == UInt8(ascii: " "), bytes[13] == UInt8(ascii: ":")
        else { return false }
        return bytes[0..<4].allSatisfy { $0 >= 48 && $0 <= 57 }
    }
}
