-- Curriculum: course -> modules -> lessons. Positions are dense (1, 2, 3, ...) within their
-- parent; every structural change locks the course row, so concurrent edits of one course
-- take turns and positions stay dense and unique.

CREATE TABLE modules (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    course_id  uuid NOT NULL REFERENCES courses (id) ON DELETE CASCADE,
    title      text NOT NULL CHECK (char_length(title) BETWEEN 1 AND 120),
    position   integer NOT NULL CHECK (position >= 1),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (course_id, position) DEFERRABLE INITIALLY DEFERRED
);

CREATE TABLE lessons (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    module_id        uuid NOT NULL REFERENCES modules (id) ON DELETE CASCADE,
    course_id        uuid NOT NULL REFERENCES courses (id) ON DELETE CASCADE,
    title            text NOT NULL CHECK (char_length(title) BETWEEN 1 AND 120),
    kind             text NOT NULL CHECK (kind IN ('video', 'article', 'resource')),
    video_url        text CHECK (char_length(video_url) <= 2048),
    materials_url    text CHECK (char_length(materials_url) <= 2048),
    subtitle_url     text CHECK (char_length(subtitle_url) <= 2048),
    duration_seconds integer NOT NULL DEFAULT 0 CHECK (duration_seconds BETWEEN 0 AND 86400),
    is_preview       boolean NOT NULL DEFAULT false,
    body             text CHECK (char_length(body) <= 100000),
    position         integer NOT NULL CHECK (position >= 1),
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    UNIQUE (module_id, position) DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX lessons_course_idx ON lessons (course_id);
