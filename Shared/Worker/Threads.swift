#if canImport(Glibc)
    import Glibc
#endif

/// Starts a detached POSIX thread running `body`. (Workers are a few long-lived threads;
/// Foundation's Thread would pull Foundation into every worker for this one call.)
func startThread(_ body: @escaping @Sendable () -> Void) {
    final class Box: @unchecked Sendable {
        let body: @Sendable () -> Void
        init(_ body: @escaping @Sendable () -> Void) { self.body = body }
    }
    let box = Unmanaged.passRetained(Box(body)).toOpaque()
    var thread = pthread_t()
    let result = pthread_create(&thread, nil, { argument in
        let box = Unmanaged<AnyObject>.fromOpaque(argument!).takeRetainedValue() as! Box
        box.body()
        return nil
    }, box)
    precondition(result == 0, "pthread_create failed: \(result)")
    pthread_detach(thread)
}

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
