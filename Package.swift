// swift-tools-version:6.0
// One package: the Shared libraries, one executable per endpoint (Functions/), one per worker
// (Workers/), the operator CLI (infra/lmsctl) and the tests. No Swift package dependencies:
// the C libraries (libpq, OpenSSL, libargon2, libcurl, libharu) come from Debian and cost
// nothing to build, which keeps CI builds and function start-up small.
import Foundation
import PackageDescription

/// libpq, OpenSSL and libargon2 are linked statically when the PostgreSQL static support
/// libraries are present (`infra/scripts/lib.sh` extracts them from Debian's
/// postgresql-server-dev package into `.deps/pg`): a CGI function then loads no shared
/// library beyond libc and libstdc++, which saves ~5 ms per request. Without them the same
/// code links the shared libraries, so a plain `swift build` always works.
let systemLibraries = "/usr/lib/x86_64-linux-gnu"
let pgSupport = Context.packageDirectory + "/.deps/pg"
let linkStatically =
    FileManager.default.fileExists(atPath: pgSupport + "/libpgcommon_shlib.a")
    && FileManager.default.fileExists(atPath: systemLibraries + "/libpq.a")
    && Context.environment["LMS_DYNAMIC_LINKING"] == nil

func archives(_ paths: [String]) -> [LinkerSetting] {
    [.unsafeFlags(paths.flatMap { ["-Xlinker", $0] })]
}

let databaseLinking: [LinkerSetting] =
    linkStatically
    ? archives([
        systemLibraries + "/libpq.a", pgSupport + "/libpgcommon_shlib.a", pgSupport + "/libpgport_shlib.a",
        systemLibraries + "/libssl.a", systemLibraries + "/libcrypto.a",
    ])
    : [.linkedLibrary("pq")]
let cryptoLinking: [LinkerSetting] =
    linkStatically
    ? archives([systemLibraries + "/libargon2.a", systemLibraries + "/libcrypto.a"])
    : [.linkedLibrary("ssl"), .linkedLibrary("crypto"), .linkedLibrary("argon2")]

/// Every HTTP endpoint is a folder under Functions/ holding a `main.swift` (its route: the
/// endpoint it runs). The executable's name is the folder with "/" replaced by "-"
/// (`Functions/auth/login` -> `auth-login`); it depends on the runtime and the libraries its
/// main imports. Adding a function is adding the folder: nothing here lists them.
func functionFolders() -> [(path: String, imports: [String])] {
    let root = Context.packageDirectory + "/Functions"
    let files = (FileManager.default.enumerator(atPath: root)?.allObjects as? [String] ?? []).filter {
        $0 == "main.swift" || $0.hasSuffix("/main.swift")
    }
    return files.sorted().map { file in
        let source = (try? String(contentsOfFile: root + "/" + file, encoding: .utf8)) ?? ""
        let imports = source.split(separator: "\n").filter { $0.hasPrefix("import ") }.map { String($0.dropFirst(7)) }
        return (String(file.dropLast("/main.swift".count)), imports)
    }
}

let settings: [SwiftSetting] = []

var targets: [Target] = [
    // C system libraries (Debian -dev packages).
    // No pkgConfig for these three: its `-l` flags would force shared linking (see above).
    .systemLibrary(name: "CLibPQ", path: "Shared/CLibPQ", providers: [.apt(["libpq-dev"])]),
    .systemLibrary(name: "COpenSSL", path: "Shared/COpenSSL", providers: [.apt(["libssl-dev"])]),
    .systemLibrary(name: "CArgon2", path: "Shared/CArgon2", providers: [.apt(["libargon2-dev"])]),
    .systemLibrary(name: "CCurl", path: "Shared/CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
    .systemLibrary(name: "CHaru", path: "Shared/CHaru", providers: [.apt(["libhpdf-dev"])]),
    .systemLibrary(name: "CQREncode", path: "Shared/CQREncode", providers: [.apt(["libqrencode-dev"])]),

    // Libraries.
    .target(name: "CLibPQStubs", path: "Shared/CLibPQStubs"),
    // libcurl stays a shared library (only workers use it, and it pulls in nghttp2, libssh,
    // GSSAPI, LDAP...); every Swift use of curl goes through these wrappers, so they link it.
    .target(name: "CCurlHelpers", dependencies: ["CCurl"], path: "Shared/CCurlHelpers", linkerSettings: [.linkedLibrary("curl")]),
    // Config, logging, JSON, errors and text helpers: what every process needs, HTTP or not.
    .target(name: "Core", path: "Shared/Core", swiftSettings: settings),
    .target(
        name: "Database", dependencies: linkStatically ? ["Core", "CLibPQ", "CLibPQStubs"] : ["Core", "CLibPQ"], path: "Shared/Database",
        swiftSettings: settings, linkerSettings: databaseLinking),
    // The HTTP function runtime: CGI, FastCGI, endpoints and their access checks. Workers never link it.
    .target(name: "Runtime", dependencies: ["Core", "Database", "Auth"], path: "Shared/Runtime", swiftSettings: settings),
    .target(
        name: "Crypto", dependencies: ["COpenSSL", "CArgon2"], path: "Shared/Crypto", swiftSettings: settings,
        linkerSettings: cryptoLinking),
    .target(name: "HTTPClient", dependencies: ["CCurl", "CCurlHelpers"], path: "Shared/HTTPClient", swiftSettings: settings),
    .target(name: "Push", dependencies: ["HTTPClient", "Crypto", "Core"], path: "Shared/Push", swiftSettings: settings),
    .target(name: "Auth", dependencies: ["Core", "Database", "Crypto"], path: "Shared/Auth", swiftSettings: settings),
    .target(
        name: "Identity",
        dependencies: ["Core", "Runtime", "Database", "Auth", "Crypto", "Notifications", "Accounts", "Achievements", "Certificates"],
        path: "Shared/Identity",
        swiftSettings: settings),
    .target(name: "Queue", dependencies: ["Core", "Database"], path: "Shared/Queue", swiftSettings: settings),
    .target(name: "Worker", dependencies: ["Core", "Database", "Queue"], path: "Shared/Worker", swiftSettings: settings),
    .target(
        name: "Courses", dependencies: ["Core", "Runtime", "Database", "Auth", "Crypto", "Notifications", "Media"], path: "Shared/Courses",
        swiftSettings: settings),
    .target(
        name: "Media", dependencies: ["Core", "Runtime", "Database", "Auth", "Crypto", "Queue"], path: "Shared/Media",
        swiftSettings: settings),
    // Learning: progress, resume, completion (and the jobs it hands to certificates and XP),
    // the instructor's learner list. Quizzes and assignments build on it.
    .target(
        name: "Learning", dependencies: ["Core", "Runtime", "Database", "Auth", "Queue", "Notifications", "Courses"],
        path: "Shared/Learning", swiftSettings: settings),
    .target(
        name: "Quizzes", dependencies: ["Core", "Runtime", "Database", "Auth", "Queue", "Learning", "Courses"], path: "Shared/Quizzes",
        swiftSettings: settings),
    .target(
        name: "Assignments",
        dependencies: ["Core", "Runtime", "Database", "Auth", "Queue", "Notifications", "Learning", "Courses", "Media"],
        path: "Shared/Assignments", swiftSettings: settings),
    // The media worker's checks: separate from Media so functions never link libcurl.
    .target(
        name: "MediaCheck", dependencies: ["Media", "HTTPClient", "Worker", "Queue", "Database", "Core", "Auth"],
        path: "Shared/MediaCheck", swiftSettings: settings),
    // Account data that functions and workers share (password-reset tokens for the email worker).
    .target(
        name: "Accounts", dependencies: ["Core", "Database", "Crypto", "Notifications"], path: "Shared/Accounts", swiftSettings: settings),
    .target(name: "Notifications", dependencies: ["Core", "Database", "Queue"], path: "Shared/Notifications", swiftSettings: settings),
    .target(
        name: "Jobs", dependencies: ["Core", "Runtime", "Database", "Auth", "Queue", "Notifications"], path: "Shared/Jobs",
        swiftSettings: settings),
    .target(
        name: "Delivery",
        dependencies: ["Core", "Database", "Queue", "Worker", "Notifications", "Push", "Mail", "Accounts", "MediaFiles"],
        path: "Shared/Delivery",
        swiftSettings: settings),
    .target(
        name: "Platform", dependencies: ["Core", "Database", "Auth", "Crypto", "Achievements", "Queue", "Payments"],
        path: "Shared/Platform",
        swiftSettings: settings),
    .target(name: "Mail", dependencies: ["CCurl", "CCurlHelpers", "Core", "Crypto"], path: "Shared/Mail", swiftSettings: settings),
    // Files the server writes and reads in the media store itself (workers: links libcurl).
    .target(name: "MediaFiles", dependencies: ["Media", "HTTPClient", "Core"], path: "Shared/MediaFiles", swiftSettings: settings),
    // Writing a PDF with libharu (error handler, UTF-8 font, bytes out): certificates and invoices.
    .target(name: "PDFWriter", dependencies: ["CHaru", "Core"], path: "Shared/PDFWriter", swiftSettings: settings),
    // The certificate document (libharu, libqrencode) and its code: no database, no HTTP.
    // A certificate's public code (no C library: the endpoints link it, and they are static).
    .target(name: "CertificateCodes", dependencies: ["Core"], path: "Shared/CertificateCodes", swiftSettings: settings),
    .target(
        name: "CertificatePDF", dependencies: ["CHaru", "CQREncode", "Core", "CertificateCodes", "PDFWriter"],
        path: "Shared/CertificatePDF", swiftSettings: settings),
    // The certificate worker's job.
    .target(
        name: "CertificateIssue",
        dependencies: ["CertificatePDF", "CertificateCodes", "MediaFiles", "Core", "Database", "Queue", "Worker", "Notifications"],
        path: "Shared/CertificateIssue", swiftSettings: settings),
    // Certificate endpoints (list, verify, download link, visibility, revoke, re-issue).
    .target(
        name: "Certificates",
        dependencies: ["CertificateCodes", "Core", "Runtime", "Database", "Auth", "Queue", "Media"],
        path: "Shared/Certificates", swiftSettings: settings),
    // Invoices and credit notes: the document (libharu; no database, no HTTP), the job the billing
    // transaction enqueues (no C library: payment functions link it), the worker's job, and the
    // download-link endpoints (no libharu, no libcurl).
    .target(name: "InvoicePDF", dependencies: ["CHaru", "Core", "PDFWriter"], path: "Shared/InvoicePDF", swiftSettings: settings),
    .target(name: "InvoiceJobs", dependencies: ["Core", "Database", "Queue"], path: "Shared/InvoiceJobs", swiftSettings: settings),
    .target(
        name: "InvoiceIssue",
        dependencies: ["InvoicePDF", "InvoiceJobs", "PDFWriter", "MediaFiles", "Core", "Database", "Queue", "Worker", "Notifications"],
        path: "Shared/InvoiceIssue", swiftSettings: settings),
    .target(
        name: "Invoices", dependencies: ["Core", "Runtime", "Database", "Auth", "Media"], path: "Shared/Invoices", swiftSettings: settings),
    // XP, badges and leaderboards: what the XP and leaderboard workers do (no HTTP).
    .target(
        name: "Achievements", dependencies: ["Core", "Database", "Queue", "Notifications"], path: "Shared/Achievements",
        swiftSettings: settings),
    // XP, badge and leaderboard endpoints.
    .target(
        name: "Leaderboards", dependencies: ["Achievements", "Core", "Runtime", "Database", "Auth"], path: "Shared/Leaderboards",
        swiftSettings: settings),

    // Payments: the billing transaction every confirmation converges on, the signature
    // schemes, the webhook and order endpoints (no libcurl: these functions stay static).
    .target(
        name: "Payments",
        dependencies: ["Core", "Runtime", "Database", "Auth", "Crypto", "Notifications", "Courses", "Queue", "InvoiceJobs"],
        path: "Shared/Payments", swiftSettings: settings),
    // Creating an order calls Razorpay or Stripe (libcurl): only `payments-order` links it.
    .target(
        name: "Checkout", dependencies: ["Payments", "HTTPClient", "Core", "Runtime", "Database", "Auth", "Crypto"],
        path: "Shared/Checkout", swiftSettings: settings),

    // The refund worker's job: the providers' refund APIs through libcurl.
    .target(
        name: "RefundProcessing", dependencies: ["Payments", "HTTPClient", "Worker", "Queue", "Database", "Core"],
        path: "Shared/RefundProcessing", swiftSettings: settings),

    // The reconciliation worker's job: asks the providers about orders whose confirmation never came.
    .target(
        name: "Reconciliation", dependencies: ["Payments", "HTTPClient", "Worker", "Queue", "Database", "Core"],
        path: "Shared/Reconciliation", swiftSettings: settings),

    // Operator CLI: migrate, create-admin, nginx-config, routes.
    .executableTarget(
        name: "lmsctl", dependencies: ["Core", "Platform", "Auth", "Crypto", "Media", "Payments"], path: "infra/lmsctl",
        swiftSettings: settings),

    // The queue benchmark (infra/bench/queue.sh).
    .executableTarget(
        name: "queue-bench", dependencies: ["Queue", "Database", "Core"], path: "infra/bench/queue-bench", swiftSettings: settings),

    // The certificate, invoice and leaderboard benchmark (infra/bench/achievements.sh, invoices.sh).
    .executableTarget(
        name: "achievements-bench",
        dependencies: [
            "Achievements", "CertificatePDF", "CertificateCodes", "InvoicePDF", "PDFWriter", "Auth", "Queue", "Database", "Core",
        ],
        path: "infra/bench/achievements-bench", swiftSettings: settings),

    // Tests.
    .target(
        name: "TestSupport", dependencies: ["Core", "Runtime", "Database", "Auth", "Crypto"], path: "Tests/TestSupport",
        swiftSettings: settings),
    .testTarget(
        name: "UnitTests",
        dependencies: [
            "Core", "Runtime", "Database", "Auth", "Crypto", "Identity", "Platform", "HTTPClient", "Push", "Mail", "Media", "TestSupport",
            "CertificatePDF", "CertificateCodes", "Achievements", "PDFWriter", "InvoicePDF",
        ],
        path: "Tests/UnitTests", swiftSettings: settings),
    .testTarget(
        name: "HandlerTests",
        dependencies: [
            "Core", "Runtime", "Database", "Auth", "Identity", "Jobs", "Platform", "Queue", "Worker", "Delivery", "Notifications", "Push",
            "Mail",
            "Courses", "Media", "MediaCheck", "HTTPClient", "TestSupport", "Learning", "Quizzes", "Assignments",
            "MediaFiles", "CertificatePDF", "CertificateCodes",
            "CertificateIssue",
            "Certificates", "Achievements", "Leaderboards", "Payments", "Checkout", "Crypto", "RefundProcessing", "Reconciliation",
            "PDFWriter", "InvoicePDF", "InvoiceJobs", "InvoiceIssue", "Invoices",
        ],
        path: "Tests/HandlerTests", swiftSettings: settings),
    .testTarget(
        name: "EndToEndTests",
        dependencies: [
            "Core", "Runtime", "Database", "Auth", "Queue", "Notifications", "Platform", "Media", "TestSupport", "CertificatePDF",
            "CertificateCodes", "InvoiceJobs",
        ],
        path: "Tests/EndToEndTests",
        swiftSettings: settings),
]

/// Background workers: Workers/<kind>, each one executable on the shared worker runtime.
let workers: [(name: String, libraries: [String])] = [
    ("probe", ["Worker", "Queue", "Database", "Core"]),
    ("push", ["Worker", "Delivery", "Push", "Core"]),
    ("email", ["Worker", "Delivery", "Mail", "Media", "MediaFiles", "Core"]),
    ("media", ["Worker", "MediaCheck", "Media", "HTTPClient", "Core"]),
    ("certificate", ["Worker", "CertificateIssue", "CertificatePDF", "Media", "MediaFiles", "Core"]),
    ("invoice", ["Worker", "InvoiceIssue", "InvoiceJobs", "InvoicePDF", "Media", "MediaFiles", "Core"]),
    ("xp", ["Worker", "Achievements", "Core"]),
    ("leaderboard", ["Worker", "Achievements", "Queue", "Core"]),
    ("refund", ["Worker", "RefundProcessing", "Payments", "Core"]),
    ("reconcile", ["Worker", "Reconciliation", "Payments", "Queue", "Core"]),
]
for worker in workers {
    targets.append(
        .executableTarget(
            name: "worker-\(worker.name)", dependencies: worker.libraries.map { .byName(name: $0) }, path: "Workers/\(worker.name)",
            swiftSettings: settings))
}

for function in functionFolders() {
    targets.append(
        .executableTarget(
            name: function.path.split(separator: "/").joined(separator: "-"),
            dependencies: function.imports.map { .byName(name: $0) },
            path: "Functions/\(function.path)",
            swiftSettings: settings
        )
    )
}

let package = Package(
    name: "lms",
    platforms: [.macOS(.v15)],
    products: [],
    targets: targets
)
