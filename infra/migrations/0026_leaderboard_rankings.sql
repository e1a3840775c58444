-- Leaderboards at scale (issue 11's targets: a period of 800,000 ranked users closes in under
-- 5 s; a read is a few index look-ups). Three changes to leaderboard_ranks:
--   * Each ranking of a board is written under a new ranking id, and the board then points at
--     it (leaderboard_boards.ranking) before the old rows are deleted. Re-ranking in place made
--     every new key meet its deleted twin in the unique index; and one bigint keys a ranking in
--     every index entry instead of (period, start, course), so a large rewrite writes less.
--   * One order index instead of two: rank order is points descending then user id, so the index
--     by (points DESC, user_id) serves the top N, keyset pages and the caller's place by live
--     points alike; rows are written in that order, so the index grows at its right edge.
--   * The ranking skips the few users who may not appear (suspended, deleted, opted out) through
--     a small partial index, instead of reading every user.

ALTER TABLE leaderboard_boards ADD COLUMN ranking bigint;
CREATE SEQUENCE leaderboard_ranking_seq;

DROP INDEX leaderboard_ranks_order_idx;
DROP INDEX leaderboard_ranks_points_idx;
ALTER TABLE leaderboard_ranks DROP CONSTRAINT leaderboard_ranks_pkey;
ALTER TABLE leaderboard_ranks RENAME TO leaderboard_ranks_0022;

-- Derived rows, rewritten a board at a time (up to a million rows): no foreign keys (users are
-- anonymized, never deleted; reads join users). A board's rows are those of its current ranking.
CREATE TABLE leaderboard_ranks (
    ranking bigint NOT NULL,
    user_id uuid NOT NULL,
    points  bigint NOT NULL,
    rank    integer NOT NULL CHECK (rank >= 1),
    PRIMARY KEY (ranking, user_id)
);
CREATE INDEX leaderboard_ranks_order_idx ON leaderboard_ranks (ranking, points DESC, user_id) INCLUDE (rank);

UPDATE leaderboard_boards SET ranking = nextval('leaderboard_ranking_seq');
INSERT INTO leaderboard_ranks (ranking, user_id, points, rank)
SELECT b.ranking, r.user_id, r.points, r.rank
FROM leaderboard_ranks_0022 r
JOIN leaderboard_boards b ON (b.period, b.period_start, b.course_id) = (r.period, r.period_start, r.course_id)
ORDER BY b.ranking, r.points DESC, r.user_id;
DROP TABLE leaderboard_ranks_0022;

CREATE INDEX users_unranked_idx ON users (id) WHERE status <> 'active' OR leaderboard_opt_out;
