import Core

#if canImport(Glibc)
    import Glibc
#endif

/// A mutex with a condition variable: guards the worker's shared state and wakes idle
/// job threads when work arrives.
final class Monitor: @unchecked Sendable {
    private var mutex = pthread_mutex_t()
    private var condition = pthread_cond_t()

    init() {
        pthread_mutex_init(&mutex, nil)
        var attributes = pthread_condattr_t()
        pthread_condattr_init(&attributes)
        pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
        pthread_cond_init(&condition, &attributes)
        pthread_condattr_destroy(&attributes)
    }

    deinit {
        pthread_cond_destroy(&condition)
        pthread_mutex_destroy(&mutex)
    }

    func locked<T>(_ body: () throws -> T) rethrows -> T {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        return try body()
    }

    /// Waits for `broadcast` or the timeout; call inside `locked`.
    func wait(milliseconds: Int) {
        var deadline = timespec()
        clock_gettime(CLOCK_MONOTONIC, &deadline)
        let nanoseconds = Int(deadline.tv_nsec) + (milliseconds % 1000) * 1_000_000
        deadline.tv_sec += milliseconds / 1000 + nanoseconds / 1_000_000_000
        deadline.tv_nsec = nanoseconds % 1_000_000_000
        pthread_cond_timedwait(&condition, &mutex, &deadline)
    }

    func broadcast() { pthread_cond_broadcast(&condition) }
}

/// One lazily made value per thread (transports that cache credentials and connections are not
/// thread-safe; each job thread gets its own).
public final class PerThread<Value>: @unchecked Sendable {
    private let make: @Sendable () throws -> Value
    private var values: [UInt: Value] = [:]
    private let monitor = Monitor()

    public init(_ make: @escaping @Sendable () throws -> Value) { self.make = make }

    public func get() throws -> Value {
        let key = UInt(pthread_self())
        if let value = monitor.locked({ values[key] }) { return value }
        let value = try make()
        monitor.locked { values[key] = value }
        return value
    }
}
