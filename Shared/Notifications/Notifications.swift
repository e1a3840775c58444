import Core
import Database
import Queue

/// The one way to send an email or a push: enqueue it in the caller's transaction. The email
/// and push workers pick the jobs up; a job's `messageKey` makes its side effect happen once
/// however often the job is retried.
public enum Notifications {
    public static let emailQueue = "email"
    public static let pushQueue = "push"

    /// An email to render from a template and send.
    public struct Email: Codable, Sendable, Equatable {
        /// `verification`, `password_reset`, `welcome`, ...: the job kind is `email.<template>`.
        public var template: String
        public var to: String
        public var name: String
        /// Values the template inserts (codes, links, course titles).
        public var data: [String: String]
        /// Identifies this message for good: one message per key is ever sent.
        public var messageKey: String

        public init(template: String, to: String, name: String, data: [String: String], messageKey: String) {
            self.template = template
            self.to = to
            self.name = name
            self.data = data
            self.messageKey = messageKey
        }
    }

    /// A push notification to every device of a user.
    public struct Push: Codable, Sendable, Equatable {
        public var userId: String
        public var title: String
        public var body: String
        public var data: [String: String]
        public var messageKey: String

        public init(userId: String, title: String, body: String, data: [String: String] = [:], messageKey: String) {
            self.userId = userId
            self.title = title
            self.body = body
            self.data = data
            self.messageKey = messageKey
        }
    }

    /// Payload fields the admin API never shows (one-time codes and reset tokens ride in
    /// email jobs until they are sent).
    public static let secretFields: Set<String> = ["code", "token", "reset_url", "password"]

    @discardableResult
    public static func email(_ db: Connection, _ email: Email, delaySeconds: Int = 0) throws -> Int64? {
        try Queue.enqueue(
            db, kind: "email.\(email.template)", payload: email,
            options: .init(queue: emailQueue, delaySeconds: delaySeconds, uniqueKey: "email:\(email.messageKey)", maxAttempts: 8))
    }

    @discardableResult
    public static func push(_ db: Connection, _ push: Push) throws -> Int64? {
        try Queue.enqueue(
            db, kind: "push.send", payload: push, options: .init(queue: pushQueue, uniqueKey: "push:\(push.messageKey)", maxAttempts: 8))
    }
}
