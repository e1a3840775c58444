import CCurl
import CCurlHelpers

/// libcurl's global state, set up once per process before the first handle: `curl_global_init`
/// is not thread-safe on every libcurl build, and a Swift global is initialised exactly once.
private let curlGlobalInit: CURLcode = curl_global_init(Int(CURL_GLOBAL_DEFAULT))

/// A small synchronous HTTP client over one libcurl easy handle.
///
/// The handle is reused between requests, so requests to the same host share a kept-alive
/// (TLS) connection. Not thread-safe: use one client per thread, as workers do. Redirects are
/// not followed and only `http` and `https` URLs are accepted.
public final class CurlClient {
    /// The largest response body accepted unless the caller says otherwise (16 MiB).
    public static let defaultMaxResponseBytes = 16 << 20

    /// Responses with a larger body fail with `HTTPError.Kind.responseTooLarge`.
    public var maxResponseBytes: Int

    private let handle: UnsafeMutableRawPointer
    /// libcurl writes its detailed message here; it must outlive every transfer.
    private let errorBuffer: UnsafeMutablePointer<CChar>

    public init(maxResponseBytes: Int = CurlClient.defaultMaxResponseBytes) throws(HTTPError) {
        guard curlGlobalInit == CURLE_OK, let handle = curl_easy_init() else {
            throw HTTPError(kind: .other, message: "libcurl could not be initialised")
        }
        self.handle = handle
        self.maxResponseBytes = maxResponseBytes
        errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE))
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE))
    }

    deinit {
        curl_easy_cleanup(handle)
        errorBuffer.deallocate()
    }

    /// Sends one request and returns the complete response, whatever its status.
    ///
    /// - Parameters:
    ///   - method: `GET`, `POST`, `PUT`, `PATCH`, `DELETE`, `HEAD`, ...
    ///   - headers: sent as given; `Expect: 100-continue` is suppressed unless set here.
    ///   - body: sent with a `Content-Length`; a `POST` without one sends an empty body.
    ///   - timeoutSeconds: limit for the whole exchange, connecting included.
    /// - Throws: `HTTPError` when no complete response arrived (see `HTTPError.Kind`).
    public func request(
        method: String = "GET", url: String, headers: [String: String] = [:], body: [UInt8]? = nil,
        timeoutSeconds: Int = 30
    ) throws(HTTPError) -> HTTPResponse {
        guard !method.isEmpty, method.utf8.allSatisfy({ $0 >= 0x41 && $0 <= 0x5A }) else {
            throw HTTPError(kind: .invalidRequest, message: "method \(method) is not an upper-case token")
        }
        // CR or LF in a header would let a value smuggle in extra headers.
        for (name, value) in headers where (name + value).utf8.contains(where: { $0 == 13 || $0 == 10 }) || name.isEmpty {
            throw HTTPError(kind: .invalidRequest, message: "header \(name) contains a line break or has no name")
        }

        curl_easy_reset(handle)  // keeps the connection cache, forgets the last request's options
        errorBuffer[0] = 0
        try set(CURLOPT_ERRORBUFFER, pointer: UnsafeMutableRawPointer(errorBuffer))
        try set(CURLOPT_URL, string: url)
        try set(CURLOPT_PROTOCOLS_STR, string: "http,https")
        try set(CURLOPT_NOSIGNAL, long: 1)  // timeouts must not use SIGALRM in a threaded process
        try set(CURLOPT_TIMEOUT, long: max(1, timeoutSeconds))
        try set(CURLOPT_CONNECTTIMEOUT, long: max(1, min(timeoutSeconds, 10)))
        try set(CURLOPT_USERAGENT, string: "lms-backend")

        switch method {
        case "GET" where body == nil:
            try set(CURLOPT_HTTPGET, long: 1)
        case "HEAD":
            try set(CURLOPT_NOBODY, long: 1)
        default:
            if method != "POST" { try set(CURLOPT_CUSTOMREQUEST, string: method) }
            if body != nil || method == "POST" {
                // A trailing 0 gives an empty body a valid address; only `count` bytes are sent.
                let bytes = (body ?? []) + [0]
                try set(CURLOPT_POSTFIELDSIZE, long: bytes.count - 1)
                var code = CURLE_OK
                bytes.withUnsafeBytes {
                    code = lms_curl_setopt_pointer(handle, CURLOPT_COPYPOSTFIELDS, UnsafeMutableRawPointer(mutating: $0.baseAddress))
                }
                try check(code)
            }
        }

        var list: UnsafeMutablePointer<curl_slist>? = nil
        defer { curl_slist_free_all(list) }
        for (name, value) in headers { list = curl_slist_append(list, "\(name): \(value)") }
        // curl waits up to a second for "100 Continue" on larger bodies; no server here needs it.
        if !headers.keys.contains(where: { $0.lowercased() == "expect" }) { list = curl_slist_append(list, "Expect:") }
        try check(lms_curl_setopt_slist(handle, CURLOPT_HTTPHEADER, list))

        let transfer = Transfer(limit: maxResponseBytes)
        let context = Unmanaged.passUnretained(transfer).toOpaque()
        try check(lms_curl_setopt_write_callback(handle, CURLOPT_WRITEFUNCTION, Transfer.receiveBody))
        try set(CURLOPT_WRITEDATA, pointer: context)
        try check(lms_curl_setopt_write_callback(handle, CURLOPT_HEADERFUNCTION, Transfer.receiveHeader))
        try set(CURLOPT_HEADERDATA, pointer: context)

        let code = withExtendedLifetime(transfer) { curl_easy_perform(handle) }
        if code == CURLE_WRITE_ERROR, transfer.overflowed {
            throw HTTPError(kind: .responseTooLarge, message: "response body over \(maxResponseBytes) bytes", curlCode: Int(code.rawValue))
        }
        try check(code)
        var status = 0
        try check(lms_curl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status))
        return HTTPResponse(status: status, headers: transfer.headers, body: transfer.body)
    }

    private func set(_ option: CURLoption, long value: Int) throws(HTTPError) {
        try check(lms_curl_setopt_long(handle, option, value))
    }

    private func set(_ option: CURLoption, string value: String) throws(HTTPError) {
        try check(lms_curl_setopt_string(handle, option, value))
    }

    private func set(_ option: CURLoption, pointer value: UnsafeMutableRawPointer) throws(HTTPError) {
        try check(lms_curl_setopt_pointer(handle, option, value))
    }

    private func check(_ code: CURLcode) throws(HTTPError) {
        guard code != CURLE_OK else { return }
        let detail = String(cString: errorBuffer)
        let message = detail.isEmpty ? String(cString: curl_easy_strerror(code)) : detail
        throw HTTPError(kind: Self.kind(of: code), message: message, curlCode: Int(code.rawValue))
    }

    static func kind(of code: CURLcode) -> HTTPError.Kind {
        switch code {
        case CURLE_OPERATION_TIMEDOUT:
            return .timeout
        case CURLE_COULDNT_RESOLVE_PROXY, CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_CONNECT, CURLE_SSL_CONNECT_ERROR,
            CURLE_PEER_FAILED_VERIFICATION, CURLE_SEND_ERROR, CURLE_RECV_ERROR, CURLE_GOT_NOTHING, CURLE_PARTIAL_FILE,
            CURLE_WEIRD_SERVER_REPLY, CURLE_HTTP2, CURLE_HTTP2_STREAM, CURLE_HTTP3:
            return .connection
        case CURLE_URL_MALFORMAT, CURLE_UNSUPPORTED_PROTOCOL, CURLE_BAD_FUNCTION_ARGUMENT:
            return .invalidRequest
        default:
            return .other
        }
    }
}

/// What one transfer has received so far; libcurl's callbacks reach it through their context
/// pointer, since a C function pointer cannot capture.
private final class Transfer {
    let limit: Int
    var body: [UInt8] = []
    var headers: [(name: String, value: String)] = []
    var overflowed = false

    init(limit: Int) { self.limit = limit }

    static let receiveBody: curl_write_callback = { data, size, count, context in
        let transfer = Unmanaged<Transfer>.fromOpaque(context!).takeUnretainedValue()
        let length = size * count
        guard transfer.body.count + length <= transfer.limit else {
            transfer.overflowed = true
            return 0  // anything but `length` makes libcurl abort with CURLE_WRITE_ERROR
        }
        transfer.body.append(contentsOf: UnsafeRawBufferPointer(start: data, count: length))
        return length
    }

    /// Called once per header line, status lines and the blank line included.
    static let receiveHeader: curl_write_callback = { data, size, count, context in
        let transfer = Unmanaged<Transfer>.fromOpaque(context!).takeUnretainedValue()
        let length = size * count
        let line = String(decoding: UnsafeRawBufferPointer(start: data, count: length), as: UTF8.self)
        if line.hasPrefix("HTTP/") {
            transfer.headers = []  // a new response begins (after "100 Continue" or similar)
        } else if let colon = line.firstIndex(of: ":") {
            let name = String(line[..<colon])
            let value = line[line.index(after: colon)...].drop(while: { $0 == " " || $0 == "\t" })
            transfer.headers.append((name, String(value.reversed().drop(while: { $0.isWhitespace }).reversed())))
        }
        return length
    }
}
