-- The audit of reads writes each event's record IDs as one text: for a
-- portal dashboard, a few kilobytes per record type. Past about 2 kB a row
-- is compressed, and PostgreSQL's default (pglz) spends about 60 µs on such
-- a list only to find it barely shrinks (IDs are near random); lz4 takes
-- about 20 µs and stores it in three quarters of the room. Where the
-- server is built without lz4 the default stays.
DO $$
BEGIN
	IF EXISTS (SELECT 1 FROM pg_settings WHERE name = 'default_toast_compression' AND 'lz4' = ANY (enumvals)) THEN
		ALTER TABLE read_events ALTER COLUMN record_ids SET COMPRESSION lz4;
	END IF;
END
$$;
