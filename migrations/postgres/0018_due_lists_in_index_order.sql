-- Staff's "what is due" lists read a status's live deliverables (or
-- approvals) due in a range, by due date, a page at a time, with the
-- list's total. By (workspace_id, status, due_on) every matched row was
-- read from the table, for the deleted_at condition and to be sorted by
-- the sort key (COALESCE(due_on, '9999-12-31'), id): for three months of
-- the benchmark's data, 764 rows and 760 buffers, about 1 ms, for a page
-- of 51. Here the live rows are in the sort key's order, with the date
-- for its NOT NULL condition: the total is counted from the index alone
-- and the page read as its first rows (70 buffers, about 0.4 ms). The
-- lists bound the range on the sort key, whose statistics ANALYZE gathers
-- for the index: without them the plan is a guess until autovacuum runs.
CREATE INDEX deliverables_live_by_status_due ON deliverables (workspace_id, status, (COALESCE(due_on, '9999-12-31')), id) INCLUDE (due_on) WHERE deleted_at IS NULL;
CREATE INDEX approvals_live_by_status_due ON approvals (workspace_id, status, (COALESCE(due_on, '9999-12-31')), id) INCLUDE (due_on) WHERE deleted_at IS NULL;
ANALYZE deliverables;
ANALYZE approvals;
