package sqlstore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"io"
	"reflect"
	"strings"

	"github.com/jmoiron/sqlx"
)

// StatementKind is what a statement is, as the driver is asked to send it.
type StatementKind string

const (
	StatementQuery    StatementKind = "query"
	StatementExec     StatementKind = "exec"
	StatementBegin    StatementKind = "begin"
	StatementCommit   StatementKind = "commit"
	StatementRollback StatementKind = "rollback"
	// StatementPrepare is the preparing of a statement the store keeps
	// prepared (its reads): sent once per text and connection, planned by
	// the database, and where a statement naming what does not exist
	// fails. Running it is a query or an exec of its own.
	StatementPrepare StatementKind = "prepare"
)

// Statement is one statement a store sends.
type Statement struct {
	Dialect string // "postgres" or "sqlite"
	Kind    StatementKind
	// Query is the SQL text with its placeholders, never its arguments;
	// "" for BEGIN, COMMIT and ROLLBACK.
	Query string
}

// A StatementObserver is told of every statement a store sends, at the
// driver, so that nothing the store does escapes it: every query and
// exec, prepared or not, every BEGIN, COMMIT and ROLLBACK, and every
// statement prepared. Counting, metrics and tracing hook in here.
type StatementObserver interface {
	// Statement is called as s is sent, with the context of the call
	// sending it (for COMMIT and ROLLBACK, the one its transaction began
	// with, as the driver is given none). The function it returns, if not
	// nil, is called once, when the statement is done — for a query, when
	// its rows are closed — with its error.
	Statement(ctx context.Context, s Statement) (done func(error))
}

// WithStatementCounter counts every statement the store sends.
func WithStatementCounter(c *StatementCounter) Option { return WithStatementObserver(c) }

// WithStatementObserver tells o of every statement the store sends.
func WithStatementObserver(o StatementObserver) Option {
	return func(opts *options) { opts.observers = append(opts.observers, o) }
}

// observers are a store's statement observers, told in order.
type observers struct {
	dialect string
	list    []StatementObserver
}

func (o observers) statement(ctx context.Context, kind StatementKind, query string) func(error) {
	s := Statement{Dialect: o.dialect, Kind: kind, Query: query}
	if len(o.list) == 1 {
		return o.list[0].Statement(ctx, s)
	}
	var dones []func(error)
	for _, obs := range o.list {
		if done := obs.Statement(ctx, s); done != nil {
			dones = append(dones, done)
		}
	}
	if len(dones) == 0 {
		return nil
	}
	return func(err error) {
		for _, done := range dones {
			done(err)
		}
	}
}

func finish(done func(error), err error) {
	if done != nil {
		done(err)
	}
}

// openObserved opens a pool whose connections check every statement's
// arguments (checkArgument) and tell the observers, if any, of their
// statements.
func openObserved(d dialect, dsn string, obs []StatementObserver) (*sqlx.DB, error) {
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
	c := observedConnector{open: open, drv: drv, obs: observers{dialect: d.name, list: obs}}
	return sqlx.NewDb(sql.OpenDB(c), d.driver), nil
}

// observedConnector opens connections that tell of every statement.
type observedConnector struct {
	open func(ctx context.Context) (driver.Conn, error)
	drv  driver.Driver
	obs  observers
}

func (c observedConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.open(ctx)
	if err != nil {
		return nil, err
	}
	return &observedConn{Conn: conn, obs: c.obs}, nil
}

func (c observedConnector) Driver() driver.Driver { return c.drv }

// observedConn passes everything through to the driver's connection,
// keeping the optional interfaces database/sql looks for: without them it
// would take other paths (prepare, then execute) and change what is sent.
type observedConn struct {
	driver.Conn
	obs observers
}

var (
	_ driver.QueryerContext     = (*observedConn)(nil)
	_ driver.ExecerContext      = (*observedConn)(nil)
	_ driver.ConnPrepareContext = (*observedConn)(nil)
	_ driver.ConnBeginTx        = (*observedConn)(nil)
	_ driver.NamedValueChecker  = (*observedConn)(nil)
	_ driver.SessionResetter    = (*observedConn)(nil)
	_ driver.Validator          = (*observedConn)(nil)
	_ driver.Pinger             = (*observedConn)(nil)
)

func (c *observedConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	q, ok := c.Conn.(driver.QueryerContext)
	if !ok {
		return nil, driver.ErrSkip
	}
	done := c.obs.statement(ctx, StatementQuery, query)
	rows, err := q.QueryContext(ctx, query, args)
	return observedRows(rows, err, done)
}

func (c *observedConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	e, ok := c.Conn.(driver.ExecerContext)
	if !ok {
		return nil, driver.ErrSkip
	}
	done := c.obs.statement(ctx, StatementExec, query)
	res, err := e.ExecContext(ctx, query, args)
	finish(done, err)
	return res, err
}

func (c *observedConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	if isCopy(query) {
		return c.prepareCopy(ctx, query)
	}
	done := c.obs.statement(ctx, StatementPrepare, query)
	st, err := c.prepare(ctx, query)
	finish(done, err)
	if err != nil {
		return nil, err
	}
	return &observedStmt{Stmt: st, query: query, obs: c.obs}, nil
}

func (c *observedConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	done := c.obs.statement(ctx, StatementBegin, "")
	var tx driver.Tx
	var err error
	if b, ok := c.Conn.(driver.ConnBeginTx); ok {
		tx, err = b.BeginTx(ctx, opts)
	} else {
		tx, err = c.Conn.Begin() //nolint:staticcheck // the fallback database/sql itself uses
	}
	finish(done, err)
	if err != nil {
		return nil, err
	}
	// The driver's Commit and Rollback take no context: they are told
	// with the transaction's.
	return observedTx{Tx: tx, ctx: context.WithoutCancel(ctx), obs: c.obs}, nil
}

// CheckNamedValue refuses an argument checkArgument refuses, then lets the
// driver check and convert it as it would have. database/sql asks the
// connection for every argument, of prepared statements too.
func (c *observedConn) CheckNamedValue(nv *driver.NamedValue) error {
	if err := checkArgument(nv.Value); err != nil {
		return err
	}
	if ch, ok := c.Conn.(driver.NamedValueChecker); ok {
		return ch.CheckNamedValue(nv)
	}
	return driver.ErrSkip
}

func (c *observedConn) ResetSession(ctx context.Context) error {
	if r, ok := c.Conn.(driver.SessionResetter); ok {
		return r.ResetSession(ctx)
	}
	return nil
}

func (c *observedConn) IsValid() bool {
	if v, ok := c.Conn.(driver.Validator); ok {
		return v.IsValid()
	}
	return true
}

func (c *observedConn) Ping(ctx context.Context) error {
	if p, ok := c.Conn.(driver.Pinger); ok {
		return p.Ping(ctx)
	}
	return nil
}

type observedStmt struct {
	driver.Stmt
	query string
	obs   observers
}

// prepare prepares query on the driver's connection, with the context
// where it takes one.
func (c *observedConn) prepare(ctx context.Context, query string) (driver.Stmt, error) {
	if p, ok := c.Conn.(driver.ConnPrepareContext); ok {
		return p.PrepareContext(ctx, query)
	}
	return c.Conn.Prepare(query)
}

// isCopy reports whether query is a bulk load (pq.CopyIn): prepared, then
// given its rows one Exec each, and ended by an Exec without any.
func isCopy(query string) bool {
	return strings.HasPrefix(query, "COPY ") && strings.HasSuffix(query, " FROM STDIN")
}

// prepareCopy starts a bulk load, which is one statement however many
// rows it streams: an exec, told as it starts and done when its data ends
// (or it is closed before that).
func (c *observedConn) prepareCopy(ctx context.Context, query string) (driver.Stmt, error) {
	done := c.obs.statement(ctx, StatementExec, query)
	st, err := c.prepare(ctx, query)
	if err != nil {
		finish(done, err)
		return nil, err
	}
	return &copyStmt{Stmt: st, done: done}, nil
}

// copyStmt is a bulk load under way, told of once.
type copyStmt struct {
	driver.Stmt
	done func(error)
}

func (s *copyStmt) ExecContext(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	res, err := execStmt(ctx, s.Stmt, args)
	if err != nil || len(args) == 0 {
		s.end(err)
	}
	return res, err
}

func (s *copyStmt) Close() error {
	err := s.Stmt.Close()
	s.end(err)
	return err
}

func (s *copyStmt) end(err error) {
	finish(s.done, err)
	s.done = nil
}

func (s *observedStmt) ExecContext(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	done := s.obs.statement(ctx, StatementExec, s.query)
	res, err := execStmt(ctx, s.Stmt, args)
	finish(done, err)
	return res, err
}

// execStmt runs a driver's statement, with its context where it takes one.
func execStmt(ctx context.Context, st driver.Stmt, args []driver.NamedValue) (driver.Result, error) {
	if e, ok := st.(driver.StmtExecContext); ok {
		return e.ExecContext(ctx, args)
	}
	return st.Exec(namedToValues(args)) //nolint:staticcheck // drivers without the context form
}

func (s *observedStmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	done := s.obs.statement(ctx, StatementQuery, s.query)
	var rows driver.Rows
	var err error
	if q, ok := s.Stmt.(driver.StmtQueryContext); ok {
		rows, err = q.QueryContext(ctx, args)
	} else {
		rows, err = s.Stmt.Query(namedToValues(args)) //nolint:staticcheck // drivers without the context form
	}
	return observedRows(rows, err, done)
}

func namedToValues(args []driver.NamedValue) []driver.Value {
	out := make([]driver.Value, len(args))
	for i, a := range args {
		out[i] = a.Value
	}
	return out
}

type observedTx struct {
	driver.Tx
	ctx context.Context
	obs observers
}

func (t observedTx) Commit() error {
	done := t.obs.statement(t.ctx, StatementCommit, "")
	err := t.Tx.Commit()
	finish(done, err)
	return err
}

func (t observedTx) Rollback() error {
	done := t.obs.statement(t.ctx, StatementRollback, "")
	err := t.Tx.Rollback()
	finish(done, err)
	return err
}

// observedRows returns a query's rows, which tell the observers the query
// is done when they are closed; a query that failed is done at once.
func observedRows(rows driver.Rows, err error, done func(error)) (driver.Rows, error) {
	if err != nil || done == nil {
		finish(done, err)
		return rows, err
	}
	return &doneRows{Rows: rows, done: done}, nil
}

// doneRows are a query's rows, reporting the query's end when closed with
// the error reading them met, if any. They implement every optional
// interface of driver.Rows, answering as database/sql does for a driver
// without it when the driver's rows lack it, so wrapping them changes
// nothing database/sql sees.
type doneRows struct {
	driver.Rows
	done func(error)
	err  error // the first error reading the rows met
}

func (r *doneRows) Next(dest []driver.Value) error {
	err := r.Rows.Next(dest)
	if err != nil && err != io.EOF && r.err == nil {
		r.err = err
	}
	return err
}

func (r *doneRows) Close() error {
	err := r.Rows.Close()
	if r.done != nil {
		done := r.done
		r.done = nil
		if r.err != nil {
			err = r.err
		}
		done(err)
	}
	return err
}

func (r *doneRows) HasNextResultSet() bool {
	if n, ok := r.Rows.(driver.RowsNextResultSet); ok {
		return n.HasNextResultSet()
	}
	return false
}

func (r *doneRows) NextResultSet() error {
	if n, ok := r.Rows.(driver.RowsNextResultSet); ok {
		return n.NextResultSet()
	}
	return io.EOF
}

func (r *doneRows) ColumnTypeScanType(i int) reflect.Type {
	if c, ok := r.Rows.(driver.RowsColumnTypeScanType); ok {
		return c.ColumnTypeScanType(i)
	}
	return reflect.TypeFor[any]()
}

func (r *doneRows) ColumnTypeDatabaseTypeName(i int) string {
	if c, ok := r.Rows.(driver.RowsColumnTypeDatabaseTypeName); ok {
		return c.ColumnTypeDatabaseTypeName(i)
	}
	return ""
}

func (r *doneRows) ColumnTypeLength(i int) (int64, bool) {
	if c, ok := r.Rows.(driver.RowsColumnTypeLength); ok {
		return c.ColumnTypeLength(i)
	}
	return 0, false
}

func (r *doneRows) ColumnTypeNullable(i int) (bool, bool) {
	if c, ok := r.Rows.(driver.RowsColumnTypeNullable); ok {
		return c.ColumnTypeNullable(i)
	}
	return false, false
}

func (r *doneRows) ColumnTypePrecisionScale(i int) (int64, int64, bool) {
	if c, ok := r.Rows.(driver.RowsColumnTypePrecisionScale); ok {
		return c.ColumnTypePrecisionScale(i)
	}
	return 0, 0, false
}
