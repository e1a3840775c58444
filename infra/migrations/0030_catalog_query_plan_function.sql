-- The catalog's query plan (SearchCourses.QueryPlan): what each word of a search stands for, its
-- estimate and its typo corrections. As one prepared statement, PostgreSQL planned it anew for
-- every search (about 0.6 ms, ten times its execution): a generic plan's estimate for an unknown
-- array of words is higher than a custom plan's for the words given, so the plan cache never
-- kept one. In a function whose settings force generic plans, each plan is made once per
-- connection and reused (they are the same for any words); and the statement with the typo
-- corrections, whose plan takes a fifth of a search's time just to set up, runs only for a word
-- that no indexed word starts with.
CREATE FUNCTION catalog_query_plan(words text[], deletions text[], language text)
RETURNS TABLE (query text, estimate int, missing boolean, corrected text, corrected_estimate int, band int)
LANGUAGE plpgsql STABLE SET plan_cache_mode = force_generic_plan AS $fn$
DECLARE
    -- Once per call: inside the statement, a generic plan would call it for every word.
    config regconfig := lms_search_config(language);
BEGIN
    -- The words as the index knows them: each word that is not a stop word of the language
    -- becomes the indexed words it is a prefix of (up to 32), with their course counts.
    SELECT string_agg(w.term, ' & ' ORDER BY w.i), min(w.estimate)::int, coalesce(bool_or(w.missing), false)
    INTO query, estimate, missing
    FROM (
        SELECT t.i, e.n = 0 AS missing,
               CASE WHEN e.n BETWEEN 1 AND 32 THEN e.alternatives ELSE quote_literal(t.word) || ':*' END AS term,
               CASE WHEN e.n <= 32 THEN coalesce(e.courses, 0) END AS estimate
        FROM unnest(catalog_query_plan.words) WITH ORDINALITY AS t (word, i)
        CROSS JOIN LATERAL (
            SELECT count(*) AS n, '(' || string_agg(quote_literal(a.word), ' | ') || ')' AS alternatives,
                   sum(a.courses)::int AS courses
            FROM (SELECT c.word, c.courses FROM catalog_words c
                  WHERE c.word >= t.word AND c.word < t.word || chr(1114111) AND c.courses > 0
                  ORDER BY c.word LIMIT 33) AS a) AS e
        WHERE to_tsvector(config, t.word) <> ''::tsvector
    ) AS w;
    band := (SELECT b.min_enrollments FROM catalog_band b);
    corrected := query;
    corrected_estimate := estimate;
    IF missing THEN
        -- A word no indexed word starts with: the whole statement again, with each such word's
        -- corrections (only typos pay for the plan of this larger statement).
        SELECT p.corrected, p.corrected_estimate INTO corrected, corrected_estimate
        FROM (
            SELECT string_agg(w.term, ' & ' ORDER BY w.i) AS query, min(w.estimate)::int AS estimate,
                   coalesce(bool_or(w.missing), false) AS missing,
                   string_agg(coalesce(w.correction, w.term), ' & ' ORDER BY w.i) AS corrected,
                   min(coalesce(w.correction_estimate, w.estimate))::int AS corrected_estimate,
                   (SELECT b.min_enrollments FROM catalog_band b) AS band
            FROM (
                SELECT t.i, e.n = 0 AS missing,
                       CASE WHEN e.n BETWEEN 1 AND 32 THEN e.alternatives ELSE quote_literal(t.word) || ':*' END AS term,
                       CASE WHEN e.n <= 32 THEN coalesce(e.courses, 0) END AS estimate,
                       x.correction, x.correction_estimate
                FROM unnest(catalog_query_plan.words) WITH ORDINALITY AS t (word, i)
                CROSS JOIN LATERAL (
                    SELECT count(*) AS n, '(' || string_agg(quote_literal(a.word), ' | ') || ')' AS alternatives,
                           sum(a.courses)::int AS courses
                    FROM (SELECT c.word, c.courses FROM catalog_words c
                          WHERE c.word >= t.word AND c.word < t.word || chr(1114111) AND c.courses > 0
                          ORDER BY c.word LIMIT 33) AS a) AS e
                CROSS JOIN LATERAL (
                    SELECT '(' || string_agg(quote_literal(k.word), ' | ') || ')' AS correction,
                           sum(k.courses)::int AS correction_estimate
                    -- The candidates, then each one's row by its key (OFFSET 0 keeps it a
                    -- look-up: a generic plan otherwise hashes a scan of every indexed word).
                    FROM (SELECT c.word, c.courses
                          FROM (SELECT DISTINCT d.word FROM catalog_word_deletions d
                                WHERE e.n = 0 AND d.deletion = ANY (catalog_query_plan.deletions)) AS d
                          CROSS JOIN LATERAL (SELECT c.word, c.courses FROM catalog_words c WHERE c.word = d.word OFFSET 0) AS c
                          WHERE c.courses > 0 AND levenshtein(c.word, t.word) <= CASE WHEN length(t.word) >= 5 THEN 2 ELSE 1 END
                          ORDER BY levenshtein(c.word, t.word), c.courses DESC LIMIT 20) AS k
                ) AS near
                CROSS JOIN LATERAL (
                    SELECT coalesce(near.correction, '(' || string_agg(quote_literal(k.word), ' | ') || ')') AS correction,
                           coalesce(near.correction_estimate, sum(k.courses)::int) AS correction_estimate
                    FROM (SELECT c.word, c.courses FROM catalog_words c WHERE e.n = 0 AND near.correction IS NULL
                          ORDER BY c.word <-> t.word LIMIT 20) AS k
                    WHERE k.courses > 0 AND levenshtein(k.word, t.word) <= CASE WHEN length(t.word) >= 5 THEN 2 ELSE 1 END
                ) AS x
                WHERE to_tsvector(config, t.word) <> ''::tsvector
            ) AS w
        ) AS p;
    END IF;
    RETURN NEXT;
END
$fn$;
