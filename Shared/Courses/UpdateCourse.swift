import Auth
import Core
import Database
import Runtime

/// `PATCH /api/v1/courses/{id}`: the course's instructor or an admin edits its details.
/// Absent fields stay; null clears optional ones. A course under review (`submitted`) or
/// archived cannot be edited (409).
public enum UpdateCourse {
    public static let endpoint = Endpoint(.patch, "/api/v1/courses/{id}", access: .roles([.instructor, .admin]), body: 64 * KiB, handle)

    public static func handle(_ context: Context) throws -> Response {
        let caller = try context.user()
        let id = try context.request.parameter("id")
        var fields = try Fields(context.request.json())
        let course: CourseView = try context.transaction { db in
            let current = try editableCourse(db, id: id, caller: caller, lock: true)
            let input = try CourseInput(&fields, db: db, creating: false)
            guard current.status != "submitted" && current.status != "archived" else {
                throw APIError.conflict("A course that is \(current.status) cannot be edited.", code: "course_locked")
            }
            guard
                let row = try db.query(
                    """
                    WITH c AS (
                        UPDATE courses SET
                            title = coalesce(\(input.title.value), title),
                            subtitle = CASE WHEN \(input.subtitle.isPresent) THEN \(input.subtitle.value) ELSE subtitle END,
                            description = CASE WHEN \(input.description.isPresent) THEN coalesce(\(input.description.value), '') ELSE description END,
                            category_id = CASE WHEN \(input.categoryId.isPresent) THEN \(input.categoryId.value) ELSE category_id END,
                            level = coalesce(\(input.level), level),
                            language = coalesce(\(input.language), language),
                            price_minor = coalesce(\(input.priceMinor), price_minor),
                            currency = coalesce(\(input.currency), currency),
                            thumbnail_url = CASE WHEN \(input.thumbnailUrl.isPresent) THEN \(input.thumbnailUrl.value) ELSE thumbnail_url END,
                            tags = coalesce(\(input.tags.map(TextArray.init))::text[], tags),
                            outcomes = coalesce(\(input.outcomes.map(TextArray.init))::text[], outcomes),
                            requirements = coalesce(\(input.requirements.map(TextArray.init))::text[], requirements),
                            updated_at = now()
                        WHERE id = \(id)
                        RETURNING *
                    )
                    SELECT \(fragment: CourseView.columns) FROM c
                    """
                ).first
            else { throw APIError.notFound("Course") }
            return try CourseView(row)
        }
        return .ok(course, message: "Course updated.")
    }
}
