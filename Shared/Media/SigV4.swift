import Core
import Crypto
import Runtime

#if canImport(Glibc)
    import Glibc
#endif

/// AWS Signature Version 4 presigned URLs (query-string authentication), as S3 and every
/// S3-compatible store (MinIO, R2, Spaces...) check them. Written here rather than pulled in:
/// it is one HMAC chain over a canonical request, and the AWS SDK would bring in SwiftNIO.
public struct SigV4: Sendable {
    public var accessKeyId: String
    public var secretAccessKey: String
    public var region: String
    public var service = "s3"

    public init(accessKeyId: String, secretAccessKey: String, region: String) {
        self.accessKeyId = accessKeyId
        self.secretAccessKey = secretAccessKey
        self.region = region
    }

    /// `scheme://host/path?query&X-Amz-...&X-Amz-Signature=...`. `path` is raw (each segment is
    /// encoded here); `headers` besides `host` are signed, so the request must carry exactly
    /// those values (a signed `content-length` pins an upload's size).
    public func presign(
        method: String, scheme: String, host: String, path: String, query: [(String, String)] = [],
        headers: [(String, String)] = [], expires: Int, now: Int
    ) -> String {
        let (timestamp, day) = Self.amzDate(now)
        let scope = "\(day)/\(region)/\(service)/aws4_request"
        let signed = ([("host", host)] + headers.map { ($0.0.lowercased(), $0.1.trimmed()) }).sorted { $0.0 < $1.0 }
        let signedHeaders = signed.map(\.0).joined(separator: ";")
        let parameters =
            query + [
                ("X-Amz-Algorithm", "AWS4-HMAC-SHA256"), ("X-Amz-Credential", "\(accessKeyId)/\(scope)"), ("X-Amz-Date", timestamp),
                ("X-Amz-Expires", String(expires)), ("X-Amz-SignedHeaders", signedHeaders),
            ]
        let encoded: [(String, String)] = parameters.map { (percentEncode($0.0), percentEncode($0.1)) }
        let sorted = encoded.sorted { (a: (String, String), b: (String, String)) -> Bool in a.0 == b.0 ? a.1 < b.1 : a.0 < b.0 }
        let canonicalQuery = sorted.map { "\($0.0)=\($0.1)" }.joined(separator: "&")
        let canonicalPath = path.split(separator: "/", omittingEmptySubsequences: false).map { percentEncode(String($0)) }
            .joined(separator: "/")
        let canonicalRequest = [
            method, canonicalPath, canonicalQuery, signed.map { "\($0.0):\($0.1)\n" }.joined(), signedHeaders, "UNSIGNED-PAYLOAD",
        ].joined(separator: "\n")
        let stringToSign = ["AWS4-HMAC-SHA256", timestamp, scope, Crypto.hex(Crypto.sha256(canonicalRequest))].joined(separator: "\n")
        var key = Array("AWS4\(secretAccessKey)".utf8)
        for part in [day, region, service, "aws4_request"] { key = Crypto.hmacSHA256(key: key, data: Array(part.utf8)) }
        let signature = Crypto.hex(Crypto.hmacSHA256(key: key, data: Array(stringToSign.utf8)))
        return "\(scheme)://\(host)\(canonicalPath)?\(canonicalQuery)&X-Amz-Signature=\(signature)"
    }

    /// `20130524T000000Z` and `20130524` for a Unix time.
    static func amzDate(_ time: Int) -> (String, String) {
        var seconds = time_t(time)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        let day = "\(parts.tm_year + 1900)\(two(parts.tm_mon + 1))\(two(parts.tm_mday))"
        return ("\(day)T\(two(parts.tm_hour))\(two(parts.tm_min))\(two(parts.tm_sec))Z", day)
    }
}
