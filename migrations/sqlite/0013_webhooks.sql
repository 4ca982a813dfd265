-- Webhooks: endpoints staff register, and the deliveries of the activity
-- events each endpoint subscribes to. A delivery is written in the
-- transaction of the change it describes (an outbox), and sent by a
-- worker that retries it with backoff. The secret signs deliveries, so it
-- is kept as it is, not hashed. Events are a comma-separated list of
-- activity actions.
CREATE TABLE webhook_endpoints (
    workspace_id    TEXT NOT NULL REFERENCES workspaces (id),
    id              TEXT NOT NULL,
    url             TEXT NOT NULL,
    events          TEXT NOT NULL,
    secret          TEXT NOT NULL,
    created_by      TEXT,
    created_at      TIMESTAMP NOT NULL,
    disabled_at     TIMESTAMP,
    disabled_reason TEXT,
    failures        INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (workspace_id, id),
    FOREIGN KEY (workspace_id, created_by) REFERENCES users (workspace_id, id)
);

CREATE TABLE webhook_deliveries (
    workspace_id    TEXT NOT NULL,
    id              TEXT NOT NULL,
    endpoint_id     TEXT NOT NULL,
    event           TEXT NOT NULL,
    activity_id     TEXT NOT NULL,
    payload         TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP,
    delivered_at    TIMESTAMP,
    last_status     INTEGER,
    last_error      TEXT,
    created_at      TIMESTAMP NOT NULL,
    PRIMARY KEY (workspace_id, id),
    FOREIGN KEY (workspace_id, endpoint_id) REFERENCES webhook_endpoints (workspace_id, id) ON DELETE CASCADE
);

-- The worker finds what is due; staff list an endpoint's deliveries.
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE delivered_at IS NULL;
CREATE INDEX webhook_deliveries_by_endpoint ON webhook_deliveries (workspace_id, endpoint_id, created_at);
