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
        var entries: RawJSON
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
        // `p<points>_<user id>`: the last entry shown (rank order is points descending, then user id).
        var after: (points: Int, user: String)?
        if let cursor = request.queryValue("cursor") {
            let parts = cursor.split(separator: "_", maxSplits: 1).map(String.init)
            if parts.count == 2, parts[0].hasPrefix("p"), let points = Int(parts[0].dropFirst()), points >= 1, isUUID(parts[1]) {
                after = (points, parts[1])
            } else {
                errors.append(FieldError(field: "cursor", message: "is not a cursor from this list"))
            }
        }
        guard errors.isEmpty, let period else { throw APIError.invalid(errors) }

        // A page kept by this process is used while its ranking is still the board's: the
        // statement then reads only the board's state and the caller's place.
        let seconds = Double(context.config.int("LEADERBOARD_CACHE_SECONDS", default: 5))
        let key = [period.kind.rawValue, period.label, course ?? "", String(limit), request.queryValue("cursor") ?? ""]
            .joined(separator: " ")
        let kept = seconds > 0 ? pages.value(key, youngerThan: seconds) : nil
        func statement(withPage: Bool, me: String?) -> SQL {
            page(period: period, board: course ?? globalBoard, course: course, limit: limit, after: after, me: me, withPage: withPage)
        }
        // The board is read in the session check's round trip (it is public; the caller's own
        // place in it is dropped with the rest if the check refuses them).
        let (caller, read) = try context.optionalCaller { me in statement(withPage: kept == nil, me: me) }
        let optedOut = try caller?.row.bool("leaderboard_opt_out") ?? false
        var row = try read.one()
        let shown: KeptPage
        if let kept, try row.optionalString("ranking") == kept.ranking {
            shown = kept
        } else {
            if kept != nil { row = try context.db().query(statement(withPage: true, me: caller?.id)).one() }
            shown = KeptPage(
                ranking: try row.optionalString("ranking"), entries: RawJSON(compacting: Array(try row.string("entries").utf8)),
                nextCursor: try row.optionalString("next_cursor"))
            if seconds > 0, shown.ranking != nil { pages.keep(key, shown) }
        }
        if course != nil {
            guard try row.optionalString("course_status") != nil else { throw APIError.notFound("Course") }
            let visible =
                try row.string("course_status") == "published" || caller?.role == .admin
                || (try caller?.id == row.string("course_instructor"))
            guard visible else { throw APIError.notFound("Course") }
        }
        let closed = try row.bool("closed")
        let participants = try row.int("participants")
        var me: Me?
        if caller != nil {
            if optedOut {
                me = Me(rank: nil, points: 0, optedOut: true)
            } else if closed {
                me = Me(rank: try row.optionalInt("my_rank"), points: try row.optionalInt("my_points") ?? 0, optedOut: false)
            } else {
                // Live points placed among the last ranking; above none of it: after everyone.
                let points = try row.optionalInt("my_points") ?? 0
                me = Me(rank: points > 0 ? try row.optionalInt("my_rank") ?? participants + 1 : nil, points: points, optedOut: false)
            }
        }
        return .ok(
            Board(
                period: period.kind.rawValue, at: period.label, startsAt: period.startsAt, endsAt: period.endsAt, courseId: course,
                closed: closed, rankedAt: try row.optionalString("ranked_at"), participants: participants,
                entries: shown.entries, nextCursor: shown.nextCursor, me: me))
    }

    /// A page of one ranking as this process read it: a ranking's ranks never change once
    /// written (a refresh writes a new ranking), so a page is kept while its ranking is the
    /// board's, for at most `LEADERBOARD_CACHE_SECONDS` (5; 0: off), the time within which a
    /// new name or avatar, an opt-out or a suspension shows. The caller's own place is always
    /// read afresh. Reading the page (its users one by one, as JSON) was most of PostgreSQL's
    /// time per request.
    struct KeptPage: Sendable {
        var ranking: String?
        var entries: RawJSON
        var nextCursor: String?
    }

    static let pages = ProcessCache<KeptPage>(capacity: 2_000, maxBytes: 16 << 20) { $0.entries.bytes.count + 128 }

    /// The whole board in one statement: the board's state, the page of entries as JSON (keys
    /// sorted, as `encodeJSON` writes them), the next cursor, the caller's own rank and points
    /// (`me`: nil for anonymous callers; an opted-out caller's is read and not shown) and, for
    /// a course board, the course's status and instructor (whether the caller may see it,
    /// decided by the handler).
    ///
    /// Each shape (cursor or not, caller or not, course or not) is its own statement text, and
    /// every part is an index look-up whatever the values, so the generic plan a FastCGI process
    /// caches is right and is used: the entries are read with a constant `LIMIT 101` (the largest
    /// page and one more; a LIMIT parameter is estimated at a tenth of the board, which made
    /// PostgreSQL plan each execution again, or choose a parallel scan), lazily, so only the
    /// rows the page takes are read; their users one at a time by id (a subquery the planner
    /// cannot flatten into a join that reads every user).
    ///
    /// The caller's place: from the frozen ranks once closed; while open, their live points
    /// placed among the last ranking (the rank of the first entry with no more points than
    /// theirs): two index look-ups however large the board.
    static func page(
        period: Period, board: String, course: String?, limit: Int, after: (points: Int, user: String)?, me: String?,
        withPage: Bool = true
    ) -> SQL {
        let kind = period.kind.rawValue
        let start = period.startDate
        let ranking: SQL = "r.ranking = (SELECT ranking FROM board)"
        // The board's entries that may appear, in rank order: points descending, then user id.
        let visible: SQL = """
            SELECT r.rank, r.points, r.user_id, u.name, u.avatar_url
            FROM leaderboard_ranks r
            CROSS JOIN LATERAL (
                SELECT u.name, u.avatar_url FROM users u
                WHERE u.id = r.user_id AND u.status = 'active' AND NOT u.leaderboard_opt_out OFFSET 0) u
            WHERE \(fragment: ranking)
            """
        // After the cursor's entry: the rest of its tie by user id, then fewer points; each part
        // one range of the order index, read in order (UNION ALL reads the first part first).
        let ordered: SQL =
            after.map {
                """
                (\(fragment: visible) AND r.points = \($0.points)::bigint AND r.user_id > \($0.user)::uuid ORDER BY r.user_id LIMIT 101)
                UNION ALL
                (\(fragment: visible) AND r.points < \($0.points)::bigint ORDER BY r.points DESC, r.user_id LIMIT 101)
                LIMIT 101
                """
            } ?? "\(fragment: visible) ORDER BY r.points DESC, r.user_id LIMIT 101"
        let mine: SQL =
            me.map { user in
                """
                , mine AS (
                    SELECT r.rank, r.points FROM leaderboard_ranks r
                    WHERE (SELECT closed_at FROM board) IS NOT NULL AND \(fragment: ranking) AND r.user_id = \(user)::uuid
                    UNION ALL
                    SELECT (SELECT r.rank FROM leaderboard_ranks r WHERE \(fragment: ranking) AND r.points <= s.points
                            ORDER BY r.points DESC LIMIT 1), s.points
                    FROM leaderboard_scores s
                    WHERE (SELECT closed_at FROM board) IS NULL AND s.period = \(kind) AND s.period_start = \(start)::date
                      AND s.course_id = \(board)::uuid AND s.user_id = \(user)::uuid AND s.points > 0
                )
                """
            } ?? ""
        let mineColumns: SQL = me == nil ? "" : ", (SELECT rank FROM mine) AS my_rank, (SELECT points FROM mine) AS my_points"
        let courseColumns: SQL =
            course.map {
                """
                , (SELECT status FROM courses WHERE id = \($0)::uuid) AS course_status,
                  (SELECT instructor_id FROM courses WHERE id = \($0)::uuid) AS course_instructor
                """
            } ?? ""
        // Without the page (`withPage: false`): the board's state, its ranking and the caller's place.
        let pageParts: SQL =
            withPage
            ? """
            ,
            page AS (
                \(fragment: ordered)
            ),
            shown AS (SELECT * FROM page LIMIT \(limit))
            """ : ""
        let pageColumns: SQL =
            withPage
            ? """
            ,
                   coalesce((SELECT json_agg(json_build_object(
                                 'points', s.points, 'rank', s.rank,
                                 'user', json_build_object('avatar_url', s.avatar_url, 'id', s.user_id, 'name', s.name))
                             ORDER BY s.points DESC, s.user_id) FROM shown s), '[]') AS entries,
                   CASE WHEN EXISTS (SELECT FROM page OFFSET \(limit))
                        THEN (SELECT 'p' || s.points || '_' || s.user_id FROM shown s ORDER BY s.points, s.user_id DESC LIMIT 1) END
                       AS next_cursor
            """ : ""
        return """
            WITH board AS (
                SELECT ranking, entries, ranked_at, closed_at FROM leaderboard_boards
                WHERE period = \(kind) AND period_start = \(start)::date AND course_id = \(board)::uuid
            )\(fragment: pageParts)\(fragment: mine)
            SELECT coalesce((SELECT entries FROM board), 0) AS participants,
                   (SELECT \(fragment: .timestamp("ranked_at")) FROM board) AS ranked_at,
                   coalesce((SELECT closed_at IS NOT NULL FROM board), false) AS closed,
                   (SELECT ranking::text FROM board) AS ranking\(fragment: pageColumns)\(fragment: mineColumns)\(fragment: courseColumns)
            """
    }
}
