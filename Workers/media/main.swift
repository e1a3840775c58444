// The media worker: `media.verify` jobs from the `media` queue, the checks of files uploaded
// straight to S3 (size and real type). See Shared/MediaCheck/MediaVerification.swift.
import HTTPClient
import Media
import MediaCheck
import Runtime
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

Worker.run(name: "media", options: Worker.Options(queue: MediaJobs.queue, concurrency: 2)) { job, context in
    try MediaVerification.handle(job, context, client: try clients.get(), store: store)
}
