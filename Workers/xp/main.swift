// The XP worker: `xp.award` jobs from the `xp` queue (issue 10's learning events), awarded once
// per (user, type, source), scores and badges updated in the same transaction. See
// Shared/Achievements/XPAwards.swift.
import Achievements
import Core
import Worker

let config = Config.load()
let points = XPAwards.Points(config: config)
// XP_QUEUE: another queue name (tests run a worker of their own beside the suite).
let queue = config["XP_QUEUE"].flatMap { $0.isEmpty ? nil : $0 } ?? XPAwards.queue

Worker.run(name: "xp", options: Worker.Options(queue: queue, concurrency: 2, batchSize: 8)) { job, context in
    let award: XPAwards.Award
    do { award = try XPAwards.parse(job.payload) } catch { throw PermanentJobError("\(job.kind): \(error)") }
    try XPAwards.award(context.db, award, points: points)
}
