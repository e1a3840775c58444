import Core
import Crypto

/// What every call to a provider's API shares, whichever process makes it (the order function,
/// the refund and reconciliation workers): the authorization headers, Stripe's form encoding and
/// reading fields out of the providers' JSON.
public enum ProviderAPI {
    /// Razorpay: HTTP Basic with the key id and key secret.
    public static func razorpayAuthorization(_ settings: PaymentSettings) throws -> String {
        "Basic " + Base64.encode(Array((try settings.razorpayKeyId() + ":" + settings.razorpayKeySecret()).utf8))
    }

    /// Stripe: the secret key as a bearer token.
    public static func stripeAuthorization(_ settings: PaymentSettings) throws -> String {
        "Bearer " + (try settings.stripeSecretKey())
    }

    /// `application/x-www-form-urlencoded` with the one encoder of the code base (brackets
    /// percent-encoded, as Stripe's libraries send them).
    public static func formEncode(_ pairs: [(String, String)]) -> String {
        pairs.map { percentEncode($0.0) + "=" + percentEncode($0.1) }.joined(separator: "&")
    }

    /// A string field, else nil.
    public static func text(_ value: JSONValue?) -> String? {
        if case .string(let text)? = value { return text }
        return nil
    }

    /// A whole, non-negative number of minor units, else nil.
    public static func amount(_ value: JSONValue?) -> Int? {
        guard case .number(let number)? = value, number.rounded() == number, number >= 0, number < 1e15 else { return nil }
        return Int(number)
    }

    /// The provider's own explanation in an error answer (Razorpay's `description`, Stripe's `message`).
    public static func errorMessage(_ answer: JSONValue?) -> String? {
        text(answer?["error"]?["description"]) ?? text(answer?["error"]?["message"])
    }
}
