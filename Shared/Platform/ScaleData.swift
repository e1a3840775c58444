import Database

/// Benchmark data: `users` accounts (1 in 20 an instructor) and `courses` published courses
/// with varied titles, tags, categories, levels, languages, prices, ratings and enrollments,
/// generated inside PostgreSQL (generate_series) so a million rows take seconds, not hours.
/// Accounts share one password hash (of a password nobody knows): they exist to be counted.
public enum ScaleData {
    static let words = [
        "swift", "python", "java", "kotlin", "react", "design", "marketing", "finance", "guitar", "yoga", "spanish", "photography",
        "leadership", "excel", "sql", "postgres", "linux", "docker", "kubernetes", "security", "statistics", "machine", "learning",
        "drawing", "cooking", "writing", "negotiation", "accounting", "trading", "piano", "fitness", "nutrition", "french", "german",
        "blender", "unity", "android", "ios", "cloud", "networking",
    ]

    public static func load(_ db: Connection, users: Int, courses: Int, passwordHash: String) throws {
        try db.runScript("SET statement_timeout = 0")
        try db.execute(
            """
            INSERT INTO users (email, name, role, password_hash, email_verified_at)
            SELECT 'scale-' || n || '@scale.lms.local', 'Scale User ' || n,
                   CASE WHEN n % 20 = 0 THEN 'instructor' ELSE 'student' END, \(passwordHash), now()
            FROM generate_series(1, \(users)) AS n
            ON CONFLICT (email) DO NOTHING
            """)
        try db.execute(
            """
            WITH instructors AS (
                SELECT id, row_number() OVER (ORDER BY id) AS k FROM users WHERE email LIKE 'scale-%' AND role = 'instructor'
            ), words AS (SELECT \(TextArray(words))::text[] AS w)
            INSERT INTO courses (instructor_id, title, subtitle, description, category_id, level, language, price_minor, currency, tags,
                                 status, published_at, rating_average, rating_count, enrollment_count)
            SELECT i.id,
                   initcap(w[1 + n % 40]) || ' ' || initcap(w[1 + (n / 40) % 40]) || ' course ' || n,
                   'Learn ' || w[1 + (n / 7) % 40] || ' and ' || w[1 + (n / 13) % 40],
                   'A complete course on ' || w[1 + n % 40] || ', ' || w[1 + (n / 3) % 40] || ' and ' || w[1 + (n / 11) % 40] || '.',
                   1 + n % 12, (ARRAY['beginner', 'intermediate', 'advanced', 'all_levels'])[1 + n % 4],
                   (ARRAY['en', 'en', 'en', 'hi', 'es', 'pt-BR'])[1 + n % 6],
                   CASE WHEN n % 5 = 0 THEN 0 ELSE (n % 50) * 10000 + 9900 END, 'INR',
                   ARRAY[w[1 + n % 40], w[1 + (n / 5) % 40]],
                   'published', now() - make_interval(mins => n), round((n % 50)::numeric / 10, 2), n % 1000, (n * 7) % 5000
            FROM generate_series(1, \(courses)) AS n CROSS JOIN words
            JOIN instructors i ON i.k = 1 + (n % greatest((SELECT count(*) FROM instructors), 1))
            """)
        try db.runScript("ANALYZE users; ANALYZE courses")
    }
}
