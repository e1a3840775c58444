/// Answers that are the same for every caller (the public catalog), kept by the process
/// (`ProcessCache`) and reused for `seconds` after they were made. Only 200s are kept, none over
/// a sixteenth of `maxBytes`; keys over 1 KiB are never kept.
public final class ResponseCache: Sendable {
    let kept: ProcessCache<Response>
    let maxBytes: Int

    public init(capacity: Int = 2_000, maxBytes: Int = 16 << 20) {
        kept = ProcessCache(capacity: capacity, maxBytes: maxBytes) { $0.body.count }
        self.maxBytes = maxBytes
    }

    /// The answer kept for `key` if it is younger than `seconds`, else `make()`'s (kept when it
    /// is a 200). `seconds` 0 turns the cache off.
    public func response(_ key: String, seconds: Int, make: () throws -> Response) rethrows -> Response {
        guard seconds > 0, key.utf8.count <= 1024 else { return try make() }
        if let kept = kept.value(key, youngerThan: Double(seconds)) { return kept }
        let response = try make()
        if response.status == 200, response.body.count <= maxBytes / 16 { kept.keep(key, response) }
        return response
    }
}
