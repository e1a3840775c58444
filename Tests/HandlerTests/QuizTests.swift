import Auth
import Core
import Database
import Learning
import Runtime
import TestSupport
import Testing

@testable import Quizzes

/// Quizzes: authoring, attempts, scoring, limits, the time limit, answer keys kept from learners.
@Suite struct QuizTests {
    /// Four questions, one of each kind, 10 points in all; the keys use texts a leak would show.
    static let questions = """
        [{"kind":"single_choice","prompt":"Capital of France?","options":["Berlin","Paris-KEY-A","Rome"],"correct":1,"points":4},
         {"kind":"multiple_choice","prompt":"Primes?","options":["2","3","4"],"correct":[0,1],"points":3},
         {"kind":"true_false","prompt":"Swift is compiled.","correct":true,"points":2},
         {"kind":"short_answer","prompt":"Say the word","correct":["Zyzzyva-KEY-B"],"points":1}]
        """

    func createQuiz(_ course: LearningCourse, _ settings: String = "", token: String? = nil) throws -> TestResponse {
        let json = #"{"title":"Check","pass_percent":70\#(settings),"questions":\#(Self.questions)}"#
        return try call(
            CreateQuiz.endpoint, "POST", "/api/v1/modules/\(course.modules[0])/quizzes", json: json,
            token: token ?? course.instructor.accessToken)
    }

    func start(_ quiz: String, _ token: String?) throws -> TestResponse {
        try call(StartQuizAttempt.endpoint, "POST", "/api/v1/quizzes/\(quiz)/attempts", token: token)
    }

    func submit(_ attempt: String, _ json: String? = nil, _ token: String) throws -> TestResponse {
        try call(SubmitQuizAttempt.endpoint, "POST", "/api/v1/attempts/\(attempt)/submit", json: json, token: token)
    }

    /// Answers by question kind, right or wrong.
    func answers(_ attempt: TestResponse, right: Bool) -> String {
        var parts: [String] = []
        for question in attempt.data["questions"]?.array ?? [] {
            let id = question["id"]?.string ?? ""
            switch question["kind"]?.string {
            case "single_choice"?: parts.append(#""\#(id)":\#(right ? 1 : 0)"#)
            case "multiple_choice"?: parts.append(#""\#(id)":\#(right ? "[1,0]" : "[0]")"#)
            case "true_false"?: parts.append(#""\#(id)":\#(right)"#)
            default: parts.append(#""\#(id)":"\#(right ? "  zyzzyva-key-b " : "nope")""#)
            }
        }
        return #"{"answers":{"# + parts.joined(separator: ",") + "}}"
    }

    func assertNoKeys(_ response: TestResponse, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(!response.text.contains("KEY-B"), sourceLocation: sourceLocation)
        #expect(!response.text.contains("\"correct"), sourceLocation: sourceLocation)
    }

    @Test func authorsCreateReadAndEditQuizzesUntilAttemptsExist() throws {
        let db = try TestEnvironment.connect()
        let course = try LearningCourse.make(db)
        let created = try createQuiz(course, #","after_lesson_id":"\#(course.lessons[0])","max_attempts":2"#)
        #expect(created.status == 201)
        let quizId = try #require(created.data["quiz"]?["id"]?.string)
        #expect(created.data["quiz"]?["total_points"] == .number(10))
        #expect(created.data["questions"]?.array.count == 4)
        #expect(created.data["questions"]?.array.first?["correct"] == .number(1))
        let read = try call(GetQuiz.endpoint, "GET", "/api/v1/quizzes/\(quizId)", token: course.instructor.accessToken)
        #expect(read.data["questions"]?.array.count == 4)
        let renamed = try call(
            UpdateQuiz.endpoint, "PATCH", "/api/v1/quizzes/\(quizId)", json: #"{"title":"Renamed","pass_percent":50}"#,
            token: course.instructor.accessToken)
        #expect(renamed.status == 200)
        #expect(renamed.data["quiz"]?["pass_percent"] == .number(50))
        // Once someone attempts it, scoring changes are refused; the rest still changes.
        let student = try course.learner(db)
        #expect(try start(quizId, student.accessToken).status == 201)
        let refused = try call(
            UpdateQuiz.endpoint, "PATCH", "/api/v1/quizzes/\(quizId)", json: #"{"questions":\#(Self.questions)}"#,
            token: course.instructor.accessToken)
        #expect(refused.status == 409)
        #expect(refused.code == "quiz_has_attempts")
        #expect(
            try call(
                UpdateQuiz.endpoint, "PATCH", "/api/v1/quizzes/\(quizId)", json: #"{"max_attempts":null,"time_limit_seconds":60}"#,
                token: course.instructor.accessToken
            ).data["quiz"]?["max_attempts"] == .null)
        // Others: another instructor 404, a student 403, anonymous 401.
        let other = try Factory.user(db, role: .instructor)
        #expect(try createQuiz(course, token: other.accessToken).status == 404)
        #expect(try createQuiz(course, token: student.accessToken).status == 403)
        #expect(try call(UpdateQuiz.endpoint, "PATCH", "/api/v1/quizzes/\(quizId)", json: "{}", token: other.accessToken).status == 404)
        #expect(try call(DeleteQuiz.endpoint, "DELETE", "/api/v1/quizzes/\(quizId)", token: other.accessToken).status == 404)
        #expect(try call(GetQuiz.endpoint, "GET", "/api/v1/quizzes/\(quizId)").status == 401)
        #expect(
            try call(GetQuizStats.endpoint, "GET", "/api/v1/instructor/quizzes/\(quizId)/stats", token: other.accessToken).status == 404)
        // The learner's view of the quiz has no questions and no keys.
        let learnerView = try call(GetQuiz.endpoint, "GET", "/api/v1/quizzes/\(quizId)", token: student.accessToken)
        #expect(learnerView.status == 200)
        #expect(learnerView.data["questions"] == nil)
        assertNoKeys(learnerView)
        #expect(
            try call(GetQuiz.endpoint, "GET", "/api/v1/quizzes/\(quizId)", token: try Factory.user(db).accessToken).code
                == "enrollment_required")
        #expect(try call(DeleteQuiz.endpoint, "DELETE", "/api/v1/quizzes/\(quizId)", token: course.instructor.accessToken).status == 200)
        #expect(try call(GetQuiz.endpoint, "GET", "/api/v1/quizzes/\(quizId)", token: course.instructor.accessToken).status == 404)
    }

    @Test func invalidQuizzesAreRefusedFieldByField() throws {
        let db = try TestEnvironment.connect()
        let course = try LearningCourse.make(db)
        let path = "/api/v1/modules/\(course.modules[0])/quizzes"
        let bad = """
            {"title":"","pass_percent":101,"max_attempts":0,"time_limit_seconds":5,"after_lesson_id":"\(course.lessons[3])",
             "questions":[{"kind":"single_choice","prompt":"x","options":["a"],"correct":3},
                          {"kind":"multiple_choice","prompt":"y","options":["a","b"],"correct":[0,0]},
                          {"kind":"true_false","prompt":"z","correct":"yes"},
                          {"kind":"short_answer","prompt":"w","correct":[]},
                          {"kind":"essay","prompt":""}, 7]}
            """
        let refused = try call(CreateQuiz.endpoint, "POST", path, json: bad, token: course.instructor.accessToken)
        #expect(refused.status == 422)
        #expect(
            Set(refused.failedFields).isSuperset(of: [
                "title", "pass_percent", "max_attempts", "time_limit_seconds", "questions[0].options", "questions[0].correct",
                "questions[1].correct", "questions[2].correct", "questions[3].correct", "questions[4].kind", "questions[4].prompt",
                "questions[5]",
            ]))
        #expect(
            try call(CreateQuiz.endpoint, "POST", path, json: #"{"title":"x","questions":[]}"#, token: course.instructor.accessToken)
                .failedFields == ["questions"])
        // A lesson of another module.
        let elsewhere = try call(
            CreateQuiz.endpoint, "POST", path,
            json: #"{"title":"x","after_lesson_id":"\#(course.lessons[3])","questions":\#(Self.questions)}"#,
            token: course.instructor.accessToken)
        #expect(elsewhere.failedFields == ["after_lesson_id"])
        #expect(try call(CreateQuiz.endpoint, "POST", path, json: "[", token: course.instructor.accessToken).status == 400)
        #expect(
            try call(
                CreateQuiz.endpoint, "POST", "/api/v1/modules/00000000-0000-4000-8000-000000000000/quizzes",
                json: #"{"title":"x","questions":\#(Self.questions)}"#, token: course.instructor.accessToken
            ).status == 404)
    }

    @Test func attemptsHideKeysUntilSubmittedAndScoreOnce() throws {
        let db = try TestEnvironment.connect()
        let course = try LearningCourse.make(db)
        let quizId = try #require(try createQuiz(course, #","shuffle_questions":true,"shuffle_options":true"#).data["quiz"]?["id"]?.string)
        let student = try course.learner(db)
        let started = try start(quizId, student.accessToken)
        #expect(started.status == 201)
        assertNoKeys(started)
        #expect(started.data["questions"]?.array.count == 4)
        let attemptId = try #require(started.data["id"]?.string)
        // Starting again returns the same attempt in progress.
        let again = try start(quizId, student.accessToken)
        #expect(again.status == 200)
        #expect(again.data["id"]?.string == attemptId)
        // Saving answers: checked against the questions.
        let save = try call(
            SaveQuizAnswers.endpoint, "PUT", "/api/v1/attempts/\(attemptId)/answers", json: answers(started, right: true),
            token: student.accessToken)
        #expect(save.status == 200)
        #expect(save.data["answered"] == .number(4))
        assertNoKeys(save)
        let wrongShape = try call(
            SaveQuizAnswers.endpoint, "PUT", "/api/v1/attempts/\(attemptId)/answers",
            json: #"{"answers":{"00000000-0000-4000-8000-000000000000":1}}"#, token: student.accessToken)
        #expect(wrongShape.status == 422)
        #expect(
            try call(SaveQuizAnswers.endpoint, "PUT", "/api/v1/attempts/\(attemptId)/answers", json: "{}", token: student.accessToken)
                .failedFields == ["answers"])
        // Another student can neither save nor submit it.
        let other = try course.learner(db)
        #expect(
            try call(
                SaveQuizAnswers.endpoint, "PUT", "/api/v1/attempts/\(attemptId)/answers", json: answers(started, right: false),
                token: other.accessToken
            ).status == 404)
        #expect(try submit(attemptId, nil, other.accessToken).status == 404)
        let history = try call(ListQuizAttempts.endpoint, "GET", "/api/v1/quizzes/\(quizId)/attempts", token: student.accessToken)
        assertNoKeys(history)
        #expect(history.items.count == 1)
        // Two concurrent submits score it once.
        let token = student.accessToken
        let statuses = Statuses()
        concurrently(2) {
            statuses.add((try? call(SubmitQuizAttempt.endpoint, "POST", "/api/v1/attempts/\(attemptId)/submit", token: token).status) ?? 0)
        }
        #expect(statuses.values == [200, 200])
        let result = try submit(attemptId, nil, student.accessToken)
        #expect(result.data["score_percent"] == .number(100))
        #expect(result.data["passed"]?.bool == true)
        #expect(result.text.contains("KEY-B"))  // keys shown after submission (show_answers defaults to true)
        #expect(try course.jobs(db, kind: "xp.award", user: student).filter { $0["type"]?.string == "quiz_pass" }.count == 1)
        #expect(
            try course.jobs(db, kind: "xp.award", user: student).first { $0["type"]?.string == "quiz_pass" }?["score_percent"]
                == .number(100))
        #expect(
            try db.query("SELECT count(*)::int AS n FROM quiz_results WHERE quiz_id = \(quizId) AND user_id = \(student.id)").one().int("n")
                == 4)
        #expect(try db.query("SELECT count(*)::int AS n FROM seed_quizzes WHERE module_id = \(course.modules[0])").one().int("n") == 2)
        // After submission: no more saving.
        #expect(
            try call(
                SaveQuizAnswers.endpoint, "PUT", "/api/v1/attempts/\(attemptId)/answers", json: answers(started, right: false),
                token: student.accessToken
            ).code == "attempt_submitted")
        let stats = try call(
            GetQuizStats.endpoint, "GET", "/api/v1/instructor/quizzes/\(quizId)/stats", token: course.instructor.accessToken)
        #expect(stats.status == 200)
        #expect(stats.data["questions"]?.array.first?["percent_correct"] == .number(100))
        #expect(stats.data["learners"]?.array.first?["attempts"] == .number(1))
        #expect(
            try call(GetQuizStats.endpoint, "GET", "/api/v1/instructor/quizzes/\(quizId)/stats", token: student.accessToken).status == 403)
    }

    @Test func answersStayHiddenWhenTheQuizSaysSoAndWrongAnswersFail() throws {
        let db = try TestEnvironment.connect()
        let course = try LearningCourse.make(db)
        let quizId = try #require(try createQuiz(course, #","show_answers":false"#).data["quiz"]?["id"]?.string)
        let student = try course.learner(db)
        let started = try start(quizId, student.accessToken)
        let result = try submit(try #require(started.data["id"]?.string), answers(started, right: false), student.accessToken)
        #expect(result.status == 200)
        #expect(result.data["passed"]?.bool == false)
        #expect(result.data["score_percent"] == .number(0))
        #expect(!result.text.contains("KEY-B"))
        #expect(!result.text.contains("correct_answer"))
        #expect(try course.jobs(db, kind: "xp.award", user: student).isEmpty)
    }

    @Test func aSubmitScoresTheAnswersSentWithItAsSavedAndASecondSubmitReadsTheSame() throws {
        let db = try TestEnvironment.connect()
        let course = try LearningCourse.make(db)
        let quizId = try #require(try createQuiz(course).data["quiz"]?["id"]?.string)
        let student = try course.learner(db)
        let started = try start(quizId, student.accessToken)
        let attemptId = try #require(started.data["id"]?.string)
        _ = try call(
            SaveQuizAnswers.endpoint, "PUT", "/api/v1/attempts/\(attemptId)/answers", json: answers(started, right: true),
            token: student.accessToken)
        // With the submit: the single choice (4 points) cleared, the true/false (2 points) made wrong.
        let questions = started.data["questions"]?.array ?? []
        let single = try #require(questions.first { $0["kind"]?.string == "single_choice" }?["id"]?.string)
        let flag = try #require(questions.first { $0["kind"]?.string == "true_false" }?["id"]?.string)
        let result = try submit(attemptId, #"{"answers":{"\#(single)":null,"\#(flag)":false}}"#, student.accessToken)
        #expect(result.status == 200)
        #expect(result.data["score_points"] == .number(4))
        #expect(result.data["score_percent"] == .number(40))
        let marks = Dictionary(
            uniqueKeysWithValues: (result.data["questions"]?.array ?? []).compactMap { item in
                item["question_id"]?.string.map { ($0, item) }
            })
        #expect(marks[single]?["answer"] == .null)
        #expect(marks[single]?["is_correct"]?.bool == false)
        #expect(marks[flag]?["answer"] == .bool(false))
        #expect(marks[flag]?["points_awarded"] == .number(0))
        let saved = try db.query(
            """
            SELECT count(*)::int AS n, count(*) FILTER (WHERE qa.question_id = ANY (a.correct_questions))::int AS correct
            FROM quiz_answers qa JOIN quiz_attempts a ON a.id = qa.attempt_id WHERE qa.attempt_id = \(attemptId)
            """
        ).one()
        #expect(try saved.int("n") == 3)
        #expect(try saved.int("correct") == 2)
        // Read back from what was stored, the result is the same document.
        let again = try submit(attemptId, nil, student.accessToken)
        #expect(again.status == 200)
        #expect(again.body == result.body)
    }

    /// A submit scores with the questions this process keeps by quiz version; once every attempt
    /// is gone the author may change the keys, and the next submit scores with the new ones.
    @Test func keptQuestionsAreNotUsedAfterAnEdit() throws {
        let db = try TestEnvironment.connect()
        let course = try LearningCourse.make(db)
        let quizId = try #require(try createQuiz(course).data["quiz"]?["id"]?.string)
        let student = try course.learner(db)
        let first = try start(quizId, student.accessToken)
        let firstId = try #require(first.data["id"]?.string)
        let scored = try submit(firstId, answers(first, right: true), student.accessToken)
        #expect(scored.data["score_percent"] == .number(100))
        #expect(QuestionSets.kept.value(quizId) != nil)
        try db.execute("DELETE FROM quiz_attempts WHERE quiz_id = \(quizId)")
        // Every key moves: the right answers of before are now all wrong.
        let moved = #"""
            [{"kind":"single_choice","prompt":"Capital of France?","options":["Berlin","Paris-KEY-A","Rome"],"correct":0,"points":4},
             {"kind":"multiple_choice","prompt":"Primes?","options":["2","3","4"],"correct":[2],"points":3},
             {"kind":"true_false","prompt":"Swift is compiled.","correct":false,"points":2},
             {"kind":"short_answer","prompt":"Say the word","correct":["other"],"points":1}]
            """#
        let edited = try call(
            UpdateQuiz.endpoint, "PATCH", "/api/v1/quizzes/\(quizId)", json: #"{"questions":\#(moved)}"#,
            token: course.instructor.accessToken)
        #expect(edited.status == 200)
        let second = try start(quizId, student.accessToken)
        let secondId = try #require(second.data["id"]?.string)
        let rescored = try submit(secondId, answers(second, right: true), student.accessToken)
        #expect(rescored.status == 200)
        #expect(rescored.data["score_percent"] == .number(0))
    }

    @Test func theAttemptLimitIsEnforced() throws {
        let db = try TestEnvironment.connect()
        let course = try LearningCourse.make(db)
        let quizId = try #require(try createQuiz(course, #","max_attempts":2"#).data["quiz"]?["id"]?.string)
        let student = try course.learner(db)
        for _ in 0..<2 {
            let attempt = try start(quizId, student.accessToken)
            #expect(attempt.status == 201)
            #expect(try submit(try #require(attempt.data["id"]?.string), nil, student.accessToken).status == 200)
        }
        let over = try start(quizId, student.accessToken)
        #expect(over.status == 409)
        #expect(over.code == "attempt_limit_reached")
        let history = try call(ListQuizAttempts.endpoint, "GET", "/api/v1/quizzes/\(quizId)/attempts", token: student.accessToken)
        #expect(history.data["attempts_left"] == .number(0))
        #expect(history.data["attempts_used"] == .number(2))
        // Not enrolled, not visible, not found.
        #expect(try start(quizId, try Factory.user(db).accessToken).code == "enrollment_required")
        #expect(try start(quizId, nil).status == 401)
        #expect(try start("00000000-0000-4000-8000-000000000000", student.accessToken).status == 404)
        #expect(
            try call(ListQuizAttempts.endpoint, "GET", "/api/v1/quizzes/\(quizId)/attempts", token: try Factory.user(db).accessToken).code
                == "enrollment_required")
    }

    @Test func theTimeLimitIsTheServersAndLateSubmitsScoreWhatWasSavedInTime() throws {
        let db = try TestEnvironment.connect()
        let course = try LearningCourse.make(db)
        let quizId = try #require(try createQuiz(course, #","time_limit_seconds":60"#).data["quiz"]?["id"]?.string)
        let student = try course.learner(db)
        let started = try start(quizId, student.accessToken)
        let attemptId = try #require(started.data["id"]?.string)
        #expect(started.data["deadline"]?.string != nil)
        #expect(started.data["grace_seconds"] == .number(Double(QuizTiming.graceSeconds)))
        // Save the right answers in time, then let the clock run out (moved back in the database).
        _ = try call(
            SaveQuizAnswers.endpoint, "PUT", "/api/v1/attempts/\(attemptId)/answers", json: answers(started, right: true),
            token: student.accessToken)
        try db.execute(
            """
            UPDATE quiz_attempts SET started_at = started_at - interval '2 minutes', deadline = deadline - interval '2 minutes'
            WHERE id = \(attemptId)
            """)
        let late = try call(
            SaveQuizAnswers.endpoint, "PUT", "/api/v1/attempts/\(attemptId)/answers", json: answers(started, right: false),
            token: student.accessToken)
        #expect(late.status == 409)
        #expect(late.code == "time_up")
        // Wrong answers sent with a late submit are ignored: what was saved in time is scored.
        let result = try submit(attemptId, answers(started, right: false), student.accessToken)
        #expect(result.status == 200)
        #expect(result.data["score_percent"] == .number(100))
        let row = try db.query("SELECT submitted_at = deadline AS at_deadline FROM quiz_attempts WHERE id = \(attemptId)").one()
        #expect(try row.bool("at_deadline"))
        // Within the grace, a save still counts.
        let second = try start(quizId, student.accessToken)
        let secondId = try #require(second.data["id"]?.string)
        try db.execute("UPDATE quiz_attempts SET deadline = now() - interval '3 seconds' WHERE id = \(secondId)")
        #expect(
            try call(
                SaveQuizAnswers.endpoint, "PUT", "/api/v1/attempts/\(secondId)/answers", json: answers(second, right: true),
                token: student.accessToken
            ).status == 200)
        // An attempt left to expire is scored when the learner comes back.
        try db.execute("UPDATE quiz_attempts SET deadline = now() - interval '1 minute' WHERE id = \(secondId)")
        let history = try call(ListQuizAttempts.endpoint, "GET", "/api/v1/quizzes/\(quizId)/attempts", token: student.accessToken)
        #expect(history.items.count == 2)
        #expect(history.items.last?["score_percent"] == .number(100))
    }

    @Test func aRequiredQuizMustBePassedToCompleteTheCourse() throws {
        let db = try TestEnvironment.connect()
        let course = try LearningCourse.make(db, modules: 1, lessonsPerModule: 1)
        let quizId = try #require(try createQuiz(course).data["quiz"]?["id"]?.string)
        let student = try course.learner(db)
        _ = try call(CompleteLesson.endpoint, "POST", "/api/v1/lessons/\(course.lessons[0])/complete", token: student.accessToken)
        var progress = try call(GetCourseProgress.endpoint, "GET", "/api/v1/courses/\(course.id)/progress", token: student.accessToken)
        #expect(progress.data["percent"] == .number(50))
        #expect(progress.data["completed_at"] == .null)
        let failing = try start(quizId, student.accessToken)
        _ = try submit(try #require(failing.data["id"]?.string), answers(failing, right: false), student.accessToken)
        let passing = try start(quizId, student.accessToken)
        let result = try submit(try #require(passing.data["id"]?.string), answers(passing, right: true), student.accessToken)
        #expect(result.data["passed"]?.bool == true)
        progress = try call(GetCourseProgress.endpoint, "GET", "/api/v1/courses/\(course.id)/progress", token: student.accessToken)
        #expect(progress.data["percent"] == .number(100))
        #expect(progress.data["completed_at"]?.string != nil)
        let quiz = progress.data["modules"]?.array.first?["quizzes"]?.array.first
        #expect(quiz?["best_score"] == .number(100))
        #expect(quiz?["attempts"] == .number(2))
        #expect(try course.jobs(db, kind: "certificate.issue", user: student).count == 1)
    }

    /// A submit checks the completion rule only when it passes a required quiz for the first
    /// time since the learner's last reset; such a pass after a reset completes the course.
    @Test func aFirstPassSinceTheResetCompletesTheCourse() throws {
        let db = try TestEnvironment.connect()
        let course = try LearningCourse.make(db, modules: 1, lessonsPerModule: 1)
        let quizId = try #require(try createQuiz(course).data["quiz"]?["id"]?.string)
        let student = try course.learner(db)
        let first = try start(quizId, student.accessToken)
        #expect(try submit(try #require(first.data["id"]?.string), answers(first, right: true), student.accessToken).status == 200)
        #expect(
            try call(ResetCourseProgress.endpoint, "POST", "/api/v1/courses/\(course.id)/progress/reset", token: student.accessToken)
                .status == 200)
        _ = try call(CompleteLesson.endpoint, "POST", "/api/v1/lessons/\(course.lessons[0])/complete", token: student.accessToken)
        func completed() throws -> Int {
            try db.query("SELECT count(*)::int AS n FROM course_completions WHERE user_id = \(student.id) AND course_id = \(course.id)")
                .one().int("n")
        }
        // The pass from before the reset no longer counts.
        #expect(try completed() == 0)
        let again = try start(quizId, student.accessToken)
        #expect(try submit(try #require(again.data["id"]?.string), answers(again, right: true), student.accessToken).status == 200)
        #expect(try completed() == 1)
        #expect(try course.jobs(db, kind: "certificate.issue", user: student).count == 1)
    }

    /// The results written by hand are the bytes the generic encoder writes.
    @Test func questionResultsAreWrittenAsTheEncoderWritesThem() throws {
        let answers: [JSONValue?] = [
            nil, .number(2), .number(2.5), .number(-0.0), .array([.number(0), .number(3)]), .bool(true), .null,
            .string("Quote \" back \\ tab \t new\nline \u{1} é 🎓 </x>"), .object(["b": .number(1), "a": .array([])]),
        ]
        var results: [AttemptResult.QuestionResult] = []
        for (index, answer) in answers.enumerated() {
            results.append(
                .init(
                    questionId: "00000000-0000-4000-8000-\(String(repeating: "0", count: 11))\(index)", isCorrect: index % 2 == 0,
                    pointsAwarded: index, points: 2 * index, answer: answer,
                    correctAnswer: index % 3 == 0 ? nil : answers[index - 1] ?? .null))
        }
        for count in [0, 1, results.count] {
            let slice = Array(results.prefix(count))
            #expect(try AttemptResult.write(slice).bytes == encodeJSON(slice))
        }
    }

    @Test func storedTextsComeBackIntactWhateverTheyHold() throws {
        let db = try TestEnvironment.connect()
        let course = try LearningCourse.make(db)
        let json = #"""
            {"title":"Texts","questions":[
              {"kind":"single_choice","prompt":"Pick","options":["say \"hi\"","back\\slash","slash\/ok","café ☕ 😀","\u00e9t\u00e9"],"correct":4},
              {"kind":"short_answer","prompt":"Word","correct":["Ça va","  SPACED   out "]}]}
            """#
        let created = try call(
            CreateQuiz.endpoint, "POST", "/api/v1/modules/\(course.modules[0])/quizzes", json: json, token: course.instructor.accessToken)
        #expect(created.status == 201)
        let quizId = try #require(created.data["quiz"]?["id"]?.string)
        let read = try call(GetQuiz.endpoint, "GET", "/api/v1/quizzes/\(quizId)", token: course.instructor.accessToken)
        let options = read.data["questions"]?.array.first?["options"]?.array.compactMap(\.string)
        #expect(options == ["say \"hi\"", "back\\slash", "slash/ok", "café ☕ 😀", "été"])
        let student = try course.learner(db)
        let attempt = try start(quizId, student.accessToken)
        let questions = attempt.data["questions"]?.array ?? []
        let pick = try #require(questions.first { $0["kind"]?.string == "single_choice" }?["id"]?.string)
        let word = try #require(questions.first { $0["kind"]?.string == "short_answer" }?["id"]?.string)
        let result = try submit(
            try #require(attempt.data["id"]?.string), #"{"answers":{"\#(pick)":4,"\#(word)":"spaced OUT"}}"#, student.accessToken)
        #expect(result.data["score_percent"] == .number(100))
    }

    /// The stored-JSON parser reads what PostgreSQL writes (`jsonb::text`, `json_object_agg`)
    /// as JSON: the same values as Foundation's decoder, and refuses what is not JSON.
    @Test func storedJSONIsReadAsJSON() throws {
        let texts = [
            #"[{"options": [0, 1, 2, 3], "question": "ac215c2e-1563-4c7d-906f-3a93215b4854"}, {"options": [], "question": "x"}]"#,
            #"{ "425a9c27" : "wrong", "14cb54f0" : [0, 3], "ff59b04d" : 2, "fc011abb" : " The  Answer ", "1539ad2a" : true }"#,
            #"["say \"hi\"", "back\\slash", "slash\/ok", "café ☕ 😀", "\u00e9t\u00e9 \ud83d\ude00", "tab\tnew\nline"]"#,
            #"[-12, 0, 7, 2.5, -0.25, 1e3, 1.5E-2, 123456789012345678, null, false, true, {}, [], ""]"#,
            #"  {"nested": {"deeper": [[1], {"k": null}]}}  "#,
        ]
        for text in texts {
            let expected = try JSONValue.parse(Array(text.utf8))
            #expect(try StoredJSON.parse(text) == expected, "\(text)")
        }
        for bad in [#"[1, 2"#, #"{"a" 1}"#, #""open"#, "tru", "[1,]x", "-", #"["\u12"]"#, "[1] 2", ""] {
            #expect(throws: DatabaseError.self) { try StoredJSON.parse(bad) }
        }
    }
}
