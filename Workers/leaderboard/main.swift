// The leaderboard worker: the queue's schedules enqueue a refresh of the current week's and
// month's ranks every LEADERBOARD_REFRESH_SECONDS, and a close of each week (Monday 00:00 UTC)
// and month (the 1st, 00:00 UTC) that ended. See Shared/Achievements/Leaderboards.swift.
import Achievements
import Core
import Queue
import Worker

let config = Config.load()
let refreshSeconds = max(5, config.int("LEADERBOARD_REFRESH_SECONDS", default: 60))
let schedules = [
    Schedule(
        name: "leaderboard-refresh", kind: Leaderboards.refreshKind, queue: Leaderboards.queue, every: .seconds(refreshSeconds),
        catchUpLimit: 1),
    Schedule(
        name: "leaderboard-close-week", kind: Leaderboards.closeKind, queue: Leaderboards.queue,
        every: .weekly(weekday: 1, hour: 0, minute: 0), catchUpLimit: 52),
    Schedule(
        name: "leaderboard-close-month", kind: Leaderboards.closeKind, queue: Leaderboards.queue,
        every: .monthly(day: 1, hour: 0, minute: 0), catchUpLimit: 24),
]

Worker.run(name: "leaderboard", options: Worker.Options(queue: Leaderboards.queue, concurrency: 1, schedules: schedules)) {
    job, context in
    do { try LeaderboardJobs.handle(job, context.db) } catch let error as LeaderboardJobs.InvalidJob {
        throw PermanentJobError(error.description)
    }
}
