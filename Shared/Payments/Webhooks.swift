import Core
import Database
import Runtime

/// What the webhook functions share: refusing a delivery (recorded without its body, logged
/// without secrets) and reading the fields of a verified event.
enum Webhooks {
    /// Records a refused delivery and returns the error to answer it with.
    static func refuse(
        _ context: Context, _ provider: PaymentSettings.Provider, source: String = "webhook", status: Int, code: String, reason: String
    ) throws -> APIError {
        context.log.warning(
            "payment notice refused", [("provider", .string(provider.rawValue)), ("source", .string(source)), ("reason", .string(reason))])
        try Billing.refuse(context.db(), provider: provider, source: source, reason: reason, remoteAddress: context.request.remoteAddress)
        let message =
            switch status {
            case 401: "The signature of this request is not valid."
            default: "This event cannot be processed."
            }
        return APIError(status: status, code: code, message: message)
    }

    /// The answer to a notice the billing transaction took. An unknown order is a 400 (the
    /// provider shows it to its operator); everything else, duplicates included, is a 200 so the
    /// provider stops sending it.
    static func answer(_ result: (outcome: Billing.Outcome, orderId: String?)) throws -> Response {
        guard result.outcome != .unknownOrder else {
            throw APIError(status: 400, code: "unknown_order", message: "This event does not belong to an order of ours.")
        }
        return .ok(Answer(outcome: result.outcome.rawValue, orderId: result.orderId), message: "Processed.")
    }

    struct Answer: Encodable, Sendable {
        var outcome: String
        @Nullable var orderId: String?
    }

    /// A provider's id or type: 1...200 printable ASCII characters, else nil.
    static func identifier(_ value: JSONValue?) -> String? {
        guard case .string(let text)? = value else { return nil }
        return identifier(text)
    }

    static func identifier(_ text: String?) -> String? {
        guard let text, (1...200).contains(text.utf8.count), text.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else { return nil }
        return text
    }

    /// A whole number of minor units, else nil.
    static func amount(_ value: JSONValue?) -> Int? { ProviderAPI.amount(value) }
}
