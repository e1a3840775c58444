import Auth
import Core
import Database
import Runtime

/// `POST /api/v1/courses`: an instructor (or admin) starts a course; it begins as a draft.
public enum CreateCourse {
    public static let endpoint = Endpoint(.post, "/api/v1/courses", access: .roles([.instructor, .admin]), body: 64 * KiB, handle)

    public static func handle(_ context: Context) throws -> Response {
        let caller = try context.user()
        var fields = try Fields(context.request.json())
        let course: CourseView = try context.transaction { db in
            let input = try CourseInput(&fields, db: db, creating: true)
            guard
                let row = try db.query(
                    """
                    WITH c AS (
                        INSERT INTO courses (instructor_id, title, subtitle, description, category_id, level, language, price_minor,
                                             currency, thumbnail_url, tags, outcomes, requirements)
                        VALUES (\(caller.id), \(input.title.value ?? ""), \(input.subtitle.value), \(input.description.value ?? ""),
                                \(input.categoryId.value), \(input.level ?? "all_levels"), \(input.language ?? "en"),
                                \(input.priceMinor ?? 0), \(input.currency ?? "INR"), \(input.thumbnailUrl.value),
                                \(TextArray(input.tags ?? []))::text[], \(TextArray(input.outcomes ?? []))::text[],
                                \(TextArray(input.requirements ?? []))::text[])
                        RETURNING *
                    )
                    SELECT \(fragment: CourseView.columns) FROM c
                    """
                ).first
            else { throw APIError.internalError }
            let course = try CourseView(row)
            try recordEvent(db, courseId: course.id, actor: caller.id, from: nil, to: "draft")
            return course
        }
        return .created(course, message: "Course created as a draft.")
    }
}
