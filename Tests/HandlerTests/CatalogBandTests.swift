import Core
import Courses
import Database
import Platform
import TestSupport
import Testing

/// The catalog's popular band (`lmsctl catalog-band`): made over the whole catalog, with an index
/// built on it, so infra/test.sh runs this suite alone.
@Suite(.serialized) struct CatalogBandTests {
    /// `lmsctl catalog-band` makes the band's index for the most enrolled tenth, keeps it while
    /// that threshold holds, and removes it when the catalog is too small for one.
    @Test func catalogBandIsMadeKeptAndRemoved() throws {
        let db = try TestEnvironment.connect()
        defer {
            _ = try? db.execute("DELETE FROM catalog_band")
            _ = try? db.runScript("DROP INDEX IF EXISTS courses_search_band_idx")
        }
        let owner = try Factory.user(db, role: .instructor)
        // A fifth of the catalog (at least 20) gets many enrollments, so the band's threshold (the
        // 90th percentile) is above 0 whatever else the catalog holds.
        try db.execute(
            """
            INSERT INTO courses (instructor_id, title, status, published_at, enrollment_count)
            SELECT \(owner.id), 'Band course ' || n, 'published', now(), 100000 + n
            FROM generate_series(1, greatest(20, (SELECT count(*) / 5 FROM courses WHERE status = 'published'))) AS n
            """)
        func index() throws -> String? {
            try db.query("SELECT indexdef FROM pg_indexes WHERE indexname = 'courses_search_band_idx'").first?.string("indexdef")
        }
        let made = try CatalogBand.refresh(db, minimumCourses: 1)
        #expect(made.hasPrefix("band made"), "\(made)")
        let threshold = try db.query("SELECT min_enrollments FROM catalog_band").one().int("min_enrollments")
        #expect(try index()?.contains("enrollment_count >= \(threshold)") == true)
        #expect(try CatalogBand.refresh(db, minimumCourses: 1).hasPrefix("band unchanged"))
        #expect(try CatalogBand.refresh(db, minimumCourses: 100_000_000).hasPrefix("no band"))
        #expect(try index() == nil)
        #expect(try db.query("SELECT count(*)::int AS n FROM catalog_band").one().int("n") == 0)
    }
}
