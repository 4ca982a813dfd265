package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"portalgraph/internal/ratelimit"
)

// Budgets keeps request-cost budgets (internal/ratelimit) in the database,
// so that every server process of one database spends from the same
// budgets. A Take is one statement.
type Budgets struct {
	s   *Store
	now func() time.Time
}

var _ ratelimit.Limiter = (*Budgets)(nil)

// Budgets returns the store's budgets; now is their clock (nil: the
// store's).
func (s *Store) Budgets(now func() time.Time) *Budgets {
	if now == nil {
		now = s.now
	}
	return &Budgets{s: s, now: now}
}

// Take spends cost from key's budget in one statement: an upsert whose
// update applies only when the budget holds the cost. It is
// ratelimit.Decide written in SQL, with instants as Unix microseconds:
// the stored TAT, brought up to now when it lies in the past, plus the
// cost's intervals, must not lie more than a window ahead of now. Another
// statement reads the budget only after a refusal.
func (b *Budgets) Take(ctx context.Context, key string, cost, perWindow int64) (ratelimit.Result, error) {
	now := b.now()
	nowUS := now.UnixMicro()
	spend := cost * ratelimit.Interval(perWindow).Microseconds()
	window := ratelimit.Window.Microseconds()
	if spend > window { // more than the whole budget: refused without a write
		tat, err := b.tat(ctx, key)
		if err != nil {
			return ratelimit.Result{}, err
		}
		_, r := ratelimit.Decide(tat, now, cost, perWindow)
		return r, nil
	}
	const current = "(CASE WHEN rate_budgets.tat > ? THEN rate_budgets.tat ELSE ? END)"
	// Prepared, as the reads are: one round trip instead of two.
	var tat int64
	err := b.s.reads.QueryRowxContext(ctx, b.s.reads.Rebind(
		"INSERT INTO rate_budgets (key, tat) VALUES (?, ?)"+
			" ON CONFLICT (key) DO UPDATE SET tat = "+current+" + ?"+
			" WHERE "+current+" + ? - ? <= ?"+
			" RETURNING tat"),
		key, nowUS+spend,
		nowUS, nowUS, spend,
		nowUS, nowUS, spend, window, nowUS,
	).Scan(&tat)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		before, err := b.tat(ctx, key)
		if err != nil {
			return ratelimit.Result{}, err
		}
		_, r := ratelimit.Decide(before, now, cost, perWindow)
		if r.Allowed { // earned back between the two statements: try again later
			r.Allowed, r.RetryAfter = false, ratelimit.Interval(perWindow)
		}
		return r, nil
	case err != nil:
		return ratelimit.Result{}, fmt.Errorf("spend budget: %w", err)
	}
	// The new TAT is what Decide would have computed; its result
	// describes the budget from it.
	_, r := ratelimit.Decide(time.UnixMicro(tat-spend), now, cost, perWindow)
	return r, nil
}

// tat reads a budget's TAT; zero for a key never seen.
func (b *Budgets) tat(ctx context.Context, key string) (time.Time, error) {
	// Prepared, as the reads are: one round trip instead of two.
	var tat int64
	err := b.s.reads.QueryRowxContext(ctx, b.s.reads.Rebind("SELECT tat FROM rate_budgets WHERE key = ?"), key).Scan(&tat)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return time.Time{}, nil
	case err != nil:
		return time.Time{}, fmt.Errorf("read budget: %w", err)
	}
	return time.UnixMicro(tat), nil
}

// Prune deletes the budgets that are full again, which a key never
// spending again would otherwise keep forever.
func (b *Budgets) Prune(ctx context.Context) error {
	_, err := b.s.db.ExecContext(ctx, b.s.db.Rebind("DELETE FROM rate_budgets WHERE tat < ?"), b.now().UnixMicro())
	if err != nil {
		return fmt.Errorf("prune budgets: %w", err)
	}
	return nil
}
