import Auth
import Core
import Database
import Payments

/// A coupon checked against a cart and its buyer at order time. An unpaid order holds one use
/// of its coupon for `COUPON_HOLD_MINUTES` (30): the check counts uses paid plus uses held, so
/// 50 carts racing for a coupon with 10 uses left get exactly 10 orders with it (the check runs
/// again under the coupon's row lock when the order is written), and every one of them can be
/// paid. Uses are counted when the order is paid (`Billing`).
struct CouponCheck: Equatable {
    var id: String
    var coupon: Pricing.Coupon
    /// Whether the coupon applies to each line of the cart.
    var eligible: [Bool]

    static func check(_ db: Connection, code: String, cart: Cart, buyer: Caller, settings: BillingSettings, lock: Bool) throws
        -> CouponCheck
    {
        func refuse(_ message: String) -> APIError { APIError.invalid(field: "coupon", message) }
        if lock {
            // The lock first, in a statement of its own: the counts below then see every order that
            // committed while this one waited (one statement's snapshot predates its lock wait).
            _ = try db.query("SELECT id FROM coupons WHERE code = \(code.uppercased()) FOR UPDATE")
        }
        guard
            let row = try db.query(
                """
                SELECT c.id::text, c.owner_id::text, c.scope, c.kind, c.percent_off, c.amount_off_minor, c.currency, c.min_order_minor,
                       c.max_uses, c.max_uses_per_user, c.used_count, c.active,
                       coalesce(c.starts_at <= now(), true) AS started, coalesce(c.ends_at > now(), true) AS open,
                       (SELECT count(*) FROM orders o WHERE o.coupon_id = c.id AND o.status = 'pending'
                          AND o.created_at > now() - make_interval(mins => \(settings.couponHoldMinutes))) AS held,
                       (SELECT count(*) FROM coupon_redemptions r WHERE r.coupon_id = c.id AND r.user_id = \(buyer.id)) AS used_by_buyer,
                       (SELECT count(*) FROM orders o WHERE o.coupon_id = c.id AND o.user_id = \(buyer.id) AND o.status = 'pending'
                          AND o.created_at > now() - make_interval(mins => \(settings.couponHoldMinutes))) AS held_by_buyer,
                       (SELECT string_agg(course_id::text, ',') FROM coupon_courses WHERE coupon_id = c.id) AS courses
                FROM coupons c WHERE c.code = \(code.uppercased())
                """
            ).first, try row.bool("active")
        else { throw refuse("is not a valid coupon") }
        guard try row.bool("started") else { throw refuse("is not valid yet") }
        guard try row.bool("open") else { throw refuse("has expired") }
        if let max = try row.optionalInt("max_uses"), try row.int("used_count") + row.int("held") >= max {
            throw refuse("has been used up")
        }
        if let max = try row.optionalInt("max_uses_per_user"), try row.int("used_by_buyer") + row.int("held_by_buyer") >= max {
            throw refuse("has already been used on your account")
        }
        let currency = try row.optionalString("currency")
        if let currency, currency != cart.currency { throw refuse("is for \(currency) prices; this cart is in \(cart.currency)") }
        let minimum = try row.int("min_order_minor")
        if minimum > 0, cart.listTotal < minimum {
            throw refuse("needs an order of at least \(Money.format(minor: minimum, currency: cart.currency))")
        }
        let owner = try row.string("owner_id")
        let courses = Set(try (row.optionalString("courses") ?? "").split(separator: ",").map(String.init))
        let eligible = try cart.items.map { item in
            try row.string("scope") == "site" || (item.instructorId == owner && (courses.isEmpty || courses.contains(item.courseId)))
        }
        guard eligible.contains(true) else { throw refuse("does not apply to the courses in this cart") }
        let amount: Pricing.Coupon.Amount =
            try row.string("kind") == "percent" ? .percent(try row.int("percent_off")) : .fixed(try row.int("amount_off_minor"))
        return CouponCheck(id: try row.string("id"), coupon: Pricing.Coupon(amount), eligible: eligible)
    }
}
