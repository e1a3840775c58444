import Core
import Database

/// One question with its answer key: what authors write and what scoring reads. Learners
/// never see this type; they get `AttemptQuestion`, which has no key.
struct QuizQuestion: Sendable {
    enum Kind: String, Sendable, CaseIterable {
        case singleChoice = "single_choice"
        case multipleChoice = "multiple_choice"
        case trueFalse = "true_false"
        case shortAnswer = "short_answer"
    }

    var id: String
    let kind: Kind
    var prompt: String
    var options: [String]
    /// single: an option index; multiple: indexes; true/false: a boolean; short: accepted texts.
    let correct: JSONValue
    var points: Int
    /// A short answer's accepted texts as `normalized` leaves them, made once per question
    /// (the question sets that submits score with are kept by the process).
    private let accepted: [String]

    static let columns: SQL = "qq.id, qq.kind, qq.prompt, qq.options::text AS options, qq.correct::text AS correct, qq.points"

    init(id: String, kind: Kind, prompt: String, options: [String], correct: JSONValue, points: Int) {
        self.id = id
        self.kind = kind
        self.prompt = prompt
        self.options = options
        self.correct = correct
        self.points = points
        accepted = Self.accepted(kind, correct)
    }

    private static func accepted(_ kind: Kind, _ correct: JSONValue) -> [String] {
        guard kind == .shortAnswer, case .array(let texts) = correct else { return [] }
        return texts.compactMap { $0.stringValue.map(normalized) }
    }

    init(_ row: Row) throws {
        id = try row.string("id")
        guard let kind = Kind(rawValue: try row.string("kind")) else {
            throw DatabaseError(.decoding, message: "unknown question kind")
        }
        self.kind = kind
        prompt = try row.string("prompt")
        guard case .array(let list) = try StoredJSON.parse(try row.string("options")) else {
            throw DatabaseError(.decoding, message: "options is not an array")
        }
        options = list.compactMap(\.stringValue)
        correct = try StoredJSON.parse(try row.string("correct"))
        points = try row.int("points")
        accepted = Self.accepted(kind, correct)
    }

    /// Whether `answer` earns the points: single choice and true/false exactly; multiple choice
    /// only the exact set (no partial credit); short answers ignore case, surrounding spaces and
    /// repeated inner spaces.
    func isCorrect(_ answer: JSONValue?) -> Bool {
        guard let answer else { return false }
        switch kind {
        case .singleChoice, .trueFalse:
            return answer == correct
        case .multipleChoice:
            guard case .array(let given) = answer, case .array(let key) = correct else { return false }
            return Set(given.compactMap(\.intValue)) == Set(key.compactMap(\.intValue))
                && given.count == Set(given.compactMap(\.intValue)).count
        case .shortAnswer:
            guard case .string(let text) = answer else { return false }
            return accepted.contains(Self.normalized(text))
        }
    }

    static func normalized(_ text: String) -> String {
        text.lowercased().split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).joined(separator: " ")
    }

    /// A learner's answer in the right shape for this question, or a reason it is not.
    func check(_ answer: JSONValue, optionCount: Int) -> String? {
        switch kind {
        case .singleChoice:
            guard let index = answer.intValue, (0..<optionCount).contains(index) else { return "must be an option id" }
        case .multipleChoice:
            guard case .array(let list) = answer, list.count <= optionCount,
                list.allSatisfy({ $0.intValue.map { (0..<optionCount).contains($0) } ?? false })
            else { return "must be a list of option ids" }
        case .trueFalse:
            guard case .bool = answer else { return "must be true or false" }
        case .shortAnswer:
            guard case .string(let text) = answer, text.unicodeScalars.count <= 500 else {
                return "must be a text of at most 500 characters"
            }
        }
        return nil
    }
}

extension JSONValue {
    var stringValue: String? { if case .string(let value) = self { return value } else { return nil } }
    var intValue: Int? {
        if case .number(let value) = self, value.rounded() == value, abs(value) < 1e9 { return Int(value) }
        return nil
    }
}

/// JSON text for a jsonb parameter.
func jsonText(_ value: some Encodable) throws -> String { String(decoding: try encodeJSON(value), as: UTF8.self) }
