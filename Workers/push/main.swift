// The push worker: `push.send` jobs from the `push` queue, delivered through FCM HTTP v1
// (or a log file outside production). See Shared/Delivery/PushDelivery.swift.
import Core
import Delivery
import Push
import Worker

let transports = PerThread { try Push.transport(config: Config.load()) }

Worker.run(name: "push", options: Worker.Options(queue: "push", concurrency: 4)) { job, context in
    try PushDelivery.handle(job, context, transport: try transports.get())
}
