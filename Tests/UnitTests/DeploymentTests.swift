import Core
import TestSupport
import Testing

@testable import Platform

#if canImport(Glibc)
    import Glibc
#endif

/// `lmsctl deploy` and `rollback` on a stack folder, with small scripts standing in for
/// function executables (they answer `--describe` like the real ones).
@Suite struct DeploymentTests {
    /// An executable that describes `path` and differs from others by `version`.
    func build(_ directory: String, _ name: String, path: String = "/api/v1/x", version: Int, exitCode: Int = 0) throws -> String {
        let file = directory + "/" + name
        let script = """
            #!/bin/sh
            # version \(version)
            echo '{"method":"GET","path":"\(path)","access":"public","mode":"cgi","processes":1,"body":0,"rate":null}'
            exit \(exitCode)

            """
        let fd = open(file, O_WRONLY | O_CREAT | O_TRUNC, 0o755)
        defer { close(fd) }
        #expect(writeAll(fd: fd, Array(script.utf8)))
        return file
    }

    func releases(_ deployment: Deployment, _ function: String) -> [String] {
        guard let directory = opendir(deployment.releases + "/" + function) else { return [] }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
            if name.utf8.count == 12 { names.append(name) }
        }
        return names.sorted()
    }

    @Test func deploysKeepsThePreviousReleaseAndRollsBackAndForth() throws {
        let stack = try makeTemporaryDirectory("deploy-stack")
        defer { removeTemporaryDirectory(stack) }
        let builds = try makeTemporaryDirectory("deploy-builds")
        defer { removeTemporaryDirectory(builds) }
        let deployment = Deployment(stack: stack)

        let first = try deployment.deploy(function: "x", binary: try build(builds, "v1", version: 1), wait: 1)
        #expect(first.previous == nil)
        #expect(first.reloaded == 0)  // no FastCGI supervisor runs in this stack
        let second = try deployment.deploy(function: "x", binary: try build(builds, "v2", version: 2), wait: 1)
        #expect(second.previous == first.release)
        let third = try deployment.deploy(function: "x", binary: try build(builds, "v3", version: 3), wait: 1)
        // Only the current and the previous release are kept.
        #expect(releases(deployment, "x") == [second.release, third.release].sorted())
        #expect(deployment.readLink(stack + "/functions/x").map(deployment.lastComponent) == third.release)

        let back = try deployment.rollback(function: "x", wait: 1)
        #expect(back.release == second.release && back.previous == third.release)
        let forth = try deployment.rollback(function: "x", wait: 1)
        #expect(forth.release == third.release)
        #expect(try deployment.status() == ["x release=\(third.release) previous=\(second.release) cgi"])
    }

    @Test func refusesBinariesThatFailOrDeclareAnotherRoute() throws {
        let stack = try makeTemporaryDirectory("deploy-stack")
        defer { removeTemporaryDirectory(stack) }
        let builds = try makeTemporaryDirectory("deploy-builds")
        defer { removeTemporaryDirectory(builds) }
        let deployment = Deployment(stack: stack)
        let installed = try deployment.deploy(function: "x", binary: try build(builds, "v1", version: 1), wait: 1)

        #expect(throws: Deployment.Failure.self) {
            try deployment.deploy(function: "x", binary: try build(builds, "broken", version: 2, exitCode: 3), wait: 1)
        }
        #expect(throws: Deployment.Failure.self) { try deployment.deploy(function: "x", binary: builds + "/missing", wait: 1) }
        let moved = try build(builds, "moved", path: "/api/v1/y", version: 3)
        #expect(throws: Deployment.Failure.self) { try deployment.deploy(function: "x", binary: moved, wait: 1) }
        // Nothing changed by the refusals.
        #expect(deployment.readLink(stack + "/functions/x").map(deployment.lastComponent) == installed.release)
        // A route change is the operator's explicit decision.
        #expect(try deployment.deploy(function: "x", binary: moved, allowRouteChange: true, wait: 1).previous == installed.release)
        #expect(throws: Deployment.Failure.self) { try deployment.rollback(function: "never-deployed", wait: 1) }
    }
}
