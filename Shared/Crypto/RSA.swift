import COpenSSL

/// An RSA private key, for RS256 signatures (RSASSA-PKCS1-v1_5 with SHA-256) such as the JWT
/// a Google service account signs to obtain an OAuth access token.
public final class RSAPrivateKey {
    private let key: OpaquePointer

    /// Parses a PEM private key: PKCS#8 (`BEGIN PRIVATE KEY`, what Google's service-account
    /// files hold) or PKCS#1 (`BEGIN RSA PRIVATE KEY`). Encrypted keys are refused.
    public init(pem: String) throws(CryptoError) {
        let bytes = Array(pem.utf8)
        let parsed: OpaquePointer? = bytes.withUnsafeBytes { buffer in
            guard let bio = BIO_new_mem_buf(buffer.baseAddress, Int32(buffer.count)) else { return nil }
            defer { BIO_free(bio) }
            // A passphrase callback that supplies nothing, so an encrypted key fails instead of
            // OpenSSL prompting on the terminal.
            return PEM_read_bio_PrivateKey(bio, nil, { _, _, _, _ in 0 }, nil)
        }
        guard let parsed else { throw CryptoError.openSSL("not a PEM private key") }
        guard EVP_PKEY_is_a(parsed, "RSA") == 1 else {
            EVP_PKEY_free(parsed)
            throw CryptoError(message: "the private key is not an RSA key")
        }
        key = parsed
    }

    deinit { EVP_PKEY_free(key) }

    /// Key size in bits.
    public var bits: Int { Int(EVP_PKEY_get_bits(key)) }

    /// The RS256 signature of `message` (hashed here with SHA-256). Deterministic: the same key
    /// and message always give the same bytes.
    public func signRS256(_ message: [UInt8]) throws(CryptoError) -> [UInt8] {
        guard let context = EVP_MD_CTX_new() else { throw CryptoError.openSSL("EVP_MD_CTX_new failed") }
        defer { EVP_MD_CTX_free(context) }
        // RSA keys default to PKCS#1 v1.5 padding, which is what RS256 means.
        guard EVP_DigestSignInit(context, nil, EVP_sha256(), nil, key) == 1 else {
            throw CryptoError.openSSL("EVP_DigestSignInit failed")
        }
        var length = 0
        guard message.withUnsafeBufferPointer({ EVP_DigestSign(context, nil, &length, $0.baseAddress, $0.count) }) == 1 else {
            throw CryptoError.openSSL("EVP_DigestSign (length) failed")
        }
        var signature = [UInt8](repeating: 0, count: length)
        guard message.withUnsafeBufferPointer({ EVP_DigestSign(context, &signature, &length, $0.baseAddress, $0.count) }) == 1 else {
            throw CryptoError.openSSL("EVP_DigestSign failed")
        }
        return Array(signature.prefix(length))
    }
}

/// A key that cannot be used or an OpenSSL operation that failed. The message never contains
/// key material.
public struct CryptoError: Error, Sendable, CustomStringConvertible {
    public var message: String

    public init(message: String) { self.message = message }

    /// `context` plus OpenSSL's first queued error (usually the root cause). The whole queue is
    /// emptied so its entries cannot be blamed on a later call in this thread.
    static func openSSL(_ context: String) -> CryptoError {
        let first = ERR_get_error()
        while ERR_get_error() != 0 {}
        guard first != 0 else { return CryptoError(message: context) }
        var buffer = [CChar](repeating: 0, count: 256)
        ERR_error_string_n(first, &buffer, buffer.count)
        let reason = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return CryptoError(message: "\(context): \(reason)")
    }

    public var description: String { message }
}
