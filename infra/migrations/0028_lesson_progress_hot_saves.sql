-- Position saves (players, every few seconds) change only position_seconds and updated_at of a
-- learner's row. With updated_at in lesson_progress_course_idx no save could be a HOT update:
-- each wrote a new entry into both indexes. Without it, and with room left on each page for the
-- new row version, a save rewrites the row in place and touches no index. The instructor's
-- learner list reads a learner's last activity from the rows themselves, found by this index
-- (its progress count reads the same rows anyway).
DROP INDEX lesson_progress_course_idx;
CREATE INDEX lesson_progress_course_idx ON lesson_progress (user_id, course_id);
ALTER TABLE lesson_progress SET (fillfactor = 80);
