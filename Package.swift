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

/// Every HTTP endpoint: (folder under Functions/, library that holds its handler).
/// The executable's name is the folder with "/" replaced by "-" (e.g. `auth-login`);
/// `infra/routes.manifest` refers to functions by that name.
let functions: [(path: String, library: String)] = [
    ("health", "Identity"),
    ("auth/signup", "Identity"),
    ("auth/login", "Identity"),
    ("auth/refresh", "Identity"),
    ("auth/logout", "Identity"),
    ("auth/otp-resend", "Identity"),
    ("auth/otp-verify", "Identity"),
    ("auth/password-reset", "Identity"),
    ("auth/password-reset-confirm", "Identity"),
    ("users/get-me", "Identity"),
    ("users/update-me", "Identity"),
    ("users/change-password", "Identity"),
    ("users/delete-me", "Identity"),
    ("users/get-profile", "Identity"),
    ("users/register-device", "Identity"),
    ("users/list-devices", "Identity"),
    ("users/delete-device", "Identity"),
    ("courses/create", "Courses"),
    ("courses/get", "Courses"),
    ("courses/search", "Courses"),
    ("courses/update", "Courses"),
    ("courses/delete", "Courses"),
    ("courses/create-module", "Courses"),
    ("modules/update", "Courses"),
    ("modules/delete", "Courses"),
    ("modules/create-lesson", "Courses"),
    ("lessons/update", "Courses"),
    ("lessons/delete", "Courses"),
    ("courses/submit", "Courses"),
    ("courses/enroll", "Courses"),
    ("users/list-enrollments", "Courses"),
    ("users/get-wishlist", "Courses"),
    ("users/add-wishlist", "Courses"),
    ("users/remove-wishlist", "Courses"),
    ("courses/unpublish", "Courses"),
    ("instructor/list-courses", "Courses"),
    ("admin/courses-list", "Courses"),
    ("admin/courses-approve", "Courses"),
    ("admin/courses-reject", "Courses"),
    ("categories/list", "Courses"),
    ("admin/jobs-list", "Jobs"),
    ("admin/jobs-retry", "Jobs"),
    ("admin/jobs-discard", "Jobs"),
    ("uploads/create", "Media"),
    ("uploads/content", "Media"),
    ("uploads/complete", "Media"),
    ("uploads/get", "Media"),
    ("lessons/content", "Courses"),
    ("lessons/add-resource", "Courses"),
    ("resources/update", "Courses"),
    ("resources/delete", "Courses"),
]

let settings: [SwiftSetting] = []

var targets: [Target] = [
    // C system libraries (Debian -dev packages).
    // No pkgConfig for these three: its `-l` flags would force shared linking (see above).
    .systemLibrary(name: "CLibPQ", path: "Shared/CLibPQ", providers: [.apt(["libpq-dev"])]),
    .systemLibrary(name: "COpenSSL", path: "Shared/COpenSSL", providers: [.apt(["libssl-dev"])]),
    .systemLibrary(name: "CArgon2", path: "Shared/CArgon2", providers: [.apt(["libargon2-dev"])]),
    .systemLibrary(name: "CCurl", path: "Shared/CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
    .systemLibrary(name: "CHaru", path: "Shared/CHaru", providers: [.apt(["libhpdf-dev"])]),

    // Libraries.
    .target(name: "CLibPQStubs", path: "Shared/CLibPQStubs"),
    // libcurl stays a shared library (only workers use it, and it pulls in nghttp2, libssh,
    // GSSAPI, LDAP...); every Swift use of curl goes through these wrappers, so they link it.
    .target(name: "CCurlHelpers", dependencies: ["CCurl"], path: "Shared/CCurlHelpers", linkerSettings: [.linkedLibrary("curl")]),
    .target(
        name: "Database", dependencies: linkStatically ? ["CLibPQ", "CLibPQStubs"] : ["CLibPQ"], path: "Shared/Database",
        swiftSettings: settings, linkerSettings: databaseLinking),
    .target(name: "Runtime", dependencies: ["Database"], path: "Shared/Runtime", swiftSettings: settings),
    .target(
        name: "Crypto", dependencies: ["COpenSSL", "CArgon2"], path: "Shared/Crypto", swiftSettings: settings,
        linkerSettings: cryptoLinking),
    .target(name: "HTTPClient", dependencies: ["CCurl", "CCurlHelpers"], path: "Shared/HTTPClient", swiftSettings: settings),
    .target(name: "Push", dependencies: ["HTTPClient", "Crypto", "Runtime"], path: "Shared/Push", swiftSettings: settings),
    .target(name: "Auth", dependencies: ["Runtime", "Database", "Crypto"], path: "Shared/Auth", swiftSettings: settings),
    .target(
        name: "Identity", dependencies: ["Runtime", "Database", "Auth", "Crypto", "Notifications"], path: "Shared/Identity",
        swiftSettings: settings),
    .target(name: "Queue", dependencies: ["Runtime", "Database"], path: "Shared/Queue", swiftSettings: settings),
    .target(name: "Worker", dependencies: ["Runtime", "Database", "Queue"], path: "Shared/Worker", swiftSettings: settings),
    .target(
        name: "Courses", dependencies: ["Runtime", "Database", "Auth", "Crypto", "Notifications", "Media"], path: "Shared/Courses",
        swiftSettings: settings),
    .target(name: "Media", dependencies: ["Runtime", "Database", "Auth", "Crypto", "Queue"], path: "Shared/Media", swiftSettings: settings),
    // The media worker's checks: separate from Media so functions never link libcurl.
    .target(
        name: "MediaCheck", dependencies: ["Media", "HTTPClient", "Worker", "Queue", "Database", "Runtime", "Auth"],
        path: "Shared/MediaCheck", swiftSettings: settings),
    .target(name: "Notifications", dependencies: ["Runtime", "Database", "Queue"], path: "Shared/Notifications", swiftSettings: settings),
    .target(
        name: "Jobs", dependencies: ["Runtime", "Database", "Auth", "Queue", "Notifications"], path: "Shared/Jobs",
        swiftSettings: settings),
    .target(
        name: "Delivery", dependencies: ["Runtime", "Database", "Queue", "Worker", "Notifications", "Push", "Mail", "Identity"],
        path: "Shared/Delivery",
        swiftSettings: settings),
    .target(name: "Platform", dependencies: ["Runtime", "Database", "Auth", "Crypto"], path: "Shared/Platform", swiftSettings: settings),
    .target(name: "Mail", dependencies: ["CCurl", "CCurlHelpers", "Runtime", "Crypto"], path: "Shared/Mail", swiftSettings: settings),

    // Operator CLI: migrate, create-admin, nginx-config, routes.
    .executableTarget(name: "lmsctl", dependencies: ["Platform", "Auth", "Crypto", "Media"], path: "infra/lmsctl", swiftSettings: settings),

    // The queue benchmark (infra/bench/queue.sh).
    .executableTarget(name: "queue-bench", dependencies: ["Queue", "Database", "Runtime"], path: "infra/bench/queue-bench", swiftSettings: settings),

    // Tests.
    .target(name: "TestSupport", dependencies: ["Runtime", "Database", "Auth", "Crypto"], path: "Tests/TestSupport", swiftSettings: settings),
    .testTarget(
        name: "UnitTests",
        dependencies: ["Runtime", "Database", "Auth", "Crypto", "Identity", "Platform", "HTTPClient", "Push", "Mail", "Media", "TestSupport"],
        path: "Tests/UnitTests", swiftSettings: settings),
    .testTarget(
        name: "HandlerTests",
        dependencies: [
            "Runtime", "Database", "Auth", "Identity", "Jobs", "Platform", "Queue", "Worker", "Delivery", "Notifications", "Push", "Mail",
            "Courses", "Media", "MediaCheck", "HTTPClient", "TestSupport",
        ],
        path: "Tests/HandlerTests", swiftSettings: settings),
    .testTarget(
        name: "EndToEndTests", dependencies: ["Runtime", "Database", "Auth", "Queue", "Notifications", "Platform", "Media", "TestSupport"], path: "Tests/EndToEndTests",
        swiftSettings: settings),
]

/// Background workers: Workers/<kind>, each one executable on the shared worker runtime.
let workers: [(name: String, libraries: [String])] = [
    ("probe", ["Worker", "Queue", "Database", "Runtime"]),
    ("push", ["Worker", "Delivery", "Push", "Runtime"]),
    ("email", ["Worker", "Delivery", "Mail", "Runtime"]),
    ("media", ["Worker", "MediaCheck", "Media", "HTTPClient", "Runtime"]),
]
for worker in workers {
    targets.append(
        .executableTarget(
            name: "worker-\(worker.name)", dependencies: worker.libraries.map { .byName(name: $0) }, path: "Workers/\(worker.name)",
            swiftSettings: settings))
}

for function in functions {
    targets.append(
        .executableTarget(
            name: function.path.split(separator: "/").joined(separator: "-"),
            dependencies: ["Runtime", .byName(name: function.library)],
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
