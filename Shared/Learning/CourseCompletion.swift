import Core
import Database
import Notifications
import Runtime

/// The completion rule: every required lesson done, every required quiz passed (since the last
/// reset), every required assignment graded at or above its pass mark (the SQL function
/// `learner_progress`, infra/migrations/0019). Checked after any write that may complete a
/// course, in a transaction of its own: the `course_completions` row and its jobs
/// (`certificate.issue`, `xp.award` for the course, the congratulation email) commit together,
/// exactly once: the row's unique key decides, and only the request that inserted it enqueues.
public enum CourseCompletion {
    /// The completion time when this call completed the course, nil otherwise (not complete yet,
    /// or completed before).
    /// Most checks find nothing to do: one read, outside a transaction, says so (it runs after the
    /// caller's commit, as the insert would); only a completion opens the transaction.
    @discardableResult
    public static func check(_ context: Context, userId: String, courseId: String) throws -> String? {
        guard try context.db().query("SELECT 1 \(fragment: due(userId: userId, courseId: courseId))").first != nil else { return nil }
        return try context.transaction { db in try check(db, userId: userId, courseId: courseId) }
    }

    /// The same inside a transaction the caller opened.
    @discardableResult
    public static func check(_ db: Connection, userId: String, courseId: String) throws -> String? {
        let row = try db.query(
            """
            INSERT INTO course_completions (user_id, course_id)
            SELECT \(userId), \(courseId) \(fragment: due(userId: userId, courseId: courseId))
            ON CONFLICT (user_id, course_id) DO NOTHING
            RETURNING \(fragment: isoTime("completed_at")) AS completed_at
            """
        ).first
        guard let row else { return nil }
        let completedAt = try row.string("completed_at")
        let learner = try db.query(
            """
            SELECT u.email, u.name, c.title FROM users u, courses c WHERE u.id = \(userId) AND c.id = \(courseId)
            """
        ).one()
        try LearningEvents.issueCertificate(db, userId: userId, courseId: courseId, completedAt: completedAt)
        try LearningEvents.awardXP(
            db, userId: userId, type: .courseComplete, source: "course:\(courseId)", courseId: courseId, occurredAt: completedAt)
        try Notifications.email(
            db,
            .init(
                template: "course_completed", to: try learner.string("email"), name: try learner.string("name"),
                data: ["course_title": try learner.string("title"), "course_id": courseId],
                messageKey: "course_completed:\(userId):\(courseId)"))
        return completedAt
    }

    /// `FROM ... WHERE ...`: one row when the learner has met the rule and has no completion yet.
    static func due(userId: String, courseId: String) -> SQL {
        """
        FROM learner_progress(\(userId)::uuid, \(courseId)::uuid) p
        WHERE p.required > 0 AND p.done >= p.required
          AND EXISTS (SELECT 1 FROM enrollments WHERE user_id = \(userId) AND course_id = \(courseId))
          AND NOT EXISTS (SELECT 1 FROM course_completions WHERE user_id = \(userId) AND course_id = \(courseId))
        """
    }
}
