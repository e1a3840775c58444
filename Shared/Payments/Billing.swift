import Core
import Database
import Notifications

/// The billing transaction: the one place an order becomes paid. Razorpay's checkout handler,
/// Razorpay's webhooks and Stripe's webhooks all hand it a `Notice`; whichever comes first pays
/// the order, enrolls the buyer and queues the receipt, and every later one (a duplicate
/// delivery, the other path, a provider's retry) finds the event or the paid order and changes
/// nothing. Concurrent notices of one order serialize on the order's row lock.
public enum Billing {
    /// What a provider says happened to one of our orders, after its signature was checked.
    public struct Notice: Sendable {
        public enum Kind: Sendable, Equatable {
            /// The money was taken.
            case paid
            /// A payment attempt failed (Razorpay: the learner may pay the same order again).
            case paymentFailed(reason: String)
            /// The checkout expired unpaid.
            case expired
            /// Refunds the provider confirmed: its refund id, and ours from the notes or metadata.
            case refunded([ProviderRefund])
            /// A refund the provider could not make.
            case refundFailed(ProviderRefund, reason: String)
            /// An event we keep but do not act on (unknown types).
            case ignored(reason: String)
        }

        public var provider: PaymentSettings.Provider
        /// `webhook` or `verify`.
        public var source: String
        /// The provider's event id (`verify:<payment id>` for the checkout handler): each is acted on once.
        public var eventId: String
        public var eventType: String
        public var kind: Kind
        /// How the provider names the order: Razorpay's order id, Stripe's session id.
        public var providerOrderId: String?
        /// Our order id from the provider's notes or metadata; when present it must agree.
        public var orderId: String?
        public var paymentId: String?
        /// What the provider says was paid, in minor units and its currency (nil: not stated).
        public var amountMinor: Int?
        public var currency: String?
        /// The provider's fee for the payment, when it says (Razorpay's `fee`), for the ledger.
        public var feeMinor: Int?
        /// The verified body, kept for the audit trail.
        public var payload: String?
        public var remoteAddress: String

        public init(
            provider: PaymentSettings.Provider, source: String, eventId: String, eventType: String, kind: Kind,
            providerOrderId: String?, orderId: String? = nil, paymentId: String? = nil, amountMinor: Int? = nil, currency: String? = nil,
            feeMinor: Int? = nil, payload: String? = nil, remoteAddress: String
        ) {
            self.provider = provider
            self.source = source
            self.eventId = eventId
            self.eventType = eventType
            self.kind = kind
            self.providerOrderId = providerOrderId
            self.orderId = orderId
            self.paymentId = paymentId
            self.amountMinor = amountMinor
            self.currency = currency
            self.feeMinor = feeMinor
            self.payload = payload
            self.remoteAddress = remoteAddress
        }
    }

    /// A refund as a provider's event names it.
    public struct ProviderRefund: Sendable, Equatable {
        public var id: String
        public var refundId: String?
        public init(id: String, refundId: String?) {
            self.id = id
            self.refundId = refundId
        }
    }

    /// What the notice did (the `payment_events.outcome`, plus `duplicate` for an event seen before).
    public enum Outcome: String, Sendable {
        case fulfilled
        case alreadyPaid = "already_paid"
        case paymentFailed = "payment_failed"
        case expired
        case mismatch
        case unknownOrder = "unknown_order"
        case ignored
        case refunded
        case refundFailed = "refund_failed"
        /// The same event id was recorded before: nothing was done again.
        case duplicate
    }

    /// Records the notice and does what it says, in one transaction; returns what happened and
    /// the order it concerned. An unknown order is recorded too (the caller answers 400).
    public static func record(_ db: Connection, _ notice: Notice, settings: PaymentSettings) throws -> (
        outcome: Outcome, orderId: String?
    ) {
        try db.transaction { db in
            // The event first: a second delivery of it waits here for the first to commit, then finds it.
            guard
                let event = try db.query(
                    """
                    INSERT INTO payment_events (provider, source, event_id, event_type, outcome, payload, remote_address)
                    VALUES (\(notice.provider.rawValue), \(notice.source), \(notice.eventId), \(notice.eventType), 'ignored',
                            \(notice.payload), \(notice.remoteAddress))
                    ON CONFLICT (provider, event_id) WHERE event_id IS NOT NULL DO NOTHING
                    RETURNING id
                    """
                ).first
            else {
                let order = try db.query(
                    "SELECT order_id::text FROM payment_events WHERE provider = \(notice.provider.rawValue) AND event_id = \(notice.eventId)"
                ).first
                return (.duplicate, try order?.optionalString("order_id"))
            }
            let eventKey = try event.int("id")
            func finish(_ outcome: Outcome, order: String?, detail: String = "") throws -> (outcome: Outcome, orderId: String?) {
                try db.execute(
                    """
                    UPDATE payment_events SET outcome = \(outcome.rawValue), order_id = \(order)::uuid, detail = left(\(detail), 500)
                    WHERE id = \(eventKey)
                    """)
                return (outcome, order)
            }

            switch notice.kind {
            case .refunded(let refunds):
                var done: [String] = []
                var order: String?
                for refund in refunds {
                    guard let id = try Refunds.find(db, providerRefundId: refund.id, refundId: refund.refundId) else { continue }
                    order = try db.query("SELECT order_id::text FROM refunds WHERE id = \(id)::uuid").one().string("order_id")
                    if try Refunds.succeed(db, refundId: id, providerRefundId: refund.id, settings: settings.billing) { done.append(id) }
                }
                guard order != nil else { return try finish(.ignored, order: nil, detail: "not a refund of ours") }
                return try finish(done.isEmpty ? .ignored : .refunded, order: order, detail: done.isEmpty ? "already recorded" : "")
            case .refundFailed(let refund, let reason):
                guard let id = try Refunds.find(db, providerRefundId: refund.id, refundId: refund.refundId) else {
                    return try finish(.ignored, order: nil, detail: "not a refund of ours")
                }
                try Refunds.fail(db, refundId: id, reason: reason, providerRefundId: refund.id)
                let order = try db.query("SELECT order_id::text FROM refunds WHERE id = \(id)::uuid").one().string("order_id")
                return try finish(.refundFailed, order: order, detail: reason)
            default:
                break
            }
            func find(lock: Bool) throws -> Row? {
                try notice.providerOrderId.flatMap { providerOrderId in
                    try db.query(
                        """
                        SELECT o.id::text, o.user_id::text, o.status, o.currency, o.amount_minor, o.coupon_id::text, u.email, u.name
                        FROM orders o JOIN users u ON u.id = o.user_id
                        WHERE o.provider = \(notice.provider.rawValue) AND o.provider_order_id = \(providerOrderId)
                        \(fragment: lock ? "FOR UPDATE OF o" : "")
                        """
                    ).first
                }
            }
            // Paid is final: a late event about a paid order needs no lock (they come in bursts: both
            // Razorpay webhooks, the checkout handler, retries), anything else waits for the order's row.
            var order = try find(lock: false)
            if try notice.kind != .paid || order?.string("status") != "paid" { order = try find(lock: true) }
            if case .ignored(let reason) = notice.kind { return try finish(.ignored, order: try order?.string("id"), detail: reason) }
            guard let order, try notice.orderId == nil || notice.orderId == order.string("id") else {
                return try finish(.unknownOrder, order: nil, detail: "no order \(notice.providerOrderId ?? "(none)")")
            }
            let orderId = try order.string("id")
            let status = try order.string("status")

            switch notice.kind {
            case .ignored, .refunded, .refundFailed:
                return try finish(.ignored, order: orderId)
            case .expired:
                try db.execute("UPDATE orders SET status = 'expired', updated_at = now() WHERE id = \(orderId) AND status = 'pending'")
                return try finish(.expired, order: orderId)
            case .paymentFailed(let reason):
                // Razorpay lets the learner pay the same order again; Stripe's session is over.
                let next = notice.provider == .stripe ? "failed" : "pending"
                try db.execute(
                    """
                    UPDATE orders SET status = \(next), failure_reason = left(\(reason), 300), updated_at = now()
                    WHERE id = \(orderId) AND status IN ('pending', 'failed')
                    """)
                return try finish(.paymentFailed, order: orderId, detail: reason)
            case .paid:
                break
            }

            guard status != "paid" else { return try finish(.alreadyPaid, order: orderId) }
            let amount = try order.int("amount_minor")
            let currency = try order.string("currency")
            var problem: String?
            if let stated = notice.amountMinor, stated != amount {
                problem = "paid \(stated) \(notice.currency?.uppercased() ?? currency), the order is \(amount) \(currency)"
            } else if let stated = notice.currency, stated.uppercased() != currency {
                problem = "paid in \(stated.uppercased()), the order is in \(currency)"
            }
            if let problem {
                try alertAdmins(db, eventKey: eventKey, orderId: orderId, detail: problem, settings: settings)
                return try finish(.mismatch, order: orderId, detail: problem)
            }
            try fulfil(db, order: order, notice: notice, settings: settings.billing)
            return try finish(.fulfilled, order: orderId)
        }
    }

    /// Pays the order: the order row, a payment per course, the enrollments, the coupon's use,
    /// the ledger, the invoice (number and document; the worker renders it) and the receipt.
    static func fulfil(_ db: Connection, order: Row, notice: Notice, settings: BillingSettings) throws {
        let orderId = try order.string("id")
        let userId = try order.string("user_id")
        let paymentId = notice.paymentId ?? notice.providerOrderId ?? orderId
        try db.execute(
            """
            UPDATE orders SET status = 'paid', paid_at = now(), updated_at = now(), provider_payment_id = \(paymentId),
                              paid_via = \(notice.source), failure_reason = NULL,
                              provider_fee_minor = coalesce(\(notice.feeMinor)::bigint, provider_fee_minor)
            WHERE id = \(orderId)
            """)
        try db.execute(
            """
            INSERT INTO payments (order_id, user_id, course_id, amount_minor, currency, provider, provider_payment_id)
            SELECT order_id, \(userId)::uuid, course_id, price_minor, currency, \(notice.provider.rawValue), \(paymentId)
            FROM order_items WHERE order_id = \(orderId)
            ON CONFLICT (order_id, course_id) DO NOTHING
            """)
        // A course the buyer already had (bought twice in two tabs) keeps its first enrollment.
        try db.execute(
            """
            WITH enrolled AS (
                INSERT INTO enrollments (user_id, course_id, source, order_id)
                SELECT \(userId)::uuid, course_id, 'paid', order_id FROM order_items WHERE order_id = \(orderId)
                ON CONFLICT (user_id, course_id) DO NOTHING
                RETURNING course_id
            )
            UPDATE courses SET enrollment_count = enrollment_count + 1 WHERE id IN (SELECT course_id FROM enrolled)
            """)
        if let coupon = try order.optionalString("coupon_id") {
            // The coupon's row lock orders its uses; an order counts once.
            _ = try db.query("SELECT id FROM coupons WHERE id = \(coupon)::uuid FOR UPDATE")
            let counted = try db.execute(
                """
                INSERT INTO coupon_redemptions (coupon_id, order_id, user_id) VALUES (\(coupon)::uuid, \(orderId)::uuid, \(userId)::uuid)
                ON CONFLICT (order_id) DO NOTHING
                """)
            if counted == 1 {
                try db.execute("UPDATE coupons SET used_count = used_count + 1, updated_at = now() WHERE id = \(coupon)::uuid")
            }
        }
        let invoice = try bookSale(db, orderId: orderId, settings: settings)
        let items = try db.query(
            "SELECT title FROM order_items WHERE order_id = \(orderId) ORDER BY position"
        ).rows.map { try $0.string("title") }
        try Notifications.email(
            db,
            .init(
                template: "payment_receipt", to: try order.string("email"), name: try order.string("name"),
                data: [
                    "order_id": orderId, "amount_minor": String(try order.int("amount_minor")), "currency": try order.string("currency"),
                    "items": items.joined(separator: "\n"), "payment_id": paymentId, "provider": notice.provider.rawValue,
                    "invoice_number": invoice ?? "",
                ],
                messageKey: "receipt:\(orderId)"))
    }

    /// The books of a paid order: its ledger rows and its invoice (numbered now, rendered by the
    /// invoice worker). Returns the invoice number (nil when the order had one already).
    @discardableResult
    public static func bookSale(_ db: Connection, orderId: String, settings: BillingSettings) throws -> String? {
        try Ledger.recordSale(db, orderId: orderId, settings: settings)
        return try Invoicing.issueInvoice(db, orderId: orderId, settings: settings)
    }

    /// Tells every admin (and `PAYMENT_ALERT_EMAIL`) about an amount or currency that does not match its order.
    static func alertAdmins(_ db: Connection, eventKey: Int, orderId: String, detail: String, settings: PaymentSettings) throws {
        var recipients = try db.query(
            "SELECT email, name FROM users WHERE role = 'admin' AND status = 'active' ORDER BY created_at LIMIT 20"
        )
        .rows.map { (email: try $0.string("email"), name: try $0.string("name")) }
        if let extra = settings.alertEmail, !recipients.contains(where: { $0.email == extra }) { recipients.append((extra, "Payments")) }
        for recipient in recipients {
            try Notifications.email(
                db,
                .init(
                    template: "payment_alert", to: recipient.email, name: recipient.name, data: ["order_id": orderId, "detail": detail],
                    messageKey: "payment-alert:\(eventKey):\(recipient.email)"))
        }
    }

    /// Keeps a delivery that was refused before it could be trusted (bad or stale signature,
    /// malformed body): who sent it and why it was refused, never its body.
    public static func refuse(_ db: Connection, provider: PaymentSettings.Provider, source: String, reason: String, remoteAddress: String)
        throws
    {
        try db.execute(
            """
            INSERT INTO payment_events (provider, source, outcome, detail, remote_address)
            VALUES (\(provider.rawValue), \(source), 'refused', left(\(reason), 500), \(remoteAddress))
            """)
    }
}
