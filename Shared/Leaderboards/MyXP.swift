import Achievements
import Auth
import Core
import Database
import Runtime

/// `GET /api/v1/users/me/xp`: total XP, this week's and this month's (UTC periods, as the
/// leaderboards count them), and the most recent awards.
public enum GetMyXP {
    public static let endpoint = Endpoint(.get, "/api/v1/users/me/xp", access: .signedIn, mode: .fastcgi, handle)

    struct Award: Encodable, Sendable {
        var type: String
        var source: String
        var points: Int
        @Nullable var courseId: String?
        var occurredAt: String
    }

    struct Summary: Encodable, Sendable {
        var total: Int
        var thisWeek: Int
        var thisMonth: Int
        var week: String
        var month: String
        var recent: [Award]
    }

    public static func handle(_ context: Context) throws -> Response {
        let caller = try context.user()
        let now = unixTime()
        let week = Period.containing(.week, time: now)
        let month = Period.containing(.month, time: now)
        let db = try context.db()
        let totals = try db.query(
            """
            SELECT (SELECT coalesce(sum(points), 0)::bigint FROM xp WHERE user_id = \(caller.id)) AS total,
                   coalesce((SELECT points FROM leaderboard_scores WHERE period = 'week' AND period_start = \(week.startDate)::date
                             AND course_id = \(globalBoard)::uuid AND user_id = \(caller.id)), 0) AS week,
                   coalesce((SELECT points FROM leaderboard_scores WHERE period = 'month' AND period_start = \(month.startDate)::date
                             AND course_id = \(globalBoard)::uuid AND user_id = \(caller.id)), 0) AS month
            """
        ).one()
        let recent = try db.query(
            """
            SELECT type, source, points, course_id, "timestamp" FROM xp WHERE user_id = \(caller.id)
            ORDER BY "timestamp" DESC, id DESC LIMIT 20
            """
        ).rows.map {
            Award(
                type: try $0.string("type"), source: try $0.string("source"), points: try $0.int("points"),
                courseId: try $0.optionalString("course_id"), occurredAt: try $0.timestamp("timestamp"))
        }
        return .ok(
            Summary(
                total: try totals.int("total"), thisWeek: try totals.int("week"), thisMonth: try totals.int("month"), week: week.label,
                month: month.label, recent: recent))
    }
}

/// `GET /api/v1/users/me/badges`: every badge, with when the caller earned it (null if not yet).
public enum ListMyBadges {
    public static let endpoint = Endpoint(.get, "/api/v1/users/me/badges", access: .signedIn, handle)

    struct Item: Encodable, Sendable {
        var id: String
        var title: String
        var description: String
        var earned: Bool
        @Nullable var awardedAt: String?
    }

    struct List: Encodable, Sendable {
        var items: [Item]
    }

    public static func handle(_ context: Context) throws -> Response {
        let caller = try context.user()
        var earned: [String: String] = [:]
        for row in try context.db().query("SELECT badge, awarded_at FROM user_badges WHERE user_id = \(caller.id)").rows {
            earned[try row.string("badge")] = try row.timestamp("awarded_at")
        }
        return .ok(
            List(
                items: Badges.all.map {
                    Item(id: $0.id, title: $0.title, description: $0.description, earned: earned[$0.id] != nil, awardedAt: earned[$0.id])
                }))
    }
}
