import Core
import HTTPClient
import Payments

/// A call to a payment provider's API, with the errors a learner may see: 503 when the
/// provider cannot be reached in time (try again later), 502 when it answered with an error.
/// Nothing of ours is written before the call succeeds, so either way there is nothing to undo.
struct ProviderCall {
    var provider: String
    var timeoutSeconds: Int
    var log: Logger

    func send(method: String = "POST", url: String, headers: [String: String], body: [UInt8]) throws -> JSONValue {
        let response: HTTPResponse
        do {
            let client = try CurlClient(maxResponseBytes: 1 << 20)
            response = try client.request(method: method, url: url, headers: headers, body: body, timeoutSeconds: timeoutSeconds)
        } catch {
            log.error("payment provider unreachable", [("provider", .string(provider)), ("error", .string(error.kind.description))])
            throw APIError(
                status: 503, code: "provider_unavailable",
                message: "The payment provider cannot be reached right now. Nothing was charged; try again in a minute.",
                headers: [("Retry-After", "30")])
        }
        guard (200...299).contains(response.status), let json = try? JSONValue.parse(response.body) else {
            // The provider's own error code and text help the operator; they hold no secret of ours.
            let answer = try? JSONValue.parse(response.body)
            let detail = answer?["error"]
            log.error(
                "payment provider refused",
                [
                    ("provider", .string(provider)), ("status", .int(response.status)),
                    ("code", .string(ProviderAPI.text(detail?["code"]) ?? ProviderAPI.text(detail?["type"]) ?? "")),
                    ("detail", .string(String((ProviderAPI.errorMessage(answer) ?? "").prefix(200)))),
                ])
            throw APIError(
                status: 502, code: "provider_error", message: "The payment provider could not start this payment. Nothing was charged.")
        }
        return json
    }
}
