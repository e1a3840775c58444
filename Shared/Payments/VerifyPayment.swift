import Auth
import Core
import Database
import Runtime

/// `POST /api/v1/payments/verify`: Razorpay's checkout handler posts what the widget returned
/// (`razorpay_order_id`, `razorpay_payment_id`, `razorpay_signature`). The signature is checked
/// against the order id WE stored for the caller's order, in constant time; then the same
/// billing transaction as the webhooks runs (whichever arrives first pays the order).
public enum VerifyPayment {
    public static let endpoint = Endpoint(.post, "/api/v1/payments/verify", access: .signedIn, body: 4 * KiB, handle)

    public static func handle(_ context: Context) throws -> Response {
        let caller = try context.user()
        var fields = try Fields(context.request.json())
        let providerOrderId = fields.string("razorpay_order_id", max: 100)
        let paymentId = fields.string("razorpay_payment_id", max: 100)
        let signature = fields.string("razorpay_signature", max: 200)
        try fields.finish()
        guard let providerOrderId, let paymentId, let signature else { throw APIError.invalid([]) }
        guard Webhooks.identifier(paymentId) != nil else { throw APIError.invalid(field: "razorpay_payment_id", "is not a payment id") }

        let settings = PaymentSettings(context.config)
        let order = try context.db().query(
            """
            SELECT id::text, user_id::text, provider_order_id FROM orders
            WHERE provider = 'razorpay' AND provider_order_id = \(providerOrderId)
            """
        ).first
        guard let order, try order.string("user_id") == caller.id else { throw APIError.notFound("Order") }
        let expected = Signatures.razorpayPayment(
            orderId: try order.string("provider_order_id"), paymentId: paymentId, keySecret: try settings.razorpayKeySecret())
        guard Signatures.matches(signature, expected: expected) else {
            throw try Webhooks.refuse(
                context, .razorpay, source: "verify", status: 400, code: "invalid_signature", reason: "checkout signature wrong")
        }
        let orderId = try order.string("id")
        _ = try Billing.record(
            context.db(),
            .init(
                provider: .razorpay, source: "verify", eventId: "verify:\(paymentId)", eventType: "checkout.verify", kind: .paid,
                providerOrderId: providerOrderId, orderId: orderId, paymentId: paymentId, remoteAddress: context.request.remoteAddress),
            settings: settings)
        guard let paid = try OrderView.find(context.db(), id: orderId) else { throw APIError.notFound("Order") }
        return .ok(paid.view, message: paid.view.status == "paid" ? "Payment confirmed." : "Payment recorded.")
    }
}
