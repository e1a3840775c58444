import Core
import Synchronization

/// A FastCGI process's short memory of answers that are the same for every caller (the public
/// catalog): an answer is reused for `seconds` after it was made, then made again. Only 200s
/// are kept; at most `capacity` answers and `maxBytes` of bodies, the oldest dropped first.
/// Written here rather than taken from a library: a dictionary, a queue and a lock are all it is.
public final class ResponseCache: Sendable {
    struct Entry {
        var response: Response
        var expires: Double
    }

    struct State {
        var entries: [String: Entry] = [:]
        /// Keys in the order they were first stored; those before `head` are gone.
        var order: [String] = []
        var head = 0
        var bytes = 0
    }

    let state = Mutex(State())
    let capacity: Int
    let maxBytes: Int

    public init(capacity: Int = 2_000, maxBytes: Int = 16 << 20) {
        self.capacity = capacity
        self.maxBytes = maxBytes
    }

    /// The answer kept for `key` if it is younger than `seconds`, else `make()`'s (kept when it
    /// is a 200). `seconds` 0 turns the cache off; keys over 1 KiB are never kept.
    public func response(_ key: String, seconds: Int, make: () throws -> Response) rethrows -> Response {
        guard seconds > 0, key.utf8.count <= 1024 else { return try make() }
        let now = monotonicSeconds()
        if let kept = state.withLock({ $0.entries[key] }), kept.expires > now { return kept.response }
        let response = try make()
        guard response.status == 200, response.body.count <= maxBytes / 16 else { return response }
        state.withLock { state in
            if let old = state.entries.updateValue(Entry(response: response, expires: now + Double(seconds)), forKey: key) {
                state.bytes -= old.response.body.count
            } else {
                state.order.append(key)
            }
            state.bytes += response.body.count
            while state.entries.count > capacity || state.bytes > maxBytes, state.head < state.order.count {
                let oldest = state.order[state.head]
                state.head += 1
                if let dropped = state.entries.removeValue(forKey: oldest) { state.bytes -= dropped.response.body.count }
            }
            if state.head > capacity {
                state.order.removeFirst(state.head)
                state.head = 0
            }
        }
        return response
    }
}
