-- Each principal's budget of request cost (internal/ratelimit): one row a
-- key, holding the instant (Unix microseconds) by which all it has spent is
-- earned back. Keys name a principal, not a workspace's record: an
-- anonymous caller's is its address.
--
-- Every request writes here, so the table is UNLOGGED: its writes skip the
-- WAL, and a request's commit does not wait for a disk flush (which took
-- over a millisecond a request). After a crash it is empty, and every
-- budget full: a fair price for a budget.
--
-- It has no index but its key: an update then changes the row in place
-- (a HOT update) rather than adding index entries, and pruning the few
-- rows of principals spending now reads them all cheaply.
CREATE UNLOGGED TABLE rate_budgets (
    key TEXT PRIMARY KEY,
    tat BIGINT NOT NULL
);
