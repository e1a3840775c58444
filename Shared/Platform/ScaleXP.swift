import Achievements
import Core
import Database

/// XP at scale for the leaderboard benchmark (`lmsctl seed-scale-xp EVENTS`, after
/// `seed-scale`): EVENTS lesson awards spread over the scale users (hashed, so some users have
/// many and many have few), half in last week and half in the current week so far, and the
/// weekly and monthly global scores they add up to, as the XP worker would have kept them.
public enum ScaleXP {
    public static func load(_ db: Connection, events: Int) throws {
        try db.runScript("SET statement_timeout = 0")
        try db.runScript(
            """
            DROP TABLE IF EXISTS scale_ids;
            CREATE TEMP TABLE scale_ids AS
                SELECT row_number() OVER (ORDER BY id) - 1 AS k, id FROM users WHERE email LIKE 'scale-%' AND role = 'student';
            CREATE UNIQUE INDEX ON scale_ids (k);
            ANALYZE scale_ids;
            """)
        let users = try db.query("SELECT count(*)::int AS n FROM scale_ids").one().int("n")
        guard users > 0 else { return }
        let week = Period.containing(.week, time: unixTime())
        try db.execute(
            """
            INSERT INTO xp (user_id, type, source, points, "timestamp")
            SELECT s.id, 'lesson_complete', 'lesson:scale-' || g, 10,
                   CASE WHEN g % 2 = 0
                        THEN \(week.startsAt)::timestamptz - make_interval(secs => (g / 2) % 604800)
                        ELSE \(week.startsAt)::timestamptz
                             + make_interval(secs => (g / 2) % greatest(1, extract(epoch FROM now() - \(week.startsAt)::timestamptz)::int))
                   END
            FROM generate_series(1, \(events)) AS g
            JOIN scale_ids s ON s.k = (abs(hashint4(g)) % \(users)) * (abs(hashint4(g + 1)) % 1000) / 1000
            ON CONFLICT DO NOTHING
            """)
        try db.execute(
            """
            INSERT INTO leaderboard_scores (period, period_start, course_id, user_id, points)
            SELECT p.period, date_trunc(p.period, x."timestamp" AT TIME ZONE 'UTC')::date, \(globalBoard)::uuid, x.user_id, sum(x.points)
            FROM xp x, (VALUES ('week'), ('month')) AS p(period)
            WHERE x.source LIKE 'lesson:scale-%'
            GROUP BY 1, 2, 3, 4
            ON CONFLICT (period, period_start, course_id, user_id) DO UPDATE SET points = EXCLUDED.points
            """)
        try db.runScript("ANALYZE xp; ANALYZE leaderboard_scores")
    }
}
