import FoundationEssentials
import HTTPClient

/// FCM's error body (`{"error": {"code", "message", "status", "details": [...]}}`) and what a
/// response means for the push.
struct FCMFailure {
    var status: Int
    var errorStatus: String?
    var message: String?
    /// `UNREGISTERED`, `INVALID_ARGUMENT`, `QUOTA_EXCEEDED`, `SENDER_ID_MISMATCH`, ...
    var errorCode: String?
    /// Fields named by a `google.rpc.BadRequest` detail, such as `message.token`.
    var fields: [String] = []
    var retryAfter: String?

    init(_ response: HTTPResponse) {
        status = response.status
        retryAfter = response.header("Retry-After")
        guard let body = try? JSONDecoder().decode(Body.self, from: Data(response.body)) else { return }
        errorStatus = body.error.status
        message = body.error.message
        for detail in body.error.details ?? [] {
            if let code = detail.errorCode { errorCode = code }
            fields += (detail.fieldViolations ?? []).compactMap(\.field)
        }
    }

    /// The token itself is the problem: 400 INVALID_ARGUMENT says so through a field violation
    /// on `message.token` or in its message; other 400s are about the payload.
    var blamesToken: Bool {
        fields.contains("message.token") || (message?.lowercased().contains("registration token") ?? false)
    }

    /// For logs: status, FCM's code and message.
    var summary: String {
        var text = "FCM \(status)"
        if let code = errorCode ?? errorStatus { text += " \(code)" }
        if let message { text += ": \(message)" }
        if let retryAfter { text += " (retry after \(retryAfter) s)" }
        return text
    }

    /// 2xx delivered; 404 or a 400 about the token gone; 429 and 5xx transient; other 4xx
    /// permanent. (401 is handled before this: it is about our credentials.)
    static func result(of response: HTTPResponse) -> PushResult {
        if (200..<300).contains(response.status) { return .delivered }
        let failure = FCMFailure(response)
        switch response.status {
        case 404:
            return .tokenGone
        case 400 where failure.errorCode == "UNREGISTERED":
            return .tokenGone
        case 400 where (failure.errorCode ?? failure.errorStatus) == "INVALID_ARGUMENT" && failure.blamesToken:
            return .tokenGone
        case 429, 500...599:
            return .transient(failure.summary)
        case 400..<500:
            return .permanent(failure.summary)
        default:
            // A redirect or other surprise: most likely a wrong FCM_BASE_URL; keep the message.
            return .transient(failure.summary)
        }
    }

    struct Body: Decodable {
        struct Violation: Decodable { var field: String? }
        struct Detail: Decodable {
            var errorCode: String?
            var fieldViolations: [Violation]?
        }
        struct Error: Decodable {
            var code: Int?
            var message: String?
            var status: String?
            var details: [Detail]?
        }
        var error: Error
    }
}
