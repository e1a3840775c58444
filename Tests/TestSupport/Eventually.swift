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

/// Waits, when a new UTC week (Monday 00:00) or month begins within `seconds`, until it has
/// begun: a test that writes now and reads "this week" or "this month" must not straddle the two.
public func awayFromPeriodBoundary(seconds: Int = 120) {
    var now = time(nil)
    var parts = tm()
    gmtime_r(&now, &parts)
    let intoDay = Int(parts.tm_hour) * 3600 + Int(parts.tm_min) * 60 + Int(parts.tm_sec)
    let toMidnight = 86_400 - intoDay
    guard toMidnight <= seconds else { return }
    var tomorrow = now + time_t(toMidnight)
    var next = tm()
    gmtime_r(&tomorrow, &next)
    // Tomorrow is a Monday or the 1st: sleep past midnight.
    if next.tm_wday == 1 || next.tm_mday == 1 { sleep(UInt32(toMidnight + 1)) }
}
