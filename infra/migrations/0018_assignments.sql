-- Assignments: work a learner hands in (text and/or uploaded files) and an instructor grades.
-- Every submission is kept; a resubmission supersedes the previous one until one is graded.

CREATE TABLE assignments (
    id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    module_id      uuid NOT NULL REFERENCES modules (id) ON DELETE CASCADE,
    course_id      uuid NOT NULL REFERENCES courses (id) ON DELETE CASCADE,
    title          text NOT NULL CHECK (char_length(title) BETWEEN 1 AND 120),
    instructions   text NOT NULL DEFAULT '' CHECK (char_length(instructions) <= 20000),
    due_at         timestamptz,
    max_points     integer NOT NULL DEFAULT 100 CHECK (max_points BETWEEN 1 AND 1000),
    pass_points    integer NOT NULL DEFAULT 50 CHECK (pass_points >= 0 AND pass_points <= max_points),
    -- File kinds accepted: pdf, image, zip, office, text (empty: text answers only).
    file_kinds     text[] NOT NULL DEFAULT '{}' CHECK (file_kinds <@ ARRAY['pdf', 'image', 'zip', 'office', 'text']),
    allow_late     boolean NOT NULL DEFAULT true,
    is_required    boolean NOT NULL DEFAULT true,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX assignments_module_idx ON assignments (module_id);
CREATE INDEX assignments_course_idx ON assignments (course_id);

CREATE TABLE assignment_submissions (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    assignment_id uuid NOT NULL REFERENCES assignments (id) ON DELETE CASCADE,
    user_id       uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    course_id     uuid NOT NULL REFERENCES courses (id) ON DELETE CASCADE,
    body          text CHECK (char_length(body) <= 50000),
    submitted_at  timestamptz NOT NULL DEFAULT now(),
    is_late       boolean NOT NULL,
    -- submitted: the current one; superseded: replaced by a resubmission; graded: final.
    status        text NOT NULL DEFAULT 'submitted' CHECK (status IN ('submitted', 'superseded', 'graded')),
    points        integer CHECK (points >= 0),
    feedback      text CHECK (char_length(feedback) <= 10000),
    graded_at     timestamptz,
    graded_by     uuid REFERENCES users (id),
    CHECK ((status = 'graded') = (graded_at IS NOT NULL AND points IS NOT NULL))
);
CREATE INDEX assignment_submissions_list_idx ON assignment_submissions (assignment_id, submitted_at, id);
CREATE INDEX assignment_submissions_user_idx ON assignment_submissions (user_id, assignment_id, submitted_at DESC);
-- At most one current (ungraded) or graded submission per learner and assignment.
CREATE UNIQUE INDEX assignment_submissions_current_idx ON assignment_submissions (assignment_id, user_id)
    WHERE status IN ('submitted', 'graded');

CREATE TABLE submission_files (
    submission_id uuid NOT NULL REFERENCES assignment_submissions (id) ON DELETE CASCADE,
    media_id      uuid NOT NULL REFERENCES media (id),
    position      integer NOT NULL CHECK (position >= 1),
    PRIMARY KEY (submission_id, position)
);
CREATE INDEX submission_files_media_idx ON submission_files (media_id);

-- Learners upload their work as `submission` files (private, signed links only).
ALTER TABLE media DROP CONSTRAINT media_purpose_check;
ALTER TABLE media ADD CONSTRAINT media_purpose_check
    CHECK (purpose IN ('video', 'thumbnail', 'avatar', 'resource', 'subtitle', 'submission'));
