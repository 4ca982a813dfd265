-- The approval workflow: decisions carry an idempotency key and, when staff
-- record one on a contact's behalf, an internal note; approvals keep
-- internal notes and when approvers were last reminded; mail waits in an
-- outbox, written in the transaction of the change that sends it.

ALTER TABLE approvals ADD COLUMN internal_notes text;
ALTER TABLE approvals ADD COLUMN reminded_at timestamptz;
-- A round is resubmitted at most once.
CREATE UNIQUE INDEX approvals_next_round ON approvals (workspace_id, previous_round_id) WHERE previous_round_id IS NOT NULL;

ALTER TABLE approval_decisions ADD COLUMN internal_note text;
ALTER TABLE approval_decisions ADD COLUMN idempotency_key text;
CREATE UNIQUE INDEX approval_decisions_idempotency ON approval_decisions (workspace_id, approval_id, idempotency_key);

CREATE TABLE outbox (
    workspace_id text NOT NULL REFERENCES workspaces (id),
    id           text NOT NULL,
    kind         text NOT NULL,
    recipient    text NOT NULL,
    subject      text NOT NULL,
    body         text NOT NULL,
    created_at   timestamptz NOT NULL,
    sent_at      timestamptz,
    attempts     integer NOT NULL DEFAULT 0,
    last_error   text,
    PRIMARY KEY (workspace_id, id)
);
CREATE INDEX outbox_unsent ON outbox (created_at) WHERE sent_at IS NULL;
