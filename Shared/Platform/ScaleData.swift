import Database

/// Benchmark data: `users` accounts (1 in 20 an instructor) and `courses` published courses
/// with realistic titles, descriptions and tags, and varied categories, levels, languages, prices, ratings and enrollments,
/// generated inside PostgreSQL (generate_series) so a million rows take seconds, not hours.
/// Accounts share one password hash (of a password nobody knows): they exist to be counted.
public enum ScaleData {
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
        // Realistic catalog text: 2,000 topic words and 3,000 filler words, each drawn with a
        // Zipf-like (log-uniform, P(rank k) ~ 1/k) distribution, deterministic (hashes of n): "python"
        // is in ~5% of courses, "swift" in ~1%, as in a real catalog. Level, language and category
        // come from hashes too, so they do not correlate with the words.
        try db.execute(
            """
            WITH instructors AS (
                SELECT id, row_number() OVER (ORDER BY id) AS k FROM users WHERE email LIKE 'scale-%' AND role = 'instructor'
            ), real AS (
                SELECT ARRAY['javascript', 'excel', 'react', 'java', 'marketing', 'photoshop', 'python', 'sql', 'aws', 'drawing',
                    'guitar', 'finance', 'trading', 'docker', 'flutter', 'android', 'unity', 'leadership', 'kubernetes',
                    'nodejs', 'typescript', 'angular', 'linux', 'spanish', 'piano', 'yoga', 'photography', 'accounting', 'powerbi',
                    'tableau', 'kotlin', 'golang', 'rust', 'django', 'spring', 'postgres', 'mongodb', 'blender', 'illustrator', 'swift',
                    'figma', 'seo', 'copywriting', 'negotiation', 'statistics', 'tensorflow', 'pytorch', 'pandas', 'networking', 'security',
                    'hacking', 'azure', 'terraform', 'ansible', 'git', 'cooking', 'nutrition', 'fitness', 'french', 'german',
                    'japanese', 'writing', 'investing', 'crypto', 'blockchain', 'solidity', 'ios', 'swiftui', 'vue', 'svelte',
                    'laravel', 'php', 'ruby', 'rails', 'csharp', 'dotnet', 'cplusplus', 'arduino', 'raspberry', 'electronics',
                    'autocad', 'revit', 'solidworks', 'premiere', 'aftereffects', 'davinci', 'animation', 'ux', 'agile', 'scrum',
                    'sales', 'ecommerce', 'shopify', 'wordpress', 'vba', 'matlab', 'r', 'spark', 'kafka', 'redis']::text[] AS topics,
                  ARRAY['the', 'and', 'to', 'you', 'of', 'a', 'in', 'will', 'learn', 'this', 'course', 'how', 'your', 'is', 'for',
                    'with', 'we', 'be', 'can', 'on', 'that', 'are', 'it', 'from', 'all', 'use', 'build', 'step', 'by', 'projects',
                    'real', 'world', 'skills', 'understand', 'basics', 'advanced', 'practical', 'examples', 'create', 'apps',
                    'data', 'work', 'students', 'start', 'knowledge', 'experience', 'lessons', 'lectures', 'quizzes', 'exercises',
                    'hands', 'complete', 'guide', 'beginners', 'professional', 'developer', 'career', 'job', 'tools', 'techniques',
                    'best', 'practices', 'modern', 'first', 'make', 'new', 'more', 'what', 'about', 'everything', 'need', 'know',
                    'also', 'each', 'section', 'video', 'code', 'programming', 'design', 'simple', 'easy', 'fast', 'web',
                    'application', 'business', 'team', 'skill', 'level', 'up', 'our', 'my', 'an', 'or', 'as', 'at', 'get',
                    'into', 'like', 'one', 'time', 'way', 'who', 'after', 'end', 'through', 'using', 'working', 'понимание',
                    'aprender', 'curso', 'para', 'com', 'sobre', 'सीखें']::text[] AS filler,
                  ARRAY['b', 'c', 'd', 'f', 'g', 'h', 'k', 'l', 'm', 'n', 'p', 'r', 's', 't', 'v', 'z']::text[] AS c,
                  ARRAY['a', 'e', 'i', 'o', 'u']::text[] AS v
            ), vocab AS (
                -- After the real words, pronounceable pseudo-words (consonant-vowel patterns, so none starts
                -- like a real topic such as "py" or "sw").
                SELECT array_agg(CASE WHEN r <= cardinality(real.topics) THEN real.topics[r] ELSE p.word END ORDER BY r) FILTER (WHERE r <= 2000) AS t,
                       array_agg(CASE WHEN r - 2000 <= cardinality(real.filler) THEN real.filler[r - 2000] ELSE p.word END ORDER BY r) FILTER (WHERE r > 2000) AS f
                FROM real, generate_series(1, 5000) AS r,
                LATERAL (SELECT c[1 + h % 16] || v[1 + h / 16 % 5] || c[1 + h / 80 % 16] || v[1 + h / 1280 % 5] || c[1 + h / 6400 % 16]
                                || CASE WHEN h / 102400 % 2 = 0 THEN v[1 + h / 204800 % 5] || c[1 + h / 1024000 % 16] ELSE '' END AS word
                         FROM (SELECT hashint8extended(r, 42) & 9007199254740991 AS h) AS hh) AS p
            )
            INSERT INTO courses (instructor_id, title, subtitle, description, category_id, level, language, price_minor, currency, tags,
                                 status, published_at, rating_average, rating_count, enrollment_count)
            SELECT i.id,
                   initcap(a.t1) || coalesce(' and ' || initcap(a.t2), '') || ' ' || (ARRAY['Masterclass', 'Bootcamp', 'for Beginners',
                       'Fundamentals', 'Complete Guide', 'in Practice', 'Crash Course', 'from Scratch', 'Projects', 'Essentials'])[1 + floor(u[6] * 10)::int],
                   'Learn ' || a.t1 || ' ' || d.subtitle,
                   'This ' || a.t1 || ' course ' || coalesce('covers ' || a.t2 || ' and ', '') || d.body || coalesce(' ' || a.t3, '') || ' ' || a.t1 || '.',
                   1 + floor(u[10] * 12)::int,
                   CASE WHEN u[8] < 0.35 THEN 'beginner' WHEN u[8] < 0.60 THEN 'intermediate' WHEN u[8] < 0.70 THEN 'advanced' ELSE 'all_levels' END,
                   CASE WHEN u[9] < 0.60 THEN 'en' WHEN u[9] < 0.70 THEN 'es' WHEN u[9] < 0.78 THEN 'pt-BR' WHEN u[9] < 0.85 THEN 'hi'
                        WHEN u[9] < 0.90 THEN 'fr' WHEN u[9] < 0.95 THEN 'de' ELSE 'ja' END,
                   CASE WHEN u[11] < 0.2 THEN 0 ELSE floor(u[11] * 50)::bigint * 10000 + 9900 END, 'INR',
                   array_remove(ARRAY[a.t1, a.t2, a.t4], NULL),
                   'published', now() - make_interval(mins => n), round((n % 50)::numeric / 10, 2), n % 1000, (n * 7) % 5000
            FROM generate_series(1, \(courses)) AS n
            CROSS JOIN vocab
            CROSS JOIN LATERAL (
                SELECT array_agg((hashint8extended(n, k) & 9007199254740991)::float8 / 9007199254740992 ORDER BY k) AS u
                FROM generate_series(1, 12) AS k) AS r
            CROSS JOIN LATERAL (
                SELECT vocab.t[least(2000, floor(exp(u[1] * ln(2001))))::int] AS t1,
                       CASE WHEN u[3] < 0.5 THEN vocab.t[least(2000, floor(exp(u[2] * ln(2001))))::int] END AS t2,
                       CASE WHEN u[5] < 0.3 THEN vocab.t[least(2000, floor(exp(u[4] * ln(2001))))::int] END AS t3,
                       vocab.t[least(2000, floor(exp(u[7] * ln(2001))))::int] AS t4) AS a
            CROSS JOIN LATERAL (
                SELECT string_agg(w, ' ' ORDER BY j) FILTER (WHERE j <= 50 + floor(u[12] * 200)) AS body,
                       string_agg(w, ' ' ORDER BY j) FILTER (WHERE j > 250 AND j <= 253 + floor(u[12] * 1000)::int % 6) AS subtitle
                FROM (SELECT j, vocab.f[least(3000, floor(exp(((hashint8extended(n * 1000 + j, 7) & 9007199254740991)::float8 / 9007199254740992) * ln(3001))))::int] AS w
                      FROM generate_series(1, 258) AS j) AS words) AS d
            JOIN instructors i ON i.k = 1 + (n % greatest((SELECT count(*) FROM instructors), 1))
            """)
        // VACUUM, not only ANALYZE: it merges the GIN pending lists and sets the visibility map,
        // as autovacuum would soon after a real load. One statement per call (VACUUM cannot run
        // in a multi-statement string).
        for table in ["users", "courses", "catalog_words"] {
            try db.runScript("VACUUM (ANALYZE) \(table)")
        }
    }
}
