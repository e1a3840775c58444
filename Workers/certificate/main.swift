// The certificate worker: `certificate.issue` jobs from the `certificates` queue, rendered to
// PDF with libharu (QR code by libqrencode), stored through the media store, the learner
// emailed with the PDF attached. See Shared/CertificateIssue/CertificateIssue.swift.
import CertificateIssue
import CertificatePDF
import Core
import Media
import MediaFiles
import Worker

let config = Config.load()
let store = Worker.prepare("certificate") { try MediaStore.from(config) }
let renderer = CertificateRenderer(config: config)
let settings = CertificateIssue.Settings(config: config)
let files = PerThread { try MediaFiles(store: store) }

// CERTIFICATE_QUEUE: another queue name (tests run a worker of their own beside the suite).
let queue = config["CERTIFICATE_QUEUE"] ?? CertificateIssue.queue

Worker.run(name: "certificate", options: Worker.Options(queue: queue, concurrency: 2)) { job, context in
    try CertificateIssue.handle(job, context, renderer: renderer, files: try files.get(), settings: settings)
}
