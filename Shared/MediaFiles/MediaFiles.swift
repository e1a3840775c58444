import Core
import HTTPClient
import Media

#if canImport(Glibc)
    import Glibc
#endif

/// Files the server itself writes to and reads from the media store (certificate PDFs, email
/// attachments): a local file replaced atomically (written beside it, synced, renamed over it),
/// or an S3 object through a presigned PUT or GET. Workers only: it links libcurl.
public final class MediaFiles {
    public let store: MediaStore
    let client: CurlClient?

    public init(store: MediaStore) throws {
        self.store = store
        if case .s3 = store.backend { client = try CurlClient(maxResponseBytes: 64 << 20) } else { client = nil }
    }

    /// Writes (or replaces) the object at `key`.
    public func put(key: String, bytes: [UInt8], contentType: String) throws {
        if let directory = store.directory {
            let destination = "\(directory)/\(key)"
            let folder = String(destination[..<(destination.lastIndex(of: "/") ?? destination.endIndex)])
            if let failed = makeDirectories(folder, mode: 0o755) { throw StorageError("cannot create \(failed): errno \(errno)") }
            var random = SystemRandomNumberGenerator()
            let partial = "\(destination).\(String(random.next() as UInt64, radix: 36)).partial"
            let fd = open(partial, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
            guard fd >= 0 else { throw StorageError("cannot create \(partial): errno \(errno)") }
            let written = writeAll(fd: fd, bytes) && fsync(fd) == 0
            close(fd)
            guard written, rename(partial, destination) == 0 else {
                unlink(partial)
                throw StorageError("cannot write \(destination): errno \(errno)")
            }
            return
        }
        guard let client, let url = store.serverRequest(method: "PUT", key: key, now: unixTime()) else {
            throw StorageError("no way to write to the media store")
        }
        let response = try client.request(
            method: "PUT", url: url, headers: ["Content-Type": contentType], body: bytes, timeoutSeconds: 60)
        guard (200..<300).contains(response.status) else {
            throw StorageError("PUT \(key): status \(response.status): \(String(decoding: response.body.prefix(300), as: UTF8.self))")
        }
    }

    /// The object's bytes.
    public func get(key: String) throws -> [UInt8] {
        if let directory = store.directory {
            do { return try readFileBytes("\(directory)/\(key)") } catch { throw StorageError(String(describing: error)) }
        }
        guard let client, let url = store.serverRequest(method: "GET", key: key, now: unixTime()) else {
            throw StorageError("no way to read from the media store")
        }
        let response = try client.request(method: "GET", url: url, timeoutSeconds: 60)
        guard response.status == 200 else { throw StorageError("GET \(key): status \(response.status)") }
        return response.body
    }
}
