import Auth
import Core
import Database
import Runtime

/// The editable fields of a course, read and validated once for create (required title) and
/// update (every field optional; null clears what may be empty).
struct CourseInput {
    static let levels = ["beginner", "intermediate", "advanced", "all_levels"]

    var title: Patch<String>
    var subtitle: Patch<String>
    var description: Patch<String>
    var categoryId: Patch<Int>
    var level: String?
    var language: String?
    var priceMinor: Int?
    var currency: String?
    var thumbnailUrl: Patch<String>
    var tags: [String]?
    var outcomes: [String]?
    var requirements: [String]?

    /// Reads the body; throws 422 listing every invalid field.
    init(_ fields: inout Fields, db: Connection, creating: Bool) throws {
        if creating && !fields.has("title") { fields.fail("title", "is required") }
        title = fields.patchString("title", min: 3, max: 120, nullable: false)
        subtitle = fields.patchString("subtitle", max: 200)
        fields.checkDisplayText("title", title)
        fields.checkDisplayText("subtitle", subtitle)
        description = fields.patchString("description", max: 20000, multiline: true)
        level = fields.has("level") ? fields.oneOf("level", CourseInput.levels) : nil
        language = fields.optionalString("language", max: 5)
        if let value = language, !CourseInput.isLanguage(value) { fields.fail("language", "must be a language code such as en or pt-BR") }
        priceMinor = fields.has("price_minor") ? fields.int("price_minor", min: 0, max: 100_000_000) : nil
        currency = fields.optionalString("currency", max: 3)
        if let value = currency, !(value.utf8.count == 3 && value.utf8.allSatisfy({ $0 >= 65 && $0 <= 90 })) {
            fields.fail("currency", "must be an ISO 4217 code such as INR or USD")
        }
        thumbnailUrl = fields.patchString("thumbnail_url", max: 2048)
        if let value = thumbnailUrl.value, !isWebURL(value) { fields.fail("thumbnail_url", "must be an http(s) URL") }
        tags = fields.stringList("tags", maxItems: 10, maxLength: 30)
        outcomes = fields.stringList("outcomes", maxItems: 20, maxLength: 200)
        requirements = fields.stringList("requirements", maxItems: 20, maxLength: 200)
        categoryId = .absent
        switch fields.patchString("category", max: 64) {
        case .absent: break
        case .null: categoryId = .null
        case .value(let slug):
            if let row = try db.query("SELECT id FROM categories WHERE slug = \(slug)").first {
                categoryId = .value(try row.int("id"))
            } else {
                fields.fail("category", "is not a known category (GET /api/v1/categories)")
            }
        }
        try fields.finish()
    }

    /// "en", "pt-BR".
    static func isLanguage(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        let lower = { (b: UInt8) in b >= 97 && b <= 122 }
        let upper = { (b: UInt8) in b >= 65 && b <= 90 }
        if bytes.count == 2 { return bytes.allSatisfy(lower) }
        return bytes.count == 5 && lower(bytes[0]) && lower(bytes[1]) && bytes[2] == UInt8(ascii: "-") && upper(bytes[3]) && upper(bytes[4])
    }
}

/// The course with `id` for a caller who may change it: its instructor, or an admin. Anyone
/// else (and a malformed id) gets 404, as if it did not exist.
public func editableCourse(_ db: Connection, id: String, caller: Caller, lock: Bool = false) throws -> CourseView {
    guard isUUID(id) else { throw APIError.notFound("Course") }
    let row =
        lock
        ? try db.query("SELECT \(fragment: CourseView.columns) FROM courses c WHERE c.id = \(id) FOR UPDATE").first
        : try db.query("SELECT \(fragment: CourseView.columns) FROM courses c WHERE c.id = \(id)").first
    guard let row else { throw APIError.notFound("Course") }
    let course = try CourseView(row)
    guard course.instructorId == caller.id || caller.role == .admin else { throw APIError.notFound("Course") }
    return course
}

/// Records a state change of a course (who, when, from, to, why).
func recordEvent(_ db: Connection, courseId: String, actor: String, from: String?, to: String, reason: String? = nil) throws {
    try db.execute(
        """
        INSERT INTO course_events (course_id, actor_id, from_status, to_status, reason)
        VALUES (\(courseId), \(actor), \(from), \(to), \(reason))
        """)
}
