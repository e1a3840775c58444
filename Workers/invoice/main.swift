// The invoice worker: `invoice.render` jobs from the `invoices` queue, the invoice or credit
// note rendered to PDF with libharu, stored through the media store, the buyer emailed with the
// PDF attached. See Shared/InvoiceIssue/InvoiceIssue.swift.
import Core
import InvoiceIssue
import InvoiceJobs
import InvoicePDF
import Media
import MediaFiles
import Worker

let config = Config.load()
let store = Worker.prepare("invoice") { try MediaStore.from(config) }
let renderer = InvoiceRenderer(config: config)
let files = PerThread { try MediaFiles(store: store) }

// INVOICE_QUEUE: another queue name (tests run a worker of their own beside the suite).
let queue = config["INVOICE_QUEUE"] ?? InvoiceJobs.queue

Worker.run(name: "invoice", options: Worker.Options(queue: queue, kinds: [InvoiceJobs.kind], concurrency: 2)) { job, context in
    try InvoiceIssue.handle(job, context, renderer: renderer, files: try files.get())
}
