import Core
import Crypto

#if canImport(Glibc)
    import Glibc
#endif

/// Writes each message to `<folder>/<message id>.eml` instead of sending it (development, and
/// any setup without SMTP). One file per message id: a retried job finds its file and writes
/// nothing, and a crash mid-write leaves no partial file (temporary file, then rename).
public struct FileTransport: MailTransport {
    public let folder: String

    /// The folder is created when the first message arrives.
    public init(folder: String) { self.folder = folder }

    public func send(_ message: MailMessage) throws {
        let path = folder + "/" + (try Self.fileName(for: message.messageId))
        // Render first: an invalid message is a permanent error even when its id was seen.
        let bytes = try MIME.render(message, date: unixTime())
        if access(path, F_OK) == 0 { return }
        if let failed = makeDirectories(folder, mode: 0o750) { throw Self.failure("cannot create", failed) }
        let temporary = "\(folder)/.\(Crypto.hex(Crypto.randomBytes(8))).tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o640)
        guard fd >= 0 else { throw Self.failure("cannot create", temporary) }
        var written = 0
        while written < bytes.count {
            let count = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + written, bytes.count - written) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else {
                let error = Self.failure("cannot write", temporary)
                close(fd)
                unlink(temporary)
                throw error
            }
            written += count
        }
        // The file must be complete on disk before its name says it was delivered.
        let synced = fsync(fd) == 0
        close(fd)
        guard synced, rename(temporary, path) == 0 else {
            let error = Self.failure("cannot store", path)
            unlink(temporary)
            throw error
        }
    }

    /// `<message id>.eml` with the angle brackets removed and anything but letters, digits
    /// and `.-_+@=` replaced by `_`. When that changed or shortened the id, a short hash of the
    /// id follows, so two ids never share a file.
    public static func fileName(for messageId: String) throws -> String {
        let id = try MIME.messageId(messageId)
        let core = id.dropFirst().dropLast()
        let safe = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_+@=".utf8)
        var name = String(decoding: core.utf8.map { safe.contains($0) ? $0 : UInt8(ascii: "_") }, as: UTF8.self)
        if name.hasPrefix(".") { name = "_" + name.dropFirst() }
        // File names end at 255 bytes; ids may be longer.
        if name != core || name.utf8.count > 200 {
            name = String(name.prefix(200)) + "-" + Crypto.hex(Array(Crypto.sha256(String(core)).prefix(4)))
        }
        return name + ".eml"
    }

    /// Disk trouble (full, permissions, a missing mount) can be fixed without changing the job.
    static func failure(_ action: String, _ path: String) -> MailError {
        MailError(.transient, code: "file_failed", message: "\(action) \(path): \(String(cString: strerror(errno)))")
    }
}
