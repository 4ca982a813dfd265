-- Webhooks: endpoints staff register, and the deliveries of the activity
-- events each endpoint subscribes to. A delivery is written in the
-- transaction of the change it describes (an outbox), and sent by a
-- worker that retries it with backoff. The secret signs deliveries, so it
-- is kept as it is, not hashed. Events are a comma-separated list of
-- activity actions.
CREATE TABLE webhook_endpoints (
    workspace_id    text NOT NULL REFERENCES workspaces (id),
    id              text NOT NULL,
    url             text NOT NULL,
    events          text NOT NULL,
    secret          text NOT NULL,
    created_by      text,
    created_at      timestamptz NOT NULL,
    disabled_at     timestamptz,
    disabled_reason text,
    failures        integer NOT NULL DEFAULT 0,
    PRIMARY KEY (workspace_id, id),
    FOREIGN KEY (workspace_id, created_by) REFERENCES users (workspace_id, id)
);

CREATE TABLE webhook_deliveries (
    workspace_id    text NOT NULL,
    id              text NOT NULL,
    endpoint_id     text NOT NULL,
    event           text NOT NULL,
    activity_id     text NOT NULL,
    payload         text NOT NULL,
    attempts        integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz,
    delivered_at    timestamptz,
    last_status     integer,
    last_error      text,
    created_at      timestamptz NOT NULL,
    PRIMARY KEY (workspace_id, id),
    FOREIGN KEY (workspace_id, endpoint_id) REFERENCES webhook_endpoints (workspace_id, id) ON DELETE CASCADE
);

-- The worker finds what is due; staff list an endpoint's deliveries.
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE delivered_at IS NULL;
CREATE INDEX webhook_deliveries_by_endpoint ON webhook_deliveries (workspace_id, endpoint_id, created_at);
