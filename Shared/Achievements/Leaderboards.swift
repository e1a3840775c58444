import Core
import Database
import Notifications

/// The leaderboard worker's two jobs, both from the queue's schedules:
///
/// - `leaderboard.refresh` (every `LEADERBOARD_REFRESH_SECONDS`, default 60): re-ranks the open
///   boards of the current week and month whose scores changed since the last refresh;
/// - `leaderboard.close` (Monday 00:00 UTC, the 1st 00:00 UTC): ranks every board of the period
///   that just ended one last time and freezes it. The period's row is locked and `closed_at`
///   set in the same transaction, so a period closes once however many workers tick; the
///   schedules enqueue missed slots after downtime, so closes catch up.
///
/// Ranks are standard competition ranking: equal points share a rank and the next rank skips
/// (1, 2, 2, 4). Only active users who did not opt out are ranked.
public enum Leaderboards {
    public static let queue = "leaderboards"
    public static let refreshKind = "leaderboard.refresh"
    public static let closeKind = "leaderboard.close"
    /// How far before the last refresh score changes are looked at again (award transactions
    /// that began before it and committed after it).
    static let lookBackSeconds = 60
    /// Places notified when a period closes, and at most this many people (ties at the top).
    public static let winnerPlaces = 3
    public static let maxWinners = 10
    /// A board's ranking sorts its scores in memory (about 130 bytes a row: 100 MB for 800,000
    /// users) rather than in temporary files: for the ranking's transaction only.
    static let rankingMemory: SQL = "SET LOCAL work_mem = '256MB'"

    /// Ranks the current periods' changed boards; returns how many boards were ranked.
    @discardableResult
    public static func refresh(_ db: Connection, now: Int) throws -> Int {
        var ranked = 0
        for kind in Period.Kind.allCases {
            ranked += try refresh(db, Period.containing(kind, time: now))
        }
        return ranked
    }

    /// Ranks the boards of one open period changed since its last refresh (none when another
    /// worker is refreshing or closing it right now: that one does it).
    @discardableResult
    public static func refresh(_ db: Connection, _ period: Period) throws -> Int {
        try db.transaction { tx in
            try tx.execute("SET LOCAL statement_timeout = '300s'")
            try tx.execute(rankingMemory)
            try ensurePeriod(tx, period)
            guard
                let row = try tx.query(
                    """
                    SELECT ranked_through, closed_at, statement_timestamp() AS cutoff FROM leaderboard_periods
                    WHERE period = \(period.kind.rawValue) AND period_start = \(period.startDate)::date FOR UPDATE
                    """
                ).first, try row.optionalString("closed_at") == nil
            else { return 0 }
            let since = try row.optionalString("ranked_through")
            let boards = try tx.query(
                """
                SELECT DISTINCT course_id FROM leaderboard_scores
                WHERE period = \(period.kind.rawValue) AND period_start = \(period.startDate)::date
                  AND updated_at > coalesce(\(since)::timestamptz - make_interval(secs => \(lookBackSeconds)), '-infinity')
                """
            ).rows.map { try $0.string("course_id") }
            for board in boards { try rank(tx, period, course: board) }
            try tx.execute(
                """
                UPDATE leaderboard_periods SET ranked_through = \(try row.string("cutoff"))::timestamptz
                WHERE period = \(period.kind.rawValue) AND period_start = \(period.startDate)::date
                """)
            return boards.count
        }
    }

    public enum CloseOutcome: Equatable, Sendable {
        case closed(boards: Int, winners: Int)
        case alreadyClosed
    }

    /// Closes `period` (every board of it) once: final ranks, frozen, winners notified.
    @discardableResult
    public static func close(_ db: Connection, _ period: Period, notifyWinners: Bool = true) throws -> CloseOutcome {
        try db.transaction { tx in
            try tx.execute("SET LOCAL statement_timeout = '300s'")
            try tx.execute(rankingMemory)
            try ensurePeriod(tx, period)
            let row = try tx.query(
                """
                SELECT closed_at FROM leaderboard_periods
                WHERE period = \(period.kind.rawValue) AND period_start = \(period.startDate)::date FOR UPDATE
                """
            ).one()
            guard try row.optionalString("closed_at") == nil else { return .alreadyClosed }
            let boards = try tx.query(
                """
                SELECT DISTINCT course_id FROM leaderboard_scores
                WHERE period = \(period.kind.rawValue) AND period_start = \(period.startDate)::date
                """
            ).rows.map { try $0.string("course_id") }
            for board in boards { try rank(tx, period, course: board) }
            try tx.execute(
                """
                UPDATE leaderboard_boards SET closed_at = now()
                WHERE period = \(period.kind.rawValue) AND period_start = \(period.startDate)::date AND closed_at IS NULL
                """)
            try tx.execute(
                """
                UPDATE leaderboard_periods SET closed_at = now(), boards = \(boards.count), ranked_through = now()
                WHERE period = \(period.kind.rawValue) AND period_start = \(period.startDate)::date
                """)
            let winners = notifyWinners ? try notify(tx, period) : 0
            return .closed(boards: boards.count, winners: winners)
        }
    }

    /// The closes due at a schedule slot: the period that ended at `slot` (Unix seconds).
    public static func periodEnding(at slot: Int, kind: Period.Kind) -> Period {
        Period.containing(kind, time: slot - 1)
    }

    static func ensurePeriod(_ db: Connection, _ period: Period) throws {
        try db.execute(
            """
            INSERT INTO leaderboard_periods (period, period_start) VALUES (\(period.kind.rawValue), \(period.startDate)::date)
            ON CONFLICT DO NOTHING
            """)
    }

    /// Replaces one board's ranks with a fresh ranking of its scores: the rows are written under
    /// a new ranking id in rank order (the order index grows at its right edge, and no new key
    /// meets a deleted one in the unique index), the board points at it, the old rows go.
    static func rank(_ db: Connection, _ period: Period, course: String) throws {
        let kind = period.kind.rawValue
        let start = period.startDate
        try db.execute(
            """
            INSERT INTO leaderboard_boards (period, period_start, course_id) VALUES (\(kind), \(start)::date, \(course)::uuid)
            ON CONFLICT DO NOTHING
            """)
        let ids = try db.query(
            """
            SELECT ranking AS old, nextval('leaderboard_ranking_seq') AS new FROM leaderboard_boards
            WHERE period = \(kind) AND period_start = \(start)::date AND course_id = \(course)::uuid
            """
        ).one()
        let ranking = try ids.int("new")
        // The few users who may not appear come from a small partial index (users_unranked_idx).
        let entries = try db.execute(
            """
            INSERT INTO leaderboard_ranks (ranking, user_id, points, rank)
            SELECT \(ranking)::bigint, s.user_id, s.points, rank() OVER (ORDER BY s.points DESC)
            FROM (
                SELECT s.user_id, s.points FROM leaderboard_scores s
                WHERE s.period = \(kind) AND s.period_start = \(start)::date AND s.course_id = \(course)::uuid AND s.points > 0
                  AND NOT EXISTS (
                      SELECT FROM users u WHERE u.id = s.user_id AND (u.status <> 'active' OR u.leaderboard_opt_out))
                ORDER BY s.points DESC, s.user_id
            ) s
            """)
        try db.execute(
            """
            UPDATE leaderboard_boards SET ranking = \(ranking)::bigint, entries = \(entries), ranked_at = now()
            WHERE period = \(kind) AND period_start = \(start)::date AND course_id = \(course)::uuid
            """)
        if let old = try ids.optionalInt("old") {
            try db.execute("DELETE FROM leaderboard_ranks WHERE ranking = \(old)::bigint")
        }
    }

    /// Email and push to the top places of the closed global board (ties share a place; at most
    /// `maxWinners` people, first by rank then user id); keyed per period and user.
    static func notify(_ db: Connection, _ period: Period) throws -> Int {
        let winners = try db.query(
            """
            SELECT r.user_id, r.rank, r.points, u.name, u.email
            FROM leaderboard_boards b
            JOIN leaderboard_ranks r ON r.ranking = b.ranking
            JOIN users u ON u.id = r.user_id
            WHERE b.period = \(period.kind.rawValue) AND b.period_start = \(period.startDate)::date AND b.course_id = \(globalBoard)::uuid
              AND r.rank <= \(winnerPlaces) AND u.status = 'active'
              -- Rank <= N is points >= those of the N-th in order: bounds the index scan.
              AND r.points >= (SELECT min(t.points) FROM (
                      SELECT x.points FROM leaderboard_ranks x WHERE x.ranking = b.ranking
                      ORDER BY x.points DESC, x.user_id LIMIT \(winnerPlaces)) t)
            ORDER BY r.points DESC, r.user_id LIMIT \(maxWinners)
            """
        ).rows
        let label = period.kind == .week ? "week \(period.label)" : period.label
        for winner in winners {
            let userId = try winner.string("user_id")
            let rank = try winner.int("rank")
            let points = try winner.int("points")
            let key = "leaderboard:\(period.kind.rawValue):\(period.startDate):\(userId)"
            try Notifications.email(
                db,
                Notifications.Email(
                    template: "leaderboard_winner", to: try winner.string("email"), name: try winner.string("name"),
                    data: ["rank": String(rank), "period_label": label, "points": String(points)], messageKey: key))
            try Notifications.push(
                db,
                Notifications.Push(
                    userId: userId, title: "You placed #\(rank) for \(label)", body: "\(points) XP. Well done!",
                    data: ["period": period.kind.rawValue, "at": period.label], messageKey: key))
        }
        return winners.count
    }
}
