// Package testclock is a clock tests set and move by hand.
package testclock

import (
	"sync"
	"time"
)

// Clock is a time a test sets and moves forward, safe to read from the
// server's goroutines.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

func New(t time.Time) *Clock { return &Clock{t: t} }

func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}
