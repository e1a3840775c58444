import Core

/// An HTTP request as the function sees it, whichever of CGI or FastCGI delivered it.
public struct Request: Sendable {
    public var method: String
    /// The path without the query string, still percent-encoded (e.g. `/api/v1/users/me`).
    public var path: String
    /// The raw query string (after `?`).
    public var rawQuery: String { didSet { query = Request.parseQuery(rawQuery) } }
    /// Header names in lowercase (`content-type`, `authorization`, `x-request-id`, ...).
    public var headers: [String: String]
    public var body: [UInt8]
    public var remoteAddress: String
    /// Values of `{name}` segments of the route template (percent-decoded).
    public var pathParameters: [String: String]
    /// Set when the body could not be read as declared (too large, shorter than its length);
    /// the runtime answers with it before calling the handler.
    public var earlyError: APIError?
    /// The body of a streaming function (`BodyMode.stream`); `body` is then empty.
    public var stream: BodyStream?

    public init(
        method: String, path: String, rawQuery: String = "", headers: [String: String] = [:], body: [UInt8] = [],
        remoteAddress: String = "", pathParameters: [String: String] = [:]
    ) {
        self.method = method
        self.path = path
        self.rawQuery = rawQuery
        self.query = Request.parseQuery(rawQuery)
        self.headers = headers
        self.body = body
        self.remoteAddress = remoteAddress
        self.pathParameters = pathParameters
    }

    public func header(_ name: String) -> String? { headers[name.lowercased()] }

    /// Query parameters in order, percent-decoded, `+` as space; repeated keys appear repeatedly.
    /// Parsed once, when the query string is set.
    public private(set) var query: [(name: String, value: String)]

    static func parseQuery(_ rawQuery: String) -> [(name: String, value: String)] {
        rawQuery.split(separator: "&", omittingEmptySubsequences: true).map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = percentDecode(parts[0], plusIsSpace: true)
            let value = parts.count > 1 ? percentDecode(parts[1], plusIsSpace: true) : ""
            return (name, value)
        }
    }

    /// The first value of a query parameter.
    public func queryValue(_ name: String) -> String? { query.first { $0.name == name }?.value }

    /// Every value of a repeated query parameter (`?tag=a&tag=b`).
    public func queryValues(_ name: String) -> [String] { query.filter { $0.name == name }.map(\.value) }

    /// Cookies from the `Cookie` header.
    public var cookies: [String: String] {
        var result: [String: String] = [:]
        for part in (header("cookie") ?? "").split(separator: ";") {
            let pair = part.split(separator: "=", maxSplits: 1)
            guard pair.count == 2 else { continue }
            let name = String(pair[0]).trimmed()
            if result[name] == nil { result[name] = String(pair[1]).trimmed() }
        }
        return result
    }

    /// A path parameter; absent means the route did not match, which is a 404.
    public func parameter(_ name: String) throws -> String {
        guard let value = pathParameters[name], !value.isEmpty else { throw APIError.notFound() }
        return value
    }

    /// The body as JSON: 415 unless `application/json`, 400 when empty or malformed.
    public func json() throws -> JSONValue {
        let type = (header("content-type") ?? "").split(separator: ";").first.map { String($0).trimmed().lowercased() }
        guard type == "application/json" else { throw APIError.unsupportedMediaType }
        guard !body.isEmpty else { throw APIError.badRequest("A JSON body is required.", code: "body_required") }
        return try JSONValue.parse(body)
    }

    /// The body as JSON when one was sent, an empty object otherwise (for optional bodies).
    public func optionalJSON() throws -> JSONValue {
        body.isEmpty ? .object([:]) : try json()
    }

    /// Fills `pathParameters` by matching `path` against a template such as `/api/v1/users/{id}`.
    /// Returns false when they do not match.
    public mutating func matchRoute(_ template: String) -> Bool {
        let want = template.split(separator: "/", omittingEmptySubsequences: false)
        let have = path.split(separator: "/", omittingEmptySubsequences: false)
        guard want.count == have.count else { return false }
        var found: [String: String] = [:]
        for (pattern, segment) in zip(want, have) {
            if pattern.hasPrefix("{") && pattern.hasSuffix("}") {
                let value = percentDecode(segment, plusIsSpace: false)
                guard !value.isEmpty, !value.contains("/") else { return false }
                found[String(pattern.dropFirst().dropLast())] = value
            } else if pattern != segment {
                return false
            }
        }
        pathParameters = found
        return true
    }
}
