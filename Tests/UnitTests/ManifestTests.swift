import Core
import Crypto
import FoundationEssentials
import Media
import Runtime
import TestSupport
import Testing

@testable import Platform

#if canImport(Glibc)
    import Glibc
#endif

/// Routes come from the executables' own declarations (`--describe`) with the operator's
/// overrides on top; the nginx config is generated from them. (The end-to-end suite checks
/// the real executables against Functions/ and the OpenAPI document: DeclarationTests.)
@Suite struct ManifestTests {
    /// A small deployment, as `--describe` would print it.
    func manifest() throws -> Manifest {
        let declarations: [(String, String)] = [
            (
                "users-get-me",
                #"{"method":"GET","path":"/api/v1/users/me","access":"signed-in","mode":"fastcgi","processes":2,"body":0,"rate":null}"#
            ),
            (
                "users-update-me",
                #"{"method":"PATCH","path":"/api/v1/users/me","access":"signed-in","mode":"cgi","processes":1,"body":16384,"rate":null}"#
            ),
            (
                "users-delete-me",
                #"{"method":"DELETE","path":"/api/v1/users/me","access":"signed-in","mode":"cgi","processes":1,"body":4096,"rate":"auth"}"#
            ),
            (
                "users-get-profile",
                #"{"method":"GET","path":"/api/v1/users/{id}","access":"public","mode":"fastcgi","processes":1,"body":0,"rate":null}"#
            ),
            (
                "uploads-content",
                #"{"method":"PUT","path":"/api/v1/uploads/{id}/content","access":"public","mode":"stream","processes":1,"body":4294967296,"rate":null}"#
            ),
        ]
        return Manifest(routes: try declarations.map { try Manifest.route(function: $0.0, description: Array($0.1.utf8)) })
    }

    @Test func overridesChangeOnlyModeAndProcesses() throws {
        var manifest = try manifest()
        try manifest.apply(overrides: "# comment\nusers-update-me fastcgi 3\nusers-get-me cgi   # moved\n")
        let update = try #require(manifest.routes.first { $0.function == "users-update-me" })
        #expect(update.mode == .fastcgi && update.processes == 3 && update.bodyLimit == 16384 && update.method == "PATCH")
        #expect(manifest.routes.first { $0.function == "users-get-me" }?.mode == .cgi)
        #expect(manifest.fastCGIFunctions().map(\.function) == ["users-update-me", "users-get-profile"])
    }

    @Test func refusesBrokenOverridesAndDeclarations() throws {
        var manifest = try manifest()
        #expect(throws: Manifest.ParseError.self) { try manifest.apply(overrides: "no-such-function fastcgi 2") }
        #expect(throws: Manifest.ParseError.self) { try manifest.apply(overrides: "users-get-me turbo") }
        #expect(throws: Manifest.ParseError.self) { try manifest.apply(overrides: "users-get-me fastcgi 0") }
        #expect(throws: Manifest.ParseError.self) { try manifest.apply(overrides: "uploads-content fastcgi 2") }
        #expect(throws: Manifest.ParseError.self) { try Manifest.route(function: "x", description: Array("not json".utf8)) }
        #expect(throws: Manifest.ParseError.self) {
            try Manifest.route(
                function: "x",
                description: Array(#"{"method":"FETCH","path":"/api/v1/x","access":"public","mode":"cgi","processes":1,"body":0}"#.utf8))
        }
        #expect(throws: Manifest.ParseError.self) {
            try Manifest(routes: manifest.routes + [manifest.routes[0]]).checkUnique()
        }
    }

    @Test func generatedConfigRoutesEveryMethodAndLimitsOnlyRateLimitedOnes() throws {
        var settings = NginxConfig.Settings(binDirectory: "/srv/bin", runDirectory: "/srv/run", logDirectory: "/srv/log")
        settings.corsOrigins = ["https://app.example"]
        let text = NginxConfig(manifest: try manifest(), settings: settings).render()
        #expect(text.contains("location = /api/v1/users/me {"))
        #expect(text.contains("location ~ \"^/api/v1/users/[^/]+$\" {"))
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
