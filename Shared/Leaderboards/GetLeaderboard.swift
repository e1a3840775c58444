import Achievements
import Auth
import Core
import Database
import Runtime

/// `GET /api/v1/leaderboards?period=week|month&at=YYYY-Www|YYYY-MM&course=&limit=&cursor=`:
/// one board, read from the precomputed ranks (never from XP events): the top `limit` (default
/// 10, at most 100) in rank order with keyset pages, and the caller's own rank and points even
/// outside the page. Ranks are standard competition ranking (1, 2, 2, 4; equal points, equal
/// rank; ties listed by user id). Past periods come from their frozen snapshots. Users who opted
/// out, and suspended or deleted ones, never appear. A course board is visible when the course
/// is published (or to its instructor and admins).
public enum GetLeaderboard {
    public static let endpoint = Endpoint(.get, "/api/v1/leaderboards", access: .anyone, mode: .fastcgi, processes: 2, handle)

    struct Entry: Encodable, Sendable {
        var rank: Int
        var points: Int
        var user: User
    }

    struct User: Encodable, Sendable {
        var id: String
        var name: String
        @Nullable var avatarUrl: String?
    }

    struct Me: Encodable, Sendable {
        @Nullable var rank: Int?
        var points: Int
        var optedOut: Bool
    }

    struct Board: Encodable, Sendable {
        var period: String
        var at: String
        var startsAt: String
        var endsAt: String
        @Nullable var courseId: String?
        var closed: Bool
        @Nullable var rankedAt: String?
        var participants: Int
        var entries: [Entry]
        @Nullable var nextCursor: String?
        @Nullable var me: Me?
    }

    public static func handle(_ context: Context) throws -> Response {
        let request = context.request
        var errors: [FieldError] = []
        let kind = Period.Kind(rawValue: request.queryValue("period") ?? "week")
        if kind == nil { errors.append(FieldError(field: "period", message: "must be week or month")) }
        var period = kind.map { Period.containing($0, time: unixTime()) }
        if let kind, let at = request.queryValue("at") {
            period = Period.parse(kind, at)
            if period == nil {
                errors.append(
                    FieldError(
                        field: "at", message: kind == .week ? "must be an ISO week such as 2026-W48" : "must be a month such as 2026-11"))
            }
        }
        let course = request.queryValue("course")
        if let course, !isUUID(course) { errors.append(FieldError(field: "course", message: "must be a course id")) }
        var limit = 10
        if let text = request.queryValue("limit") {
            if let value = Int(text), (1...100).contains(value) {
                limit = value
            } else {
                errors.append(FieldError(field: "limit", message: "must be a number from 1 to 100"))
            }
        }
        var after: (rank: Int, user: String)?
        if let cursor = request.queryValue("cursor") {
            let parts = cursor.split(separator: "_", maxSplits: 1).map(String.init)
            if parts.count == 2, let rank = Int(parts[0]), rank >= 1, isUUID(parts[1]) {
                after = (rank, parts[1])
            } else {
                errors.append(FieldError(field: "cursor", message: "is not a cursor from this list"))
            }
        }
        guard errors.isEmpty, let period else { throw APIError.invalid(errors) }

        let caller = try context.optionalCaller()
        let db = try context.db()
        let board = course ?? globalBoard
        if let course {
            let row = try db.query("SELECT status, instructor_id FROM courses WHERE id = \(course)").first
            guard let row else { throw APIError.notFound("Course") }
            let visible =
                try row.string("status") == "published" || caller?.role == .admin || (try caller?.id == row.string("instructor_id"))
            guard visible else { throw APIError.notFound("Course") }
        }
        let kindText = period.kind.rawValue
        let start = period.startDate
        let state = try db.query(
            """
            SELECT b.entries, b.ranked_at, b.closed_at FROM leaderboard_boards b
            WHERE b.period = \(kindText) AND b.period_start = \(start)::date AND b.course_id = \(board)::uuid
            """
        ).first
        let closed = try state?.optionalString("closed_at") != nil
        let rows = try db.query(
            """
            SELECT r.rank, r.points, r.user_id, u.name, u.avatar_url
            FROM leaderboard_ranks r JOIN users u ON u.id = r.user_id
            WHERE r.period = \(kindText) AND r.period_start = \(start)::date AND r.course_id = \(board)::uuid
              AND (\(after?.rank)::int IS NULL OR (r.rank, r.user_id) > (\(after?.rank)::int, \(after?.user)::uuid))
              AND u.status = 'active' AND NOT u.leaderboard_opt_out
            ORDER BY r.rank, r.user_id
            LIMIT \(limit + 1)
            """
        ).rows
        var entries: [Entry] = []
        for row in rows.prefix(limit) {
            entries.append(
                Entry(
                    rank: try row.int("rank"), points: try row.int("points"),
                    user: User(id: try row.string("user_id"), name: try row.string("name"), avatarUrl: try row.optionalString("avatar_url"))
                ))
        }
        let nextCursor = rows.count > limit ? entries.last.map { "\($0.rank)_\($0.user.id)" } : nil
        var me: Me?
        if let caller {
            me = try ownRank(db, caller: caller, period: period, board: board, closed: closed, entries: try state?.int("entries") ?? 0)
        }
        return .ok(
            Board(
                period: kindText, at: period.label, startsAt: period.startsAt, endsAt: period.endsAt, courseId: course, closed: closed,
                rankedAt: try state?.optionalTimestamp("ranked_at"), participants: try state?.int("entries") ?? 0, entries: entries,
                nextCursor: nextCursor, me: me))
    }

    /// The caller's place: from the frozen ranks once closed; while open, their live points
    /// placed among the last ranking (the rank of the first entry with no more points than
    /// theirs): two index look-ups however large the board.
    static func ownRank(_ db: Connection, caller: Caller, period: Period, board: String, closed: Bool, entries: Int) throws -> Me {
        let optedOut = try caller.row.bool("leaderboard_opt_out")
        let kind = period.kind.rawValue
        let start = period.startDate
        if optedOut { return Me(rank: nil, points: 0, optedOut: true) }
        if closed {
            let row = try db.query(
                """
                SELECT rank, points FROM leaderboard_ranks
                WHERE period = \(kind) AND period_start = \(start)::date AND course_id = \(board)::uuid AND user_id = \(caller.id)
                """
            ).first
            return Me(rank: try row?.int("rank"), points: try row?.int("points") ?? 0, optedOut: false)
        }
        let points =
            try db.query(
                """
                SELECT points FROM leaderboard_scores
                WHERE period = \(kind) AND period_start = \(start)::date AND course_id = \(board)::uuid AND user_id = \(caller.id)
                """
            ).first?.int("points") ?? 0
        guard points > 0 else { return Me(rank: nil, points: 0, optedOut: false) }
        let place = try db.query(
            """
            SELECT rank FROM leaderboard_ranks
            WHERE period = \(kind) AND period_start = \(start)::date AND course_id = \(board)::uuid AND points <= \(points)
            ORDER BY points DESC LIMIT 1
            """
        ).first
        return Me(rank: try place?.int("rank") ?? (entries + 1), points: points, optedOut: false)
    }
}
