import Achievements
import Core
import Database
import Queue

/// Demo XP, badges, a leaderboard and certificates (kept apart from `DemoData` so the learning
/// issue's demo data merges beside it): the first 12 demo students complete lessons of the first
/// demo course over the last ten days, a few pass a quiz and complete the course; their
/// certificates are enqueued for the certificate worker. Loading it again awards nothing new.
public enum DemoAchievements {
    @discardableResult
    public static func load(_ db: Connection, now: Int = unixTime()) throws -> Int {
        let lessons = try db.query(
            """
            SELECT l.id, l.course_id FROM lessons l JOIN courses c ON c.id = l.course_id JOIN users i ON i.id = c.instructor_id
            WHERE i.email = 'instructor1@demo.lms.local' AND c.title = 'Swift on the Server from Scratch'
            ORDER BY l.module_id, l.position
            """
        ).rows.map { (try $0.string("id"), try $0.string("course_id")) }
        guard let courseId = lessons.first?.1 else { return 0 }
        let students = try db.query(
            "SELECT id FROM users WHERE email LIKE 'student%@demo.lms.local' ORDER BY created_at, email LIMIT 12"
        ).rows.map { try $0.string("id") }
        var awarded = 0
        let points = XPAwards.Points()
        for (index, student) in students.enumerated() {
            // Student 1 learns every day (a 7-day streak), the others a little less each.
            let done = max(1, lessons.count - index)
            for (position, lesson) in lessons.prefix(done).enumerated() {
                let day = now - (9 - position % 10) * 86_400
                let award = XPAwards.Award(
                    userId: student, type: "lesson_complete", source: "lesson:\(lesson.0)", courseId: courseId, occurredAt: isoTime(day))
                if case .awarded = try XPAwards.award(db, award, points: points) { awarded += 1 }
            }
            if index < 4 {
                let quiz = XPAwards.Award(
                    userId: student, type: "quiz_pass", source: "quiz:demo-\(courseId)", courseId: courseId,
                    occurredAt: isoTime(now - 3600),
                    scorePercent: index == 0 ? 100 : 80)
                if case .awarded = try XPAwards.award(db, quiz, points: points) { awarded += 1 }
            }
            if index < 3 {
                let completed = isoTime(now - 1800)
                let course = XPAwards.Award(
                    userId: student, type: "course_complete", source: "course:\(courseId)", courseId: courseId, occurredAt: completed)
                if case .awarded = try XPAwards.award(db, course, points: points) { awarded += 1 }
                // The event issue 10 emits with the completion (the contract's unique key).
                try Queue.enqueue(
                    db, kind: "certificate.issue", payload: ["user_id": student, "course_id": courseId, "completed_at": completed],
                    options: .init(queue: "certificates", uniqueKey: "certificate:\(student):\(courseId)"))
            }
        }
        try Leaderboards.refresh(db, now: now)
        return awarded
    }
}
