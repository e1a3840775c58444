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

/// `2026-12-31T23:59Z`, `2026-12-31T23:59:00.5+05:30`: an RFC 3339 time (seconds optional), with
/// a real calendar date and a year from 2000 to 2999, so PostgreSQL never sees one it refuses.
func isTimestamp(_ text: String) -> Bool {
    let b = Array(text.utf8)
    func digits(_ start: Int, _ count: Int) -> Int? {
        guard start + count <= b.count else { return nil }
        var value = 0
        for byte in b[start..<start + count] {
            guard (48...57).contains(byte) else { return nil }
            value = value * 10 + Int(byte - 48)
        }
        return value
    }
    guard b.count >= 17, let year = digits(0, 4), b[4] == UInt8(ascii: "-"), let month = digits(5, 2), b[7] == UInt8(ascii: "-"),
        let day = digits(8, 2), b[10] == UInt8(ascii: "T") || b[10] == UInt8(ascii: "t") || b[10] == UInt8(ascii: " "),
        let hour = digits(11, 2), b[13] == UInt8(ascii: ":"), let minute = digits(14, 2),
        (2000...2999).contains(year), (1...12).contains(month), hour < 24, minute < 60
    else { return false }
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
    guard (1...[31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]).contains(day) else { return false }
    var index = 16
    if index < b.count, b[index] == UInt8(ascii: ":") {
        guard let second = digits(index + 1, 2), second < 60 else { return false }
        index += 3
        if index < b.count, b[index] == UInt8(ascii: ".") {
            index += 1
            let start = index
            while index < b.count, (48...57).contains(b[index]) { index += 1 }
            guard index > start, index - start <= 6 else { return false }
        }
    }
    guard index < b.count else { return false }
    if b[index] == UInt8(ascii: "Z") || b[index] == UInt8(ascii: "z") { return index + 1 == b.count }
    guard b[index] == UInt8(ascii: "+") || b[index] == UInt8(ascii: "-"), index + 6 == b.count, let zoneHour = digits(index + 1, 2),
        b[index + 3] == UInt8(ascii: ":"), let zoneMinute = digits(index + 4, 2)
    else { return false }
    return zoneHour < 15 && zoneMinute < 60
}
