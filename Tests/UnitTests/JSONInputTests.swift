import Core
import FoundationEssentials
import Testing

/// Request bodies: the direct parse of plain bodies must read exactly what Foundation's decoder
/// reads, and refuse (400) what it refuses.
@Suite struct JSONInputTests {
    static let bodies = [
        #"{"seconds":42}"#, #"{"seconds":137.5}"#, #" { "seconds" : -0.25 } "#, "{}", "[]", "[1,2,[3,{}]]",
        #"{"a":null,"b":true,"c":false}"#,
        #"{"answers":{"00000000-0000-4000-8000-000000000001":[0,3],"x":"  The  Answer "}}"#, #"{"n":123456789012345}"#,
        #"{"n":1234567890123456789}"#, #"{"n":1e3}"#, #"{"n":1E-400}"#, #"{"n":1e400}"#, #"{"n":0.1}"#, #"{"n":-0}"#,
        #"{"t":"é \u00e9 \"q\""}"#, #"{"a":1,"a":2}"#, "\t[\n1\r]", "42", #""text""#, "null",
        // Refused by both.
        #"{"seconds":"#, #"{"n":01}"#, #"{"n":1.}"#, #"{"n":.5}"#, #"{"n":+1}"#, #"{"n":-}"#, "[1,]", #"{"a":1,}"#, "{a:1}",
        #"{"a":tru}"#, #"{"a":nul}"#, "[1] x", "[\"\u{1}\"]", "[", "", " ",
    ]

    @Test func plainBodiesAreReadAsTheDecoderReadsThem() throws {
        for body in Self.bodies {
            let bytes = Array(body.utf8)
            let decoded = try? JSONDecoder().decode(JSONValue.self, from: Data(bytes))
            let parsed = try? JSONValue.parse(bytes)
            #expect(parsed == decoded, "\(body)")
        }
    }
}
