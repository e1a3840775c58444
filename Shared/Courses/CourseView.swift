import Core
import Database
import Runtime

/// A course as its instructor and admins see it (every field, every state).
public struct CourseView: Encodable, Sendable {
    public var id: String
    public var instructorId: String
    public var title: String
    public var subtitle: String?
    public var description: String
    public var category: String?
    public var level: String
    public var language: String
    public var priceMinor: Int
    public var currency: String
    public var thumbnailUrl: String?
    public var tags: JSONValue
    public var outcomes: JSONValue
    public var requirements: JSONValue
    public var status: String
    public var rejectionReason: String?
    public var ratingAverage: Double
    public var ratingCount: Int
    public var enrollmentCount: Int
    public var publishedAt: String?
    public var createdAt: String
    public var updatedAt: String

    /// The columns `init(_:)` reads, for `SELECT ... FROM courses c`.
    public static let columns: SQL = """
        c.id, c.instructor_id, c.title, c.subtitle, c.description,
        (SELECT slug FROM categories WHERE id = c.category_id) AS category, c.level, c.language, c.price_minor,
        c.currency, c.thumbnail_url, to_json(c.tags)::text AS tags, to_json(c.outcomes)::text AS outcomes,
        to_json(c.requirements)::text AS requirements, c.status, c.rejection_reason, c.rating_average::float8 AS rating_average,
        c.rating_count, c.enrollment_count, c.published_at, c.created_at, c.updated_at
        """

    public init(_ row: Row) throws {
        func json(_ column: String) throws -> JSONValue { (try? JSONValue.parse(Array(try row.string(column).utf8))) ?? .array([]) }
        id = try row.string("id")
        instructorId = try row.string("instructor_id")
        title = try row.string("title")
        subtitle = try row.optionalString("subtitle")
        description = try row.string("description")
        category = try row.optionalString("category")
        level = try row.string("level")
        language = try row.string("language")
        priceMinor = try row.int("price_minor")
        currency = try row.string("currency")
        thumbnailUrl = try row.optionalString("thumbnail_url")
        tags = try json("tags")
        outcomes = try json("outcomes")
        requirements = try json("requirements")
        status = try row.string("status")
        rejectionReason = try row.optionalString("rejection_reason")
        ratingAverage = try row.double("rating_average")
        ratingCount = try row.int("rating_count")
        enrollmentCount = try row.int("enrollment_count")
        publishedAt = try row.optionalTimestamp("published_at")
        createdAt = try row.timestamp("created_at")
        updatedAt = try row.timestamp("updated_at")
    }

    enum CodingKeys: String, CodingKey {
        case id, instructorId, title, subtitle, description, category, level, language, priceMinor, currency, thumbnailUrl, tags,
            outcomes, requirements, status, rejectionReason, ratingAverage, ratingCount, enrollmentCount, publishedAt, createdAt,
            updatedAt
    }

    /// Optional fields are present as null.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(instructorId, forKey: .instructorId)
        try c.encode(title, forKey: .title)
        try c.encode(subtitle, forKey: .subtitle)
        try c.encode(description, forKey: .description)
        try c.encode(category, forKey: .category)
        try c.encode(level, forKey: .level)
        try c.encode(language, forKey: .language)
        try c.encode(priceMinor, forKey: .priceMinor)
        try c.encode(currency, forKey: .currency)
        try c.encode(thumbnailUrl, forKey: .thumbnailUrl)
        try c.encode(tags, forKey: .tags)
        try c.encode(outcomes, forKey: .outcomes)
        try c.encode(requirements, forKey: .requirements)
        try c.encode(status, forKey: .status)
        try c.encode(rejectionReason, forKey: .rejectionReason)
        try c.encode(ratingAverage, forKey: .ratingAverage)
        try c.encode(ratingCount, forKey: .ratingCount)
        try c.encode(enrollmentCount, forKey: .enrollmentCount)
        try c.encode(publishedAt, forKey: .publishedAt)
        try c.encode(createdAt, forKey: .createdAt)
        try c.encode(updatedAt, forKey: .updatedAt)
    }
}
