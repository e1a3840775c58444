import Core
import Synchronization

/// A FastCGI process's bounded memory of values by key, shared by its threads: at most
/// `capacity` values and `maxBytes` of their `size`, the oldest stored dropped first. What a
/// value is still good for (an age, a version) its user decides: `value(_:)` says how old it is.
/// Written here rather than taken from a library: a dictionary and a lock are all it is.
public final class ProcessCache<Value: Sendable>: Sendable {
    struct Entry {
        var value: Value
        var storedAt: Double
        /// Store order: the smallest goes first.
        var order: UInt64
        var bytes: Int
    }

    struct State {
        var entries: [String: Entry] = [:]
        var stores: UInt64 = 0
        var bytes = 0
    }

    let state = Mutex(State())
    let capacity: Int
    let maxBytes: Int
    let size: @Sendable (Value) -> Int

    public init(capacity: Int, maxBytes: Int = .max, size: @escaping @Sendable (Value) -> Int = { _ in 0 }) {
        self.capacity = capacity
        self.maxBytes = maxBytes
        self.size = size
    }

    /// The value kept for `key`, and how many seconds ago it was stored.
    public func value(_ key: String) -> (value: Value, age: Double)? {
        guard let entry = state.withLock({ $0.entries[key] }) else { return nil }
        return (entry.value, monotonicSeconds() - entry.storedAt)
    }

    /// The value kept for `key` if it was stored less than `seconds` ago.
    public func value(_ key: String, youngerThan seconds: Double) -> Value? {
        guard let kept = value(key), kept.age < seconds else { return nil }
        return kept.value
    }

    /// Keeps `value` for `key` (in place of what was kept), making room by dropping the oldest.
    public func keep(_ key: String, _ value: Value) {
        let bytes = size(value)
        guard bytes <= maxBytes else { return }
        let now = monotonicSeconds()
        state.withLock { state in
            if let old = state.entries.removeValue(forKey: key) { state.bytes -= old.bytes }
            while state.entries.count >= capacity || state.bytes + bytes > maxBytes,
                let oldest = state.entries.min(by: { $0.value.order < $1.value.order })
            {
                state.entries[oldest.key] = nil
                state.bytes -= oldest.value.bytes
            }
            state.stores += 1
            state.entries[key] = Entry(value: value, storedAt: now, order: state.stores, bytes: bytes)
            state.bytes += bytes
        }
    }
}
