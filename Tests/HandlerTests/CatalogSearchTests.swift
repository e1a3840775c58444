import Auth
import Core
import Crypto
import Database
import Platform
import Runtime
import TestSupport
import Testing

@testable import Courses

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

    /// A page's summaries, written by hand, are byte for byte what `encodeJSON` writes for the
    /// `Summary` values of the same rows: nulls, a title to escape, a category and none, a
    /// fractional rating, and the order asked for.
    @Test func summariesAreWrittenAsTheEncoderWritesThem() throws {
        let db = try TestEnvironment.connect()
        let owner = try Factory.user(db, role: .instructor)
        let plain = try published(db, owner, #""title":"Plain course","level":"beginner""#)
        let quoted = try published(db, owner, #""title":"Quoted","subtitle":"Sub/title","level":"advanced","price_minor":49900"#)
        // Set here: the course form refuses control characters, which the encoder escapes.
        let title = "Quotes \"and\" \\ back\tslash \u{1} — é"
        try db.execute(
            """
            UPDATE courses SET title = \(title), rating_average = 4.35, rating_count = 7, enrollment_count = 12,
                   thumbnail_url = 'https://x.test/a.png', category_id = (SELECT id FROM categories ORDER BY id LIMIT 1)
            WHERE id = \(quoted)
            """)
        let ids = [quoted, plain]
        let written = try SearchCourses.summaries(db, ids: ids).bytes
        let expected = try ids.map { id in
            let row = try db.query(
                """
                SELECT c.id, c.title, c.subtitle, k.slug AS category, c.level, c.language, c.price_minor, c.currency,
                       c.thumbnail_url, c.rating_average::float8 AS rating_average, c.rating_count, c.enrollment_count,
                       c.published_at, u.id AS instructor_id, u.name AS instructor_name
                FROM courses c JOIN users u ON u.id = c.instructor_id LEFT JOIN categories k ON k.id = c.category_id
                WHERE c.id = \(id)
                """
            ).one()
            return SearchCourses.Summary(
                id: try row.string("id"), title: try row.string("title"), subtitle: try row.optionalString("subtitle"),
                category: try row.optionalString("category"), level: try row.string("level"), language: try row.string("language"),
                priceMinor: try row.int("price_minor"), currency: try row.string("currency"),
                thumbnailUrl: try row.optionalString("thumbnail_url"),
                ratingAverage: try row.double("rating_average"), ratingCount: try row.int("rating_count"),
                enrollmentCount: try row.int("enrollment_count"),
                instructor: .init(id: try row.string("instructor_id"), name: try row.string("instructor_name")),
                publishedAt: try row.optionalTimestamp("published_at"))
        }
        #expect(String(decoding: written, as: UTF8.self) == String(decoding: try encodeJSON(expected), as: UTF8.self))
        #expect(try SearchCourses.summaries(db, ids: []).bytes == Array("[]".utf8))
    }

    /// With `CATALOG_CACHE_SECONDS`, a process answers the same query from memory until the
    /// answer is that old: a course published meanwhile shows after it; refusals are never kept.
    @Test func aProcessKeepsEachCatalogAnswerForTheConfiguredSeconds() throws {
        let db = try TestEnvironment.connect()
        let owner = try Factory.user(db, role: .instructor)
        let letters = Array("bcdfghjklmnpqrstvwxz")
        let tag = "cach" + String(Crypto.randomBytes(6).map { letters[Int($0) % letters.count] })
        let first = try published(db, owner, #""title":"Caching \#(tag)","level":"beginner""#)
        func cached(_ query: String, seconds: String = "60") throws -> TestResponse {
            try call(
                SearchCourses.endpoint, "GET", "/api/v1/courses?\(query)",
                config: TestEnvironment.config(["CATALOG_CACHE_SECONDS": seconds]))
        }
        func ids(_ response: TestResponse) -> [String] {
            guard case .array(let items)? = response.data["items"] else { return [] }
            return items.compactMap { $0["id"]?.string }
        }
        #expect(ids(try cached("q=\(tag)")) == [first])
        let second = try published(db, owner, #""title":"Caching \#(tag) again","level":"beginner""#)
        #expect(ids(try cached("q=\(tag)")) == [first])  // kept
        #expect(Set(ids(try cached("q=\(tag)&limit=5"))) == [first, second])  // another query, its own answer
        #expect(Set(try search("q=\(tag)").ids) == [first, second])  // the cache off
        #expect(Set(ids(try cached("q=\(tag)", seconds: "0"))) == [first, second])
        // A refusal is made again each time, never kept.
        #expect(try cached("q=\(tag)&limit=0").status == 422)
        #expect(try cached("q=\(tag)&limit=0").status == 422)

        // The oldest answers go first once the cache is full.
        let small = ResponseCache(capacity: 2)
        var made = 0
        func answer(_ key: String) -> Response {
            small.response(key, seconds: 60) {
                made += 1
                return Response.ok(["key": key])
            }
        }
        _ = answer("a")
        _ = answer("b")
        _ = answer("a")
        #expect(made == 2)
        _ = answer("c")  // "a", the oldest, goes
        _ = answer("b")
        #expect(made == 3)
        _ = answer("a")
        #expect(made == 4)
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
        #expect(try search("q=\(word)x").ids == [course])  // one letter too many
        // Those share a one-letter deletion with the word (catalog_word_deletions); two letters
        // changed do not, and are found among the nearest words by trigrams.
        let deletions = Set(
            [word]
                + word.indices.map {
                    var shorter = word
                    shorter.remove(at: $0)
                    return shorter
                })
        let stored = try db.query("SELECT deletion FROM catalog_word_deletions WHERE word = \(word)").rows.map { try $0.string("deletion") }
        #expect(Set(stored) == deletions)
        var twice = Array(word)
        twice[1] = "x"
        twice[6] = "x"
        #expect(try search("q=\(String(twice))").ids == [course])
        #expect(try search("q=\(typo)%20course").ids == [course])  // the right word stays as it is
        #expect(try search("q=\(typo)&level=advanced").ids == [])  // filters still apply
        #expect(try search("q=zzzzzzzzzzzz").ids == [])  // nothing near: still nothing
    }

    /// Every sort, alone and with each filter, pages through ties (equal keys) by cursor with
    /// nothing missed and nothing repeated, in the order of a single page.
    @Test func cursorsWalkEverySortAndFilterThroughTies() throws {
        let db = try TestEnvironment.connect()
        let owner = try Factory.user(db, role: .instructor)
        let tag = "zk" + Factory.uniqueEmail("t").split(separator: "@")[0].split(separator: "-").last!.prefix(6)
        // (enrollments, price, rating, level): several equal keys in every sort.
        let shapes: [(Int, Int, String, String)] = [
            (5, 0, "4.50", "beginner"), (5, 10000, "4.50", "advanced"), (5, 10000, "3.00", "beginner"), (1, 10000, "3.00", "beginner"),
            (1, 20000, "3.00", "advanced"), (0, 20000, "0.00", "beginner"), (0, 0, "0.00", "beginner"),
        ]
        for (enrollments, price, rating, level) in shapes {
            let id = try published(db, owner, #""title":"Tied \#(tag)","level":"\#(level)","price_minor":\#(price)"#)
            try db.execute(
                """
                UPDATE courses SET enrollment_count = \(enrollments), rating_average = \(rating)::numeric,
                       published_at = '2026-01-01 00:00:00+00'::timestamptz + make_interval(secs => \(enrollments))
                WHERE id = \(id)
                """)
        }
        for sort in ["relevance", "newest", "popular", "rating", "price_asc", "price_desc"] {
            for filter in ["", "&level=beginner", "&price=paid", "&price_min=10000&price_max=15000", "&min_rating=3"] {
                let query = "q=\(tag)&sort=\(sort)\(filter)"
                let whole = try search(query + "&limit=50").ids
                var walked: [String] = []
                var cursor: String? = nil
                for _ in 0..<10 {
                    let page = try search(query + "&limit=2" + (cursor.map { "&cursor=" + $0 } ?? ""))
                    #expect(page.status == 200, "\(query): \(page.response.text)")
                    walked += page.ids
                    cursor = page.response.data["next_cursor"]?.string
                    if cursor == nil { break }
                }
                #expect(walked == whole, "\(query)")
                #expect(!whole.isEmpty, "\(query)")
            }
        }
        #expect(try search("q=\(tag)&limit=50").ids.count == 7)
        // A cursor is for the sort it was made for.
        let popular = try #require(try search("q=\(tag)&sort=popular&limit=2").response.data["next_cursor"]?.string)
        #expect(try search("q=\(tag)&sort=rating&limit=2&cursor=\(popular)").response.code == "bad_cursor")
    }

    /// Relevance: courses with the words in the title, subtitle or tags come first, then those
    /// with them in the description only; the most enrolled first within each; pages cross from
    /// one tier to the next by cursor without a gap.
    @Test func relevancePutsTitleMatchesFirstThenTheMostEnrolled() throws {
        let db = try TestEnvironment.connect()
        let owner = try Factory.user(db, role: .instructor)
        let tag = "zr" + Factory.uniqueEmail("t").split(separator: "@")[0].split(separator: "-").last!.prefix(6)
        func course(_ members: String, enrollments: Int) throws -> String {
            let id = try published(db, owner, members)
            try db.execute("UPDATE courses SET enrollment_count = \(enrollments) WHERE id = \(id)")
            return id
        }
        let titleFew = try course(#""title":"Learn \#(tag) slowly""#, enrollments: 3)
        let titleMany = try course(#""title":"Learn \#(tag) fast""#, enrollments: 40)
        let tagged = try course(#""title":"Something else","tags":["\#(tag)"]"#, enrollments: 10)
        let describedMost = try course(#""title":"Other things","description":"Mentions \#(tag) once""#, enrollments: 900)
        let describedLess = try course(#""title":"More things","description":"Also \#(tag)""#, enrollments: 100)
        let expected = [titleMany, tagged, titleFew, describedMost, describedLess]
        #expect(try search("q=\(tag)").ids == expected)
        var walked: [String] = []
        var cursor: String? = nil
        for _ in 0..<5 {
            let page = try search("q=\(tag)&limit=2" + (cursor.map { "&cursor=" + $0 } ?? ""))
            walked += page.ids
            cursor = page.response.data["next_cursor"]?.string
            if cursor == nil { break }
        }
        #expect(walked == expected)
        #expect(try search("q=\(tag)&limit=3").ids == Array(expected.prefix(3)))  // a page that ends on a tier's last course
        let third = try #require(try search("q=\(tag)&limit=3").response.data["next_cursor"]?.string)
        #expect(try search("q=\(tag)&limit=3&cursor=\(third)").ids == Array(expected.suffix(2)))
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
        try db.execute("UPDATE courses SET status = 'published', published_at = now() WHERE id = \(broad)")
        #expect(try search("q=\(stem)rena").ids == [broad])
    }

    /// Stop words of a course's language are not indexed, and stop words of the language
    /// searched (English unless `language` says otherwise) are dropped from the query: they
    /// restrict nothing and rank nothing. Stop words alone fall back to similar titles.
    @Test func stopWordsAreDroppedPerLanguage() throws {
        let db = try TestEnvironment.connect()
        let owner = try Factory.user(db, role: .instructor)
        let tag = "zs" + Factory.uniqueEmail("t").split(separator: "@")[0].split(separator: "-").last!.prefix(6)
        let english = try published(db, owner, #""title":"The art of \#(tag) and how to use it","language":"en""#)
        let spanish = try published(db, owner, #""title":"El arte de \#(tag) para todos","language":"es""#)
        func indexed(_ id: String) throws -> Set<String> {
            Set(
                try db.query("SELECT unnest(tsvector_to_array(search)) AS word FROM courses WHERE id = \(id)").rows.map {
                    try $0.string("word")
                })
        }
        #expect(try indexed(english) == [tag, "art", "use"])  // the, of, and, how, to, it: English stop words
        #expect(try indexed(spanish) == [tag, "arte"])  // el, de, para, todos: Spanish stop words
        #expect(Set(try search("q=\(tag)").ids) == [english, spanish])
        // "how to" and "the" restrict nothing: the same two courses, by relevance.
        #expect(Set(try search("q=how%20to%20\(tag)").ids) == [english, spanish])
        #expect(Set(try search("q=the%20\(tag)%20of").ids) == [english, spanish])
        // Searching Spanish courses, "de" is dropped ("de" is no English stop word: without a
        // language it is a word the Spanish course does not index).
        #expect(try search("q=de%20\(tag)&language=es").ids == [spanish])
        #expect(try search("q=arte%20\(tag)").ids == [spanish])
        // Stop words alone: titles that look like them (6 letters or more), never an error.
        #expect(try search("q=how%20to").status == 200)
        #expect(try search("q=the").ids == [])
        let short = try published(db, owner, #""title":"Into it","language":"en""#)
        #expect(try search("q=into%20its").ids.contains(short))  // similar enough, 7 letters
        #expect(!(try search("q=into").ids.contains(short)))  // 4 letters: not looked for
        // A course's language decides again when it changes.
        try db.execute("UPDATE courses SET language = 'en' WHERE id = \(spanish)")
        #expect(try indexed(spanish) == [tag, "el", "arte", "de", "para", "todos"])  // none is an English stop word
        #expect(try search("q=de%20\(tag)").ids == [spanish])
    }

    /// `catalog_words.courses` counts the courses holding each word through inserts, edits and
    /// deletes (the search reads it to choose how to read a query's matches).
    @Test func wordCountsFollowInsertsEditsAndDeletes() throws {
        let db = try TestEnvironment.connect()
        let owner = try Factory.user(db, role: .instructor)
        let word = "zc" + Factory.uniqueEmail("t").split(separator: "@")[0].split(separator: "-").last!.prefix(6)
        func count() throws -> Int { try db.query("SELECT courses FROM catalog_words WHERE word = \(word)").one().int("courses") }
        let ids = try db.query(
            """
            INSERT INTO courses (instructor_id, title, description, status, published_at)
            SELECT \(owner.id), 'Course ' || n, \(word) || ' ' || \(word) || ' and more', 'published', now()
            FROM generate_series(1, 30) AS n RETURNING id
            """
        ).rows.map { try $0.string("id") }
        #expect(try count() == 30)  // once per course, however often it says the word
        let first = try #require(ids.first)
        try db.execute("UPDATE courses SET description = 'nothing here' WHERE id = \(first)")
        #expect(try count() == 29)
        try db.execute("UPDATE courses SET enrollment_count = 5 WHERE id = \(first)")  // counters do not touch words
        try db.execute("UPDATE courses SET title = \(word) || ' again' WHERE id = \(first)")
        #expect(try count() == 30)
        try db.execute("DELETE FROM courses WHERE id = ANY(\(TextArray(Array(ids.prefix(10))))::uuid[])")
        #expect(try count() == 20)
    }

    /// A word in more courses than `QueryPlan.fewMatches` is read tier by tier in popularity
    /// order, a narrower query all at once; both give the order relevance defines (tier, then
    /// enrollments, then id), page after page.
    @Test func broadAndNarrowQueriesRankAlike() throws {
        let db = try TestEnvironment.connect()
        let owner = try Factory.user(db, role: .instructor)
        let word = "zb" + Factory.uniqueEmail("t").split(separator: "@")[0].split(separator: "-").last!.prefix(6)
        let total = SearchCourses.QueryPlan.fewMatches + 100
        // Every 10th course has the word in its title; enrollments repeat, so ties go by id.
        try db.execute(
            """
            INSERT INTO courses (instructor_id, title, description, tags, status, published_at, enrollment_count)
            SELECT \(owner.id), CASE WHEN n % 10 = 0 THEN 'About ' || \(word) ELSE 'Course ' || n END,
                   'Text with ' || \(word) || CASE WHEN n % 3 = 0 THEN ' and narrowing' ELSE '' END,
                   CASE WHEN n % 3 = 0 THEN ARRAY[\(word) || 'x'] ELSE '{}' END, 'published', now(), n % 37
            FROM generate_series(1, \(total)) AS n
            """)
        func expected(_ condition: String) throws -> [String] {
            try db.query(
                """
                SELECT id FROM courses
                WHERE status = 'published' AND search @@ CAST(\(condition) AS tsquery)
                ORDER BY (rank_vector @@ CAST(\(condition) AS tsquery)) DESC, enrollment_count DESC, id DESC
                """
            ).rows.map { try $0.string("id") }
        }
        func walk(_ query: String, pages: Int) throws -> [String] {
            var walked: [String] = []
            var cursor: String? = nil
            for _ in 0..<pages {
                let page = try search(query + "&limit=50" + (cursor.map { "&cursor=" + $0 } ?? ""))
                #expect(page.status == 200, "\(query): \(page.response.text)")
                walked += page.ids
                cursor = page.response.data["next_cursor"]?.string
                if cursor == nil { break }
            }
            return walked
        }
        // Every word is a prefix: the word also finds its tag (word + "x").
        let broad = try expected("\(word):*")
        #expect(broad.count == total)
        // The first pages, across the end of the title tier (160 courses) into the description's.
        #expect(try walk("q=\(word)", pages: 5) == Array(broad.prefix(250)))
        // Narrower: the word and "narrowing" (a third of them), all at once; the same order.
        let narrow = try expected("\(word):* & narrowing:*")
        #expect(narrow.count == total / 3)
        #expect(try walk("q=\(word)%20narrowing", pages: 20) == narrow)
        // With a popular band (courses with 30+ enrollments here, about a fifth), pages that
        // the band holds come from it, the rest from the whole tier: the same order.
        try db.execute(
            """
            INSERT INTO catalog_band (min_enrollments) VALUES (30)
            ON CONFLICT (only_row) DO UPDATE SET min_enrollments = excluded.min_enrollments
            """)
        defer { _ = try? db.execute("DELETE FROM catalog_band") }
        #expect(try walk("q=\(word)", pages: 5) == Array(broad.prefix(250)))
        #expect(try walk("q=\(word)&limit=7", pages: 3) == Array(broad.prefix(21)))
    }
    @Test func refusesInvalidParameters() throws {
        let invalid = try search("sort=cheapest&level=expert&price=gratis&price_min=-1&min_rating=9&limit=500&language=klingon")
        #expect(invalid.status == 422)
        #expect(Set(invalid.response.failedFields) == ["sort", "level", "price", "price_min", "min_rating", "limit", "language"])
        #expect(try search("cursor=abc").status == 400)
        #expect(try search("").status == 200)
    }
}
