import Core
import Database
import HTTPClient
import Payments
import Queue
import Worker

/// Orders whose confirmation never reached us (a webhook lost, a learner who closed the tab
/// before Razorpay's checkout handler ran) are asked about: every `RECONCILE_SECONDS` (300) the
/// job `payment.reconcile` looks at orders pending for more than 10 minutes (up to two days
/// old) and asks the provider (Razorpay: the order's payments; Stripe: the Checkout Session).
/// What it finds goes through the same billing transaction as a webhook (`source`
/// `reconcile`), so an order paid meanwhile by a late webhook is paid once either way.
public enum Reconciliation {
    public static let queue = "reconcile"
    public static let kind = "payment.reconcile"

    /// How many orders one run looks at.
    static let batch = 100

    @discardableResult
    public static func run(_ db: Connection, settings: PaymentSettings, log: Logger) throws -> [Billing.Outcome] {
        let orders = try db.query(
            """
            SELECT id::text, provider, provider_order_id FROM orders
            WHERE status = 'pending' AND created_at < now() - interval '10 minutes' AND created_at > now() - interval '2 days'
            ORDER BY created_at LIMIT \(batch)
            """
        ).rows
        guard !orders.isEmpty else { return [] }
        let client = try CurlClient(maxResponseBytes: 1 << 20)
        var outcomes: [Billing.Outcome] = []
        for order in orders {
            let orderId = try order.string("id")
            let providerOrderId = try order.string("provider_order_id")
            do {
                let notice =
                    try order.string("provider") == "razorpay"
                    ? try razorpay(client, providerOrderId: providerOrderId, orderId: orderId, settings: settings)
                    : try stripe(client, sessionId: providerOrderId, orderId: orderId, settings: settings)
                guard let notice else { continue }
                let result = try Billing.record(db, notice, settings: settings)
                outcomes.append(result.outcome)
                log.info("order reconciled", [("order", .string(orderId)), ("outcome", .string(result.outcome.rawValue))])
            } catch let error as HTTPError {
                // The provider is unreachable: the next run asks again.
                log.warning("reconciliation skipped an order", [("order", .string(orderId)), ("error", .string(error.kind.description))])
            } catch let error as APIError where error.code == "payments_unavailable" {
                // This provider has no keys here (only the other one is used): nothing to ask.
                log.warning("reconciliation skipped an order", [("order", .string(orderId)), ("error", .string(error.code))])
            }
        }
        return outcomes
    }

    /// Razorpay: a captured payment of the order pays it.
    static func razorpay(_ client: CurlClient, providerOrderId: String, orderId: String, settings: PaymentSettings) throws
        -> Billing.Notice?
    {
        let answer = try get(
            client, settings.razorpayAPI + "/v1/orders/\(percentEncode(providerOrderId))/payments",
            authorization: try ProviderAPI.razorpayAuthorization(settings), settings: settings)
        guard case .array(let items)? = answer?["items"],
            let payment = items.first(where: { ProviderAPI.text($0["status"]) == "captured" }),
            let paymentId = ProviderAPI.text(payment["id"])
        else { return nil }
        return Billing.Notice(
            provider: .razorpay, source: "reconcile", eventId: "reconcile:\(paymentId)", eventType: "reconcile.payment.captured",
            kind: .paid, providerOrderId: providerOrderId, orderId: orderId, paymentId: paymentId,
            amountMinor: ProviderAPI.amount(payment["amount"]),
            currency: ProviderAPI.text(payment["currency"]), feeMinor: ProviderAPI.amount(payment["fee"]), remoteAddress: "")
    }

    /// Stripe: a session paid pays the order; one expired ends it.
    static func stripe(_ client: CurlClient, sessionId: String, orderId: String, settings: PaymentSettings) throws -> Billing.Notice? {
        guard
            let session = try get(
                client, settings.stripeAPI + "/v1/checkout/sessions/\(percentEncode(sessionId))",
                authorization: try ProviderAPI.stripeAuthorization(settings), settings: settings)
        else { return nil }
        let kind: Billing.Notice.Kind
        switch (ProviderAPI.text(session["payment_status"]), ProviderAPI.text(session["status"])) {
        case ("paid", _): kind = .paid
        case (_, "expired"): kind = .expired
        default: return nil
        }
        return Billing.Notice(
            provider: .stripe, source: "reconcile", eventId: "reconcile:\(sessionId):\(kind == .paid ? "paid" : "expired")",
            eventType: "reconcile.checkout.session", kind: kind, providerOrderId: sessionId, orderId: orderId,
            paymentId: ProviderAPI.text(session["payment_intent"]), amountMinor: ProviderAPI.amount(session["amount_total"]),
            currency: ProviderAPI.text(session["currency"]),
            remoteAddress: "")
    }

    /// The provider's JSON answer, or nil when it does not know the order (or answers an error).
    static func get(_ client: CurlClient, _ url: String, authorization: String, settings: PaymentSettings) throws -> JSONValue? {
        let response = try client.request(
            method: "GET", url: url, headers: ["Authorization": authorization], timeoutSeconds: settings.timeoutSeconds)
        guard (200...299).contains(response.status) else { return nil }
        return try? JSONValue.parse(response.body)
    }
}
