import Core
import FoundationEssentials

/// An HTTP response. Build it with `.ok(...)`, `.created(...)`, `.message(...)`; errors are
/// thrown as `APIError` and rendered by the runtime.
public struct Response: Sendable {
    public var status: Int
    public var headers: [(String, String)]
    public var body: [UInt8]

    public init(status: Int, headers: [(String, String)] = [], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// `{"success": true, "message": ..., "data": ...}` with status 200.
    public static func ok(_ data: some Encodable & Sendable, message: String = "OK") -> Response {
        envelope(status: 200, message: message, data: data)
    }

    /// The same envelope with status 201.
    public static func created(_ data: some Encodable & Sendable, message: String = "Created") -> Response {
        envelope(status: 201, message: message, data: data)
    }

    /// A success envelope whose data is null.
    public static func message(_ message: String, status: Int = 200) -> Response {
        envelope(status: status, message: message, data: Optional<String>.none)
    }

    /// `token`: an access token also carried at the top level (`{success, message, data, token}`),
    /// where the frontends read it after sign-up, sign-in and refresh.
    public static func envelope(status: Int, message: String, data: some Encodable & Sendable, token: String? = nil) -> Response {
        let body = try? encodeJSON(Envelope(message: message, data: data, token: token))
        guard let body else { return error(.internalError, requestId: nil) }
        return Response(status: status, headers: [("Content-Type", "application/json; charset=utf-8")], body: body)
    }

    /// The error envelope: `{"success": false, "message", "code", "errors", "request_id"}`.
    public static func error(_ error: APIError, requestId: String?) -> Response {
        let envelope = ErrorEnvelope(message: error.message, code: error.code, errors: error.fieldErrors, requestId: requestId)
        let body = (try? encodeJSON(envelope)) ?? Array(#"{"success":false}"#.utf8)
        return Response(
            status: error.status, headers: [("Content-Type", "application/json; charset=utf-8")] + error.headers, body: body)
    }

    /// Adds a `Set-Cookie` header (httpOnly always; `Secure` unless turned off for local HTTP).
    public mutating func setCookie(
        _ name: String, _ value: String, path: String, maxAge: Int, sameSite: String = "Lax", secure: Bool
    ) {
        var cookie = "\(name)=\(value); Path=\(path); Max-Age=\(maxAge); HttpOnly; SameSite=\(sameSite)"
        if secure { cookie += "; Secure" }
        headers.append(("Set-Cookie", cookie))
    }

    /// Removes a cookie on the client.
    public mutating func clearCookie(_ name: String, path: String, secure: Bool) {
        setCookie(name, "", path: path, maxAge: 0, sameSite: "Lax", secure: secure)
    }

    /// The CGI/FastCGI response head plus body.
    public func serialized() -> [UInt8] {
        var head = "Status: \(status) \(Response.reason(status))\r\n"
        var hasLength = false
        for (name, value) in headers {
            // Header values never carry CR/LF (no response splitting).
            var clean = ""
            clean.unicodeScalars.append(contentsOf: value.unicodeScalars.filter { $0 != "\r" && $0 != "\n" })
            head += "\(name): \(clean)\r\n"
            if name.lowercased() == "content-length" { hasLength = true }
        }
        if !hasLength { head += "Content-Length: \(body.count)\r\n" }
        head += "Cache-Control: no-store\r\n\r\n"
        return Array(head.utf8) + body
    }

    static func reason(_ status: Int) -> String {
        switch status {
        case 200: return "OK"
        case 201: return "Created"
        case 204: return "No Content"
        case 400: return "Bad Request"
        case 401: return "Unauthorized"
        case 403: return "Forbidden"
        case 404: return "Not Found"
        case 405: return "Method Not Allowed"
        case 409: return "Conflict"
        case 411: return "Length Required"
        case 413: return "Payload Too Large"
        case 415: return "Unsupported Media Type"
        case 422: return "Unprocessable Content"
        case 429: return "Too Many Requests"
        case 500: return "Internal Server Error"
        case 503: return "Service Unavailable"
        default: return "Status"
        }
    }
}

struct Envelope<T: Encodable>: Encodable {
    var message: String
    var data: T
    var token: String? = nil

    enum CodingKeys: String, CodingKey { case success, message, data, token }

    func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(true, forKey: .success)
        try container.encode(message, forKey: .message)
        // Always present, `null` when there is nothing to return.
        if let optional = data as? OptionalProtocol, optional.isNone {
            try container.encodeNil(forKey: .data)
        } else {
            try container.encode(data, forKey: .data)
        }
        try container.encodeIfPresent(token, forKey: .token)
    }
}

private protocol OptionalProtocol { var isNone: Bool { get } }
extension Optional: OptionalProtocol {
    var isNone: Bool { self == nil }
}

struct ErrorEnvelope: Encodable {
    var success = false
    var message: String
    var code: String
    var errors: [FieldError]
    var requestId: String?
}
