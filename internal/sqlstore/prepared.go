package sqlstore

import (
	"context"
	"sync"
	"sync/atomic"

	"github.com/jmoiron/sqlx"
)

// preparedReads runs reads as prepared statements, one per distinct
// statement text, kept for the life of the store. The scoped reads are
// long (every visibility rule is spelled out) and their planning cost more
// than their execution; prepared, PostgreSQL can reuse a plan and the
// driver sends one round trip. The texts vary with the shape of a query
// (filters present, ordering, the columns its selections read), never with
// its values, which are all parameters, ID lists included. A client
// chooses the shapes, and each prepared statement holds memory in every
// connection's backend, so the number prepared is bounded: a text beyond
// it runs unprepared.
type preparedReads struct {
	db       *sqlx.DB
	stmts    sync.Map // statement text → *sqlx.Stmt
	prepared atomic.Int32
	max      int32 // texts prepared at most
	// detach runs reads apart from their request's cancellation
	// (statementContext): only where the database ends a statement that
	// runs too long itself (databaseTarget.boundedStatements).
	detach bool
}

// maxPreparedReads bounds the statement texts a store prepares.
const maxPreparedReads = 1000

// Rebind returns the text as written, with "?" placeholders: statements
// are kept by that text and bound to the dialect's placeholders once, when
// prepared, rather than rewritten at every read. (A text bound already
// binds to itself.)
func (p *preparedReads) Rebind(query string) string { return query }

// statementContext is the context one read runs under. A request that has
// ended sends no further statement. On PostgreSQL a read then runs apart
// from the request's cancellation: for a statement under a context that
// can end, database/sql and lib/pq each start a goroutine to watch it,
// and waking them cost about a tenth of the server's CPU on a staff list
// of four statements (the bench's Q2, 1.03 against 0.90 ms per request).
// A read already sent then runs to its end, which the connection's
// statement_timeout (15 s unless the URL sets another, below the request's
// 30 s) bounds. A read that would wait for a connection keeps the
// request's context, so that a request ending while the pool is full
// stops waiting. SQLite bounds no statement's time, nor does PostgreSQL
// with statement_timeout 0: there reads keep their request's context.
func (p *preparedReads) statementContext(ctx context.Context) (context.Context, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if !p.detach || ctx.Done() == nil {
		return ctx, nil
	}
	if st := p.db.Stats(); st.MaxOpenConnections > 0 && st.InUse >= st.MaxOpenConnections {
		return ctx, nil
	}
	return context.WithoutCancel(ctx), nil
}

func (p *preparedReads) QueryxContext(ctx context.Context, query string, args ...any) (*sqlx.Rows, error) {
	ctx, err := p.statementContext(ctx)
	if err != nil {
		return nil, err
	}
	st, err := p.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	if st == nil {
		return p.db.QueryxContext(ctx, p.db.Rebind(query), args...)
	}
	return st.QueryxContext(ctx, args...)
}

func (p *preparedReads) QueryRowxContext(ctx context.Context, query string, args ...any) *sqlx.Row {
	if detached, err := p.statementContext(ctx); err == nil {
		ctx = detached
	} // else the row reports the request's end
	st, err := p.stmt(ctx, query)
	if err != nil || st == nil {
		return p.db.QueryRowxContext(ctx, p.db.Rebind(query), args...) // reports the same error
	}
	return st.QueryRowxContext(ctx, args...)
}

// stmt is the prepared statement of query; nil when as many texts as are
// prepared already are.
func (p *preparedReads) stmt(ctx context.Context, query string) (*sqlx.Stmt, error) {
	if st, ok := p.stmts.Load(query); ok {
		return st.(*sqlx.Stmt), nil
	}
	if p.prepared.Add(1) > p.max {
		p.prepared.Add(-1)
		return nil, nil
	}
	st, err := p.db.PreparexContext(ctx, p.db.Rebind(query))
	if err != nil {
		p.prepared.Add(-1)
		return nil, err
	}
	if prev, loaded := p.stmts.LoadOrStore(query, st); loaded {
		p.prepared.Add(-1)
		_ = st.Close()
		return prev.(*sqlx.Stmt), nil
	}
	return st, nil
}

func (p *preparedReads) close() {
	p.stmts.Range(func(_, st any) bool {
		_ = st.(*sqlx.Stmt).Close()
		return true
	})
}
