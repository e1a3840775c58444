import Core

/// Tax, fees, numbering, the seller and the refund policy, from the environment
/// (`.env.example` lists them). Read by the functions that price, pay and refund.
public struct BillingSettings: Sendable {
    /// "GST", "VAT"...; empty with no tax.
    public var taxLabel: String
    /// Basis points: 1800 is 18%.
    public var taxRateBasisPoints: Int
    /// Course prices include the tax (true) or the tax is added at checkout (false).
    public var taxInclusive: Bool
    /// The platform's share of what is left after tax and the provider's fee, in basis points.
    public var platformFeeBasisPoints: Int
    public var invoicePrefix: String
    public var creditNotePrefix: String
    /// The month the financial year starts (4: April, as in India); 1 names years "2026".
    public var fiscalYearStartMonth: Int
    /// Name, email, address, tax id as invoices show them (empty values are left out).
    public var seller: [String: String]
    public var refundWindowDays: Int
    /// Refunds are refused once more than this percent of the course is done.
    public var refundMaxProgressPercent: Int
    /// Approve refund requests that meet the policy without an admin.
    public var refundAutoApprove: Bool
    /// Minutes an unpaid order keeps its coupon use reserved.
    public var couponHoldMinutes: Int

    public init(_ config: Config) {
        taxLabel = config["TAX_LABEL"] ?? "GST"
        taxRateBasisPoints = Self.basisPoints(config["TAX_RATE_PERCENT"] ?? "18") ?? 1800
        taxInclusive = config.bool("TAX_INCLUSIVE", default: true)
        platformFeeBasisPoints = Self.basisPoints(config["PLATFORM_FEE_PERCENT"] ?? "30") ?? 3000
        invoicePrefix = Self.prefix(config["INVOICE_PREFIX"]) ?? "INV"
        creditNotePrefix = Self.prefix(config["CREDIT_NOTE_PREFIX"]) ?? "CN"
        fiscalYearStartMonth = min(max(config.int("FISCAL_YEAR_START_MONTH", default: 4), 1), 12)
        seller = [
            "name": config["SELLER_NAME"] ?? config["PRODUCT_NAME"] ?? "LMS", "email": config["SELLER_EMAIL"] ?? "",
            "address": (config["SELLER_ADDRESS"] ?? "").replacingAll("\\n", with: "\n"), "tax_id": config["SELLER_TAX_ID"] ?? "",
        ].filter { !$0.value.isEmpty }
        refundWindowDays = max(config.int("REFUND_WINDOW_DAYS", default: 30), 0)
        refundMaxProgressPercent = min(max(config.int("REFUND_MAX_PROGRESS_PERCENT", default: 30), 0), 100)
        refundAutoApprove = config.bool("REFUND_AUTO_APPROVE", default: false)
        couponHoldMinutes = min(max(config.int("COUPON_HOLD_MINUTES", default: 30), 1), 24 * 60)
    }

    /// A series prefix: 1–16 capitals, digits or `-` (numbers name the PDF files; anything else
    /// falls back to the default).
    static func prefix(_ text: String?) -> String? {
        guard let text, (1...16).contains(text.utf8.count), let first = text.utf8.first, first != 45,
            text.utf8.allSatisfy({ (65...90).contains($0) || (48...57).contains($0) || $0 == 45 })
        else { return nil }
        return text
    }

    /// "18" or "7.25" percent as basis points (1800, 725); nil for anything else or above 100%.
    static func basisPoints(_ text: String) -> Int? {
        let parts = text.trimmed().split(separator: ".", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), let whole = Int(parts[0]), whole >= 0 else { return nil }
        var fraction = 0
        if parts.count == 2 {
            guard (1...2).contains(parts[1].count), let value = Int(parts[1]) else { return nil }
            fraction = parts[1].count == 1 ? value * 10 : value
        }
        let result = whole * 100 + fraction
        return result <= 10_000 ? result : nil
    }

    /// The financial year of a date: "2026-27" for 2026-04-01 ... 2027-03-31 when it starts in
    /// April, "2026" when it starts in January.
    public func fiscalYear(year: Int, month: Int) -> String {
        guard fiscalYearStartMonth > 1 else { return String(year) }
        let start = month >= fiscalYearStartMonth ? year : year - 1
        let end = (start + 1) % 100
        return "\(start)-\(end < 10 ? "0" : "")\(end)"
    }

    /// `INV-2026-27-000123`.
    public func number(prefix: String, fiscalYear: String, sequence: Int) -> String {
        let digits = String(sequence)
        return "\(prefix)-\(fiscalYear)-" + String(repeating: "0", count: max(0, 6 - digits.count)) + digits
    }
}
