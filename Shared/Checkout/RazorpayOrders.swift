import Core
import Payments

/// Razorpay's Orders API: `POST /v1/orders` with Basic auth (key id, key secret), the amount in
/// the currency's minor unit (paise), a `receipt` of at most 40 characters, and notes carrying
/// our order id (webhooks bring them back).
enum RazorpayOrders {
    static func create(_ call: ProviderCall, settings: PaymentSettings, orderId: String, userId: String, quote: Quote) throws -> String {
        let body: JSONValue = .object([
            "amount": .number(Double(quote.amount)), "currency": .string(quote.currency),
            // "order_" and the UUID's 32 hex digits: 38 characters.
            "receipt": .string("order_" + orderId.replacingAll("-", with: "")),
            "notes": .object(["order_id": .string(orderId), "user_id": .string(userId)]),
        ])
        let answer = try call.send(
            url: settings.razorpayAPI + "/v1/orders",
            headers: ["Authorization": try ProviderAPI.razorpayAuthorization(settings), "Content-Type": "application/json"],
            body: try encodeJSON(body))
        guard case .string(let id)? = answer["id"], id.hasPrefix("order_"), id.utf8.count <= 100 else {
            throw APIError(
                status: 502, code: "provider_error", message: "The payment provider could not start this payment. Nothing was charged.")
        }
        return id
    }
}
