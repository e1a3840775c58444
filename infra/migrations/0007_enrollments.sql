-- Enrollments (the table payments and progress build on) and wishlists.

CREATE TABLE enrollments (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    -- No cascade: accounts are anonymized, never deleted, and enrollments are kept for accounting.
    user_id    uuid NOT NULL REFERENCES users (id),
    course_id  uuid NOT NULL REFERENCES courses (id),
    source     text NOT NULL CHECK (source IN ('free', 'purchase', 'admin')),
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (user_id, course_id)
);
CREATE INDEX enrollments_user_idx ON enrollments (user_id, created_at DESC, id DESC);
CREATE INDEX enrollments_course_idx ON enrollments (course_id);

CREATE TABLE wishlist_items (
    user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    course_id  uuid NOT NULL REFERENCES courses (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, course_id)
);
CREATE INDEX wishlist_items_user_idx ON wishlist_items (user_id, created_at DESC);
