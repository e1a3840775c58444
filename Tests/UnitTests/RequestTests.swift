import Core
import Database
import Identity
import Runtime
import TestSupport
import Testing

@Suite struct RequestTests {
    @Test func decodesQueryWithRepeatedKeys() {
        let request = Request(method: "GET", path: "/x", rawQuery: "tag=a%20b&tag=c+d&q=%E2%9C%93&empty=&bad=%zz")
        #expect(request.queryValues("tag") == ["a b", "c d"])
        #expect(request.queryValue("q") == "✓")
        #expect(request.queryValue("empty") == "")
        #expect(request.queryValue("bad") == "%zz")
        #expect(request.queryValue("missing") == nil)
    }

    @Test func invalidUTF8InQueryBecomesReplacementCharacter() {
        let request = Request(method: "GET", path: "/x", rawQuery: "q=%FF%FE")
        #expect(request.queryValue("q") == "\u{FFFD}\u{FFFD}")
    }

    @Test func parsesCookies() {
        let request = Request(method: "GET", path: "/", headers: ["cookie": "a=1; access_token=xyz; b = 2 ; junk"])
        #expect(request.cookies == ["a": "1", "access_token": "xyz", "b": "2"])
    }

    @Test func matchesRouteTemplates() {
        var request = Request(method: "GET", path: "/api/v1/users/abc%20d")
        let matched = request.matchRoute("/api/v1/users/{id}")
        #expect(matched)
        #expect(request.pathParameters["id"] == "abc d")
        let longer = request.matchRoute("/api/v1/users/{id}/x")
        #expect(!longer)
        var encodedSlash = Request(method: "GET", path: "/api/v1/users/a%2Fb")
        let slash = encodedSlash.matchRoute("/api/v1/users/{id}")
        #expect(!slash)
    }

    @Test func jsonRequiresContentType() throws {
        let request = Request(method: "POST", path: "/", headers: ["content-type": "text/plain"], body: Array("{}".utf8))
        #expect(throws: APIError.self) { try request.json() }
        let ok = Request(method: "POST", path: "/", headers: ["content-type": "Application/JSON; charset=utf-8"], body: Array("{}".utf8))
        #expect(try ok.json() == .object([:]))
    }

    @Test(arguments: ["{", "{\"a\":}", "nul", "{\"a\":1}}", "\u{FEFF}"])
    func malformedJSONIs400(body: String) {
        let request = Request(method: "POST", path: "/", headers: ["content-type": "application/json"], body: Array(body.utf8))
        #expect {
            try request.json()
        } throws: { error in
            (error as? APIError)?.status == 400
        }
    }

    @Test func invalidUTF8BodyIs400() {
        let request = Request(
            method: "POST", path: "/", headers: ["content-type": "application/json"], body: [0x7B, 0x22, 0xFF, 0x22, 0x3A, 0x31, 0x7D])
        #expect {
            try request.json()
        } throws: { error in
            (error as? APIError)?.status == 400
        }
    }
}

@Suite struct FieldsTests {
    func fields(_ json: String) throws -> Fields { try Fields(JSONValue.parse(Array(json.utf8))) }

    @Test func listsEveryFailingField() throws {
        var f = try fields(#"{"name": 5, "email": "", "bio": "x\u0000y"}"#)
        _ = f.string("name", max: 10)
        _ = f.string("email", max: 10)
        _ = f.string("bio", max: 10, multiline: true)
        _ = f.string("missing", max: 10)
        #expect(f.errors.map(\.field) == ["name", "email", "bio", "missing"])
        #expect {
            try f.finish()
        } throws: { error in
            (error as? APIError)?.status == 422
        }
    }

    @Test func refusesArrayWhereObjectBelongs() {
        #expect {
            try fields("[1,2]")
        } throws: { error in
            (error as? APIError)?.status == 400
        }
    }

    @Test func refusesOneMegabyteString() throws {
        let big = String(repeating: "a", count: 1 << 20)
        var f = try fields("{\"name\": \"\(big)\"}")
        #expect(f.string("name", max: 100) == nil)
        #expect(f.errors.first?.message == "must be at most 100 characters")
    }

    @Test func patchDistinguishesAbsentNullAndValue() throws {
        var f = try fields(#"{"a": null, "b": "  x  ", "c": ""}"#)
        #expect(!f.patchString("missing", max: 5).isPresent)
        if case .null = f.patchString("a", max: 5) {} else { Issue.record("null expected") }
        #expect(f.patchString("b", max: 5).value == "x")
        if case .null = f.patchString("c", max: 5) {} else { Issue.record("empty clears") }
    }

    @Test func sqlMetacharactersAreJustText() throws {
        var f = try fields(#"{"name": "Robert'); DROP TABLE users;--"}"#)
        #expect(f.string("name", max: 100) == "Robert'); DROP TABLE users;--")
    }
}

@Suite struct EmailTests {
    @Test func normalizesCaseAndSpace() {
        #expect(Email.normalize("  Alice@Example.COM ") == "alice@example.com")
        #expect(Email.normalize("ÉLODIE@Exemple.FR") == "élodie@exemple.fr")
    }

    @Test(arguments: ["a@b.co", "first.last+tag@example.com", "élodie@exemple.fr", "user@sub.domain.example"])
    func acceptsValidAddresses(email: String) { #expect(Email.isValid(email)) }

    @Test(arguments: [
        "", "plain", "@example.com", "a@", "a@b", "a@@b.com", "a b@c.com", "a@b..com", ".a@b.com", "a@-b.com", "a\u{0}@b.com",
    ])
    func refusesInvalidAddresses(email: String) { #expect(!Email.isValid(email)) }
}

@Suite struct SQLTests {
    @Test func interpolationBindsValues() {
        let name = "x'; DROP TABLE users;--"
        let limit = 5
        let sql: SQL = "SELECT * FROM users WHERE name = \(name) LIMIT \(limit)"
        #expect(sql.text == "SELECT * FROM users WHERE name = $1 LIMIT $2")
        #expect(sql.binds == [name, "5"])
    }

    @Test func fragmentsAreRenumbered() {
        let inner: SQL = "a = \(1) AND b = \(2)"
        let outer: SQL = "SELECT \(3) WHERE \(fragment: inner) AND c = \(4)"
        #expect(outer.text == "SELECT $1 WHERE a = $2 AND b = $3 AND c = $4")
        #expect(outer.binds == ["3", "1", "2", "4"])
    }

    @Test func nilBindsAsNull() {
        let missing: String? = nil
        let sql: SQL = "UPDATE t SET a = \(missing)"
        #expect(sql.binds == [nil])
    }
}

@Suite struct ResponseTests {
    @Test func envelopeAlwaysHasData() throws {
        let response = Response.message("Done")
        #expect(String(decoding: response.body, as: UTF8.self) == #"{"data":null,"message":"Done","success":true}"#)
    }

    @Test func errorEnvelopeListsFields() throws {
        let response = Response.error(.invalid([FieldError(field: "email", message: "is required")]), requestId: "r1")
        let json = try JSONValue.parse(response.body)
        #expect(json["success"] == .bool(false))
        #expect(json["code"] == .string("validation_failed"))
        #expect(json["request_id"] == .string("r1"))
        #expect(response.status == 422)
    }

    @Test func headersCannotSplitResponses() {
        var response = Response.message("x")
        response.headers.append(("X-Test", "a\r\nSet-Cookie: evil=1"))
        let text = String(decoding: response.serialized(), as: UTF8.self)
        #expect(!text.contains("\r\nSet-Cookie: evil"))
        #expect(text.hasPrefix("Status: 200 OK\r\n"))
    }

    @Test func parsesDotEnv() {
        let pairs = parseDotEnv("# c\nA=1\nexport B=\"two words\"\n\nC='x=y'\nbroken\n")
        #expect(pairs.map(\.0) == ["A", "B", "C"])
        #expect(pairs.map(\.1) == ["1", "two words", "x=y"])
    }
}
