-- Allow lists of persisted operations, and the audit of reads.
--
-- A workspace's persisted operations: documents staff registered, by the
-- SHA-256 of their text (hex, as automatic persisted queries send it). A
-- partner key, and the workspace's portal, may be locked to them.
CREATE TABLE persisted_operations (
    workspace_id TEXT NOT NULL REFERENCES workspaces (id),
    id           TEXT NOT NULL,
    hash         TEXT NOT NULL,
    name         TEXT NOT NULL,
    document     TEXT NOT NULL,
    created_by   TEXT,
    created_at   TIMESTAMP NOT NULL,
    PRIMARY KEY (workspace_id, id),
    UNIQUE (workspace_id, hash),
    FOREIGN KEY (workspace_id, created_by) REFERENCES users (workspace_id, id)
);
ALTER TABLE partner_keys ADD COLUMN persisted_only BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE workspaces ADD COLUMN portal_persisted_only BOOLEAN NOT NULL DEFAULT FALSE;

-- What portal contacts and partner keys read: one row per reader,
-- operation, record type and client per flush of the recorder, with the
-- IDs of the records read (comma-separated). Written in batches, never
-- in a request's transaction.
CREATE TABLE read_events (
    workspace_id   TEXT NOT NULL REFERENCES workspaces (id),
    id             TEXT NOT NULL,
    created_at     TIMESTAMP NOT NULL,
    contact_id     TEXT,
    preview_by     TEXT,
    partner_key_id TEXT,
    client_id      TEXT,
    operation_name TEXT NOT NULL,
    record_type    TEXT NOT NULL,
    record_ids     TEXT NOT NULL,
    PRIMARY KEY (workspace_id, id)
);
CREATE INDEX read_events_by_time ON read_events (workspace_id, created_at, id);
CREATE INDEX read_events_by_client ON read_events (workspace_id, client_id, created_at);

-- Exports of read events. SQLite cannot change a CHECK, so the table is
-- made again (no table refers to it).
CREATE TABLE exports_new (
    workspace_id         TEXT NOT NULL,
    id                   TEXT NOT NULL,
    client_id            TEXT NOT NULL,
    kind                 TEXT NOT NULL CHECK (kind IN ('APPROVALS', 'DELIVERABLES', 'ACTIVITY', 'READS')),
    range_from           DATE NOT NULL,
    range_to             DATE NOT NULL,
    status               TEXT NOT NULL CHECK (status IN ('QUEUED', 'RUNNING', 'DONE', 'FAILED')),
    file_id              TEXT,
    error                TEXT,
    requested_by         TEXT,
    requested_by_contact TEXT,
    attempts             INTEGER NOT NULL DEFAULT 0,
    lease_until          TIMESTAMP,
    created_at           TIMESTAMP NOT NULL,
    finished_at          TIMESTAMP,
    PRIMARY KEY (workspace_id, id),
    CHECK (range_to >= range_from),
    FOREIGN KEY (workspace_id, client_id) REFERENCES clients (workspace_id, id),
    FOREIGN KEY (workspace_id, file_id) REFERENCES files (workspace_id, id),
    FOREIGN KEY (workspace_id, requested_by) REFERENCES users (workspace_id, id),
    FOREIGN KEY (workspace_id, requested_by_contact) REFERENCES contacts (workspace_id, id)
);
INSERT INTO exports_new SELECT workspace_id, id, client_id, kind, range_from, range_to, status, file_id, error, requested_by,
    requested_by_contact, attempts, lease_until, created_at, finished_at FROM exports;
DROP TABLE exports;
ALTER TABLE exports_new RENAME TO exports;
CREATE INDEX exports_by_client ON exports (workspace_id, client_id, id);
-- The workers' queue spans workspaces.
CREATE INDEX exports_queue ON exports (status, created_at);
