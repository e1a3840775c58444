-- Certificates of completion (issue 11). One per (user, course), whatever retries, duplicate
-- events or concurrent workers do: the unique constraint decides, the worker only inserts with
-- ON CONFLICT DO NOTHING. The PDF lives in the media store (file_key), never in a row.

CREATE TABLE certificates (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    -- 80 random bits as 16 Crockford base32 characters in groups of four (no I, L, O, U).
    code            text NOT NULL UNIQUE CHECK (code ~ '^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}$'),
    user_id         uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    course_id       uuid NOT NULL REFERENCES courses (id) ON DELETE CASCADE,
    -- What the certificate says, as of its last rendering (a re-issue refreshes them).
    learner_name    text NOT NULL CHECK (char_length(learner_name) BETWEEN 1 AND 200),
    course_title    text NOT NULL CHECK (char_length(course_title) BETWEEN 1 AND 500),
    instructor_name text NOT NULL CHECK (char_length(instructor_name) BETWEEN 1 AND 200),
    completed_at    timestamptz NOT NULL,
    issued_at       timestamptz NOT NULL DEFAULT now(),
    -- Set when the PDF is stored; bumped by each re-issue (the key stays, the file is replaced).
    file_key        text CHECK (file_key LIKE 'private/certificates/%'),
    file_size       integer CHECK (file_size > 0),
    rendered_at     timestamptz,
    version         integer NOT NULL DEFAULT 0 CHECK (version >= 0),
    -- A re-issue asked for (name change, admin) and not rendered yet.
    reissue_requested_at timestamptz,
    -- The learner may let anyone download the PDF (verification itself is always public).
    is_public       boolean NOT NULL DEFAULT false,
    revoked_at      timestamptz,
    revoke_reason   text CHECK (char_length(revoke_reason) BETWEEN 1 AND 1000),
    revoked_by      uuid REFERENCES users (id) ON DELETE SET NULL,
    UNIQUE (user_id, course_id),
    CHECK ((revoked_at IS NULL) = (revoke_reason IS NULL)),
    CHECK ((file_key IS NULL) = (rendered_at IS NULL))
);
CREATE INDEX certificates_user_idx ON certificates (user_id, issued_at DESC, id DESC);
CREATE INDEX certificates_course_idx ON certificates (course_id);
