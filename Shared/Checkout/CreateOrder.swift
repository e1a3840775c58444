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
        let couponCode = fields.optionalString("coupon", min: 1, max: 32)
        let billing = billingDetails(&fields)
        try fields.finish()
        guard let provider = provider.flatMap(PaymentSettings.Provider.init), let courseIds else { throw APIError.invalid([]) }

        let settings = PaymentSettings(context.config)
        let pricing = settings.billing
        let cart = try Cart.check(context.db(), courseIds: courseIds, buyer: caller, lock: false)
        let quote = try Quote.make(context.db(), cart: cart, couponCode: couponCode, buyer: caller, settings: pricing, lock: false)
        let orderId = Crypto.randomUUID()
        let email = try caller.row.string("email")
        let name = try caller.row.string("name")
        let call = ProviderCall(provider: provider.rawValue, timeoutSeconds: settings.timeoutSeconds, log: context.log)
        let checkout: Checkout
        switch provider {
        case .razorpay:
            let providerOrderId = try RazorpayOrders.create(call, settings: settings, orderId: orderId, userId: caller.id, quote: quote)
            checkout = Checkout(
                provider: "razorpay", keyId: try settings.razorpayKeyId(), orderId: providerOrderId, amount: quote.amount,
                currency: quote.currency, name: settings.productName, description: description(cart),
                prefill: .init(name: name, email: email, contact: try caller.row.optionalString("phone")), notes: ["order_id": orderId])
        case .stripe:
            let session = try StripeSessions.create(call, settings: settings, orderId: orderId, email: email, quote: quote)
            checkout = Checkout(provider: "stripe", sessionId: session.id, url: session.url)
        }

        try context.transaction { db in
            // The provider was given these amounts: the cart and the coupon must still give them
            // (an edit may have landed meanwhile; the coupon's lock decides its last uses).
            let again = try Cart.check(db, courseIds: courseIds, buyer: caller, lock: true)
            guard again == cart,
                try Quote.make(db, cart: again, couponCode: couponCode, buyer: caller, settings: pricing, lock: true) == quote
            else {
                throw APIError.conflict(
                    "A course in your cart changed while you checked out. Review the cart and try again.", code: "cart_changed")
            }
            try db.execute(
                """
                INSERT INTO orders (id, user_id, provider, currency, amount_minor, provider_order_id, checkout_url, coupon_id, discount_minor,
                                    tax_label, tax_rate_bp, tax_inclusive, billing_name, billing_address, billing_tax_id)
                VALUES (\(orderId)::uuid, \(caller.id), \(provider.rawValue), \(quote.currency), \(quote.amount),
                        \(checkout.orderId ?? checkout.sessionId), \(checkout.url), \(quote.coupon?.id)::uuid, \(quote.discount),
                        \(quote.tax.label), \(quote.tax.basisPoints), \(quote.tax.inclusive), \(billing.name), \(billing.address),
                        \(billing.taxId))
                """)
            for (position, (item, line)) in zip(cart.items, quote.lines).enumerated() {
                try db.execute(
                    """
                    INSERT INTO order_items (order_id, course_id, title, instructor_id, list_price_minor, discount_minor, tax_minor, price_minor,
                                             currency, position)
                    VALUES (\(orderId)::uuid, \(item.courseId)::uuid, \(item.title), \(item.instructorId)::uuid, \(line.listPrice),
                            \(line.discount), \(line.tax), \(line.price), \(item.currency), \(position))
                    """)
            }
        }
        guard let order = try OrderView.find(context.db(), id: orderId) else { throw APIError.notFound("Order") }
        return .created(Created(order: order.view, checkout: checkout), message: "Order created: complete the payment.")
    }

    /// The optional `billing` object: the name, address and tax id the invoice shows.
    static func billingDetails(_ fields: inout Fields) -> (name: String?, address: String?, taxId: String?) {
        guard let value = fields.object["billing"], value != .null else { return (nil, nil, nil) }
        guard let inner = try? Fields(value) else {
            fields.fail("billing", "must be an object with name, address and tax_id")
            return (nil, nil, nil)
        }
        var billing = inner
        let result = (
            billing.optionalString("name", min: 1, max: 200), billing.optionalString("address", min: 1, max: 500, multiline: true),
            billing.optionalString("tax_id", min: 1, max: 50)
        )
        for error in billing.errors { fields.fail("billing.\(error.field)", error.message) }
        return result
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
