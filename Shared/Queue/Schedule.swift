import Core
import Database
import FoundationEssentials

#if canImport(Glibc)
    import Glibc
#endif

/// A recurring job: every slot of `every` (UTC) enqueues one `kind` job whose payload carries
/// the slot (`{"slot": "2026-11-23T00:00:00Z"}`). Slots missed while no worker ran are
/// enqueued when one comes back, oldest first, up to `catchUpLimit`.
public struct Schedule: Sendable {
    public enum Every: Sendable, Equatable {
        /// Fixed period in seconds, aligned to the Unix epoch.
        case seconds(Int)
        case daily(hour: Int, minute: Int)
        /// `weekday` 1 = Monday ... 7 = Sunday (ISO 8601).
        case weekly(weekday: Int, hour: Int, minute: Int)
        /// `day` 1...28.
        case monthly(day: Int, hour: Int, minute: Int)
    }

    public var name: String
    public var kind: String
    public var queue: String
    public var every: Every
    public var catchUpLimit: Int

    public init(name: String, kind: String, queue: String = "default", every: Every, catchUpLimit: Int = 52) {
        self.name = name
        self.kind = kind
        self.queue = queue
        self.every = every
        self.catchUpLimit = catchUpLimit
    }

    /// The latest slot at or before `time` (Unix seconds).
    public func slot(atOrBefore time: Int) -> Int {
        switch every {
        case .seconds(let period):
            return time - ((time % period) + period) % period
        case .daily(let hour, let minute):
            let day = time - ((time % 86_400) + 86_400) % 86_400
            let candidate = day + hour * 3600 + minute * 60
            return candidate <= time ? candidate : candidate - 86_400
        case .weekly(let weekday, let hour, let minute):
            let day = time - ((time % 86_400) + 86_400) % 86_400
            // 1970-01-01 was a Thursday (ISO weekday 4).
            let today = ((day / 86_400 + 3) % 7 + 7) % 7 + 1
            var candidate = day - ((today - weekday + 7) % 7) * 86_400 + hour * 3600 + minute * 60
            if candidate > time { candidate -= 7 * 86_400 }
            return candidate
        case .monthly(let day, let hour, let minute):
            var parts = utc(time)
            var candidate = Schedule.timestamp(year: parts.year, month: parts.month, day: day, hour: hour, minute: minute)
            if candidate > time {
                parts.month -= 1
                if parts.month == 0 {
                    parts.month = 12
                    parts.year -= 1
                }
                candidate = Schedule.timestamp(year: parts.year, month: parts.month, day: day, hour: hour, minute: minute)
            }
            return candidate
        }
    }

    /// The slot after `slot`.
    public func slot(after slot: Int) -> Int {
        switch every {
        case .seconds(let period): return slot + period
        case .daily: return slot + 86_400
        case .weekly: return slot + 7 * 86_400
        case .monthly(let day, let hour, let minute):
            var parts = utc(slot)
            parts.month += 1
            if parts.month == 13 {
                parts.month = 1
                parts.year += 1
            }
            return Schedule.timestamp(year: parts.year, month: parts.month, day: day, hour: hour, minute: minute)
        }
    }

    /// Enqueues every slot due since the last run, once, whoever else ticks at the same time.
    /// Returns the slots enqueued (Unix seconds).
    @discardableResult
    public func tick(_ db: Connection, now: Int? = nil) throws -> [Int] {
        try db.transaction { tx in
            var current = now ?? 0
            if now == nil { current = try tx.query("SELECT floor(extract(epoch FROM now()))::bigint AS now").one().int("now") }
            let latest = slot(atOrBefore: current)
            // First sight of this schedule: start from the current slot (nothing to catch up).
            try tx.execute(
                """
                INSERT INTO job_schedules (name, last_slot) VALUES (\(name), to_timestamp(\(latest)))
                ON CONFLICT (name) DO NOTHING
                """)
            guard
                let row = try tx.query(
                    "SELECT extract(epoch FROM last_slot)::bigint AS last FROM job_schedules WHERE name = \(name) FOR UPDATE"
                ).first
            else { return [] }
            var due: [Int] = []
            // Realigned, so a schedule whose time or period changed follows its new phase.
            var next = slot(after: slot(atOrBefore: try row.int("last")))
            while next <= latest && due.count < 100_000 {
                due.append(next)
                next = slot(after: next)
            }
            // After a very long outage only the newest `catchUpLimit` slots still run.
            due = Array(due.suffix(catchUpLimit))
            guard let last = due.last else { return [] }
            for slot in due {
                try Queue.enqueue(
                    tx, kind: kind, payload: ["slot": Schedule.iso(slot), "schedule": name],
                    options: Queue.Options(queue: queue, uniqueKey: "schedule:\(name):\(slot)"))
            }
            try tx.execute("UPDATE job_schedules SET last_slot = to_timestamp(\(last)), updated_at = now() WHERE name = \(name)")
            return due
        }
    }

    static func timestamp(year: Int, month: Int, day: Int, hour: Int, minute: Int) -> Int {
        var parts = tm()
        parts.tm_year = Int32(year - 1900)
        parts.tm_mon = Int32(month - 1)
        parts.tm_mday = Int32(day)
        parts.tm_hour = Int32(hour)
        parts.tm_min = Int32(minute)
        return Int(timegm(&parts))
    }

    /// "2026-11-23T00:00:00Z"
    public static func iso(_ time: Int) -> String {
        let p = utcParts(time)
        func pad(_ v: Int, _ w: Int = 2) -> String { String(repeating: "0", count: max(0, w - String(v).count)) + String(v) }
        return "\(pad(p.year, 4))-\(pad(p.month))-\(pad(p.day))T\(pad(p.hour)):\(pad(p.minute)):\(pad(p.second))Z"
    }

    private func utc(_ time: Int) -> (year: Int, month: Int) {
        let p = Schedule.utcParts(time)
        return (p.year, p.month)
    }

    static func utcParts(_ time: Int) -> (year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int) {
        var seconds = time
        var parts = tm()
        gmtime_r(&seconds, &parts)
        return (
            Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1, Int(parts.tm_mday), Int(parts.tm_hour), Int(parts.tm_min),
            Int(parts.tm_sec)
        )
    }
}
