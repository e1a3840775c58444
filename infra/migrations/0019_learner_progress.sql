-- A learner's completion in a course, counted in one place for the progress page, the
-- completion check and the instructor's learner list: required lessons done, required quizzes
-- passed (after the last reset), required assignments graded at or above their pass mark.
-- Declared as a table function (of one row) so that the planner inlines it into the calling
-- query (`FROM learner_progress(...)`, `CROSS JOIN LATERAL`) instead of planning its body on
-- every call (a per-learner cost in the instructor's list).
CREATE FUNCTION learner_progress(learner uuid, course uuid) RETURNS TABLE (done integer, required integer)
LANGUAGE sql STABLE AS $$
    SELECT
        ((SELECT count(*) FROM lessons l JOIN lesson_progress p ON p.lesson_id = l.id AND p.user_id = learner
          WHERE l.course_id = course AND l.is_required AND p.completed_at IS NOT NULL)
         + (SELECT count(*) FROM quizzes q
            WHERE q.course_id = course AND q.is_required
              AND EXISTS (SELECT 1 FROM quiz_attempts a
                          WHERE a.quiz_id = q.id AND a.user_id = learner AND a.passed
                            AND a.submitted_at > coalesce((SELECT e.progress_reset_at FROM enrollments e
                                                           WHERE e.user_id = learner AND e.course_id = course), '-infinity')))
         + (SELECT count(*) FROM assignments s
            WHERE s.course_id = course AND s.is_required
              AND EXISTS (SELECT 1 FROM assignment_submissions x
                          WHERE x.assignment_id = s.id AND x.user_id = learner AND x.status = 'graded'
                            AND x.points >= s.pass_points)))::integer,
        ((SELECT count(*) FROM lessons WHERE course_id = course AND is_required)
         + (SELECT count(*) FROM quizzes WHERE course_id = course AND is_required)
         + (SELECT count(*) FROM assignments WHERE course_id = course AND is_required))::integer
$$;
