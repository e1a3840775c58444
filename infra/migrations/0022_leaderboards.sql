-- Weekly (ISO week, Monday 00:00 UTC) and monthly (UTC) leaderboards, global and per course
-- (issue 11). A board is one (period, start, course); the global board's course is the nil UUID.
--   leaderboard_scores: points per user, kept incrementally by each XP award (reads never scan xp).
--   leaderboard_ranks:  ranked rows, standard competition ranking (1, 2, 2, 4), recomputed by the
--                       leaderboard worker for open boards whose scores changed, frozen once closed.
--   leaderboard_boards: per board: entries ranked, when, closed_at.
--   leaderboard_periods: per period: scores ranked up to when, closed once (exactly once however
--                       many workers tick: the close locks this row and sets closed_at).
-- XP awards touch only their own users' score rows: no hot row shared by every award.

CREATE TABLE leaderboard_scores (
    period       text NOT NULL CHECK (period IN ('week', 'month')),
    period_start date NOT NULL,
    course_id    uuid NOT NULL,
    user_id      uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    points       bigint NOT NULL CHECK (points >= 0),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (period, period_start, course_id, user_id)
);
-- The refresh finds the boards changed since its last run.
CREATE INDEX leaderboard_scores_changed_idx ON leaderboard_scores (period, period_start, updated_at);

CREATE TABLE leaderboard_boards (
    period       text NOT NULL CHECK (period IN ('week', 'month')),
    period_start date NOT NULL,
    course_id    uuid NOT NULL,
    entries      integer NOT NULL DEFAULT 0,
    ranked_at    timestamptz,
    closed_at    timestamptz,
    PRIMARY KEY (period, period_start, course_id)
);

-- Derived rows, rewritten a board at a time (up to a million rows): no foreign keys, whose
-- per-row checks doubled the ranking time (users are anonymized, never deleted; reads join users).
CREATE TABLE leaderboard_ranks (
    period       text NOT NULL,
    period_start date NOT NULL,
    course_id    uuid NOT NULL,
    user_id      uuid NOT NULL,
    points       bigint NOT NULL,
    rank         integer NOT NULL CHECK (rank >= 1),
    PRIMARY KEY (period, period_start, course_id, user_id)
);
-- Top N and keyset pages in rank order; the caller's rank by points.
CREATE INDEX leaderboard_ranks_order_idx ON leaderboard_ranks (period, period_start, course_id, rank, user_id);
CREATE INDEX leaderboard_ranks_points_idx ON leaderboard_ranks (period, period_start, course_id, points DESC);

CREATE TABLE leaderboard_periods (
    period         text NOT NULL CHECK (period IN ('week', 'month')),
    period_start   date NOT NULL,
    -- Score changes up to this time are in the ranks (the refresh looks back a minute more).
    ranked_through timestamptz,
    closed_at      timestamptz,
    boards         integer,
    PRIMARY KEY (period, period_start)
);
