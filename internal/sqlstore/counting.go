package sqlstore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"sync/atomic"

	"github.com/jmoiron/sqlx"
)

// StatementCounter counts the statements a store sends to its database,
// measured at the driver: every query and exec, prepared or not, and every
// BEGIN, COMMIT and ROLLBACK. Tests and the benchmark read it to check what
// a request really cost, rather than trusting the code's intentions.
type StatementCounter struct{ n atomic.Int64 }

// Count is the number of statements sent so far.
func (c *StatementCounter) Count() int64 { return c.n.Load() }

func (c *StatementCounter) add() { c.n.Add(1) }

// openCounted opens a pool whose connections count their statements.
func openCounted(d dialect, dsn string, counter *StatementCounter) (*sqlx.DB, error) {
	// Borrow the registered driver from a pool that never connects.
	probe, err := sql.Open(d.driver, dsn)
	if err != nil {
		return nil, err
	}
	drv := probe.Driver()
	_ = probe.Close()
	open := func(context.Context) (driver.Conn, error) { return drv.Open(dsn) }
	if dc, ok := drv.(driver.DriverContext); ok {
		connector, err := dc.OpenConnector(dsn)
		if err != nil {
			return nil, err
		}
		open = connector.Connect
	}
	return sqlx.NewDb(sql.OpenDB(countingConnector{open: open, drv: drv, counter: counter}), d.driver), nil
}

// countingConnector opens connections whose every statement is counted.
type countingConnector struct {
	open    func(ctx context.Context) (driver.Conn, error)
	drv     driver.Driver
	counter *StatementCounter
}

func (c countingConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.open(ctx)
	if err != nil {
		return nil, err
	}
	return &countingConn{Conn: conn, counter: c.counter}, nil
}

func (c countingConnector) Driver() driver.Driver { return c.drv }

// countingConn passes everything through to the driver's connection,
// keeping the optional interfaces database/sql looks for: without them it
// would take other paths (prepare, then execute) and change what is counted.
type countingConn struct {
	driver.Conn
	counter *StatementCounter
}

var (
	_ driver.QueryerContext     = (*countingConn)(nil)
	_ driver.ExecerContext      = (*countingConn)(nil)
	_ driver.ConnPrepareContext = (*countingConn)(nil)
	_ driver.ConnBeginTx        = (*countingConn)(nil)
	_ driver.NamedValueChecker  = (*countingConn)(nil)
	_ driver.SessionResetter    = (*countingConn)(nil)
	_ driver.Validator          = (*countingConn)(nil)
	_ driver.Pinger             = (*countingConn)(nil)
)

func (c *countingConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	q, ok := c.Conn.(driver.QueryerContext)
	if !ok {
		return nil, driver.ErrSkip
	}
	c.counter.add()
	return q.QueryContext(ctx, query, args)
}

func (c *countingConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	e, ok := c.Conn.(driver.ExecerContext)
	if !ok {
		return nil, driver.ErrSkip
	}
	c.counter.add()
	return e.ExecContext(ctx, query, args)
}

func (c *countingConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	var st driver.Stmt
	var err error
	if p, ok := c.Conn.(driver.ConnPrepareContext); ok {
		st, err = p.PrepareContext(ctx, query)
	} else {
		st, err = c.Conn.Prepare(query)
	}
	if err != nil {
		return nil, err
	}
	return &countingStmt{Stmt: st, counter: c.counter}, nil
}

func (c *countingConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	var tx driver.Tx
	var err error
	if b, ok := c.Conn.(driver.ConnBeginTx); ok {
		tx, err = b.BeginTx(ctx, opts)
	} else {
		tx, err = c.Conn.Begin() //nolint:staticcheck // the fallback database/sql itself uses
	}
	if err != nil {
		return nil, err
	}
	c.counter.add()
	return countingTx{Tx: tx, counter: c.counter}, nil
}

func (c *countingConn) CheckNamedValue(nv *driver.NamedValue) error {
	if ch, ok := c.Conn.(driver.NamedValueChecker); ok {
		return ch.CheckNamedValue(nv)
	}
	return driver.ErrSkip
}

func (c *countingConn) ResetSession(ctx context.Context) error {
	if r, ok := c.Conn.(driver.SessionResetter); ok {
		return r.ResetSession(ctx)
	}
	return nil
}

func (c *countingConn) IsValid() bool {
	if v, ok := c.Conn.(driver.Validator); ok {
		return v.IsValid()
	}
	return true
}

func (c *countingConn) Ping(ctx context.Context) error {
	if p, ok := c.Conn.(driver.Pinger); ok {
		return p.Ping(ctx)
	}
	return nil
}

type countingStmt struct {
	driver.Stmt
	counter *StatementCounter
}

func (s *countingStmt) ExecContext(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	s.counter.add()
	if e, ok := s.Stmt.(driver.StmtExecContext); ok {
		return e.ExecContext(ctx, args)
	}
	return s.Stmt.Exec(namedToValues(args)) //nolint:staticcheck // drivers without the context form
}

func (s *countingStmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	s.counter.add()
	if q, ok := s.Stmt.(driver.StmtQueryContext); ok {
		return q.QueryContext(ctx, args)
	}
	return s.Stmt.Query(namedToValues(args)) //nolint:staticcheck // drivers without the context form
}

func namedToValues(args []driver.NamedValue) []driver.Value {
	out := make([]driver.Value, len(args))
	for i, a := range args {
		out[i] = a.Value
	}
	return out
}

type countingTx struct {
	driver.Tx
	counter *StatementCounter
}

func (t countingTx) Commit() error {
	t.counter.add()
	return t.Tx.Commit()
}

func (t countingTx) Rollback() error {
	t.counter.add()
	return t.Tx.Rollback()
}
