-- Deletion. Projects, deliverables, approvals, reports and requests are
-- deleted softly: deleted_at hides the row from every read at once, and
-- for 30 days restoreRecord brings it back; after that the purge removes
-- it for good. What a deletion takes along (a project's deliverables,
-- approvals, decisions, files and reports; a deliverable's approvals,
-- decisions and files; an approval's decisions; a request's comments and
-- files) is marked in the same transaction, with the same deleted_at and
-- deleted_with = the ID of the record whose deletion it was, so a restore
-- brings back exactly those and nothing deleted on its own before.
-- deleted_by is the staff member who deleted it.
ALTER TABLE projects ADD COLUMN deleted_at timestamptz;
ALTER TABLE projects ADD COLUMN deleted_by text;
ALTER TABLE projects ADD COLUMN deleted_with text;
ALTER TABLE deliverables ADD COLUMN deleted_at timestamptz;
ALTER TABLE deliverables ADD COLUMN deleted_by text;
ALTER TABLE deliverables ADD COLUMN deleted_with text;
ALTER TABLE approvals ADD COLUMN deleted_at timestamptz;
ALTER TABLE approvals ADD COLUMN deleted_by text;
ALTER TABLE approvals ADD COLUMN deleted_with text;
ALTER TABLE approval_decisions ADD COLUMN deleted_at timestamptz;
ALTER TABLE approval_decisions ADD COLUMN deleted_by text;
ALTER TABLE approval_decisions ADD COLUMN deleted_with text;
ALTER TABLE files ADD COLUMN deleted_at timestamptz;
ALTER TABLE files ADD COLUMN deleted_by text;
ALTER TABLE files ADD COLUMN deleted_with text;
ALTER TABLE reports ADD COLUMN deleted_at timestamptz;
ALTER TABLE reports ADD COLUMN deleted_by text;
ALTER TABLE reports ADD COLUMN deleted_with text;
ALTER TABLE client_requests ADD COLUMN deleted_at timestamptz;
ALTER TABLE client_requests ADD COLUMN deleted_by text;
ALTER TABLE client_requests ADD COLUMN deleted_with text;
ALTER TABLE request_comments ADD COLUMN deleted_at timestamptz;
ALTER TABLE request_comments ADD COLUMN deleted_by text;
ALTER TABLE request_comments ADD COLUMN deleted_with text;

-- The purge finds what is due, and restores find what a deletion took.
CREATE INDEX projects_deleted ON projects (deleted_at) WHERE deleted_at IS NOT NULL;
CREATE INDEX deliverables_deleted ON deliverables (deleted_at) WHERE deleted_at IS NOT NULL;
CREATE INDEX approvals_deleted ON approvals (deleted_at) WHERE deleted_at IS NOT NULL;
CREATE INDEX approval_decisions_deleted ON approval_decisions (deleted_at) WHERE deleted_at IS NOT NULL;
CREATE INDEX files_deleted ON files (deleted_at) WHERE deleted_at IS NOT NULL;
CREATE INDEX reports_deleted ON reports (deleted_at) WHERE deleted_at IS NOT NULL;
CREATE INDEX client_requests_deleted ON client_requests (deleted_at) WHERE deleted_at IS NOT NULL;
CREATE INDEX request_comments_deleted ON request_comments (deleted_at) WHERE deleted_at IS NOT NULL;
CREATE INDEX projects_deleted_with ON projects (workspace_id, deleted_with) WHERE deleted_with IS NOT NULL;
CREATE INDEX deliverables_deleted_with ON deliverables (workspace_id, deleted_with) WHERE deleted_with IS NOT NULL;
CREATE INDEX approvals_deleted_with ON approvals (workspace_id, deleted_with) WHERE deleted_with IS NOT NULL;
CREATE INDEX approval_decisions_deleted_with ON approval_decisions (workspace_id, deleted_with) WHERE deleted_with IS NOT NULL;
CREATE INDEX files_deleted_with ON files (workspace_id, deleted_with) WHERE deleted_with IS NOT NULL;
CREATE INDEX reports_deleted_with ON reports (workspace_id, deleted_with) WHERE deleted_with IS NOT NULL;
CREATE INDEX client_requests_deleted_with ON client_requests (workspace_id, deleted_with) WHERE deleted_with IS NOT NULL;
CREATE INDEX request_comments_deleted_with ON request_comments (workspace_id, deleted_with) WHERE deleted_with IS NOT NULL;

-- An erased contact: their personal fields are cleared or replaced, and
-- the row stays as a tombstone so decisions, comments, uploads and
-- activity that point to it keep their foreign keys. Every read hides it.
ALTER TABLE contacts ADD COLUMN erased_at timestamptz;
