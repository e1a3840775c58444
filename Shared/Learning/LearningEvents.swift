import Core
import Database
import Notifications
import Queue

/// The jobs learning hands to the certificates and XP issue (`/work/CONTRACT-learning-events.md`
/// in the project notes; docs/ARCHITECTURE.md, "Learning events"): enqueued in the transaction of
/// the write that causes them, each with its unique key, so the consumers only add a worker.
public enum LearningEvents {
    public static let xpQueue = "xp"
    public static let certificatesQueue = "certificates"

    /// What earns XP: `lesson_complete`, `quiz_pass`, `assignment_graded`, `course_complete`.
    public enum XPType: String, Sendable {
        case lessonComplete = "lesson_complete"
        case quizPass = "quiz_pass"
        case assignmentGraded = "assignment_graded"
        case courseComplete = "course_complete"
    }

    /// The `xp.award` payload.
    public struct XPAward: Codable, Sendable, Equatable {
        public var userId: String
        public var type: String
        /// `lesson:<id>`, `quiz:<id>`, `assignment:<id>` or `course:<id>`.
        public var source: String
        public var courseId: String
        public var occurredAt: String
        /// Only for `quiz_pass` and `assignment_graded` (absent otherwise).
        public var scorePercent: Int?
    }

    /// The `certificate.issue` payload.
    public struct CertificateIssue: Codable, Sendable, Equatable {
        public var userId: String
        public var courseId: String
        public var completedAt: String
    }

    /// Enqueues `xp.award` with the key `xp:<user_id>:<type>:<source>`.
    public static func awardXP(
        _ db: Connection, userId: String, type: XPType, source: String, courseId: String, occurredAt: String, scorePercent: Int? = nil
    ) throws {
        let award = XPAward(
            userId: userId, type: type.rawValue, source: source, courseId: courseId, occurredAt: occurredAt, scorePercent: scorePercent)
        try Queue.enqueue(
            db, kind: "xp.award", payload: award,
            options: .init(queue: xpQueue, uniqueKey: "xp:\(userId):\(type.rawValue):\(source)"))
    }

    /// Enqueues `certificate.issue` with the key `certificate:<user_id>:<course_id>`.
    public static func issueCertificate(_ db: Connection, userId: String, courseId: String, completedAt: String) throws {
        try Queue.enqueue(
            db, kind: "certificate.issue", payload: CertificateIssue(userId: userId, courseId: courseId, completedAt: completedAt),
            options: .init(queue: certificatesQueue, uniqueKey: "certificate:\(userId):\(courseId)"))
    }
}
