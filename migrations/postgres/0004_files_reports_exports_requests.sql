-- What clients receive and send through the portal: client requests and
-- their comments, files (bytes in blob storage, metadata here), reports
-- and CSV exports.

CREATE TABLE client_requests (
    workspace_id      text NOT NULL,
    id                text NOT NULL,
    client_id         text NOT NULL,
    project_id        text,
    title             text NOT NULL,
    body              text NOT NULL,
    status            text NOT NULL CHECK (status IN ('OPEN', 'IN_PROGRESS', 'DONE', 'DECLINED')),
    assignee_id       text,
    opened_by_contact text,
    created_at        timestamptz NOT NULL,
    last_activity_at  timestamptz NOT NULL,
    PRIMARY KEY (workspace_id, id),
    FOREIGN KEY (workspace_id, client_id) REFERENCES clients (workspace_id, id),
    FOREIGN KEY (workspace_id, project_id) REFERENCES projects (workspace_id, id),
    FOREIGN KEY (workspace_id, assignee_id) REFERENCES users (workspace_id, id),
    FOREIGN KEY (workspace_id, opened_by_contact) REFERENCES contacts (workspace_id, id)
);
CREATE INDEX client_requests_by_client ON client_requests (workspace_id, client_id, id);
CREATE INDEX client_requests_by_status ON client_requests (workspace_id, status, id);

CREATE TABLE request_comments (
    workspace_id   text NOT NULL,
    id             text NOT NULL,
    request_id     text NOT NULL,
    client_id      text NOT NULL,
    body           text NOT NULL,
    internal       boolean NOT NULL DEFAULT FALSE,
    author_user    text,
    author_contact text,
    created_at     timestamptz NOT NULL,
    PRIMARY KEY (workspace_id, id),
    FOREIGN KEY (workspace_id, request_id) REFERENCES client_requests (workspace_id, id),
    FOREIGN KEY (workspace_id, author_user) REFERENCES users (workspace_id, id),
    FOREIGN KEY (workspace_id, author_contact) REFERENCES contacts (workspace_id, id)
);
CREATE INDEX request_comments_by_request ON request_comments (workspace_id, request_id, id);

-- A file belongs to a client and, below it, to a project, a deliverable or
-- a request (the client, and the project of a deliverable, are kept on the
-- row so every list and scope check reads one table).
CREATE TABLE files (
    workspace_id        text NOT NULL,
    id                  text NOT NULL,
    client_id           text NOT NULL,
    project_id          text,
    deliverable_id      text,
    request_id          text,
    series_id           text NOT NULL,
    version             integer NOT NULL DEFAULT 1,
    name                text NOT NULL,
    content_type        text NOT NULL,
    size                bigint NOT NULL CHECK (size >= 0),
    sha256              text NOT NULL,
    blob_key            text NOT NULL,
    visibility          text NOT NULL CHECK (visibility IN ('INTERNAL', 'SHARED')),
    uploaded_by         text,
    uploaded_by_contact text,
    created_at          timestamptz NOT NULL,
    PRIMARY KEY (workspace_id, id),
    FOREIGN KEY (workspace_id, client_id) REFERENCES clients (workspace_id, id),
    FOREIGN KEY (workspace_id, project_id) REFERENCES projects (workspace_id, id),
    FOREIGN KEY (workspace_id, deliverable_id) REFERENCES deliverables (workspace_id, id),
    FOREIGN KEY (workspace_id, request_id) REFERENCES client_requests (workspace_id, id),
    FOREIGN KEY (workspace_id, uploaded_by) REFERENCES users (workspace_id, id),
    FOREIGN KEY (workspace_id, uploaded_by_contact) REFERENCES contacts (workspace_id, id)
);
CREATE INDEX files_by_client ON files (workspace_id, client_id, id);
CREATE INDEX files_by_project ON files (workspace_id, project_id, id);
CREATE INDEX files_by_deliverable ON files (workspace_id, deliverable_id, id);
CREATE INDEX files_by_request ON files (workspace_id, request_id, id);
CREATE UNIQUE INDEX files_series_version ON files (workspace_id, series_id, version);

CREATE TABLE reports (
    workspace_id text NOT NULL,
    id           text NOT NULL,
    client_id    text NOT NULL,
    project_id   text,
    title        text NOT NULL,
    period_start date NOT NULL,
    period_end   date NOT NULL,
    summary      text,
    body         text,
    metrics      text NOT NULL DEFAULT '[]',
    status       text NOT NULL CHECK (status IN ('DRAFT', 'PUBLISHED')),
    published_at timestamptz,
    author_id    text,
    created_at   timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL,
    PRIMARY KEY (workspace_id, id),
    CHECK (period_end >= period_start),
    FOREIGN KEY (workspace_id, client_id) REFERENCES clients (workspace_id, id),
    FOREIGN KEY (workspace_id, project_id) REFERENCES projects (workspace_id, id),
    FOREIGN KEY (workspace_id, author_id) REFERENCES users (workspace_id, id)
);
CREATE INDEX reports_by_client ON reports (workspace_id, client_id, id);
CREATE INDEX reports_by_project ON reports (workspace_id, project_id, id);

CREATE TABLE exports (
    workspace_id         text NOT NULL,
    id                   text NOT NULL,
    client_id            text NOT NULL,
    kind                 text NOT NULL CHECK (kind IN ('APPROVALS', 'DELIVERABLES', 'ACTIVITY')),
    range_from           date NOT NULL,
    range_to             date NOT NULL,
    status               text NOT NULL CHECK (status IN ('QUEUED', 'RUNNING', 'DONE', 'FAILED')),
    file_id              text,
    error                text,
    requested_by         text,
    requested_by_contact text,
    attempts             integer NOT NULL DEFAULT 0,
    lease_until          timestamptz,
    created_at           timestamptz NOT NULL,
    finished_at          timestamptz,
    PRIMARY KEY (workspace_id, id),
    CHECK (range_to >= range_from),
    FOREIGN KEY (workspace_id, client_id) REFERENCES clients (workspace_id, id),
    FOREIGN KEY (workspace_id, file_id) REFERENCES files (workspace_id, id),
    FOREIGN KEY (workspace_id, requested_by) REFERENCES users (workspace_id, id),
    FOREIGN KEY (workspace_id, requested_by_contact) REFERENCES contacts (workspace_id, id)
);
CREATE INDEX exports_by_client ON exports (workspace_id, client_id, id);
-- The workers' queue spans workspaces.
CREATE INDEX exports_queue ON exports (status, created_at);

-- Sign-in failures older than a day are deleted by time.
CREATE INDEX login_failures_by_time ON login_failures (failed_at);
