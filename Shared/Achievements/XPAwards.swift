import Core
import Database

/// XP: the consumer of `xp.award` (queue `xp`, issue 10's contract). One award per
/// (user, type, source) by the table's unique key, so a lesson completed, undone and completed
/// again, a duplicate event or a replayed job gives XP once. In the award's transaction: the
/// user's weekly and monthly scores (global and the course's) grow by the points, and the badge
/// rules run.
public enum XPAwards {
    public static let kind = "xp.award"
    public static let queue = "xp"
    public static let types = ["lesson_complete", "quiz_pass", "assignment_graded", "course_complete", "forum_post"]

    /// Points per award type (`XP_POINTS_LESSON_COMPLETE`, ...); course completion is the bonus.
    public struct Points: Sendable, Equatable {
        public var byType: [String: Int]

        public static let defaults: [String: Int] = [
            "lesson_complete": 10, "quiz_pass": 20, "assignment_graded": 30, "course_complete": 100, "forum_post": 5,
        ]

        public init(byType: [String: Int] = Points.defaults) { self.byType = byType }

        public init(config: Config) {
            var values = Points.defaults
            for type in XPAwards.types {
                values[type] = max(0, min(config.int("XP_POINTS_" + type.uppercased(), default: values[type] ?? 0), 100_000))
            }
            self.init(byType: values)
        }

        public subscript(type: String) -> Int { byType[type] ?? 0 }
    }

    public struct Award: Sendable, Equatable {
        public var userId: String
        public var type: String
        public var source: String
        public var courseId: String?
        public var occurredAt: String
        public var scorePercent: Int?

        public init(userId: String, type: String, source: String, courseId: String?, occurredAt: String, scorePercent: Int? = nil) {
            self.userId = userId
            self.type = type
            self.source = source
            self.courseId = courseId
            self.occurredAt = occurredAt
            self.scorePercent = scorePercent
        }
    }

    /// A payload that can never be awarded (the job fails for good).
    public struct InvalidAward: Error, CustomStringConvertible {
        public var description: String
    }

    public static func parse(_ payload: JSONValue) throws(InvalidAward) -> Award {
        func text(_ key: String) -> String? { if case .string(let value)? = payload[key] { return value } else { return nil } }
        guard let userId = text("user_id"), isUUID(userId) else { throw InvalidAward(description: "user_id is not a UUID") }
        guard let type = text("type"), types.contains(type) else { throw InvalidAward(description: "unknown type") }
        guard let source = text("source"), (1...200).contains(source.utf8.count) else { throw InvalidAward(description: "no source") }
        let courseId = text("course_id")
        if let courseId, !isUUID(courseId) { throw InvalidAward(description: "course_id is not a UUID") }
        guard let occurredAt = text("occurred_at"), isTimestamp(occurredAt) else {
            throw InvalidAward(description: "occurred_at is not an ISO 8601 time")
        }
        var score: Int?
        if case .number(let value)? = payload["score_percent"] {
            guard value >= 0, value <= 100, value == value.rounded() else { throw InvalidAward(description: "score_percent out of range") }
            score = Int(value)
        }
        return Award(userId: userId, type: type, source: source, courseId: courseId, occurredAt: occurredAt, scorePercent: score)
    }

    public enum Outcome: Equatable, Sendable {
        case awarded(points: Int, badges: [String])
        case duplicate
        /// The user no longer exists.
        case gone
    }

    /// Awards once, in one transaction.
    @discardableResult
    public static func award(_ db: Connection, _ award: Award, points: Points) throws -> Outcome {
        try db.transaction { tx in
            let value = points[award.type]
            let inserted = try tx.query(
                """
                INSERT INTO xp (user_id, type, source, points, "timestamp", course_id, score_percent)
                SELECT u.id, \(award.type), \(award.source), \(value), \(award.occurredAt)::timestamptz,
                       (SELECT c.id FROM courses c WHERE c.id = \(award.courseId)::uuid), \(award.scorePercent)
                FROM users u WHERE u.id = \(award.userId)
                ON CONFLICT (user_id, type, source) DO NOTHING
                RETURNING id, course_id, (SELECT time_zone FROM users WHERE id = \(award.userId)) AS time_zone
                """
            ).first
            guard let inserted else {
                let exists = try tx.query("SELECT 1 FROM users WHERE id = \(award.userId)").first != nil
                return exists ? .duplicate : .gone
            }
            let courseId = try inserted.optionalString("course_id")
            if value > 0 {
                // Weekly and monthly, global and the course's: two or four rows of this user only.
                try tx.execute(
                    """
                    INSERT INTO leaderboard_scores (period, period_start, course_id, user_id, points)
                    SELECT p.period, date_trunc(p.period, \(award.occurredAt)::timestamptz AT TIME ZONE 'UTC')::date, b.course_id,
                           \(award.userId), \(value)
                    FROM (VALUES ('week'), ('month')) AS p(period),
                         unnest(ARRAY[\(globalBoard)::uuid, \(courseId)::uuid]) AS b(course_id)
                    WHERE b.course_id IS NOT NULL
                    ON CONFLICT (period, period_start, course_id, user_id)
                    DO UPDATE SET points = leaderboard_scores.points + EXCLUDED.points, updated_at = now()
                    """)
            }
            let earned = try Badges.earned(tx, award: award, timeZone: try inserted.string("time_zone"))
            let granted = try Badges.grant(tx, userId: award.userId, badges: earned, xpId: try inserted.int("id"))
            return .awarded(points: value, badges: granted)
        }
    }

    /// `2026-11-30T12:00:00Z` (fractions and offsets allowed): the shape; PostgreSQL checks the rest.
    static func isTimestamp(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard bytes.count >= 19, bytes.count <= 40, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"),
            bytes[10] == UInt8(ascii: "T"), bytes[13] == UInt8(ascii: ":")
        else { return false }
        return bytes[0..<4].allSatisfy { $0 >= 48 && $0 <= 57 }
    }
}
