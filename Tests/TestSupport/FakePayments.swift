import Core
import Crypto
import Runtime

/// `infra/testing/fake_payments.py` (a fake Razorpay and Stripe on one port) in its own
/// temporary folder, with throwaway keys; stopped and removed when released. `config` holds
/// what points our functions at it. Without `webhookBaseURL` it delivers nothing: tests hand
/// the signed webhooks it returns to the handlers themselves.
public final class FakePayments: @unchecked Sendable {
    private let service: FakeService
    public let keys: [String: String]

    public init(webhookBaseURL: String? = nil) throws {
        let keys = [
            "RAZORPAY_KEY_ID": "rzp_test_" + Crypto.hex(Crypto.randomBytes(4)),
            "RAZORPAY_KEY_SECRET": Crypto.hex(Crypto.randomBytes(12)),
            "RAZORPAY_WEBHOOK_SECRET": Crypto.hex(Crypto.randomBytes(12)),
            "STRIPE_SECRET_KEY": "sk_test_" + Crypto.hex(Crypto.randomBytes(12)),
            "STRIPE_WEBHOOK_SECRET": "whsec_" + Crypto.hex(Crypto.randomBytes(16)),
        ]
        self.keys = keys
        service = try FakeService("fake_payments.py") { directory in
            [
                "--razorpay-key-id", keys["RAZORPAY_KEY_ID"]!, "--razorpay-key-secret", keys["RAZORPAY_KEY_SECRET"]!,
                "--razorpay-webhook-secret", keys["RAZORPAY_WEBHOOK_SECRET"]!, "--stripe-secret-key", keys["STRIPE_SECRET_KEY"]!,
                "--stripe-webhook-secret", keys["STRIPE_WEBHOOK_SECRET"]!, "--record", directory + "/record.jsonl",
            ] + (webhookBaseURL.map { ["--webhook-base-url", $0] } ?? [])
        }
    }

    public var baseURL: String { service.baseURL }
    /// Stops the server now (a provider that is down).
    public func stop() { service.stop() }
    public var serverLog: String { service.log }

    /// The settings that point the payment functions at this fake.
    public var config: [String: String] {
        keys.merging(["RAZORPAY_API_URL": baseURL, "STRIPE_API_URL": baseURL, "PAYMENT_PROVIDER_TIMEOUT": "3"]) { $1 }
    }

    /// A test control (`/_fake/...`): POST with a JSON body, the answer parsed.
    @discardableResult
    public func control(_ path: String, _ json: String = "{}") throws -> JSONValue {
        let response = try HTTPClient(baseURL).send("POST", path, json: json)
        guard response.status == 200 else { throw ProcessFailure("\(path) answered \(response.status): \(response.text)") }
        return response.json
    }

    /// Every webhook the fake has signed so far, delivered or not (`GET /_fake/webhooks`).
    public func webhooks() throws -> [JSONValue] {
        let response = try HTTPClient(baseURL).send("GET", "/_fake/webhooks")
        guard case .array(let list) = response.json else { throw ProcessFailure("GET /_fake/webhooks: \(response.text)") }
        return list
    }

    /// The provider API requests received so far (`GET /_fake/requests`).
    public func requests() throws -> [JSONValue] {
        let response = try HTTPClient(baseURL).send("GET", "/_fake/requests")
        guard case .array(let list) = response.json else { throw ProcessFailure("GET /_fake/requests: \(response.text)") }
        return list
    }
}
