import Auth
import Core
import Courses
import Database
import Runtime

/// A coupon as its owner (or an admin) sees it.
struct CouponView: Encodable, Sendable {
    var id: String
    var code: String
    var scope: String
    var kind: String
    @Nullable var percentOff: Int?
    @Nullable var amountOffMinor: Int?
    @Nullable var currency: String?
    var minOrderMinor: Int
    @Nullable var startsAt: String?
    @Nullable var endsAt: String?
    @Nullable var maxUses: Int?
    @Nullable var maxUsesPerUser: Int?
    var usedCount: Int
    var active: Bool
    var courseIds: [String]
    var ownerId: String
    var createdAt: String

    static let columns: SQL = """
        c.id::text AS id, c.code, c.scope, c.kind, c.percent_off, c.amount_off_minor, c.currency, c.min_order_minor, c.starts_at, c.ends_at,
        c.max_uses, c.max_uses_per_user, c.used_count, c.active, c.owner_id::text AS owner_id, c.created_at, c.created_at::text AS cursor_time,
        (SELECT string_agg(course_id::text, ',' ORDER BY course_id) FROM coupon_courses WHERE coupon_id = c.id) AS courses
        """

    init(_ row: Row) throws {
        id = try row.string("id")
        code = try row.string("code")
        scope = try row.string("scope")
        kind = try row.string("kind")
        percentOff = try row.optionalInt("percent_off")
        amountOffMinor = try row.optionalInt("amount_off_minor")
        currency = try row.optionalString("currency")
        minOrderMinor = try row.int("min_order_minor")
        startsAt = try row.optionalTimestamp("starts_at")
        endsAt = try row.optionalTimestamp("ends_at")
        maxUses = try row.optionalInt("max_uses")
        maxUsesPerUser = try row.optionalInt("max_uses_per_user")
        usedCount = try row.int("used_count")
        active = try row.bool("active")
        courseIds = try (row.optionalString("courses") ?? "").split(separator: ",").map(String.init)
        ownerId = try row.string("owner_id")
        createdAt = try row.timestamp("created_at")
    }

    static func find(_ db: Connection, id: String) throws -> CouponView? {
        guard isUUID(id) else { return nil }
        return try db.query("SELECT \(fragment: columns) FROM coupons c WHERE c.id = \(id)::uuid").first.map(CouponView.init)
    }
}

/// `POST /api/v1/coupons`: admins make site-wide coupons, instructors coupons for their own
/// courses (`course_ids`, or all of them). `code` (3–32 letters, digits, `-`, `_`; stored in
/// capitals), `kind` `percent` (`percent_off`) or `fixed` (`amount_off_minor` + `currency`),
/// optional `min_order_minor` (with `currency`), `starts_at`, `ends_at`, `max_uses`,
/// `max_uses_per_user`. 409 `coupon_code_taken`.
public enum CreateCoupon {
    public static let endpoint = Endpoint(.post, "/api/v1/coupons", access: .roles([.instructor, .admin]), body: 8 * KiB, handle)

    public static func handle(_ context: Context) throws -> Response {
        let caller = try context.user()
        var fields = try Fields(context.request.json())
        let code = fields.string("code", min: 3, max: 32)?.uppercased()
        if let code,
            !code.utf8.allSatisfy({ (48...57).contains($0) || (65...90).contains($0) || $0 == 45 || $0 == 95 }) || code.hasPrefix("-")
                || code.hasPrefix("_")
        {
            fields.fail("code", "must be letters, digits, - and _, starting with a letter or digit")
        }
        let kind = fields.oneOf("kind", ["percent", "fixed"])
        let percent = kind == "percent" ? fields.int("percent_off", min: 1, max: 100) : nil
        let amount = kind == "fixed" ? fields.int("amount_off_minor", min: 1, max: 100_000_000) : nil
        let currency = fields.optionalString("currency", min: 3, max: 3)
        if let currency, !currency.utf8.allSatisfy({ (65...90).contains($0) }) {
            fields.fail("currency", "must be an ISO 4217 code such as INR")
        }
        let minimum = fields.int("min_order_minor", min: 0, max: 1_000_000_000, default: 0) ?? 0
        if currency == nil, kind == "fixed" || minimum > 0 { fields.fail("currency", "is required for a fixed amount or a minimum order") }
        let startsAt = fields.optionalString("starts_at", max: 40)
        let endsAt = fields.optionalString("ends_at", max: 40)
        for (key, value) in [("starts_at", startsAt), ("ends_at", endsAt)] where value.map(isTimestamp) == false {
            fields.fail(key, "must be a date and time such as 2026-12-31T23:59:00Z")
        }
        let maxUses = fields.object["max_uses", default: .null] != .null ? fields.int("max_uses", min: 1, max: 1_000_000) : nil
        let maxPerUser =
            fields.object["max_uses_per_user", default: .null] != .null ? fields.int("max_uses_per_user", min: 1, max: 1000) : nil
        let courseIds = fields.stringList("course_ids", maxItems: 100, maxLength: 36) ?? []
        if caller.role == .admin, !courseIds.isEmpty { fields.fail("course_ids", "site-wide coupons apply to every course") }
        if !courseIds.allSatisfy(isUUID) { fields.fail("course_ids", "must be course ids") }
        try fields.finish()
        guard let code, let kind else { throw APIError.invalid([]) }

        let id: String = try context.transaction { db in
            if !courseIds.isEmpty {
                let own = try db.query(
                    """
                    SELECT count(*) AS n FROM courses WHERE id = ANY(\(TextArray(courseIds))::uuid[]) AND instructor_id = \(caller.id)
                    """
                ).one().int("n")
                guard own == Set(courseIds).count else { throw APIError.invalid(field: "course_ids", "must all be your own courses") }
            }
            if let startsAt, let endsAt,
                try db.query("SELECT \(startsAt)::timestamptz < \(endsAt)::timestamptz AS ordered").one().bool("ordered") == false
            {
                throw APIError.invalid(field: "ends_at", "must be after starts_at")
            }
            guard
                let row = try db.query(
                    """
                    INSERT INTO coupons (code, owner_id, scope, kind, percent_off, amount_off_minor, currency, min_order_minor, starts_at, ends_at,
                                         max_uses, max_uses_per_user)
                    VALUES (\(code), \(caller.id), \(caller.role == .admin ? "site" : "instructor"), \(kind), \(percent), \(amount), \(currency),
                            \(minimum), \(startsAt)::timestamptz, \(endsAt)::timestamptz, \(maxUses), \(maxPerUser))
                    ON CONFLICT (code) DO NOTHING
                    RETURNING id::text
                    """
                ).first
            else { throw APIError.conflict("A coupon with this code exists already.", code: "coupon_code_taken") }
            let id = try row.string("id")
            for courseId in Set(courseIds) {
                try db.execute("INSERT INTO coupon_courses (coupon_id, course_id) VALUES (\(id)::uuid, \(courseId)::uuid)")
            }
            return id
        }
        guard let coupon = try CouponView.find(context.db(), id: id) else { throw APIError.notFound("Coupon") }
        return .created(coupon, message: "Coupon created.")
    }
}

/// `GET /api/v1/coupons`: an instructor's own coupons; every coupon for admins. Newest first.
public enum ListCoupons {
    public static let endpoint = Endpoint(.get, "/api/v1/coupons", access: .roles([.instructor, .admin]), handle)

    public static func handle(_ context: Context) throws -> Response {
        let caller = try context.user()
        let (limit, after) = try CourseCursor.page(context.request)
        let owner: String? = caller.role == .admin ? nil : caller.id
        let rows = try context.db().query(
            """
            SELECT \(fragment: CouponView.columns) FROM coupons c
            WHERE (\(owner)::uuid IS NULL OR c.owner_id = \(owner)::uuid)
              AND (\(after?.time)::timestamptz IS NULL OR (c.created_at, c.id) < (\(after?.time)::timestamptz, \(after?.id)::uuid))
            ORDER BY c.created_at DESC, c.id DESC LIMIT \(limit + 1)
            """
        ).rows
        let next = try CourseCursor.next(rows, limit: limit)
        return .ok(Page(coupons: try rows.prefix(limit).map(CouponView.init), nextCursor: next))
    }

    struct Page: Encodable, Sendable {
        var coupons: [CouponView]
        @Nullable var nextCursor: String?
    }
}

/// `PATCH /api/v1/coupons/{id}` (its owner, admins): `active`, `ends_at` (null: no end),
/// `max_uses` (null: no limit; not below the uses so far), `max_uses_per_user`. The terms that
/// priced orders already made (kind, amount, courses) never change.
public enum UpdateCoupon {
    public static let endpoint = Endpoint(.patch, "/api/v1/coupons/{id}", access: .roles([.instructor, .admin]), body: 4 * KiB, handle)

    public static func handle(_ context: Context) throws -> Response {
        let caller = try context.user()
        let id = try context.request.parameter("id")
        var fields = try Fields(context.request.json())
        if fields.object["active"] == .null { fields.fail("active", "must be true or false") }
        let active = fields.has("active") ? fields.bool("active", default: true) : nil
        let endsAt = fields.patchString("ends_at", max: 40)
        if let value = endsAt.value, !isTimestamp(value) { fields.fail("ends_at", "must be a date and time such as 2026-12-31T23:59:00Z") }
        let maxUses: Patch<Int> =
            !fields.has("max_uses")
            ? .absent
            : fields.object["max_uses"] == .null ? .null : fields.int("max_uses", min: 1, max: 1_000_000).map { .value($0) } ?? .absent
        let maxPerUser: Patch<Int> =
            !fields.has("max_uses_per_user")
            ? .absent
            : fields.object["max_uses_per_user"] == .null
                ? .null : fields.int("max_uses_per_user", min: 1, max: 1000).map { .value($0) } ?? .absent
        try fields.finish()
        try context.transaction { db in
            guard
                let coupon = try db.query("SELECT owner_id::text, used_count, starts_at FROM coupons WHERE id = \(id)::uuid FOR UPDATE")
                    .first,
                try coupon.string("owner_id") == caller.id || caller.role == .admin
            else { throw APIError.notFound("Coupon") }
            if let value = maxUses.value, try value < coupon.int("used_count") {
                throw APIError.invalid(field: "max_uses", "must not be below the \(try coupon.int("used_count")) uses so far")
            }
            if let value = endsAt.value, let start = try coupon.optionalString("starts_at"),
                try db.query("SELECT \(start)::timestamptz < \(value)::timestamptz AS ordered").one().bool("ordered") == false
            {
                throw APIError.invalid(field: "ends_at", "must be after starts_at")
            }
            try db.execute(
                """
                UPDATE coupons SET
                    active = coalesce(\(active), active),
                    ends_at = CASE WHEN \(endsAt.isPresent) THEN \(endsAt.value)::timestamptz ELSE ends_at END,
                    max_uses = CASE WHEN \(maxUses.isPresent) THEN \(maxUses.value) ELSE max_uses END,
                    max_uses_per_user = CASE WHEN \(maxPerUser.isPresent) THEN \(maxPerUser.value) ELSE max_uses_per_user END,
                    updated_at = now()
                WHERE id = \(id)::uuid
                """)
        }
        guard let coupon = try CouponView.find(context.db(), id: id) else { throw APIError.notFound("Coupon") }
        return .ok(coupon, message: "Coupon updated.")
    }
}
