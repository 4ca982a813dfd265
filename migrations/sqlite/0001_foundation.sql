-- The foundation: workspaces, staff, clients and their portal, projects,
-- deliverables, approvals, notes, activity and access tokens.
--
-- Every table leads with workspace_id and keys records by (workspace_id, id):
-- the natural distribution column for a sharded PostgreSQL, and foreign keys
-- that include it make a relation across workspaces impossible.

CREATE TABLE workspaces (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    slug        TEXT NOT NULL UNIQUE,
    created_at  TIMESTAMP NOT NULL
);

CREATE TABLE users (
    workspace_id TEXT NOT NULL REFERENCES workspaces (id),
    id           TEXT NOT NULL,
    name         TEXT NOT NULL,
    email        TEXT NOT NULL,
    role         TEXT NOT NULL CHECK (role IN ('OWNER', 'ADMIN', 'MANAGER', 'MEMBER', 'VIEWER')),
    created_at   TIMESTAMP NOT NULL,
    updated_at   TIMESTAMP NOT NULL,
    PRIMARY KEY (workspace_id, id),
    UNIQUE (workspace_id, email)
);

CREATE TABLE clients (
    workspace_id        TEXT NOT NULL REFERENCES workspaces (id),
    id                  TEXT NOT NULL,
    name                TEXT NOT NULL,
    organization        TEXT,
    owner_id            TEXT,
    email               TEXT,
    phone               TEXT,
    website             TEXT,
    address_line1       TEXT,
    address_line2       TEXT,
    city                TEXT,
    region              TEXT,
    postal_code         TEXT,
    country             TEXT,
    status              TEXT NOT NULL CHECK (status IN ('LEAD', 'ACTIVE', 'INACTIVE', 'ARCHIVED')),
    portal_enabled      BOOLEAN NOT NULL DEFAULT FALSE,
    portal_projects     BOOLEAN NOT NULL DEFAULT TRUE,
    portal_deliverables BOOLEAN NOT NULL DEFAULT TRUE,
    portal_approvals    BOOLEAN NOT NULL DEFAULT TRUE,
    portal_reports      BOOLEAN NOT NULL DEFAULT TRUE,
    portal_files        BOOLEAN NOT NULL DEFAULT TRUE,
    portal_exports      BOOLEAN NOT NULL DEFAULT FALSE,
    portal_requests     BOOLEAN NOT NULL DEFAULT TRUE,
    internal_notes      TEXT,
    created_at          TIMESTAMP NOT NULL,
    updated_at          TIMESTAMP NOT NULL,
    archived_at         TIMESTAMP,
    PRIMARY KEY (workspace_id, id),
    FOREIGN KEY (workspace_id, owner_id) REFERENCES users (workspace_id, id)
);
CREATE INDEX clients_by_name ON clients (workspace_id, name, id);
CREATE INDEX clients_by_owner ON clients (workspace_id, owner_id);

CREATE TABLE contacts (
    workspace_id  TEXT NOT NULL,
    id            TEXT NOT NULL,
    client_id     TEXT NOT NULL,
    name          TEXT NOT NULL,
    email         TEXT NOT NULL,
    phone         TEXT,
    title         TEXT,
    portal_status TEXT NOT NULL DEFAULT 'NONE' CHECK (portal_status IN ('NONE', 'INVITED', 'ACTIVE', 'SUSPENDED')),
    created_at    TIMESTAMP NOT NULL,
    updated_at    TIMESTAMP NOT NULL,
    PRIMARY KEY (workspace_id, id),
    UNIQUE (workspace_id, email),
    FOREIGN KEY (workspace_id, client_id) REFERENCES clients (workspace_id, id)
);
CREATE INDEX contacts_by_client ON contacts (workspace_id, client_id, id);

CREATE TABLE projects (
    workspace_id   TEXT NOT NULL,
    id             TEXT NOT NULL,
    client_id      TEXT NOT NULL,
    name           TEXT NOT NULL,
    description    TEXT,
    status         TEXT NOT NULL CHECK (status IN ('PLANNED', 'ACTIVE', 'ON_HOLD', 'COMPLETED', 'CANCELLED')),
    visibility     TEXT NOT NULL CHECK (visibility IN ('INTERNAL', 'SHARED')),
    starts_on      DATE,
    due_on         DATE,
    owner_id       TEXT,
    budget_cents   INTEGER CHECK (budget_cents >= 0),
    internal_notes TEXT,
    created_at     TIMESTAMP NOT NULL,
    updated_at     TIMESTAMP NOT NULL,
    PRIMARY KEY (workspace_id, id),
    FOREIGN KEY (workspace_id, client_id) REFERENCES clients (workspace_id, id),
    FOREIGN KEY (workspace_id, owner_id) REFERENCES users (workspace_id, id)
);
CREATE INDEX projects_by_client ON projects (workspace_id, client_id, id);

CREATE TABLE deliverables (
    workspace_id TEXT NOT NULL,
    id           TEXT NOT NULL,
    project_id   TEXT NOT NULL,
    title        TEXT NOT NULL,
    description  TEXT,
    status       TEXT NOT NULL CHECK (status IN ('NOT_STARTED', 'IN_PROGRESS', 'IN_REVIEW', 'CHANGES_REQUESTED', 'APPROVED', 'DELIVERED')),
    visibility   TEXT NOT NULL CHECK (visibility IN ('INTERNAL', 'SHARED')),
    due_on       DATE,
    created_at   TIMESTAMP NOT NULL,
    updated_at   TIMESTAMP NOT NULL,
    PRIMARY KEY (workspace_id, id),
    FOREIGN KEY (workspace_id, project_id) REFERENCES projects (workspace_id, id)
);
CREATE INDEX deliverables_by_project ON deliverables (workspace_id, project_id, id);
CREATE INDEX deliverables_by_status_due ON deliverables (workspace_id, status, due_on);

CREATE TABLE approvals (
    workspace_id      TEXT NOT NULL,
    id                TEXT NOT NULL,
    deliverable_id    TEXT NOT NULL,
    -- The deliverable's project and client, which never change, kept here
    -- so approvals list per project or client without a join.
    project_id        TEXT NOT NULL,
    client_id         TEXT NOT NULL,
    title             TEXT NOT NULL,
    message           TEXT,
    status            TEXT NOT NULL CHECK (status IN ('PENDING', 'APPROVED', 'CHANGES_REQUESTED', 'REJECTED', 'CANCELLED')),
    policy            TEXT NOT NULL CHECK (policy IN ('ANY', 'ALL')),
    due_on            DATE,
    round             INTEGER NOT NULL DEFAULT 1,
    previous_round_id TEXT,
    requested_by      TEXT,
    created_at        TIMESTAMP NOT NULL,
    resolved_at       TIMESTAMP,
    PRIMARY KEY (workspace_id, id),
    FOREIGN KEY (workspace_id, deliverable_id) REFERENCES deliverables (workspace_id, id),
    FOREIGN KEY (workspace_id, project_id) REFERENCES projects (workspace_id, id),
    FOREIGN KEY (workspace_id, client_id) REFERENCES clients (workspace_id, id),
    FOREIGN KEY (workspace_id, previous_round_id) REFERENCES approvals (workspace_id, id),
    FOREIGN KEY (workspace_id, requested_by) REFERENCES users (workspace_id, id)
);
CREATE INDEX approvals_by_deliverable ON approvals (workspace_id, deliverable_id, id);
CREATE INDEX approvals_by_project ON approvals (workspace_id, project_id, id);
CREATE INDEX approvals_by_client ON approvals (workspace_id, client_id, id);
CREATE INDEX approvals_by_status ON approvals (workspace_id, status, due_on);

CREATE TABLE approval_approvers (
    workspace_id TEXT NOT NULL,
    approval_id  TEXT NOT NULL,
    contact_id   TEXT NOT NULL,
    PRIMARY KEY (workspace_id, approval_id, contact_id),
    FOREIGN KEY (workspace_id, approval_id) REFERENCES approvals (workspace_id, id),
    FOREIGN KEY (workspace_id, contact_id) REFERENCES contacts (workspace_id, id)
);
CREATE INDEX approval_approvers_by_contact ON approval_approvers (workspace_id, contact_id);

-- Every decision is kept; superseded_at marks the ones an approver changed.
CREATE TABLE approval_decisions (
    workspace_id  TEXT NOT NULL,
    id            TEXT NOT NULL,
    approval_id   TEXT NOT NULL,
    contact_id    TEXT NOT NULL,
    outcome       TEXT NOT NULL CHECK (outcome IN ('APPROVED', 'CHANGES_REQUESTED', 'REJECTED')),
    comment       TEXT,
    recorded_by   TEXT,
    decided_at    TIMESTAMP NOT NULL,
    superseded_at TIMESTAMP,
    PRIMARY KEY (workspace_id, id),
    FOREIGN KEY (workspace_id, approval_id, contact_id) REFERENCES approval_approvers (workspace_id, approval_id, contact_id),
    FOREIGN KEY (workspace_id, recorded_by) REFERENCES users (workspace_id, id)
);
CREATE UNIQUE INDEX approval_decisions_current ON approval_decisions (workspace_id, approval_id, contact_id) WHERE superseded_at IS NULL;

CREATE TABLE notes (
    workspace_id TEXT NOT NULL,
    id           TEXT NOT NULL,
    client_id    TEXT NOT NULL,
    project_id   TEXT,
    author_id    TEXT,
    body         TEXT NOT NULL,
    created_at   TIMESTAMP NOT NULL,
    PRIMARY KEY (workspace_id, id),
    FOREIGN KEY (workspace_id, client_id) REFERENCES clients (workspace_id, id),
    FOREIGN KEY (workspace_id, project_id) REFERENCES projects (workspace_id, id),
    FOREIGN KEY (workspace_id, author_id) REFERENCES users (workspace_id, id)
);
CREATE INDEX notes_by_client ON notes (workspace_id, client_id, id);
CREATE INDEX notes_by_project ON notes (workspace_id, project_id, id);

-- Activity outlives the records it names, so record_id is not a foreign key.
CREATE TABLE activity_events (
    workspace_id     TEXT NOT NULL REFERENCES workspaces (id),
    id               TEXT NOT NULL,
    action           TEXT NOT NULL,
    record_type      TEXT NOT NULL,
    record_id        TEXT NOT NULL,
    actor_user_id    TEXT,
    actor_contact_id TEXT,
    client_id        TEXT,
    summary          TEXT NOT NULL,
    changed_fields   TEXT NOT NULL DEFAULT '',
    created_at       TIMESTAMP NOT NULL,
    PRIMARY KEY (workspace_id, id)
);
CREATE INDEX activity_by_client ON activity_events (workspace_id, client_id, id);
CREATE INDEX activity_by_record ON activity_events (workspace_id, record_id, id);

-- Bearer tokens of staff members and portal contacts. Only a SHA-256 of the
-- token is stored; the token itself is shown once, when it is made.
CREATE TABLE tokens (
    token_hash   TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id),
    id           TEXT NOT NULL,
    user_id      TEXT,
    contact_id   TEXT,
    created_at   TIMESTAMP NOT NULL,
    expires_at   TIMESTAMP,
    revoked_at   TIMESTAMP,
    CHECK ((user_id IS NULL) <> (contact_id IS NULL)),
    FOREIGN KEY (workspace_id, user_id) REFERENCES users (workspace_id, id),
    FOREIGN KEY (workspace_id, contact_id) REFERENCES contacts (workspace_id, id)
);
