-- A course row averages 2.8 KB, over PostgreSQL's 2 KB toasting threshold: the largest values
-- went to the TOAST table, the search vector first (about 1.5 KB), and with it, for the rows
-- whose description was long, the ranking vector and even the title. Searching in popularity or
-- date order checks each course's search vector in turn: three to four extra page reads per
-- course (a page of a mid-frequency word read 1,200 pages, 1.6 ms), and the page's titles came
-- from the TOAST table too.
--
-- Rows up to 4 KB now stay whole, and the two vectors stay in the row whatever its size (MAIN:
-- the description is compressed and moved out first). The table's pages hold half as many
-- courses, and a search reads a third of the pages it did.
ALTER TABLE courses ALTER COLUMN search SET STORAGE MAIN, ALTER COLUMN rank_vector SET STORAGE MAIN;
ALTER TABLE courses SET (toast_tuple_target = 4096);

-- Existing rows take the new layout when rewritten: an update recomputes the generated vectors
-- (the word counts' trigger fires only when the search vector changes, which it does not).
UPDATE courses SET outline_version = outline_version;
