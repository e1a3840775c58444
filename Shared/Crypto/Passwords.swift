import CArgon2

/// Argon2id password hashes in PHC string form (`$argon2id$v=19$m=19456,t=2,p=1$salt$hash`),
/// so the parameters can be raised later: `needsRehash` tells when a stored hash is weaker
/// than the current defaults.
public enum Passwords {
    /// OWASP's Argon2id recommendation: 19 MiB, 2 iterations, 1 lane.
    public struct Parameters: Sendable, Equatable {
        public var memoryKiB: UInt32
        public var iterations: UInt32
        public var parallelism: UInt32
        public init(memoryKiB: UInt32, iterations: UInt32, parallelism: UInt32) {
            self.memoryKiB = memoryKiB
            self.iterations = iterations
            self.parallelism = parallelism
        }
        public static let owasp = Parameters(memoryKiB: 19_456, iterations: 2, parallelism: 1)
    }

    static let saltLength = 16
    static let hashLength = 32

    public static func hash(_ password: String, parameters: Parameters = .owasp) -> String {
        let salt = Crypto.randomBytes(saltLength)
        let bytes = Array(password.utf8)
        let encodedLength = argon2_encodedlen(
            parameters.iterations, parameters.memoryKiB, parameters.parallelism, UInt32(saltLength), UInt32(hashLength), Argon2_id)
        var encoded = [CChar](repeating: 0, count: encodedLength)
        let result = argon2id_hash_encoded(
            parameters.iterations, parameters.memoryKiB, parameters.parallelism, bytes, bytes.count, salt, salt.count, hashLength,
            &encoded, encodedLength)
        precondition(result == ARGON2_OK.rawValue, "argon2 failed: \(result)")
        return String(decoding: encoded.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// True when `password` matches the PHC string; false for any malformed hash.
    public static func verify(_ password: String, hash: String) -> Bool {
        guard hash.hasPrefix("$argon2id$") else { return false }
        let bytes = Array(password.utf8)
        return argon2id_verify(hash, bytes, bytes.count) == ARGON2_OK.rawValue
    }

    /// True when the stored hash used weaker parameters than `current`.
    public static func needsRehash(_ hash: String, current: Parameters = .owasp) -> Bool {
        let parts = hash.split(separator: "$")
        guard parts.count >= 4, parts[0] == "argon2id" else { return true }
        var values: [String: UInt32] = [:]
        for pair in parts[2].split(separator: ",") {
            let kv = pair.split(separator: "=")
            if kv.count == 2 { values[String(kv[0])] = UInt32(kv[1]) }
        }
        return (values["m"] ?? 0) < current.memoryKiB || (values["t"] ?? 0) < current.iterations
    }

    /// A valid hash (current parameters) of a password nobody knows, verified against when an
    /// email is unknown so that a failed sign-in costs the same time either way. A constant:
    /// computing it lazily would make the first unknown email of each process slower.
    public static let decoy = "$argon2id$v=19$m=19456,t=2,p=1$r99pH5PMh6CbCtmPTBGuXQ$qfTzM5mCRG6Jrm8Qb1WiXqVkoOiIGW8Ob5rxm3RKxDY"
}
