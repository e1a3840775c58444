import Core
import Database
import TestSupport
import Testing

@testable import Runtime

#if canImport(Glibc)
    import Glibc
#endif

/// The FastCGI responder spoken to directly on a function's socket, as nginx would, and
/// also as nothing well-behaved would.
@Suite struct FastCGIProtocolTests {
    func socket(_ function: String = "health") throws -> String {
        try TestEnvironment.value("E2E_FASTCGI_RUN") + "/fn-\(function).sock"
    }

    func request(id: UInt16, keepConnection: Bool, path: String = "/api/v1/health") -> [UInt8] {
        var params: [UInt8] = []
        for (name, value) in [("REQUEST_METHOD", "GET"), ("REQUEST_URI", path), ("QUERY_STRING", ""), ("HTTP_X_REQUEST_ID", "fcgi-\(id)")] {
            params += encodeNameValue(name, value)
        }
        return encodeRecord(.beginRequest, id, [0, 1, keepConnection ? 1 : 0, 0, 0, 0, 0, 0])
            + encodeRecord(.params, id, params) + encodeRecord(.params, id, [])
            + encodeRecord(.stdin, id, [])
    }

    /// Splits a byte stream into (type, request id, content) records.
    func records(_ bytes: [UInt8]) -> [(UInt8, UInt16, [UInt8])] {
        var result: [(UInt8, UInt16, [UInt8])] = []
        var index = 0
        while index + 8 <= bytes.count {
            let length = Int(bytes[index + 4]) << 8 | Int(bytes[index + 5])
            let padding = Int(bytes[index + 6])
            guard index + 8 + length <= bytes.count else { break }
            result.append(
                (bytes[index + 1], UInt16(bytes[index + 2]) << 8 | UInt16(bytes[index + 3]), Array(bytes[index + 8..<index + 8 + length])))
            index += 8 + length + padding
        }
        return result
    }

    func stdout(_ records: [(UInt8, UInt16, [UInt8])], id: UInt16) -> String {
        String(decoding: records.filter { $0.0 == 6 && $0.1 == id }.flatMap(\.2), as: UTF8.self)
    }

    @Test func answersAndEchoesTheRequestId() throws {
        let answer = records(try HTTPClient.exchangeUnix(path: socket(), request(id: 7, keepConnection: false)))
        #expect(stdout(answer, id: 7).hasPrefix("Status: 200 OK\r\n"))
        #expect(stdout(answer, id: 7).contains("X-Request-Id: fcgi-7"))
        let end = try #require(answer.last)
        #expect(end.0 == 3 && end.1 == 7)
        #expect(end.2[4] == 0)  // FCGI_REQUEST_COMPLETE
    }

    @Test func servesSeveralRequestsOnAKeptConnection() throws {
        let bytes = request(id: 1, keepConnection: true) + request(id: 2, keepConnection: false)
        let answer = records(try HTTPClient.exchangeUnix(path: socket(), bytes, halfClose: false))
        #expect(stdout(answer, id: 1).contains("Status: 200"))
        #expect(stdout(answer, id: 2).contains("Status: 200"))
        #expect(answer.filter { $0.0 == 3 }.map(\.1) == [1, 2])
    }

    /// Sends `bytes` over a new connection to `path` a few bytes at a time, pausing between
    /// writes, so the server reads each request in many pieces; returns all it answered.
    func exchangeInPieces(path: String, _ bytes: [UInt8], piece: Int) throws -> [UInt8] {
        let fd = Glibc.socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        try #require(fd >= 0)
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { target in
            for (index, byte) in path.utf8.enumerated() where index < target.count - 1 { target[index] = byte }
        }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        try #require(connected == 0)
        var offset = 0
        while offset < bytes.count {
            let end = min(offset + piece, bytes.count)
            try #require(writeAll(fd: fd, Array(bytes[offset..<end])))
            offset = end
            usleep(2000)
        }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var answer: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let got = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress!, 4096) }
            if got <= 0 { break }
            answer += chunk[0..<got]
        }
        return answer
    }

    /// The server reads through a buffer: records split across many reads are put together,
    /// and the second of two requests sent together is not lost with the first one's reads.
    @Test func requestsArrivingInPiecesAreServed() throws {
        let bytes = request(id: 11, keepConnection: true) + request(id: 12, keepConnection: false)
        for piece in [1, 3, 7, 9, 13, 50] {
            let answer = records(try exchangeInPieces(path: socket(), bytes, piece: piece))
            #expect(stdout(answer, id: 11).hasPrefix("Status: 200"), "pieces of \(piece)")
            #expect(stdout(answer, id: 12).hasPrefix("Status: 200"), "pieces of \(piece)")
            #expect(answer.filter { $0.0 == 3 }.map(\.1) == [11, 12])
        }
    }

    @Test func answersGetValues() throws {
        let query = encodeNameValue("FCGI_MPXS_CONNS", "") + encodeNameValue("FCGI_MAX_REQS", "") + encodeNameValue("UNKNOWN", "")
        let answer = records(try HTTPClient.exchangeUnix(path: socket(), encodeRecord(.getValues, 0, query)))
        let result = try #require(answer.first { $0.0 == 10 })
        let values = try #require(decodeNameValuePairs(result.2))
        #expect(values == ["FCGI_MPXS_CONNS": "0", "FCGI_MAX_REQS": "1"])
    }

    @Test func refusesMultiplexingAndUnknownRoles() throws {
        let second = encodeRecord(.beginRequest, 9, [0, 1, 0, 0, 0, 0, 0, 0])
        let bytes = Array(request(id: 8, keepConnection: false).prefix(16)) + second
        var answer = records(try HTTPClient.exchangeUnix(path: socket(), bytes, timeoutSeconds: 3))
        #expect(answer.contains { $0.0 == 3 && $0.1 == 9 && $0.2[4] == 1 })  // FCGI_CANT_MPX_CONN
        let authorizer = encodeRecord(.beginRequest, 4, [0, 2, 0, 0, 0, 0, 0, 0])
        answer = records(try HTTPClient.exchangeUnix(path: socket(), authorizer, timeoutSeconds: 3))
        #expect(answer.contains { $0.0 == 3 && $0.1 == 4 && $0.2[4] == 3 })  // FCGI_UNKNOWN_ROLE
    }

    @Test func survivesTruncatedAndMalformedRecords() throws {
        let full = request(id: 3, keepConnection: false)
        // Cut in the middle of a record header, in the middle of params, and a bad version byte.
        for broken in [Array(full.prefix(5)), Array(full.prefix(30)), [9, 1, 0, 1, 0, 8, 0, 0] + [UInt8](repeating: 0, count: 8)] {
            let answer = try HTTPClient.exchangeUnix(path: socket(), broken, timeoutSeconds: 5)
            #expect(stdout(records(answer), id: 3).isEmpty)
        }
        // Params whose lengths run past the record are dropped, not trusted.
        let lying =
            encodeRecord(.beginRequest, 5, [0, 1, 0, 0, 0, 0, 0, 0]) + encodeRecord(.params, 5, [0x7F, 0x7F, 65])
            + encodeRecord(.params, 5, [])
        _ = try HTTPClient.exchangeUnix(path: socket(), lying, timeoutSeconds: 5)
        // The process is still serving.
        let answer = records(try HTTPClient.exchangeUnix(path: socket(), request(id: 4, keepConnection: false)))
        #expect(stdout(answer, id: 4).hasPrefix("Status: 200"))
    }

    @Test func bodyMustMatchContentLength() throws {
        var params: [UInt8] = []
        for (name, value) in [
            ("REQUEST_METHOD", "POST"), ("REQUEST_URI", "/api/v1/auth/login"), ("CONTENT_TYPE", "application/json"),
            ("CONTENT_LENGTH", "100"), ("BODY_LIMIT", "16384"),
        ] {
            params += encodeNameValue(name, value)
        }
        let bytes =
            encodeRecord(.beginRequest, 1, [0, 1, 0, 0, 0, 0, 0, 0]) + encodeRecord(.params, 1, params) + encodeRecord(.params, 1, [])
            + encodeRecord(.stdin, 1, Array("{\"a\":1}".utf8)) + encodeRecord(.stdin, 1, [])
        let answer = records(try HTTPClient.exchangeUnix(path: socket("auth-login"), bytes))
        #expect(stdout(answer, id: 1).hasPrefix("Status: 400"))
        #expect(stdout(answer, id: 1).contains("truncated_body"))
    }
}

/// A FastCGI server that dies is replaced by its supervisor; the route keeps answering.
@Suite struct FastCGISupervisionTests {
    /// (pid, parent pid) of every process running `path`.
    func processes(running path: String) throws -> [(pid: Int32, parent: Int32)] {
        var found: [(Int32, Int32)] = []
        guard let proc = opendir("/proc") else { return [] }
        defer { closedir(proc) }
        while let entry = readdir(proc) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
            guard let pid = Int32(name),
                let cmdline = try? readFileBytes("/proc/\(pid)/cmdline"),
                String(decoding: cmdline.prefix { $0 != 0 }, as: UTF8.self) == path,
                let stat = try? readFile("/proc/\(pid)/stat")
            else { continue }
            // "pid (comm) state ppid ...": the parent is the second field after the comm.
            let afterComm = stat[stat.lastIndex(of: ")")!...].split(separator: " ")
            if afterComm.count > 2, let parent = Int32(afterComm[2]) { found.append((pid, parent)) }
        }
        return found
    }

    @Test func aKilledServerIsReplaced() throws {
        let binary = try TestEnvironment.value("E2E_FUNCTIONS_DIR") + "/users-get-me"
        let all = try processes(running: binary)
        let pids = Set(all.map(\.pid))
        let servers = all.filter { pids.contains($0.parent) }
        #expect(servers.count == 2)
        let victim = try #require(servers.first)
        kill(victim.pid, SIGKILL)
        #expect(
            try eventually(seconds: 10) {
                let now = try processes(running: binary)
                let ids = Set(now.map(\.pid))
                let alive = now.filter { ids.contains($0.parent) }
                return alive.count == 2 && !alive.contains { $0.pid == victim.pid }
            })
        let client = HTTPClient(try TestEnvironment.value("E2E_FASTCGI_URL"))
        for _ in 0..<10 { #expect(try client.send("GET", "/api/v1/users/me").status == 401) }
    }
}

#if canImport(Glibc)
    import Glibc
#endif
