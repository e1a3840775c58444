-- The progress page in two parts: the course outline (modules, lessons, quizzes, assignments as
-- the page shows them) is the same for every learner and changes only when an author edits the
-- course, so FastCGI processes keep it in memory (Shared/Learning/CourseOutline.swift); only the
-- learner's own rows are read per request. The cached outline is checked on every request
-- against this version, which any change to the four tables moves forward in the changing
-- transaction (a trigger: handlers, demo data and hand-written SQL alike). Versions come from
-- one sequence, so a version is never reused; 0 means "never edited since this migration",
-- which is a version like any other (the first edit replaces it).
CREATE SEQUENCE course_outline_versions;
ALTER TABLE courses ADD COLUMN outline_version bigint NOT NULL DEFAULT 0;

-- Row by row: curriculum edits touch a few rows; a course being deleted is not found (nothing
-- to do). Updates of the courses row take the lock a curriculum handler already holds.
CREATE FUNCTION bump_course_outline_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        UPDATE courses SET outline_version = nextval('course_outline_versions') WHERE id = OLD.course_id;
    END IF;
    IF TG_OP = 'INSERT' THEN
        UPDATE courses SET outline_version = nextval('course_outline_versions') WHERE id = NEW.course_id;
    ELSIF TG_OP = 'UPDATE' THEN
        IF NEW.course_id IS DISTINCT FROM OLD.course_id THEN
            UPDATE courses SET outline_version = nextval('course_outline_versions') WHERE id = NEW.course_id;
        END IF;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER modules_outline_version AFTER INSERT OR UPDATE OR DELETE ON modules
    FOR EACH ROW EXECUTE FUNCTION bump_course_outline_version();
CREATE TRIGGER lessons_outline_version AFTER INSERT OR UPDATE OR DELETE ON lessons
    FOR EACH ROW EXECUTE FUNCTION bump_course_outline_version();
CREATE TRIGGER quizzes_outline_version AFTER INSERT OR UPDATE OR DELETE ON quizzes
    FOR EACH ROW EXECUTE FUNCTION bump_course_outline_version();
CREATE TRIGGER assignments_outline_version AFTER INSERT OR UPDATE OR DELETE ON assignments
    FOR EACH ROW EXECUTE FUNCTION bump_course_outline_version();
