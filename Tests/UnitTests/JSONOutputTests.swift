import Core
import FoundationEssentials
import Runtime
import Testing

/// `encodeJSON` writes exactly what Foundation's JSONEncoder (snake_case keys, sorted keys,
/// unescaped slashes) wrote before it replaced it.
@Suite struct JSONOutputTests {
    struct Inner: Encodable {
        var userURL = "https://example.test/a/b"
        var urlValue = "x"
        var id2Name = "y"
        var emptyList: [Int] = []
        var emptyMap: [String: Int] = [:]
    }

    struct Sample: Encodable {
        var id = "7a61eb2a"
        var title = "Quote \" backslash \\ tab \t newline \n bell \u{7} é 日本 🎓 </script>"
        var priceMinor = 99900
        var big: Int64 = 9_007_199_254_740_993
        var ratingAverage = 4.5
        var whole = 5.0
        var tiny = 0.1
        var huge = 1e21
        var negative = -2.25
        var isPreview = true
        var missing: String? = nil
        var present: String? = "here"
        @Nullable var alwaysThere: String?
        var inner = Inner()
        var list = [Inner(), Inner()]
        var camelDictionary = ["someKey": 1, "other_key": 2, "URLKey": 3]
        var json: JSONValue = .object(["nestedValue": .array([.null, .bool(false), .number(3), .number(2.5), .string("s")])])
        var nestedOptional: [String?] = ["a", nil]
    }

    func foundation(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    func ours(_ value: some Encodable) throws -> String { String(decoding: try encodeJSON(value), as: UTF8.self) }

    @Test func matchesFoundationByteForByte() throws {
        #expect(try ours(Sample()) == foundation(Sample()))
        #expect(try ours([1, 2, 3]) == foundation([1, 2, 3]))
        #expect(try ours("top") == foundation("top"))
        #expect(try ours(Optional<String>.none) == foundation(Optional<String>.none))
        #expect(try ours(["b": ["innerKey": 1], "a": [:]]) == foundation(["b": ["innerKey": 1], "a": [:]]))
        #expect(try ours(Response.ok(Sample()).body) == foundation(Response.ok(Sample()).body))
    }

    @Test func jsonValuesWriteWhatTheEncoderWrites() throws {
        let values: [JSONValue] = [
            .null, .bool(true), .number(0), .number(-0.0), .number(42), .number(-7), .number(2.5), .number(1e21), .number(9e15),
            .number(0.1), .string(""), .string("Quote \" backslash \\ tab \t nl \n bell \u{7} é 日本 🎓 </script>"),
            .array([]), .object([:]), .array([.number(1), .array([.string("a")]), .object(["k": .null])]),
            .object(["b": .number(1), "a": .string("x"), "B": .bool(false), "é": .null, "ab": .array([.number(3)]), "aB": .object([:])]),
        ]
        for value in values {
            var out: [UInt8] = []
            try value.writeJSON(to: &out)
            #expect(String(decoding: out, as: UTF8.self) == (try ours(value)))
        }
        var out: [UInt8] = []
        #expect(throws: (any Error).self) { try JSONValue.number(.nan).writeJSON(to: &out) }
    }

    @Test func responsesUseIt() throws {
        let response = Response.ok(Sample(), message: "Fine")
        let text = String(decoding: response.body, as: UTF8.self)
        #expect(
            text.hasPrefix(
                #"{"data":{"always_there":null,"big":9007199254740993,"camel_dictionary":{"URLKey":3,"other_key":2,"someKey":1}"#))
        #expect(text.hasSuffix(#","message":"Fine","success":true}"#))
        #expect(throws: (any Error).self) { try encodeJSON(Double.nan) }
    }

    struct Holder: Encodable {
        var count = 2
        var page: RawJSON
    }

    /// JSON a statement wrote (PostgreSQL's spacing) goes out as it is, without the spaces between tokens.
    @Test func rawJSONIsPlacedAsItIsWithoutItsWhitespace() throws {
        let raw = RawJSON(compacting: Array(#"{"a" : [1, 2], "b" : "x \" y \\", "c" : {"d" : null, "e" : "  two  spaces\t"}}"#.utf8))
        let compact = #"{"a":[1,2],"b":"x \" y \\","c":{"d":null,"e":"  two  spaces\t"}}"#
        #expect(String(decoding: raw.bytes, as: UTF8.self) == compact)
        #expect(try ours(Holder(page: raw)) == #"{"count":2,"page":"# + compact + "}")
        #expect(String(decoding: Response.ok(raw).body, as: UTF8.self) == #"{"data":"# + compact + #","message":"OK","success":true}"#)
        #expect(throws: (any Error).self) { try JSONEncoder().encode(raw) }
    }
}
