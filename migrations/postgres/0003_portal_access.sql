-- Portal access: passwords, invitations, sessions and previews, sign-in
-- throttling, and what the audit needs (when a contact was last seen,
-- which events happened in a preview).

ALTER TABLE users ADD COLUMN password_hash text;
ALTER TABLE contacts ADD COLUMN password_hash text;
ALTER TABLE contacts ADD COLUMN last_seen_at timestamptz;

-- API tokens are made by operators and do not expire unless told to;
-- sessions come from signing in and expire; a preview is a short, read-only
-- session of a staff member seeing the portal as a contact.
ALTER TABLE tokens ADD COLUMN kind text NOT NULL DEFAULT 'API' CHECK (kind IN ('API', 'SESSION', 'PREVIEW'));
ALTER TABLE tokens ADD COLUMN preview_by text;
CREATE INDEX tokens_by_contact ON tokens (workspace_id, contact_id) WHERE contact_id IS NOT NULL;

CREATE TABLE invites (
    workspace_id text NOT NULL,
    id           text NOT NULL,
    contact_id   text NOT NULL,
    token_hash   text NOT NULL UNIQUE,
    created_by   text,
    created_at   timestamptz NOT NULL,
    expires_at   timestamptz NOT NULL,
    accepted_at  timestamptz,
    revoked_at   timestamptz,
    PRIMARY KEY (workspace_id, id),
    FOREIGN KEY (workspace_id, contact_id) REFERENCES contacts (workspace_id, id),
    FOREIGN KEY (workspace_id, created_by) REFERENCES users (workspace_id, id)
);
CREATE INDEX invites_by_contact ON invites (workspace_id, contact_id);

-- Failed sign-ins, by email and by address, for throttling.
CREATE TABLE login_failures (
    key       text NOT NULL,
    failed_at timestamptz NOT NULL
);
CREATE INDEX login_failures_by_key ON login_failures (key, failed_at);

ALTER TABLE activity_events ADD COLUMN preview boolean NOT NULL DEFAULT FALSE;
CREATE INDEX activity_by_contact ON activity_events (workspace_id, actor_contact_id, id) WHERE actor_contact_id IS NOT NULL;

-- The mailer leases messages it is sending, so several servers never send
-- one message twice.
ALTER TABLE outbox ADD COLUMN claimed_until timestamptz;
