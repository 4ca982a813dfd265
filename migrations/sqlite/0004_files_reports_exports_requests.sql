-- What clients receive and send through the portal: client requests and
-- their comments, files (bytes in blob storage, metadata here), reports
-- and CSV exports.

CREATE TABLE client_requests (
    workspace_id      TEXT NOT NULL,
    id                TEXT NOT NULL,
    client_id         TEXT NOT NULL,
    project_id        TEXT,
    title             TEXT NOT NULL,
    body              TEXT NOT NULL,
    status            TEXT NOT NULL CHECK (status IN ('OPEN', 'IN_PROGRESS', 'DONE', 'DECLINED')),
    assignee_id       TEXT,
    opened_by_contact TEXT,
    created_at        TIMESTAMP NOT NULL,
    last_activity_at  TIMESTAMP NOT NULL,
    PRIMARY KEY (workspace_id, id),
    FOREIGN KEY (workspace_id, client_id) REFERENCES clients (workspace_id, id),
    FOREIGN KEY (workspace_id, project_id) REFERENCES projects (workspace_id, id),
    FOREIGN KEY (workspace_id, assignee_id) REFERENCES users (workspace_id, id),
    FOREIGN KEY (workspace_id, opened_by_contact) REFERENCES contacts (workspace_id, id)
);
CREATE INDEX client_requests_by_client ON client_requests (workspace_id, client_id, id);
CREATE INDEX client_requests_by_status ON client_requests (workspace_id, status, id);

CREATE TABLE request_comments (
    workspace_id   TEXT NOT NULL,
    id             TEXT NOT NULL,
    request_id     TEXT NOT NULL,
    client_id      TEXT NOT NULL,
    body           TEXT NOT NULL,
    internal       BOOLEAN NOT NULL DEFAULT FALSE,
    author_user    TEXT,
    author_contact TEXT,
    created_at     TIMESTAMP NOT NULL,
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
    workspace_id        TEXT NOT NULL,
    id                  TEXT NOT NULL,
    client_id           TEXT NOT NULL,
    project_id          TEXT,
    deliverable_id      TEXT,
    request_id          TEXT,
    series_id           TEXT NOT NULL,
    version             INTEGER NOT NULL DEFAULT 1,
    name                TEXT NOT NULL,
    content_type        TEXT NOT NULL,
    size                INTEGER NOT NULL CHECK (size >= 0),
    sha256              TEXT NOT NULL,
    blob_key            TEXT NOT NULL,
    visibility          TEXT NOT NULL CHECK (visibility IN ('INTERNAL', 'SHARED')),
    uploaded_by         TEXT,
    uploaded_by_contact TEXT,
    created_at          TIMESTAMP NOT NULL,
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
    workspace_id TEXT NOT NULL,
    id           TEXT NOT NULL,
    client_id    TEXT NOT NULL,
    project_id   TEXT,
    title        TEXT NOT NULL,
    period_start DATE NOT NULL,
    period_end   DATE NOT NULL,
    summary      TEXT,
    body         TEXT,
    metrics      TEXT NOT NULL DEFAULT '[]',
    status       TEXT NOT NULL CHECK (status IN ('DRAFT', 'PUBLISHED')),
    published_at TIMESTAMP,
    author_id    TEXT,
    created_at   TIMESTAMP NOT NULL,
    updated_at   TIMESTAMP NOT NULL,
    PRIMARY KEY (workspace_id, id),
    CHECK (period_end >= period_start),
    FOREIGN KEY (workspace_id, client_id) REFERENCES clients (workspace_id, id),
    FOREIGN KEY (workspace_id, project_id) REFERENCES projects (workspace_id, id),
    FOREIGN KEY (workspace_id, author_id) REFERENCES users (workspace_id, id)
);
CREATE INDEX reports_by_client ON reports (workspace_id, client_id, id);
CREATE INDEX reports_by_project ON reports (workspace_id, project_id, id);

CREATE TABLE exports (
    workspace_id         TEXT NOT NULL,
    id                   TEXT NOT NULL,
    client_id            TEXT NOT NULL,
    kind                 TEXT NOT NULL CHECK (kind IN ('APPROVALS', 'DELIVERABLES', 'ACTIVITY')),
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
CREATE INDEX exports_by_client ON exports (workspace_id, client_id, id);
-- The workers' queue spans workspaces.
CREATE INDEX exports_queue ON exports (status, created_at);

-- Sign-in failures older than a day are deleted by time.
CREATE INDEX login_failures_by_time ON login_failures (failed_at);
