/// A certificate's public code: 80 random bits as 16 Crockford base32 characters in four
/// groups (`7KQ2-M9XD-4TBW-H1RZ`). Short enough to type from paper; what people type is
/// forgiven (lower case, spaces or no dashes, O for 0, I or L for 1).
public enum CertificateCode {
    static let alphabet = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ".utf8)

    /// A new random code (the system's cryptographic generator).
    public static func generate() -> String {
        var generator = SystemRandomNumberGenerator()
        var characters: [UInt8] = []
        // 16 characters x 5 bits = 80 bits, drawn 5 bits at a time.
        for _ in 0..<16 { characters.append(alphabet[Int(generator.next(upperBound: UInt8(32)))]) }
        return grouped(characters)
    }

    /// The canonical form of what someone typed, or nil when it cannot be a code.
    public static func normalize(_ text: String) -> String? {
        guard text.utf8.count <= 40 else { return nil }
        var characters: [UInt8] = []
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "-"), UInt8(ascii: " "): continue
            case UInt8(ascii: "a")...UInt8(ascii: "z"): characters.append(mapped(byte - 32))
            default: characters.append(mapped(byte))
            }
        }
        guard characters.count == 16, characters.allSatisfy(alphabet.contains) else { return nil }
        return grouped(characters)
    }

    static func mapped(_ byte: UInt8) -> UInt8 {
        switch byte {
        case UInt8(ascii: "O"): UInt8(ascii: "0")
        case UInt8(ascii: "I"), UInt8(ascii: "L"): UInt8(ascii: "1")
        default: byte
        }
    }

    static func grouped(_ characters: [UInt8]) -> String {
        stride(from: 0, to: 16, by: 4).map { String(decoding: characters[$0..<$0 + 4], as: UTF8.self) }.joined(separator: "-")
    }

    /// Where the PDF of a certificate lives in the media store (private: signed links only).
    public static func fileKey(_ code: String) -> String { "private/certificates/\(code).pdf" }

    /// The public verification page the QR code points to.
    public static func verificationURL(appURL: String, code: String) -> String {
        var base = appURL
        while base.hasSuffix("/") { base.removeLast() }
        return "\(base)/certificates/\(code)"
    }
}
