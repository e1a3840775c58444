import Auth
import Core
import Database
import Runtime

/// `POST /api/v1/courses/{id}/modules`: adds a module (`title`, optional `position`; at the end
/// by default).
public enum CreateModule {
    public static let endpoint = Endpoint(
        .post, "/api/v1/courses/{id}/modules", access: .roles([.instructor, .admin]), body: 4 * KiB, handle)

    public static func handle(_ context: Context) throws -> Response {
        let caller = try context.user()
        let courseId = try context.request.parameter("id")
        var fields = try Fields(context.request.json())
        let title = fields.string("title", max: 120)
        fields.checkDisplayText("title", title)
        let position = fields.int("position", min: 1, max: 10_000, default: 10_000)
        try fields.finish()
        guard let title else { throw APIError.invalid([]) }
        let module: ModuleView = try context.transaction { db in
            _ = try Curriculum.lockCourse(db, courseId: courseId, caller: caller)
            let row = try db.query(
                """
                INSERT INTO modules (course_id, title, position)
                VALUES (\(courseId), \(title), (SELECT count(*) + 1 FROM modules WHERE course_id = \(courseId)))
                RETURNING id, position
                """
            ).one()
            let id = try row.string("id")
            _ = try Curriculum.move(db, table: .modules, id: id, parentId: courseId, from: try row.int("position"), to: position ?? 10_000)
            return try ModuleView(try db.query("SELECT \(fragment: ModuleView.columns) FROM modules m WHERE m.id = \(id)").one())
        }
        return .created(module, message: "Module added.")
    }
}

/// `PATCH /api/v1/modules/{id}`: renames and/or moves a module (`title`, `position`).
public enum UpdateModule {
    public static let endpoint = Endpoint(.patch, "/api/v1/modules/{id}", access: .roles([.instructor, .admin]), body: 4 * KiB, handle)

    public static func handle(_ context: Context) throws -> Response {
        let caller = try context.user()
        let id = try context.request.parameter("id")
        var fields = try Fields(context.request.json())
        let title = fields.optionalString("title", min: 1, max: 120)
        fields.checkDisplayText("title", title)
        let position = fields.has("position") ? fields.int("position", min: 1, max: 10_000) : nil
        try fields.finish()
        let module: ModuleView = try context.transaction { db in
            let courseId = try Curriculum.courseOfModule(db, moduleId: id)
            _ = try Curriculum.lockCourse(db, courseId: courseId, caller: caller)
            let current = try ModuleView(try db.query("SELECT \(fragment: ModuleView.columns) FROM modules m WHERE m.id = \(id)").one())
            if let title { try db.execute("UPDATE modules SET title = \(title), updated_at = now() WHERE id = \(id)") }
            if let position {
                _ = try Curriculum.move(db, table: .modules, id: id, parentId: courseId, from: current.position, to: position)
            }
            return try ModuleView(try db.query("SELECT \(fragment: ModuleView.columns) FROM modules m WHERE m.id = \(id)").one())
        }
        return .ok(module, message: "Module updated.")
    }
}

/// `DELETE /api/v1/modules/{id}`: removes a module with its lessons; the rest close ranks.
public enum DeleteModule {
    public static let endpoint = Endpoint(.delete, "/api/v1/modules/{id}", access: .roles([.instructor, .admin]), body: 1 * KiB, handle)

    public static func handle(_ context: Context) throws -> Response {
        let caller = try context.user()
        let id = try context.request.parameter("id")
        try context.transaction { db in
            let courseId = try Curriculum.courseOfModule(db, moduleId: id)
            _ = try Curriculum.lockCourse(db, courseId: courseId, caller: caller)
            let position = try db.query("DELETE FROM modules WHERE id = \(id) RETURNING position").one().int("position")
            try Curriculum.closeGap(db, table: .modules, parentId: courseId, after: position)
        }
        return .message("Module removed.")
    }
}
