#if canImport(Glibc)
    import Glibc
#endif

/// JSON lines on stderr: `{"time":..., "level":..., "msg":..., "request_id":..., ...}`.
/// Never pass secrets, tokens, passwords or SQL values as fields.
public struct Logger: Sendable {
    public var requestId: String?
    public var component: String

    public init(component: String, requestId: String? = nil) {
        self.component = component
        self.requestId = requestId
    }

    public func info(_ message: String, _ fields: [(String, LogValue)] = []) { write("info", message, fields) }
    public func warning(_ message: String, _ fields: [(String, LogValue)] = []) { write("warn", message, fields) }
    public func error(_ message: String, _ fields: [(String, LogValue)] = []) { write("error", message, fields) }

    func write(_ level: String, _ message: String, _ fields: [(String, LogValue)]) {
        var line = "{\"time\":\"\(utcTimestamp())\",\"level\":\"\(level)\",\"component\":\(jsonString(component))"
        if let requestId { line += ",\"request_id\":\(jsonString(requestId))" }
        line += ",\"msg\":\(jsonString(message))"
        for (key, value) in fields {
            line += ",\(jsonString(key)):"
            switch value {
            case .string(let text): line += jsonString(text)
            case .int(let number): line += String(number)
            case .double(let number): line += String(number)
            }
        }
        line += "}\n"
        // One write(2) per line, so lines from concurrent processes never interleave.
        var bytes = Array(line.utf8)
        _ = bytes.withUnsafeMutableBytes { Glibc.write(2, $0.baseAddress, $0.count) }
    }
}

public enum LogValue: Sendable, ExpressibleByStringLiteral, ExpressibleByIntegerLiteral {
    case string(String)
    case int(Int)
    case double(Double)
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int) { self = .int(value) }
}

/// A JSON string literal with the necessary escapes.
public func jsonString(_ text: String) -> String {
    var out = "\""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        default:
            if scalar.value < 0x20 {
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
    }
    return out + "\""
}

/// Current UTC time as RFC 3339 with milliseconds.
public func utcTimestamp() -> String {
    var spec = timespec()
    clock_gettime(CLOCK_REALTIME, &spec)
    return isoTime(Int(spec.tv_sec), milliseconds: Int(spec.tv_nsec / 1_000_000))
}

/// A Unix time as RFC 3339 UTC with milliseconds (`2026-11-23T09:16:53.000Z`), the API's one
/// timestamp format.
public func isoTime(_ time: Int, milliseconds: Int = 0) -> String {
    var seconds = time_t(time)
    var parts = tm()
    gmtime_r(&seconds, &parts)
    func pad(_ value: Int32, _ width: Int) -> String {
        let text = String(value)
        return String(repeating: "0", count: max(0, width - text.count)) + text
    }
    return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))T"
        + "\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2)).\(pad(Int32(milliseconds), 3))Z"
}

/// Monotonic clock in seconds, for durations.
public func monotonicSeconds() -> Double {
    var spec = timespec()
    clock_gettime(CLOCK_MONOTONIC, &spec)
    return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
}

/// Seconds since the Unix epoch.
public func unixTime() -> Int {
    var spec = timespec()
    clock_gettime(CLOCK_REALTIME, &spec)
    return Int(spec.tv_sec)
}
