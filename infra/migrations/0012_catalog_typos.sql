-- Typos: a query word that matches nothing is replaced by the indexed words that look most like
-- it. The trigram GiST index finds the nearest words (`word <-> 'tbuac'`, KNN); levenshtein
-- (fuzzystrmatch) then keeps those within one or two edits. Word-level correction also works
-- where the whole-title similarity does not: one short word in a long title ("tbuac" for
-- "tubac" shares too few trigrams with any title).
CREATE EXTENSION IF NOT EXISTS fuzzystrmatch;
CREATE INDEX catalog_words_trgm_idx ON catalog_words USING gist (word gist_trgm_ops);
