import Core
import Crypto
import Runtime

/// Where uploaded files live, and the links that reach them. Two stores, one interface:
///
/// - `local` (the default): files under `MEDIA_DIR`, written by the streaming upload function
///   and served by nginx: `/media/public/...` for everyone, `/media/private/...` only with a
///   `secure_link` signature that expires.
/// - `s3`: any S3-compatible bucket; clients upload with presigned PUTs and read private files
///   through presigned GETs, all SigV4.
public struct MediaStore: Sendable {
    public enum Backend: Sendable {
        case local(directory: String, baseURL: String, secret: String)
        case s3(S3Bucket)
    }

    public struct S3Bucket: Sendable {
        public var signer: SigV4
        public var scheme: String
        /// `host[:port]` of the endpoint.
        public var host: String
        public var bucket: String
        /// Bucket in the host name (`bucket.s3.amazonaws.com`) rather than the path.
        public var virtualHosted: Bool
        /// Where public objects are read (a CDN, or the bucket's own address).
        public var publicBaseURL: String

        /// Host and path of an object.
        func location(_ key: String) -> (host: String, path: String) {
            virtualHosted ? ("\(bucket).\(host)", "/\(key)") : (host, "/\(bucket)/\(key)")
        }
    }

    /// What a client does to upload: `method url` with exactly these headers, before `expiresAt`.
    public struct UploadTarget: Encodable, Sendable {
        public var method: String
        public var url: String
        public var headers: [String: String]
        public var expiresAt: String
    }

    public let backend: Backend
    /// Seconds a private link stays valid (`MEDIA_LINK_TTL_SECONDS`, default 900).
    public let linkTTL: Int
    /// Seconds an upload URL stays valid.
    public let uploadTTL: Int

    public init(backend: Backend, linkTTL: Int = 900, uploadTTL: Int = 3600) {
        self.backend = backend
        self.linkTTL = linkTTL
        self.uploadTTL = uploadTTL
    }

    public var name: String {
        if case .s3 = backend { return "s3" }
        return "local"
    }

    /// The store `MEDIA_STORAGE` names (`local` or `s3`), from its settings.
    public static func from(_ config: Config) throws -> MediaStore {
        let linkTTL = max(60, min(config.int("MEDIA_LINK_TTL_SECONDS", default: 900), 86_400))
        switch config["MEDIA_STORAGE"] ?? "local" {
        case "local":
            let secret = try config.require("MEDIA_SIGNING_SECRET")
            guard isLinkSecret(secret) else {
                throw ConfigError(key: "MEDIA_SIGNING_SECRET", reason: "must be at least 32 letters, digits, '-' or '_'")
            }
            let base = config["PUBLIC_BASE_URL"] ?? "http://127.0.0.1:8080"
            // Absolute: the upload function (run from its bin folder), the worker and nginx
            // must all mean the same folder.
            let directory = try config.require("MEDIA_DIR")
            guard directory.hasPrefix("/") else { throw ConfigError(key: "MEDIA_DIR", reason: "must be an absolute path") }
            return MediaStore(
                backend: .local(directory: trimSlash(directory), baseURL: trimSlash(base), secret: secret), linkTTL: linkTTL)
        case "s3":
            let endpoint = try config.require("S3_ENDPOINT")
            let parts = endpoint.split(separator: "://", maxSplits: 1).map(String.init)
            guard parts.count == 2, parts[0] == "https" || parts[0] == "http", !parts[1].isEmpty else {
                throw ConfigError(key: "S3_ENDPOINT", reason: "must be http(s)://host[:port]")
            }
            // The default port is not part of the Host header clients send, so not of the signature.
            var host = trimSlash(parts[1])
            if parts[0] == "https", host.hasSuffix(":443") { host.removeLast(4) }
            if parts[0] == "http", host.hasSuffix(":80") { host.removeLast(3) }
            let bucket = try config.require("S3_BUCKET")
            let signer = SigV4(
                accessKeyId: try config.require("S3_ACCESS_KEY_ID"), secretAccessKey: try config.require("S3_SECRET_ACCESS_KEY"),
                region: config["S3_REGION"] ?? "us-east-1")
            let virtual = config.bool("S3_VIRTUAL_HOSTED", default: false)
            let publicBase = config["S3_PUBLIC_BASE_URL"] ?? (virtual ? "\(parts[0])://\(bucket).\(host)" : "\(endpoint)/\(bucket)")
            return MediaStore(
                backend: .s3(
                    S3Bucket(
                        signer: signer, scheme: parts[0], host: host, bucket: bucket, virtualHosted: virtual,
                        publicBaseURL: trimSlash(publicBase))),
                linkTTL: linkTTL)
        default:
            throw ConfigError(key: "MEDIA_STORAGE", reason: "must be local or s3")
        }
    }

    /// Where the client sends the bytes of a new upload.
    public func uploadTarget(mediaId: String, key: String, contentType: String, size: Int, now: Int) -> UploadTarget {
        let expires = now + uploadTTL
        let headers = ["Content-Type": contentType, "Content-Length": String(size)]
        switch backend {
        case .local(_, let base, let secret):
            let signature = Self.uploadSignature(secret: secret, mediaId: mediaId, expires: expires)
            return UploadTarget(
                method: "PUT", url: "\(base)/api/v1/uploads/\(mediaId)/content?expires=\(expires)&signature=\(signature)",
                headers: headers, expiresAt: isoTime(expires))
        case .s3(let s3):
            // Size, type and `If-None-Match: *` are signed: one PUT of exactly this file can
            // succeed, and the object cannot be replaced after the media worker checked it.
            let (host, path) = s3.location(key)
            let url = s3.signer.presign(
                method: "PUT", scheme: s3.scheme, host: host, path: path,
                headers: [("content-length", String(size)), ("content-type", contentType), ("if-none-match", "*")],
                expires: uploadTTL, now: now)
            var signed = headers
            signed["If-None-Match"] = "*"
            return UploadTarget(method: "PUT", url: url, headers: signed, expiresAt: isoTime(expires))
        }
    }

    /// True when a local upload URL's signature is this store's and has not expired. nginx
    /// checks the same before it reads the body; this is the function's own check behind it.
    public func acceptsUpload(mediaId: String, expires: String?, signature: String?, now: Int) -> Bool {
        guard case .local(_, _, let secret) = backend, let expires, let signature, let time = Int(expires), time >= now else {
            return false
        }
        let expected = Self.uploadSignature(secret: secret, mediaId: mediaId, expires: time)
        return Crypto.constantTimeEquals(Array(expected.utf8), Array(signature.utf8))
    }

    /// nginx: secure_link_md5 "$secure_link_expires$uri <secret>" on the upload location; md5 as
    /// base64url. (A private file's link signs a `/media/` path: neither passes for the other.)
    static func uploadSignature(secret: String, mediaId: String, expires: Int) -> String {
        Base64URL.encode(Crypto.md5(Array("\(expires)/api/v1/uploads/\(mediaId)/content \(secret)".utf8)))
    }

    /// A link to a private file that works for `linkTTL` seconds; `downloadName` makes browsers
    /// save it under that name instead of showing it.
    public func privateLink(key: String, downloadName: String? = nil, now: Int) -> (url: String, expiresAt: String) {
        let expires = now + linkTTL
        switch backend {
        case .local(_, let base, let secret):
            // nginx: secure_link_md5 "$secure_link_expires$uri$arg_name <secret>"; md5 as base64url.
            let uri = "/media/\(key)"
            let name = downloadName.map(percentEncode) ?? ""
            let digest = Base64URL.encode(Crypto.md5(Array("\(expires)\(uri)\(name) \(secret)".utf8)))
            var url = "\(base)\(uri)?md5=\(digest)&expires=\(expires)"
            if !name.isEmpty { url += "&name=\(name)" }
            return (url, isoTime(expires))
        case .s3(let s3):
            let (host, path) = s3.location(key)
            var query: [(String, String)] = []
            if let downloadName {
                query.append(("response-content-disposition", "attachment; filename*=UTF-8''\(percentEncode(downloadName))"))
            }
            let url = s3.signer.presign(method: "GET", scheme: s3.scheme, host: host, path: path, query: query, expires: linkTTL, now: now)
            return (url, isoTime(expires))
        }
    }

    /// The permanent address of a public file (thumbnails, avatars).
    public func publicURL(key: String) -> String {
        switch backend {
        case .local(_, let base, _): return "\(base)/media/\(key)"
        case .s3(let s3): return "\(s3.publicBaseURL)/\(key)"
        }
    }

    /// A short-lived presigned request the server itself makes (the media worker's checks).
    public func serverRequest(method: String, key: String, now: Int) -> String? {
        guard case .s3(let s3) = backend else { return nil }
        let (host, path) = s3.location(key)
        return s3.signer.presign(method: method, scheme: s3.scheme, host: host, path: path, expires: 300, now: now)
    }

    /// The local folder (nil for S3).
    public var directory: String? {
        if case .local(let directory, _, _) = backend { return directory }
        return nil
    }
}

/// Secrets that go into nginx's configuration verbatim: no quoting surprises.
func isLinkSecret(_ text: String) -> Bool {
    text.utf8.count >= 32
        && text.utf8.allSatisfy { isAlphanumeric($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") }
}

func trimSlash(_ text: String) -> String {
    var text = text
    while text.hasSuffix("/") { text.removeLast() }
    return text
}
