-- Stop words per course language, and how many courses hold each indexed word.
--
-- Stop words ("the", "to", "how" in English; "de", "la" in Spanish) are in nearly every course:
-- matching them restricts nothing, ranking by them says nothing, and intersecting their
-- posting lists (a million entries for "the" over 100,000 courses) is what made a query with
-- one of them slow. Each course's words are indexed without its language's stop words (the
-- stop lists PostgreSQL ships, through the `simple` template: no stemming, prefix matching
-- covers word forms); the search drops them from the query (SearchCourses).

-- One configuration per language with a stop list: lms_en, lms_es, ... Each maps every token
-- type `simple` maps to a dictionary that lowercases and drops that language's stop words.
DO $$
DECLARE
    language record;
BEGIN
    FOR language IN
        SELECT * FROM (VALUES ('da', 'danish'), ('de', 'german'), ('en', 'english'), ('es', 'spanish'), ('fi', 'finnish'),
                              ('fr', 'french'), ('hu', 'hungarian'), ('it', 'italian'), ('ne', 'nepali'), ('nl', 'dutch'),
                              ('no', 'norwegian'), ('pt', 'portuguese'), ('ru', 'russian'), ('sv', 'swedish'),
                              ('tr', 'turkish')) AS l (code, name)
    LOOP
        EXECUTE format('CREATE TEXT SEARCH DICTIONARY lms_stop_%s (TEMPLATE = simple, STOPWORDS = %s)', language.code, language.name);
        EXECUTE format('CREATE TEXT SEARCH CONFIGURATION lms_%s (COPY = simple)', language.code);
        EXECUTE format('ALTER TEXT SEARCH CONFIGURATION lms_%s ALTER MAPPING REPLACE simple WITH lms_stop_%s',
                       language.code, language.code);
    END LOOP;
END $$;

-- The configuration of a course language ('en', 'pt-BR', ...): its stop list, or none.
CREATE FUNCTION lms_search_config(language text) RETURNS regconfig LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE left(language, 2)
        WHEN 'da' THEN 'lms_da' WHEN 'de' THEN 'lms_de' WHEN 'en' THEN 'lms_en' WHEN 'es' THEN 'lms_es'
        WHEN 'fi' THEN 'lms_fi' WHEN 'fr' THEN 'lms_fr' WHEN 'hu' THEN 'lms_hu' WHEN 'it' THEN 'lms_it'
        WHEN 'ne' THEN 'lms_ne' WHEN 'nl' THEN 'lms_nl' WHEN 'no' THEN 'lms_no' WHEN 'nb' THEN 'lms_no'
        WHEN 'pt' THEN 'lms_pt' WHEN 'ru' THEN 'lms_ru' WHEN 'sv' THEN 'lms_sv' WHEN 'tr' THEN 'lms_tr'
        ELSE 'simple' END::regconfig
$$;

-- The searchable vectors again, through the course's configuration (their indexes go with
-- them and are made again below; the word triggers too, made again further down).
DROP TRIGGER courses_words_inserted ON courses;
DROP TRIGGER courses_words_updated ON courses;
DROP FUNCTION catalog_words_from_inserted();
DROP FUNCTION catalog_words_from_updated();
ALTER TABLE courses DROP COLUMN search, DROP COLUMN rank_vector;
ALTER TABLE courses ADD COLUMN search tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector(lms_search_config(language), title), 'A')
    || setweight(to_tsvector(lms_search_config(language), coalesce(subtitle, '')), 'B')
    || setweight(to_tsvector(lms_search_config(language), lms_words(tags)), 'B')
    || setweight(to_tsvector(lms_search_config(language), description), 'C')
) STORED;
ALTER TABLE courses ADD COLUMN rank_vector tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector(lms_search_config(language), title), 'A')
    || setweight(to_tsvector(lms_search_config(language), coalesce(subtitle, '')), 'B')
    || setweight(to_tsvector(lms_search_config(language), lms_words(tags)), 'B')
) STORED;
CREATE INDEX courses_search_idx ON courses USING gin (search) WHERE status = 'published';
CREATE INDEX courses_rank_vector_idx ON courses USING gin (rank_vector) WHERE status = 'published';

-- How many courses hold each word (any status: an upper bound of the published ones). The
-- search reads it with the word's expansion to choose how to read a query's matches: the few
-- matches of rare words straight from the full-text index, the many of broad words from the
-- popularity index in order. Kept exact by the triggers below; a word no course holds any more
-- stays with 0 (it matches nothing).
ALTER TABLE catalog_words ADD COLUMN courses integer NOT NULL DEFAULT 0;
UPDATE catalog_words w SET courses = s.ndoc FROM ts_stat('SELECT search FROM courses') AS s WHERE s.word = w.word;
INSERT INTO catalog_words (word, courses)
SELECT s.word, s.ndoc FROM ts_stat('SELECT search FROM courses') AS s ORDER BY 1
ON CONFLICT (word) DO NOTHING;

-- adjust_catalog_words(words, delta): each word's count moves by delta (new words are added).
-- Words in order, so concurrent writers lock them in the same order and cannot deadlock.
CREATE FUNCTION adjust_catalog_words(changes text[], deltas integer[]) RETURNS void LANGUAGE sql AS $$
    INSERT INTO catalog_words AS w (word, courses)
    SELECT c.word, c.delta FROM unnest(changes, deltas) AS c (word, delta) ORDER BY c.word
    ON CONFLICT (word) DO UPDATE SET courses = greatest(w.courses + excluded.courses, 0)
$$;

-- Inserts and deletes: once per statement (bulk loads stay fast).
CREATE FUNCTION catalog_words_from_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM adjust_catalog_words(array_agg(word), array_agg(n::integer))
    FROM (SELECT word, count(*) AS n FROM inserted, unnest(tsvector_to_array(search)) AS word GROUP BY word) AS counted;
    RETURN NULL;
END $$;
CREATE TRIGGER courses_words_inserted AFTER INSERT ON courses
    REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION catalog_words_from_inserted();

CREATE FUNCTION catalog_words_from_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM adjust_catalog_words(array_agg(word), array_agg(-n::integer))
    FROM (SELECT word, count(*) AS n FROM deleted, unnest(tsvector_to_array(search)) AS word GROUP BY word) AS counted;
    RETURN NULL;
END $$;
CREATE TRIGGER courses_words_deleted AFTER DELETE ON courses
    REFERENCING OLD TABLE AS deleted FOR EACH STATEMENT EXECUTE FUNCTION catalog_words_from_deleted();

-- Updates: only when the searchable text changed (not on rating or enrollment counters): the
-- words gained count one more course, the words lost one fewer.
CREATE FUNCTION catalog_words_from_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM adjust_catalog_words(array_agg(word), array_agg(delta))
    FROM (SELECT coalesce(n.word, o.word) AS word, CASE WHEN o.word IS NULL THEN 1 ELSE -1 END AS delta
          FROM unnest(tsvector_to_array(NEW.search)) AS n (word)
          FULL JOIN unnest(tsvector_to_array(OLD.search)) AS o (word) ON o.word = n.word
          WHERE n.word IS NULL OR o.word IS NULL) AS changed
    HAVING count(*) > 0;
    RETURN NULL;
END $$;
CREATE TRIGGER courses_words_updated AFTER UPDATE OF title, subtitle, tags, description, language ON courses
    FOR EACH ROW WHEN (OLD.search IS DISTINCT FROM NEW.search) EXECUTE FUNCTION catalog_words_from_updated();

-- The popular band: a second, smaller full-text index over the most enrolled tenth of the
-- published courses (`lmsctl catalog-band` makes it, for the enrollments that tenth starts at,
-- and remakes it when that moves). Relevance reads a query's most enrolled matches from it
-- first: a word with thousands of matches together with very common words ("tubac use new
-- course") intersects posting lists a tenth as long and sorts a tenth of the rows, and when
-- the band holds a page, that page is exactly the top of the whole catalog (every course
-- outside the band has fewer enrollments). No row: no band (a small catalog does not need one).
CREATE TABLE catalog_band (
    only_row        boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    min_enrollments integer NOT NULL CHECK (min_enrollments > 0),
    made_at         timestamptz NOT NULL DEFAULT now()
);

-- The popularity index holds the ranking vector too: the title tier of a broad word, read in
-- popularity order, checks each course against it in the index (an index-only scan) instead of
-- reading the course's row: "use" (in 50% of descriptions, 2.6% of titles) skips ~640 courses
-- for a page in 0.2 ms instead of 10.
DROP INDEX courses_published_popular_idx;
CREATE INDEX courses_published_popular_idx ON courses (enrollment_count DESC, id DESC) INCLUDE (rank_vector)
    WHERE status = 'published';

-- Typos without a nearest-neighbour scan: each indexed word of 3+ letters under itself and
-- each of its one-letter deletions ("tubac": "ubac", "tbac", "tuac", ...). A typed word and an
-- indexed word one substitution, insertion, deletion or transposition apart share one of
-- those ("tbuac" and "tubac" share "tuac"), so their candidates are a few index probes
-- (0.1 ms) where the trigram KNN over catalog_words took 1 ms; the KNN stays the fallback
-- when this finds nothing (two substitutions).
CREATE FUNCTION lms_deletions(word text) RETURNS SETOF text LANGUAGE sql IMMUTABLE PARALLEL SAFE ROWS 10 AS $$
    SELECT word UNION SELECT left(word, i - 1) || substr(word, i + 1) FROM generate_series(1, length(word)) AS i
$$;
CREATE TABLE catalog_word_deletions (
    deletion text COLLATE "C" NOT NULL,
    word     text COLLATE "C" NOT NULL,
    PRIMARY KEY (deletion, word)
);
INSERT INTO catalog_word_deletions (deletion, word)
SELECT DISTINCT d, w.word FROM catalog_words w, lms_deletions(w.word) AS d WHERE length(w.word) >= 3;
ANALYZE catalog_word_deletions;

CREATE FUNCTION catalog_word_deletions_from_added() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO catalog_word_deletions (deletion, word)
    SELECT DISTINCT d, a.word FROM added a, lms_deletions(a.word) AS d WHERE length(a.word) >= 3 ORDER BY 1, 2
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END $$;
CREATE TRIGGER catalog_words_deletions AFTER INSERT ON catalog_words
    REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION catalog_word_deletions_from_added();
