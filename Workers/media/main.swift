// The media worker, on the `media` queue: `media.verify` checks files uploaded straight to S3
// (size and real type), `media.sweep` (hourly) removes abandoned and rejected uploads.
// See Shared/MediaCheck.
import Core
import HTTPClient
import Media
import MediaCheck
import Worker

let config = Config.load()
let store = Worker.prepare("media") { try MediaStore.from(config) }
// Only the first bytes of a file are ever read: a small response limit.
let clients = PerThread { try CurlClient(maxResponseBytes: 64 * 1024) }

let options = Worker.Options(queue: MediaJobs.queue, concurrency: 2, schedules: [MediaSweep.schedule])
Worker.run(name: "media", options: options) { job, context in
    switch job.kind {
    case MediaJobs.verifyKind: try MediaVerification.handle(job, context, client: try clients.get(), store: store)
    case MediaSweep.schedule.kind: try MediaSweep.handle(context, client: try clients.get(), store: store)
    default: throw PermanentJobError("the media worker does not run \(job.kind)")
    }
}
