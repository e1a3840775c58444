// The leaderboard worker: the queue's schedules enqueue a refresh of the current week's and
// month's ranks every LEADERBOARD_REFRESH_SECONDS, and a close of each week (Monday 00:00 UTC)
// and month (the 1st, 00:00 UTC) that ended. See Shared/Achievements/Leaderboards.swift.
import Achievements
import Core
import Queue
import Worker

let config = Config.load()
let refreshSeconds = max(5, config.int("LEADERBOARD_REFRESH_SECONDS", default: 60))
// LEADERBOARD_QUEUE and LEADERBOARD_SCHEDULE_PREFIX: another queue and schedule names (tests).
let queue = config["LEADERBOARD_QUEUE"].flatMap { $0.isEmpty ? nil : $0 } ?? Leaderboards.queue
let prefix = config["LEADERBOARD_SCHEDULE_PREFIX"] ?? ""
let schedules = [
    Schedule(
        name: prefix + "leaderboard-refresh", kind: Leaderboards.refreshKind, queue: queue, every: .seconds(refreshSeconds),
        catchUpLimit: 1),
    Schedule(
        name: prefix + "leaderboard-close-week", kind: Leaderboards.closeKind, queue: queue,
        every: .weekly(weekday: 1, hour: 0, minute: 0), catchUpLimit: 52),
    Schedule(
        name: prefix + "leaderboard-close-month", kind: Leaderboards.closeKind, queue: queue,
        every: .monthly(day: 1, hour: 0, minute: 0), catchUpLimit: 24),
]

Worker.run(name: "leaderboard", options: Worker.Options(queue: queue, concurrency: 1, schedules: schedules)) {
    job, context in
    do { try LeaderboardJobs.handle(job, context.db) } catch let error as LeaderboardJobs.InvalidJob {
        throw PermanentJobError(error.description)
    }
}
