import Auth
import Core
import Courses
import Crypto
import Database
import Runtime
import TestSupport
import Testing

/// The public catalog: full-text and typo-tolerant search, filters, sorts, pages.
@Suite(.serialized) struct CatalogSearchTests {
    /// Publishes a course with the given fields (as JSON members) and returns its id.
    func published(_ db: Connection, _ owner: TestUser, _ members: String) throws -> String {
        let id = try #require(
            try call(CreateCourse.endpoint, "POST", "/api/v1/courses", json: "{\(members)}", token: owner.accessToken).data["id"]?.string)
        try db.execute("UPDATE courses SET status = 'published', published_at = now() WHERE id = \(id)")
        return id
    }

    func search(_ query: String) throws -> (status: Int, ids: [String], response: TestResponse) {
        let response = try call(SearchCourses.endpoint, "GET", "/api/v1/courses?\(query)")
        guard case .array(let items)? = response.data["items"] else { return (response.status, [], response) }
        return (response.status, items.compactMap { $0["id"]?.string }, response)
    }

    /// A one-word typo in a long title shares too few trigrams with the title; word by word,
    /// the typed word is corrected to the indexed words one or two edits away.
    @Test func correctsTyposWordByWord() throws {
        let db = try TestEnvironment.connect()
        let owner = try Factory.user(db, role: .instructor)
        // A made-up word of its own (letters only), so other tests' courses cannot match it.
        let letters = Array("bcdfghjklmnpqrstvwxz")
        let suffix = String(Crypto.randomBytes(6).map { letters[Int($0) % letters.count] })
        let word = "quo" + suffix  // e.g. "quokbzrt"
        let course = try published(
            db, owner, #""title":"A long course title about \#(word) with many other words in it","level":"beginner""#)
        var swapped = Array(word)
        swapped.swapAt(3, 4)
        let typo = String(swapped)
        #expect(try search("q=\(typo)").ids == [course])  // two letters swapped: two edits
        #expect(try search("q=\(word.dropLast())x").ids == [course])  // one letter changed
        #expect(try search("q=\(typo)%20course").ids == [course])  // the right word stays as it is
        #expect(try search("q=\(typo)&level=advanced").ids == [])  // filters still apply
        #expect(try search("q=zzzzzzzzzzzz").ids == [])  // nothing near: still nothing
    }

    @Test func findsByWordsPrefixesTyposAndFilters() throws {
        let db = try TestEnvironment.connect()
        let owner = try Factory.user(db, role: .instructor)
        let tag = "zq" + Factory.uniqueEmail("t").split(separator: "@")[0].split(separator: "-").last!.prefix(6)
        let swift = try published(
            db, owner,
            #""title":"Quokkaserver Swift Mastery","tags":["\#(tag)"],"level":"advanced","price_minor":99900,"category":"development""#)
        let free = try published(
            db, owner,
            #""title":"Quokkaserver for Beginners","description":"Learn \#(tag) step by step","level":"beginner","category":"development""#)
        let draft = try #require(
            try call(
                CreateCourse.endpoint, "POST", "/api/v1/courses", json: #"{"title":"Quokkaserver Draft","tags":["\#(tag)"]}"#,
                token: owner.accessToken
            ).data["id"]?.string)

        let byTag = try search("q=\(tag)")
        #expect(byTag.status == 200)
        #expect(Set(byTag.ids) == [swift, free])
        #expect(!byTag.ids.contains(draft))
        #expect(byTag.ids.first == swift)  // the tag weighs more than the description
        #expect(Set(try search("q=quokkaserv").ids).isSuperset(of: [swift, free]))  // a prefix
        #expect(try search("q=Quokkaservre%20Swift%20Mastery").ids.contains(swift))  // a typo in the title
        #expect(try search("q=\(tag)&price=free").ids == [free])
        #expect(try search("q=\(tag)&level=advanced").ids == [swift])
        #expect(try search("q=\(tag)&price_min=50000").ids == [swift])
        #expect(try search("q=\(tag)&category=design").ids == [])
        #expect(try search("q=\(tag)&sort=price_asc").ids == [free, swift])
        #expect(try search("q=\(tag)&sort=price_desc").ids == [swift, free])
        let first = try search("q=\(tag)&limit=1&sort=price_asc")
        #expect(first.ids == [free])
        let cursor = try #require(first.response.data["next_cursor"]?.string)
        #expect(try search("q=\(tag)&limit=1&sort=price_asc&cursor=\(cursor)").ids == [swift])
        #expect(try search("q=%27%3B%20DROP%20TABLE%20courses%3B--").status == 200)
        #expect(try search("q=\(tag)%20mastery").ids == [swift])  // every word is required
        #expect(try search("q=\(tag)%20nowhereword").ids == [])
    }

    @Test func prefixesFindNewWordsAndBroadPrefixesStillWork() throws {
        let db = try TestEnvironment.connect()
        let owner = try Factory.user(db, role: .instructor)
        let stem = "zw" + Factory.uniqueEmail("t").split(separator: "@")[0].split(separator: "-").last!.prefix(6)
        // 40 distinct words under one prefix: more than the 32 a prefix is expanded to.
        let many = (1...40).map { "\(stem)w\($0)" }.joined(separator: " ")
        let broad = try published(db, owner, #""title":"Broad prefix course","description":"\#(many)""#)
        #expect(try search("q=\(stem)").ids == [broad])
        #expect(try search("q=\(stem)w3").ids == [broad])
        #expect(try db.query("SELECT count(*)::int AS n FROM catalog_words WHERE word LIKE \(stem + "%")").one().int("n") == 40)
        // A word that arrives with an edit is found by its prefix.
        #expect(
            try call(
                UpdateCourse.endpoint, "PATCH", "/api/v1/courses/\(broad)", json: #"{"title":"\#(stem)renamed course"}"#,
                token: owner.accessToken
            ).status == 200)
        try db.execute("UPDATE courses SET status = 'published' WHERE id = \(broad)")
        #expect(try search("q=\(stem)rena").ids == [broad])
    }

    @Test func refusesInvalidParameters() throws {
        let invalid = try search("sort=cheapest&level=expert&price=gratis&price_min=-1&min_rating=9&limit=500&language=klingon")
        #expect(invalid.status == 422)
        #expect(Set(invalid.response.failedFields) == ["sort", "level", "price", "price_min", "min_rating", "limit", "language"])
        #expect(try search("cursor=abc").status == 400)
        #expect(try search("").status == 200)
    }
}
