import Core
import Runtime
import TestSupport
import Testing

/// The function binaries run as plain CGI/1.1 programs, the way fcgiwrap, lighttpd and
/// Apache run them, with inputs no proxy would pass on.
@Suite struct CGITests {
    func run(_ function: String, _ variables: [String: String], input: String = "") throws -> (status: Int, text: String, exit: Int32) {
        var environment = ["LMS_ENV_FILE": try TestEnvironment.value("E2E_ENV_FILE"), "GATEWAY_INTERFACE": "CGI/1.1"]
        for (key, value) in variables { environment[key] = value }
        let result = try runCommand(
            [try TestEnvironment.value("E2E_FUNCTIONS_DIR") + "/" + function], input: Array(input.utf8), environment: environment)
        let text = String(decoding: result.output, as: UTF8.self)
        let statusLine = text.split(separator: "\r\n").first ?? ""
        let status = Int(statusLine.split(separator: " ").dropFirst().first ?? "") ?? 0
        return (status, text, result.status)
    }

    @Test func servesARequestFromTheEnvironment() throws {
        let result = try run("health", ["REQUEST_METHOD": "GET", "REQUEST_URI": "/api/v1/health"])
        #expect(result.status == 200)
        #expect(result.exit == 0)
        #expect(result.text.contains("\r\n\r\n{\"data\":{"))
    }

    @Test func readsExactlyContentLength() throws {
        // Bytes past CONTENT_LENGTH belong to nobody: they are never read.
        let body = #"{"email":"nobody@example.test","password":"whatever pw"}"#
        let result = try run(
            "auth-login",
            [
                "REQUEST_METHOD": "POST", "REQUEST_URI": "/api/v1/auth/login", "CONTENT_TYPE": "application/json",
                "CONTENT_LENGTH": String(body.utf8.count),
            ],
            input: body + "GARBAGE THAT MUST NOT BE READ")
        #expect(result.status == 401)
    }

    @Test func shortBodyIs400() throws {
        let result = try run(
            "auth-login",
            ["REQUEST_METHOD": "POST", "REQUEST_URI": "/api/v1/auth/login", "CONTENT_TYPE": "application/json", "CONTENT_LENGTH": "100"],
            input: "{\"email\":1}")
        #expect(result.status == 400)
        #expect(result.text.contains("truncated_body"))
    }

    @Test func oversizedOrNonNumericLengthsAreRefusedUnread() throws {
        let big = try run(
            "auth-login",
            [
                "REQUEST_METHOD": "POST", "REQUEST_URI": "/api/v1/auth/login", "CONTENT_TYPE": "application/json",
                "CONTENT_LENGTH": "999999999", "BODY_LIMIT": "16384",
            ])
        #expect(big.status == 413)
        let bad = try run("auth-login", ["REQUEST_METHOD": "POST", "REQUEST_URI": "/api/v1/auth/login", "CONTENT_LENGTH": "12abc"])
        #expect(bad.status == 400)
    }

    @Test func missingBodyIsAClientError() throws {
        let result = try run(
            "auth-signup", ["REQUEST_METHOD": "POST", "REQUEST_URI": "/api/v1/auth/signup", "CONTENT_TYPE": "application/json"])
        #expect(result.status == 400)
    }

    @Test func routeTemplateMismatchIs404() throws {
        let result = try run(
            "users-get-profile", ["REQUEST_METHOD": "GET", "REQUEST_URI": "/api/v1/other/thing", "ROUTE_TEMPLATE": "/api/v1/users/{id}"])
        #expect(result.status == 404)
    }

    @Test func databaseDownIs503() throws {
        let result = try run(
            "health",
            [
                "REQUEST_METHOD": "GET", "REQUEST_URI": "/api/v1/health", "DATABASE_URL": "postgresql:///lms?host=/nonexistent",
                "DATABASE_POOL_URL": "postgresql:///lms?host=/nonexistent",
            ])
        #expect(result.status == 503)
        #expect(!result.text.contains("nonexistent"))
    }
}
