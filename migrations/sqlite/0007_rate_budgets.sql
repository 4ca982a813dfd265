-- Each principal's budget of request cost (internal/ratelimit): one row a
-- key, holding the instant (Unix microseconds) by which all it has spent is
-- earned back. Keys name a principal, not a workspace's record: an
-- anonymous caller's is its address.
CREATE TABLE rate_budgets (
    key TEXT PRIMARY KEY,
    tat BIGINT NOT NULL
);
