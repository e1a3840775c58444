import Auth
import Core
import Courses
import Database
import Notifications
import Runtime

/// `POST /api/v1/orders/{id}/refunds`: the buyer asks for one or several lines of a paid order
/// back (`course_ids`, `reason`). Refused per line when the line is not in the order or already
/// refunded (or asked for), and when more than `REFUND_MAX_PROGRESS_PERCENT` (30) of the course
/// is done; refused for the order after `REFUND_WINDOW_DAYS` (30). Waits for an admin, unless
/// `REFUND_AUTO_APPROVE` lets the policy approve it at once.
public enum RequestRefund {
    public static let endpoint = Endpoint(.post, "/api/v1/orders/{id}/refunds", access: .signedIn, body: 4 * KiB, handle)

    public static func handle(_ context: Context) throws -> Response {
        let caller = try context.user()
        let orderId = try context.request.parameter("id")
        var fields = try Fields(context.request.json())
        let reason = fields.optionalString("reason", max: 1000, multiline: true) ?? ""
        var courseIds: [String] = []
        if case .array(let values)? = fields.object["course_ids"], (1...20).contains(values.count) {
            for (index, value) in values.enumerated() {
                guard case .string(let id) = value, isUUID(id) else {
                    fields.fail("course_ids[\(index)]", "must be a course id")
                    continue
                }
                if courseIds.contains(id.lowercased()) { fields.fail("course_ids[\(index)]", "is listed twice") }
                courseIds.append(id.lowercased())
            }
        } else {
            fields.fail("course_ids", "must be a list of 1 to 20 course ids")
        }
        try fields.finish()
        let settings = PaymentSettings(context.config).billing

        let refundId: String = try context.transaction { db in
            guard
                let order = try db.query(
                    """
                    SELECT status, currency, paid_at > now() - make_interval(days => \(settings.refundWindowDays)) AS in_window
                    FROM orders WHERE id = \(orderId)::uuid AND user_id = \(caller.id) FOR UPDATE
                    """
                ).first
            else { throw APIError.notFound("Order") }
            guard try order.string("status") == "paid" else { throw APIError.conflict("This order is not paid.", code: "order_not_paid") }
            guard try order.bool("in_window") else {
                throw APIError.conflict(
                    "Refunds can be asked for within \(settings.refundWindowDays) days of the purchase.", code: "refund_window_closed")
            }
            let lines = try db.query(
                """
                SELECT i.course_id::text, i.price_minor, i.tax_minor,
                       EXISTS (SELECT 1 FROM refund_items r WHERE r.order_id = i.order_id AND r.course_id = i.course_id AND r.open) AS taken,
                       (SELECT CASE WHEN p.required = 0 THEN 0 ELSE p.done * 100 / p.required END
                        FROM learner_progress(\(caller.id)::uuid, i.course_id) p) AS percent
                FROM order_items i WHERE i.order_id = \(orderId)::uuid
                """
            ).rows
            var byCourse: [String: Row] = [:]
            for line in lines { byCourse[try line.string("course_id")] = line }
            var invalid: [FieldError] = []
            var conflicts: [FieldError] = []
            for (index, id) in courseIds.enumerated() {
                let field = "course_ids[\(index)]"
                guard let line = byCourse[id] else {
                    invalid.append(FieldError(field: field, message: "is not in this order"))
                    continue
                }
                if try line.int("price_minor") == 0 {
                    invalid.append(FieldError(field: field, message: "cost nothing after the coupon: there is nothing to refund"))
                } else if try line.bool("taken") {
                    conflicts.append(FieldError(field: field, message: "is already refunded or asked for"))
                } else if try line.int("percent") > settings.refundMaxProgressPercent {
                    conflicts.append(
                        FieldError(field: field, message: "is more than \(settings.refundMaxProgressPercent)% done and cannot be refunded"))
                }
            }
            if !invalid.isEmpty { throw APIError.invalid(invalid) }
            if !conflicts.isEmpty {
                throw APIError(status: 409, code: "refund_refused", message: "These courses cannot be refunded.", fieldErrors: conflicts)
            }
            let amount = try courseIds.reduce(0) { $0 + (try byCourse[$1]!.int("price_minor")) }
            let approved = settings.refundAutoApprove
            let id = try db.query(
                """
                INSERT INTO refunds (order_id, user_id, status, amount_minor, currency, reason, auto_approved, decided_at, attempts)
                VALUES (\(orderId)::uuid, \(caller.id), \(approved ? "approved" : "requested"), \(amount), \(try order.string("currency")),
                        \(reason), \(approved), CASE WHEN \(approved) THEN now() END, \(approved ? 1 : 0))
                RETURNING id::text
                """
            ).one().string("id")
            for courseId in courseIds {
                let line = byCourse[courseId]!
                try db.execute(
                    """
                    INSERT INTO refund_items (refund_id, order_id, course_id, amount_minor, tax_minor)
                    VALUES (\(id)::uuid, \(orderId)::uuid, \(courseId)::uuid, \(try line.int("price_minor")), \(try line.int("tax_minor")))
                    """)
            }
            if approved { try Refunds.enqueue(db, refundId: id, attempt: 1) }
            return id
        }
        guard let refund = try RefundView.find(context.db(), id: refundId) else { throw APIError.notFound("Refund") }
        return .created(refund.view, message: refund.view.status == "approved" ? "Refund approved." : "Refund requested.")
    }
}

/// `GET /api/v1/refunds/{id}`: one refund, for its buyer or an admin.
public enum GetRefund {
    public static let endpoint = Endpoint(.get, "/api/v1/refunds/{id}", access: .signedIn, handle)

    public static func handle(_ context: Context) throws -> Response {
        let caller = try context.user()
        guard let refund = try RefundView.find(context.db(), id: try context.request.parameter("id")),
            refund.userId == caller.id || caller.role == .admin
        else { throw APIError.notFound("Refund") }
        return .ok(refund.view)
    }
}

/// `GET /api/v1/admin/refunds`: refunds by `status` (default: every one), newest first.
public enum ListRefunds {
    public static let endpoint = Endpoint(.get, "/api/v1/admin/refunds", access: .roles([.admin]), handle)
    static let statuses = ["requested", "rejected", "approved", "succeeded", "failed"]

    public static func handle(_ context: Context) throws -> Response {
        let request = context.request
        let status = request.queryValue("status")
        if let status, !statuses.contains(status) {
            throw APIError.invalid(field: "status", "must be one of: " + statuses.joined(separator: ", "))
        }
        let (limit, after) = try CourseCursor.page(context.request)
        let db = try context.db()
        let rows = try db.query(
            """
            SELECT \(fragment: RefundView.columns) FROM refunds r
            WHERE (\(status)::text IS NULL OR r.status = \(status))
              AND (\(after?.time)::timestamptz IS NULL OR (r.created_at, r.id) < (\(after?.time)::timestamptz, \(after?.id)::uuid))
            ORDER BY r.created_at DESC, r.id DESC LIMIT \(limit + 1)
            """
        ).rows
        let next = try CourseCursor.next(rows, limit: limit)
        return .ok(Page(refunds: try RefundView.load(db, rows: Array(rows.prefix(limit))), nextCursor: next))
    }

    struct Page: Encodable, Sendable {
        var refunds: [RefundView]
        @Nullable var nextCursor: String?
    }
}

/// `POST /api/v1/admin/refunds/{id}/approve` (`note` optional): a requested refund, or a failed
/// one again, goes to the provider (the refund worker). 409 for any other state.
public enum ApproveRefund {
    public static let endpoint = Endpoint(.post, "/api/v1/admin/refunds/{id}/approve", access: .roles([.admin]), body: 4 * KiB, handle)

    public static func handle(_ context: Context) throws -> Response {
        let caller = try context.user()
        let id = try context.request.parameter("id")
        var fields = try Fields(context.request.optionalJSON())
        let note = fields.optionalString("note", max: 1000, multiline: true)
        try fields.finish()
        try context.transaction { db in
            guard let refund = try db.query("SELECT status, attempts FROM refunds WHERE id = \(id)::uuid FOR UPDATE").first else {
                throw APIError.notFound("Refund")
            }
            guard try ["requested", "failed"].contains(refund.string("status")) else {
                throw APIError.conflict("Only a requested or failed refund can be approved.", code: "refund_not_pending")
            }
            let attempt = try refund.int("attempts") + 1
            try db.execute(
                """
                UPDATE refunds SET status = 'approved', attempts = \(attempt), decided_by = \(caller.id), decided_at = now(),
                                   decision_note = coalesce(\(note), decision_note), failure_reason = NULL, updated_at = now()
                WHERE id = \(id)::uuid
                """)
            try Refunds.enqueue(db, refundId: id, attempt: attempt)
        }
        guard let refund = try RefundView.find(context.db(), id: id) else { throw APIError.notFound("Refund") }
        return .ok(refund.view, message: "Refund approved: the provider is being asked.")
    }
}

/// `POST /api/v1/admin/refunds/{id}/reject` (`note` required): a requested refund is refused;
/// its lines may be asked for again, and the buyer is emailed.
public enum RejectRefund {
    public static let endpoint = Endpoint(.post, "/api/v1/admin/refunds/{id}/reject", access: .roles([.admin]), body: 4 * KiB, handle)

    public static func handle(_ context: Context) throws -> Response {
        let caller = try context.user()
        let id = try context.request.parameter("id")
        var fields = try Fields(context.request.json())
        let note = fields.string("note", max: 1000, multiline: true)
        try fields.finish()
        try context.transaction { db in
            guard
                let refund = try db.query(
                    """
                    SELECT r.status, r.order_id::text, u.email, u.name FROM refunds r JOIN users u ON u.id = r.user_id
                    WHERE r.id = \(id)::uuid FOR UPDATE OF r
                    """
                ).first
            else { throw APIError.notFound("Refund") }
            guard try refund.string("status") == "requested" else {
                throw APIError.conflict("Only a requested refund can be rejected.", code: "refund_not_pending")
            }
            try db.execute(
                """
                UPDATE refunds SET status = 'rejected', decided_by = \(caller.id), decided_at = now(), decision_note = \(note),
                                   updated_at = now()
                WHERE id = \(id)::uuid
                """)
            try db.execute("UPDATE refund_items SET open = false WHERE refund_id = \(id)::uuid")
            try Notifications.email(
                db,
                .init(
                    template: "refund_rejected", to: try refund.string("email"), name: try refund.string("name"),
                    data: ["order_id": try refund.string("order_id"), "note": note ?? ""], messageKey: "refund-rejected:\(id)"))
        }
        guard let refund = try RefundView.find(context.db(), id: id) else { throw APIError.notFound("Refund") }
        return .ok(refund.view, message: "Refund rejected.")
    }
}
