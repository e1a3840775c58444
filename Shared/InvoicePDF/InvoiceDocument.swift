import Core

/// What an invoice or a credit note says: the `invoices` row as it was issued (issue 13's
/// contract), with no database in sight. Every text is UTF-8 in any script the font covers;
/// amounts are integer minor units of `currency`.
public struct InvoiceDocument: Sendable, Equatable {
    public enum Kind: String, Sendable {
        case invoice
        case creditNote = "credit_note"
    }

    /// The seller or the buyer (`{"name", "email", "address", "tax_id"}`); what is missing or
    /// empty is not shown. The address may hold line breaks.
    public struct Party: Sendable, Equatable, Decodable {
        public var name: String?
        public var email: String?
        public var address: String?
        public var taxId: String?

        enum CodingKeys: String, CodingKey {
            case name, email, address
            case taxId = "tax_id"
        }

        public init(name: String? = nil, email: String? = nil, address: String? = nil, taxId: String? = nil) {
            self.name = name
            self.email = email
            self.address = address
            self.taxId = taxId
        }

        var texts: [String] { [name, email, address, taxId].compactMap { $0 } }
    }

    /// One line of the order (`lines` of the row: `course_id` is not printed).
    public struct Line: Sendable, Equatable, Decodable {
        public var description: String
        public var listPriceMinor: Int
        public var discountMinor: Int
        public var netMinor: Int
        public var taxMinor: Int
        public var totalMinor: Int

        enum CodingKeys: String, CodingKey {
            case description
            case listPriceMinor = "list_price_minor"
            case discountMinor = "discount_minor"
            case netMinor = "net_minor"
            case taxMinor = "tax_minor"
            case totalMinor = "total_minor"
        }

        public init(description: String, listPriceMinor: Int, discountMinor: Int, netMinor: Int, taxMinor: Int, totalMinor: Int) {
            self.description = description
            self.listPriceMinor = listPriceMinor
            self.discountMinor = discountMinor
            self.netMinor = netMinor
            self.taxMinor = taxMinor
            self.totalMinor = totalMinor
        }
    }

    public var kind: Kind
    public var number: String
    /// "30 November 2026" (`PDFWriter.displayDate` of `issued_at`).
    public var issuedOn: String
    public var currency: String
    public var seller: Party
    public var buyer: Party
    public var lines: [Line]
    public var couponCode: String?
    public var subtotalMinor: Int
    public var discountMinor: Int
    public var netMinor: Int
    public var taxMinor: Int
    public var totalMinor: Int
    /// "GST"; may be empty when there is no tax.
    public var taxLabel: String
    /// Basis points: 1800 is 18%.
    public var taxRateBp: Int
    /// True: the prices include the tax; false: it is added to them.
    public var taxInclusive: Bool
    /// `razorpay`, `stripe`.
    public var provider: String
    public var paymentReference: String
    /// A credit note's invoice (its number).
    public var correctsNumber: String?

    public init(
        kind: Kind, number: String, issuedOn: String, currency: String, seller: Party, buyer: Party, lines: [Line], couponCode: String?,
        subtotalMinor: Int, discountMinor: Int, netMinor: Int, taxMinor: Int, totalMinor: Int, taxLabel: String, taxRateBp: Int,
        taxInclusive: Bool, provider: String, paymentReference: String, correctsNumber: String? = nil
    ) {
        self.kind = kind
        self.number = number
        self.issuedOn = issuedOn
        self.currency = currency
        self.seller = seller
        self.buyer = buyer
        self.lines = lines
        self.couponCode = couponCode
        self.subtotalMinor = subtotalMinor
        self.discountMinor = discountMinor
        self.netMinor = netMinor
        self.taxMinor = taxMinor
        self.totalMinor = totalMinor
        self.taxLabel = taxLabel
        self.taxRateBp = taxRateBp
        self.taxInclusive = taxInclusive
        self.provider = provider
        self.paymentReference = paymentReference
        self.correctsNumber = correctsNumber
    }

    /// "Tax invoice" or "Credit note".
    public var title: String { kind == .invoice ? "Tax invoice" : "Credit note" }

    /// Whether the document shows tax at all (a rate, or an amount).
    var showsTax: Bool { taxRateBp > 0 || taxMinor > 0 || lines.contains { $0.taxMinor > 0 } }

    var showsDiscount: Bool { discountMinor > 0 || lines.contains { $0.discountMinor > 0 } }

    /// "GST 18%", "VAT 12.5%", "Tax 0%".
    public var taxName: String {
        let whole = taxRateBp / 100
        let fraction = taxRateBp % 100
        var rate = String(whole)
        if fraction > 0 { rate += "." + (fraction % 10 == 0 ? String(fraction / 10) : (fraction < 10 ? "0" : "") + String(fraction)) }
        return (taxLabel.isEmpty ? "Tax" : taxLabel) + " " + rate + "%"
    }

    /// "Prices include GST 18%." or "GST 18% is added to the prices."; nil without tax.
    public var taxWording: String? {
        guard showsTax else { return nil }
        return taxInclusive ? "Prices include \(taxName)." : "\(taxName) is added to the prices."
    }

    /// "Razorpay", "Stripe", or the provider as stored.
    var providerName: String {
        switch provider {
        case "razorpay": "Razorpay"
        case "stripe": "Stripe"
        default: provider
        }
    }

    /// Every text that comes from the row: what decides the font.
    var texts: [String] {
        [number, issuedOn, currency, taxLabel, provider, paymentReference, couponCode ?? "", correctsNumber ?? ""] + seller.texts
            + buyer.texts + lines.map(\.description)
    }

    func money(_ minor: Int) -> String { Money.format(minor: minor, currency: currency) }
}
