import Core
import Media
import Platform
import Runtime
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// What nginx adds around every function: headers, JSON errors, limits, CORS, rate limits.
@Suite struct ProxyTests {
    @Test(arguments: Mode.allCases)
    func healthAnswersWithSecurityHeadersAndRequestId(mode: Mode) throws {
        let response = try mode.client().send("GET", "/api/v1/health", headers: ["X-Request-Id": "trace-\(mode.rawValue)-42"])
        #expect(response.status == 200)
        #expect(response.data["database"]?.string == "ok")
        #expect(response.headers("X-Request-Id") == ["trace-\(mode.rawValue)-42"])
        #expect(response.header("X-Content-Type-Options") == "nosniff")
        #expect(response.header("X-Frame-Options") == "DENY")
        #expect(response.header("Referrer-Policy") == "no-referrer")
        #expect(response.header("Content-Security-Policy")?.contains("default-src 'none'") == true)
        #expect(response.header("Content-Type")?.hasPrefix("application/json") == true)
        #expect(response.header("Server") == "nginx")
    }

    @Test(arguments: Mode.allCases)
    func generatesARequestIdWhenNoneIsSent(mode: Mode) throws {
        let response = try mode.client().send("GET", "/api/v1/health", headers: ["X-Request-Id": "bad id with spaces"])
        let id = try #require(response.header("X-Request-Id"))
        #expect(id != "bad id with spaces")
        #expect(id.count >= 16)
    }

    @Test(arguments: Mode.allCases)
    func unknownRouteIsJSON404(mode: Mode) throws {
        for path in ["/api/v1/nope", "/", "/api/v1/users/a/b/c", "/etc/passwd"] {
            let response = try mode.client().send("GET", path)
            #expect(response.status == 404)
            #expect(response.code == "not_found")
            #expect(response.json["success"]?.bool == false)
        }
    }

    @Test(arguments: Mode.allCases)
    func wrongMethodIsJSON405WithAllow(mode: Mode) throws {
        let response = try mode.client().send("PUT", "/api/v1/users/me", json: "{}")
        #expect(response.status == 405)
        #expect(response.code == "method_not_allowed")
        #expect(response.header("Allow") == "GET, HEAD, PATCH, DELETE")
    }

    @Test(arguments: Mode.allCases)
    func bodyOverTheRouteLimitIsJSON413(mode: Mode) throws {
        let big = "{\"email\":\"" + String(repeating: "a", count: 20_000) + "\",\"password\":\"x\"}"
        let response = try mode.client().send("POST", "/api/v1/auth/login", json: big)
        #expect(response.status == 413)
        #expect(response.code == "payload_too_large")
    }

    @Test(arguments: Mode.allCases)
    func wrongContentTypeIs415(mode: Mode) throws {
        let response = try mode.client().send(
            "POST", "/api/v1/auth/login", body: Array("email=a&password=b".utf8),
            headers: ["Content-Type": "application/x-www-form-urlencoded"])
        #expect(response.status == 415)
    }

    @Test(arguments: Mode.allCases)
    func malformedJSONAndArraysAre400(mode: Mode) throws {
        for body in ["{\"email\":", "[1,2,3]", "{\"email\":\"\u{FFFF}\"", "null"] {
            let response = try mode.client().send("POST", "/api/v1/auth/signup", json: body)
            #expect(response.status == 400, "body \(body)")
        }
        let invalidUTF8: [UInt8] = Array("{\"name\":\"".utf8) + [0xC3, 0x28, 0xFF] + Array("\"}".utf8)
        let response = try mode.client().send(
            "POST", "/api/v1/auth/signup", body: invalidUTF8, headers: ["Content-Type": "application/json"])
        #expect(response.status == 400)
    }

    @Test(arguments: Mode.allCases)
    func chunkedBodyWithoutContentLengthIsNeverA500(mode: Mode) throws {
        let body = #"{"email":"nobody@example.test","password":"whatever pw"}"#
        let chunk = String(body.utf8.count, radix: 16) + "\r\n" + body + "\r\n0\r\n\r\n"
        let request =
            "POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
            + chunk
        let client = try mode.client()
        let response = try client.parse(client.raw(Array(request.utf8)))
        #expect(response.status < 500)
        #expect(response.json["success"]?.bool == false)
    }

    @Test(arguments: Mode.allCases)
    func lyingContentLengthLosesNothing(mode: Mode) throws {
        let client = try mode.client()
        let request =
            "POST /api/v1/auth/signup HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{\"name\":\"x\"}"
        let answer = try client.raw(Array(request.utf8), timeoutSeconds: 20, halfClose: true)
        if !answer.isEmpty { #expect(try client.parse(answer).status < 500) }
        #expect(try client.send("GET", "/api/v1/health").status == 200)
    }

    @Test(arguments: Mode.allCases)
    func corsAllowsOnlyListedOrigins(mode: Mode) throws {
        let client = try mode.client()
        let allowed = try client.send(
            "OPTIONS", "/api/v1/auth/login",
            headers: ["Origin": "https://app.example.test", "Access-Control-Request-Method": "POST"])
        #expect(allowed.status == 204)
        #expect(allowed.header("Access-Control-Allow-Origin") == "https://app.example.test")
        #expect(allowed.header("Access-Control-Allow-Credentials") == "true")
        #expect(allowed.header("Access-Control-Allow-Methods")?.contains("PATCH") == true)
        let other = try client.send(
            "OPTIONS", "/api/v1/auth/login", headers: ["Origin": "https://evil.example", "Access-Control-Request-Method": "POST"])
        #expect(other.header("Access-Control-Allow-Origin") == nil)
        let simple = try client.send("GET", "/api/v1/health", headers: ["Origin": "https://app.example.test"])
        #expect(simple.header("Access-Control-Allow-Origin") == "https://app.example.test")
    }

    @Test(arguments: Mode.allCases)
    func authRoutesAreRateLimitedPerAddress(mode: Mode) throws {
        let client = try mode.client()
        var limited: TestResponse?
        for _ in 0..<30 {
            let response = try client.send("POST", "/api/v1/auth/refresh", json: "{", from: "127.0.0.2")
            if response.status == 429 {
                limited = response
                break
            }
            #expect(response.status == 400)
        }
        let response = try #require(limited)
        #expect(response.code == "rate_limited")
        #expect(response.header("Retry-After") != nil)
        // Other routes and other addresses are not affected.
        #expect(try client.send("GET", "/api/v1/health", from: "127.0.0.2").status == 200)
    }

    @Test(arguments: Mode.allCases)
    func everyNonPublicRouteRefusesAnonymousCallers(mode: Mode) throws {
        let manifest = try deployedManifest()
        let client = try mode.client()
        for route in manifest.routes where !route.isPublic {
            let path = route.path.replacingAll("{id}", with: "00000000-0000-4000-8000-000000000000").replacingAll(
                "{courseId}", with: "00000000-0000-4000-8000-000000000000")
            let response = try client.send(route.method, path, json: route.method == "GET" ? nil : "{}")
            #expect(response.status == 401, "\(route.method) \(route.path)")
            #expect(response.json["success"]?.bool == false)
        }
    }

    @Test(arguments: Mode.allCases)
    func everyRouteAnswersJSONToGarbage(mode: Mode) throws {
        let manifest = try deployedManifest()
        let client = try mode.client()
        for route in manifest.routes where route.method != "GET" {
            let path = route.path.replacingAll("{id}", with: "x'%20OR%201=1--").replacingAll("{courseId}", with: "x'%20OR%201=1--")
            let response = try client.send(route.method, path, body: [0, 0xFF, 0x7B], headers: ["Content-Type": "application/json"])
            #expect((400..<500).contains(response.status), "\(route.method) \(route.path) -> \(response.status)")
            #expect(response.json["success"]?.bool == false)
        }
    }

    /// The path and query of a local upload URL for `id`, signed `issuedAt` (valid an hour).
    func uploadPath(id: String, issuedAt: Int) throws -> String {
        let store = try MediaStore.from(TestEnvironment.config())
        let url = store.uploadTarget(mediaId: id, key: "k", contentType: "image/png", size: 1, now: issuedAt).url
        return String(url[try #require(url.firstRange(of: "/api/v1/")).lowerBound...])
    }

    @Test(arguments: Mode.allCases)
    func uploadWithBadOrExpiredSignatureIsRefusedBeforeTheBodyArrives(mode: Mode) throws {
        let client = try mode.client()
        let id = "00000000-0000-4000-8000-000000000001"
        let valid = try uploadPath(id: id, issuedAt: unixTime())
        let bogus = valid.replacingAll("signature=", with: "signature=A")
        let expired = try uploadPath(id: id, issuedAt: unixTime() - 7200)
        for (path, status, code) in [(bogus, 403, "invalid_signature"), (expired, 410, "link_expired")] {
            // A gigabyte announced, a few bytes sent: the answer must come without the rest.
            let head = "PUT \(path) HTTP/1.1\r\nHost: x\r\nContent-Type: image/png\r\nContent-Length: 1073741824\r\n\r\n"
            let answer = try client.raw(Array(head.utf8) + [0x89, 0x50, 0x4E], timeoutSeconds: 10, firstResponse: true)
            let response = try client.parse(answer)
            #expect(response.status == status)
            #expect(response.code == code)
            #expect(response.header("Content-Type")?.hasPrefix("application/json") == true)
        }
        // A URL the upload function signed passes nginx: the function answers (no such upload).
        let passed = try client.send("PUT", valid, body: [], headers: ["Content-Type": "image/png"])
        #expect(passed.status == 404)
        #expect(passed.code == "not_found")
    }

    @Test(arguments: Mode.allCases)
    func uploadsAreRateLimitedPerAddress(mode: Mode) throws {
        let client = try mode.client()
        let path = try uploadPath(id: "00000000-0000-4000-8000-000000000002", issuedAt: unixTime())
        var limited: TestResponse?
        for _ in 0..<40 {
            let response = try client.send("PUT", path, body: [], headers: ["Content-Type": "image/png"], from: "127.0.0.2")
            if response.status == 429 {
                limited = response
                break
            }
            #expect(response.status == 404)
        }
        let response = try #require(limited)
        #expect(response.code == "rate_limited")
        #expect(response.header("Retry-After") != nil)
    }

    @Test(arguments: Mode.allCases)
    func requestsNginxRefusesItselfAreJSON(mode: Mode) throws {
        let client = try mode.client()
        let cases: [(request: String, status: Int, code: String)] = [
            ("GET /api/v1/health%00 HTTP/1.1\r\nHost: x\r\n\r\n", 400, "bad_request"),
            ("GET /api/v1/users/a%00b HTTP/1.1\r\nHost: x\r\n\r\n", 400, "bad_request"),
            ("GET /api/v1/../../../../etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n", 400, "bad_request"),
            ("get /api/v1/health HTTP/1.1\r\nHost: x\r\n\r\n", 400, "bad_request"),
            ("GET /api/v1/health HTTP/1.1\r\n\r\n", 400, "bad_request"),
            ("GET /api/v1/health HTTP/1.1\r\nHost: x\r\nX-Big: \(String(repeating: "a", count: 20_000))\r\n\r\n", 400, "bad_request"),
            ("GET /api/v1/\(String(repeating: "a", count: 17_000)) HTTP/1.1\r\nHost: x\r\n\r\n", 414, "uri_too_long"),
            ("GET /api/v1/health HTTP/2.7\r\nHost: x\r\n\r\n", 505, "http_version_not_supported"),
        ]
        for (request, status, code) in cases {
            let response = try client.parse(client.raw(Array(request.utf8), firstResponse: true))
            let line = String(request.prefix(40))
            #expect(response.status == status, "\(line)")
            #expect(response.code == code, "\(line)")
            #expect(response.json["success"]?.bool == false, "\(line)")
            #expect(response.json["errors"] == .array([]), "\(line)")
            #expect(response.header("Content-Type")?.hasPrefix("application/json") == true, "\(line)")
        }
    }

    @Test(arguments: Mode.allCases)
    func corsCredentialsOnlyBesideAnAllowedOrigin(mode: Mode) throws {
        let client = try mode.client()
        let allowed = try client.send("GET", "/api/v1/health", headers: ["Origin": "https://app.example.test"])
        #expect(allowed.header("Access-Control-Allow-Credentials") == "true")
        for method in ["GET", "OPTIONS"] {
            let other = try client.send(
                method, "/api/v1/health", headers: ["Origin": "https://evil.example", "Access-Control-Request-Method": "GET"])
            #expect(other.header("Access-Control-Allow-Origin") == nil)
            #expect(other.header("Access-Control-Allow-Credentials") == nil)
        }
    }

    @Test(arguments: Mode.allCases)
    func headIsAnsweredWhereverGetIs(mode: Mode) throws {
        let client = try mode.client()
        for path in ["/api/v1/health", "/api/v1/courses"] {
            let response = try client.send("HEAD", path)
            #expect(response.status == 200, "\(path)")
            #expect(response.body.isEmpty, "\(path)")
            #expect(response.header("Content-Type")?.hasPrefix("application/json") == true, "\(path)")
        }
        #expect(try client.send("HEAD", "/api/v1/auth/login").status == 405)
    }

    @Test func generatedConfigIsReadableOnlyByItsOwner() throws {
        let fastcgiRun = try TestEnvironment.value("E2E_FASTCGI_RUN")
        let cgiRun = String(fastcgiRun.dropLast("fastcgi".count)) + "cgi"
        for run in [cgiRun, fastcgiRun] {
            var info = stat()
            #expect(stat(run + "/nginx.conf", &info) == 0)
            #expect(info.st_mode & 0o777 == 0o600, "\(run)/nginx.conf")
        }
    }
}
