-- Learning progress: which lessons a learner finished, where each video stopped, and the record
-- of a finished course. Positions arrive every few seconds from players, so a lesson's progress
-- is one row per learner and lesson, updated in place by one statement.

-- Lessons count toward completion unless the author says otherwise.
ALTER TABLE lessons ADD COLUMN is_required boolean NOT NULL DEFAULT true;

CREATE TABLE lesson_progress (
    user_id          uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- A deleted lesson takes its progress with it: it drops out of the percent.
    lesson_id        uuid NOT NULL REFERENCES lessons (id) ON DELETE CASCADE,
    course_id        uuid NOT NULL REFERENCES courses (id) ON DELETE CASCADE,
    position_seconds integer NOT NULL DEFAULT 0 CHECK (position_seconds >= 0),
    completed_at     timestamptz,
    updated_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, lesson_id)
);
-- A learner's progress in one course (progress, completion check, resume, instructor views).
CREATE INDEX lesson_progress_course_idx ON lesson_progress (user_id, course_id, updated_at DESC);

-- "Start over": lesson progress is deleted; quiz attempts stay as history but only those
-- submitted after this time count as passed.
ALTER TABLE enrollments ADD COLUMN progress_reset_at timestamptz;

-- One row per finished course, written once by the request that completed it (the contract with
-- the certificates and XP issue). History, not a live percent: later curriculum changes keep it.
CREATE TABLE course_completions (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id      uuid NOT NULL REFERENCES users ON DELETE CASCADE,
    course_id    uuid NOT NULL REFERENCES courses ON DELETE CASCADE,
    completed_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (user_id, course_id)
);
CREATE INDEX course_completions_course_idx ON course_completions (course_id);
