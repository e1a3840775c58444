import Core
import Database

extension SearchCourses {
    /// What the words of a catalog query stand for, read in one statement before the search:
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
            let row = try db.query(
                """
                SELECT string_agg(w.term, ' & ' ORDER BY w.i) AS query, min(w.estimate) AS estimate,
                       coalesce(bool_or(w.missing), false) AS missing,
                       string_agg(coalesce(w.correction, w.term), ' & ' ORDER BY w.i) AS corrected,
                       min(coalesce(w.correction_estimate, w.estimate)) AS corrected_estimate,
                       (SELECT b.min_enrollments FROM catalog_band b) AS band
                FROM (
                    SELECT t.i, e.n = 0 AS missing,
                           CASE WHEN e.n BETWEEN 1 AND 32 THEN e.alternatives ELSE quote_literal(t.word) || ':*' END AS term,
                           CASE WHEN e.n <= 32 THEN coalesce(e.courses, 0) END AS estimate,
                           x.correction, x.correction_estimate
                    FROM unnest(\(TextArray(words))::text[]) WITH ORDINALITY AS t (word, i)
                    CROSS JOIN LATERAL (
                        SELECT count(*) AS n, '(' || string_agg(quote_literal(a.word), ' | ') || ')' AS alternatives,
                               sum(a.courses)::int AS courses
                        FROM (SELECT c.word, c.courses FROM catalog_words c
                              WHERE c.word >= t.word AND c.word < t.word || chr(1114111) AND c.courses > 0
                              ORDER BY c.word LIMIT 33) AS a) AS e
                    CROSS JOIN LATERAL (
                        SELECT '(' || string_agg(quote_literal(k.word), ' | ') || ')' AS correction,
                               sum(k.courses)::int AS correction_estimate
                        FROM (SELECT c.word, c.courses FROM catalog_words c
                              WHERE e.n = 0 AND c.courses > 0
                                AND c.word IN (SELECT d.word FROM catalog_word_deletions d
                                               WHERE d.deletion = ANY (\(TextArray(deletions(words)))::text[]))
                                AND levenshtein(c.word, t.word) <= CASE WHEN length(t.word) >= 5 THEN 2 ELSE 1 END
                              ORDER BY levenshtein(c.word, t.word), c.courses DESC LIMIT 20) AS k
                    ) AS near
                    CROSS JOIN LATERAL (
                        SELECT coalesce(near.correction, '(' || string_agg(quote_literal(k.word), ' | ') || ')') AS correction,
                               coalesce(near.correction_estimate, sum(k.courses)::int) AS correction_estimate
                        FROM (SELECT c.word, c.courses FROM catalog_words c WHERE e.n = 0 AND near.correction IS NULL
                              ORDER BY c.word <-> t.word LIMIT 20) AS k
                        WHERE k.courses > 0 AND levenshtein(k.word, t.word) <= CASE WHEN length(t.word) >= 5 THEN 2 ELSE 1 END
                    ) AS x
                    WHERE to_tsvector(lms_search_config(\(language ?? "en")), t.word) <> ''::tsvector
                ) AS w
                """
            ).one()
            return QueryPlan(
                query: try row.optionalString("query"), estimate: try row.optionalInt("estimate"), missing: try row.bool("missing"),
                corrected: try row.optionalString("corrected"), correctedEstimate: try row.optionalInt("corrected_estimate"),
                band: try row.optionalInt("band"))
        }
    }
}
