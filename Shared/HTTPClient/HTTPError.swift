/// A request that produced no HTTP response. An HTTP error status is not an `HTTPError`: it is
/// a response, and the caller decides what it means.
public struct HTTPError: Error, Sendable, CustomStringConvertible {
    /// What went wrong, coarsely enough for a caller to choose between retrying and giving up.
    /// A struct with static members rather than an enum, so kinds can be added later.
    public struct Kind: Hashable, Sendable, CustomStringConvertible {
        let name: String

        /// Name resolution, TCP connect, TLS handshake or certificate check failed, or the
        /// connection broke before a complete response arrived. Usually worth retrying.
        public static let connection = Kind(name: "connection")
        /// The request did not finish within its time limit. Usually worth retrying.
        public static let timeout = Kind(name: "timeout")
        /// The request cannot be sent as given (malformed URL, unsupported scheme).
        public static let invalidRequest = Kind(name: "invalid request")
        /// The response was larger than the client accepts.
        public static let responseTooLarge = Kind(name: "response too large")
        /// Anything else libcurl reported.
        public static let other = Kind(name: "other")

        public var description: String { name }
    }

    public var kind: Kind
    /// libcurl's explanation (its error buffer, else `curl_easy_strerror`).
    public var message: String
    /// The `CURLcode`, for logs.
    public var curlCode: Int

    public init(kind: Kind, message: String, curlCode: Int = 0) {
        self.kind = kind
        self.message = message
        self.curlCode = curlCode
    }

    public var description: String { "HTTP request failed (\(kind)): \(message)" }
}
