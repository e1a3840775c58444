#if canImport(Glibc)
    import Glibc
#endif

/// Configuration from environment variables (12-factor), with an optional `.env` file
/// (`LMS_ENV_FILE`, else `./.env`) for values the environment does not set.
/// Every variable is listed in `.env.example`.
public struct Config: Sendable {
    public private(set) var values: [String: String]

    public init(_ values: [String: String]) { self.values = values }

    /// The process environment plus the `.env` file.
    public static func load() -> Config {
        var values: [String: String] = [:]
        for text in processEnvironment() {
            if let equals = text.firstIndex(of: "=") {
                values[String(text[..<equals])] = String(text[text.index(after: equals)...])
            }
        }
        let file = values["LMS_ENV_FILE"] ?? ".env"
        if let text = try? readTextFile(file) {
            // An empty variable counts as unset; the first line for a key wins.
            for (key, value) in parseDotEnv(text) where (values[key] ?? "").isEmpty {
                values[key] = value
            }
        }
        return Config(values)
    }

    public subscript(key: String) -> String? {
        guard let value = values[key], !value.isEmpty else { return nil }
        return value
    }

    public func int(_ key: String, default fallback: Int) -> Int {
        self[key].flatMap { Int($0) } ?? fallback
    }

    public func bool(_ key: String, default fallback: Bool) -> Bool {
        guard let value = self[key]?.lowercased() else { return fallback }
        return ["1", "true", "yes", "on"].contains(value)
    }

    /// `production`, `development` or `test` (LMS_ENV, default development).
    public var environment: String { self["LMS_ENV"] ?? "development" }
    public var isProduction: Bool { environment == "production" }

    /// A value that must be set; a missing one is an operator error, logged and answered with 500.
    public func require(_ key: String) throws -> String {
        guard let value = self[key] else { throw ConfigError(key: key) }
        return value
    }

    public mutating func set(_ key: String, _ value: String) { values[key] = value }
}

/// A required setting is missing or unusable.
public struct ConfigError: Error, CustomStringConvertible {
    public var key: String
    public var reason = "is not set"
    public init(key: String, reason: String = "is not set") {
        self.key = key
        self.reason = reason
    }
    public var description: String { "configuration \(key) \(reason)" }
}

/// `KEY=value` lines; `#` comments, optional `export `, optional single or double quotes.
public func parseDotEnv(_ text: String) -> [(String, String)] {
    var result: [(String, String)] = []
    for rawLine in text.split(whereSeparator: { $0 == "\n" || $0 == "\r\n" }) {
        var line = String(rawLine).trimmed()
        if line.isEmpty || line.hasPrefix("#") { continue }
        if line.hasPrefix("export ") { line = String(line.dropFirst(7)) }
        guard let equals = line.firstIndex(of: "=") else { continue }
        let key = String(line[..<equals]).trimmed()
        var value = String(line[line.index(after: equals)...]).trimmed()
        if value.count >= 2, let first = value.first, first == "\"" || first == "'", value.last == first {
            value = String(value.dropFirst().dropLast())
        }
        result.append((key, value))
    }
    return result
}

/// The process environment as `KEY=value` strings.
public func processEnvironment() -> [String] {
    var result: [String] = []
    var pointer = environ
    while let entry = pointer.pointee {
        result.append(String(cString: entry))
        pointer += 1
    }
    return result
}
