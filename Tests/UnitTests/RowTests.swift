import Testing

@testable import Database

/// How a result row reads PostgreSQL's text format.
@Suite struct RowTests {
    @Test(arguments: [
        ("2026-11-23 09:16:53.123456+00", "2026-11-23T09:16:53.123Z"),
        ("2026-11-23 09:16:53.1+00", "2026-11-23T09:16:53.1Z"),
        ("2026-11-23 09:16:53+00", "2026-11-23T09:16:53Z"),
        ("1999-01-01 00:00:00.999+00", "1999-01-01T00:00:00.999Z"),
    ])
    func timestampsAreRFC3339InUTCWithMilliseconds(stored: String, written: String) throws {
        #expect(try Row.rfc3339(stored) == written)
    }

    @Test(arguments: ["", "2026-11-23", "2026-11-23T09:16:53+00", "infinity"])
    func otherTimestampTextIsRefused(stored: String) {
        #expect(throws: DatabaseError.self) { try Row.rfc3339(stored) }
    }

    @Test func columnsAreFoundByNameTheLastOfARepeatedName() throws {
        for count in [3, 20] {
            let names = (0..<count).map { "c\($0)" } + ["c1"]
            let row = Row(columns: Row.Columns(names), values: names.indices.map { String($0) })
            #expect(try row.string("c0") == "0")
            #expect(try row.string("c1") == String(count))
            #expect(try row.string("c\(count - 1)") == String(count - 1))
            #expect(throws: DatabaseError.self) { try row.string("missing") }
        }
    }
}
