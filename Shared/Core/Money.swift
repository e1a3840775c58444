/// Amounts are integers in the currency's minor unit (paise, cents) everywhere; this is the one
/// place they become text for people.
public enum Money {
    /// ISO 4217 minor-unit digits of the currencies that do not use 2.
    static let exponents: [String: Int] = [
        "BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "ISK": 0, "JPY": 0, "KMF": 0, "KRW": 0, "PYG": 0, "RWF": 0, "UGX": 0, "VND": 0,
        "VUV": 0, "XAF": 0, "XOF": 0, "XPF": 0, "BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3,
    ]

    /// Digits after the decimal point in `currency`.
    public static func exponent(_ currency: String) -> Int { exponents[currency.uppercased()] ?? 2 }

    /// `INR 1,499.00`, `JPY 1,500`, `-USD 5.00`.
    public static func format(minor: Int, currency: String) -> String {
        (minor < 0 ? "-" : "") + currency.uppercased() + " " + digits(minor.magnitude, currency)
    }

    /// `1,499.00`, `1,500`, `-5.00`: the amount without its currency, for columns under a
    /// heading that names it.
    public static func amount(minor: Int, currency: String) -> String {
        (minor < 0 ? "-" : "") + digits(minor.magnitude, currency)
    }

    static func digits(_ magnitude: UInt, _ currency: String) -> String {
        let digits = exponent(currency)
        var scale: UInt = 1
        for _ in 0..<digits { scale *= 10 }
        let whole = String(magnitude / scale)
        var grouped = ""
        for (index, character) in whole.enumerated() {
            if index > 0 && (whole.count - index) % 3 == 0 { grouped.append(",") }
            grouped.append(character)
        }
        guard digits > 0 else { return grouped }
        let fraction = String(magnitude % scale)
        return grouped + "." + String(repeating: "0", count: digits - fraction.count) + fraction
    }
}
