// The reconciliation worker: every RECONCILE_SECONDS (300) it asks the payment providers about
// orders still pending after 10 minutes, in case their webhook never came; what it finds goes
// through the one billing transaction. See Shared/Reconciliation/Reconciliation.swift.
import Core
import Payments
import Queue
import Reconciliation
import Worker

let config = Config.load()
let settings = PaymentSettings(config)
// RECONCILE_QUEUE: another queue name (tests).
let queue = config["RECONCILE_QUEUE"] ?? Reconciliation.queue
let schedules = [
    Schedule(
        name: queue + "-payments", kind: Reconciliation.kind, queue: queue,
        every: .seconds(max(60, config.int("RECONCILE_SECONDS", default: 300))),
        catchUpLimit: 1)
]

Worker.run(name: "reconcile", options: Worker.Options(queue: queue, concurrency: 1, schedules: schedules)) { job, context in
    try Reconciliation.run(context.db, settings: settings, log: context.log)
}
