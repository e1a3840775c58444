import Auth
import Core
import Courses
import Database
import Learning
import Notifications
import Runtime

/// `POST /api/v1/modules/{id}/assignments`: adds an assignment to a module.
public enum CreateAssignment {
    public static let endpoint = Endpoint(
        .post, "/api/v1/modules/{id}/assignments", access: .roles([.instructor, .admin]), body: 64 * KiB, handle)

    public static func handle(_ context: Context) throws -> Response {
        let caller = try context.user()
        let moduleId = try context.request.parameter("id")
        var fields = try Fields(context.request.json())
        let input = try AssignmentInput(&fields, creating: true)
        guard let title = input.title else { throw APIError.invalid([]) }
        let assignment: AssignmentView = try context.transaction { db in
            let courseId = try LearnerAccess.courseOfModule(db, moduleId: moduleId)
            let course = try LearnerAccess.authored(db, courseId: courseId, caller: caller, lock: true)
            guard course.status != "submitted" && course.status != "archived" else {
                throw APIError.conflict("A course that is \(course.status) cannot be edited.", code: "course_locked")
            }
            let id = try db.query(
                """
                INSERT INTO assignments (module_id, course_id, title, instructions, due_at, max_points, pass_points, file_kinds,
                                         allow_late, is_required)
                VALUES (\(moduleId), \(courseId), \(title), \(input.instructions ?? ""), \(input.dueAt.value)::timestamptz,
                        \(input.maxPoints ?? 100), \(input.passPoints ?? ((input.maxPoints ?? 100) + 1) / 2),
                        \(TextArray(input.fileKinds ?? []))::text[], \(input.allowLate ?? true), \(input.isRequired ?? true))
                RETURNING id
                """
            ).one().string("id")
            try db.execute("UPDATE courses SET updated_at = now() WHERE id = \(courseId)")
            return try AssignmentView.load(db, id: id)
        }
        return .created(assignment, message: "Assignment added.")
    }
}

/// `GET /api/v1/assignments/{id}`: authors get the assignment and its submission counts; an
/// enrolled learner gets it with their own submissions (newest first: grade, feedback, files).
public enum GetAssignment {
    public static let endpoint = Endpoint(.get, "/api/v1/assignments/{id}", access: .signedIn, handle)

    public static func handle(_ context: Context) throws -> Response {
        let caller = try context.user()
        let id = try context.request.parameter("id")
        let db = try context.db()
        let assignment = try AssignmentView.load(db, id: id)
        let course = try LearnerAccess.enrolledOrAuthor(db, courseId: assignment.courseId, caller: caller)
        if LearnerAccess.isAuthor(caller, of: course) {
            let counts = try db.query(
                """
                SELECT count(*) FILTER (WHERE status = 'submitted')::int AS ungraded, count(*) FILTER (WHERE status = 'graded')::int AS graded
                FROM assignment_submissions WHERE assignment_id = \(id)
                """
            ).one()
            return .ok(ForAuthor(assignment: assignment, ungraded: try counts.int("ungraded"), graded: try counts.int("graded")))
        }
        let rows = try db.query(
            """
            SELECT \(fragment: SubmissionView.columns) FROM assignment_submissions x JOIN users u ON u.id = x.user_id
            WHERE x.assignment_id = \(id) AND x.user_id = \(caller.id)
            ORDER BY x.submitted_at DESC, x.id DESC
            """
        ).rows
        var response = Response.ok(
            ForLearner(assignment: assignment, submissions: try SubmissionView.build(db, rows, config: context.config, showName: false)))
        response.headers.append(("Cache-Control", "private, no-store"))
        return response
    }

    struct ForAuthor: Encodable, Sendable {
        var assignment: AssignmentView
        var ungraded: Int
        var graded: Int
    }

    struct ForLearner: Encodable, Sendable {
        var assignment: AssignmentView
        var submissions: [SubmissionView]
    }
}

extension LearnerAccess {
    /// The course for its authors or its enrolled learners (404 / 403 `enrollment_required` otherwise).
    static func enrolledOrAuthor(_ db: Connection, courseId: String, caller: Caller) throws -> LearnerCourse {
        do {
            return try authored(db, courseId: courseId, caller: caller)
        } catch let error as APIError where error.status == 404 {
            return try enrolled(db, courseId: courseId, caller: caller)
        }
    }
}

/// `POST /api/v1/assignments/{id}/submissions` `{"body": "...", "media_ids": [...]}`: hands in
/// work (text and/or ready `submission` uploads of the accepted kinds). Resubmitting replaces
/// the current submission (kept as `superseded`) until one is graded (then 409
/// `already_graded`). After the due date it is flagged late, or refused (409 `past_due`) when
/// the assignment takes no late work.
public enum SubmitAssignment {
    public static let endpoint = Endpoint(.post, "/api/v1/assignments/{id}/submissions", access: .signedIn, body: 256 * KiB, handle)

    static let maxFiles = 10

    public static func handle(_ context: Context) throws -> Response {
        let caller = try context.user()
        let id = try context.request.parameter("id")
        var fields = try Fields(context.request.json())
        let body = fields.optionalString("body", max: 50_000, multiline: true).flatMap { $0.isEmpty ? nil : $0 }
        let mediaIds = fields.stringList("media_ids", maxItems: maxFiles, maxLength: 36) ?? []
        if !mediaIds.allSatisfy(isUUID) || Set(mediaIds).count != mediaIds.count {
            fields.fail("media_ids", "must be a list of distinct upload ids")
        }
        if body == nil && mediaIds.isEmpty && fields.errors.isEmpty { fields.fail("body", "send a text, files, or both") }
        try fields.finish()
        let submission: SubmissionView = try context.transaction { db in
            let assignment = try AssignmentView.load(db, id: id)
            _ = try LearnerAccess.enrolled(db, courseId: assignment.courseId, caller: caller, lock: true)
            let allowed = assignment.fileKinds.compactMap(SubmissionFileKind.init(rawValue:)).flatMap(\.contentTypes)
            if !mediaIds.isEmpty {
                let usable = try db.query(
                    """
                    SELECT count(*)::int AS n FROM media
                    WHERE id = ANY(\(TextArray(mediaIds))::uuid[]) AND owner_id = \(caller.id) AND purpose = 'submission'
                      AND status = 'ready' AND declared_type = ANY(\(TextArray(allowed))::text[])
                    """
                ).one().int("n")
                guard usable == mediaIds.count else {
                    throw APIError.invalid(
                        field: "media_ids",
                        allowed.isEmpty
                            ? "this assignment takes text only"
                            : "must be your ready submission uploads of these kinds: " + assignment.fileKinds.joined(separator: ", "))
                }
            }
            let state = try db.query(
                """
                SELECT (SELECT status FROM assignment_submissions
                        WHERE assignment_id = \(id) AND user_id = \(caller.id) AND status IN ('submitted', 'graded')) AS current,
                       coalesce(now() > s.due_at, false) AS late
                FROM assignments s WHERE s.id = \(id)
                """
            ).one()
            if try state.optionalString("current") == "graded" {
                throw APIError.conflict("This assignment has been graded: it cannot be resubmitted.", code: "already_graded")
            }
            let late = try state.bool("late")
            if late && !assignment.allowLate {
                throw APIError.conflict("The due date has passed and this assignment takes no late work.", code: "past_due")
            }
            try db.execute(
                """
                UPDATE assignment_submissions SET status = 'superseded'
                WHERE assignment_id = \(id) AND user_id = \(caller.id) AND status = 'submitted'
                """)
            let newId = try db.query(
                """
                INSERT INTO assignment_submissions (assignment_id, user_id, course_id, body, is_late)
                VALUES (\(id), \(caller.id), \(assignment.courseId), \(body), \(late))
                RETURNING id
                """
            ).one().string("id")
            if !mediaIds.isEmpty {
                try db.execute(
                    """
                    INSERT INTO submission_files (submission_id, media_id, position)
                    SELECT \(newId), t.id::uuid, t.n FROM unnest(\(TextArray(mediaIds))::text[]) WITH ORDINALITY AS t (id, n)
                    """)
            }
            let row = try db.query(
                """
                SELECT \(fragment: SubmissionView.columns) FROM assignment_submissions x JOIN users u ON u.id = x.user_id
                WHERE x.id = \(newId)
                """
            ).one()
            return try SubmissionView.build(db, [row], config: context.config, showName: false)[0]
        }
        return .created(submission, message: submission.isLate ? "Submitted (late)." : "Submitted.")
    }
}

/// `GET /api/v1/assignments/{id}/submissions?status=ungraded|graded|superseded&late=true|false`:
/// the submissions of an assignment for the course's instructor and admins, oldest first, in
/// cursor pages; by default the current ones (waiting and graded), with signed file links.
public enum ListSubmissions {
    public static let endpoint = Endpoint(
        .get, "/api/v1/assignments/{id}/submissions", access: .roles([.instructor, .admin]), handle)

    public static func handle(_ context: Context) throws -> Response {
        let caller = try context.user()
        let id = try context.request.parameter("id")
        let request = context.request
        let limit = Int(request.queryValue("limit") ?? "20") ?? 0
        guard (1...100).contains(limit) else { throw APIError.invalid(field: "limit", "must be a whole number from 1 to 100") }
        let statuses: [String]
        switch request.queryValue("status") {
        case nil, "current"?: statuses = ["submitted", "graded"]
        case "ungraded"?: statuses = ["submitted"]
        case "graded"?: statuses = ["graded"]
        case "superseded"?: statuses = ["superseded"]
        case "all"?: statuses = ["submitted", "graded", "superseded"]
        default: throw APIError.invalid(field: "status", "must be one of: current, ungraded, graded, superseded, all")
        }
        let late: Bool?
        switch request.queryValue("late") {
        case nil: late = nil
        case "true"?: late = true
        case "false"?: late = false
        default: throw APIError.invalid(field: "late", "must be true or false")
        }
        let after = try CourseCursor.decode(request.queryValue("cursor"))
        let db = try context.db()
        let assignment = try AssignmentView.load(db, id: id)
        _ = try LearnerAccess.authored(db, courseId: assignment.courseId, caller: caller)
        let rows = try db.query(
            """
            SELECT \(fragment: SubmissionView.columns) FROM assignment_submissions x JOIN users u ON u.id = x.user_id
            WHERE x.assignment_id = \(id) AND x.status = ANY(\(TextArray(statuses))::text[])
              AND (\(late)::boolean IS NULL OR x.is_late = \(late)::boolean)
              AND (\(after?.time)::timestamptz IS NULL OR (x.submitted_at, x.id) > (\(after?.time)::timestamptz, \(after?.id)::uuid))
            ORDER BY x.submitted_at, x.id
            LIMIT \(limit + 1)
            """
        ).rows
        let items = try SubmissionView.build(db, Array(rows.prefix(limit)), config: context.config, showName: true)
        var next: String?
        if rows.count > limit, let last = rows.prefix(limit).last {
            next = CourseCursor.encode(time: try last.string("cursor_time"), id: try last.string("id"))
        }
        var response = Response.ok(Page(items: items, nextCursor: next))
        response.headers.append(("Cache-Control", "private, no-store"))
        return response
    }

    struct Page: Encodable, Sendable {
        var items: [SubmissionView]
        @Nullable var nextCursor: String?
    }
}

/// `POST /api/v1/submissions/{id}/grade` `{"points": n, "feedback": "..."}`: grades the current
/// submission (once: 409 `already_graded`; a superseded one 409 `submission_superseded`),
/// emails the learner through the queue, emits the XP event when the grade reaches the pass
/// mark, then checks whether the learner has completed the course.
public enum GradeSubmission {
    public static let endpoint = Endpoint(
        .post, "/api/v1/submissions/{id}/grade", access: .roles([.instructor, .admin]), body: 64 * KiB, handle)

    public static func handle(_ context: Context) throws -> Response {
        let caller = try context.user()
        let id = try context.request.parameter("id")
        var fields = try Fields(context.request.json())
        let points = fields.int("points", min: 0, max: 1000)
        let feedback = fields.optionalString("feedback", max: 10_000, multiline: true)
        try fields.finish()
        guard let points else { throw APIError.invalid([]) }
        let (submission, learnerId, courseId): (SubmissionView, String, String) = try context.transaction { db in
            guard isUUID(id),
                let current = try db.query("SELECT assignment_id, user_id, status FROM assignment_submissions WHERE id = \(id) FOR UPDATE")
                    .first
            else { throw APIError.notFound("Submission") }
            let assignment = try AssignmentView.load(db, id: try current.string("assignment_id"))
            let course = try LearnerAccess.authored(db, courseId: assignment.courseId, caller: caller)
            switch try current.string("status") {
            case "graded": throw APIError.conflict("This submission is already graded.", code: "already_graded")
            case "superseded":
                throw APIError.conflict("The learner has resubmitted: grade their latest submission.", code: "submission_superseded")
            default: break
            }
            guard points <= assignment.maxPoints else {
                throw APIError.invalid(field: "points", "must be at most \(assignment.maxPoints)")
            }
            let graded = try db.query(
                """
                UPDATE assignment_submissions SET status = 'graded', points = \(points), feedback = \(feedback), graded_at = now(),
                    graded_by = \(caller.id)
                WHERE id = \(id)
                RETURNING \(fragment: isoTime("graded_at")) AS occurred_at
                """
            ).one()
            let learnerId = try current.string("user_id")
            let learner = try db.query("SELECT email, name FROM users WHERE id = \(learnerId)").one()
            try Notifications.email(
                db,
                .init(
                    template: "assignment_graded", to: try learner.string("email"), name: try learner.string("name"),
                    data: [
                        "course_title": course.title, "assignment_title": assignment.title, "points": String(points),
                        "max_points": String(assignment.maxPoints), "feedback": feedback ?? "",
                    ],
                    messageKey: "assignment_graded:\(id)"))
            if points >= assignment.passPoints {
                try LearningEvents.awardXP(
                    db, userId: learnerId, type: .assignmentGraded, source: "assignment:\(assignment.id)", courseId: assignment.courseId,
                    occurredAt: try graded.string("occurred_at"), scorePercent: points * 100 / assignment.maxPoints)
            }
            let row = try db.query(
                """
                SELECT \(fragment: SubmissionView.columns) FROM assignment_submissions x JOIN users u ON u.id = x.user_id
                WHERE x.id = \(id)
                """
            ).one()
            return (try SubmissionView.build(db, [row], config: context.config, showName: true)[0], learnerId, assignment.courseId)
        }
        try CourseCompletion.check(context, userId: learnerId, courseId: courseId)
        return .ok(submission, message: "Graded.")
    }
}
