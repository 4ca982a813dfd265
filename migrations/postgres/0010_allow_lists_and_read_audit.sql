-- Allow lists of persisted operations, and the audit of reads.
--
-- A workspace's persisted operations: documents staff registered, by the
-- SHA-256 of their text (hex, as automatic persisted queries send it). A
-- partner key, and the workspace's portal, may be locked to them.
CREATE TABLE persisted_operations (
    workspace_id text NOT NULL REFERENCES workspaces (id),
    id           text NOT NULL,
    hash         text NOT NULL,
    name         text NOT NULL,
    document     text NOT NULL,
    created_by   text,
    created_at   timestamptz NOT NULL,
    PRIMARY KEY (workspace_id, id),
    UNIQUE (workspace_id, hash),
    FOREIGN KEY (workspace_id, created_by) REFERENCES users (workspace_id, id)
);
ALTER TABLE partner_keys ADD COLUMN persisted_only boolean NOT NULL DEFAULT FALSE;
ALTER TABLE workspaces ADD COLUMN portal_persisted_only boolean NOT NULL DEFAULT FALSE;

-- What portal contacts and partner keys read: one row per reader,
-- operation, record type and client per flush of the recorder, with the
-- IDs of the records read (comma-separated). Written in batches, never
-- in a request's transaction.
CREATE TABLE read_events (
    workspace_id   text NOT NULL REFERENCES workspaces (id),
    id             text NOT NULL,
    created_at     timestamptz NOT NULL,
    contact_id     text,
    preview_by     text,
    partner_key_id text,
    client_id      text,
    operation_name text NOT NULL,
    record_type    text NOT NULL,
    record_ids     text NOT NULL,
    PRIMARY KEY (workspace_id, id)
);
CREATE INDEX read_events_by_time ON read_events (workspace_id, created_at, id);
CREATE INDEX read_events_by_client ON read_events (workspace_id, client_id, created_at);

-- Exports of read events.
ALTER TABLE exports DROP CONSTRAINT exports_kind_check;
ALTER TABLE exports ADD CONSTRAINT exports_kind_check CHECK (kind IN ('APPROVALS', 'DELIVERABLES', 'ACTIVITY', 'READS'));
