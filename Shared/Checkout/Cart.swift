import Auth
import Core
import Database

/// The courses of an order, checked for sale to this buyer: published, paid, not their own,
/// not already theirs, each once, all in one currency. Every problem is reported per field
/// (`course_ids[2]`): 422 for a cart that cannot be bought, 409 for a course already owned.
struct Cart: Equatable {
    struct Item: Equatable {
        var courseId: String
        var title: String
        var instructorId: String
        var priceMinor: Int
        var currency: String
    }

    var items: [Item]
    var currency: String { items[0].currency }
    /// The courses' prices before any coupon or added tax.
    var listTotal: Int { items.reduce(0) { $0 + $1.priceMinor } }

    /// Largest cart.
    static let maxItems = 20

    /// Reads and checks the courses; `lock` holds their rows (price, status) until the
    /// transaction ends, so the order is written at the prices it was checked at.
    static func check(_ db: Connection, courseIds: [String], buyer: Caller, lock: Bool) throws -> Cart {
        var invalid: [FieldError] = []
        var seen: Set<String> = []
        for (index, id) in courseIds.enumerated() {
            if !isUUID(id) {
                invalid.append(FieldError(field: "course_ids[\(index)]", message: "is not a course id"))
            } else if !seen.insert(id).inserted {
                invalid.append(FieldError(field: "course_ids[\(index)]", message: "is in the cart twice"))
            }
        }
        let ids = courseIds.filter(isUUID)
        let rows = try db.query(
            """
            SELECT c.id::text AS id, c.title, c.instructor_id::text AS instructor_id, c.price_minor, c.currency, c.status,
                   EXISTS (SELECT 1 FROM enrollments e WHERE e.user_id = \(buyer.id) AND e.course_id = c.id) AS owned
            FROM courses c WHERE c.id = ANY(\(TextArray(ids))::uuid[])
            \(fragment: lock ? "FOR SHARE OF c" : "")
            """
        ).rows
        var found: [String: Row] = [:]
        for row in rows { found[try row.string("id")] = row }

        var items: [Item] = []
        var owned: [FieldError] = []
        for (index, id) in courseIds.enumerated() where isUUID(id) && !invalid.contains(where: { $0.field == "course_ids[\(index)]" }) {
            let field = "course_ids[\(index)]"
            guard let row = found[id], try row.string("status") == "published" else {
                invalid.append(FieldError(field: field, message: "is not a course on sale"))
                continue
            }
            if try row.int("price_minor") == 0 {
                invalid.append(FieldError(field: field, message: "is free: enroll in it instead"))
            } else if try row.string("instructor_id") == buyer.id {
                invalid.append(FieldError(field: field, message: "is your own course"))
            } else if try row.bool("owned") {
                owned.append(FieldError(field: field, message: "is already yours"))
            } else {
                items.append(
                    Item(
                        courseId: id, title: try row.string("title"), instructorId: try row.string("instructor_id"),
                        priceMinor: try row.int("price_minor"), currency: try row.string("currency")))
            }
        }
        let currencies = Set(items.map(\.currency))
        if currencies.count > 1 {
            invalid.append(
                FieldError(
                    field: "course_ids", message: "mixes currencies (\(currencies.sorted().joined(separator: ", "))): buy them separately"))
        }
        if !invalid.isEmpty { throw APIError.invalid(invalid) }
        if !owned.isEmpty {
            throw APIError(status: 409, code: "already_enrolled", message: "You already have a course in this cart.", fieldErrors: owned)
        }
        return Cart(items: items)
    }
}
