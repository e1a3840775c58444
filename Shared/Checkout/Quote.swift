import Auth
import Core
import Database
import Payments

/// A cart priced for its buyer: each line's list price, the coupon's share of the discount, the
/// tax, and what is charged. Made once before the provider is called and again, under locks,
/// when the order is written; the two must be equal.
struct Quote: Equatable {
    var cart: Cart
    var coupon: CouponCheck?
    var lines: [Pricing.Line]
    var tax: (label: String, basisPoints: Int, inclusive: Bool)

    var currency: String { cart.currency }
    var amount: Int { lines.reduce(0) { $0 + $1.price } }
    var discount: Int { lines.reduce(0) { $0 + $1.discount } }

    /// The smallest charge the providers take (Razorpay: 100 paise or cents).
    static let minimumCharge = 100

    static func make(_ db: Connection, cart: Cart, couponCode: String?, buyer: Caller, settings: BillingSettings, lock: Bool) throws
        -> Quote
    {
        let coupon = try couponCode.map { try CouponCheck.check(db, code: $0, cart: cart, buyer: buyer, settings: settings, lock: lock) }
        let lines = Pricing.lines(
            listPrices: cart.items.map(\.priceMinor), eligible: coupon?.eligible ?? cart.items.map { _ in false }, coupon: coupon?.coupon,
            taxBasisPoints: settings.taxRateBasisPoints, taxInclusive: settings.taxInclusive)
        let quote = Quote(
            cart: cart, coupon: coupon, lines: lines, tax: (settings.taxLabel, settings.taxRateBasisPoints, settings.taxInclusive))
        if coupon != nil, quote.amount < minimumCharge {
            throw APIError.invalid(field: "coupon", "brings the total below the smallest amount that can be charged")
        }
        return quote
    }

    static func == (a: Quote, b: Quote) -> Bool {
        a.cart == b.cart && a.coupon == b.coupon && a.lines == b.lines && a.tax == b.tax
    }
}
