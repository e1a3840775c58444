import Core

#if canImport(Glibc)
    import Glibc
#endif

/// FastCGI 1.0 Responder on the listening socket found on fd 0 (spawn-fcgi, systemd socket
/// activation, mod_fcgid). Requests are served one at a time. A process accepts one connection
/// at a time, and only when it has answered what its open connections sent: the processes of a
/// function share the listening socket's queue, so the next request goes to whichever is free
/// (nginx opens a connection per request). Idle keep-alive connections, which other web servers
/// may hold, wait in `poll` beside the listening socket.
/// A malformed or truncated record drops that connection only.
final class FastCGIServer {
    enum RecordType: UInt8 {
        case beginRequest = 1
        case abortRequest, endRequest, params, stdin, stdout, stderr, data, getValues, getValuesResult,
            unknownType
    }

    static let roleResponder: UInt16 = 1
    static let flagKeepConn: UInt8 = 1
    static let statusRequestComplete: UInt8 = 0
    static let statusCantMultiplex: UInt8 = 1
    static let statusUnknownRole: UInt8 = 3
    /// A peer that stops mid-record is dropped after this long.
    static let readTimeoutSeconds = 30

    let endpoint: Endpoint
    let config: Config
    let database: DatabaseSource
    let component: String
    private var connections: [Int32] = []
    /// Each open connection's reader (what it has received and not yet served).
    private var readers: [Int32: RecordReader] = [:]

    init(endpoint: Endpoint, config: Config, database: DatabaseSource, component: String) {
        self.endpoint = endpoint
        self.config = config
        self.database = database
        self.component = component
    }

    /// True when fd 0 is a socket with no peer (a listening socket), the FastCGI convention.
    static func stdinIsListeningSocket() -> Bool {
        var address = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let result = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getpeername(0, $0, &length) }
        }
        return result == -1 && errno == ENOTCONN
    }

    func serve() {
        installStopHandler()
        let flags = fcntl(0, F_GETFL)
        _ = fcntl(0, F_SETFL, flags | O_NONBLOCK)
        Logger(component: component).info("fastcgi serving", [("pid", .int(Int(getpid())))])
        while fastCGIStopRequested == 0 {
            var fds = [pollfd(fd: 0, events: Int16(POLLIN), revents: 0)]
            fds += connections.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            let ready = poll(&fds, nfds_t(fds.count), -1)
            if ready < 0 { continue }  // EINTR: check the stop flag
            var closed: Set<Int32> = []
            for entry in fds.dropFirst() where entry.revents != 0 {
                // A request the client sent early is served now: poll would not see it again.
                var keep = serveOne(on: entry.fd)
                while keep, fastCGIStopRequested == 0, reader(entry.fd).hasBufferedBytes { keep = serveOne(on: entry.fd) }
                if !keep {
                    close(entry.fd)
                    closed.insert(entry.fd)
                    readers[entry.fd] = nil
                }
                if fastCGIStopRequested != 0 { break }
            }
            connections.removeAll { closed.contains($0) }
            if fastCGIStopRequested == 0, fds[0].revents & Int16(POLLIN) != 0 { acceptOne() }
        }
        finishConnectionsInHand()
        Logger(component: component).info("fastcgi stopped", [("pid", .int(Int(getpid())))])
    }

    /// On a stop: answers the requests that connections already taken have sent or are sending
    /// (nginx writes one right after it connects, so closing such a connection unanswered would
    /// be a 502), waiting at most a second, then closes every connection. Connections still in
    /// the listening socket's queue are left to the servers that replace this one.
    private func finishConnectionsInHand() {
        let deadline = monotonicSeconds() + 1
        while !connections.isEmpty, monotonicSeconds() < deadline {
            var fds = connections.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            let ready = poll(&fds, nfds_t(fds.count), 100)
            if ready == 0 { break }  // only idle kept-alive connections are left
            if ready < 0 { continue }
            for entry in fds where entry.revents != 0 {
                _ = serveOne(on: entry.fd)
                close(entry.fd)
                connections.removeAll { $0 == entry.fd }
                readers[entry.fd] = nil
            }
        }
        connections.forEach { close($0) }
        connections = []
        readers = [:]
    }

    /// The reader of connection `fd` (made on its first request).
    private func reader(_ fd: Int32) -> RecordReader {
        if let reader = readers[fd] { return reader }
        let reader = RecordReader(fd: fd)
        readers[fd] = reader
        return reader
    }

    /// Takes one waiting connection, if another process has not taken it first (EAGAIN).
    private func acceptOne() {
        let fd = accept(0, nil, nil)
        if fd < 0 { return }
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        var timeout = timeval(tv_sec: FastCGIServer.readTimeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        connections.append(fd)
    }

    /// Reads one request from `fd`, answers it, and says whether to keep the connection.
    func serveOne(on fd: Int32) -> Bool {
        let reader = reader(fd)
        var requestId: UInt16?
        var keepConnection = false
        var paramBytes: [UInt8] = []
        var params: [String: String]?
        var limit = 1 << 20
        var paramsDone = false
        var stdin: [UInt8] = []
        var stdinLength = 0
        var stdinDone = false
        let maximumParams = 1 << 20

        while !(paramsDone && stdinDone) {
            guard let record = reader.next() else { return false }
            switch RecordType(rawValue: record.type) {
            case .getValues where record.requestId == 0:
                guard writeAll(fd: fd, encodeRecord(.getValuesResult, 0, getValuesResult(record.content))) else { return false }
            case .beginRequest:
                guard record.content.count >= 3 else { return false }
                let role = UInt16(record.content[0]) << 8 | UInt16(record.content[1])
                if requestId != nil {
                    guard writeAll(fd: fd, endRequest(record.requestId, status: FastCGIServer.statusCantMultiplex)) else {
                        return false
                    }
                } else if role != FastCGIServer.roleResponder {
                    guard writeAll(fd: fd, endRequest(record.requestId, status: FastCGIServer.statusUnknownRole)) else {
                        return false
                    }
                } else {
                    requestId = record.requestId
                    keepConnection = record.content[2] & FastCGIServer.flagKeepConn != 0
                }
            case .abortRequest where record.requestId == requestId:
                return writeAll(fd: fd, endRequest(record.requestId, status: FastCGIServer.statusRequestComplete, app: 1))
                    && keepConnection
            case .params where record.requestId == requestId && requestId != nil:
                if record.content.isEmpty {
                    guard let decoded = decodeNameValuePairs(paramBytes) else { return false }
                    params = decoded
                    limit = endpoint.bodyLimit
                    paramsDone = true
                } else {
                    paramBytes += record.content
                    if paramBytes.count > maximumParams { return false }
                }
            case .stdin where record.requestId == requestId && requestId != nil:
                if record.content.isEmpty {
                    stdinDone = true
                } else {
                    stdinLength += record.content.count
                    // Keep at most the limit; the rest is read and dropped (answered with 413).
                    if stdin.count + record.content.count <= limit { stdin += record.content }
                }
            case .data, .params, .stdin, .abortRequest:
                continue  // for a request id we are not serving
            default:
                if record.requestId == 0 {
                    guard writeAll(fd: fd, encodeRecord(.unknownType, 0, [record.type, 0, 0, 0, 0, 0, 0, 0])) else { return false }
                } else {
                    return false
                }
            }
        }
        guard let requestId, let params else { return false }

        var error: APIError?
        switch declaredLength(params) {
        case .invalid: error = .badRequest("Content-Length is not a number.", code: "bad_content_length")
        case .length(let length) where length > limit: error = .payloadTooLarge
        case .length(let length) where length != stdinLength:
            error = .badRequest("The request body does not match its Content-Length.", code: "truncated_body")
        default: if stdinLength > limit { error = .payloadTooLarge }
        }
        var request = makeRequest(params: params, body: error == nil ? stdin : [], earlyError: error)
        if endpoint.mode == .stream, error == nil {
            // FastCGI has read the (limited) body already; streaming functions still see a stream.
            request.stream = BodyStream(bytes: request.body)
            request.body = []
        }
        let response = Function.respond(to: request, endpoint: endpoint, config: config, database: database, component: component)

        var output: [UInt8] = []
        let bytes = response.serialized()
        var offset = 0
        while offset < bytes.count {
            let end = min(offset + 32768, bytes.count)
            output += encodeRecord(.stdout, requestId, Array(bytes[offset..<end]))
            offset = end
        }
        output += encodeRecord(.stdout, requestId, [])
        output += endRequest(requestId, status: FastCGIServer.statusRequestComplete)
        return writeAll(fd: fd, output) && keepConnection
    }

    private func endRequest(_ id: UInt16, status: UInt8, app: UInt32 = 0) -> [UInt8] {
        encodeRecord(
            .endRequest, id,
            [UInt8(app >> 24), UInt8(app >> 16 & 0xFF), UInt8(app >> 8 & 0xFF), UInt8(app & 0xFF), status, 0, 0, 0])
    }

    /// We serve one request per connection at a time and never multiplex.
    private func getValuesResult(_ content: [UInt8]) -> [UInt8] {
        let known = ["FCGI_MAX_CONNS": "1", "FCGI_MAX_REQS": "1", "FCGI_MPXS_CONNS": "0"]
        var result: [UInt8] = []
        for (name, _) in decodeNameValuePairs(content) ?? [:] {
            if let value = known[name] { result += encodeNameValue(name, value) }
        }
        return result
    }
}

/// Reads whole records; nil on end of input, timeout, a bad version or any read error. Reads
/// what the peer has sent, up to 16 KiB at a time, and keeps what is beyond the current record
/// for the next: nginx writes a request's records in one go, which were 10 to 12 `read` calls
/// one header, content and padding at a time, and are now one. One reader per connection, so
/// bytes of a request that a client sent early are not lost.
final class RecordReader {
    struct Record {
        var type: UInt8
        var requestId: UInt16
        var content: [UInt8]
    }

    let fd: Int32
    private var buffer: [UInt8] = []
    private var start = 0
    init(fd: Int32) { self.fd = fd }

    /// Bytes received and not yet handed out as records.
    var hasBufferedBytes: Bool { start < buffer.count }

    func next() -> Record? {
        guard fill(8), buffer[start] == 1 else { return nil }
        let length = Int(buffer[start + 4]) << 8 | Int(buffer[start + 5])
        let padding = Int(buffer[start + 6])
        // Filling may move the unread bytes to the front: the header is where `start` is after.
        guard fill(8 + length + padding) else { return nil }
        let header = start
        let record = Record(
            type: buffer[header + 1], requestId: UInt16(buffer[header + 2]) << 8 | UInt16(buffer[header + 3]),
            content: length > 0 ? Array(buffer[(header + 8)..<(header + 8 + length)]) : [])
        start += 8 + length + padding
        return record
    }

    /// Until `count` unread bytes are buffered; false on end of input, timeout or error.
    private func fill(_ count: Int) -> Bool {
        if buffer.count - start >= count { return true }
        if start > 0 {
            buffer.removeFirst(start)
            start = 0
        }
        while buffer.count < count {
            let old = buffer.count
            let chunk = max(16384, count - old)
            buffer.append(contentsOf: repeatElement(0, count: chunk))
            let got = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress! + old, chunk) }
            buffer.removeLast(chunk - max(got, 0))
            if got == 0 || (got < 0 && errno != EINTR) { return false }
        }
        return true
    }
}

func encodeRecord(_ type: FastCGIServer.RecordType, _ id: UInt16, _ content: [UInt8]) -> [UInt8] {
    let padding = (8 - content.count % 8) % 8
    var record: [UInt8] = [
        1, type.rawValue, UInt8(id >> 8), UInt8(id & 0xFF), UInt8(content.count >> 8), UInt8(content.count & 0xFF), UInt8(padding), 0,
    ]
    record += content
    record += [UInt8](repeating: 0, count: padding)
    return record
}

/// FastCGI name-value pairs; nil when a length runs past the end (a malformed record).
func decodeNameValuePairs(_ bytes: [UInt8]) -> [String: String]? {
    var result: [String: String] = [:]
    var index = 0
    func length() -> Int? {
        guard index < bytes.count else { return nil }
        if bytes[index] & 0x80 == 0 {
            index += 1
            return Int(bytes[index - 1])
        }
        guard index + 4 <= bytes.count else { return nil }
        let value = Int(bytes[index] & 0x7F) << 24 | Int(bytes[index + 1]) << 16 | Int(bytes[index + 2]) << 8 | Int(bytes[index + 3])
        index += 4
        return value
    }
    while index < bytes.count {
        guard let nameLength = length(), let valueLength = length(), index + nameLength + valueLength <= bytes.count else {
            return nil
        }
        let name = String(decoding: bytes[index..<index + nameLength], as: UTF8.self)
        index += nameLength
        let value = String(decoding: bytes[index..<index + valueLength], as: UTF8.self)
        index += valueLength
        result[name] = value
    }
    return result
}

func encodeNameValue(_ name: String, _ value: String) -> [UInt8] {
    func length(_ count: Int) -> [UInt8] {
        count < 128
            ? [UInt8(count)] : [UInt8(count >> 24 | 0x80), UInt8(count >> 16 & 0xFF), UInt8(count >> 8 & 0xFF), UInt8(count & 0xFF)]
    }
    return length(name.utf8.count) + length(value.utf8.count) + Array(name.utf8) + Array(value.utf8)
}

nonisolated(unsafe) var fastCGIStopRequested: sig_atomic_t = 0

/// SIGTERM/SIGINT: finish the request in hand, then leave the loop (no SA_RESTART, so poll wakes).
private func installStopHandler() {
    var action = sigaction()
    action.__sigaction_handler.sa_handler = { _ in fastCGIStopRequested = 1 }
    sigemptyset(&action.sa_mask)
    action.sa_flags = 0
    sigaction(SIGTERM, &action, nil)
    sigaction(SIGINT, &action, nil)
}
