// The email worker: `email.*` jobs from the `email` queue, rendered from their templates and
// sent by SMTP through libcurl (or written as .eml files outside production). See
// Shared/Delivery/EmailDelivery.swift.
import Core
import Delivery
import Mail
import Media
import MediaFiles
import Worker

let config = Config.load()
let (transport, sender) = Worker.prepare("email") { (try Mail.transport(config: config), try Mail.sender(config: config)) }
let templates = EmailTemplates(config: config)
// Attachments (certificate and invoice PDFs) are read from the media store when one is configured.
let store = try? MediaStore.from(config)
let files = PerThread { () throws -> MediaFiles? in try store.map { try MediaFiles(store: $0) } }

Worker.run(name: "email", options: Worker.Options(queue: "email", concurrency: 4)) { job, context in
    try EmailDelivery.handle(job, context, transport: transport, templates: templates, sender: sender, files: try files.get())
}
