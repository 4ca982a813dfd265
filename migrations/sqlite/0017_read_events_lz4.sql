-- PostgreSQL compresses the audit of reads' record IDs with lz4 from this
-- version on; SQLite does not compress rows, so nothing changes here.
SELECT 1;
