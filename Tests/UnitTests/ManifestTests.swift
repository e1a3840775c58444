import FoundationEssentials
import Platform
import Runtime
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The manifest is the one deployment descriptor: it must agree with Functions/, with the
/// executables Package.swift declares, and with the OpenAPI document.
@Suite struct ManifestTests {
    let root = TestEnvironment.root

    func manifest() throws -> Manifest { try Manifest.load(root + "/infra/routes.manifest") }

    /// Every folder under Functions/ that holds a main.swift, as an executable name.
    func functionFolders(_ path: String = "", into found: inout [String]) {
        guard let directory = opendir(root + "/Functions" + path) else { return }
        defer { closedir(directory) }
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
            if name == "." || name == ".." { continue }
            if name == "main.swift" {
                found.append(String(path.dropFirst()).replacingAll("/", with: "-"))
            } else if entry.pointee.d_type == UInt8(DT_DIR) {
                functionFolders(path + "/" + name, into: &found)
            }
        }
    }

    @Test func manifestAndFunctionsFolderAgree() throws {
        var folders: [String] = []
        functionFolders(into: &folders)
        #expect(Set(folders) == Set(try manifest().functions))
        #expect(folders.count == Set(folders).count)
    }

    @Test func packageDeclaresEveryFunction() throws {
        let package = try readTextFile(root + "/Package.swift")
        for function in try manifest().functions {
            let folder = function.split(separator: "-", maxSplits: 1).joined(separator: "/")
            #expect(package.contains("(\"\(folder)\"") || package.contains("(\"\(function)\""), "Package.swift lacks \(function)")
        }
    }

    @Test func openAPICoversExactlyTheManifestRoutes() throws {
        let document = try JSONValue.parse(Array(try readTextFile(root + "/infra/openapi.json").utf8))
        guard case .object(let paths)? = document["paths"] else {
            Issue.record("no paths")
            return
        }
        var documented: Set<String> = []
        var operationIds: [String: String] = [:]
        for (path, item) in paths {
            guard case .object(let operations) = item else { continue }
            for (method, operation) in operations where ["get", "post", "put", "patch", "delete"].contains(method) {
                documented.insert("\(method.uppercased()) \(path)")
                operationIds["\(method.uppercased()) \(path)"] = operation["operationId"]?.string
            }
        }
        let routes = try manifest().routes
        #expect(documented == Set(routes.map { "\($0.method) \($0.path)" }))
        for route in routes {
            #expect(operationIds["\(route.method) \(route.path)"] == route.function)
        }
    }

    @Test func refusesBrokenManifests() {
        #expect(throws: Manifest.ParseError.self) { try Manifest.parse("GET /api/v1/x fn public cgi - 0") }
        #expect(throws: Manifest.ParseError.self) { try Manifest.parse("FETCH /api/v1/x fn public cgi - 0 -") }
        #expect(throws: Manifest.ParseError.self) { try Manifest.parse("GET /x fn public cgi - 0 -") }
        #expect(throws: Manifest.ParseError.self) { try Manifest.parse("GET /api/v1/x fn public fastcgi - 0 -") }
        #expect(throws: Manifest.ParseError.self) {
            try Manifest.parse("GET /api/v1/x fn public cgi - 0 -\nGET /api/v1/x other public cgi - 0 -")
        }
    }

    @Test func generatedConfigRoutesEveryMethodAndLimitsOnlyRateLimitedOnes() throws {
        var settings = NginxConfig.Settings(binDirectory: "/srv/bin", runDirectory: "/srv/run", logDirectory: "/srv/log")
        settings.corsOrigins = ["https://app.example"]
        let text = NginxConfig(manifest: try manifest(), settings: settings).render()
        #expect(text.contains("location = /api/v1/users/me {"))
        #expect(text.contains("location ~ \"^/api/v1/users/[^/]+$\" {"))
        #expect(text.contains("fastcgi_param ROUTE_TEMPLATE \"/api/v1/users/{id}\";"))
        #expect(text.contains("upstream fn_users-get-me"))
        #expect(text.contains("\"https://app.example\" $http_origin;"))
        // On /users/me only DELETE is rate limited: GET and PATCH leave the key empty.
        let start = try #require(text.firstRange(of: "location = /api/v1/users/me {"))
        let block = text[start.lowerBound...]
        let me = block[..<(block.firstRange(of: "\n        }\n")?.lowerBound ?? block.endIndex)]
        #expect(me.ranges(of: "set $lms_auth_key $lms_rate_key;").count == 1)
        var cgiOnly = settings
        cgiOnly.modeOverride = .cgi
        #expect(!NginxConfig(manifest: try manifest(), settings: cgiOnly).render().contains("upstream fn_"))
    }

    @Test func uploadsStreamAsCGIInEveryModeAndMediaIsServedWithSecureLink() throws {
        var settings = NginxConfig.Settings(binDirectory: "/srv/bin", runDirectory: "/srv/run", logDirectory: "/srv/log")
        settings.modeOverride = .fastcgi
        settings.mediaDirectory = "/srv/media"
        settings.mediaSecret = String(repeating: "k", count: 40)
        let text = NginxConfig(manifest: try manifest(), settings: settings).render()
        #expect(!text.contains("upstream fn_uploads-content"))
        let start = try #require(text.firstRange(of: "location ~ \"^/api/v1/uploads/[^/]+/content$\" {"))
        let block = text[start.lowerBound...]
        let upload = block[..<(block.firstRange(of: "\n        }\n")?.lowerBound ?? block.endIndex)]
        #expect(upload.contains("set $lms_pass fcgiwrap;"))
        #expect(!upload.contains("fastcgi_request_buffering off;"))  // nginx takes slow clients' bodies first
        #expect(upload.contains("lms_json_path"))  // signed URLs are not logged with their query
        #expect(upload.contains("client_max_body_size 4294967296;"))
        #expect(text.contains("secure_link_md5 \"$secure_link_expires$uri$arg_name \(settings.mediaSecret!)\";"))
        #expect(text.contains("alias \"/srv/media/public/\";"))
        #expect(try Manifest.parse("PUT /api/v1/x fn public stream - 2g -").routes[0].bodyLimit == 2 << 30)
    }
}
