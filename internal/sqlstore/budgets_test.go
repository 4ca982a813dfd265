package sqlstore_test

import (
	"testing"
	"time"

	"portalgraph/internal/ratelimit"
	"portalgraph/internal/ratelimit/ratelimittest"
	"portalgraph/internal/sqlstore"
	"portalgraph/internal/sqlstore/sqltest"
)

// Budgets in the database behave exactly as budgets in memory.
func TestBudgets(t *testing.T) {
	t.Parallel()
	sqltest.Run(t, func(t *testing.T, s *sqlstore.Store) {
		ratelimittest.Run(t, func(t *testing.T, now func() time.Time) ratelimit.Limiter {
			exec(t, s, "DELETE FROM rate_budgets")
			return s.Budgets(now)
		})
	})
}

// Full budgets are pruned; spent ones stay.
func TestBudgetsPrune(t *testing.T) {
	t.Parallel()
	sqltest.Run(t, func(t *testing.T, s *sqlstore.Store) {
		clock := ratelimittest.NewClock()
		b := s.Budgets(clock.Now)
		for _, key := range []string{"a", "b"} {
			_, err := b.Take(t.Context(), key, 10, 100)
			noErr(t, err)
		}
		clock.Advance(3 * time.Second)
		_, err := b.Take(t.Context(), "b", 10, 100)
		noErr(t, err)
		clock.Advance(4 * time.Second) // a is full again, b is not
		noErr(t, b.Prune(t.Context()))
		if n := countRows(t, s, "SELECT COUNT(*) FROM rate_budgets"); n != 1 {
			t.Errorf("%d budgets left, want b's", n)
		}
	})
}
