import Core
import Runtime
import TestSupport
import Testing

/// The two front ends `infra/test.sh` starts: every route as CGI (fcgiwrap) on one, every
/// route as a FastCGI process on the other. Each end-to-end test runs against both.
enum Mode: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case cgi, fastcgi

    var testDescription: String { rawValue }

    func client() throws -> HTTPClient {
        HTTPClient(try TestEnvironment.value(self == .cgi ? "E2E_CGI_URL" : "E2E_FASTCGI_URL"))
    }
}
