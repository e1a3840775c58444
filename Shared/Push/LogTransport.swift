import Core

#if canImport(Glibc)
    import Glibc
#endif

/// Development stand-in for a push service: appends each push as a JSON line to
/// `<directory>/push.log` and reports it delivered.
public struct LogTransport: PushTransport {
    public var directory: String

    public init(directory: String) { self.directory = directory }

    /// The folder from `LMS_PUSH_DIR`, default `.data/push`.
    public init(config: Config) { self.init(directory: config["LMS_PUSH_DIR"] ?? ".data/push") }

    /// The file the pushes go to.
    public var path: String { directory + "/push.log" }

    public func send(_ message: PushMessage, to token: String) throws -> PushResult {
        if let failed = makeDirectories(directory, mode: 0o755) {
            throw PushError("cannot create \(failed): \(String(cString: strerror(errno)))")
        }
        let data = message.data.sorted { $0.key < $1.key }.map { "\(jsonString($0.key)):\(jsonString($0.value))" }
        let line =
            "{\"time\":\(jsonString(utcTimestamp())),\"token\":\(jsonString(token)),\"title\":\(jsonString(message.title)),"
            + "\"body\":\(jsonString(message.body)),\"data\":{\(data.joined(separator: ","))}}\n"
        let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw PushError("cannot open \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        // One write(2) of the whole line, so lines from concurrent workers never interleave.
        let bytes = Array(line.utf8)
        let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        guard written == bytes.count else { throw PushError("cannot write \(path): \(String(cString: strerror(errno)))") }
        return .delivered
    }
}
