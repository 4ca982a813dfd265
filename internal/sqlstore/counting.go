package sqlstore

import (
	"context"
	"sync/atomic"
)

// StatementCounter counts the statements a store sends to its database,
// measured at the driver (see StatementObserver): every query and exec,
// prepared or not, and every BEGIN, COMMIT and ROLLBACK. Preparing is
// not counted: it happens once per statement text and connection, so the
// count of a request would depend on what ran before it. Tests and the
// benchmark read it to check what a request really cost, rather than
// trusting the code's intentions.
type StatementCounter struct{ n atomic.Int64 }

// Count is the number of statements sent so far.
func (c *StatementCounter) Count() int64 { return c.n.Load() }

// Statement counts one statement.
func (c *StatementCounter) Statement(_ context.Context, s Statement) func(error) {
	if s.Kind != StatementPrepare {
		c.n.Add(1)
	}
	return nil
}
