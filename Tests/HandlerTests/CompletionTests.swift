import Auth
import Core
import Database
import Learning
import Runtime
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The completion rule and its exactly-once record and jobs.
@Suite struct CompletionTests {
    func complete(_ lesson: String, _ token: String) throws -> TestResponse {
        try call(CompleteLesson.endpoint, "POST", "/api/v1/lessons/\(lesson)/complete", token: token)
    }

    func completions(_ db: Connection, _ course: LearningCourse, _ user: TestUser) throws -> Int {
        try db.query("SELECT count(*)::int AS n FROM course_completions WHERE user_id = \(user.id) AND course_id = \(course.id)").one()
            .int("n")
    }

    @Test func twentyConcurrentCompletesOfTheLastLessonCompleteOnce() throws {
        let db = try TestEnvironment.connect()
        let course = try LearningCourse.make(db, modules: 1, lessonsPerModule: 3)
        let student = try course.learner(db)
        for lesson in course.lessons.prefix(2) { #expect(try complete(lesson, student.accessToken).status == 201) }
        #expect(try completions(db, course, student) == 0)
        let last = course.lessons[2]
        let token = student.accessToken
        let statuses = Statuses()
        concurrently(20) {
            statuses.add((try? call(CompleteLesson.endpoint, "POST", "/api/v1/lessons/\(last)/complete", token: token).status) ?? 0)
        }
        #expect(statuses.values.filter { $0 == 201 }.count == 1)
        #expect(statuses.values.filter { $0 == 200 }.count == 19)
        #expect(try completions(db, course, student) == 1)
        #expect(try course.jobs(db, kind: "certificate.issue", user: student).count == 1)
        let awards = try course.jobs(db, kind: "xp.award", user: student).filter { $0["type"]?.string == "course_complete" }
        #expect(awards.count == 1)
        #expect(awards.first?["source"]?.string == "course:\(course.id)")
        #expect(try course.emailJobs(db, template: "course_completed", to: student) == 1)
        let certificate = try #require(try course.jobs(db, kind: "certificate.issue", user: student).first)
        let keyRow = try db.query(
            "SELECT queue, unique_key FROM jobs WHERE kind = 'certificate.issue' AND payload->>'user_id' = \(student.id)"
        )
        .one()
        #expect(try keyRow.string("queue") == "certificates")
        #expect(try keyRow.string("unique_key") == "certificate:\(student.id):\(course.id)")
        let recorded = try db.query(
            """
            SELECT to_char(completed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS t FROM course_completions
            WHERE user_id = \(student.id) AND course_id = \(course.id)
            """
        ).one().string("t")
        #expect(certificate["completed_at"]?.string == recorded)
        // Undoing and redoing a lesson later completes nothing twice.
        _ = try call(UncompleteLesson.endpoint, "DELETE", "/api/v1/lessons/\(last)/complete", token: token)
        _ = try complete(last, token)
        #expect(try completions(db, course, student) == 1)
        #expect(try course.jobs(db, kind: "certificate.issue", user: student).count == 1)
    }

    /// The write that finished a course crashed between its commit and the completion check:
    /// the learner's progress page finds everything done and makes the completion, once.
    @Test func aMissedCompletionIsMadeByTheProgressPage() throws {
        let db = try TestEnvironment.connect()
        let course = try LearningCourse.make(db, modules: 1, lessonsPerModule: 2)
        let student = try course.learner(db)
        #expect(try complete(course.lessons[0], student.accessToken).status == 201)
        // The last lesson done as its commit would leave it, without the check that follows.
        try db.execute(
            """
            INSERT INTO lesson_progress (user_id, lesson_id, course_id, completed_at)
            VALUES (\(student.id), \(course.lessons[1]), \(course.id), now())
            """)
        #expect(try completions(db, course, student) == 0)
        func page() throws -> TestResponse {
            try call(GetCourseProgress.endpoint, "GET", "/api/v1/courses/\(course.id)/progress", token: student.accessToken)
        }
        let first = try page()
        #expect(first.status == 200)
        #expect(first.data["percent"] == .number(100))
        #expect(first.data["completed_at"]?.string != nil)
        #expect(try completions(db, course, student) == 1)
        #expect(try page().data["completed_at"] == first.data["completed_at"])
        #expect(try course.jobs(db, kind: "certificate.issue", user: student).count == 1)
        #expect(try course.emailJobs(db, template: "course_completed", to: student) == 1)
    }

    @Test func aCourseWithoutRequiredItemsIsNeverCompletedByAccident() throws {
        let db = try TestEnvironment.connect()
        let course = try LearningCourse.make(db, modules: 1, lessonsPerModule: 1)
        try db.execute("UPDATE lessons SET is_required = false WHERE course_id = \(course.id)")
        let student = try course.learner(db)
        #expect(try complete(course.lessons[0], student.accessToken).status == 201)
        #expect(try completions(db, course, student) == 0)
    }
}

/// Collects results from threads.
final class Statuses: @unchecked Sendable {
    private var lock = pthread_mutex_t()
    private var list: [Int] = []
    init() { pthread_mutex_init(&lock, nil) }
    func add(_ value: Int) {
        pthread_mutex_lock(&lock)
        list.append(value)
        pthread_mutex_unlock(&lock)
    }
    var values: [Int] {
        pthread_mutex_lock(&lock)
        defer { pthread_mutex_unlock(&lock) }
        return list
    }
}

/// Runs `body` on `count` threads at once (real threads: the test's task pool may have only
/// two) and waits for all of them.
func concurrently(_ count: Int, _ body: @escaping @Sendable () -> Void) {
    final class Box: @unchecked Sendable {
        let body: @Sendable () -> Void
        init(_ body: @escaping @Sendable () -> Void) { self.body = body }
    }
    var threads: [pthread_t] = []
    for _ in 0..<count {
        var thread = pthread_t()
        let box = Unmanaged.passRetained(Box(body)).toOpaque()
        let result = pthread_create(
            &thread, nil,
            { argument in
                let box = Unmanaged<Box>.fromOpaque(argument!).takeRetainedValue()
                box.body()
                return nil
            }, box)
        precondition(result == 0, "pthread_create failed")
        threads.append(thread)
    }
    for thread in threads { pthread_join(thread, nil) }
}
