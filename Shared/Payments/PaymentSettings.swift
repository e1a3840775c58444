import Core

/// The providers' keys and addresses, from the environment (`.env.example` lists them).
/// `*_API_URL` point at the real APIs unless set; `infra/up.sh` and the tests point them at
/// the fake providers of `infra/testing/fake_payments.py`.
public struct PaymentSettings: Sendable {
    public enum Provider: String, Sendable, CaseIterable {
        case razorpay, stripe
    }

    let config: Config

    public init(_ config: Config) { self.config = config }

    /// Tax, fees, numbering and the refund policy.
    public var billing: BillingSettings { BillingSettings(config) }

    /// A provider that is not configured is a 503 for the learner and an error in the log.
    func value(_ key: String) throws -> String {
        guard let value = config[key] else {
            throw APIError(
                status: 503, code: "payments_unavailable", message: "Payments are not available right now. Try again later.")
        }
        return value
    }

    public func razorpayKeyId() throws -> String { try value("RAZORPAY_KEY_ID") }
    public func razorpayKeySecret() throws -> String { try value("RAZORPAY_KEY_SECRET") }
    public func razorpayWebhookSecret() throws -> String { try value("RAZORPAY_WEBHOOK_SECRET") }
    public var razorpayAPI: String { config["RAZORPAY_API_URL"] ?? "https://api.razorpay.com" }

    public func stripeSecretKey() throws -> String { try value("STRIPE_SECRET_KEY") }
    public func stripeWebhookSecret() throws -> String { try value("STRIPE_WEBHOOK_SECRET") }
    public var stripeAPI: String { config["STRIPE_API_URL"] ?? "https://api.stripe.com" }
    /// Where Stripe sends the learner back; `{ORDER_ID}` is replaced by our order id.
    public var stripeSuccessURL: String {
        config["STRIPE_SUCCESS_URL"] ?? (config["PUBLIC_APP_URL"] ?? "http://localhost:3000") + "/orders/{ORDER_ID}?paid=1"
    }
    public var stripeCancelURL: String {
        config["STRIPE_CANCEL_URL"] ?? (config["PUBLIC_APP_URL"] ?? "http://localhost:3000") + "/cart"
    }

    /// Seconds a provider call may take in all before the learner gets a 503 (default 10).
    public var timeoutSeconds: Int { min(max(config.int("PAYMENT_PROVIDER_TIMEOUT", default: 10), 1), 25) }

    /// Seconds a Stripe signature stays valid (Stripe's libraries use 300).
    public var stripeTolerance: Int { config.int("STRIPE_WEBHOOK_TOLERANCE", default: 300) }

    /// The name the checkout widget shows.
    public var productName: String { config["PRODUCT_NAME"] ?? "LMS" }

    /// Where payment alerts (an amount that does not match its order) go, besides every admin.
    public var alertEmail: String? { config["PAYMENT_ALERT_EMAIL"] }
}
