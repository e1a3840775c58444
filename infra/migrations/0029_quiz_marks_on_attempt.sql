-- A submit marked each saved answer of its attempt in place (quiz_answers.is_correct, points):
-- one row update per question, about half of a 50-question submit's database time. The marks
-- now go on the attempt row, in the statement that writes its score: the questions answered
-- right (points follow from the question, whose scoring cannot change once attempts exist).
-- quiz_results (the seed's view) and the instructor's per-question statistics read them there.
ALTER TABLE quiz_attempts ADD COLUMN correct_questions uuid[];

UPDATE quiz_attempts a
SET correct_questions = coalesce((SELECT array_agg(qa.question_id ORDER BY qa.question_id)
                                  FROM quiz_answers qa WHERE qa.attempt_id = a.id AND qa.is_correct), '{}')
WHERE a.submitted_at IS NOT NULL;

ALTER TABLE quiz_attempts ADD CONSTRAINT quiz_attempts_marked_when_submitted
    CHECK ((submitted_at IS NULL) = (correct_questions IS NULL));

DROP VIEW quiz_results;
ALTER TABLE quiz_answers DROP COLUMN is_correct, DROP COLUMN points;

-- The seed's results: one row per saved answer of a submitted attempt.
CREATE VIEW quiz_results AS
SELECT a.quiz_id, a.user_id, qa.question_id, qa.answer AS selected_option,
       qa.question_id = ANY (a.correct_questions) AS is_correct, qa.saved_at AS timestamp
FROM quiz_answers qa JOIN quiz_attempts a ON a.id = qa.attempt_id
WHERE a.submitted_at IS NOT NULL;
