import Database

/// `lmsctl catalog-band`: (re)makes the catalog's popular band (migration 0015), a partial
/// full-text index over the published courses with at least the enrollments of the most
/// enrolled tenth, which SearchCourses reads first for relevance pages. Remade only when that
/// threshold moved by more than a quarter; built CONCURRENTLY, so searches and course edits go
/// on meanwhile. Below 10,000 published courses there is no band (the full index is as fast).
/// Run it daily (cron) and after large imports; a stale band is still correct, only less useful.
public enum CatalogBand {
    public static let minimumCourses = 10_000

    /// Returns what was done, for the operator.
    public static func refresh(_ db: Connection, minimumCourses: Int = minimumCourses) throws -> String {
        try db.runScript("SET statement_timeout = 0")
        let row = try db.query(
            """
            SELECT count(*)::int AS courses,
                   percentile_disc(0.9) WITHIN GROUP (ORDER BY enrollment_count) AS threshold,
                   (SELECT min_enrollments FROM catalog_band) AS current
            FROM courses WHERE status = 'published'
            """
        ).one()
        let courses = try row.int("courses")
        let current = try row.optionalInt("current")
        guard courses >= minimumCourses, let threshold = try row.optionalInt("threshold"), threshold > 0 else {
            try db.transaction { tx in
                try tx.execute("DELETE FROM catalog_band")
                try tx.runScript("DROP INDEX IF EXISTS courses_search_band_idx")
            }
            return "no band: \(courses) published courses (a band needs \(minimumCourses) with enrollments)"
        }
        if let current, abs(threshold - current) * 4 <= current {
            return "band unchanged: courses with \(current)+ enrollments (the top tenth starts at \(threshold))"
        }
        // DDL takes no parameters: the threshold is an integer read above.
        try db.runScript("DROP INDEX CONCURRENTLY IF EXISTS courses_search_band_new")
        try db.runScript(
            """
            CREATE INDEX CONCURRENTLY courses_search_band_new ON courses USING gin (search)
            WHERE status = 'published' AND enrollment_count >= \(threshold)
            """)
        try db.transaction { tx in
            try tx.runScript("DROP INDEX IF EXISTS courses_search_band_idx")
            try tx.runScript("ALTER INDEX courses_search_band_new RENAME TO courses_search_band_idx")
            try tx.execute("DELETE FROM catalog_band")
            try tx.execute("INSERT INTO catalog_band (min_enrollments) VALUES (\(threshold))")
        }
        try db.runScript("ANALYZE courses")
        return "band made: courses with \(threshold)+ enrollments"
    }
}
