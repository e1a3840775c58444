import Auth
import Core
import Database
import Learning
import Runtime

/// A quiz's settings.
struct QuizSettings: Encodable, Sendable {
    var id: String
    var moduleId: String
    var courseId: String
    var title: String
    @Nullable var afterLessonId: String?
    var passPercent: Int
    @Nullable var maxAttempts: Int?
    @Nullable var timeLimitSeconds: Int?
    var shuffleQuestions: Bool
    var shuffleOptions: Bool
    var showAnswers: Bool
    var isRequired: Bool
    var questionCount: Int
    var totalPoints: Int

    static let columns: SQL = """
        q.id, q.module_id, q.course_id, q.title, q.after_lesson_id, q.pass_percent, q.max_attempts, q.time_limit_seconds,
        q.shuffle_questions, q.shuffle_options, q.show_answers, q.is_required,
        (SELECT count(*)::int FROM quiz_questions WHERE quiz_id = q.id) AS question_count,
        (SELECT coalesce(sum(points), 0)::int FROM quiz_questions WHERE quiz_id = q.id) AS total_points
        """

    /// `columns` named `q_<column>`, for a statement that also reads another table's `id` (the
    /// submit's lock statement), except the question count and total points, which are 0: two
    /// scans of the questions per submit, which scores from the questions themselves.
    static let prefixedColumns: SQL = """
        q.id AS q_id, q.module_id AS q_module_id, q.course_id AS q_course_id, q.title AS q_title,
        q.after_lesson_id AS q_after_lesson_id, q.pass_percent AS q_pass_percent, q.max_attempts AS q_max_attempts,
        q.time_limit_seconds AS q_time_limit_seconds, q.shuffle_questions AS q_shuffle_questions,
        q.shuffle_options AS q_shuffle_options, q.show_answers AS q_show_answers, q.is_required AS q_is_required,
        0 AS q_question_count, 0 AS q_total_points
        """

    /// From `columns`, or with `prefix: "q_"` from `prefixedColumns`.
    init(_ row: Row, prefix: String = "") throws {
        id = try row.string(prefix + "id")
        moduleId = try row.string(prefix + "module_id")
        courseId = try row.string(prefix + "course_id")
        title = try row.string(prefix + "title")
        afterLessonId = try row.optionalString(prefix + "after_lesson_id")
        passPercent = try row.int(prefix + "pass_percent")
        maxAttempts = try row.optionalInt(prefix + "max_attempts")
        timeLimitSeconds = try row.optionalInt(prefix + "time_limit_seconds")
        shuffleQuestions = try row.bool(prefix + "shuffle_questions")
        shuffleOptions = try row.bool(prefix + "shuffle_options")
        showAnswers = try row.bool(prefix + "show_answers")
        isRequired = try row.bool(prefix + "is_required")
        questionCount = try row.int(prefix + "question_count")
        totalPoints = try row.int(prefix + "total_points")
    }

    static func load(_ db: Connection, id: String) throws -> QuizSettings {
        guard isUUID(id), let row = try db.query("SELECT \(fragment: columns) FROM quizzes q WHERE q.id = \(id)").first else {
            throw APIError.notFound("Quiz")
        }
        return try QuizSettings(row)
    }

    /// The quiz of an attempt for its learner, read with the enrollment check in one statement
    /// (a submit's path); refused as `LearnerAccess.enrolled` refuses.
    static func load(_ db: Connection, id: String, learner caller: Caller, courseId: String) throws -> QuizSettings {
        let row = try db.query(
            """
            SELECT \(fragment: columns), \(fragment: LearnerAccess.learns(user: caller.id, course: courseId)) AS learns
            FROM quizzes q WHERE q.id = \(id)
            """
        ).first
        guard let row, try row.bool("learns") else {
            _ = try LearnerAccess.enrolled(db, courseId: courseId, caller: caller)
            throw row == nil ? APIError.notFound("Quiz") : LearnerAccess.enrollmentRequired
        }
        return try QuizSettings(row)
    }
}

/// A quiz as its authors see it: settings and questions with their answer keys.
struct AuthorQuiz: Encodable, Sendable {
    var quiz: QuizSettings
    var attemptCount: Int
    var questions: [AuthorQuestion]

    struct AuthorQuestion: Encodable, Sendable {
        var id: String
        var kind: String
        var prompt: String
        var options: [String]
        var correct: JSONValue
        var points: Int
    }

    static func load(_ db: Connection, id: String) throws -> AuthorQuiz {
        let quiz = try QuizSettings.load(db, id: id)
        let questions = try db.query(
            "SELECT \(fragment: QuizQuestion.columns) FROM quiz_questions qq WHERE qq.quiz_id = \(id) ORDER BY qq.position"
        ).rows.map { try QuizQuestion($0) }
        let attempts = try db.query("SELECT count(*)::int AS n FROM quiz_attempts WHERE quiz_id = \(id)").one().int("n")
        return AuthorQuiz(
            quiz: quiz, attemptCount: attempts,
            questions: questions.map {
                AuthorQuestion(
                    id: $0.id, kind: $0.kind.rawValue, prompt: $0.prompt, options: $0.options, correct: $0.correct, points: $0.points)
            })
    }
}

/// The course of a quiz for a change by its authors: 404 for anyone else, 409 while the course
/// is under review or archived (as every curriculum change).
func editableQuizCourse(_ db: Connection, courseId: String, caller: Caller) throws -> LearnerCourse {
    let course = try LearnerAccess.authored(db, courseId: courseId, caller: caller, lock: true)
    guard course.status != "submitted" && course.status != "archived" else {
        throw APIError.conflict("A course that is \(course.status) cannot be edited.", code: "course_locked")
    }
    return course
}

/// The lesson a quiz is shown after must be in the quiz's module.
func checkAfterLesson(_ db: Connection, _ lessonId: String?, moduleId: String) throws {
    guard let lessonId else { return }
    guard try db.query("SELECT 1 FROM lessons WHERE id = \(lessonId) AND module_id = \(moduleId)").first != nil else {
        throw APIError.invalid(field: "after_lesson_id", "must be a lesson of this module")
    }
}

/// `POST /api/v1/modules/{id}/quizzes`: adds a quiz with its questions to a module.
public enum CreateQuiz {
    public static let endpoint = Endpoint(
        .post, "/api/v1/modules/{id}/quizzes", access: .roles([.instructor, .admin]), body: 512 * KiB, handle)

    public static func handle(_ context: Context) throws -> Response {
        let caller = try context.user()
        let moduleId = try context.request.parameter("id")
        var fields = try Fields(context.request.json())
        let input = try QuizInput(&fields, creating: true)
        guard let title = input.title, let questions = input.questions else { throw APIError.invalid([]) }
        let quiz: AuthorQuiz = try context.transaction { db in
            let courseId = try LearnerAccess.courseOfModule(db, moduleId: moduleId)
            _ = try editableQuizCourse(db, courseId: courseId, caller: caller)
            try checkAfterLesson(db, input.afterLessonId.value, moduleId: moduleId)
            let id = try db.query(
                """
                INSERT INTO quizzes (module_id, course_id, title, after_lesson_id, pass_percent, max_attempts, time_limit_seconds,
                                     shuffle_questions, shuffle_options, show_answers, is_required)
                VALUES (\(moduleId), \(courseId), \(title), \(input.afterLessonId.value)::uuid, \(input.passPercent ?? 60),
                        \(input.maxAttempts.value), \(input.timeLimitSeconds.value), \(input.shuffleQuestions ?? false),
                        \(input.shuffleOptions ?? false), \(input.showAnswers ?? true), \(input.isRequired ?? true))
                RETURNING id
                """
            ).one().string("id")
            try QuizInput.replaceQuestions(db, quizId: id, questions)
            try db.execute("UPDATE courses SET updated_at = now() WHERE id = \(courseId)")
            return try AuthorQuiz.load(db, id: id)
        }
        return .created(quiz, message: "Quiz added.")
    }
}

/// `GET /api/v1/quizzes/{id}`: authors get the settings and questions with their keys; an
/// enrolled learner gets the settings and their own attempts' summary, never the questions
/// (they come with an attempt, without keys).
public enum GetQuiz {
    public static let endpoint = Endpoint(.get, "/api/v1/quizzes/{id}", access: .signedIn, handle)

    public static func handle(_ context: Context) throws -> Response {
        let caller = try context.user()
        let id = try context.request.parameter("id")
        let db = try context.db()
        let settings = try QuizSettings.load(db, id: id)
        let course = try LearnerAccess.authored(db, courseId: settings.courseId, caller: caller, allowOthers: true)
        if let course, LearnerAccess.isAuthor(caller, of: course) { return .ok(try AuthorQuiz.load(db, id: id)) }
        _ = try LearnerAccess.enrolled(db, courseId: settings.courseId, caller: caller)
        return .ok(LearnerQuiz(quiz: settings, attempts: try AttemptSummary.list(context, quiz: settings, userId: caller.id)))
    }

    struct LearnerQuiz: Encodable, Sendable {
        var quiz: QuizSettings
        var attempts: AttemptSummary.History
    }
}

extension LearnerAccess {
    /// The course when the caller authors it, nil when it exists and they do not.
    static func authored(_ db: Connection, courseId: String, caller: Caller, allowOthers: Bool) throws -> LearnerCourse? {
        do {
            return try authored(db, courseId: courseId, caller: caller)
        } catch let error as APIError where error.status == 404 && allowOthers {
            return nil
        }
    }
}

/// `PATCH /api/v1/quizzes/{id}`: changes settings and/or replaces the questions. Once anyone
/// has attempted the quiz, what decides a score (questions, keys, points, pass mark) is
/// refused with 409 `quiz_has_attempts`: the author adds a new quiz instead. Titles, placement,
/// limits, shuffling, answer display and the required flag may still change.
public enum UpdateQuiz {
    public static let endpoint = Endpoint(.patch, "/api/v1/quizzes/{id}", access: .roles([.instructor, .admin]), body: 512 * KiB, handle)

    public static func handle(_ context: Context) throws -> Response {
        let caller = try context.user()
        let id = try context.request.parameter("id")
        var fields = try Fields(context.request.json())
        let input = try QuizInput(&fields, creating: false)
        let quiz: AuthorQuiz = try context.transaction { db in
            let current = try QuizSettings.load(db, id: id)
            _ = try editableQuizCourse(db, courseId: current.courseId, caller: caller)
            try db.execute("SELECT 1 FROM quizzes WHERE id = \(id) FOR UPDATE")
            if input.changesScoring, try db.query("SELECT 1 FROM quiz_attempts WHERE quiz_id = \(id) LIMIT 1").first != nil {
                throw APIError.conflict(
                    "Learners have attempted this quiz: its questions and pass mark can no longer change. Add a new quiz instead.",
                    code: "quiz_has_attempts")
            }
            try checkAfterLesson(db, input.afterLessonId.value, moduleId: current.moduleId)
            try db.execute(
                """
                UPDATE quizzes SET
                    title = coalesce(\(input.title), title),
                    after_lesson_id = CASE WHEN \(input.afterLessonId.isPresent) THEN \(input.afterLessonId.value)::uuid
                                      ELSE after_lesson_id END,
                    pass_percent = coalesce(\(input.passPercent), pass_percent),
                    max_attempts = CASE WHEN \(input.maxAttempts.isPresent) THEN \(input.maxAttempts.value) ELSE max_attempts END,
                    time_limit_seconds = CASE WHEN \(input.timeLimitSeconds.isPresent) THEN \(input.timeLimitSeconds.value)
                                         ELSE time_limit_seconds END,
                    shuffle_questions = coalesce(\(input.shuffleQuestions), shuffle_questions),
                    shuffle_options = coalesce(\(input.shuffleOptions), shuffle_options),
                    show_answers = coalesce(\(input.showAnswers), show_answers),
                    is_required = coalesce(\(input.isRequired), is_required),
                    updated_at = now()
                WHERE id = \(id)
                """)
            if let questions = input.questions { try QuizInput.replaceQuestions(db, quizId: id, questions) }
            return try AuthorQuiz.load(db, id: id)
        }
        return .ok(quiz, message: "Quiz updated.")
    }
}

/// `DELETE /api/v1/quizzes/{id}`: removes a quiz with its attempts.
public enum DeleteQuiz {
    public static let endpoint = Endpoint(.delete, "/api/v1/quizzes/{id}", access: .roles([.instructor, .admin]), body: 1 * KiB, handle)

    public static func handle(_ context: Context) throws -> Response {
        let caller = try context.user()
        let id = try context.request.parameter("id")
        try context.transaction { db in
            let current = try QuizSettings.load(db, id: id)
            _ = try editableQuizCourse(db, courseId: current.courseId, caller: caller)
            try db.execute("DELETE FROM quizzes WHERE id = \(id)")
        }
        return .message("Quiz removed.")
    }
}
