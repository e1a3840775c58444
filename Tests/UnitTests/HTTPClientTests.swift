import Core
import HTTPClient
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The libcurl client's failure kinds, without any server: a closed port, a listener that
/// never answers, a scheme the client refuses.
@Suite struct HTTPClientTests {
    @Test func reportsRefusedConnectionAsConnectionFailure() throws {
        let port = try Listener().port  // closed again right away: nothing listens there
        let error = try #require(throws: HTTPError.self) { try CurlClient().request(url: "http://127.0.0.1:\(port)/") }
        #expect(error.kind == .connection)
    }

    @Test func reportsSilentServerAsTimeout() throws {
        // The kernel completes the handshake for a listening socket nobody accepts on, so the
        // request is sent and no answer ever comes.
        let listener = try Listener()
        let error = try #require(throws: HTTPError.self) {
            try CurlClient().request(method: "POST", url: "http://127.0.0.1:\(listener.port)/", body: [1, 2, 3], timeoutSeconds: 1)
        }
        #expect(error.kind == .timeout)
    }

    @Test func refusesSchemesOtherThanHTTP() throws {
        let error = try #require(throws: HTTPError.self) { try CurlClient().request(url: "file:///etc/passwd") }
        #expect(error.kind == .invalidRequest)
    }

    @Test func refusesLineBreaksInHeaders() throws {
        let error = try #require(throws: HTTPError.self) {
            try CurlClient().request(url: "http://127.0.0.1:1/", headers: ["X-Test": "a\r\nInjected: yes"])
        }
        #expect(error.kind == .invalidRequest)
    }
}

/// A TCP socket listening on a free loopback port that never accepts.
final class Listener {
    let fd: Int32
    let port: Int

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.fd = fd
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound, listen(fd, 8) == 0 else {
            close(fd)
            throw HTTPError(kind: .other, message: "cannot listen")
        }
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    deinit { close(fd) }
}
