-- Staff's "what is due" lists read a status's live deliverables (or
-- approvals) due in a range, by due date, a page at a time, with the
-- list's total. Here the live rows are in the sort key's order
-- (COALESCE(due_on, '9999-12-31'), id), with the columns of the range's
-- own condition and of the index's (SQLite has no INCLUDE, and counts from
-- an index alone only when it holds every column the statement names): the
-- total is counted from the index alone and the page read as its first
-- rows.
CREATE INDEX deliverables_live_by_status_due ON deliverables (workspace_id, status, COALESCE(due_on, '9999-12-31'), id, due_on, deleted_at) WHERE deleted_at IS NULL;
CREATE INDEX approvals_live_by_status_due ON approvals (workspace_id, status, COALESCE(due_on, '9999-12-31'), id, due_on, deleted_at) WHERE deleted_at IS NULL;
