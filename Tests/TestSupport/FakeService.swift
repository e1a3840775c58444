import Core
import Runtime

#if canImport(Glibc)
    import Glibc
#endif

/// One of the fake outside services in `infra/testing/` (their shared command line is
/// `service.py`'s), started for a test on a free port in its own temporary folder, its output
/// in `server.log` there. Stopped and the folder removed when released. Starting fails (never
/// skips) when the script cannot run, e.g. a Python package is missing: the error says what it printed.
public final class FakeService {
    public let directory: String
    public let port: Int
    private let process: ChildProcess

    /// Starts `infra/testing/<script>` with `--port 0 --port-file` and its own `arguments`,
    /// which may name files in the service's folder.
    public init(_ script: String, arguments: (_ directory: String) -> [String] = { _ in [] }) throws {
        let directory = try makeTemporaryDirectory("lms-" + (script.split(separator: ".").first.map(String.init) ?? "fake"))
        let log = directory + "/server.log"
        let portFile = directory + "/port"
        let command = ["python3", TestEnvironment.root + "/infra/testing/" + script, "--port", "0", "--port-file", portFile]
        let process: ChildProcess
        do {
            process = try ChildProcess(command + arguments(directory), stdout: log, stderr: log)
        } catch {
            removeTemporaryDirectory(directory)
            throw error
        }
        // Python start-up (and whatever the script prepares): well under a second, unless the machine is busy.
        let deadline = monotonicSeconds() + 30
        while true {
            if let text = try? readTextFile(portFile), let port = Int(text.trimmed()) {
                self.directory = directory
                self.port = port
                self.process = process
                return
            }
            var failure: String?
            if let status = process.exitStatus() {
                failure = status & 0x7F == 0 ? "exited with code \(status >> 8 & 0xFF)" : "exited on signal \(status & 0x7F)"
            } else if monotonicSeconds() > deadline {
                failure = "did not start within 30 s"
            }
            if let failure {
                process.stop()
                let output = (try? readTextFile(log)) ?? ""
                removeTemporaryDirectory(directory)
                throw ProcessFailure("\(script) \(failure): \(output)")
            }
            usleep(20_000)
        }
    }

    deinit {
        process.stop()
        removeTemporaryDirectory(directory)
    }

    /// Stops the server now (to test what happens when the service is unreachable); its files
    /// stay until the service is released.
    public func stop() { process.stop() }

    public var baseURL: String { "http://127.0.0.1:\(port)" }
    /// What the server printed, for failure messages.
    public var log: String { (try? readTextFile(directory + "/server.log")) ?? "" }
}
