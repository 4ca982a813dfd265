package sqlstore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"reflect"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"portalgraph/internal/portal"
)

// checkArgument refuses, as bad input, a value PostgreSQL would refuse and
// SQLite store as given: text with NUL characters or invalid UTF-8, or a
// time outside the years 0001 to 9999 (dates refuse themselves, in
// portal.Date.Value). The API refuses such input first, naming the field;
// this is the last line, at the one place every argument of every
// statement passes, so that whatever slips past answers alike on both
// databases instead of failing on one.
func checkArgument(v any) error {
	switch v := v.(type) {
	case string:
		return portal.CheckText(v)
	case *string:
		if v != nil {
			return portal.CheckText(*v)
		}
	case time.Time:
		return portal.CheckInstant(v)
	case *time.Time:
		if v != nil {
			return portal.CheckInstant(*v)
		}
	case pq.StringArray: // batches of IDs (dialect.inList)
		return checkTexts(v)
	case jsonList:
		return checkTexts(v)
	default:
		// Enums, and any other type whose values are text.
		if rv := reflect.ValueOf(v); rv.Kind() == reflect.String {
			return portal.CheckText(rv.String())
		}
	}
	return nil
}

func checkTexts(list []string) error {
	for _, s := range list {
		if err := portal.CheckText(s); err != nil {
			return err
		}
	}
	return nil
}

// openDB opens a pool of the dialect's driver whose connections check
// every statement's arguments (checkArgument) and, given a counter, count
// the statements.
func openDB(d dialect, dsn string, counter *StatementCounter) (*sqlx.DB, error) {
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
	return sqlx.NewDb(sql.OpenDB(connector{open: open, drv: drv, counter: counter}), d.driver), nil
}

// connector opens the store's connections.
type connector struct {
	open    func(ctx context.Context) (driver.Conn, error)
	drv     driver.Driver
	counter *StatementCounter
}

func (c connector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.open(ctx)
	if err != nil {
		return nil, err
	}
	return &storeConn{Conn: conn, counter: c.counter}, nil
}

func (c connector) Driver() driver.Driver { return c.drv }

// storeConn passes everything through to the driver's connection, but for
// checking arguments and counting statements. It keeps the optional
// interfaces database/sql looks for: without them it would take other
// paths (prepare, then execute) and change what is counted.
type storeConn struct {
	driver.Conn
	counter *StatementCounter // nil: nothing is counted
}

var (
	_ driver.QueryerContext     = (*storeConn)(nil)
	_ driver.ExecerContext      = (*storeConn)(nil)
	_ driver.ConnPrepareContext = (*storeConn)(nil)
	_ driver.ConnBeginTx        = (*storeConn)(nil)
	_ driver.NamedValueChecker  = (*storeConn)(nil)
	_ driver.SessionResetter    = (*storeConn)(nil)
	_ driver.Validator          = (*storeConn)(nil)
	_ driver.Pinger             = (*storeConn)(nil)
)

func (c *storeConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	q, ok := c.Conn.(driver.QueryerContext)
	if !ok {
		return nil, driver.ErrSkip
	}
	c.counter.add()
	return q.QueryContext(ctx, query, args)
}

func (c *storeConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	e, ok := c.Conn.(driver.ExecerContext)
	if !ok {
		return nil, driver.ErrSkip
	}
	c.counter.add()
	return e.ExecContext(ctx, query, args)
}

func (c *storeConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
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
	return &storeStmt{Stmt: st, counter: c.counter}, nil
}

func (c *storeConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
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
	return storeTx{Tx: tx, counter: c.counter}, nil
}

// CheckNamedValue refuses an argument checkArgument refuses, then lets the
// driver check and convert it as it would have. database/sql asks the
// connection for every argument, of prepared statements too (the store's
// statements do not check their own).
func (c *storeConn) CheckNamedValue(nv *driver.NamedValue) error {
	if err := checkArgument(nv.Value); err != nil {
		return err
	}
	if ch, ok := c.Conn.(driver.NamedValueChecker); ok {
		return ch.CheckNamedValue(nv)
	}
	return driver.ErrSkip
}

func (c *storeConn) ResetSession(ctx context.Context) error {
	if r, ok := c.Conn.(driver.SessionResetter); ok {
		return r.ResetSession(ctx)
	}
	return nil
}

func (c *storeConn) IsValid() bool {
	if v, ok := c.Conn.(driver.Validator); ok {
		return v.IsValid()
	}
	return true
}

func (c *storeConn) Ping(ctx context.Context) error {
	if p, ok := c.Conn.(driver.Pinger); ok {
		return p.Ping(ctx)
	}
	return nil
}

type storeStmt struct {
	driver.Stmt
	counter *StatementCounter
}

func (s *storeStmt) ExecContext(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	s.counter.add()
	if e, ok := s.Stmt.(driver.StmtExecContext); ok {
		return e.ExecContext(ctx, args)
	}
	return s.Stmt.Exec(namedToValues(args)) //nolint:staticcheck // drivers without the context form
}

func (s *storeStmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
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

type storeTx struct {
	driver.Tx
	counter *StatementCounter
}

func (t storeTx) Commit() error {
	t.counter.add()
	return t.Tx.Commit()
}

func (t storeTx) Rollback() error {
	t.counter.add()
	return t.Tx.Rollback()
}
