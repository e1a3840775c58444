import Achievements
import Auth
import Core
import Database
import Identity
import Leaderboards
import Queue
import Runtime
import TestSupport
import Testing

/// A learner and a course for the XP tests.
struct XPFixture {
    let db: Connection
    let learner: TestUser
    let courseId: String

    init() throws {
        db = try TestEnvironment.connect()
        learner = try Factory.user(db)
        let instructor = try Factory.user(db, role: .instructor)
        courseId = try db.query(
            """
            INSERT INTO courses (instructor_id, title, status, published_at) VALUES (\(instructor.id), 'XP course', 'published', now())
            RETURNING id
            """
        ).one().string("id")
    }

    /// An `xp.award` job as issue 10 enqueues it (unique key of the contract), on a queue of its own.
    func enqueue(_ type: String, _ source: String, at time: String, score: Int? = nil, user: String? = nil) throws -> Queue.Job? {
        var payload: [String: JSONValue] = [
            "user_id": .string(user ?? learner.id), "type": .string(type), "source": .string(source), "course_id": .string(courseId),
            "occurred_at": .string(time),
        ]
        if let score { payload["score_percent"] = .number(Double(score)) }
        let queue = "xp-\(learner.id.prefix(8))"
        try Queue.enqueue(
            db, kind: XPAwards.kind, payload: JSONValue.object(payload),
            options: .init(queue: queue, uniqueKey: "xp:\(user ?? learner.id):\(type):\(source)"))
        return try Queue.claim(db, queue: queue, limit: 1, worker: "test").first
    }

    /// Enqueues, claims and awards, completing the job as the worker does.
    @discardableResult
    func award(_ type: String, _ source: String, at time: String = "2026-11-30T10:00:00Z", score: Int? = nil, user: String? = nil)
        throws -> XPAwards.Outcome
    {
        guard let job = try enqueue(type, source, at: time, score: score, user: user) else { return .duplicate }
        let outcome = try XPAwards.award(db, try XPAwards.parse(job.payload), points: XPAwards.Points())
        try Queue.complete(db, [job.lease], worker: "test")
        return outcome
    }

    func badges() throws -> [String] {
        try db.query("SELECT badge FROM user_badges WHERE user_id = \(learner.id) ORDER BY badge").rows.map { try $0.string("badge") }
    }
}

@Suite struct XPAwardTests {
    @Test func anAwardHappensOncePerSourceWhateverTheEventsDo() throws {
        let fixture = try XPFixture()
        let lesson = "lesson:\(fixture.courseId)"
        #expect(try fixture.award("lesson_complete", lesson) == .awarded(points: 10, badges: ["first_lesson"]))
        // Completed again (undone and redone): a new job once the first is gone, no new XP.
        #expect(try fixture.award("lesson_complete", lesson) == .duplicate)
        // The same job replayed after a crash.
        let job = Queue.Job(
            id: 1, queue: "xp", kind: XPAwards.kind,
            payload: json([
                "user_id": fixture.learner.id, "type": "lesson_complete", "source": lesson, "occurred_at": "2026-11-30T10:00:00Z",
            ]),
            attempt: 2, maxAttempts: 10)
        #expect(try XPAwards.award(fixture.db, try XPAwards.parse(job.payload), points: XPAwards.Points()) == .duplicate)
        #expect(try fixture.db.query("SELECT sum(points)::int AS n FROM xp WHERE user_id = \(fixture.learner.id)").one().int("n") == 10)
        let week = try fixture.db.query(
            """
            SELECT points FROM leaderboard_scores WHERE user_id = \(fixture.learner.id) AND period = 'week' AND course_id = \(globalBoard)::uuid
            """
        ).one().int("points")
        #expect(week == 10)
        // One notification per badge, through the email and push jobs.
        let notices = try fixture.db.query(
            "SELECT count(*)::int AS n FROM jobs WHERE unique_key IN (\("email:badge:\(fixture.learner.id):first_lesson"), \("push:badge:\(fixture.learner.id):first_lesson"))"
        ).one().int("n")
        #expect(notices == 2)
    }

    @Test func pointsComeFromConfigurationAndCourseCompletionIsTheBonus() throws {
        let points = XPAwards.Points(config: Config(["XP_POINTS_LESSON_COMPLETE": "7", "XP_POINTS_COURSE_COMPLETE": "250"]))
        #expect(points["lesson_complete"] == 7)
        #expect(points["course_complete"] == 250)
        #expect(points["quiz_pass"] == 20)
        let fixture = try XPFixture()
        #expect(try fixture.award("course_complete", "course:\(fixture.courseId)") == .awarded(points: 100, badges: ["first_course"]))
    }

    @Test func badgesFollowTheirRulesAndComeOnce() throws {
        let fixture = try XPFixture()
        for index in 0..<10 { try fixture.award("lesson_complete", "lesson:\(index)", at: "2026-11-30T10:00:0\(index)Z") }
        #expect(try fixture.badges() == ["first_lesson", "lessons_10"])
        #expect(try fixture.award("quiz_pass", "quiz:a", score: 90) == .awarded(points: 20, badges: []))
        #expect(try fixture.award("quiz_pass", "quiz:b", score: 100) == .awarded(points: 20, badges: ["perfect_quiz"]))
        #expect(try fixture.award("quiz_pass", "quiz:c", score: 100) == .awarded(points: 20, badges: []))
        for index in 0..<5 { try fixture.award("course_complete", "course:\(index)") }
        #expect(try fixture.badges().contains("courses_5"))
        #expect(try fixture.award("forum_post", "forum:1") == .awarded(points: 5, badges: ["first_forum_answer"]))
    }

    @Test func aSevenDayStreakCountsDaysInTheLearnersTimeZone() throws {
        let fixture = try XPFixture()
        // 23:30 UTC is already the next day in Asia/Kolkata (UTC+5:30): six UTC days, seven local ones.
        try fixture.db.execute("UPDATE users SET time_zone = 'Asia/Kolkata' WHERE id = \(fixture.learner.id)")
        try fixture.award("lesson_complete", "lesson:s0", at: "2026-11-01T10:00:00Z")
        try fixture.award("lesson_complete", "lesson:s0b", at: "2026-11-01T23:30:00Z")
        for day in 2...6 { try fixture.award("lesson_complete", "lesson:s\(day)", at: "2026-11-0\(day)T23:30:00Z") }
        #expect(try fixture.badges().contains("streak_7"))

        let utc = try XPFixture()
        try utc.award("lesson_complete", "lesson:s0", at: "2026-11-01T10:00:00Z")
        try utc.award("lesson_complete", "lesson:s0b", at: "2026-11-01T23:30:00Z")
        for day in 2...6 { try utc.award("lesson_complete", "lesson:s\(day)", at: "2026-11-0\(day)T23:30:00Z") }
        #expect(try utc.badges().contains("streak_7") == false)
        try utc.award("lesson_complete", "lesson:s7", at: "2026-11-07T08:00:00Z")
        #expect(try utc.badges().contains("streak_7"))
    }

    @Test func invalidPayloadsAreRefusedAndGoneUsersSkipped() throws {
        let user = "00000000-0000-4000-8000-000000000001"
        for payload in [
            json([:]), json(["user_id": "x", "type": "lesson_complete", "source": "lesson:1", "occurred_at": "2026-11-30T10:00:00Z"]),
            json(["user_id": user, "type": "cheating", "source": "lesson:1", "occurred_at": "2026-11-30T10:00:00Z"]),
            json(["user_id": user, "type": "quiz_pass", "source": "q", "occurred_at": "yesterday"]),
            json(["user_id": user, "type": "quiz_pass", "source": "q", "occurred_at": "2026-11-30T10:00:00Z"], score: 101),
        ] {
            #expect(throws: XPAwards.InvalidAward.self) { try XPAwards.parse(payload) }
        }
        let db = try TestEnvironment.connect()
        let ghost = XPAwards.Award(
            userId: "00000000-0000-4000-8000-000000000001", type: "lesson_complete", source: "lesson:1", courseId: nil,
            occurredAt: "2026-11-30T10:00:00Z")
        #expect(try XPAwards.award(db, ghost, points: XPAwards.Points()) == .gone)
    }

    @Test func xpBadgesAndTheProfileShowWhatWasEarned() throws {
        awayFromPeriodBoundary()
        let fixture = try XPFixture()
        let now = isoTime(unixTime())
        try fixture.award("lesson_complete", "lesson:p1", at: now)
        try fixture.award("quiz_pass", "quiz:p1", at: now, score: 100)
        let xp = try call(GetMyXP.endpoint, "GET", "/api/v1/users/me/xp", token: fixture.learner.accessToken)
        #expect(xp.status == 200)
        #expect(xp.data["total"] == .number(30))
        #expect(xp.data["this_week"] == .number(30))
        #expect(xp.data["this_month"] == .number(30))
        guard case .array(let recent)? = xp.data["recent"] else {
            Issue.record("no recent")
            return
        }
        #expect(recent.count == 2)
        #expect(try call(GetMyXP.endpoint, "GET", "/api/v1/users/me/xp").status == 401)

        let badges = try call(ListMyBadges.endpoint, "GET", "/api/v1/users/me/badges", token: fixture.learner.accessToken)
        guard case .array(let items)? = badges.data["items"] else {
            Issue.record("no items")
            return
        }
        #expect(items.count == Badges.all.count)
        let earned = items.filter { $0["earned"] == .bool(true) }.compactMap { $0["id"]?.string }
        #expect(earned.sorted() == ["first_lesson", "perfect_quiz"])
        #expect(try call(ListMyBadges.endpoint, "GET", "/api/v1/users/me/badges").status == 401)

        let profile = try call(GetProfile.endpoint, "GET", "/api/v1/users/\(fixture.learner.id)")
        guard case .array(let shown)? = profile.data["badges"] else {
            Issue.record("no badges on the profile")
            return
        }
        #expect(shown.compactMap { $0["id"]?.string }.sorted() == ["first_lesson", "perfect_quiz"])
    }

    @Test func theLearnerSetsOptOutAndTimeZone() throws {
        let fixture = try XPFixture()
        let updated = try call(
            UpdateMe.endpoint, "PATCH", "/api/v1/users/me", json: #"{"leaderboard_opt_out": true, "time_zone": "Europe/Paris"}"#,
            token: fixture.learner.accessToken)
        #expect(updated.status == 200)
        #expect(updated.data["leaderboard_opt_out"] == .bool(true))
        #expect(updated.data["time_zone"]?.string == "Europe/Paris")
        let bad = try call(
            UpdateMe.endpoint, "PATCH", "/api/v1/users/me", json: #"{"time_zone": "Mars/Olympus"}"#, token: fixture.learner.accessToken)
        #expect(bad.status == 422)
        let badFlag = try call(
            UpdateMe.endpoint, "PATCH", "/api/v1/users/me", json: #"{"leaderboard_opt_out": "no"}"#, token: fixture.learner.accessToken)
        #expect(badFlag.status == 422)
    }
}

/// A JSON object of strings (and a score), as the contract's payloads are.
func json(_ fields: [String: String], score: Double? = nil) -> JSONValue {
    var object = fields.mapValues { JSONValue.string($0) }
    if let score { object["score_percent"] = .number(score) }
    return .object(object)
}
