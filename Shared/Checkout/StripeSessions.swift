import Core
import Payments

/// Stripe's Checkout Sessions API: `POST /v1/checkout/sessions`, form-encoded, `mode=payment`, one
/// `line_items[i][price_data]` per course, our order id as `client_reference_id` and in the
/// metadata of the session and of its payment intent, and the order id as `Idempotency-Key`
/// (a retried call returns the same session).
enum StripeSessions {
    static func create(_ call: ProviderCall, settings: PaymentSettings, orderId: String, email: String, quote: Quote) throws -> (
        id: String, url: String
    ) {
        var form: [(String, String)] = [
            ("mode", "payment"),
            ("client_reference_id", orderId),
            ("customer_email", email),
            ("success_url", settings.stripeSuccessURL.replacingAll("{ORDER_ID}", with: orderId)),
            ("cancel_url", settings.stripeCancelURL.replacingAll("{ORDER_ID}", with: orderId)),
            ("metadata[order_id]", orderId),
            ("payment_intent_data[metadata][order_id]", orderId),
        ]
        // Each line at what it costs after the coupon, tax included: the total is exactly the order's.
        for (index, (item, line)) in zip(quote.cart.items, quote.lines).enumerated() {
            let prefix = "line_items[\(index)]"
            form += [
                ("\(prefix)[price_data][currency]", item.currency.lowercased()),
                ("\(prefix)[price_data][unit_amount]", String(line.price)),
                ("\(prefix)[price_data][product_data][name]", item.title),
                ("\(prefix)[price_data][product_data][metadata][course_id]", item.courseId),
                ("\(prefix)[quantity]", "1"),
            ]
        }
        let answer = try call.send(
            url: settings.stripeAPI + "/v1/checkout/sessions",
            headers: [
                "Authorization": try ProviderAPI.stripeAuthorization(settings), "Content-Type": "application/x-www-form-urlencoded",
                "Idempotency-Key": "order-" + orderId,
            ],
            body: Array(ProviderAPI.formEncode(form).utf8))
        guard case .string(let id)? = answer["id"], id.hasPrefix("cs_"), id.utf8.count <= 200, case .string(let url)? = answer["url"],
            isWebURL(url)
        else {
            throw APIError(
                status: 502, code: "provider_error", message: "The payment provider could not start this payment. Nothing was charged.")
        }
        return (id, url)
    }
}
