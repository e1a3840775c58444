-- Quizzes: a quiz belongs to a module (shown after one of its lessons, or after all of them),
-- holds questions of four kinds, and is taken in attempts. Answer keys live in quiz_questions
-- only; learner responses are built without them (Shared/Quizzes).
--
-- Seed schema: the seed app had quizzes(module_id, question, options, correct_option), one
-- single-choice question per row, and quiz_results(quiz_id, user_id, selected_option,
-- is_correct, timestamp). `quizzes.module_id` keeps its meaning; the one-question rows are the
-- view `seed_quizzes`, and `quiz_results` is a view over the scored answers (read-only, for
-- reports and data carried over from the seed).

CREATE TABLE quizzes (
    id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    module_id          uuid NOT NULL REFERENCES modules (id) ON DELETE CASCADE,
    course_id          uuid NOT NULL REFERENCES courses (id) ON DELETE CASCADE,
    title              text NOT NULL CHECK (char_length(title) BETWEEN 1 AND 120),
    -- Shown after this lesson of the module; NULL: after all of its lessons.
    after_lesson_id    uuid REFERENCES lessons (id) ON DELETE SET NULL,
    pass_percent       integer NOT NULL DEFAULT 60 CHECK (pass_percent BETWEEN 0 AND 100),
    -- NULL: unlimited.
    max_attempts       integer CHECK (max_attempts BETWEEN 1 AND 100),
    time_limit_seconds integer CHECK (time_limit_seconds BETWEEN 10 AND 86400),
    shuffle_questions  boolean NOT NULL DEFAULT false,
    shuffle_options    boolean NOT NULL DEFAULT false,
    show_answers       boolean NOT NULL DEFAULT true,
    is_required        boolean NOT NULL DEFAULT true,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX quizzes_module_idx ON quizzes (module_id);
CREATE INDEX quizzes_course_idx ON quizzes (course_id);

CREATE TABLE quiz_questions (
    id        uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    quiz_id   uuid NOT NULL REFERENCES quizzes (id) ON DELETE CASCADE,
    position  integer NOT NULL CHECK (position >= 1),
    kind      text NOT NULL CHECK (kind IN ('single_choice', 'multiple_choice', 'true_false', 'short_answer')),
    prompt    text NOT NULL CHECK (char_length(prompt) BETWEEN 1 AND 2000),
    -- Choice texts, in the author's order (a JSON array of strings; empty for true/false and short answers).
    options   jsonb NOT NULL DEFAULT '[]',
    -- The answer key: an option index, an array of indexes, a boolean, or an array of accepted texts.
    correct   jsonb NOT NULL,
    points    integer NOT NULL DEFAULT 1 CHECK (points BETWEEN 0 AND 1000),
    UNIQUE (quiz_id, position)
);

CREATE TABLE quiz_attempts (
    id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    quiz_id        uuid NOT NULL REFERENCES quizzes (id) ON DELETE CASCADE,
    user_id        uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    course_id      uuid NOT NULL REFERENCES courses (id) ON DELETE CASCADE,
    number         integer NOT NULL CHECK (number >= 1),
    -- The order this attempt shows: [{"question": id, "options": [original indexes...]}, ...].
    layout         jsonb NOT NULL,
    started_at     timestamptz NOT NULL DEFAULT now(),
    -- started_at + the time limit; NULL without one.
    deadline       timestamptz,
    submitted_at   timestamptz,
    score_points   integer,
    max_points     integer,
    score_percent  integer CHECK (score_percent BETWEEN 0 AND 100),
    passed         boolean,
    UNIQUE (quiz_id, user_id, number),
    CHECK ((submitted_at IS NULL) = (score_percent IS NULL))
);
CREATE INDEX quiz_attempts_user_idx ON quiz_attempts (user_id, quiz_id, number);
CREATE INDEX quiz_attempts_quiz_idx ON quiz_attempts (quiz_id, user_id);

-- The saved answer of one question in one attempt; scored when the attempt is submitted.
CREATE TABLE quiz_answers (
    attempt_id  uuid NOT NULL REFERENCES quiz_attempts (id) ON DELETE CASCADE,
    question_id uuid NOT NULL REFERENCES quiz_questions (id) ON DELETE CASCADE,
    answer      jsonb NOT NULL,
    saved_at    timestamptz NOT NULL DEFAULT now(),
    is_correct  boolean,
    points      integer,
    PRIMARY KEY (attempt_id, question_id)
);
CREATE INDEX quiz_answers_question_idx ON quiz_answers (question_id);

-- The seed's one-question quizzes: single-choice and true/false questions with their key.
CREATE VIEW seed_quizzes AS
SELECT qq.id, q.module_id, qq.prompt AS question,
       CASE WHEN qq.kind = 'true_false' THEN '["True", "False"]'::jsonb ELSE qq.options END AS options,
       CASE WHEN qq.kind = 'true_false' THEN CASE WHEN qq.correct = 'true' THEN 0 ELSE 1 END
            ELSE (qq.correct #>> '{}')::integer END AS correct_option
FROM quiz_questions qq JOIN quizzes q ON q.id = qq.quiz_id
WHERE qq.kind IN ('single_choice', 'true_false');

-- The seed's results: one row per scored answer of a submitted attempt.
CREATE VIEW quiz_results AS
SELECT a.quiz_id, a.user_id, qa.question_id, qa.answer AS selected_option, qa.is_correct, qa.saved_at AS timestamp
FROM quiz_answers qa JOIN quiz_attempts a ON a.id = qa.attempt_id
WHERE a.submitted_at IS NOT NULL;
