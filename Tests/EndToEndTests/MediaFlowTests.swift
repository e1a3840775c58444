import Core
import Database
import Media
import Runtime
import TestSupport
import Testing

/// Files through the real proxy: the local upload streamed through nginx and fcgiwrap to the
/// upload function, public files served by nginx, private files only through `secure_link`
/// links that expire and cannot be altered.
@Suite struct MediaFlowTests {
    /// The path and query of a URL (the stack's PUBLIC_BASE_URL names the CGI instance).
    func pathOf(_ url: String) -> String {
        let afterScheme = url.split(separator: "://", maxSplits: 1).last.map(String.init) ?? url
        return String(afterScheme[afterScheme.firstIndex(of: "/")!...])
    }

    func upload(_ client: HTTPClient, _ bytes: [UInt8], purpose: String, type: String, declared: String? = nil, token: String) throws -> (
        id: String, response: TestResponse
    ) {
        let created = try client.send(
            "POST", "/api/v1/uploads",
            json: #"{"purpose":"\#(purpose)","filename":"Week 1.pdf","content_type":"\#(declared ?? type)","size_bytes":\#(bytes.count)}"#,
            token: token)
        #expect(created.status == 201)
        let id = try #require(created.data["media"]?["id"]?.string)
        let url = try #require(created.data["upload"]?["url"]?.string)
        let response = try client.send("PUT", pathOf(url), body: bytes, headers: ["Content-Type": declared ?? type])
        return (id, response)
    }

    @Test(arguments: Mode.allCases)
    func uploadsStreamThroughTheProxyAndPrivateLinksAreSignedAndExpire(mode: Mode) throws {
        let client = try mode.client()
        let db = try TestEnvironment.connect()
        let teacher = try Factory.user(db, role: .instructor)
        let student = try Factory.user(db)

        // 3 MB: far beyond nginx's in-memory body buffer, so it is streamed.
        let pdf = Sample.pdf(3_000_000)
        let (pdfId, uploaded) = try upload(client, pdf, purpose: "resource", type: "application/pdf", token: teacher.accessToken)
        #expect(uploaded.status == 200)
        #expect(uploaded.data["status"]?.string == "ready")

        // A course with a lesson whose materials are the upload; the student enrolls.
        let course = try #require(
            try client.send("POST", "/api/v1/courses", json: #"{"title":"Files"}"#, token: teacher.accessToken).data["id"]?.string)
        let module = try #require(
            try client.send("POST", "/api/v1/courses/\(course)/modules", json: #"{"title":"M"}"#, token: teacher.accessToken).data["id"]?
                .string)
        let lesson = try client.send(
            "POST", "/api/v1/modules/\(module)/lessons", json: #"{"title":"Notes","kind":"resource","materials_media_id":"\#(pdfId)"}"#,
            token: teacher.accessToken)
        #expect(lesson.status == 201)
        let lessonId = try #require(lesson.data["id"]?.string)
        try db.execute("UPDATE courses SET status = 'published', published_at = now() WHERE id = \(course)")
        #expect(try client.send("GET", "/api/v1/lessons/\(lessonId)/content", token: student.accessToken).status == 403)
        try db.execute("INSERT INTO enrollments (user_id, course_id, source) VALUES (\(student.id), \(course), 'free')")
        let content = try client.send("GET", "/api/v1/lessons/\(lessonId)/content", token: student.accessToken)
        #expect(content.status == 200)
        let link = pathOf(try #require(content.data["materials"]?["url"]?.string))

        let file = try client.send("GET", link)
        #expect(file.status == 200)
        #expect(file.body == pdf)
        #expect(file.header("Content-Type") == "application/pdf")
        #expect(file.header("Content-Disposition") == "attachment; filename*=UTF-8''Week%201.pdf")

        let tampered = try client.send("GET", link.replacingAll("md5=", with: "md5=A"))
        #expect(tampered.status == 403)
        #expect(tampered.code == "invalid_link")
        let renamed = try client.send("GET", link.replacingAll("name=Week", with: "name=Evil"))
        #expect(renamed.status == 403)
        #expect(try client.send("GET", String(link.prefix { $0 != "?" })).status == 403)
        let key = try db.query("SELECT object_key FROM media WHERE id = \(pdfId)").one().string("object_key")
        let store = try MediaStore.from(try TestEnvironment.config())
        let expired = try client.send("GET", pathOf(store.privateLink(key: key, now: unixTime() - 3600).url))
        #expect(expired.status == 410)
        #expect(expired.code == "link_expired")
        #expect(try client.send("GET", pathOf(store.privateLink(key: key, now: unixTime()).url)).status == 200)
        #expect(try client.send("GET", "/media/private/../public/x").status >= 400)
    }

    @Test(arguments: Mode.allCases)
    func publicImagesAreServedAndLyingFilesRefused(mode: Mode) throws {
        let client = try mode.client()
        let db = try TestEnvironment.connect()
        let teacher = try Factory.user(db, role: .instructor)
        let png = Sample.png(100_000)
        let (_, uploaded) = try upload(client, png, purpose: "thumbnail", type: "image/png", token: teacher.accessToken)
        #expect(uploaded.status == 200)
        let url = try #require(uploaded.data["url"]?.string)
        let image = try client.send("GET", pathOf(url))
        #expect(image.status == 200)
        #expect(image.body == png)
        #expect(image.header("Content-Type") == "image/png")
        #expect(image.header("Content-Security-Policy")?.contains("sandbox") == true)
        #expect(try client.send("PUT", pathOf(url), body: png).status == 403)

        // 3 MB: the function answers before it has read the body, yet the client gets its 415.
        let (liarId, lying) = try upload(client, Sample.pdf(3_000_000), purpose: "thumbnail", type: "image/png", token: teacher.accessToken)
        #expect(lying.status == 415)
        #expect(lying.code == "type_mismatch")
        #expect(try db.query("SELECT status FROM media WHERE id = \(liarId)").one().string("status") == "rejected")
        let tooBig = try client.send(
            "POST", "/api/v1/uploads", json: #"{"purpose":"avatar","filename":"a.png","content_type":"image/png","size_bytes":3000000}"#,
            token: teacher.accessToken)
        #expect(tooBig.status == 413)
    }
}
