/// Reads and validates the fields of a JSON object body, collecting every failure so a 422
/// lists them all:
///
///     var fields = try Fields(request.json())
///     let email = fields.string("email", max: 254)
///     let name = fields.string("name", max: 100)
///     try fields.finish()
public struct Fields {
    public let object: [String: JSONValue]
    public private(set) var errors: [FieldError] = []

    /// A JSON array, string or number where an object belongs is a 400.
    public init(_ body: JSONValue) throws {
        guard case .object(let object) = body else {
            throw APIError.badRequest("The request body must be a JSON object.", code: "expected_object")
        }
        self.object = object
    }

    public func has(_ key: String) -> Bool { object[key] != nil }

    public mutating func fail(_ field: String, _ message: String) {
        if !errors.contains(where: { $0.field == field }) {
            errors.append(FieldError(field: field, message: message))
        }
    }

    /// Throws a 422 listing every failing field, if any.
    public func finish() throws {
        if !errors.isEmpty { throw APIError.invalid(errors) }
    }

    /// A required string, trimmed, `min...max` characters, free of control characters.
    public mutating func string(_ key: String, min: Int = 1, max: Int, multiline: Bool = false, trim: Bool = true) -> String? {
        guard let value = object[key], value != .null else {
            fail(key, "is required")
            return nil
        }
        return check(key, value, min: min, max: max, multiline: multiline, trim: trim)
    }

    /// An optional string: absent or null gives nil.
    public mutating func optionalString(_ key: String, min: Int = 0, max: Int, multiline: Bool = false, trim: Bool = true) -> String? {
        guard let value = object[key], value != .null else { return nil }
        return check(key, value, min: min, max: max, multiline: multiline, trim: trim)
    }

    /// For PATCH: distinguishes absent (leave alone), null (clear) and a value.
    public mutating func patchString(_ key: String, min: Int = 0, max: Int, multiline: Bool = false, nullable: Bool = true) -> Patch<String>
    {
        guard let value = object[key] else { return .absent }
        if value == .null {
            if nullable { return .null }
            fail(key, "cannot be null")
            return .absent
        }
        guard let string = check(key, value, min: min, max: max, multiline: multiline, trim: true) else { return .absent }
        if string.isEmpty && nullable { return .null }
        return .value(string)
    }

    /// A required string that must be one of `allowed`.
    public mutating func oneOf(_ key: String, _ allowed: [String], default fallback: String? = nil) -> String? {
        guard let value = object[key], value != .null else {
            if let fallback { return fallback }
            fail(key, "is required")
            return nil
        }
        guard case .string(let string) = value, allowed.contains(string) else {
            fail(key, "must be one of: " + allowed.joined(separator: ", "))
            return nil
        }
        return string
    }

    /// A list of short strings (tags, learning outcomes): nil when absent, [] for null.
    public mutating func stringList(_ key: String, maxItems: Int, maxLength: Int) -> [String]? {
        guard let value = object[key] else { return nil }
        if value == .null { return [] }
        guard case .array(let items) = value, items.count <= maxItems else {
            fail(key, "must be a list of at most \(maxItems) strings")
            return nil
        }
        var result: [String] = []
        for item in items {
            guard let text = check(key, item, min: 1, max: maxLength, multiline: false, trim: true) else { return nil }
            result.append(text)
        }
        return result
    }

    /// A boolean; absent gives `fallback`.
    public mutating func bool(_ key: String, default fallback: Bool) -> Bool {
        guard let value = object[key], value != .null else { return fallback }
        guard case .bool(let bool) = value else {
            fail(key, "must be true or false")
            return fallback
        }
        return bool
    }

    /// An integer within `min...max`; absent gives `fallback` (nil means required).
    public mutating func int(_ key: String, min: Int, max: Int, default fallback: Int? = nil) -> Int? {
        guard let value = object[key], value != .null else {
            if fallback == nil { fail(key, "is required") }
            return fallback
        }
        guard case .number(let number) = value, number.rounded() == number, number >= Double(min), number <= Double(max) else {
            fail(key, "must be a whole number from \(min) to \(max)")
            return nil
        }
        return Int(number)
    }

    private mutating func check(_ key: String, _ value: JSONValue, min: Int, max: Int, multiline: Bool, trim: Bool) -> String? {
        guard case .string(var string) = value else {
            fail(key, "must be a string, not \(value.typeName)")
            return nil
        }
        for scalar in string.unicodeScalars where isForbidden(scalar, multiline: multiline) {
            fail(key, "contains control characters")
            return nil
        }
        if trim { string = string.trimmed() }
        // Count cheaply first so a 1 MB string is refused without walking grapheme clusters.
        if string.utf8.count > max * 4 {
            fail(key, "must be at most \(max) characters")
            return nil
        }
        // Code points, as PostgreSQL's char_length counts them (the CHECK constraints agree).
        let count = string.unicodeScalars.count
        if count < min {
            fail(key, min <= 1 ? "is required" : "must be at least \(min) characters")
            return nil
        }
        if count > max {
            fail(key, "must be at most \(max) characters")
            return nil
        }
        return string
    }

    private func isForbidden(_ scalar: Unicode.Scalar, multiline: Bool) -> Bool {
        if multiline && (scalar == "\n" || scalar == "\t" || scalar == "\r") { return false }
        return scalar.value < 0x20 || scalar.value == 0x7F || (0x80...0x9F).contains(scalar.value)
    }
}

/// A PATCH field: left alone, cleared, or set.
public enum Patch<Value: Sendable>: Sendable {
    case absent
    case null
    case value(Value)

    public var isPresent: Bool {
        if case .absent = self { return false }
        return true
    }

    public var value: Value? {
        if case .value(let value) = self { return value }
        return nil
    }
}

extension String {
    /// Leading and trailing whitespace and newlines removed.
    public func trimmed() -> String {
        let scalars = unicodeScalars
        guard let start = scalars.firstIndex(where: { !$0.properties.isWhitespace }) else { return "" }
        let end = scalars.lastIndex(where: { !$0.properties.isWhitespace })!
        return String(scalars[start...end])
    }
}

/// An absolute http(s) URL with a host and no spaces or control characters.
public func isWebURL(_ text: String) -> Bool {
    let lower = text.lowercased()
    let rest: Substring
    if lower.hasPrefix("https://") {
        rest = lower.dropFirst(8)
    } else if lower.hasPrefix("http://") {
        rest = lower.dropFirst(7)
    } else {
        return false
    }
    let host = rest.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
    guard !host.isEmpty, !host.hasPrefix("."), !host.hasPrefix(":") else { return false }
    return !text.unicodeScalars.contains { $0.value <= 0x20 || $0.value == 0x7F || $0 == "\"" || $0 == "<" || $0 == ">" }
}

extension Fields {
    /// Checks a person's or course's display name or title, already read with `string` and
    /// kin: it must show something, and carry no bidirectional controls, which can make a
    /// name pass for another's or reorder the text around it where it is shown.
    public mutating func checkDisplayText(_ key: String, _ value: String?) {
        guard let value else { return }
        if value.unicodeScalars.contains(where: isBidiControl) {
            fail(key, "must not contain bidirectional control characters")
        } else if !value.unicodeScalars.contains(where: isVisible) {
            fail(key, "must contain a visible character")
        }
    }

    /// The same check for a PATCH field: only a new value is checked.
    public mutating func checkDisplayText(_ key: String, _ value: Patch<String>) {
        checkDisplayText(key, value.value)
    }
}

/// The bidirectional formatting characters: embeddings and overrides (U+202A–U+202E), isolates
/// (U+2066–U+2069) and the marks LRM, RLM and ALM.
public func isBidiControl(_ scalar: Unicode.Scalar) -> Bool {
    (0x202A...0x202E).contains(scalar.value) || (0x2066...0x2069).contains(scalar.value)
        || scalar.value == 0x200E || scalar.value == 0x200F || scalar.value == 0x061C
}

/// Whether a code point shows as something on its own: not space, not a format or control
/// character, not a combining mark without a base, not a default-ignorable filler (Hangul
/// fillers, variation selectors), not the blank Braille pattern.
public func isVisible(_ scalar: Unicode.Scalar) -> Bool {
    let properties = scalar.properties
    if properties.isWhitespace || properties.isDefaultIgnorableCodePoint || scalar.value == 0x2800 { return false }
    switch properties.generalCategory {
    case .format, .control, .nonspacingMark, .enclosingMark, .unassigned, .surrogate, .lineSeparator, .paragraphSeparator:
        return false
    default:
        return true
    }
}
