import Core
import Courses
import Identity
import Media
import Runtime
import TestSupport
import Testing

/// Display names and titles must show something and carry no bidirectional controls; upload
/// file names of every documented length are accepted.
@Suite struct DisplayTextTests {
    static let bidi = [
        "\u{202A}", "\u{202B}", "\u{202C}", "\u{202D}", "\u{202E}", "\u{2066}", "\u{2067}", "\u{2068}", "\u{2069}", "\u{200E}", "\u{200F}",
        "\u{061C}",
    ]
    /// Each made only of characters that show nothing.
    static let invisible = [
        "\u{200B}\u{200B}\u{200B}", "\u{3164}\u{3164}\u{3164}", "\u{2800}\u{2800}\u{2800}", "\u{00AD}\u{034F}\u{FE0F}",
        "\u{2060}\u{180E}\u{FEFF}", "\u{0301}\u{0301}\u{0301}",
    ]

    @Test func signUpRefusesBidiControlsAndInvisibleNames() throws {
        for name in Self.bidi.map({ "Ad\($0)min" }) + Self.invisible {
            let response = try call(
                Signup.endpoint, "POST", "/api/v1/auth/signup",
                json: #"{"name":"\#(name)","email":"\#(Factory.uniqueEmail())","password":"long enough pw"}"#)
            #expect(response.status == 422, "\(name.unicodeScalars.map { String($0.value, radix: 16) })")
            #expect(response.failedFields == ["name"])
        }
    }

    @Test func realNamesInAnyScriptAreAccepted() throws {
        // Arabic (right-to-left letters need no controls), Devanagari with ZWJ, Persian with ZWNJ, accents.
        for name in ["محمد علي", "क्\u{200D}ष", "می\u{200C}خواهم", "Zoë Ñúñez", "Jo\u{0301}se"] {
            let response = try call(
                Signup.endpoint, "POST", "/api/v1/auth/signup",
                json: #"{"name":"\#(name)","email":"\#(Factory.uniqueEmail())","password":"long enough pw"}"#)
            #expect(response.status == 201, "\(name): \(response.text)")
        }
    }

    @Test func profileUpdatesRefuseBidiControlsAndInvisibleText() throws {
        let user = try Factory.user(TestEnvironment.connect())
        let spoof = try call(
            UpdateMe.endpoint, "PATCH", "/api/v1/users/me", json: #"{"name":"Asha \#u{2067}Rao","headline":"\#u{200B}\#u{200B}"}"#,
            token: user.accessToken)
        #expect(spoof.status == 422)
        #expect(Set(spoof.failedFields) == ["name", "headline"])
        #expect(
            try call(UpdateMe.endpoint, "PATCH", "/api/v1/users/me", json: #"{"name":"Asha Rao"}"#, token: user.accessToken).status == 200)
    }

    @Test func courseModuleAndLessonTitlesRefuseBidiControlsAndInvisibleText() throws {
        let owner = try Factory.user(TestEnvironment.connect(), role: .instructor)
        let course = try call(
            CreateCourse.endpoint, "POST", "/api/v1/courses",
            json: #"{"title":"\#u{200B}\#u{200C}\#u{200D}","subtitle":"Free \#u{202E}gnihtyreve"}"#,
            token: owner.accessToken)
        #expect(course.status == 422)
        #expect(Set(course.failedFields) == ["title", "subtitle"])
        let courseId = try #require(
            try call(CreateCourse.endpoint, "POST", "/api/v1/courses", json: #"{"title":"Swift basics"}"#, token: owner.accessToken).data[
                "id"]?.string)
        let module = try call(
            CreateModule.endpoint, "POST", "/api/v1/courses/\(courseId)/modules",
            json: #"{"title":"\#u{2800}"}"#, token: owner.accessToken)
        #expect(module.status == 422)
        #expect(module.failedFields == ["title"])
        let moduleId = try #require(
            try call(
                CreateModule.endpoint, "POST", "/api/v1/courses/\(courseId)/modules",
                json: #"{"title":"Basics"}"#, token: owner.accessToken
            ).data["id"]?.string)
        let renamed = try call(
            UpdateModule.endpoint, "PATCH", "/api/v1/modules/\(moduleId)", json: #"{"title":"\#u{2068}x"}"#,
            token: owner.accessToken)
        #expect(renamed.failedFields == ["title"])
        let lesson = try call(
            CreateLesson.endpoint, "POST", "/api/v1/modules/\(moduleId)/lessons",
            json: #"{"title":"\#u{061C}Intro","kind":"article"}"#, token: owner.accessToken)
        #expect(lesson.status == 422)
        #expect(lesson.failedFields.contains("title"))
    }

    @Test func uploadsAcceptEveryDocumentedFilenameLength() throws {
        let teacher = try Factory.user(TestEnvironment.connect(), role: .instructor)
        let names =
            (197...200).map { String(repeating: "a", count: $0) }
            + [
                String(repeating: "b", count: 196) + ".doc", String(repeating: "e\u{0301}", count: 100),
                String(repeating: "c", count: 200) + ".pdf",
            ].filter { $0.unicodeScalars.count <= 200 }
        for name in names {
            let response = try call(
                CreateUpload.endpoint, "POST", "/api/v1/uploads",
                json: #"{"purpose":"resource","filename":"\#(name)","content_type":"application/pdf","size_bytes":10}"#,
                token: teacher.accessToken)
            #expect(response.status == 201, "\(name.unicodeScalars.count) characters: \(response.text)")
            let stored = response.data["media"]?["filename"]?.string ?? ""
            #expect(stored.unicodeScalars.count <= 200)
            #expect(stored.hasSuffix(".pdf"))
        }
        let tooLong = try call(
            CreateUpload.endpoint, "POST", "/api/v1/uploads",
            json:
                #"{"purpose":"resource","filename":"\#(String(repeating: "a", count: 201))","content_type":"application/pdf","size_bytes":10}"#,
            token: teacher.accessToken)
        #expect(tooLong.status == 422)
        #expect(tooLong.failedFields == ["filename"])
    }
}
