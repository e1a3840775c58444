import Achievements
import Auth
import Core
import Database
import Leaderboards
import Queue
import Runtime
import TestSupport
import Testing

/// Leaderboards: scores from awards, ranks by the worker's refresh and close, reads by the
/// endpoint. Each test uses its own course board, or a week of a past year nobody else uses.
@Suite struct LeaderboardTests {
    /// A week of the past that only this test touches: each test its own years (a test may also
    /// touch the week after), the week within them at random (a run of the suite is not alone).
    func privateWeek(years: Range<Int>) -> Period {
        let year = Int.random(in: years)
        let week = Int.random(in: 1...50)
        return Period.parse(.week, "\(year)-W\(week < 10 ? "0" : "")\(week)")!
    }

    func award(_ db: Connection, _ user: TestUser, points: Int, course: String?, at time: String) throws {
        // Points as several lesson awards of 10 (the default), each its own source.
        for index in 0..<(points / 10) {
            let source = "lesson:\(Factory.uniqueEmail("l"))-\(index)"
            try XPAwards.award(
                db, XPAwards.Award(userId: user.id, type: "lesson_complete", source: source, courseId: course, occurredAt: time),
                points: XPAwards.Points())
        }
    }

    func course(_ db: Connection) throws -> String {
        let instructor = try Factory.user(db, role: .instructor)
        return try db.query(
            """
            INSERT INTO courses (instructor_id, title, status, published_at) VALUES (\(instructor.id), 'Board course', 'published', now())
            RETURNING id
            """
        ).one().string("id")
    }

    func board(_ query: String, token: String? = nil) throws -> TestResponse {
        try call(GetLeaderboard.endpoint, "GET", "/api/v1/leaderboards?" + query, token: token)
    }

    func ranks(_ response: TestResponse) -> [(String, Int, Int)] {
        guard case .array(let entries)? = response.data["entries"] else { return [] }
        return entries.map { ($0["user"]?["id"]?.string ?? "", Int($0["rank"]?.number ?? 0), Int($0["points"]?.number ?? 0)) }
    }

    @Test func tiesShareARankAndTheNextRankSkips() throws {
        awayFromPeriodBoundary()
        let db = try TestEnvironment.connect()
        let courseId = try course(db)
        let now = isoTime(unixTime())
        let users = try (0..<5).map { _ in try Factory.user(db) }
        for (user, points) in zip(users, [30, 20, 20, 10, 0]) { try award(db, user, points: points, course: courseId, at: now) }
        try Leaderboards.refresh(db, now: unixTime())
        let response = try board("period=week&course=\(courseId)&limit=10", token: users[3].accessToken)
        #expect(response.status == 200)
        let got = ranks(response)
        #expect(got.map(\.1) == [1, 2, 2, 4])
        #expect(got.map(\.2) == [30, 20, 20, 10])
        #expect(got.first?.0 == users[0].id)
        #expect(Set(got[1...2].map(\.0)) == Set([users[1].id, users[2].id]))
        #expect(got[1].0 < got[2].0)  // ties listed by user id
        #expect(response.data["me"]?["rank"] == .number(4))
        #expect(response.data["me"]?["points"] == .number(10))
        // Pages by cursor walk the same order.
        let first = try board("period=week&course=\(courseId)&limit=2")
        #expect(ranks(first).map(\.1) == [1, 2])
        let cursor = try #require(first.data["next_cursor"]?.string)
        let second = try board("period=week&course=\(courseId)&limit=2&cursor=\(cursor)")
        #expect(ranks(second).map(\.1) == [2, 4])
        #expect(second.data["next_cursor"] == .null)
        // The caller outside the top N still gets their own rank; one with no points, none.
        let top1 = try board("period=week&course=\(courseId)&limit=1", token: users[3].accessToken)
        #expect(ranks(top1).count == 1)
        #expect(top1.data["me"]?["rank"] == .number(4))
        #expect(try board("period=week&course=\(courseId)", token: users[4].accessToken).data["me"]?["rank"] == .null)
        // Live points since the last refresh place the caller among the ranked.
        // (10 more: tied with the two at 20, so second with them.)
        try award(db, users[3], points: 10, course: courseId, at: now)
        let moved = try board("period=week&course=\(courseId)", token: users[3].accessToken)
        #expect(moved.data["me"]?["rank"] == .number(2))
        #expect(moved.data["me"]?["points"] == .number(20))
    }

    @Test func optedOutSuspendedAndDeletedUsersNeverAppear() throws {
        awayFromPeriodBoundary()
        let db = try TestEnvironment.connect()
        let courseId = try course(db)
        let now = isoTime(unixTime())
        let shy = try Factory.user(db)
        let banned = try Factory.user(db)
        let visible = try Factory.user(db)
        for user in [shy, banned, visible] { try award(db, user, points: 20, course: courseId, at: now) }
        try db.execute("UPDATE users SET leaderboard_opt_out = true WHERE id = \(shy.id)")
        try Leaderboards.refresh(db, now: unixTime())
        // Suspended after the ranking: hidden on read already.
        try db.execute("UPDATE users SET status = 'suspended' WHERE id = \(banned.id)")
        let response = try board("period=month&course=\(courseId)", token: shy.accessToken)
        #expect(ranks(response).map(\.0) == [visible.id])
        #expect(response.data["me"]?["opted_out"] == .bool(true))
        #expect(response.data["me"]?["rank"] == .null)
    }

    /// With `LEADERBOARD_CACHE_SECONDS`, a process keeps a page while its ranking is the board's
    /// and for at most that long; the caller's own place is read afresh every time.
    @Test func aPageIsKeptWhileItsRankingLasts() throws {
        let db = try TestEnvironment.connect()
        let courseId = try course(db)
        // A week of the past: another test's refresh of the current periods, which re-ranks every
        // changed board of them, cannot replace this board's ranking midway.
        let week = privateWeek(years: 1980..<1990)
        let now = week.startsAt
        let (top, caller) = (try Factory.user(db), try Factory.user(db))
        try award(db, top, points: 30, course: courseId, at: now)
        try award(db, caller, points: 10, course: courseId, at: now)
        try Leaderboards.refresh(db, week)
        func read(_ seconds: String) throws -> TestResponse {
            try call(
                GetLeaderboard.endpoint, "GET", "/api/v1/leaderboards?period=week&at=\(week.label)&course=\(courseId)&limit=5",
                token: caller.accessToken, config: TestEnvironment.config(["LEADERBOARD_CACHE_SECONDS": seconds]))
        }
        func names(_ response: TestResponse) -> [String] {
            (response.data["entries"]?.array ?? []).compactMap { $0["user"]?["name"]?.string }
        }
        let first = try read("60")
        #expect(first.status == 200)
        let name = try #require(names(first).first)
        try db.execute("UPDATE users SET name = 'Renamed Leader' WHERE id = \(top.id)")
        try award(db, caller, points: 10, course: courseId, at: now)
        // Kept: the same page, but the caller's live points are new.
        let kept = try read("60")
        #expect(names(kept).first == name)
        #expect(kept.data["me"]?["points"] == .number(20))
        // Without the cache (or once it is older than allowed), the name is new at once.
        #expect(names(try read("0")).first == "Renamed Leader")
        // A new ranking replaces the kept page.
        try db.execute("UPDATE users SET name = 'Renamed Again' WHERE id = \(top.id)")
        #expect(names(try read("60")).first == name)
        try Leaderboards.refresh(db, week)
        let refreshed = try read("60")
        #expect(names(refreshed).first == "Renamed Again")
        #expect(ranks(refreshed).map(\.2) == [30, 20])
    }

    @Test func aPeriodClosesOnceAndItsSnapshotIsFrozen() throws {
        let db = try TestEnvironment.connect()
        let week = privateWeek(years: 1990..<2000)
        let users = try (0..<3).map { _ in try Factory.user(db) }
        for (user, points) in zip(users, [10, 30, 20]) { try award(db, user, points: points, course: nil, at: week.startsAt) }
        // Two workers tick the same close: one closes, the other finds it closed.
        #expect(try Leaderboards.close(db, week) == .closed(boards: 1, winners: 3))
        #expect(try Leaderboards.close(db, week) == .alreadyClosed)
        #expect(try Leaderboards.close(TestEnvironment.connect(), week) == .alreadyClosed)
        // A late award for the closed week does not change its snapshot.
        try award(db, users[0], points: 50, course: nil, at: week.startsAt)
        let response = try board("period=week&at=\(week.label)", token: users[0].accessToken)
        #expect(response.data["closed"] == .bool(true))
        #expect(ranks(response).map(\.0) == [users[1].id, users[2].id, users[0].id])
        #expect(response.data["me"]?["rank"] == .number(3))
        #expect(response.data["me"]?["points"] == .number(10))
        // Winners notified once (email and push per place).
        let keys = users.map { "email:leaderboard:week:\(week.startDate):\($0.id)" }
        #expect(try db.query("SELECT count(*)::int AS n FROM jobs WHERE unique_key = ANY(\(TextArray(keys))::text[])").one().int("n") == 3)
    }

    @Test func aClosedPeriodReadsTheRanksItHadWhileOpen() throws {
        let db = try TestEnvironment.connect()
        let week = privateWeek(years: 2000..<2010)
        let users = try (0..<6).map { _ in try Factory.user(db) }
        for (user, points) in zip(users, [40, 20, 20, 20, 10, 50]) { try award(db, user, points: points, course: nil, at: week.startsAt) }
        // Ranked while open (the refresh), then closed: the close ranks it again under a new ranking.
        #expect(try Leaderboards.refresh(db, week) == 1)
        let open = try board("period=week&at=\(week.label)&limit=100", token: users[4].accessToken)
        #expect(open.data["closed"] == .bool(false))
        #expect(ranks(open).map(\.1) == [1, 2, 3, 3, 3, 6])
        #expect(open.data["me"]?["rank"] == .number(6))
        #expect(try Leaderboards.close(db, week, notifyWinners: false) == .closed(boards: 1, winners: 0))
        let closed = try board("period=week&at=\(week.label)&limit=100", token: users[4].accessToken)
        #expect(closed.data["closed"] == .bool(true))
        #expect(ranks(closed).map(\.0) == ranks(open).map(\.0))
        #expect(ranks(closed).map(\.1) == ranks(open).map(\.1))
        #expect(ranks(closed).map(\.2) == [50, 40, 20, 20, 20, 10])
        #expect(closed.data["me"]?["rank"] == .number(6))
        #expect(closed.data["participants"] == .number(6))
        // Only the new ranking's rows remain.
        #expect(
            try db.query(
                """
                SELECT count(*)::int AS n FROM leaderboard_ranks r JOIN leaderboard_boards b ON b.ranking = r.ranking
                WHERE b.period = 'week' AND b.period_start = \(week.startDate)::date AND b.course_id = \(globalBoard)::uuid
                """
            ).one().int("n") == 6)
    }

    @Test func pagesWalkTheWholeOrderThroughTies() throws {
        awayFromPeriodBoundary()
        let db = try TestEnvironment.connect()
        let courseId = try course(db)
        let now = isoTime(unixTime())
        let users = try (0..<7).map { _ in try Factory.user(db) }
        for (user, points) in zip(users, [30, 20, 20, 20, 20, 10, 10]) { try award(db, user, points: points, course: courseId, at: now) }
        try Leaderboards.refresh(db, now: unixTime())
        let whole = ranks(try board("period=week&course=\(courseId)&limit=100"))
        #expect(whole.map(\.1) == [1, 2, 2, 2, 2, 6, 6])
        for limit in [1, 2, 3] {
            var walked: [(String, Int, Int)] = []
            var cursor: String?
            repeat {
                let page = try board("period=week&course=\(courseId)&limit=\(limit)" + (cursor.map { "&cursor=\($0)" } ?? ""))
                #expect(page.status == 200)
                walked += ranks(page)
                cursor = page.data["next_cursor"]?.string
            } while cursor != nil && walked.count <= whole.count
            #expect(walked.map(\.0) == whole.map(\.0), "limit \(limit)")
            #expect(walked.map(\.1) == whole.map(\.1), "limit \(limit)")
        }
        // A cursor of the earlier rank_user form is refused, not read as something else.
        #expect(try board("period=week&course=\(courseId)&cursor=2_\(users[1].id)").status == 422)
    }

    @Test func sundayNightAndMondayMorningCountInDifferentWeeks() throws {
        let db = try TestEnvironment.connect()
        let week = privateWeek(years: 2010..<2020)
        let user = try Factory.user(db)
        let lastSecond = week.endDay * 86_400 - 1
        try award(db, user, points: 10, course: nil, at: isoTime(lastSecond))
        try award(db, user, points: 20, course: nil, at: isoTime(lastSecond + 1))
        let rows = try db.query(
            """
            SELECT period_start::text AS start, points FROM leaderboard_scores
            WHERE user_id = \(user.id) AND period = 'week' ORDER BY period_start
            """
        ).rows
        #expect(try rows.map { try $0.string("start") } == [week.startDate, week.next.startDate])
        #expect(try rows.map { try $0.int("points") } == [10, 20])
        // The schedule's slot at Monday 00:00 closes the week before it.
        #expect(Leaderboards.periodEnding(at: week.endDay * 86_400, kind: .week) == week)
        let december = Period.parse(.month, "2026-12")!
        #expect(Leaderboards.periodEnding(at: december.endDay * 86_400, kind: .month) == december)
    }

    @Test func refusesBadParametersAndHiddenCourses() throws {
        awayFromPeriodBoundary()
        let db = try TestEnvironment.connect()
        for query in [
            "period=day", "period=week&at=2026-11", "period=month&at=2026-W48", "course=abc", "limit=0", "limit=101", "cursor=zzz",
        ] {
            #expect(try board(query).status == 422, "\(query)")
        }
        #expect(try board("course=00000000-0000-4000-8000-000000000001").status == 404)
        let instructor = try Factory.user(db, role: .instructor)
        let draft = try db.query(
            "INSERT INTO courses (instructor_id, title) VALUES (\(instructor.id), 'Draft course') RETURNING id"
        ).one().string("id")
        #expect(try board("course=\(draft)").status == 404)
        #expect(try board("course=\(draft)", token: instructor.accessToken).status == 200)
        let anonymous = try board("period=month")
        #expect(anonymous.status == 200)
        #expect(anonymous.data["me"] == .null)
    }

    /// The board is read in the same round trip as the caller's session check, and dropped when
    /// the check refuses the caller: a suspended account is 403, a revoked or bad token 401,
    /// with nothing of the board in the answer.
    @Test func refusesSuspendedAndRevokedCallersWithNothingOfTheBoard() throws {
        awayFromPeriodBoundary()
        let db = try TestEnvironment.connect()
        let courseId = try course(db)
        let now = isoTime(unixTime())
        let suspended = try Factory.user(db)
        let revoked = try Factory.user(db)
        for user in [suspended, revoked] { try award(db, user, points: 30, course: courseId, at: now) }
        try Leaderboards.refresh(db, now: unixTime())
        #expect(try board("period=month&course=\(courseId)", token: revoked.accessToken).data["me"]?["points"] == .number(30))
        try db.execute("UPDATE users SET status = 'suspended' WHERE id = \(suspended.id)")
        try db.execute("UPDATE users SET token_version = token_version + 1 WHERE id = \(revoked.id)")
        for (token, status, code) in [
            (suspended.accessToken, 403, "account_suspended"), (revoked.accessToken, 401, "invalid_token"),
            ("not-a-token", 401, "invalid_token"),
        ] {
            let response = try board("period=month&course=\(courseId)", token: token)
            #expect(response.status == status)
            #expect(response.json["code"]?.string == code)
            #expect(response.json["data"] == nil)
            #expect(!response.text.contains(courseId) && !response.text.contains("entries"))
        }
    }
}
