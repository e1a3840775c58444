import Auth
import Core
import Crypto
import Database
import Payments
import Runtime

/// `POST /api/v1/payments/order`: starts buying one or several courses (`course_ids`, or the
/// seeds' single `course_id`) with `razorpay` (default) or `stripe`.
///
/// The cart is checked, the provider's order (Razorpay) or Checkout Session (Stripe) is created
/// outside any transaction under an order id chosen here, and only then is our order written,
/// in one transaction that checks the cart again under lock: a provider that is down or slow
/// (PAYMENT_PROVIDER_TIMEOUT, 10 s) leaves nothing behind, and the learner simply tries again.
/// Answers 201 with the order and what the checkout needs (Razorpay's widget options, or
/// Stripe's hosted page URL).
public enum CreateOrder {
    public static let endpoint = Endpoint(
        .post, "/api/v1/payments/order", access: .signedIn, mode: .fastcgi, processes: 2, body: 8 * KiB, handle)

    public static func handle(_ context: Context) throws -> Response {
        let caller = try context.user()
        try caller.requireVerifiedEmail()
        var fields = try Fields(context.request.json())
        let provider = fields.oneOf("provider", PaymentSettings.Provider.allCases.map(\.rawValue), default: "razorpay")
        let courseIds = courseIdList(&fields)
        try fields.finish()
        guard let provider = provider.flatMap(PaymentSettings.Provider.init), let courseIds else { throw APIError.invalid([]) }

        let settings = PaymentSettings(context.config)
        let cart = try Cart.check(context.db(), courseIds: courseIds, buyer: caller, lock: false)
        let orderId = Crypto.randomUUID()
        let email = try caller.row.string("email")
        let name = try caller.row.string("name")
        let call = ProviderCall(provider: provider.rawValue, timeoutSeconds: settings.timeoutSeconds, log: context.log)
        let checkout: Checkout
        switch provider {
        case .razorpay:
            let providerOrderId = try RazorpayOrders.create(call, settings: settings, orderId: orderId, userId: caller.id, cart: cart)
            checkout = Checkout(
                provider: "razorpay", keyId: try settings.razorpayKeyId(), orderId: providerOrderId, amount: cart.amountMinor,
                currency: cart.currency, name: settings.productName, description: description(cart),
                prefill: .init(name: name, email: email, contact: try caller.row.optionalString("phone")), notes: ["order_id": orderId])
        case .stripe:
            let session = try StripeSessions.create(call, settings: settings, orderId: orderId, email: email, cart: cart)
            checkout = Checkout(provider: "stripe", sessionId: session.id, url: session.url)
        }

        try context.transaction { db in
            // The prices the provider was given must still be the prices (an edit may have landed meanwhile).
            guard try Cart.check(db, courseIds: courseIds, buyer: caller, lock: true) == cart else {
                throw APIError.conflict(
                    "A course in your cart changed while you checked out. Review the cart and try again.", code: "cart_changed")
            }
            try db.execute(
                """
                INSERT INTO orders (id, user_id, provider, currency, amount_minor, provider_order_id, checkout_url)
                VALUES (\(orderId)::uuid, \(caller.id), \(provider.rawValue), \(cart.currency), \(cart.amountMinor),
                        \(checkout.orderId ?? checkout.sessionId), \(checkout.url))
                """)
            for (position, item) in cart.items.enumerated() {
                try db.execute(
                    """
                    INSERT INTO order_items (order_id, course_id, title, instructor_id, list_price_minor, price_minor, currency, position)
                    VALUES (\(orderId)::uuid, \(item.courseId)::uuid, \(item.title), \(item.instructorId)::uuid, \(item.priceMinor),
                            \(item.priceMinor), \(item.currency), \(position))
                    """)
            }
        }
        guard let order = try OrderView.find(context.db(), id: orderId) else { throw APIError.notFound("Order") }
        return .created(Created(order: order.view, checkout: checkout), message: "Order created: complete the payment.")
    }

    /// `course_ids` (1...20 strings), or `course_id` alone as the seeds send it.
    static func courseIdList(_ fields: inout Fields) -> [String]? {
        if !fields.has("course_ids"), fields.has("course_id") {
            return fields.string("course_id", max: 100).map { [$0] }
        }
        guard case .array(let values)? = fields.object["course_ids"], (1...Cart.maxItems).contains(values.count) else {
            fields.fail("course_ids", "must be a list of 1 to \(Cart.maxItems) course ids")
            return nil
        }
        var ids: [String] = []
        for (index, value) in values.enumerated() {
            guard case .string(let id) = value else {
                fields.fail("course_ids[\(index)]", "must be a string")
                continue
            }
            ids.append(id.lowercased())
        }
        return ids.count == values.count ? ids : nil
    }

    static func description(_ cart: Cart) -> String {
        cart.items.count == 1 ? cart.items[0].title : "\(cart.items.count) courses"
    }

    struct Created: Encodable, Sendable {
        var order: OrderView
        var checkout: Checkout
    }

    /// What the client opens: Razorpay's checkout widget options, or Stripe's hosted page.
    struct Checkout: Encodable, Sendable {
        struct Prefill: Encodable, Sendable {
            var name: String
            var email: String
            @Nullable var contact: String?
        }

        var provider: String
        var keyId: String?
        var orderId: String?
        var amount: Int?
        var currency: String?
        var name: String?
        var description: String?
        var prefill: Prefill?
        var notes: [String: String]?
        var sessionId: String?
        var url: String?
    }
}
