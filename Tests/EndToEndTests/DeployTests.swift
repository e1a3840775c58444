import Core
import Synchronization
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `lmsctl deploy` replaces one FastCGI function under load with no failed request, and
/// `lmsctl rollback` brings the previous release back the same way.
@Suite(.serialized) struct DeployTests {
    func lmsctl(_ arguments: String...) throws -> String {
        var environment: [String: String] = [:]
        environment["LMS_STACK_DIR"] = try TestEnvironment.value("E2E_STACK_DIR")
        environment["PATH"] = "/usr/bin:/bin"
        let result = try runCommand([try TestEnvironment.value("E2E_BIN_DIR") + "/lmsctl"] + arguments, environment: environment)
        let output = String(decoding: result.output, as: UTF8.self)
        guard result.status == 0 else { throw ProcessFailure("lmsctl \(arguments.joined(separator: " ")) failed: \(output)") }
        return output
    }

    func release(_ client: HTTPClient) throws -> String? {
        let response = try client.send("GET", "/api/v1/health")
        return response.status == 200 ? response.data["release"]?.string : "status \(response.status)"
    }

    @Test func aFastCGIFunctionIsReplacedUnderLoadWithoutAFailedRequest() throws {
        let stack = try TestEnvironment.value("E2E_STACK_DIR")
        let client = HTTPClient(try TestEnvironment.value("E2E_FASTCGI_URL"))
        let before = try #require(try release(client))
        // A new build: the same program with bytes appended, so a different release.
        let directory = try makeTemporaryDirectory("deploy")
        defer { removeTemporaryDirectory(directory) }
        var bytes = try readFileBytes(stack + "/functions/health")
        bytes += Array("new build \(before)".utf8)
        let newBinary = directory + "/health"
        let fd = open(newBinary, O_WRONLY | O_CREAT | O_TRUNC, 0o755)
        #expect(writeAll(fd: fd, bytes))
        close(fd)

        // Four clients (threads, not tasks: they block) hammer the route for the whole deploy.
        let load = Load()
        let url = try TestEnvironment.value("E2E_FASTCGI_URL")
        for _ in 0..<4 {
            startThread {
                let hammer = HTTPClient(url)
                while !load.stop.load(ordering: .relaxed) {
                    let outcome = Result { try hammer.send("GET", "/api/v1/health") }
                    load.results.withLock {
                        switch outcome {
                        case .success(let response) where response.status == 200: $0.ok += 1
                        case .success(let response): $0.failed.append("status \(response.status): \(response.text)")
                        case .failure(let error): $0.failed.append("\(error)")
                        }
                    }
                }
                load.finished.add(1, ordering: .relaxed)
            }
        }
        let deployed: String
        do {
            defer { load.stop.store(true, ordering: .relaxed) }
            usleep(300_000)
            deployed = try lmsctl("deploy", "health=\(newBinary)")
            usleep(300_000)
        }
        #expect(eventually(seconds: 30) { load.finished.load(ordering: .relaxed) == 4 })

        let (ok, failed) = load.results.withLock { ($0.ok, $0.failed) }
        #expect(ok > 50, "the load was too light to show anything (\(ok) requests)")
        #expect(failed.isEmpty, "failed during the deploy: \(failed.prefix(5))")
        let new = try #require(deployed.split(separator: " ").dropFirst(2).first.map(String.init))
        #expect(new != before)
        // Every answer now comes from the new release (both servers of the function).
        for _ in 0..<20 { #expect(try release(client) == new) }
        #expect(try lmsctl("status").contains("health release=\(new) previous=\(before)"))

        // Rollback: the previous release answers again.
        _ = try lmsctl("rollback", "health")
        for _ in 0..<20 { #expect(try release(client) == before) }
    }

    @Test func aBinaryThatDoesNotStartIsNotDeployed() throws {
        let directory = try makeTemporaryDirectory("deploy-broken")
        defer { removeTemporaryDirectory(directory) }
        let broken = directory + "/health"
        let fd = open(broken, O_WRONLY | O_CREAT | O_TRUNC, 0o755)
        #expect(writeAll(fd: fd, Array("#!/bin/sh\nexit 3\n".utf8)))
        close(fd)
        #expect(throws: ProcessFailure.self) { try lmsctl("deploy", "health=\(broken)") }
        // A binary of another function declares another route: refused too.
        let other = try TestEnvironment.value("E2E_FUNCTIONS_DIR") + "/users-get-me"
        #expect(throws: ProcessFailure.self) { try lmsctl("deploy", "health=\(other)") }
        let client = HTTPClient(try TestEnvironment.value("E2E_FASTCGI_URL"))
        #expect(try client.send("GET", "/api/v1/health").status == 200)
    }
}

/// What the clients that hammer a route during a deploy share.
final class Load: Sendable {
    let stop = Atomic<Bool>(false)
    let finished = Atomic<Int>(0)
    let results = Mutex<(ok: Int, failed: [String])>((0, []))
}
