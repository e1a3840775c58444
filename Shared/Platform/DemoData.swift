import Auth
import Core
import Crypto
import Database
import Payments

/// Demo data for a local stack: 5 instructors, 30 students, 12 published courses across
/// categories, levels and languages, each with modules and lessons; one of them with a quiz, an
/// assignment and learners part-way through (`DemoLearning`). Idempotent: users that exist are
/// left alone, courses are added only when the demo instructors have none.
public enum DemoData {
    public struct Credentials: Sendable {
        public var instructors: [String]
        public var students: [String]
        public var password: String
    }

    static let courses: [(title: String, category: String, level: String, language: String, price: Int, tags: [String])] = [
        ("Swift on the Server from Scratch", "development", "beginner", "en", 0, ["swift", "server", "linux"]),
        ("PostgreSQL Performance Tuning", "it-software", "advanced", "en", 249_900, ["postgresql", "sql", "indexes"]),
        ("Data Analysis with Python", "data-science", "intermediate", "en", 149_900, ["python", "pandas", "statistics"]),
        ("Designing Mobile Interfaces", "design", "all_levels", "en", 99_900, ["ui", "ux", "mobile"]),
        ("Marketing Analytics Essentials", "marketing", "beginner", "en", 0, ["marketing", "analytics"]),
        ("Personal Finance for Everyone", "finance", "beginner", "hi", 49_900, ["budgeting", "investing"]),
        ("Guitar Basics in 30 Days", "music", "beginner", "en", 79_900, ["guitar", "chords"]),
        ("Portrait Photography", "photography", "intermediate", "es", 129_900, ["photography", "lighting"]),
        ("Yoga for Desk Workers", "health", "all_levels", "en", 0, ["yoga", "posture"]),
        ("Spanish for Travellers", "language", "beginner", "es", 59_900, ["spanish", "conversation"]),
        ("Leading Remote Teams", "business", "intermediate", "en", 199_900, ["leadership", "remote"]),
        ("Machine Learning Foundations", "data-science", "advanced", "pt-BR", 299_900, ["machine learning", "python"]),
    ]

    public static func load(_ db: Connection, password: String, billing: BillingSettings) throws -> Credentials {
        let hash = Passwords.hash(password)
        var instructorIds: [String] = []
        var instructors: [String] = []
        var students: [String] = []
        try db.transaction { tx in
            for n in 1...5 {
                let email = "instructor\(n)@demo.lms.local"
                instructorIds.append(try user(tx, email: email, name: "Demo Instructor \(n)", role: "instructor", hash: hash))
                instructors.append(email)
            }
            for n in 1...30 {
                let email = "student\(n)@demo.lms.local"
                _ = try user(tx, email: email, name: "Demo Student \(n)", role: "student", hash: hash)
                students.append(email)
            }
            let existing = try tx.query(
                "SELECT count(*)::int AS n FROM courses WHERE instructor_id = ANY(\(TextArray(instructorIds))::uuid[])"
            )
            .one().int("n")
            guard existing == 0 else { return }
            for (index, course) in courses.enumerated() {
                let id = try tx.query(
                    """
                    INSERT INTO courses (instructor_id, title, subtitle, description, category_id, level, language, price_minor, currency,
                                         tags, outcomes, requirements, status, published_at)
                    VALUES (\(instructorIds[index % 5]), \(course.title), \("A demo course about " + course.tags.joined(separator: ", ")),
                            \("Everything you need to get started with " + course.title.lowercased() + "."),
                            (SELECT id FROM categories WHERE slug = \(course.category)), \(course.level), \(course.language),
                            \(course.price), 'INR', \(TextArray(course.tags))::text[], '{"Build a real project"}', '{"Curiosity"}',
                            'published', now() - make_interval(days => \(index)))
                    RETURNING id
                    """
                ).one().string("id")
                try tx.execute(
                    "INSERT INTO course_events (course_id, actor_id, from_status, to_status, reason) VALUES (\(id), NULL, NULL, 'published', 'demo data')"
                )
                for m in 1...3 {
                    let module = try tx.query(
                        "INSERT INTO modules (course_id, title, position) VALUES (\(id), \("Part \(m)"), \(m)) RETURNING id"
                    ).one().string("id")
                    for l in 1...3 {
                        try tx.execute(
                            """
                            INSERT INTO lessons (module_id, course_id, title, kind, duration_seconds, is_preview, body, position)
                            VALUES (\(module), \(id), \("Lesson \(m).\(l)"), \(l == 3 ? "article" : "video"), \(300 + 60 * l),
                                    \(m == 1 && l == 1), \(l == 3 ? "Read this before the next part." : nil), \(l))
                            """)
                    }
                }
            }
        }
        try db.transaction { tx in try DemoLearning.load(tx, instructorIds: instructorIds) }
        try db.transaction { tx in try DemoPayments.load(tx, instructorIds: instructorIds, settings: billing) }
        return Credentials(instructors: instructors, students: students, password: password)
    }

    static func user(_ db: Connection, email: String, name: String, role: String, hash: String) throws -> String {
        try db.query(
            """
            INSERT INTO users (email, name, role, password_hash, email_verified_at) VALUES (\(email), \(name), \(role), \(hash), now())
            ON CONFLICT (email) DO UPDATE SET email = excluded.email
            RETURNING id
            """
        ).one().string("id")
    }
}
