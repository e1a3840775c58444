import Core

#if canImport(Glibc)
    import Glibc
#endif

/// CGI/1.1 (RFC 3875): the request in environment variables and exactly `CONTENT_LENGTH`
/// bytes on stdin; the response on stdout.
enum CGI {
    static func readRequest(config: Config, endpoint: Endpoint) -> Request {
        let params = config.values
        let limit = endpoint.bodyLimit
        var body: [UInt8] = []
        var error: APIError?
        switch declaredLength(params) {
        case .invalid:
            error = .badRequest("Content-Length is not a number.", code: "bad_content_length")
        case .length(let length) where length > limit:
            error = .payloadTooLarge
        case .length(let length) where endpoint.mode == .stream:
            var request = makeRequest(params: params, body: [], earlyError: nil)
            request.stream = BodyStream(fd: 0, length: length)
            return request
        case .length(let length):
            body = readExactly(fd: 0, count: length)
            if body.count != length {
                error = .badRequest("The request body is shorter than its Content-Length.", code: "truncated_body")
                body = []
            }
        case .none:
            break
        }
        return makeRequest(params: params, body: body, earlyError: error)
    }

    static func write(_ response: Response) {
        let bytes = response.serialized()
        _ = writeAll(fd: 1, bytes)
    }
}

enum DeclaredLength: Equatable {
    case none
    case invalid
    case length(Int)
}

func declaredLength(_ params: [String: String]) -> DeclaredLength {
    guard let text = params["CONTENT_LENGTH"], !text.isEmpty else { return .none }
    guard text.utf8.count <= 18, text.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }), let value = Int(text) else { return .invalid }
    return .length(value)
}

/// Builds the request from CGI variables or FastCGI params (the same names).
func makeRequest(params: [String: String], body: [UInt8], earlyError: APIError?) -> Request {
    let uri = params["REQUEST_URI"] ?? ((params["SCRIPT_NAME"] ?? "") + (params["PATH_INFO"] ?? ""))
    let path = String(uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? "")
    var headers: [String: String] = [:]
    for (key, value) in params where key.hasPrefix("HTTP_") {
        headers[String(key.dropFirst(5)).lowercased().replacingAll("_", with: "-")] = value
    }
    if let type = params["CONTENT_TYPE"], !type.isEmpty { headers["content-type"] = type }
    if let length = params["CONTENT_LENGTH"], !length.isEmpty { headers["content-length"] = length }
    var request = Request(
        method: params["REQUEST_METHOD"] ?? "GET", path: path, rawQuery: params["QUERY_STRING"] ?? "", headers: headers,
        body: body, remoteAddress: params["REMOTE_ADDR"] ?? "")
    request.earlyError = earlyError
    return request
}

/// Reads up to `count` bytes, stopping early only at end of input or an error.
func readExactly(fd: Int32, count: Int) -> [UInt8] {
    var bytes = [UInt8](repeating: 0, count: count)
    var filled = 0
    while filled < count {
        let got = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress! + filled, count - filled) }
        if got > 0 {
            filled += got
        } else if got < 0 && errno == EINTR {
            continue
        } else {
            break
        }
    }
    bytes.removeLast(count - filled)
    return bytes
}
