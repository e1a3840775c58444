import Core
import Crypto
import FoundationEssentials

/// The fields of a Google service-account key file (the JSON the Firebase console downloads)
/// that FCM needs.
public struct ServiceAccount: Sendable, Decodable, CustomStringConvertible {
    public var clientEmail: String
    /// PEM (PKCS#8). Never logged: `description` leaves it out.
    public var privateKey: String
    public var privateKeyID: String?
    /// Where the signed assertion is exchanged for an access token.
    public var tokenURI: String
    public var projectID: String

    public init(clientEmail: String, privateKey: String, privateKeyID: String? = nil, tokenURI: String, projectID: String) {
        self.clientEmail = clientEmail
        self.privateKey = privateKey
        self.privateKeyID = privateKeyID
        self.tokenURI = tokenURI
        self.projectID = projectID
    }

    enum CodingKeys: String, CodingKey {
        case clientEmail = "client_email"
        case privateKey = "private_key"
        case privateKeyID = "private_key_id"
        case tokenURI = "token_uri"
        case projectID = "project_id"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        clientEmail = try container.decode(String.self, forKey: .clientEmail)
        privateKey = try container.decode(String.self, forKey: .privateKey)
        privateKeyID = try container.decodeIfPresent(String.self, forKey: .privateKeyID)
        // Every file Google issues has token_uri; older tooling wrote files without it.
        tokenURI = try container.decodeIfPresent(String.self, forKey: .tokenURI) ?? "https://oauth2.googleapis.com/token"
        projectID = try container.decode(String.self, forKey: .projectID)
    }

    /// Reads and parses a key file.
    public static func load(path: String) throws(PushError) -> ServiceAccount {
        let text: String
        do { text = try readTextFile(path) } catch { throw PushError("service account file \(path) cannot be read") }
        do {
            return try JSONDecoder().decode(ServiceAccount.self, from: Data(text.utf8))
        } catch {
            // The decoder's message names the missing or mistyped field, never a value.
            throw PushError("service account file \(path) is not a service-account key: \(error)")
        }
    }

    public var description: String { "ServiceAccount(\(clientEmail), project \(projectID))" }

    /// The signed JWT that Google's token endpoint exchanges for an access token with `scope`
    /// (RFC 7523 JWT bearer grant; valid for an hour from `now`).
    func assertion(scope: String, key: RSAPrivateKey, now: Int) throws(CryptoError) -> String {
        var header = #"{"alg":"RS256","typ":"JWT""#
        if let privateKeyID { header += ",\"kid\":\(jsonString(privateKeyID))" }
        header += "}"
        let claims =
            "{\"iss\":\(jsonString(clientEmail)),\"scope\":\(jsonString(scope)),\"aud\":\(jsonString(tokenURI)),"
            + "\"iat\":\(now),\"exp\":\(now + 3600)}"
        let signingInput = Base64URL.encode(Array(header.utf8)) + "." + Base64URL.encode(Array(claims.utf8))
        return signingInput + "." + Base64URL.encode(try key.signRS256(Array(signingInput.utf8)))
    }
}
