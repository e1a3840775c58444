/// How a cart's lines are priced: the coupon's discount spread over the lines it applies to,
/// then the tax in (or on top of) each line. Integer minor units throughout; every rounding is
/// half up, and a fixed discount is spread so its parts add up exactly.
public enum Pricing {
    public struct Coupon: Sendable, Equatable {
        public enum Amount: Sendable, Equatable {
            case percent(Int)
            case fixed(Int)
        }
        public var amount: Amount
        public init(_ amount: Amount) { self.amount = amount }
    }

    public struct Line: Sendable, Equatable {
        public var listPrice: Int
        public var discount: Int
        public var tax: Int
        /// What the buyer pays for the line, tax included.
        public var price: Int
        public var net: Int { price - tax }
    }

    /// `eligible[i]`: whether the coupon applies to line i.
    public static func lines(
        listPrices: [Int], eligible: [Bool], coupon: Coupon?, taxBasisPoints: Int, taxInclusive: Bool
    ) -> [Line] {
        let discounts = discountsFor(listPrices: listPrices, eligible: eligible, coupon: coupon)
        return zip(listPrices, discounts).map { list, discount in
            let discounted = list - discount
            if taxInclusive {
                let tax = divideRounded(discounted * taxBasisPoints, 10_000 + taxBasisPoints)
                return Line(listPrice: list, discount: discount, tax: tax, price: discounted)
            }
            let tax = divideRounded(discounted * taxBasisPoints, 10_000)
            return Line(listPrice: list, discount: discount, tax: tax, price: discounted + tax)
        }
    }

    static func discountsFor(listPrices: [Int], eligible: [Bool], coupon: Coupon?) -> [Int] {
        guard let coupon else { return listPrices.map { _ in 0 } }
        switch coupon.amount {
        case .percent(let percent):
            return zip(listPrices, eligible).map { list, applies in applies ? divideRounded(list * percent, 100) : 0 }
        case .fixed(let amount):
            let base = zip(listPrices, eligible).reduce(0) { $0 + ($1.1 ? $1.0 : 0) }
            guard base > 0 else { return listPrices.map { _ in 0 } }
            let total = min(amount, base)
            // Largest remainder: each line's exact share rounded down, the rest to the largest fractions.
            var shares = zip(listPrices, eligible).map { list, applies in applies ? total * list / base : 0 }
            let remainders = zip(listPrices, eligible).enumerated().map { index, pair in
                (index, pair.1 ? (total * pair.0) % base : -1)
            }
            var left = total - shares.reduce(0, +)
            for (index, _) in remainders.sorted(by: { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0 < $1.0 }) where left > 0 && eligible[index] {
                shares[index] += 1
                left -= 1
            }
            return shares
        }
    }

    /// a / b rounded half up (a, b ≥ 0).
    static func divideRounded(_ a: Int, _ b: Int) -> Int { (2 * a + b) / (2 * b) }
}
