import Database
import Notifications

/// A badge: a named rule, earned once per user.
public struct Badge: Sendable, Equatable {
    public var id: String
    public var title: String
    public var description: String

    public init(_ id: String, _ title: String, _ description: String) {
        self.id = id
        self.title = title
        self.description = description
    }
}

/// The badge rules, evaluated in the transaction of each XP award.
public enum Badges {
    public static let all: [Badge] = [
        Badge("first_lesson", "First lesson", "Completed a first lesson."),
        Badge("lessons_10", "Ten lessons", "Completed 10 lessons."),
        Badge("lessons_100", "A hundred lessons", "Completed 100 lessons."),
        Badge("first_course", "First course", "Completed a first course."),
        Badge("courses_5", "Five courses", "Completed 5 courses."),
        Badge("perfect_quiz", "Perfect score", "Scored 100% on a quiz."),
        Badge("streak_7", "7-day streak", "Learned on 7 days in a row."),
        // Wired to `forum_post` awards; the forum will emit them.
        Badge("first_forum_answer", "First answer", "Answered a question in the forum for the first time."),
    ]

    public static func named(_ id: String) -> Badge? { all.first { $0.id == id } }

    /// The badges this award earns (some may be held already; the insert keeps the first).
    static func earned(_ db: Connection, award: XPAwards.Award, timeZone: String) throws -> [String] {
        var badges: [String] = []
        switch award.type {
        case "lesson_complete":
            let lessons = try count(db, award.userId, "lesson_complete")
            if lessons >= 1 { badges.append("first_lesson") }
            if lessons >= 10 { badges.append("lessons_10") }
            if lessons >= 100 { badges.append("lessons_100") }
        case "course_complete":
            let courses = try count(db, award.userId, "course_complete")
            if courses >= 1 { badges.append("first_course") }
            if courses >= 5 { badges.append("courses_5") }
        case "quiz_pass":
            if award.scorePercent == 100 { badges.append("perfect_quiz") }
        case "forum_post":
            badges.append("first_forum_answer")
        default:
            break
        }
        if try hasStreak(db, award: award, timeZone: timeZone, days: 7) { badges.append("streak_7") }
        return badges
    }

    static func count(_ db: Connection, _ userId: String, _ type: String) throws -> Int {
        try db.query("SELECT count(*)::int AS n FROM xp WHERE user_id = \(userId) AND type = \(type)").one().int("n")
    }

    /// `days` consecutive local days (the learner's time zone) with any XP, around the award's day
    /// (awards may be processed late, so the run may end after it).
    static func hasStreak(_ db: Connection, award: XPAwards.Award, timeZone: String, days: Int) throws -> Bool {
        let rows = try db.query(
            """
            SELECT DISTINCT ((x."timestamp" AT TIME ZONE \(timeZone))::date - date '1970-01-01') AS day
            FROM xp x
            WHERE x.user_id = \(award.userId)
              AND x."timestamp" > \(award.occurredAt)::timestamptz - make_interval(days => \(days + 1))
              AND x."timestamp" < \(award.occurredAt)::timestamptz + make_interval(days => \(days + 1))
            ORDER BY day
            """
        ).rows
        var run = 0
        var last: Int?
        for row in rows {
            let day = try row.int("day")
            run = last.map { day == $0 + 1 } == true ? run + 1 : 1
            if run >= days { return true }
            last = day
        }
        return false
    }

    /// Records the badges not held yet and notifies the learner of each (email and push, through
    /// the notification jobs, keyed so that each is sent once).
    static func grant(_ db: Connection, userId: String, badges: [String], xpId: Int) throws -> [String] {
        guard !badges.isEmpty else { return [] }
        let granted = try db.query(
            """
            INSERT INTO user_badges (user_id, badge, xp_id)
            SELECT \(userId), b, \(xpId) FROM unnest(\(TextArray(badges))::text[]) AS b
            ON CONFLICT (user_id, badge) DO NOTHING
            RETURNING badge
            """
        ).rows.map { try $0.string("badge") }
        guard !granted.isEmpty,
            let user = try db.query("SELECT name, email FROM users WHERE id = \(userId) AND status = 'active'").first
        else { return granted }
        for id in granted {
            guard let badge = named(id) else { continue }
            try Notifications.email(
                db,
                Notifications.Email(
                    template: "badge_awarded", to: try user.string("email"), name: try user.string("name"),
                    data: ["badge_id": badge.id, "badge_title": badge.title, "badge_description": badge.description],
                    messageKey: "badge:\(userId):\(badge.id)"))
            try Notifications.push(
                db,
                Notifications.Push(
                    userId: userId, title: "New badge: \(badge.title)", body: badge.description, data: ["badge": badge.id],
                    messageKey: "badge:\(userId):\(badge.id)"))
        }
        return granted
    }
}
