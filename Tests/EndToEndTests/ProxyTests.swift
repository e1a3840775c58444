import Core
import Platform
import Runtime
import TestSupport
import Testing

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
        #expect(response.header("Allow") == "GET, PATCH, DELETE")
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
            "POST", "/api/v1/auth/login", body: Array("email=a&password=b".utf8), headers: ["Content-Type": "application/x-www-form-urlencoded"])
        #expect(response.status == 415)
    }

    @Test(arguments: Mode.allCases)
    func malformedJSONAndArraysAre400(mode: Mode) throws {
        for body in ["{\"email\":", "[1,2,3]", "{\"email\":\"\u{FFFF}\"", "null"] {
            let response = try mode.client().send("POST", "/api/v1/auth/signup", json: body)
            #expect(response.status == 400, "body \(body)")
        }
        let invalidUTF8: [UInt8] = Array("{\"name\":\"".utf8) + [0xC3, 0x28, 0xFF] + Array("\"}".utf8)
        let response = try mode.client().send("POST", "/api/v1/auth/signup", body: invalidUTF8, headers: ["Content-Type": "application/json"])
        #expect(response.status == 400)
    }

    @Test(arguments: Mode.allCases)
    func chunkedBodyWithoutContentLengthIsNeverA500(mode: Mode) throws {
        let body = #"{"email":"nobody@example.test","password":"whatever pw"}"#
        let chunk = String(body.utf8.count, radix: 16) + "\r\n" + body + "\r\n0\r\n\r\n"
        let request = "POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n" + chunk
        let client = try mode.client()
        let response = try client.parse(client.raw(Array(request.utf8)))
        #expect(response.status < 500)
        #expect(response.json["success"]?.bool == false)
    }

    @Test(arguments: Mode.allCases)
    func lyingContentLengthLosesNothing(mode: Mode) throws {
        let client = try mode.client()
        let request = "POST /api/v1/auth/signup HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{\"name\":\"x\"}"
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
            let path = route.path.replacingAll("{id}", with: "00000000-0000-4000-8000-000000000000").replacingAll("{courseId}", with: "00000000-0000-4000-8000-000000000000")
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
}
