// achievements-bench: the certificate and leaderboard benchmarks, run by
// infra/bench/achievements.sh. Prints figures; asserts nothing.
//   achievements-bench render --count 500          PDFs per second on one thread, file size
//   achievements-bench invoices --count 500 --lines 20 [--save FILE]
//                                                  the same for invoices of N lines (FILE: the last one)
//   achievements-bench issue --samples 30          completion -> certificate downloadable, worker idle
//   achievements-bench close [--ranked]            closing last week's boards (snapshot with ranks);
//                                                  --ranked: ranked while open first, as in production
//   achievements-bench reopen                      undoing last week's close (a kept stack measures it again)
//   achievements-bench refresh                     re-ranking the current week's and month's boards
//   achievements-bench token                       an access token of a ranked scale user (for wrk)
// DATABASE_URL and (token) JWT_SECRET come from the environment.
import Achievements
import Auth
import CertificateCodes
import CertificatePDF
import Core
import Database
import InvoicePDF
import PDFWriter
import Queue

#if canImport(Glibc)
    import Glibc
#endif

let config = Config.load()
let arguments = Array(CommandLine.arguments.dropFirst())
@MainActor func option(_ name: String, _ fallback: Int) -> Int {
    guard let index = arguments.firstIndex(of: "--\(name)"), index + 1 < arguments.count, let value = Int(arguments[index + 1]) else {
        return fallback
    }
    return value
}
func fail(_ message: String) -> Never {
    print("achievements-bench: \(message)")
    exit(1)
}
func format(_ value: Double, _ digits: Int = 2) -> String {
    var scale = 1.0
    for _ in 0..<digits { scale *= 10 }
    let rounded = (value * scale).rounded() / scale
    return String(rounded)
}
func percentile(_ sorted: [Double], _ p: Double) -> Double {
    sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]
}

@MainActor func render() throws {
    let count = option("count", 500)
    let renderer = CertificateRenderer(config: config)
    let names = ["José Müller", "Zoë Ødegaard", "Nguyễn Thị Minh Khai", "Łukasz Żółć", "Ελένη", "Иван"]
    var bytes = 0
    var largest = 0
    _ = try renderer.render(content(names[0], 0))  // warm the page cache for the font file
    let started = monotonicSeconds()
    for index in 0..<count {
        let pdf = try renderer.render(content(names[index % names.count], index))
        bytes += pdf.count
        largest = max(largest, pdf.count)
    }
    let seconds = monotonicSeconds() - started
    print(
        "render: \(count) PDFs in \(format(seconds)) s on one thread: \(format(Double(count) / seconds, 1)) PDFs/s, "
            + "\(format(seconds * 1000 / Double(count))) ms each; size avg \(bytes / count / 1024) KiB, max \(largest / 1024) KiB "
            + "(font \(renderer.font(for: content(names[0], 0)).split(separator: "/").last ?? ""), embedded as a subset)")
}

func content(_ name: String, _ index: Int) -> CertificateContent {
    let code = CertificateCode.generate()
    return CertificateContent(
        platformName: "LMS", learnerName: "\(name) \(index)", courseTitle: "Swift on the Server from Scratch",
        instructorName: "Demo Instructor 1", completedOn: "30 November 2026", code: code,
        verificationURL: "https://app.example.com/certificates/\(code)")
}

/// Invoice renders: a cart of `--lines` courses with an 18% GST included and a coupon, buyers
/// in several scripts.
@MainActor func invoices() throws {
    let count = option("count", 500)
    let lines = option("lines", 1)
    let renderer = InvoiceRenderer(config: config)
    let names = ["José Müller", "Zoë Ødegaard", "Nguyễn Thị Minh Khai", "Łukasz Żółć", "Ελένη", "Иван"]
    func invoice(_ index: Int) -> InvoiceDocument {
        let items = (0..<lines).map { line in
            InvoiceDocument.Line(
                description: "Swift on the Server from Scratch, volume \(line + 1)", listPriceMinor: 149_900, discountMinor: 14_990,
                netMinor: 114_331, taxMinor: 20_579, totalMinor: 134_910)
        }
        return InvoiceDocument(
            kind: .invoice, number: "INV-2026-27-\(100_000 + index)", issuedOn: "30 November 2026", currency: "INR",
            seller: .init(
                name: "LMS Academy Pvt Ltd", email: "billing@lms.example", address: "12 MG Road\nBengaluru 560001", taxId: "29ABCDE1234F1Z5"
            ),
            buyer: .init(
                name: "\(names[index % names.count]) \(index)", email: "learner\(index)@example.com", address: "4 Rue de Rivoli\nParis"),
            lines: items, couponCode: "WELCOME10", subtotalMinor: 149_900 * lines, discountMinor: 14_990 * lines,
            netMinor: 114_331 * lines, taxMinor: 20_579 * lines, totalMinor: 134_910 * lines, taxLabel: "GST", taxRateBp: 1800,
            taxInclusive: true, provider: "razorpay", paymentReference: "pay_NXk3A9bC2dE4fG")
    }
    var pdf = try renderer.render(invoice(0))  // warm the page cache for the font file
    var bytes = 0
    var largest = 0
    let started = monotonicSeconds()
    for index in 0..<count {
        pdf = try renderer.render(invoice(index))
        bytes += pdf.count
        largest = max(largest, pdf.count)
    }
    let seconds = monotonicSeconds() - started
    print(
        "invoices of \(lines) line\(lines == 1 ? "" : "s"): \(count) PDFs in \(format(seconds)) s on one thread: "
            + "\(format(Double(count) / seconds, 1)) PDFs/s, \(format(seconds * 1000 / Double(count))) ms each; "
            + "size avg \(bytes / count / 1024) KiB, max \(largest / 1024) KiB "
            + "(font \(renderer.font(for: invoice(0)).split(separator: "/").last ?? ""), embedded as a subset)")
    if let index = arguments.firstIndex(of: "--save"), index + 1 < arguments.count {
        let fd = open(arguments[index + 1], O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0, writeAll(fd: fd, pdf) else { fail("cannot write \(arguments[index + 1])") }
        close(fd)
    }
}

/// Completion -> downloadable: a `certificate.issue` job enqueued as issue 10 does, until the
/// row has its file (the worker running, idle).
@MainActor func issue(_ db: Connection) throws {
    let samples = option("samples", 30)
    let course = try db.query(
        "SELECT id FROM courses WHERE status = 'published' ORDER BY published_at LIMIT 1"
    ).one().string("id")
    let users = try db.query(
        """
        SELECT u.id FROM users u WHERE u.status = 'active' AND u.role = 'student'
          AND NOT EXISTS (SELECT 1 FROM certificates c WHERE c.user_id = u.id AND c.course_id = \(course))
        LIMIT \(samples)
        """
    ).rows.map { try $0.string("id") }
    var latencies: [Double] = []
    for user in users {
        let started = monotonicSeconds()
        try Queue.enqueue(
            db, kind: "certificate.issue", payload: ["user_id": user, "course_id": course, "completed_at": isoTime(unixTime())],
            options: .init(queue: "certificates", uniqueKey: "certificate:\(user):\(course)"))
        while try db.query(
            "SELECT 1 FROM certificates WHERE user_id = \(user) AND course_id = \(course) AND file_key IS NOT NULL"
        ).first == nil {
            if monotonicSeconds() - started > 30 { fail("no certificate after 30 s: is worker-certificate running?") }
            usleep(2000)
        }
        latencies.append((monotonicSeconds() - started) * 1000)
        usleep(200_000)  // the worker goes idle again
    }
    let sorted = latencies.sorted()
    print(
        "completion -> downloadable (worker idle, n=\(sorted.count)): p50 \(format(percentile(sorted, 0.5))) ms, "
            + "p90 \(format(percentile(sorted, 0.9))) ms, max \(format(sorted.last ?? 0)) ms")
}

/// Closes last week. `--ranked`: first ranks it as the refresh did while it was open (not
/// timed), as in production, where the close then replaces a ranking that is there.
@MainActor func close(_ db: Connection) throws {
    let week = Period.containing(.week, time: unixTime()).previous
    let entries = try db.query(
        "SELECT count(*)::int AS n FROM leaderboard_scores WHERE period = 'week' AND period_start = \(week.startDate)::date"
    ).one().int("n")
    let ranked = arguments.contains("--ranked")
    if ranked { try Leaderboards.refresh(db, week) }
    let started = monotonicSeconds()
    let outcome = try Leaderboards.close(db, week)
    print(
        "close \(week.label)\(ranked ? " (ranked while open)" : ""): \(entries) score rows, \(outcome) in "
            + "\(format(monotonicSeconds() - started)) s")
}

/// Undoes last week's close and ranking (its period, boards and ranks), so that a kept stack
/// (LMS_BENCH_DIR) measures the close again.
@MainActor func reopen(_ db: Connection) throws {
    let week = Period.containing(.week, time: unixTime()).previous
    try db.transaction { tx in
        try tx.execute(
            """
            DELETE FROM leaderboard_ranks WHERE ranking IN (
                SELECT ranking FROM leaderboard_boards WHERE period = 'week' AND period_start = \(week.startDate)::date)
            """)
        try tx.execute("DELETE FROM leaderboard_boards WHERE period = 'week' AND period_start = \(week.startDate)::date")
        try tx.execute("DELETE FROM leaderboard_periods WHERE period = 'week' AND period_start = \(week.startDate)::date")
    }
    try db.runScript("VACUUM leaderboard_ranks")
}

@MainActor func refresh(_ db: Connection) throws {
    try db.execute("UPDATE leaderboard_periods SET ranked_through = NULL WHERE closed_at IS NULL")
    let started = monotonicSeconds()
    let boards = try Leaderboards.refresh(db, now: unixTime())
    print("refresh (current week and month, from scratch): \(boards) boards in \(format(monotonicSeconds() - started)) s")
}

@MainActor func token(_ db: Connection) throws {
    let week = Period.containing(.week, time: unixTime())
    // Someone in the middle of the board: their rank is far outside any top N.
    let row = try db.query(
        """
        SELECT r.user_id FROM leaderboard_boards b JOIN leaderboard_ranks r ON r.ranking = b.ranking
        WHERE b.period = 'week' AND b.period_start = \(week.startDate)::date AND b.course_id = \(globalBoard)::uuid
        ORDER BY r.points, r.user_id DESC LIMIT 1 OFFSET (
            SELECT entries / 2 FROM leaderboard_boards WHERE period = 'week' AND period_start = \(week.startDate)::date
              AND course_id = \(globalBoard)::uuid)
        """
    ).one()
    let user = try row.string("user_id")
    let now = unixTime()
    print(
        JWT.sign(
            JWT.Claims(sub: user, role: "student", iat: now, exp: now + 3600, ver: 0), secret: Array(try config.require("JWT_SECRET").utf8))
    )
}

if arguments.first == "render" {
    try render()
    exit(0)
}
if arguments.first == "invoices" {
    try invoices()
    exit(0)
}
guard let url = config["DATABASE_URL"] else { fail("DATABASE_URL must be set") }
switch arguments.first {
case "issue": try issue(try Connection(url: url))
case "close": try close(try Connection(url: url))
case "reopen": try reopen(try Connection(url: url))
case "refresh": try refresh(try Connection(url: url))
case "token": try token(try Connection(url: url))
default: fail("usage: achievements-bench render|invoices|issue|close|reopen|refresh|token [--count N] [--lines N] [--samples N]")
}
