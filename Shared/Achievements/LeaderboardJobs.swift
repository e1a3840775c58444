import Core
import Database
import Queue

/// Dispatches the leaderboard worker's jobs (schedule payloads `{"slot", "schedule"}`).
public enum LeaderboardJobs {
    public struct InvalidJob: Error, CustomStringConvertible {
        public var description: String
    }

    public static func handle(_ job: Queue.Job, _ db: Connection) throws {
        guard case .string(let slotText)? = job.payload["slot"], let slot = unixSeconds(slotText) else {
            throw InvalidJob(description: "\(job.kind) without a slot")
        }
        switch job.kind {
        case Leaderboards.refreshKind:
            try Leaderboards.refresh(db, now: unixTime())
        case Leaderboards.closeKind:
            // The weekly schedule closes weeks, the monthly one months.
            var kind = Period.Kind.week
            if case .string(let schedule)? = job.payload["schedule"], schedule.hasSuffix("close-month") { kind = .month }
            try Leaderboards.close(db, Leaderboards.periodEnding(at: slot, kind: kind))
        default:
            throw InvalidJob(description: "unknown kind \(job.kind)")
        }
    }

    /// `2026-11-23T00:00:00Z` -> Unix seconds.
    static func unixSeconds(_ text: String) -> Int? {
        let bytes = Array(text.utf8)
        guard bytes.count == 20, bytes[19] == UInt8(ascii: "Z") else { return nil }
        func number(_ range: Range<Int>) -> Int? { Int(String(decoding: bytes[range], as: UTF8.self)) }
        guard let year = number(0..<4), let month = number(5..<7), let day = number(8..<10), let hour = number(11..<13),
            let minute = number(14..<16), let second = number(17..<19)
        else { return nil }
        return Period.days(year: year, month: month, day: day) * 86_400 + hour * 3600 + minute * 60 + second
    }
}
