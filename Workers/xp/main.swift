// The XP worker: `xp.award` jobs from the `xp` queue (issue 10's learning events), awarded once
// per (user, type, source), scores and badges updated in the same transaction. See
// Shared/Achievements/XPAwards.swift.
import Achievements
import Core
import Worker

let points = XPAwards.Points(config: Config.load())

Worker.run(name: "xp", options: Worker.Options(queue: XPAwards.queue, concurrency: 2, batchSize: 8)) { job, context in
    let award: XPAwards.Award
    do { award = try XPAwards.parse(job.payload) } catch { throw PermanentJobError("\(job.kind): \(error)") }
    try XPAwards.award(context.db, award, points: points)
}
