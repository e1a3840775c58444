-- Catalog pages continue after the last course of the previous page (keyset: the sort's key
-- and the id), read from the sort's index; no offset, so no cap on how deep one can page.
-- The newest-first order needs every published course to have its publication time.
UPDATE courses SET published_at = coalesce(updated_at, created_at)
WHERE status = 'published' AND published_at IS NULL;
ALTER TABLE courses ADD CONSTRAINT courses_published_has_time CHECK (status <> 'published' OR published_at IS NOT NULL);
