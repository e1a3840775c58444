import Core
import Database
import Runtime
import TestSupport
import Testing

/// The learning loop through the real proxy, in both modes: positions and completion, a quiz
/// attempt whose keys stay on the server, and an assignment handed in as a plain-text upload
/// (the `submission` purpose) whose signed link works for its learner only.
@Suite struct LearningFlowTests {
    func pathOf(_ url: String) -> String {
        let afterScheme = url.split(separator: "://", maxSplits: 1).last.map(String.init) ?? url
        return String(afterScheme[afterScheme.firstIndex(of: "/")!...])
    }

    @Test(arguments: Mode.allCases)
    func learnersProgressTakeQuizzesAndHandInWork(mode: Mode) throws {
        let client = try mode.client()
        let db = try TestEnvironment.connect()
        let teacher = try Factory.user(db, role: .instructor)
        let student = try Factory.user(db)
        let course = try #require(
            try client.send("POST", "/api/v1/courses", json: #"{"title":"Flow"}"#, token: teacher.accessToken).data["id"]?.string)
        let module = try #require(
            try client.send("POST", "/api/v1/courses/\(course)/modules", json: #"{"title":"M"}"#, token: teacher.accessToken).data["id"]?
                .string)
        let lesson = try #require(
            try client.send(
                "POST", "/api/v1/modules/\(module)/lessons", json: #"{"title":"Watch","kind":"video","duration_seconds":60}"#,
                token: teacher.accessToken
            ).data["id"]?.string)
        let quiz = try client.send(
            "POST", "/api/v1/modules/\(module)/quizzes",
            json: #"{"title":"Q","questions":[{"kind":"short_answer","prompt":"Secret?","correct":["OPEN-SESAME-KEY"]}]}"#,
            token: teacher.accessToken)
        #expect(quiz.status == 201)
        let quizId = try #require(quiz.data["quiz"]?["id"]?.string)
        let assignment = try #require(
            try client.send(
                "POST", "/api/v1/modules/\(module)/assignments", json: #"{"title":"Notes","file_kinds":["text"]}"#,
                token: teacher.accessToken
            ).data["id"]?.string)
        try db.execute("UPDATE courses SET status = 'published', published_at = now() WHERE id = \(course)")
        try db.execute("INSERT INTO enrollments (user_id, course_id, source) VALUES (\(student.id), \(course), 'free')")

        let position = try client.send("PUT", "/api/v1/lessons/\(lesson)/position", json: #"{"seconds":90}"#, token: student.accessToken)
        #expect(position.status == 200)
        #expect(position.data["seconds"] == .number(60))
        #expect(try client.send("POST", "/api/v1/lessons/\(lesson)/complete", token: student.accessToken).status == 201)

        let attempt = try client.send("POST", "/api/v1/quizzes/\(quizId)/attempts", token: student.accessToken)
        #expect(attempt.status == 201)
        #expect(!attempt.text.contains("OPEN-SESAME-KEY"))
        let attemptId = try #require(attempt.data["id"]?.string)
        let question = try #require(firstQuestion(attempt))
        let result = try client.send(
            "POST", "/api/v1/attempts/\(attemptId)/submit", json: #"{"answers":{"\#(question)":"open-sesame-key"}}"#,
            token: student.accessToken)
        #expect(result.status == 200)
        #expect(result.data["passed"]?.bool == true)

        // The work: a plain-text upload through the local store, then the submission.
        let notes = Array("My notes on the lesson.\n".utf8)
        let created = try client.send(
            "POST", "/api/v1/uploads",
            json: #"{"purpose":"submission","filename":"notes.txt","content_type":"text/plain","size_bytes":\#(notes.count)}"#,
            token: student.accessToken)
        #expect(created.status == 201)
        let media = try #require(created.data["media"]?["id"]?.string)
        let sent = try client.send(
            "PUT", pathOf(try #require(created.data["upload"]?["url"]?.string)), body: notes, headers: ["Content-Type": "text/plain"])
        #expect(sent.data["status"]?.string == "ready")
        let submitted = try client.send(
            "POST", "/api/v1/assignments/\(assignment)/submissions", json: #"{"media_ids":["\#(media)"]}"#, token: student.accessToken)
        #expect(submitted.status == 201)
        let link = pathOf(try #require(submitted.data["files"]?[0]?["url"]?.string))
        let file = try client.send("GET", link)
        #expect(file.status == 200)
        #expect(file.body == notes)

        let progress = try client.send("GET", "/api/v1/courses/\(course)/progress", token: student.accessToken)
        #expect(progress.data["done_items"] == .number(2))
        #expect(progress.data["required_items"] == .number(3))
        let other = try Factory.user(db)
        #expect(try client.send("GET", "/api/v1/courses/\(course)/progress", token: other.accessToken).code == "enrollment_required")
    }

    func firstQuestion(_ attempt: TestResponse) -> String? {
        if case .array(let questions)? = attempt.data["questions"] { return questions.first?["id"]?.string }
        return nil
    }
}

extension JSONValue {
    fileprivate subscript(index: Int) -> JSONValue? {
        if case .array(let items) = self, items.indices.contains(index) { return items[index] }
        return nil
    }
}
