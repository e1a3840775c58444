import Core
import Database

extension SearchCourses {
    /// What the words of a catalog query stand for, read in one statement before the search
    /// (`catalog_query_plan`, migrations 0015 and 0030):
    /// - stop words of the language searched (`language`, else English) are dropped: courses are
    ///   indexed without their language's stop words (migration 0015), so "how to python" is
    ///   "python";
    /// - every other word is a prefix, expanded to the indexed words it stands for (up to 32:
    ///   the GIN index intersects exact words far faster than prefix ranges; a broader prefix
    ///   stays a prefix);
    /// - `estimate`: at most this many courses hold every word (the rarest word's count, from
    ///   `catalog_words.courses`), which decides how the matches are read; nil when a broad
    ///   prefix makes it unknown;
    /// - a word that no indexed word starts with makes the query match nothing (`missing`);
    ///   `corrected` replaces each such word with the indexed words within one edit (two for
    ///   words of 5+ letters), the others staying as they are: those sharing a one-letter
    ///   deletion with it (`catalog_word_deletions`, a few index probes), else among its 20
    ///   nearest by trigrams (`word <-> 'tbuac'`, KNN on a GiST index).
    public struct QueryPlan {
        /// At most this many matches: read them all from the full-text index (a bitmap scan and
        /// a top-N sort in one statement); more: read each relevance tier in popularity order.
        public static let fewMatches = 1500

        var query: String?
        var estimate: Int?
        var missing: Bool
        var corrected: String?
        var correctedEstimate: Int?
        /// The popular band's threshold (CatalogBand), if the catalog has one.
        var band: Int?

        /// Each word of 3+ letters and its one-letter deletions, as `lms_deletions` makes them
        /// for `catalog_word_deletions` (letters are code points in both): the typo candidates
        /// of every word at once (each word keeps those within its own edits).
        static func deletions(_ words: [String]) -> [String] {
            var all: Set<String> = []
            for word in words where word.unicodeScalars.count >= 3 {
                let scalars = Array(word.unicodeScalars)
                all.insert(word)
                for index in scalars.indices {
                    var shorter = String.UnicodeScalarView()
                    shorter.append(contentsOf: scalars[..<index])
                    shorter.append(contentsOf: scalars[(index + 1)...])
                    all.insert(String(shorter))
                }
            }
            return all.sorted()
        }

        static func read(_ db: Connection, words: [String], language: String?) throws -> QueryPlan {
            // One function (migration 0030) so that PostgreSQL plans the statement once per
            // connection: as a prepared statement it was planned for every search's words.
            let row = try db.query(
                """
                SELECT * FROM catalog_query_plan(\(TextArray(words))::text[], \(TextArray(deletions(words)))::text[], \(language ?? "en"))
                """
            ).one()
            return QueryPlan(
                query: try row.optionalString("query"), estimate: try row.optionalInt("estimate"), missing: try row.bool("missing"),
                corrected: try row.optionalString("corrected"), correctedEstimate: try row.optionalInt("corrected_estimate"),
                band: try row.optionalInt("band"))
        }
    }
}
