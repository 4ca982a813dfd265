-- Dashboards count a kind of record over a range of dates, for the
-- clients a principal sees. Portal contacts and partner keys read shared
-- records by the client they are shown to (portal_client_id); without an
-- index on it and the figure's date, every figure read the workspace's
-- rows (about 40 ms of PostgreSQL's time per partner dashboard on the
-- benchmark's data, 8 ms with these).
CREATE INDEX deliverables_by_portal_client ON deliverables (workspace_id, portal_client_id, due_on);
CREATE INDEX approvals_by_portal_client ON approvals (workspace_id, portal_client_id, created_at);
