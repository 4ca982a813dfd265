-- Partners' API keys. Only SHA-256 hashes of their secrets are kept: the
-- current one, and for a grace period after a rotation the one it
-- replaced. Scopes and client IDs are comma-separated lists (no client ID
-- holds a comma); no client IDs means every client.
CREATE TABLE partner_keys (
    workspace_id         text NOT NULL REFERENCES workspaces (id),
    id                   text NOT NULL,
    name                 text NOT NULL,
    prefix               text NOT NULL,
    secret_hash          text NOT NULL UNIQUE,
    previous_secret_hash text UNIQUE,
    previous_expires_at  timestamptz,
    scopes               text NOT NULL,
    client_ids           text NOT NULL DEFAULT '',
    include_internal     boolean NOT NULL DEFAULT FALSE,
    expires_at           timestamptz,
    created_by           text,
    created_at           timestamptz NOT NULL,
    last_used_at         timestamptz,
    rotated_at           timestamptz,
    revoked_at           timestamptz,
    PRIMARY KEY (workspace_id, id),
    FOREIGN KEY (workspace_id, created_by) REFERENCES users (workspace_id, id)
);
