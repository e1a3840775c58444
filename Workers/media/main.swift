// The media worker, on the `media` queue: `media.verify` checks files uploaded straight to S3
// (size and real type), `media.sweep` (hourly) removes abandoned and rejected uploads.
// See Shared/MediaCheck.
import Core
import HTTPClient
import Media
import MediaCheck
import Worker

#if canImport(Glibc)
    import Glibc
#endif

let config = Config.load()
let store: MediaStore
do {
    store = try MediaStore.from(config)
} catch {
    Logger(component: "worker-media").error("cannot start", [("error", .string(String(describing: error)))])
    exit(1)
}
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
