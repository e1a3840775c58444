import Core
import Database

/// The learning part of the demo data: the free "Swift on the Server from Scratch" course gets a
/// quiz and an assignment, and ten demo students are part-way through it (one finished, one
/// waiting for a grade, one who failed the quiz once, a few who started, a few who only
/// enrolled). Idempotent: skipped when the course already has a quiz.
enum DemoLearning {
    static let courseTitle = "Swift on the Server from Scratch"

    static let questions: [(kind: String, prompt: String, options: String, correct: String, points: Int)] = [
        ("single_choice", "Which protocol does nginx speak to a long-lived function process?", #"["CGI", "FastCGI", "SMTP"]"#, "1", 2),
        (
            "multiple_choice", "Which of these does PostgreSQL give the job queue?", #"["SKIP LOCKED", "LISTEN/NOTIFY", "A JVM"]"#,
            "[0, 1]", 3
        ),
        ("true_false", "A CGI function serves one request per process.", "[]", "true", 1),
        ("short_answer", "Which command prints a function's route? (one word after the binary name)", "[]", #"["--describe"]"#, 1),
    ]

    static func load(_ db: Connection, instructorIds: [String]) throws {
        guard
            let course = try db.query(
                "SELECT id, instructor_id FROM courses WHERE title = \(courseTitle) AND instructor_id = ANY(\(TextArray(instructorIds))::uuid[])"
            ).first
        else { return }
        let courseId = try course.string("id")
        guard try db.query("SELECT 1 FROM quizzes WHERE course_id = \(courseId)").first == nil else { return }
        let modules = try db.query("SELECT id FROM modules WHERE course_id = \(courseId) ORDER BY position").rows.map {
            try $0.string("id")
        }
        let lessons = try db.query(
            "SELECT l.id FROM lessons l JOIN modules m ON m.id = l.module_id WHERE l.course_id = \(courseId) ORDER BY m.position, l.position"
        ).rows.map { try $0.string("id") }
        guard modules.count >= 3, lessons.count >= 9 else { return }
        let quiz = try db.query(
            """
            INSERT INTO quizzes (module_id, course_id, title, after_lesson_id, pass_percent, max_attempts, time_limit_seconds, shuffle_options)
            VALUES (\(modules[0]), \(courseId), 'Check your understanding', \(lessons[2]), 70, 3, 600, true)
            RETURNING id
            """
        ).one().string("id")
        for (index, question) in questions.enumerated() {
            try db.execute(
                """
                INSERT INTO quiz_questions (quiz_id, position, kind, prompt, options, correct, points)
                VALUES (\(quiz), \(index + 1), \(question.kind), \(question.prompt), \(question.options)::jsonb, \(question.correct)::jsonb,
                        \(question.points))
                """)
        }
        let assignment = try db.query(
            """
            INSERT INTO assignments (module_id, course_id, title, instructions, due_at, max_points, pass_points, file_kinds)
            VALUES (\(modules[2]), \(courseId), 'Build a health endpoint',
                    'Write a function that answers GET /health with the database status. Hand in the code as text or a zip.',
                    now() + interval '14 days', 100, 60, '{zip,text,pdf}')
            RETURNING id
            """
        ).one().string("id")
        let right: [String] = ["1", "[0, 1]", "true", #""--describe""#]
        let wrong: [String] = ["0", "[2]", "false", #""describe""#]
        let questionIds = try db.query("SELECT id FROM quiz_questions WHERE quiz_id = \(quiz) ORDER BY position").rows.map {
            try $0.string("id")
        }
        let layout =
            "["
            + zip(questionIds, questions).map { id, question in
                #"{"question": "\#(id)", "options": \#(question.kind.hasSuffix("choice") ? "[0, 1, 2]" : "[]")}"#
            }.joined(separator: ", ") + "]"

        func attempt(_ userId: String, number: Int, answers: [String], percent: Int) throws {
            let id = try db.query(
                """
                INSERT INTO quiz_attempts (quiz_id, user_id, course_id, number, layout, started_at, deadline, submitted_at, score_points,
                                           max_points, score_percent, passed, correct_questions)
                VALUES (\(quiz), \(userId), \(courseId), \(number), \(layout)::jsonb, now() - interval '2 days',
                        now() - interval '2 days' + interval '10 minutes', now() - interval '2 days' + interval '6 minutes',
                        \(percent * 7 / 100), 7, \(percent), \(percent >= 70),
                        \(TextArray(questionIds.indices.filter { answers[$0] == right[$0] }.map { questionIds[$0] }))::uuid[])
                RETURNING id
                """
            ).one().string("id")
            for (index, question) in questionIds.enumerated() {
                try db.execute(
                    """
                    INSERT INTO quiz_answers (attempt_id, question_id, answer, saved_at)
                    VALUES (\(id), \(question), \(answers[index])::jsonb, now() - interval '2 days')
                    """)
            }
        }

        let students = try db.query(
            "SELECT id FROM users WHERE email = ANY(\(TextArray((1...10).map { "student\($0)@demo.lms.local" }))::text[]) ORDER BY length(email), email"
        ).rows.map { try $0.string("id") }
        let instructor = try course.string("instructor_id")
        for (index, student) in students.enumerated() {
            try db.execute(
                "INSERT INTO enrollments (user_id, course_id, source, created_at) VALUES (\(student), \(courseId), 'free', now() - make_interval(days => \(10 - index))) ON CONFLICT DO NOTHING"
            )
            // How far each one got: lessons done, and where the next one stopped.
            let done = [9, 9, 5, 3, 2, 1, 0, 0, 0, 0][index % 10]
            for (position, lesson) in lessons.prefix(done + 1).enumerated() {
                let finished = position < done
                try db.execute(
                    """
                    INSERT INTO lesson_progress (user_id, lesson_id, course_id, position_seconds, completed_at, updated_at)
                    VALUES (\(student), \(lesson), \(courseId), \(finished ? 360 : 95), CASE WHEN \(finished) THEN now() END,
                            now() - make_interval(hours => \(48 - position)))
                    ON CONFLICT DO NOTHING
                    """)
            }
            switch index {
            case 0:
                try attempt(student, number: 1, answers: right, percent: 100)
                try db.execute(
                    """
                    INSERT INTO assignment_submissions (assignment_id, user_id, course_id, body, submitted_at, is_late, status, points,
                                                        feedback, graded_at, graded_by)
                    VALUES (\(assignment), \(student), \(courseId), 'func health() -> Response { ... }', now() - interval '1 day', false,
                            'graded', 90, 'Clean and to the point.', now() - interval '12 hours', \(instructor))
                    """)
                try db.execute(
                    "INSERT INTO course_completions (user_id, course_id) VALUES (\(student), \(courseId)) ON CONFLICT DO NOTHING")
            case 1:
                try attempt(student, number: 1, answers: right, percent: 100)
                try db.execute(
                    """
                    INSERT INTO assignment_submissions (assignment_id, user_id, course_id, body, submitted_at, is_late)
                    VALUES (\(assignment), \(student), \(courseId), 'My health endpoint reads SELECT 1 and answers ok.',
                            now() - interval '3 hours', false)
                    """)
            case 2:
                try attempt(student, number: 1, answers: wrong, percent: 0)
            default:
                break
            }
        }
        try db.execute(
            "UPDATE courses SET enrollment_count = (SELECT count(*) FROM enrollments WHERE course_id = \(courseId)) WHERE id = \(courseId)")
    }
}
