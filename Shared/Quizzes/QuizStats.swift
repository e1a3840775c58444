import Auth
import Core
import Database
import Learning
import Runtime

/// `GET /api/v1/instructor/quizzes/{id}/stats`: for the course's instructor and admins, each
/// question's share of correct answers over submitted attempts, and each learner's attempts,
/// best score and pass.
public enum GetQuizStats {
    public static let endpoint = Endpoint(.get, "/api/v1/instructor/quizzes/{id}/stats", access: .roles([.instructor, .admin]), handle)

    public static func handle(_ context: Context) throws -> Response {
        let caller = try context.user()
        let id = try context.request.parameter("id")
        let db = try context.db()
        let quiz = try QuizSettings.load(db, id: id)
        _ = try LearnerAccess.authored(db, courseId: quiz.courseId, caller: caller)
        let questions = try db.query(
            """
            WITH submitted AS (
                SELECT correct_questions FROM quiz_attempts WHERE quiz_id = \(id) AND submitted_at IS NOT NULL
            ), correct AS (
                SELECT question, count(*)::int AS n FROM submitted, unnest(correct_questions) AS question GROUP BY question
            )
            SELECT qq.id, qq.position, qq.prompt, (SELECT count(*)::int FROM submitted) AS attempts, coalesce(c.n, 0) AS correct
            FROM quiz_questions qq LEFT JOIN correct c ON c.question = qq.id
            WHERE qq.quiz_id = \(id)
            ORDER BY qq.position
            """
        ).rows.map { row in
            let attempts = try row.int("attempts")
            let correct = try row.int("correct")
            return QuestionStats(
                questionId: try row.string("id"), position: try row.int("position"), prompt: try row.string("prompt"),
                attempts: attempts, correct: correct, percentCorrect: attempts == 0 ? nil : correct * 100 / attempts)
        }
        let learners = try db.query(
            """
            SELECT u.id, u.name, count(*)::int AS attempts, max(a.score_percent) AS best, coalesce(bool_or(a.passed), false) AS passed,
                   max(a.started_at) AS last_attempt_at
            FROM quiz_attempts a JOIN users u ON u.id = a.user_id
            WHERE a.quiz_id = \(id)
            GROUP BY u.id, u.name
            ORDER BY u.name, u.id
            """
        ).rows.map { row in
            LearnerStats(
                userId: try row.string("id"), name: try row.string("name"), attempts: try row.int("attempts"),
                bestScore: try row.optionalInt("best"), passed: try row.bool("passed"), lastAttemptAt: try row.timestamp("last_attempt_at"))
        }
        return .ok(Stats(quizId: id, questions: questions, learners: learners))
    }

    struct Stats: Encodable, Sendable {
        var quizId: String
        var questions: [QuestionStats]
        var learners: [LearnerStats]
    }

    struct QuestionStats: Encodable, Sendable {
        var questionId: String
        var position: Int
        var prompt: String
        /// Submitted attempts (an unanswered question counts as wrong).
        var attempts: Int
        var correct: Int
        @Nullable var percentCorrect: Int?
    }

    struct LearnerStats: Encodable, Sendable {
        var userId: String
        var name: String
        var attempts: Int
        @Nullable var bestScore: Int?
        var passed: Bool
        var lastAttemptAt: String
    }
}
