import Crypto
import FoundationEssentials
import Media
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

    /// The text of the location block that starts with `opening`.
    func block(_ text: String, _ opening: String) throws -> Substring {
        let start = try #require(text.firstRange(of: opening))
        let rest = text[start.lowerBound...]
        return rest[..<(rest.firstRange(of: "\n        }\n")?.lowerBound ?? rest.endIndex)]
    }

    @Test func uploadSignatureIsCheckedByNginxBeforeTheBodyAndUploadsAreLimited() throws {
        var settings = NginxConfig.Settings(binDirectory: "/srv/bin", runDirectory: "/srv/run", logDirectory: "/srv/log")
        settings.mediaDirectory = "/srv/media"
        settings.mediaSecret = String(repeating: "k", count: 40)
        let text = NginxConfig(manifest: try manifest(), settings: settings).render()
        let opening = "location ~ \"^/api/v1/uploads/[^/]+/content$\" {"
        let upload = try block(text, opening)
        #expect(upload.contains("secure_link $arg_signature,$arg_expires;"))
        #expect(upload.contains("secure_link_md5 \"$secure_link_expires$uri \(settings.mediaSecret!)\";"))
        // Refused in the rewrite phase, with the envelope: before anything reads the body.
        #expect(upload.contains("return 403 '{\"success\":false,"))
        #expect(upload.contains("\"code\":\"invalid_signature\""))
        #expect(upload.contains("return 410 '{\"success\":false,"))
        #expect(upload.contains("limit_conn upload_conns 4;"))
        #expect(upload.contains("limit_req zone=uploads burst=20 nodelay;"))
        #expect(text.contains("limit_conn_zone $lms_rate_key zone=upload_conns:10m;"))
        #expect(text.contains("limit_conn_status 429;"))

        // The upload function signs what nginx checks: md5 of expiry, path and secret, base64url.
        let store = try MediaStore.from(
            Config(["MEDIA_SIGNING_SECRET": settings.mediaSecret!, "MEDIA_DIR": "/srv/media", "PUBLIC_BASE_URL": "https://api.example"]))
        let target = store.uploadTarget(mediaId: "m1", key: "k", contentType: "image/png", size: 5, now: 1000)
        let md5 = Base64URL.encode(Crypto.md5(Array("4600/api/v1/uploads/m1/content \(settings.mediaSecret!)".utf8)))
        #expect(target.url == "https://api.example/api/v1/uploads/m1/content?expires=4600&signature=\(md5)")

        // Without a local store (S3) the route takes no body at all.
        settings.mediaSecret = nil
        let s3 = try block(NginxConfig(manifest: try manifest(), settings: settings).render(), opening)
        #expect(s3.contains("return 404;"))
    }

    @Test func everyErrorNginxAnswersItselfIsAnInternalJSONPage() throws {
        let settings = NginxConfig.Settings(binDirectory: "/srv/bin", runDirectory: "/srv/run", logDirectory: "/srv/log")
        let text = NginxConfig(manifest: try manifest(), settings: settings).render()
        // Named locations fail (500) for requests nginx refused at the request line (no URI).
        #expect(!text.contains("error_page 400 @"))
        #expect(text.contains("error_page 400 494 /_lms/errors/400;"))
        for status in [400, 404, 405, 413, 414, 429, 500, 505] {
            #expect(text.contains("error_page \(status)"), "error_page \(status)")
            let page = try block(text, "location = /_lms/errors/\(status) {")
            #expect(page.contains("internal;"))
            #expect(page.contains("default_type application/json;"))
            #expect(page.contains("return \(status) '{\"success\":false,"))
        }
    }

    @Test func headIsRoutedLikeGetAndCredentialsFollowTheAllowedOrigin() throws {
        var settings = NginxConfig.Settings(binDirectory: "/srv/bin", runDirectory: "/srv/run", logDirectory: "/srv/log")
        settings.corsOrigins = ["https://app.example"]
        let text = NginxConfig(manifest: try manifest(), settings: settings).render()
        let me = try block(text, "location = /api/v1/users/me {")
        #expect(me.contains("set $lms_allow \"GET, HEAD, PATCH, DELETE\";"))
        #expect(me.contains("if ($request_method = HEAD) {\n                set $lms_fn users-get-me;"))
        #expect(text.contains("map $lms_cors_origin $lms_cors_credentials { \"\" \"\"; default \"true\"; }"))
    }
}
