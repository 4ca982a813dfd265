-- Partners' API keys. Only SHA-256 hashes of their secrets are kept: the
-- current one, and for a grace period after a rotation the one it
-- replaced. Scopes and client IDs are comma-separated lists (no client ID
-- holds a comma); no client IDs means every client.
CREATE TABLE partner_keys (
    workspace_id         TEXT NOT NULL REFERENCES workspaces (id),
    id                   TEXT NOT NULL,
    name                 TEXT NOT NULL,
    prefix               TEXT NOT NULL,
    secret_hash          TEXT NOT NULL UNIQUE,
    previous_secret_hash TEXT UNIQUE,
    previous_expires_at  TIMESTAMP,
    scopes               TEXT NOT NULL,
    client_ids           TEXT NOT NULL DEFAULT '',
    include_internal     BOOLEAN NOT NULL DEFAULT FALSE,
    expires_at           TIMESTAMP,
    created_by           TEXT,
    created_at           TIMESTAMP NOT NULL,
    last_used_at         TIMESTAMP,
    rotated_at           TIMESTAMP,
    revoked_at           TIMESTAMP,
    PRIMARY KEY (workspace_id, id),
    FOREIGN KEY (workspace_id, created_by) REFERENCES users (workspace_id, id)
);
