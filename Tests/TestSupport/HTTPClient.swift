import Core
import Runtime

#if canImport(Glibc)
    import Glibc
#endif

/// A tiny HTTP/1.1 client over a raw TCP socket, so end-to-end tests can also send what no
/// well-behaved client would (lying Content-Length, broken bodies) and pick the source address.
public struct HTTPClient: Sendable {
    public var host: String
    public var port: UInt16

    /// From a base URL such as `http://127.0.0.1:18081`.
    public init(_ baseURL: String) {
        let rest = baseURL.replacingAll("http://", with: "")
        let parts = rest.split(separator: ":")
        host = String(parts[0])
        port = UInt16(parts.count > 1 ? String(parts[1]).replacingAll("/", with: "") : "80") ?? 80
    }

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// Sends one request (`Connection: close`) and reads the whole response.
    public func send(
        _ method: String, _ path: String, json: String? = nil, body: [UInt8]? = nil, token: String? = nil,
        headers: [String: String] = [:], from source: String? = nil
    ) throws -> TestResponse {
        var head = "\(method) \(path) HTTP/1.1\r\nHost: \(host):\(port)\r\nConnection: close\r\n"
        var payload = body ?? []
        if let json {
            payload = Array(json.utf8)
            if headers["Content-Type"] == nil { head += "Content-Type: application/json\r\n" }
        }
        if let token { head += "Authorization: Bearer \(token)\r\n" }
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        if !payload.isEmpty || ["POST", "PUT", "PATCH"].contains(method), headers["Content-Length"] == nil {
            head += "Content-Length: \(payload.count)\r\n"
        }
        head += "\r\n"
        return try parse(raw(Array(head.utf8) + payload, from: source))
    }

    /// Writes `bytes` and returns everything the server sends until it closes, or with
    /// `firstResponse` as soon as one whole response (Content-Length) has arrived.
    public func raw(
        _ bytes: [UInt8], from source: String? = nil, timeoutSeconds: Int = 15, halfClose: Bool = false, firstResponse: Bool = false
    ) throws -> [UInt8] {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket failed") }
        defer { close(fd) }
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        if let source {
            var local = sockaddr_in()
            local.sin_family = sa_family_t(AF_INET)
            inet_pton(AF_INET, source, &local.sin_addr)
            let bound = withUnsafePointer(to: &local) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard bound == 0 else { throw Failure(description: "bind \(source) failed") }
        }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        inet_pton(AF_INET, host, &address.sin_addr)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw Failure(description: "connect to \(host):\(port) failed") }
        return try exchange(fd: fd, bytes, halfClose: halfClose, firstResponse: firstResponse)
    }

    /// Sends a message on a connected socket and reads to end of stream.
    public static func exchangeUnix(path: String, _ bytes: [UInt8], halfClose: Bool = true, timeoutSeconds: Int = 15) throws -> [UInt8] {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket failed") }
        defer { close(fd) }
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            for (index, byte) in path.utf8.prefix(buffer.count - 1).enumerated() { buffer[index] = byte }
        }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard connected == 0 else { throw Failure(description: "connect to \(path) failed") }
        return try HTTPClient(host: "", port: 0).exchange(fd: fd, bytes, halfClose: halfClose)
    }

    init(host: String, port: UInt16) {
        self.host = host
        self.port = port
    }

    func exchange(fd: Int32, _ bytes: [UInt8], halfClose: Bool = false, firstResponse: Bool = false) throws -> [UInt8] {
        var sent = 0
        while sent < bytes.count {
            let wrote = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + sent, bytes.count - sent) }
            guard wrote > 0 else { break }  // the server may answer (413) before reading everything
            sent += wrote
        }
        if halfClose { shutdown(fd, Int32(SHUT_WR)) }
        var response: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let got = read(fd, &buffer, buffer.count)
            if got > 0 {
                response += buffer[0..<got]
                if firstResponse, isWhole(response) { break }
            } else {
                break
            }
        }
        return response
    }

    /// True once the head and the Content-Length bytes of body are in.
    func isWhole(_ bytes: [UInt8]) -> Bool {
        guard let split = bytes.firstRange(of: Array("\r\n\r\n".utf8)) else { return false }
        let head = String(decoding: bytes[..<split.lowerBound], as: UTF8.self).lowercased()
        guard let line = head.split(separator: "\r\n").first(where: { $0.hasPrefix("content-length:") }),
            let length = Int(String(line.dropFirst("content-length:".count)).trimmed())
        else { return false }
        return bytes.count - split.upperBound >= length
    }

    /// Splits status line, headers and body (Content-Length or chunked).
    public func parse(_ bytes: [UInt8]) throws -> TestResponse {
        guard let split = bytes.firstRange(of: Array("\r\n\r\n".utf8)) else {
            throw Failure(description: "no HTTP response (\(bytes.count) bytes)")
        }
        let head = String(decoding: bytes[..<split.lowerBound], as: UTF8.self)
        var lines = head.split(separator: "\r\n").map(String.init)
        let statusLine = lines.removeFirst().split(separator: " ")
        guard statusLine.count >= 2, let status = Int(statusLine[1]) else { throw Failure(description: "bad status line") }
        var headers: [(String, String)] = []
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers.append((String(line[..<colon]), String(line[line.index(after: colon)...]).trimmed()))
        }
        var body = Array(bytes[split.upperBound...])
        if headers.contains(where: { $0.0.lowercased() == "transfer-encoding" && $0.1.lowercased().contains("chunked") }) {
            body = dechunk(body)
        }
        return TestResponse(status: status, headers: headers, body: body)
    }

    func dechunk(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        var index = 0
        while let lineEnd = bytes[index...].firstRange(of: Array("\r\n".utf8)) {
            let sizeText = String(decoding: bytes[index..<lineEnd.lowerBound], as: UTF8.self).split(separator: ";").first ?? ""
            guard let size = Int(sizeText, radix: 16), size > 0 else { break }
            let start = lineEnd.upperBound
            guard start + size <= bytes.count else { break }
            out += bytes[start..<start + size]
            index = start + size + 2
            if index >= bytes.count { break }
        }
        return out
    }
}
