import Core
import Crypto

/// The providers' signature schemes, checked on raw bytes and compared in constant time.
public enum Signatures {
    /// Razorpay's checkout handler: hex HMAC-SHA256(key secret, "order_id|payment_id"), with
    /// the order id that WE stored (never the one the browser sent back).
    public static func razorpayPayment(orderId: String, paymentId: String, keySecret: String) -> String {
        Crypto.hex(Crypto.hmacSHA256(key: Array(keySecret.utf8), data: Array("\(orderId)|\(paymentId)".utf8)))
    }

    /// Razorpay's webhooks: `X-Razorpay-Signature` = hex HMAC-SHA256(webhook secret, raw body).
    public static func razorpayWebhook(body: [UInt8], secret: String) -> String {
        Crypto.hex(Crypto.hmacSHA256(key: Array(secret.utf8), data: body))
    }

    /// Whether a hex signature that came over the wire equals the expected one.
    public static func matches(_ received: String, expected: String) -> Bool {
        // Lower-case hex of 32 bytes only; anything else cannot match (and costs no comparison).
        let bytes = Array(received.utf8)
        guard bytes.count == 64, bytes.allSatisfy({ (48...57).contains($0) || (97...102).contains($0) }) else { return false }
        return Crypto.constantTimeEquals(bytes, Array(expected.utf8))
    }

    /// Why a Stripe signature header was refused.
    public enum StripeFailure: Error, Equatable {
        /// No `t=` or no `v1=`, or not a header Stripe writes.
        case malformed
        /// The timestamp is further from now than the tolerance (a replay).
        case stale
        /// No `v1` matches.
        case mismatch
    }

    /// Stripe's webhooks: `Stripe-Signature: t=<unix>,v1=<hex>[,v1=<hex>...]`, each v1 a hex
    /// HMAC-SHA256 keyed with the whole `whsec_...` secret over "<t>.<raw body>". Accepts when
    /// any v1 matches and `t` is within `tolerance` seconds of `now`.
    public static func verifyStripe(header: String, body: [UInt8], secret: String, now: Int, tolerance: Int) throws(StripeFailure) {
        var timestamp: Int?
        var candidates: [String] = []
        for part in header.split(separator: ",") {
            let pair = part.split(separator: "=", maxSplits: 1)
            guard pair.count == 2 else { continue }
            let key = pair[0].trimmingSpaces
            if key == "t" {
                guard timestamp == nil, let value = Int(pair[1].trimmingSpaces) else { throw .malformed }
                timestamp = value
            } else if key == "v1" {
                candidates.append(pair[1].trimmingSpaces)
            }
        }
        guard let timestamp, !candidates.isEmpty, candidates.count <= 8 else { throw .malformed }
        guard abs(now - timestamp) <= tolerance else { throw .stale }
        let expected = stripe(timestamp: timestamp, body: body, secret: secret)
        guard candidates.contains(where: { matches($0, expected: expected) }) else { throw .mismatch }
    }

    /// The v1 signature Stripe computes for `timestamp` and `body`.
    public static func stripe(timestamp: Int, body: [UInt8], secret: String) -> String {
        Crypto.hex(Crypto.hmacSHA256(key: Array(secret.utf8), data: Array("\(timestamp).".utf8) + body))
    }
}

extension Substring {
    fileprivate var trimmingSpaces: String { String(self).trimmed() }
}
