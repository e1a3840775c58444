import Auth
import Core
import Crypto
import Database
import Runtime

/// `GET /api/v1/courses`: the public catalog (published courses only).
/// - `q`: full-text search over title, subtitle, tags and description, every word required,
///   with prefixes (`swi` finds Swift), ranked; when nothing matches, each word is corrected to
///   the indexed words within one or two edits (`pytohn` finds Python), then titles that look
///   like the query (pg_trgm);
/// - filters: `category` (slug), `level`, `language`, `price` (`free` or `paid`),
///   `price_min`/`price_max` (minor units), `min_rating`;
/// - `sort`: `relevance` (default with `q`: words in the title, subtitle or tags first, then in
///   the description; the most enrolled first within each), `newest` (default without), `popular`, `rating`,
///   `price_asc`, `price_desc`; every order ends with the id, so pages are stable;
/// - `limit` (1...50, default 20) and `cursor` (from `next_cursor`).
public enum SearchCourses {
    public static let endpoint = Endpoint(.get, "/api/v1/courses", access: .anyone, mode: .fastcgi, processes: 4, handle)

    /// A course in a page: the shape `write` produces by hand (and its test's reference).
    struct Summary: Encodable, Sendable {
        var id: String
        var title: String
        @Nullable var subtitle: String?
        @Nullable var category: String?
        var level: String
        var language: String
        var priceMinor: Int
        var currency: String
        @Nullable var thumbnailUrl: String?
        var ratingAverage: Double
        var ratingCount: Int
        var enrollmentCount: Int
        var instructor: Instructor
        @Nullable var publishedAt: String?

        struct Instructor: Encodable, Sendable {
            var id: String
            var name: String
        }
    }

    static let sorts = ["relevance", "newest", "popular", "rating", "price_asc", "price_desc"]

    /// The answer is the same for every caller, so a process keeps each for
    /// `CATALOG_CACHE_SECONDS` (default 5; 0: off): popular queries and the browsing pages are
    /// made once per process every few seconds, and a change shows within that time.
    static let cache = ResponseCache()

    public static func handle(_ context: Context) throws -> Response {
        try cache.response(context.request.rawQuery, seconds: context.config.int("CATALOG_CACHE_SECONDS", default: 5)) {
            try search(context)
        }
    }

    static func search(_ context: Context) throws -> Response {
        let request = context.request
        var errors: [FieldError] = []
        func fail(_ field: String, _ message: String) { errors.append(FieldError(field: field, message: message)) }
        let q = (request.queryValue("q") ?? "").trimmed()
        if q.unicodeScalars.count > 200 { fail("q", "must be at most 200 characters") }
        let words = searchWords(q)
        let sort = request.queryValue("sort") ?? (words.isEmpty ? "newest" : "relevance")
        if !sorts.contains(sort) { fail("sort", "must be one of: " + sorts.joined(separator: ", ")) }
        if sort == "relevance" && words.isEmpty && request.queryValue("sort") != nil { fail("sort", "relevance needs q") }
        let level = request.queryValue("level")
        if let level, !CourseInput.levels.contains(level) { fail("level", "must be one of: " + CourseInput.levels.joined(separator: ", ")) }
        let language = request.queryValue("language")
        if let language, !CourseInput.isLanguage(language) { fail("language", "must be a language code such as en") }
        let category = request.queryValue("category")
        if let category, category.utf8.count > 64 { fail("category", "is not a category") }
        let price = request.queryValue("price")
        if let price, price != "free" && price != "paid" { fail("price", "must be free or paid") }
        func integer(_ name: String, _ range: ClosedRange<Int>) -> Int? {
            guard let text = request.queryValue(name) else { return nil }
            guard let value = Int(text), range.contains(value) else {
                fail(name, "must be a whole number from \(range.lowerBound) to \(range.upperBound)")
                return nil
            }
            return value
        }
        let priceMin = integer("price_min", 0...100_000_000)
        let priceMax = integer("price_max", 0...100_000_000)
        var minRating: Double?
        if let text = request.queryValue("min_rating") {
            if let value = Double(text), (0...5).contains(value) {
                minRating = value
            } else {
                fail("min_rating", "must be a number from 0 to 5")
            }
        }
        let limit = integer("limit", 1...50) ?? 20
        if !errors.isEmpty { throw APIError.invalid(errors) }
        let after = try request.queryValue("cursor").map { try Cursor.decode($0, sort: sort) }

        // Only the filters given become conditions: a catch-all `($1 IS NULL OR ...)` would keep
        // PostgreSQL from planning index use for a prepared statement.
        var filters: SQL = "c.status = 'published'"
        func and(_ condition: SQL) { filters = "\(fragment: filters) AND \(fragment: condition)" }
        if let category { and("c.category_id = (SELECT id FROM categories WHERE slug = \(category))") }
        if let level { and("c.level = \(level)") }
        if let language { and("c.language = \(language)") }
        if let price { and(price == "free" ? "c.price_minor = 0" : "c.price_minor > 0") }
        if let priceMin { and("c.price_minor >= \(priceMin)") }
        if let priceMax { and("c.price_minor <= \(priceMax)") }
        if let minRating { and("c.rating_average >= \(minRating)") }
        let key = Cursor.key(sort)
        let order: SQL = sort == "price_asc" ? "\(fragment: key.column), c.id" : "\(fragment: key.column) DESC, c.id DESC"
        /// Keyset: the page starts after the previous page's last course (by the sort's key, then
        /// id). Relevance pages go by tier instead (`keyset(_:tier:)`).
        func page(_ filters: SQL) -> SQL {
            guard let after else { return filters }
            let comparison: SQL = sort == "price_asc" ? ">" : "<"
            return """
                \(fragment: filters) AND (\(fragment: key.column), c.id) \(fragment: comparison)
                    (CAST(\(after.key) AS \(fragment: key.type)), CAST(\(after.id) AS uuid))
                """
        }
        let byPopularity: SQL = "c.enrollment_count DESC, c.id DESC"
        /// Relevance pages continue within their tier (`a:` words in title, subtitle or tags;
        /// `b:` in the description only), by enrollments and id; a later tier starts at its top.
        func keyset(_ filters: SQL, tier: Int) -> SQL {
            guard let after, let key = Cursor.relevance(after.key), key.tier == tier else { return filters }
            return "\(fragment: filters) AND (c.enrollment_count, c.id) < (\(key.enrollments), CAST(\(after.id) AS uuid))"
        }
        let db = try context.db()
        var rows: [Row] = []
        // Typo corrections and similar titles answer one page: no cursor follows them.
        var typoCorrected = false
        if words.isEmpty {
            rows = try db.query(select(rank: "0", filters: page(filters), order: order, key: key.column, limit: limit + 1)).rows
        } else {
            let plan = try QueryPlan.read(db, words: words, language: language)
            /// Whether the query holds more than one word once stop words are dropped.
            let severalWords = plan.query?.contains(" & ") == true
            /// The page of courses matching a query, in the requested order. `estimate`: at most
            /// this many courses hold every word (nil: more than we can tell).
            func matches(_ query: SQL, estimate: Int?) throws -> [Row] {
                let matched: SQL = "\(fragment: filters) AND c.search @@ \(fragment: query)"
                guard sort == "relevance" else {
                    // Planned for the query's value: a broad word reads the sort's index in order
                    // and stops after a page, a rare one reads its few matches from the GIN index.
                    return try db.query(
                        select(rank: "0", filters: page(matched), order: order, key: key.column, limit: limit + 1), reusePlan: false
                    ).rows
                }
                // Relevance: courses whose title, subtitle or tags hold the words (tier 1) before
                // those whose description does (tier 0); within each, the most enrolled first.
                if let estimate, estimate <= QueryPlan.fewMatches, severalWords {
                    // Few matches of several words: all of them from the full-text index, tiered
                    // and sorted in one statement (a bitmap scan and a top-N sort, bounded by the
                    // estimate; the words together usually match far fewer courses than it).
                    let tier: SQL = "(c.rank_vector @@ \(fragment: query))::int"
                    var filtered = matched
                    if let after, let (afterTier, enrollments) = Cursor.relevance(after.key) {
                        filtered = """
                            \(fragment: matched) AND (\(fragment: tier), c.enrollment_count, c.id)
                                < (\(afterTier), \(enrollments), CAST(\(after.id) AS uuid))
                            """
                    }
                    return try db.query(
                        select(
                            rank: tier, filters: filtered, order: "rank DESC, \(fragment: byPopularity)", key: "c.enrollment_count",
                            limit: limit + 1)
                    ).rows
                }
                // Otherwise each tier is its own statement, the title tier first:
                // - few matches of one word: from each tier's full-text index, a bitmap scan and a
                //   top-N sort whose cost the estimate bounds (`+ 0` keeps PostgreSQL off the
                //   popularity index: for a word rare in titles it would read past most of the
                //   catalog in order, 200-300 ms in the benchmark's mix). The title tier of a rare
                //   word often fills the page alone (25 courses of 750 for one word: 0.2 ms,
                //   against 1.6 ms to rank all 750);
                // - many matches: from the popularity index in order, so the top of a broad word
                //   costs a page, not every match (statements planned for the query's values).
                let few = estimate.map { $0 <= QueryPlan.fewMatches } ?? false
                let tierOrder: SQL = few ? "c.enrollment_count + 0 DESC, c.id DESC" : byPopularity
                var tierA: [Row] = []
                if after == nil || after?.key.hasPrefix("a:") == true {
                    tierA = try db.query(
                        select(
                            rank: "1", filters: keyset("\(fragment: filters) AND c.rank_vector @@ \(fragment: query)", tier: 1),
                            order: tierOrder, key: "c.enrollment_count", limit: limit + 1), reusePlan: few
                    ).rows
                }
                guard tierA.count <= limit else { return tierA }
                let needed = limit + 1 - tierA.count
                let tierB = keyset("\(fragment: matched) AND NOT c.rank_vector @@ \(fragment: query)", tier: 0)
                // Many matches: the popular band first (CatalogBand): when it holds the rest of the
                // page, that is the top of the whole tier, read from an index a tenth as large.
                let continuesBelowBand = after.flatMap { Cursor.relevance($0.key) }.map { $0.tier == 0 && $0.enrollments < plan.band ?? 0 }
                if !few, let band = plan.band, continuesBelowBand != true {
                    let top = try db.query(
                        select(
                            rank: "0", filters: "\(fragment: tierB) AND c.enrollment_count >= \(band)", order: byPopularity,
                            key: "c.enrollment_count", limit: needed), reusePlan: false
                    ).rows
                    if top.count == needed { return tierA + top }
                }
                return try tierA
                    + db.query(
                        select(rank: "0", filters: tierB, order: tierOrder, key: "c.enrollment_count", limit: needed), reusePlan: few
                    ).rows
            }
            if let query = plan.query, !plan.missing, plan.estimate != 0 {
                rows = try matches("CAST(\(query) AS tsquery)", estimate: plan.estimate)
            }
            if rows.isEmpty && after == nil {
                typoCorrected = true
                // Typos: a word no indexed word starts with became the indexed words within one
                // or two edits (QueryPlan); the other words stay as they were.
                if plan.missing, let corrected = plan.corrected {
                    rows = try matches("CAST(\(corrected) AS tsquery)", estimate: plan.correctedEstimate)
                }
                // Then titles that look like the query (also the answer to stop words alone), for
                // 6 letters or more: a shorter query shares a trigram with most titles (the index
                // hands PostgreSQL half the catalog to recheck, 50-200 ms) and is similar to none.
                if rows.isEmpty, words.reduce(0, { $0 + $1.count }) >= 6 {
                    let similar: SQL = "\(fragment: filters) AND c.title % \(q)"
                    let similarity: SQL = "similarity(c.title, \(q)) - 1"
                    // No cursor follows: the key is the sort's column, or the similarity itself.
                    rows = try db.query(
                        select(
                            rank: similarity, filters: similar, order: order, key: sort == "relevance" ? similarity : key.column,
                            limit: limit + 1)
                    ).rows
                }
            }
        }
        let items = try summaries(db, ids: rows.prefix(limit).map { try $0.string("id") })
        let last = rows.count > limit && !typoCorrected ? rows[limit - 1] : nil
        let next = try last.map { row in
            // Relevance: the tier (a: title, subtitle or tags; b: description) and the enrollments.
            var key = try row.string("sort_key")
            if sort == "relevance" { key = (try row.int("rank") == 1 ? "a:" : "b:") + key }
            return Cursor.encode(sort: sort, key: key, id: try row.string("id"))
        }
        return .ok(Page(items: items, nextCursor: next))
    }

    /// A page's ids, its rank and sort key: filters, order and limit on `courses` alone, planned
    /// for the request's values. When an index holds every column the statement needs (as the
    /// popularity index holds the ranking vector), PostgreSQL reads no table row for the
    /// courses it skips.
    static func select(rank: SQL, filters: SQL, order: SQL, key: SQL, limit: Int) -> SQL {
        """
        SELECT c.id, \(fragment: rank) AS rank, (\(fragment: key))::text AS sort_key
        FROM courses c
        WHERE \(fragment: filters)
        ORDER BY \(fragment: order)
        LIMIT \(limit)
        """
    }

    /// A page: `items` are `Summary` values as `encodeJSON` writes them (`summaries`).
    struct Page: Encodable, Sendable {
        var items: RawJSON
        @Nullable var nextCursor: String?
    }

    /// The page's courses with their instructors and categories, in the order of `ids`, as the
    /// `Summary` values `encodeJSON` would write (`write`). Its own statement, the same for every
    /// page (a prepared plan), so that the search statements stay on one table: planning them
    /// with these joins took 0.4 ms a search, more than most of them take to run.
    static func summaries(_ db: Connection, ids: [String]) throws -> RawJSON {
        guard !ids.isEmpty else { return RawJSON(written: Array("[]".utf8)) }
        let rows = try db.query(
            """
            SELECT c.id, c.title, c.subtitle, k.slug AS category, c.level, c.language, c.price_minor, c.currency,
                   c.thumbnail_url, c.rating_average::float8 AS rating_average, c.rating_count, c.enrollment_count,
                   c.published_at, u.id AS instructor_id, u.name AS instructor_name
            FROM unnest(\(TextArray(ids))::uuid[]) WITH ORDINALITY AS p (id, i)
            JOIN courses c ON c.id = p.id
            JOIN users u ON u.id = c.instructor_id
            LEFT JOIN categories k ON k.id = c.category_id
            ORDER BY p.i
            """
        ).rows
        return try write(rows)
    }

    /// The rows of `summaries` written as `encodeJSON([Summary])` writes them (keys sorted), by
    /// hand: 20 summaries through the generic encoder cost a browsing request 0.3 ms, a fifth of
    /// all the CPU time it took (nginx's and PostgreSQL's included); PostgreSQL's
    /// `json_build_object` took 0.12 ms.
    static func write(_ rows: [Row]) throws -> RawJSON {
        var out: [UInt8] = [UInt8(ascii: "[")]
        out.reserveCapacity(480 * rows.count + 2)
        func key(_ name: StaticString) {
            name.withUTF8Buffer { out.append(contentsOf: $0) }
        }
        for (index, row) in rows.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            key(#"{"category":"#)
            JSONWrite.string(try row.optionalString("category"), to: &out)
            key(#","currency":"#)
            JSONWrite.string(try row.string("currency"), to: &out)
            key(#","enrollment_count":"#)
            JSONWrite.number(try row.int("enrollment_count"), to: &out)
            key(#","id":"#)
            JSONWrite.string(try row.string("id"), to: &out)
            key(#","instructor":{"id":"#)
            JSONWrite.string(try row.string("instructor_id"), to: &out)
            key(#","name":"#)
            JSONWrite.string(try row.string("instructor_name"), to: &out)
            key(#"},"language":"#)
            JSONWrite.string(try row.string("language"), to: &out)
            key(#","level":"#)
            JSONWrite.string(try row.string("level"), to: &out)
            key(#","price_minor":"#)
            JSONWrite.number(try row.int("price_minor"), to: &out)
            key(#","published_at":"#)
            JSONWrite.string(try row.optionalTimestamp("published_at"), to: &out)
            key(#","rating_average":"#)
            try JSONWrite.number(try row.double("rating_average"), to: &out)
            key(#","rating_count":"#)
            JSONWrite.number(try row.int("rating_count"), to: &out)
            key(#","subtitle":"#)
            JSONWrite.string(try row.optionalString("subtitle"), to: &out)
            key(#","thumbnail_url":"#)
            JSONWrite.string(try row.optionalString("thumbnail_url"), to: &out)
            key(#","title":"#)
            JSONWrite.string(try row.string("title"), to: &out)
            out.append(UInt8(ascii: "}"))
        }
        out.append(UInt8(ascii: "]"))
        return RawJSON(written: out)
    }

    /// `next_cursor`: the sort, its key and the id of a page's last course (keyset pagination:
    /// the next page reads on from there in the sort's index, however deep).
    enum Cursor {
        /// The sort's key: the column to order by and the type a cursor's key is read back as.
        static func key(_ sort: String) -> (column: SQL, type: SQL) {
            switch sort {
            case "relevance": ("rank", "float4")
            case "popular": ("c.enrollment_count", "integer")
            case "rating": ("c.rating_average", "numeric")
            case "price_asc", "price_desc": ("c.price_minor", "bigint")
            default: ("c.published_at", "timestamptz")
            }
        }

        /// A relevance key's tier (1: title, subtitle or tags; 0: description) and enrollments.
        static func relevance(_ key: String) -> (tier: Int, enrollments: Int)? {
            guard let enrollments = Int(key.dropFirst(2)) else { return nil }
            if key.hasPrefix("a:") { return (1, enrollments) }
            if key.hasPrefix("b:") { return (0, enrollments) }
            return nil
        }

        static func encode(sort: String, key: String, id: String) -> String {
            Base64URL.encode(Array("k|\(sort)|\(key)|\(id)".utf8))
        }

        /// A cursor this list handed out for this sort, or 400 `bad_cursor`.
        static func decode(_ cursor: String, sort: String) throws -> (key: String, id: String) {
            let bad = APIError.badRequest("The cursor is not valid.", code: "bad_cursor")
            guard cursor.utf8.count <= 200, let bytes = Base64URL.decode(Substring(cursor)),
                let text = String(validating: bytes, as: UTF8.self)
            else { throw bad }
            let parts = text.split(separator: "|", omittingEmptySubsequences: false)
            guard parts.count == 4, parts[0] == "k", parts[1] == sort, isUUID(String(parts[3])) else { throw bad }
            let key = parts[2]
            let valid: Bool
            switch sort {
            case "relevance":
                // The tier (a: title, subtitle or tags; b: description) and the enrollments.
                valid = (key.hasPrefix("a:") || key.hasPrefix("b:")) && Int32(key.dropFirst(2)).map { $0 >= 0 } == true
            case "popular", "price_asc", "price_desc": valid = Int64(key) != nil
            case "rating": valid = key.utf8.count <= 8 && Double(key) != nil && key.utf8.allSatisfy { ($0 >= 48 && $0 <= 57) || $0 == 46 }
            default: valid = CourseCursor.isTimestamp(key)
            }
            guard valid else { throw bad }
            return (String(key), String(parts[3]))
        }
    }

    /// Lowercased words of letters and digits (anything else separates words), at most 8.
    static func searchWords(_ q: String) -> [String] {
        var words: [String] = []
        var current = ""
        for character in q.lowercased() {
            if character.isLetter || character.isNumber {
                current.append(character)
            } else if !current.isEmpty {
                words.append(current)
                current = ""
            }
        }
        if !current.isEmpty { words.append(current) }
        return Array(words.prefix(8))
    }
}
