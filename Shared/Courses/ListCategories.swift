import Core
import Database
import Runtime

/// `GET /api/v1/categories`: every category with its number of published courses.
public enum ListCategories {
    public static let endpoint = Endpoint(.get, "/api/v1/categories", access: .anyone, mode: .fastcgi, handle)

    struct Category: Encodable, Sendable {
        var slug: String
        var name: String
        var courseCount: Int
    }

    public static func handle(_ context: Context) throws -> Response {
        let rows = try context.db().query(
            """
            SELECT k.slug, k.name, count(c.id)::int AS n FROM categories k
            LEFT JOIN courses c ON c.category_id = k.id AND c.status = 'published'
            GROUP BY k.id ORDER BY k.name
            """
        ).rows
        return .ok(try rows.map { Category(slug: try $0.string("slug"), name: try $0.string("name"), courseCount: try $0.int("n")) })
    }
}
