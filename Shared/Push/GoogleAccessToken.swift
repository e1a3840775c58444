import Core
import Crypto
import FoundationEssentials
import HTTPClient

/// Obtains OAuth access tokens for a service account and keeps the current one until shortly
/// before it expires, so a worker signs and exchanges a JWT about once an hour, not per push.
final class GoogleAccessToken {
    /// Renewal starts this long before the stated expiry, so a token never expires in flight.
    static let renewalMarginSeconds = 300.0
    static let timeoutSeconds = 10

    let account: ServiceAccount
    let key: RSAPrivateKey
    let scope: String
    let http: CurlClient
    private var cached: (token: String, renewAt: Double)?

    init(account: ServiceAccount, scope: String, http: CurlClient) throws(PushError) {
        do { key = try RSAPrivateKey(pem: account.privateKey) } catch {
            throw PushError("the service account's private key is unusable: \(error)")
        }
        self.account = account
        self.scope = scope
        self.http = http
    }

    /// Forgets the cached token (the service refused it before its time).
    func invalidate() { cached = nil }

    /// The cached token, or a new one.
    /// - Throws: `TransientFailure` when the token service is unreachable or overloaded,
    ///   `PushError` when it refuses the service account.
    func current() throws -> String {
        if let cached, monotonicSeconds() < cached.renewAt { return cached.token }
        let assertion: String
        do { assertion = try account.assertion(scope: scope, key: key, now: unixTime()) } catch {
            throw PushError("signing the OAuth assertion failed: \(error)")
        }
        let form = "grant_type=\(percentEncode("urn:ietf:params:oauth:grant-type:jwt-bearer"))&assertion=\(percentEncode(assertion))"
        let started = monotonicSeconds()
        let response: HTTPResponse
        do throws(HTTPError) {
            response = try http.request(
                method: "POST", url: account.tokenURI, headers: ["Content-Type": "application/x-www-form-urlencoded"],
                body: Array(form.utf8), timeoutSeconds: Self.timeoutSeconds)
        } catch {
            guard error.kind != .invalidRequest else { throw PushError("token_uri \(account.tokenURI): \(error.message)") }
            throw TransientFailure("OAuth token request failed: \(error)")
        }
        switch response.status {
        case 200:
            guard let grant = try? JSONDecoder().decode(Grant.self, from: Data(response.body)), !grant.accessToken.isEmpty else {
                throw TransientFailure("OAuth token response without an access token")
            }
            let lifetime = Double(grant.expiresIn ?? 3600)
            // Counted from when the request started: the server's clock began before the reply.
            cached = (grant.accessToken, started + max(lifetime - Self.renewalMarginSeconds, lifetime / 2))
            return grant.accessToken
        case 429, 500...599:
            throw TransientFailure("OAuth token request answered \(response.status)")
        default:
            // invalid_grant, invalid_client...: a revoked key or a wrong clock, not this push.
            let reason = (try? JSONDecoder().decode(Refusal.self, from: Data(response.body))).map {
                " \($0.error): \($0.errorDescription ?? "")"
            }
            throw PushError("OAuth token request refused (\(response.status))\(reason ?? "")")
        }
    }

    struct Grant: Decodable {
        var accessToken: String
        var expiresIn: Int?
        enum CodingKeys: String, CodingKey {
            case accessToken = "access_token"
            case expiresIn = "expires_in"
        }
    }

    struct Refusal: Decodable {
        var error: String
        var errorDescription: String?
        enum CodingKeys: String, CodingKey {
            case error
            case errorDescription = "error_description"
        }
    }
}

/// A failure worth retrying; `send` reports it as `PushResult.transient`.
struct TransientFailure: Error {
    var message: String
    init(_ message: String) { self.message = message }
}
