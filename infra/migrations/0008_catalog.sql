-- The public catalog: full-text search over title, subtitle, tags and description (ranked),
-- trigram similarity on titles for typos, and indexes for the filters and sorts.

CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- Generated columns need immutable expressions; array_to_string is only stable in general,
-- but over text[] it is immutable.
CREATE FUNCTION lms_words(text[]) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT array_to_string($1, ' ') $$;

-- 'simple' (no stemming): courses come in many languages; prefix matching covers word forms.
ALTER TABLE courses ADD COLUMN search tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('simple', title), 'A')
    || setweight(to_tsvector('simple', coalesce(subtitle, '')), 'B')
    || setweight(to_tsvector('simple', lms_words(tags)), 'B')
    || setweight(to_tsvector('simple', description), 'C')
) STORED;

CREATE INDEX courses_search_idx ON courses USING gin (search) WHERE status = 'published';
CREATE INDEX courses_title_trgm_idx ON courses USING gin (title gin_trgm_ops) WHERE status = 'published';
CREATE INDEX courses_published_newest_idx ON courses (published_at DESC, id DESC) WHERE status = 'published';
CREATE INDEX courses_published_popular_idx ON courses (enrollment_count DESC, id DESC) WHERE status = 'published';
CREATE INDEX courses_published_rating_idx ON courses (rating_average DESC, id DESC) WHERE status = 'published';
CREATE INDEX courses_published_price_idx ON courses (price_minor, id) WHERE status = 'published';
