-- An export's CSV is a file of the client marked with its export: it is
-- downloaded like any file but not listed among the client's uploads.
ALTER TABLE files ADD COLUMN export_id text;

-- Bytes of deleted files wait here until blob storage has removed them:
-- the row is written in the transaction that deletes the file's metadata,
-- so bytes are never left behind unnoticed and never removed while the
-- metadata stays.
CREATE TABLE blob_removals (
    blob_key   text PRIMARY KEY,
    queued_at  TIMESTAMP NOT NULL,
    attempts   integer NOT NULL DEFAULT 0,
    last_error text
);
