-- Courses, first part: categories, the course itself and the record of its state changes.
-- Modules, lessons, resources, search columns and enrollments come with their endpoints.

CREATE TABLE categories (
    id    smallint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    slug  text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9-]{1,64}$'),
    name  text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 80)
);

INSERT INTO categories (slug, name) VALUES
    ('development', 'Development'), ('business', 'Business'), ('finance', 'Finance & Accounting'),
    ('it-software', 'IT & Software'), ('design', 'Design'), ('marketing', 'Marketing'),
    ('data-science', 'Data Science'), ('personal-development', 'Personal Development'),
    ('photography', 'Photography & Video'), ('music', 'Music'), ('health', 'Health & Fitness'),
    ('language', 'Languages');

CREATE TABLE courses (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    instructor_id    uuid NOT NULL REFERENCES users (id),
    title            text NOT NULL CHECK (char_length(title) BETWEEN 3 AND 120),
    subtitle         text CHECK (char_length(subtitle) <= 200),
    description      text NOT NULL DEFAULT '' CHECK (char_length(description) <= 20000),
    category_id      smallint REFERENCES categories (id),
    level            text NOT NULL DEFAULT 'all_levels' CHECK (level IN ('beginner', 'intermediate', 'advanced', 'all_levels')),
    language         text NOT NULL DEFAULT 'en' CHECK (language ~ '^[a-z]{2}(-[A-Z]{2})?$'),
    -- Money: integer minor units plus an ISO 4217 code; 0 means free.
    price_minor      bigint NOT NULL DEFAULT 0 CHECK (price_minor BETWEEN 0 AND 100000000),
    currency         text NOT NULL DEFAULT 'INR' CHECK (currency ~ '^[A-Z]{3}$'),
    thumbnail_url    text CHECK (char_length(thumbnail_url) <= 2048),
    tags             text[] NOT NULL DEFAULT '{}' CHECK (cardinality(tags) <= 10),
    outcomes         text[] NOT NULL DEFAULT '{}' CHECK (cardinality(outcomes) <= 20),
    requirements     text[] NOT NULL DEFAULT '{}' CHECK (cardinality(requirements) <= 20),
    status           text NOT NULL DEFAULT 'draft'
                     CHECK (status IN ('draft', 'submitted', 'published', 'rejected', 'unpublished', 'archived')),
    rejection_reason text,
    -- Filled by the reviews and enrollment features.
    rating_average   numeric(3, 2) NOT NULL DEFAULT 0,
    rating_count     integer NOT NULL DEFAULT 0,
    enrollment_count integer NOT NULL DEFAULT 0,
    published_at     timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);

-- An instructor's own courses, newest first (GET /instructor/courses).
CREATE INDEX courses_instructor_idx ON courses (instructor_id, created_at DESC, id DESC);
-- Published courses per category (GET /categories counts).
CREATE INDEX courses_published_category_idx ON courses (category_id) WHERE status = 'published';

-- Every state change of a course: who, when, from what to what, why.
CREATE TABLE course_events (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    course_id   uuid NOT NULL REFERENCES courses (id) ON DELETE CASCADE,
    actor_id    uuid REFERENCES users (id),
    from_status text,
    to_status   text NOT NULL,
    reason      text,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX course_events_course_idx ON course_events (course_id, id);
