-- XP and badges (issue 11). `xp` honours the seed schema (user_id, type, points, timestamp)
-- and adds the source key that makes an award happen once per (user, type, source).

ALTER TABLE users
    -- Hidden from every leaderboard (PATCH /users/me).
    ADD COLUMN leaderboard_opt_out boolean NOT NULL DEFAULT false,
    -- IANA zone for streaks and local dates (PATCH /users/me); UTC unless set.
    ADD COLUMN time_zone text NOT NULL DEFAULT 'UTC' CHECK (char_length(time_zone) BETWEEN 1 AND 64);

CREATE TABLE xp (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id       uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    type          text NOT NULL
                  CHECK (type IN ('lesson_complete', 'quiz_pass', 'assignment_graded', 'course_complete', 'forum_post')),
    -- `lesson:<id>`, `quiz:<id>`, `assignment:<id>`, `course:<id>`, `forum:<id>`.
    source        text NOT NULL CHECK (char_length(source) BETWEEN 1 AND 200),
    points        integer NOT NULL CHECK (points >= 0),
    -- When the learner did it (the event's occurred_at): the period it counts in.
    "timestamp"   timestamptz NOT NULL,
    course_id     uuid REFERENCES courses (id) ON DELETE SET NULL,
    score_percent smallint CHECK (score_percent BETWEEN 0 AND 100),
    awarded_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (user_id, type, source)
);
CREATE INDEX xp_user_time_idx ON xp (user_id, "timestamp" DESC, id DESC);

-- Badges earned; the rules are named in Shared/Achievements/Badges.swift.
CREATE TABLE user_badges (
    user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    badge      text NOT NULL CHECK (badge ~ '^[a-z0-9_]{1,40}$'),
    awarded_at timestamptz NOT NULL DEFAULT now(),
    -- The XP award whose evaluation earned it.
    xp_id      bigint REFERENCES xp (id) ON DELETE SET NULL,
    PRIMARY KEY (user_id, badge)
);
