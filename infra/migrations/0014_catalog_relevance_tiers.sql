-- Relevance reads two tiers: courses whose title, subtitle or tags hold the words (this index
-- on the small ranking vector), then those whose description does (the full-text index); each
-- by enrollments, so a broad word's first page is read from the popularity index in order.
CREATE INDEX courses_rank_vector_idx ON courses USING gin (rank_vector) WHERE status = 'published';
