-- The foundation: workspaces, staff, clients and their portal, projects,
-- deliverables, approvals, notes, activity and access tokens.
--
-- Every table leads with workspace_id and keys records by (workspace_id, id):
-- the natural distribution column for a sharded PostgreSQL, and foreign keys
-- that include it make a relation across workspaces impossible.

CREATE TABLE workspaces (
    id          text PRIMARY KEY,
    name        text NOT NULL,
    slug        text NOT NULL UNIQUE,
    created_at  timestamptz NOT NULL
);

CREATE TABLE users (
    workspace_id text NOT NULL REFERENCES workspaces (id),
    id           text NOT NULL,
    name         text NOT NULL,
    email        text NOT NULL,
    role         text NOT NULL CHECK (role IN ('OWNER', 'ADMIN', 'MANAGER', 'MEMBER', 'VIEWER')),
    created_at   timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL,
    PRIMARY KEY (workspace_id, id),
    UNIQUE (workspace_id, email)
);

CREATE TABLE clients (
    workspace_id        text NOT NULL REFERENCES workspaces (id),
    id                  text NOT NULL,
    name                text NOT NULL,
    organization        text,
    owner_id            text,
    email               text,
    phone               text,
    website             text,
    address_line1       text,
    address_line2       text,
    city                text,
    region              text,
    postal_code         text,
    country             text,
    status              text NOT NULL CHECK (status IN ('LEAD', 'ACTIVE', 'INACTIVE', 'ARCHIVED')),
    portal_enabled      boolean NOT NULL DEFAULT FALSE,
    portal_projects     boolean NOT NULL DEFAULT TRUE,
    portal_deliverables boolean NOT NULL DEFAULT TRUE,
    portal_approvals    boolean NOT NULL DEFAULT TRUE,
    portal_reports      boolean NOT NULL DEFAULT TRUE,
    portal_files        boolean NOT NULL DEFAULT TRUE,
    portal_exports      boolean NOT NULL DEFAULT FALSE,
    portal_requests     boolean NOT NULL DEFAULT TRUE,
    internal_notes      text,
    created_at          timestamptz NOT NULL,
    updated_at          timestamptz NOT NULL,
    archived_at         timestamptz,
    PRIMARY KEY (workspace_id, id),
    FOREIGN KEY (workspace_id, owner_id) REFERENCES users (workspace_id, id)
);
CREATE INDEX clients_by_name ON clients (workspace_id, name, id);
CREATE INDEX clients_by_owner ON clients (workspace_id, owner_id);

CREATE TABLE contacts (
    workspace_id  text NOT NULL,
    id            text NOT NULL,
    client_id     text NOT NULL,
    name          text NOT NULL,
    email         text NOT NULL,
    phone         text,
    title         text,
    portal_status text NOT NULL DEFAULT 'NONE' CHECK (portal_status IN ('NONE', 'INVITED', 'ACTIVE', 'SUSPENDED')),
    created_at    timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL,
    PRIMARY KEY (workspace_id, id),
    UNIQUE (workspace_id, email),
    FOREIGN KEY (workspace_id, client_id) REFERENCES clients (workspace_id, id)
);
CREATE INDEX contacts_by_client ON contacts (workspace_id, client_id, id);

CREATE TABLE projects (
    workspace_id   text NOT NULL,
    id             text NOT NULL,
    client_id      text NOT NULL,
    name           text NOT NULL,
    description    text,
    status         text NOT NULL CHECK (status IN ('PLANNED', 'ACTIVE', 'ON_HOLD', 'COMPLETED', 'CANCELLED')),
    visibility     text NOT NULL CHECK (visibility IN ('INTERNAL', 'SHARED')),
    starts_on      date,
    due_on         date,
    owner_id       text,
    budget_cents   bigint CHECK (budget_cents >= 0),
    internal_notes text,
    created_at     timestamptz NOT NULL,
    updated_at     timestamptz NOT NULL,
    PRIMARY KEY (workspace_id, id),
    FOREIGN KEY (workspace_id, client_id) REFERENCES clients (workspace_id, id),
    FOREIGN KEY (workspace_id, owner_id) REFERENCES users (workspace_id, id)
);
CREATE INDEX projects_by_client ON projects (workspace_id, client_id, id);

CREATE TABLE deliverables (
    workspace_id text NOT NULL,
    id           text NOT NULL,
    project_id   text NOT NULL,
    title        text NOT NULL,
    description  text,
    status       text NOT NULL CHECK (status IN ('NOT_STARTED', 'IN_PROGRESS', 'IN_REVIEW', 'CHANGES_REQUESTED', 'APPROVED', 'DELIVERED')),
    visibility   text NOT NULL CHECK (visibility IN ('INTERNAL', 'SHARED')),
    due_on       date,
    created_at   timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL,
    PRIMARY KEY (workspace_id, id),
    FOREIGN KEY (workspace_id, project_id) REFERENCES projects (workspace_id, id)
);
CREATE INDEX deliverables_by_project ON deliverables (workspace_id, project_id, id);
CREATE INDEX deliverables_by_status_due ON deliverables (workspace_id, status, due_on);

CREATE TABLE approvals (
    workspace_id      text NOT NULL,
    id                text NOT NULL,
    deliverable_id    text NOT NULL,
    -- The deliverable's project and client, which never change, kept here
    -- so approvals list per project or client without a join.
    project_id        text NOT NULL,
    client_id         text NOT NULL,
    title             text NOT NULL,
    message           text,
    status            text NOT NULL CHECK (status IN ('PENDING', 'APPROVED', 'CHANGES_REQUESTED', 'REJECTED', 'CANCELLED')),
    policy            text NOT NULL CHECK (policy IN ('ANY', 'ALL')),
    due_on            date,
    round             integer NOT NULL DEFAULT 1,
    previous_round_id text,
    requested_by      text,
    created_at        timestamptz NOT NULL,
    resolved_at       timestamptz,
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
    workspace_id text NOT NULL,
    approval_id  text NOT NULL,
    contact_id   text NOT NULL,
    PRIMARY KEY (workspace_id, approval_id, contact_id),
    FOREIGN KEY (workspace_id, approval_id) REFERENCES approvals (workspace_id, id),
    FOREIGN KEY (workspace_id, contact_id) REFERENCES contacts (workspace_id, id)
);
CREATE INDEX approval_approvers_by_contact ON approval_approvers (workspace_id, contact_id);

-- Every decision is kept; superseded_at marks the ones an approver changed.
CREATE TABLE approval_decisions (
    workspace_id  text NOT NULL,
    id            text NOT NULL,
    approval_id   text NOT NULL,
    contact_id    text NOT NULL,
    outcome       text NOT NULL CHECK (outcome IN ('APPROVED', 'CHANGES_REQUESTED', 'REJECTED')),
    comment       text,
    recorded_by   text,
    decided_at    timestamptz NOT NULL,
    superseded_at timestamptz,
    PRIMARY KEY (workspace_id, id),
    FOREIGN KEY (workspace_id, approval_id, contact_id) REFERENCES approval_approvers (workspace_id, approval_id, contact_id),
    FOREIGN KEY (workspace_id, recorded_by) REFERENCES users (workspace_id, id)
);
CREATE UNIQUE INDEX approval_decisions_current ON approval_decisions (workspace_id, approval_id, contact_id) WHERE superseded_at IS NULL;

CREATE TABLE notes (
    workspace_id text NOT NULL,
    id           text NOT NULL,
    client_id    text NOT NULL,
    project_id   text,
    author_id    text,
    body         text NOT NULL,
    created_at   timestamptz NOT NULL,
    PRIMARY KEY (workspace_id, id),
    FOREIGN KEY (workspace_id, client_id) REFERENCES clients (workspace_id, id),
    FOREIGN KEY (workspace_id, project_id) REFERENCES projects (workspace_id, id),
    FOREIGN KEY (workspace_id, author_id) REFERENCES users (workspace_id, id)
);
CREATE INDEX notes_by_client ON notes (workspace_id, client_id, id);
CREATE INDEX notes_by_project ON notes (workspace_id, project_id, id);

-- Activity outlives the records it names, so record_id is not a foreign key.
CREATE TABLE activity_events (
    workspace_id     text NOT NULL REFERENCES workspaces (id),
    id               text NOT NULL,
    action           text NOT NULL,
    record_type      text NOT NULL,
    record_id        text NOT NULL,
    actor_user_id    text,
    actor_contact_id text,
    client_id        text,
    summary          text NOT NULL,
    changed_fields   text NOT NULL DEFAULT '',
    created_at       timestamptz NOT NULL,
    PRIMARY KEY (workspace_id, id)
);
CREATE INDEX activity_by_client ON activity_events (workspace_id, client_id, id);
CREATE INDEX activity_by_record ON activity_events (workspace_id, record_id, id);

-- Bearer tokens of staff members and portal contacts. Only a SHA-256 of the
-- token is stored; the token itself is shown once, when it is made.
CREATE TABLE tokens (
    token_hash   text PRIMARY KEY,
    workspace_id text NOT NULL REFERENCES workspaces (id),
    id           text NOT NULL,
    user_id      text,
    contact_id   text,
    created_at   timestamptz NOT NULL,
    expires_at   timestamptz,
    revoked_at   timestamptz,
    CHECK ((user_id IS NULL) <> (contact_id IS NULL)),
    FOREIGN KEY (workspace_id, user_id) REFERENCES users (workspace_id, id),
    FOREIGN KEY (workspace_id, contact_id) REFERENCES contacts (workspace_id, id)
);
