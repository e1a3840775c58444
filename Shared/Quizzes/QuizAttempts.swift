import Auth
import Core
import Database
import Learning
import Runtime

/// The time limit is the server's: an attempt's deadline is `started_at` + the limit. Answers
/// saved up to `graceSeconds` after it still count (a save in flight at the deadline); later
/// saves are refused, and a submit at any time scores what was saved by then.
public enum QuizTiming {
    public static let graceSeconds = 10
}

/// One attempt's row, locked or not.
struct AttemptRow {
    var id: String
    var quizId: String
    var userId: String
    var courseId: String
    var number: Int
    var layout: [(question: String, options: [Int])]
    var startedAt: String
    var deadline: String?
    var submittedAt: String?
    /// Past the deadline and its grace.
    var expired: Bool

    static let columns: SQL = """
        a.id, a.quiz_id, a.user_id, a.course_id, a.number, a.layout::text AS layout, a.started_at, a.deadline, a.submitted_at,
        (a.deadline IS NOT NULL AND now() > a.deadline + make_interval(secs => \(QuizTiming.graceSeconds))) AS expired
        """

    init(_ row: Row) throws {
        id = try row.string("id")
        quizId = try row.string("quiz_id")
        userId = try row.string("user_id")
        courseId = try row.string("course_id")
        number = try row.int("number")
        guard case .array(let items) = try StoredJSON.parse(try row.string("layout")) else {
            throw DatabaseError(.decoding, message: "attempt layout is not an array")
        }
        layout = items.compactMap { item in
            guard let question = item["question"]?.stringValue, case .array(let options)? = item["options"] else { return nil }
            return (question, options.compactMap(\.intValue))
        }
        startedAt = try row.timestamp("started_at")
        deadline = try row.optionalTimestamp("deadline")
        submittedAt = try row.optionalTimestamp("submitted_at")
        expired = try row.bool("expired")
    }

    /// The caller's attempt `id`, locked for a write when asked; 404 for anyone else's.
    static func load(_ db: Connection, id: String, caller: Caller, lock: Bool) throws -> AttemptRow {
        guard isUUID(id) else { throw APIError.notFound("Attempt") }
        let row =
            lock
            ? try db.query("SELECT \(fragment: columns) FROM quiz_attempts a WHERE a.id = \(id) FOR UPDATE").first
            : try db.query("SELECT \(fragment: columns) FROM quiz_attempts a WHERE a.id = \(id)").first
        guard let row, try row.string("user_id") == caller.id else { throw APIError.notFound("Attempt") }
        return try AttemptRow(row)
    }
}

/// Scoring: reads the questions and the answers saved in time, marks each answer, writes the
/// attempt's score once. Callers hold the attempt's row lock, so it runs once per attempt.
enum AttemptScoring {
    static func questions(_ db: Connection, quizId: String) throws -> [String: QuizQuestion] {
        var byId: [String: QuizQuestion] = [:]
        for row in try db.query("SELECT \(fragment: QuizQuestion.columns) FROM quiz_questions qq WHERE qq.quiz_id = \(quizId)").rows {
            let question = try QuizQuestion(row)
            byId[question.id] = question
        }
        return byId
    }

    /// The questions (as `questions`) and the answers saved in one attempt, in one statement.
    static func questionsAndAnswers(_ db: Connection, quizId: String, attemptId: String) throws
        -> (questions: [String: QuizQuestion], answers: [String: JSONValue])
    {
        var questions: [String: QuizQuestion] = [:]
        var answers: [String: JSONValue] = [:]
        let rows = try db.query(
            """
            SELECT \(fragment: QuizQuestion.columns), qa.answer::text AS answer
            FROM quiz_questions qq LEFT JOIN quiz_answers qa ON qa.question_id = qq.id AND qa.attempt_id = \(attemptId)
            WHERE qq.quiz_id = \(quizId)
            """
        ).rows
        for row in rows {
            let question = try QuizQuestion(row)
            questions[question.id] = question
            if let answer = try row.optionalString("answer") { answers[question.id] = try StoredJSON.parse(answer) }
        }
        return (questions, answers)
    }

    /// A scored attempt, as the result needs it.
    struct Scored {
        var submittedAt: String
        var earned: Int
        var total: Int
        var percent: Int
        var passed: Bool
        var answers: [String: JSONValue]
        /// The questions answered right (the attempt's `correct_questions`).
        var correct: Set<String>
        /// A required quiz passed for the first time since the learner's last reset: the only
        /// kind of submit that changes what the completion rule counts, so the only one after
        /// which the course can have become complete.
        var mayComplete: Bool
    }

    /// Scores an unsubmitted attempt from its questions and saved answers (`questionsAndAnswers`).
    /// An attempt past its deadline is dated at its deadline. A first pass emits its XP event.
    @discardableResult
    static func score(
        _ db: Connection, _ attempt: AttemptRow, quiz: QuizSettings, questions: [String: QuizQuestion], answers: [String: JSONValue]
    ) throws -> Scored {
        var correctIds: [String] = []
        var earned = 0
        var total = 0
        for item in attempt.layout {
            guard let question = questions[item.question] else { continue }
            total += question.points
            if question.isCorrect(answers[item.question]) {
                earned += question.points
                correctIds.append(item.question)
            }
        }
        let percent = total == 0 ? 100 : earned * 100 / total
        let passed = percent >= quiz.passPercent
        // The score and the marks (the questions answered right) on the attempt, in one statement.
        let row = try db.query(
            """
            UPDATE quiz_attempts SET submitted_at = CASE WHEN \(attempt.expired) THEN deadline ELSE now() END,
                score_points = \(earned), max_points = \(total), score_percent = \(percent), passed = \(passed),
                correct_questions = \(TextArray(correctIds))::uuid[]
            WHERE id = \(attempt.id)
            RETURNING submitted_at, \(fragment: isoTime("submitted_at")) AS occurred_at,
                      -- For a pass only: whether the learner had passed this quiz before, and since the last reset
                      -- (each stops at the first such attempt).
                      EXISTS (SELECT 1 FROM quiz_attempts o
                              WHERE \(passed) AND o.quiz_id = \(quiz.id) AND o.user_id = \(attempt.userId) AND o.passed
                                AND o.id <> \(attempt.id)) AS ever,
                      EXISTS (SELECT 1 FROM quiz_attempts o
                              WHERE \(passed) AND o.quiz_id = \(quiz.id) AND o.user_id = \(attempt.userId) AND o.passed
                                AND o.id <> \(attempt.id)
                                AND o.submitted_at > coalesce((SELECT e.progress_reset_at FROM enrollments e
                                                               WHERE e.user_id = \(attempt.userId) AND e.course_id = \(attempt.courseId)),
                                                              '-infinity')) AS since_reset
            """
        ).one()
        let passedBefore = try row.bool("ever")
        let passedSinceReset = try row.bool("since_reset")
        let firstPass = passed && !passedBefore
        let mayComplete = passed && quiz.isRequired && !passedSinceReset
        if firstPass {
            try LearningEvents.awardXP(
                db, userId: attempt.userId, type: .quizPass, source: "quiz:\(quiz.id)", courseId: attempt.courseId,
                occurredAt: try row.string("occurred_at"), scorePercent: percent)
        }
        return Scored(
            submittedAt: try row.timestamp("submitted_at"), earned: earned, total: total, percent: percent, passed: passed,
            answers: answers, correct: Set(correctIds), mayComplete: mayComplete)
    }

    /// Scores the caller's attempts of a quiz whose time ran out unsubmitted; true when one may
    /// have completed the course (`Scored.mayComplete`).
    static func closeExpired(_ db: Connection, quiz: QuizSettings, userId: String) throws -> Bool {
        var passed = false
        let rows = try db.query(
            """
            SELECT \(fragment: AttemptRow.columns) FROM quiz_attempts a
            WHERE a.quiz_id = \(quiz.id) AND a.user_id = \(userId) AND a.submitted_at IS NULL
              AND a.deadline + make_interval(secs => \(QuizTiming.graceSeconds)) < now()
            FOR UPDATE
            """
        ).rows
        for row in rows {
            let attempt = try AttemptRow(row)
            let (questions, answers) = try questionsAndAnswers(db, quizId: quiz.id, attemptId: attempt.id)
            if try score(db, attempt, quiz: quiz, questions: questions, answers: answers).mayComplete { passed = true }
        }
        return passed
    }
}

/// An attempt in progress as the learner sees it: the questions in this attempt's order,
/// without answer keys, and the answers saved so far.
struct LearnerAttempt: Encodable, Sendable {
    var id: String
    var quizId: String
    var number: Int
    var startedAt: String
    @Nullable var deadline: String?
    @Nullable var timeLimitSeconds: Int?
    var graceSeconds: Int
    var questions: [Question]
    var answers: [String: JSONValue]

    struct Question: Encodable, Sendable {
        var id: String
        var kind: String
        var prompt: String
        var points: Int
        /// Choices with their ids (the author's index), in this attempt's order; empty for
        /// true/false and short answers.
        var options: [Option]
    }

    struct Option: Encodable, Sendable {
        var id: Int
        var text: String
    }

    static func build(_ db: Connection, _ attempt: AttemptRow, quiz: QuizSettings) throws -> LearnerAttempt {
        let (questions, answers) = try AttemptScoring.questionsAndAnswers(db, quizId: quiz.id, attemptId: attempt.id)
        return LearnerAttempt(
            id: attempt.id, quizId: quiz.id, number: attempt.number, startedAt: attempt.startedAt, deadline: attempt.deadline,
            timeLimitSeconds: quiz.timeLimitSeconds, graceSeconds: QuizTiming.graceSeconds,
            questions: attempt.layout.compactMap { item in
                guard let question = questions[item.question] else { return nil }
                return Question(
                    id: question.id, kind: question.kind.rawValue, prompt: question.prompt, points: question.points,
                    options: item.options.compactMap { index in
                        question.options.indices.contains(index) ? Option(id: index, text: question.options[index]) : nil
                    })
            },
            answers: answers)
    }
}

/// A submitted attempt's result: score, pass or fail, each question right or wrong; the
/// answer keys only when the quiz shows them.
struct AttemptResult: Encodable, Sendable {
    var id: String
    var quizId: String
    var number: Int
    var startedAt: String
    var submittedAt: String
    var scorePoints: Int
    var maxPoints: Int
    var scorePercent: Int
    var passPercent: Int
    var passed: Bool
    /// `[QuestionResult]` as `encodeJSON` writes it, written by `write(_:)`: the 50 small
    /// objects of a long quiz through the generic encoder were a good part of a submit's time.
    var questions: RawJSON

    struct QuestionResult: Encodable, Sendable {
        var questionId: String
        var isCorrect: Bool
        var pointsAwarded: Int
        var points: Int
        @Nullable var answer: JSONValue?
        /// Present only when the quiz shows answers after submission.
        var correctAnswer: JSONValue?
    }

    /// The bytes `encodeJSON(results)` writes (keys sorted; `correct_answer` left out when nil),
    /// the answers and keys written by `JSONValue.writeJSON`.
    static func write(_ results: [QuestionResult]) throws -> RawJSON {
        var out: [UInt8] = [UInt8(ascii: "[")]
        out.reserveCapacity(160 * results.count + 2)
        for (index, result) in results.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            out.append(contentsOf: #"{"answer":"#.utf8)
            if let answer = result.answer { try answer.writeJSON(to: &out) } else { out.append(contentsOf: "null".utf8) }
            if let correct = result.correctAnswer {
                out.append(contentsOf: #","correct_answer":"#.utf8)
                try correct.writeJSON(to: &out)
            }
            out.append(contentsOf: #","is_correct":"#.utf8)
            out.append(contentsOf: String(result.isCorrect).utf8)
            out.append(contentsOf: #","points":"#.utf8)
            out.append(contentsOf: String(result.points).utf8)
            out.append(contentsOf: #","points_awarded":"#.utf8)
            out.append(contentsOf: String(result.pointsAwarded).utf8)
            // A uuid as PostgreSQL writes it: nothing to escape.
            out.append(contentsOf: #","question_id":""#.utf8)
            out.append(contentsOf: result.questionId.utf8)
            out.append(contentsOf: #""}"#.utf8)
        }
        out.append(UInt8(ascii: "]"))
        return RawJSON(written: out)
    }

    /// A submitted attempt's result, read back (a repeated submit).
    static func load(_ db: Connection, attemptId: String, quiz: QuizSettings) throws -> AttemptResult {
        let row = try db.query(
            """
            SELECT \(fragment: AttemptRow.columns), a.score_points, a.max_points, a.score_percent, a.passed,
                   array_to_string(a.correct_questions, ',') AS correct
            FROM quiz_attempts a WHERE a.id = \(attemptId)
            """
        ).one()
        let (questions, answers) = try AttemptScoring.questionsAndAnswers(db, quizId: quiz.id, attemptId: attemptId)
        let scored = AttemptScoring.Scored(
            submittedAt: try row.timestamp("submitted_at"), earned: try row.int("score_points"), total: try row.int("max_points"),
            percent: try row.int("score_percent"), passed: try row.bool("passed"), answers: answers,
            correct: Set(try row.string("correct").split(separator: ",").map(String.init)), mayComplete: false)
        return try make(try AttemptRow(row), quiz: quiz, questions: questions, scored: scored)
    }

    static func make(_ attempt: AttemptRow, quiz: QuizSettings, questions: [String: QuizQuestion], scored: AttemptScoring.Scored)
        throws -> AttemptResult
    {
        try AttemptResult(
            id: attempt.id, quizId: quiz.id, number: attempt.number, startedAt: attempt.startedAt, submittedAt: scored.submittedAt,
            scorePoints: scored.earned, maxPoints: scored.total, scorePercent: scored.percent, passPercent: quiz.passPercent,
            passed: scored.passed,
            questions: write(
                attempt.layout.compactMap { item in
                    guard let question = questions[item.question] else { return nil }
                    let answer = scored.answers[item.question]
                    let correct = scored.correct.contains(item.question)
                    return QuestionResult(
                        questionId: question.id, isCorrect: correct, pointsAwarded: correct ? question.points : 0,
                        points: question.points, answer: answer, correctAnswer: quiz.showAnswers ? question.correct : nil)
                }))
    }
}

/// The learner's attempts at one quiz.
enum AttemptSummary {
    struct History: Encodable, Sendable {
        var items: [Item]
        @Nullable var bestScore: Int?
        var passed: Bool
        var attemptsUsed: Int
        @Nullable var attemptsLeft: Int?
    }

    struct Item: Encodable, Sendable {
        var id: String
        var number: Int
        var startedAt: String
        @Nullable var deadline: String?
        @Nullable var submittedAt: String?
        @Nullable var scorePercent: Int?
        @Nullable var passed: Bool?
    }

    /// Closes attempts whose time ran out, then lists them (oldest first).
    static func list(_ context: Context, quiz: QuizSettings, userId: String) throws -> History {
        let closedPassing = try context.transaction { db in try AttemptScoring.closeExpired(db, quiz: quiz, userId: userId) }
        if closedPassing { try CourseCompletion.check(context, userId: userId, courseId: quiz.courseId) }
        let rows = try context.db().query(
            """
            SELECT id, number, started_at, deadline, submitted_at, score_percent, passed
            FROM quiz_attempts WHERE quiz_id = \(quiz.id) AND user_id = \(userId) ORDER BY number
            """
        ).rows
        let items = try rows.map { row in
            let passed = try row.optionalString("passed").map { $0 == "t" }
            return Item(
                id: try row.string("id"), number: try row.int("number"), startedAt: try row.timestamp("started_at"),
                deadline: try row.optionalTimestamp("deadline"), submittedAt: try row.optionalTimestamp("submitted_at"),
                scorePercent: try row.optionalInt("score_percent"), passed: passed)
        }
        return History(
            items: items, bestScore: items.compactMap(\.scorePercent).max(), passed: items.contains { $0.passed == true },
            attemptsUsed: items.count, attemptsLeft: quiz.maxAttempts.map { max($0 - items.count, 0) })
    }
}

/// `POST /api/v1/quizzes/{id}/attempts`: starts an attempt (201), or answers the one still in
/// progress (200). The server records the start and the deadline; the questions come without
/// their keys. Over the attempt limit: 409 `attempt_limit_reached`.
public enum StartQuizAttempt {
    public static let endpoint = Endpoint(.post, "/api/v1/quizzes/{id}/attempts", access: .signedIn, body: 1 * KiB, handle)

    public static func handle(_ context: Context) throws -> Response {
        let caller = try context.user()
        let quizId = try context.request.parameter("id")
        var closedPassing = false
        let (attempt, created): (LearnerAttempt, Bool) = try context.transaction { db in
            let quiz = try QuizSettings.load(db, id: quizId)
            // The enrollment row lock: one learner's starts take turns, so the limit holds.
            _ = try LearnerAccess.enrolled(db, courseId: quiz.courseId, caller: caller, lock: true)
            closedPassing = try AttemptScoring.closeExpired(db, quiz: quiz, userId: caller.id)
            if let open = try db.query(
                "SELECT \(fragment: AttemptRow.columns) FROM quiz_attempts a WHERE a.quiz_id = \(quizId) AND a.user_id = \(caller.id) AND a.submitted_at IS NULL"
            ).first {
                return (try LearnerAttempt.build(db, try AttemptRow(open), quiz: quiz), false)
            }
            let used = try db.query("SELECT count(*)::int AS n FROM quiz_attempts WHERE quiz_id = \(quizId) AND user_id = \(caller.id)")
                .one().int("n")
            if let limit = quiz.maxAttempts, used >= limit {
                throw APIError.conflict("You have used all \(limit) attempts of this quiz.", code: "attempt_limit_reached")
            }
            guard quiz.questionCount > 0 else { throw APIError.conflict("This quiz has no questions yet.", code: "quiz_empty") }
            let questions = try db.query(
                "SELECT id, jsonb_array_length(options)::int AS n FROM quiz_questions WHERE quiz_id = \(quizId) ORDER BY position"
            ).rows.map { (id: try $0.string("id"), options: try $0.int("n")) }
            var layout: [JSONValue] = []
            for question in quiz.shuffleQuestions ? questions.shuffled() : questions {
                let options = Array(0..<question.options)
                layout.append(
                    .object([
                        "question": .string(question.id),
                        "options": .array((quiz.shuffleOptions ? options.shuffled() : options).map { .number(Double($0)) }),
                    ]))
            }
            let row = try db.query(
                """
                INSERT INTO quiz_attempts (quiz_id, user_id, course_id, number, layout, deadline)
                VALUES (\(quizId), \(caller.id), \(quiz.courseId), \(used + 1), \(try jsonText(JSONValue.array(layout)))::jsonb,
                        now() + make_interval(secs => \(quiz.timeLimitSeconds)))
                RETURNING id
                """
            ).one()
            let attempt = try AttemptRow.load(db, id: try row.string("id"), caller: caller, lock: false)
            return (try LearnerAttempt.build(db, attempt, quiz: quiz), true)
        }
        if closedPassing {
            try CourseCompletion.check(context, userId: caller.id, courseId: try QuizSettings.load(context.db(), id: quizId).courseId)
        }
        var response: Response = created ? .created(attempt, message: "Attempt started.") : .ok(attempt, message: "Attempt in progress.")
        response.headers.append(("Cache-Control", "private, no-store"))
        return response
    }
}

/// `GET /api/v1/quizzes/{id}/attempts`: the caller's attempts (oldest first), best score and
/// attempts left. Never answers or keys.
public enum ListQuizAttempts {
    public static let endpoint = Endpoint(.get, "/api/v1/quizzes/{id}/attempts", access: .signedIn, handle)

    public static func handle(_ context: Context) throws -> Response {
        let caller = try context.user()
        let quiz = try QuizSettings.load(try context.db(), id: try context.request.parameter("id"))
        _ = try LearnerAccess.enrolled(try context.db(), courseId: quiz.courseId, caller: caller)
        return .ok(try AttemptSummary.list(context, quiz: quiz, userId: caller.id))
    }
}

/// Reads `{"answers": {"<question id>": answer, ...}}` for the questions of an attempt.
func answerInput(_ body: JSONValue, attempt: AttemptRow, questions: [String: QuizQuestion], required: Bool) throws -> [String: JSONValue] {
    let fields = try Fields(body)
    guard let value = fields.object["answers"] else {
        if required { throw APIError.invalid(field: "answers", "is required") }
        return [:]
    }
    guard case .object(let answers) = value else { throw APIError.invalid(field: "answers", "must be an object keyed by question id") }
    var errors: [FieldError] = []
    let layout = Dictionary(attempt.layout.map { ($0.question, $0.options.count) }, uniquingKeysWith: { a, _ in a })
    for (id, answer) in answers {
        guard let count = layout[id], let question = questions[id] else {
            errors.append(FieldError(field: "answers.\(id)", message: "is not a question of this attempt"))
            continue
        }
        if answer == .null { continue }
        if let problem = question.check(answer, optionCount: count) { errors.append(FieldError(field: "answers.\(id)", message: problem)) }
    }
    if !errors.isEmpty { throw APIError.invalid(errors) }
    return answers
}

/// Saves answers (a null answer clears one).
func saveAnswers(_ db: Connection, attemptId: String, _ answers: [String: JSONValue]) throws {
    let set = answers.filter { $0.value != .null }
    let cleared = answers.filter { $0.value == .null }.map(\.key)
    if !cleared.isEmpty {
        try db.execute("DELETE FROM quiz_answers WHERE attempt_id = \(attemptId) AND question_id = ANY(\(TextArray(cleared))::uuid[])")
    }
    guard !set.isEmpty else { return }
    try db.execute(
        """
        INSERT INTO quiz_answers (attempt_id, question_id, answer)
        SELECT \(attemptId), t.question::uuid, t.answer::jsonb
        FROM unnest(\(TextArray(Array(set.keys)))::text[], \(TextArray(try set.values.map { try jsonText($0) }))::text[]) AS t (question, answer)
        ON CONFLICT (attempt_id, question_id) DO UPDATE SET answer = excluded.answer, saved_at = now()
        """)
}

/// `PUT /api/v1/attempts/{id}/answers` `{"answers": {...}}`: saves answers of an attempt in
/// progress. After submission 409 `attempt_submitted`; after the deadline and its grace 409
/// `time_up`.
public enum SaveQuizAnswers {
    public static let endpoint = Endpoint(.put, "/api/v1/attempts/{id}/answers", access: .signedIn, body: 256 * KiB, handle)

    public static func handle(_ context: Context) throws -> Response {
        let caller = try context.user()
        let id = try context.request.parameter("id")
        let body = try context.request.json()
        let saved: Int = try context.transaction { db in
            let attempt = try AttemptRow.load(db, id: id, caller: caller, lock: true)
            _ = try LearnerAccess.enrolled(db, courseId: attempt.courseId, caller: caller)
            guard attempt.submittedAt == nil else {
                throw APIError.conflict("This attempt has been submitted.", code: "attempt_submitted")
            }
            guard !attempt.expired else { throw APIError.conflict("The time for this attempt is up.", code: "time_up") }
            let answers = try answerInput(
                body, attempt: attempt, questions: try AttemptScoring.questions(db, quizId: attempt.quizId), required: true)
            try saveAnswers(db, attemptId: id, answers)
            return try db.query("SELECT count(*)::int AS n FROM quiz_answers WHERE attempt_id = \(id)").one().int("n")
        }
        return .ok(Saved(attemptId: id, answered: saved), message: "Answers saved.")
    }

    struct Saved: Encodable, Sendable {
        var attemptId: String
        var answered: Int
    }
}

/// `POST /api/v1/attempts/{id}/submit` (optionally with last `answers`): scores the attempt
/// once. A second or concurrent submit waits for the first and gets the same result (200).
/// Past the deadline and its grace, answers sent with the submit are ignored and what was saved
/// in time is scored. A pass may complete the course.
public enum SubmitQuizAttempt {
    public static let endpoint = Endpoint(
        .post, "/api/v1/attempts/{id}/submit", access: .signedIn, mode: .fastcgi, processes: 4, body: 256 * KiB, handle)

    public static func handle(_ context: Context) throws -> Response {
        let caller = try context.user()
        let id = try context.request.parameter("id")
        let body = try context.request.optionalJSON()
        let (result, mayComplete, courseId): (AttemptResult, Bool, String) = try context.transaction { db in
            let (attempt, quiz, locked) = try attemptWithQuiz(db, id: id, caller: caller)
            if attempt.submittedAt != nil {
                return (try AttemptResult.load(db, attemptId: id, quiz: quiz), false, attempt.courseId)
            }
            let questions = try QuestionSets.questions(db, quizId: quiz.id, version: locked.version)
            var answers = locked.answers
            let sent = try answerInput(body, attempt: attempt, questions: questions, required: false)
            if !attempt.expired && !sent.isEmpty {
                try saveAnswers(db, attemptId: id, sent)
                // Scored as saved: a null clears an answer.
                for (question, answer) in sent { answers[question] = answer == .null ? nil : answer }
            }
            let scored = try AttemptScoring.score(db, attempt, quiz: quiz, questions: questions, answers: answers)
            return (try AttemptResult.make(attempt, quiz: quiz, questions: questions, scored: scored), scored.mayComplete, attempt.courseId)
        }
        // Only a submit that changed what the rule counts can complete the course (the check reads
        // every required item: ~1 ms for a 200-lesson course). A completion missed by a crash
        // right after the commit is made by the learner's next lesson completion or first pass,
        // or by their progress page (GetCourseProgress).
        if mayComplete { try CourseCompletion.check(context, userId: caller.id, courseId: courseId) }
        var response = Response.ok(result, message: result.passed ? "Passed." : "Not passed.")
        response.headers.append(("Cache-Control", "private, no-store"))
        return response
    }

    /// What the lock statement also reads: the quiz's version (its `updated_at`, for
    /// `QuestionSets`) and the answers saved so far, by question.
    struct Locked {
        var version: String
        var answers: [String: JSONValue]
    }

    /// The caller's attempt, locked, with its quiz, the enrollment check and the saved answers,
    /// in one statement; refused as `AttemptRow.load` (404) and then
    /// `QuizSettings.load(_:id:learner:courseId:)` refuse.
    static func attemptWithQuiz(_ db: Connection, id: String, caller: Caller) throws -> (AttemptRow, QuizSettings, Locked) {
        guard isUUID(id) else { throw APIError.notFound("Attempt") }
        let row = try db.query(
            """
            SELECT \(fragment: AttemptRow.columns), \(fragment: QuizSettings.prefixedColumns),
                   \(fragment: LearnerAccess.learns(user: caller.id, courseColumn: "a.course_id")) AS learns,
                   q.updated_at::text AS q_version,
                   -- json, not jsonb: the pairs written as they come (one per question, by the key), where
                   -- jsonb_object_agg sorts them first: 0.1 ms of PostgreSQL's time per 50 answers, against 0.03.
                   (SELECT json_object_agg(qa.question_id, qa.answer)::text FROM quiz_answers qa WHERE qa.attempt_id = a.id) AS saved
            FROM quiz_attempts a JOIN quizzes q ON q.id = a.quiz_id
            WHERE a.id = \(id)
            FOR UPDATE OF a
            """
        ).first
        guard let row, try row.string("user_id") == caller.id else { throw APIError.notFound("Attempt") }
        let attempt = try AttemptRow(row)
        guard try row.bool("learns") else {
            _ = try LearnerAccess.enrolled(db, courseId: attempt.courseId, caller: caller)
            throw LearnerAccess.enrollmentRequired
        }
        var answers: [String: JSONValue] = [:]
        if let saved = try row.optionalString("saved") {
            guard case .object(let fields) = try StoredJSON.parse(saved) else {
                throw DatabaseError(.decoding, message: "saved answers are not an object")
            }
            answers = fields
        }
        return (attempt, try QuizSettings(row, prefix: "q_"), Locked(version: try row.string("q_version"), answers: answers))
    }
}

/// The questions (with their keys) of the quizzes this process has scored, by quiz and version.
/// A quiz's questions cannot change once it has attempts (`UpdateQuiz` refuses with 409), and
/// only attempts are scored, so a set stays right; the version (the quiz's `updated_at`, moved
/// by every edit) is checked as well, so a set read before an edit is never used after it.
/// Reading and parsing 50 questions with their options and keys was about a tenth of a submit.
enum QuestionSets {
    struct Entry: Sendable {
        var version: String
        var questions: [String: QuizQuestion]
    }

    static let kept = ProcessCache<Entry>(capacity: 200, maxBytes: 16 << 20) { entry in
        entry.questions.values.reduce(0) { $0 + 200 + $1.prompt.utf8.count + $1.options.reduce(0) { $0 + 32 + $1.utf8.count } }
    }

    static func questions(_ db: Connection, quizId: String, version: String) throws -> [String: QuizQuestion] {
        if let entry = kept.value(quizId)?.value, entry.version == version { return entry.questions }
        let questions = try AttemptScoring.questions(db, quizId: quizId)
        kept.keep(quizId, Entry(version: version, questions: questions))
        return questions
    }
}
