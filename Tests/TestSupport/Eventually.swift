#if canImport(Glibc)
    import Glibc
#endif

func monotonicNow() -> Double {
    var spec = timespec()
    clock_gettime(CLOCK_MONOTONIC, &spec)
    return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
}

/// Polls `condition` every 50 ms for up to `seconds`; true once it holds.
public func eventually(seconds: Double, _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = monotonicNow() + seconds
    repeat {
        if try condition() { return true }
        usleep(50_000)
    } while monotonicNow() < deadline
    return try condition()
}
