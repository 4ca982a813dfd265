-- Staff members are invited too: a new workspace's owner chooses a
-- password by an invitation, as contacts do. An invitation names either a
-- contact or a staff member. SQLite cannot drop NOT NULL from a column,
-- so the table is made again (no table refers to it).
CREATE TABLE invites_new (
    workspace_id TEXT NOT NULL,
    id           TEXT NOT NULL,
    contact_id   TEXT,
    user_id      TEXT,
    token_hash   TEXT NOT NULL UNIQUE,
    created_by   TEXT,
    created_at   TIMESTAMP NOT NULL,
    expires_at   TIMESTAMP NOT NULL,
    accepted_at  TIMESTAMP,
    revoked_at   TIMESTAMP,
    PRIMARY KEY (workspace_id, id),
    CHECK ((contact_id IS NULL) <> (user_id IS NULL)),
    FOREIGN KEY (workspace_id, contact_id) REFERENCES contacts (workspace_id, id),
    FOREIGN KEY (workspace_id, user_id) REFERENCES users (workspace_id, id),
    FOREIGN KEY (workspace_id, created_by) REFERENCES users (workspace_id, id)
);
INSERT INTO invites_new (workspace_id, id, contact_id, token_hash, created_by, created_at, expires_at, accepted_at, revoked_at)
SELECT workspace_id, id, contact_id, token_hash, created_by, created_at, expires_at, accepted_at, revoked_at FROM invites;
DROP TABLE invites;
ALTER TABLE invites_new RENAME TO invites;
CREATE INDEX invites_by_contact ON invites (workspace_id, contact_id);
CREATE INDEX invites_by_user ON invites (workspace_id, user_id) WHERE user_id IS NOT NULL;
