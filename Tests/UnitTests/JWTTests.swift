import Core
import Crypto
import Testing

@testable import Auth

@Suite struct JWTTests {
    let secret = Array("an-example-secret-of-at-least-32-bytes!!".utf8)
    let claims = JWT.Claims(sub: "6b0f7c4e-1111-4c8e-9a57-3a1f0c0d9e01", role: "student", iat: 1000, exp: 2000, ver: 3)

    @Test func roundTripsClaims() throws {
        let token = JWT.sign(claims, secret: secret)
        #expect(try JWT.verify(token, secret: secret, now: 1500) == claims)
    }

    @Test func refusesExpiredToken() {
        let token = JWT.sign(claims, secret: secret)
        #expect(throws: JWT.Failure.expired) { try JWT.verify(token, secret: secret, now: 2000) }
    }

    @Test func refusesAlgNone() {
        let header = Base64URL.encode(Array(#"{"alg":"none","typ":"JWT"}"#.utf8))
        let payload = JWT.sign(claims, secret: secret).split(separator: ".")[1]
        #expect(throws: JWT.Failure.badAlgorithm) { try JWT.verify("\(header).\(payload).", secret: secret, now: 1500) }
    }

    @Test func refusesOtherAlgorithms() {
        let header = Base64URL.encode(Array(#"{"alg":"HS512","typ":"JWT"}"#.utf8))
        let parts = JWT.sign(claims, secret: secret).split(separator: ".")
        #expect(throws: JWT.Failure.badAlgorithm) { try JWT.verify("\(header).\(parts[1]).\(parts[2])", secret: secret, now: 1500) }
    }

    @Test func refusesChangedPayload() {
        let parts = JWT.sign(claims, secret: secret).split(separator: ".")
        var forged = claims
        forged.role = "admin"
        let forgedPayload = JWT.sign(forged, secret: Array("another-secret-another-secret-another".utf8)).split(separator: ".")[1]
        #expect(throws: JWT.Failure.badSignature) { try JWT.verify("\(parts[0]).\(forgedPayload).\(parts[2])", secret: secret, now: 1500) }
    }

    @Test func refusesWrongSecret() {
        let token = JWT.sign(claims, secret: Array("a-different-secret-of-32-bytes-or-more".utf8))
        #expect(throws: JWT.Failure.badSignature) { try JWT.verify(token, secret: secret, now: 1500) }
    }

    /// A correctly signed payload is still refused unless every claim is there with its type
    /// (whole numbers), as `JSONDecoder` refused it; unknown claims and escapes are fine.
    @Test(arguments: [
        (#"{"sub":"u","role":"student","iat":1000,"exp":2000,"ver":3,"jti":"x"}"#, true),
        (#"{"sub":"\u0075","role":"student","iat":1000,"exp":2000.0,"ver":3}"#, true),
        (#"{"sub":"u","role":"student","iat":1000,"exp":2000}"#, false),
        (#"{"sub":"u","role":"student","iat":1000,"exp":"2000","ver":3}"#, false),
        (#"{"sub":"u","role":"student","iat":1000,"exp":2000.5,"ver":3}"#, false),
        (#"{"sub":1,"role":"student","iat":1000,"exp":2000,"ver":3}"#, false),
        (#"["u","student",1000,2000,3]"#, false),
        (#"{"sub":"u","role":"student","iat":1000,"exp":2000,"ver":3"#, false),
    ])
    func readsSignedClaimsStrictly(payload: String, valid: Bool) throws {
        let input = JWT.headerSegment + "." + Base64URL.encode(Array(payload.utf8))
        let token = input + "." + Base64URL.encode(Crypto.hmacSHA256(key: secret, data: Array(input.utf8)))
        if valid {
            #expect(try JWT.verify(token, secret: secret, now: 1500) == JWT.Claims(sub: "u", role: "student", iat: 1000, exp: 2000, ver: 3))
        } else {
            #expect(throws: JWT.Failure.malformed) { try JWT.verify(token, secret: secret, now: 1500) }
        }
    }

    @Test(arguments: ["", "abc", "a.b", "a.b.c.d", "!!!.???.***", "eyJ.eyJ.sig"])
    func refusesMalformedTokens(token: String) {
        #expect(throws: JWT.Failure.self) { try JWT.verify(token, secret: secret, now: 1500) }
    }
}

@Suite struct CryptoTests {
    @Test func base64URLRoundTrips() {
        for length in 0..<40 {
            let bytes = (0..<length).map { UInt8(($0 * 37 + 11) % 256) }
            #expect(Base64URL.decode(Substring(Base64URL.encode(bytes))) == bytes)
        }
    }

    @Test func base64URLRefusesOtherAlphabets() {
        #expect(Base64URL.decode("ab+/") == nil)
        #expect(Base64URL.decode("abc=") == nil)
        #expect(Base64URL.decode("a") == nil)
    }

    @Test func sha256MatchesKnownVector() {
        #expect(Crypto.hex(Crypto.sha256("abc")) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test func hmacMatchesRFC4231Vector() {
        let key = [UInt8](repeating: 0x0b, count: 20)
        #expect(
            Crypto.hex(Crypto.hmacSHA256(key: key, data: Array("Hi There".utf8)))
                == "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7")
    }

    @Test func passwordHashesAreArgon2idPHCAndVerify() {
        let hash = Passwords.hash("s3cret pass")
        #expect(hash.hasPrefix("$argon2id$v=19$m=19456,t=2,p=1$"))
        #expect(Passwords.verify("s3cret pass", hash: hash))
        #expect(!Passwords.verify("s3cret pasS", hash: hash))
        #expect(!Passwords.verify("s3cret pass", hash: "$2b$10$notargon"))
        #expect(!Passwords.needsRehash(hash))
    }

    @Test func weakerHashesNeedRehash() {
        let weak = Passwords.hash("pw", parameters: .init(memoryKiB: 1024, iterations: 1, parallelism: 1))
        #expect(Passwords.needsRehash(weak))
        #expect(Passwords.verify("pw", hash: weak))
    }
}
