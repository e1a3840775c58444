import Core
import Database

/// The file kinds an assignment may accept, and the upload content types each stands for.
enum SubmissionFileKind: String, CaseIterable {
    case pdf, image, zip, office, text

    var contentTypes: [String] {
        switch self {
        case .pdf: return ["application/pdf"]
        case .image: return ["image/jpeg", "image/png"]
        case .zip: return ["application/zip"]
        case .office:
            return [
                "application/vnd.openxmlformats-officedocument.presentationml.presentation",
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "application/vnd.ms-powerpoint", "application/msword", "application/vnd.ms-excel",
            ]
        case .text: return ["text/plain"]
        }
    }
}

/// An assignment as authors send it.
struct AssignmentInput {
    var title: String?
    var instructions: String?
    var dueAt: Patch<String>
    var maxPoints: Int?
    var passPoints: Int?
    var fileKinds: [String]?
    var allowLate: Bool?
    var isRequired: Bool?

    init(_ fields: inout Fields, creating: Bool) throws {
        title = creating ? fields.string("title", max: 120) : fields.optionalString("title", min: 1, max: 120)
        fields.checkDisplayText("title", title)
        instructions = fields.optionalString("instructions", max: 20_000, multiline: true)
        dueAt = fields.patchString("due_at", max: 40)
        if let due = dueAt.value, !isTimestamp(due) {
            fields.fail("due_at", "must be a date and time such as 2026-12-31T23:59:00Z")
        }
        maxPoints = fields.has("max_points") ? fields.int("max_points", min: 1, max: 1000) : nil
        passPoints = fields.has("pass_points") ? fields.int("pass_points", min: 0, max: 1000) : nil
        if let pass = passPoints, pass > (maxPoints ?? 100) { fields.fail("pass_points", "must not exceed max_points") }
        fileKinds = fields.stringList("file_kinds", maxItems: 5, maxLength: 10)
        if let kinds = fileKinds, !kinds.allSatisfy({ SubmissionFileKind(rawValue: $0) != nil }) {
            fields.fail("file_kinds", "must list kinds among: " + SubmissionFileKind.allCases.map(\.rawValue).joined(separator: ", "))
        }
        allowLate = fields.has("allow_late") ? fields.bool("allow_late", default: true) : nil
        isRequired = fields.has("is_required") ? fields.bool("is_required", default: true) : nil
        try fields.finish()
    }
}
