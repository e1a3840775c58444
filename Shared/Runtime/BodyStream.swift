import Core

#if canImport(Glibc)
    import Glibc
#endif

/// A request body read piece by piece, for functions that take large uploads
/// (endpoints declared with `mode: .stream`): at most the declared length is ever read, and
/// never all of it into memory.
public final class BodyStream: @unchecked Sendable {
    /// The length the client declared (Content-Length).
    public let length: Int
    private var remaining: Int
    private let fd: Int32
    private var bytes: [UInt8]
    private var offset = 0

    /// The body on a file descriptor (CGI stdin).
    init(fd: Int32, length: Int) {
        self.fd = fd
        self.length = length
        self.remaining = length
        self.bytes = []
    }

    /// A body already in memory (FastCGI, tests).
    public init(bytes: [UInt8]) {
        self.fd = -1
        self.length = bytes.count
        self.remaining = bytes.count
        self.bytes = bytes
    }

    /// The next piece, at most `max` bytes; empty at the end. Throws when the client stops
    /// sending before its declared length.
    public func read(max: Int = 256 * 1024) throws -> [UInt8] {
        guard remaining > 0 else { return [] }
        let want = min(max, remaining)
        if fd < 0 {
            let piece = Array(bytes[offset..<offset + want])
            offset += want
            remaining -= want
            return piece
        }
        var piece = [UInt8](repeating: 0, count: want)
        while true {
            let got = piece.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress!, want) }
            if got > 0 {
                remaining -= got
                piece.removeLast(want - got)
                return piece
            }
            if got < 0 && errno == EINTR { continue }
            throw APIError.badRequest("The request body is shorter than its Content-Length.", code: "truncated_body")
        }
    }
}
