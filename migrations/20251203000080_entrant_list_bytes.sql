-- The frozen entrant list as bytes stored out of line without compression.
-- The public list is served in 256 KB chunks; a byte range of an
-- uncompressed out-of-line value reads only the TOAST chunks it covers, so a
-- download reads the list once. As compressed UTF-8 text every chunk
-- decompressed the whole list (68 MB at a million entrants), 270 times.
ALTER TABLE draw_entrant_lists ADD COLUMN list_bytes bytea;
ALTER TABLE draw_entrant_lists ALTER COLUMN list_bytes SET STORAGE EXTERNAL;
UPDATE draw_entrant_lists SET list_bytes = convert_to(list_text, 'UTF8');
ALTER TABLE draw_entrant_lists ALTER COLUMN list_bytes SET NOT NULL;
ALTER TABLE draw_entrant_lists DROP COLUMN list_text;
