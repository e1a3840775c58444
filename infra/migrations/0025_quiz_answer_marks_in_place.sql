-- A submit marks every saved answer of its attempt (is_correct, points): one update per row,
-- once. With full pages each new row version went to another page, so both indexes got an entry
-- for each answer; room on the page lets PostgreSQL update in place (HOT, no index entries).
-- Measured on 50-answer attempts: 85% of the marks in place instead of 5%, the scoring statement
-- about 0.08 ms faster; the table about 40% larger. Pages written from now on keep the room.
ALTER TABLE quiz_answers SET (fillfactor = 70);
