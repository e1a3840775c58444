/// The one error type that knows its HTTP status. Handlers throw it; the runtime turns it
/// into the error envelope. Anything else thrown becomes a 500 (or 503 for an unreachable
/// database) with no internals in the body.
public struct APIError: Error, Sendable, CustomStringConvertible {
    public var status: Int
    public var code: String
    public var message: String
    public var fieldErrors: [FieldError]
    public var headers: [(String, String)]

    public init(status: Int, code: String, message: String, fieldErrors: [FieldError] = [], headers: [(String, String)] = []) {
        self.status = status
        self.code = code
        self.message = message
        self.fieldErrors = fieldErrors
        self.headers = headers
    }

    public var description: String { "APIError(\(status) \(code): \(message))" }

    public static func badRequest(_ message: String, code: String = "bad_request") -> APIError {
        APIError(status: 400, code: code, message: message)
    }
    public static let unauthorized = APIError(status: 401, code: "unauthorized", message: "Sign in to continue.")
    public static let forbidden = APIError(status: 403, code: "forbidden", message: "You are not allowed to do this.")
    public static func notFound(_ what: String = "Resource") -> APIError {
        APIError(status: 404, code: "not_found", message: "\(what) not found.")
    }
    public static func conflict(_ message: String, code: String = "conflict") -> APIError {
        APIError(status: 409, code: code, message: message)
    }
    public static func invalid(_ errors: [FieldError]) -> APIError {
        APIError(status: 422, code: "validation_failed", message: "Some fields are invalid.", fieldErrors: errors)
    }
    public static func invalid(field: String, _ message: String) -> APIError {
        invalid([FieldError(field: field, message: message)])
    }
    public static func tooManyRequests(retryAfter seconds: Int, message: String = "Too many attempts. Try again later.") -> APIError {
        APIError(status: 429, code: "rate_limited", message: message, headers: [("Retry-After", String(max(seconds, 1)))])
    }
    public static let payloadTooLarge = APIError(status: 413, code: "payload_too_large", message: "The request body is too large.")
    public static let unsupportedMediaType = APIError(
        status: 415, code: "unsupported_media_type", message: "Send the body as application/json.")
    public static let methodNotAllowed = APIError(status: 405, code: "method_not_allowed", message: "This method is not allowed here.")
    // swift-format-ignore: DontRepeatTypeInStaticProperties
    public static let internalError = APIError(status: 500, code: "internal_error", message: "Something went wrong on our side.")
    public static let unavailable = APIError(
        status: 503, code: "service_unavailable", message: "The service is temporarily unavailable. Try again shortly.",
        headers: [("Retry-After", "5")])
}

/// One failing field of a 422.
public struct FieldError: Sendable, Equatable, Encodable {
    public var field: String
    public var message: String
    public init(field: String, message: String) {
        self.field = field
        self.message = message
    }
}
