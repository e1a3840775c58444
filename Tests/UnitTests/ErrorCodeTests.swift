import Core
import Runtime
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The OpenAPI document lists every error `code` the server sends: the codes of `APIError`s
/// in the Swift sources and of nginx's own answers (Shared/Platform/NginxConfig.swift).
@Suite struct ErrorCodeTests {
    let root = TestEnvironment.root

    /// Every `.swift` file under `path`, recursively.
    func swiftFiles(_ path: String, into found: inout [String]) {
        guard let directory = opendir(path) else { return }
        defer { closedir(directory) }
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
            if name.hasPrefix(".") { continue }
            if entry.pointee.d_type == UInt8(DT_DIR) {
                swiftFiles(path + "/" + name, into: &found)
            } else if name.hasSuffix(".swift") {
                found.append(path + "/" + name)
            }
        }
    }

    /// `code: "x"` (and `code: String = "x"` defaults) whose nearest preceding error type is
    /// `APIError` (a `MailError`'s codes stay in the worker's log), and nginx's error table.
    func sentCodes() throws -> [String: String] {
        var files: [String] = []
        for folder in ["Shared", "Functions", "Workers"] { swiftFiles(root + "/" + folder, into: &files) }
        #expect(files.count > 50, "found too few sources under \(root)")
        var codes: [String: String] = [:]
        for file in files {
            let text = try readTextFile(file)
            // No `\b`: its default (Unicode) word boundaries do not split `APIError.conflict`.
            let errorTypes = text.matches(of: /[A-Z][A-Za-z0-9]*Error(?![A-Za-z0-9])/)
            for match in text.matches(of: /code: (?:String = )?"([a-z0-9_]+)"/) {
                let nearest = errorTypes.last { $0.range.upperBound <= match.range.lowerBound }
                if nearest.map({ $0.output == "APIError" }) == true { codes[String(match.output.1)] = file }
            }
            for match in text.matches(of: /\(\[[0-9, ]+\], [0-9]{3}, "([a-z_]+)"/) { codes[String(match.output.1)] = file }
            for match in text.matches(of: /envelope\(code: "([a-z_]+)"/) { codes[String(match.output.1)] = file }
        }
        return codes
    }

    @Test func openAPIListsEveryErrorCodeTheServerSends() throws {
        let codes = try sentCodes()
        // A few the scan must find, so that a broken scan cannot pass by finding nothing.
        for known in ["bad_cursor", "reset_token_invalid", "device_token_taken", "validation_failed", "invalid_link"] {
            #expect(codes[known] != nil, "the source scan did not find \(known)")
        }
        #expect(codes["smtp_failed"] == nil, "a MailError code counted as an API code")
        let document = try JSONValue.parse(Array(try readTextFile(root + "/infra/openapi.json").utf8))
        guard case .array(let listed)? = document["components"]?["schemas"]?["ErrorEnvelope"]?["properties"]?["code"]?["enum"] else {
            Issue.record("infra/openapi.json: components.schemas.ErrorEnvelope.properties.code has no enum")
            return
        }
        let documented = Set(listed.compactMap(\.string))
        for (code, file) in codes.sorted(by: { $0.key < $1.key }) where !documented.contains(code) {
            Issue.record(
                "error code \"\(code)\" (sent by \(file.dropFirst(root.count + 1))) is missing from ErrorEnvelope.code's enum in infra/openapi.json"
            )
        }
    }
}
