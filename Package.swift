// swift-tools-version:6.0
// One package: the Shared libraries, one executable per endpoint (Functions/), one per worker
// (Workers/), the operator CLI (infra/lmsctl) and the tests. No Swift package dependencies:
// the C libraries (libpq, OpenSSL, libargon2, libcurl, libharu) come from Debian and cost
// nothing to build, which keeps CI builds and function start-up small.
import PackageDescription

/// Every HTTP endpoint: (folder under Functions/, library that holds its handler).
/// The executable's name is the folder with "/" replaced by "-" (e.g. `auth-login`);
/// `infra/routes.manifest` refers to functions by that name.
let functions: [(path: String, library: String)] = [
    ("health", "Identity"),
    ("auth/signup", "Identity"),
    ("auth/login", "Identity"),
    ("auth/refresh", "Identity"),
    ("auth/logout", "Identity"),
    ("users/get-me", "Identity"),
    ("users/update-me", "Identity"),
    ("users/change-password", "Identity"),
    ("users/delete-me", "Identity"),
    ("users/get-profile", "Identity"),
]

let settings: [SwiftSetting] = []

var targets: [Target] = [
    // C system libraries (Debian -dev packages).
    .systemLibrary(name: "CLibPQ", path: "Shared/CLibPQ", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
    .systemLibrary(name: "COpenSSL", path: "Shared/COpenSSL", pkgConfig: "openssl", providers: [.apt(["libssl-dev"])]),
    .systemLibrary(name: "CArgon2", path: "Shared/CArgon2", pkgConfig: "libargon2", providers: [.apt(["libargon2-dev"])]),
    .systemLibrary(name: "CCurl", path: "Shared/CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
    .systemLibrary(name: "CHaru", path: "Shared/CHaru", providers: [.apt(["libhpdf-dev"])]),

    // Libraries.
    .target(name: "Database", dependencies: ["CLibPQ"], path: "Shared/Database", swiftSettings: settings),
    .target(name: "Runtime", dependencies: ["Database"], path: "Shared/Runtime", swiftSettings: settings),
    .target(name: "Crypto", dependencies: ["COpenSSL", "CArgon2"], path: "Shared/Crypto", swiftSettings: settings),
    .target(name: "Auth", dependencies: ["Runtime", "Database", "Crypto"], path: "Shared/Auth", swiftSettings: settings),
    .target(name: "Identity", dependencies: ["Runtime", "Database", "Auth", "Crypto"], path: "Shared/Identity", swiftSettings: settings),
    .target(name: "Platform", dependencies: ["Runtime", "Database", "Auth", "Crypto"], path: "Shared/Platform", swiftSettings: settings),

    // Operator CLI: migrate, create-admin, nginx-config, routes.
    .executableTarget(name: "lmsctl", dependencies: ["Platform"], path: "infra/lmsctl", swiftSettings: settings),

    // Tests.
    .target(name: "TestSupport", dependencies: ["Runtime", "Database", "Auth", "Crypto"], path: "Tests/TestSupport", swiftSettings: settings),
    .testTarget(name: "UnitTests", dependencies: ["Runtime", "Database", "Auth", "Crypto", "Identity", "Platform", "TestSupport"], path: "Tests/UnitTests", swiftSettings: settings),
    .testTarget(name: "HandlerTests", dependencies: ["Runtime", "Database", "Auth", "Identity", "Platform", "TestSupport"], path: "Tests/HandlerTests", swiftSettings: settings),
    .testTarget(name: "EndToEndTests", dependencies: ["Runtime", "Platform", "TestSupport"], path: "Tests/EndToEndTests", swiftSettings: settings),
]

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
