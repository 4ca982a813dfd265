package sqlstore

import "sync/atomic"

// StatementCounter counts the statements a store sends to its database,
// measured at the driver: every query and exec, prepared or not, and every
// BEGIN, COMMIT and ROLLBACK. Tests and the benchmark read it to check what
// a request really cost, rather than trusting the code's intentions.
type StatementCounter struct{ n atomic.Int64 }

// Count is the number of statements sent so far.
func (c *StatementCounter) Count() int64 { return c.n.Load() }

// add counts a statement; a store without a counter has a nil one.
func (c *StatementCounter) add() {
	if c != nil {
		c.n.Add(1)
	}
}
