import Core
import Crypto
import FoundationEssentials

/// HS256 JSON Web Tokens. The header must say exactly `HS256` (no `none`, no RS/HS confusion),
/// the signature is compared in constant time, and `exp` is always checked.
public enum JWT {
    public struct Claims: Codable, Sendable, Equatable {
        /// User id.
        public var sub: String
        public var role: String
        public var iat: Int
        public var exp: Int
        /// The user's token version when issued; bumping it revokes every access token.
        public var ver: Int

        public init(sub: String, role: String, iat: Int, exp: Int, ver: Int) {
            self.sub = sub
            self.role = role
            self.iat = iat
            self.exp = exp
            self.ver = ver
        }

        /// The claims of a verified payload, read as `JSONDecoder` would (every claim required,
        /// numbers whole), through Core's JSON parser: the decoder was a tenth of the CPU time
        /// of a small authenticated request.
        init?(json: [UInt8]) {
            guard let value = try? JSONValue.parse(json), case .string(let sub)? = value["sub"], case .string(let role)? = value["role"],
                let iat = Claims.whole(value["iat"]), let exp = Claims.whole(value["exp"]), let ver = Claims.whole(value["ver"])
            else { return nil }
            self.init(sub: sub, role: role, iat: iat, exp: exp, ver: ver)
        }

        static func whole(_ value: JSONValue?) -> Int? {
            guard case .number(let number)? = value, number.rounded() == number, abs(number) < 9e15 else { return nil }
            return Int(number)
        }
    }

    struct Header: Codable {
        var alg: String
        var typ: String?
    }

    static let headerSegment = Base64URL.encode(Array(#"{"alg":"HS256","typ":"JWT"}"#.utf8))

    public static func sign(_ claims: Claims, secret: [UInt8]) -> String {
        let payload = (try? JSONEncoder().encode(claims)).map { Array($0) } ?? []
        let signingInput = headerSegment + "." + Base64URL.encode(payload)
        return signingInput + "." + Base64URL.encode(Crypto.hmacSHA256(key: secret, data: Array(signingInput.utf8)))
    }

    public enum Failure: Error, Equatable {
        case malformed, badAlgorithm, badSignature, expired
    }

    /// Verifies the token and returns its claims.
    public static func verify(_ token: String, secret: [UInt8], now: Int) throws(Failure) -> Claims {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, token.utf8.count < 4096,
            let headerBytes = Base64URL.decode(parts[0]),
            let payloadBytes = Base64URL.decode(parts[1]),
            let signature = Base64URL.decode(parts[2])
        else { throw .malformed }
        // The header `sign` writes says HS256; only another header is parsed (JSONDecoder was a
        // tenth of a small request's CPU, run twice per token).
        if parts[0] != headerSegment {
            guard let header = try? JSONDecoder().decode(Header.self, from: Data(headerBytes)) else { throw .malformed }
            guard header.alg == "HS256" else { throw .badAlgorithm }
        }
        let signingInput = Array(token.utf8.prefix(parts[0].utf8.count + 1 + parts[1].utf8.count))
        guard Crypto.constantTimeEquals(Crypto.hmacSHA256(key: secret, data: signingInput), signature) else {
            throw .badSignature
        }
        guard let claims = Claims(json: payloadBytes) else { throw .malformed }
        guard claims.exp > now else { throw .expired }
        return claims
    }
}
