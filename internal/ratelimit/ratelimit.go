// Package ratelimit keeps each principal's budget of request cost: a
// number of points per minute, spent by each request as it runs and earned
// back steadily. The budget is a generic cell rate algorithm (GCRA): the
// whole state of a key is one instant, its "theoretical arrival time"
// (TAT), the moment by which everything spent so far will have been earned
// back. That makes a budget one row (or one map entry) changed by one
// compare-and-set, so the same rule runs in memory for a single process
// and in one SQL statement for several processes sharing a database.
package ratelimit

import (
	"context"
	"sync"
	"time"
)

// Window is the period a budget is stated over: a budget of N lets a
// principal spend N points at once, then N per Window.
const Window = time.Minute

// Limiter spends points from budgets.
type Limiter interface {
	// Take spends cost points from key's budget of perWindow points per
	// Window, if it holds that many. A refusal spends nothing.
	Take(ctx context.Context, key string, cost, perWindow int64) (Result, error)
}

// Result says whether a Take was allowed and where the budget stands.
type Result struct {
	Allowed bool
	// Limit is the budget per Window; Remaining what is left after this
	// Take (before it, when refused).
	Limit, Remaining int64
	// RetryAfter is, for a refusal, how long until the budget holds the
	// cost asked for; ResetAfter how long until it is full again.
	RetryAfter, ResetAfter time.Duration
	// EmptyFor is how long until the budget holds a point again, zero
	// when it holds one now: until then any request is refused.
	EmptyFor time.Duration
}

// Interval is how long one point takes to be earned back, in whole
// microseconds (what the database keeps), at least one.
func Interval(perWindow int64) time.Duration {
	return max((Window / time.Duration(max(perWindow, 1))).Truncate(time.Microsecond), time.Microsecond)
}

// Decide applies the rule to a key whose TAT is tat (zero for a key never
// seen) at now: the new TAT to store when allowed, and the result. Every
// Limiter implements exactly this; the SQL one in a statement of its own.
func Decide(tat, now time.Time, cost, perWindow int64) (time.Time, Result) {
	interval := Interval(perWindow)
	if tat.Before(now) {
		tat = now // an idle budget is full, not fuller
	}
	next := tat.Add(time.Duration(cost) * interval)
	allowAt := next.Add(-Window)
	if allowAt.After(now) {
		return tat, result(false, tat, now, perWindow, interval, allowAt.Sub(now))
	}
	return next, result(true, next, now, perWindow, interval, 0)
}

// result describes a budget whose TAT is tat.
func result(allowed bool, tat, now time.Time, perWindow int64, interval, retry time.Duration) Result {
	r := Result{Allowed: allowed, Limit: perWindow, RetryAfter: retry, ResetAfter: max(tat.Sub(now), 0)}
	r.Remaining = min(max(int64(now.Add(Window).Sub(tat)/interval), 0), perWindow)
	if r.Remaining == 0 {
		r.EmptyFor = tat.Add(interval - Window).Sub(now)
	}
	return r
}

// Memory keeps budgets in this process: right for a single server, and
// wrong for several, whose budgets would add up.
type Memory struct {
	now   func() time.Time
	mu    sync.Mutex
	tats  map[string]time.Time
	sweep time.Time
}

// NewMemory returns an empty in-memory limiter; now is the clock (nil:
// time.Now).
func NewMemory(now func() time.Time) *Memory {
	if now == nil {
		now = time.Now
	}
	return &Memory{now: now, tats: map[string]time.Time{}}
}

func (m *Memory) Take(_ context.Context, key string, cost, perWindow int64) (Result, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	tat, r := Decide(m.tats[key], now, cost, perWindow)
	m.tats[key] = tat
	// Forget full budgets now and then, so the map holds only the keys
	// spending now and not every address ever seen.
	if now.Sub(m.sweep) > Window {
		m.sweep = now
		for k, t := range m.tats {
			if t.Before(now) {
				delete(m.tats, k)
			}
		}
	}
	return r, nil
}
