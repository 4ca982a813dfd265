// Package ratelimittest holds the behaviour every ratelimit.Limiter must
// have, as tests each implementation runs against itself.
package ratelimittest

import (
	"sync"
	"testing"
	"time"

	"portalgraph/internal/ratelimit"
	"portalgraph/internal/testclock"
)

// NewClock is the clock the checks start from.
func NewClock() *testclock.Clock { return testclock.New(time.Date(2027, 3, 1, 9, 0, 0, 0, time.UTC)) }

// Run checks a limiter; open returns a new, empty one on the clock.
func Run(t *testing.T, open func(t *testing.T, now func() time.Time) ratelimit.Limiter) {
	take := func(t *testing.T, l ratelimit.Limiter, key string, cost, per int64) ratelimit.Result {
		t.Helper()
		r, err := l.Take(t.Context(), key, cost, per)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	want := func(t *testing.T, what string, got ratelimit.Result, allowed bool, remaining int64, retry, reset time.Duration) {
		t.Helper()
		if got.Allowed != allowed || got.Remaining != remaining || got.RetryAfter != retry || got.ResetAfter != reset {
			t.Errorf("%s: got allowed %v, remaining %d, retry after %v, reset after %v; want %v, %d, %v, %v",
				what, got.Allowed, got.Remaining, got.RetryAfter, got.ResetAfter, allowed, remaining, retry, reset)
		}
	}

	t.Run("spend, refuse, earn back", func(t *testing.T) {
		clock := NewClock()
		l := open(t, clock.Now)
		// 100 points a minute: one point earned back every 600 ms.
		want(t, "first", take(t, l, "k", 10, 100), true, 90, 0, 6*time.Second)
		want(t, "the rest", take(t, l, "k", 90, 100), true, 0, 0, time.Minute)
		r := take(t, l, "k", 1, 100)
		want(t, "empty", r, false, 0, 600*time.Millisecond, time.Minute)
		if r.EmptyFor != 600*time.Millisecond {
			t.Errorf("empty for %v, want 600ms", r.EmptyFor)
		}
		clock.Advance(600 * time.Millisecond)
		want(t, "one point later", take(t, l, "k", 1, 100), true, 0, 0, time.Minute)
		clock.Advance(6 * time.Second)
		want(t, "a refusal spends nothing", take(t, l, "k", 11, 100), false, 10, 600*time.Millisecond, 54*time.Second)
		want(t, "what is there", take(t, l, "k", 10, 100), true, 0, 0, time.Minute)
	})

	t.Run("an idle budget is full, not fuller", func(t *testing.T) {
		clock := NewClock()
		l := open(t, clock.Now)
		take(t, l, "k", 50, 100)
		clock.Advance(time.Hour)
		want(t, "after an hour", take(t, l, "k", 100, 100), true, 0, 0, time.Minute)
		want(t, "no more", take(t, l, "k", 1, 100), false, 0, 600*time.Millisecond, time.Minute)
	})

	t.Run("more than the whole budget", func(t *testing.T) {
		clock := NewClock()
		l := open(t, clock.Now)
		r := take(t, l, "k", 101, 100)
		if r.Allowed {
			t.Fatalf("a cost over the budget was allowed: %+v", r)
		}
		want(t, "then", take(t, l, "k", 100, 100), true, 0, 0, time.Minute)
	})

	t.Run("keys are apart", func(t *testing.T) {
		clock := NewClock()
		l := open(t, clock.Now)
		take(t, l, "a", 100, 100)
		want(t, "b", take(t, l, "b", 1, 100), true, 99, 0, 600*time.Millisecond)
		if take(t, l, "a", 1, 100).Allowed {
			t.Error("a's empty budget allowed a request")
		}
	})

	t.Run("concurrent spending never overdraws", func(t *testing.T) {
		clock := NewClock()
		l := open(t, clock.Now)
		var wg sync.WaitGroup
		var mu sync.Mutex
		allowed := 0
		for range 8 {
			wg.Go(func() {
				for range 10 {
					r, err := l.Take(t.Context(), "k", 1, 50)
					if err != nil {
						t.Error(err)
						return
					}
					if r.Allowed {
						mu.Lock()
						allowed++
						mu.Unlock()
					}
				}
			})
		}
		wg.Wait()
		if allowed != 50 {
			t.Errorf("%d of 80 one-point requests allowed from a budget of 50", allowed)
		}
	})
}
