import Core
import Database

/// The settings and questions of a quiz as authors send them (create: every required field;
/// update: only what changes).
struct QuizInput {
    var title: String?
    var afterLessonId: Patch<String>
    var passPercent: Int?
    var maxAttempts: Patch<Int>
    var timeLimitSeconds: Patch<Int>
    var shuffleQuestions: Bool?
    var shuffleOptions: Bool?
    var showAnswers: Bool?
    var isRequired: Bool?
    /// The whole list, replacing the current one.
    var questions: [QuizQuestion]?

    static let maxQuestions = 200

    /// Whether the change would alter how submitted attempts were scored.
    var changesScoring: Bool { passPercent != nil || questions != nil }

    init(_ fields: inout Fields, creating: Bool) throws {
        title = creating ? fields.string("title", max: 120) : fields.optionalString("title", min: 1, max: 120)
        fields.checkDisplayText("title", title)
        afterLessonId = fields.patchString("after_lesson_id", max: 36)
        if let id = afterLessonId.value, !isUUID(id) { fields.fail("after_lesson_id", "must be a lesson id") }
        passPercent = fields.has("pass_percent") ? fields.int("pass_percent", min: 0, max: 100) : nil
        maxAttempts = Self.optionalInt(&fields, "max_attempts", min: 1, max: 100)
        timeLimitSeconds = Self.optionalInt(&fields, "time_limit_seconds", min: 10, max: 86_400)
        shuffleQuestions = fields.has("shuffle_questions") ? fields.bool("shuffle_questions", default: false) : nil
        shuffleOptions = fields.has("shuffle_options") ? fields.bool("shuffle_options", default: false) : nil
        showAnswers = fields.has("show_answers") ? fields.bool("show_answers", default: true) : nil
        isRequired = fields.has("is_required") ? fields.bool("is_required", default: true) : nil
        if creating || fields.has("questions") {
            questions = Self.questions(&fields)
        }
        try fields.finish()
    }

    /// A number, or null to clear it (unlimited attempts, no time limit).
    static func optionalInt(_ fields: inout Fields, _ key: String, min: Int, max: Int) -> Patch<Int> {
        guard let value = fields.object[key] else { return .absent }
        if value == .null { return .null }
        return fields.int(key, min: min, max: max).map { .value($0) } ?? .absent
    }

    static func questions(_ fields: inout Fields) -> [QuizQuestion]? {
        guard case .array(let list)? = fields.object["questions"], (1...maxQuestions).contains(list.count) else {
            fields.fail("questions", "must be a list of 1 to \(maxQuestions) questions")
            return nil
        }
        var result: [QuizQuestion] = []
        for (index, item) in list.enumerated() {
            let name = "questions[\(index)]"
            guard case .object = item, var question = try? Fields(item) else {
                fields.fail(name, "must be an object")
                continue
            }
            let kind = question.oneOf("kind", QuizQuestion.Kind.allCases.map(\.rawValue)).flatMap(QuizQuestion.Kind.init(rawValue:))
            let prompt = question.string("prompt", max: 2000, multiline: true)
            let points = question.int("points", min: 0, max: 1000, default: 1)
            var options: [String] = []
            if kind == .singleChoice || kind == .multipleChoice {
                options = question.stringList("options", maxItems: 20, maxLength: 500) ?? []
                if options.count < 2 { question.fail("options", "must list 2 to 20 choices") }
            } else if question.has("options") {
                question.fail("options", "only choice questions have options")
            }
            let correct = question.object["correct"] ?? .null
            var keyProblem: String?
            switch kind {
            case .singleChoice?:
                if correct.intValue.map({ !(0..<options.count).contains($0) }) ?? true { keyProblem = "must be the index of an option" }
            case .multipleChoice?:
                if case .array(let indexes) = correct, !indexes.isEmpty,
                    indexes.allSatisfy({ $0.intValue.map { (0..<options.count).contains($0) } ?? false }),
                    Set(indexes.compactMap(\.intValue)).count == indexes.count
                {
                } else {
                    keyProblem = "must be a list of distinct option indexes"
                }
            case .trueFalse?:
                if case .bool = correct {} else { keyProblem = "must be true or false" }
            case .shortAnswer?:
                if case .array(let texts) = correct, (1...20).contains(texts.count),
                    texts.allSatisfy({ $0.stringValue.map { !$0.trimmed().isEmpty && $0.unicodeScalars.count <= 500 } ?? false })
                {
                } else {
                    keyProblem = "must be a list of 1 to 20 accepted answers"
                }
            case nil:
                break
            }
            if let keyProblem { question.fail("correct", keyProblem) }
            for error in question.errors { fields.fail("\(name).\(error.field)", error.message) }
            if question.errors.isEmpty, let kind, let prompt, let points {
                result.append(QuizQuestion(id: "", kind: kind, prompt: prompt, options: options, correct: correct, points: points))
            }
        }
        return result
    }

    /// Writes the questions of a quiz (its current ones removed first).
    static func replaceQuestions(_ db: Connection, quizId: String, _ questions: [QuizQuestion]) throws {
        try db.execute("DELETE FROM quiz_questions WHERE quiz_id = \(quizId)")
        try db.execute(
            """
            INSERT INTO quiz_questions (quiz_id, position, kind, prompt, options, correct, points)
            SELECT \(quizId), t.n, t.kind, t.prompt, t.options::jsonb, t.correct::jsonb, t.points::int
            FROM unnest(\(TextArray(questions.map(\.kind.rawValue)))::text[], \(TextArray(questions.map(\.prompt)))::text[],
                        \(TextArray(try questions.map { try jsonText($0.options) }))::text[],
                        \(TextArray(try questions.map { try jsonText($0.correct) }))::text[],
                        \(TextArray(questions.map { String($0.points) }))::text[])
                 WITH ORDINALITY AS t (kind, prompt, options, correct, points, n)
            """)
    }
}
