package sqlstore_test

import (
	"context"
	"slices"
	"sync"
	"testing"

	"portalgraph/internal/portal"
	"portalgraph/internal/sqlstore"
	"portalgraph/internal/sqlstore/sqltest"
)

// seen is a statement an observer was told of, and how it ended.
type seen struct {
	kind  sqlstore.StatementKind
	query string
	mark  string // the test's context value the statement was sent with
	ended int    // how often done was called
	err   error
}

// recorder is a StatementObserver keeping what it is told.
type recorder struct {
	mu    sync.Mutex
	stmts []*seen
}

type markKey struct{}

func (r *recorder) Statement(ctx context.Context, s sqlstore.Statement) func(error) {
	mark, _ := ctx.Value(markKey{}).(string)
	st := &seen{kind: s.Kind, query: s.Query, mark: mark}
	r.mu.Lock()
	r.stmts = append(r.stmts, st)
	r.mu.Unlock()
	return func(err error) {
		r.mu.Lock()
		defer r.mu.Unlock()
		st.ended++
		st.err = err
	}
}

// take returns the statements seen since the last take.
func (r *recorder) take() []*seen {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.stmts
	r.stmts = nil
	return out
}

// TestStatementObserver checks what tracing and metrics rely on: every
// statement is told with the context it was sent in (a transaction's
// COMMIT with the one it began with), and ends exactly once, a query when
// its rows are closed, with its error. Observers and the counter see the
// same statements.
func TestStatementObserver(t *testing.T) {
	for _, dialect := range sqltest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			rec := &recorder{}
			counter := &sqlstore.StatementCounter{}
			s := sqltest.Open(t, dialect, sqlstore.WithStatementCounter(counter), sqlstore.WithStatementObserver(rec))
			f := sqltest.LoadFixture(t, s)
			staff := sqltest.Staff(f.Owner)
			ctx := context.WithValue(t.Context(), markKey{}, "request")
			rec.take()

			// A read is prepared the first time, and only run after.
			for _, want := range [][]sqlstore.StatementKind{
				{sqlstore.StatementPrepare, sqlstore.StatementQuery},
				{sqlstore.StatementQuery},
			} {
				before := counter.Count()
				if _, err := s.ClientsByID(ctx, staff, []string{f.A.ID}); err != nil {
					t.Fatal(err)
				}
				got := rec.take()
				var kinds []sqlstore.StatementKind
				for _, st := range got {
					kinds = append(kinds, st.kind)
					if st.mark != "request" || st.ended != 1 || st.err != nil || st.query == "" {
						t.Errorf("a lookup's statement was told as %+v", st)
					}
				}
				if !slices.Equal(kinds, want) {
					t.Errorf("a lookup was told as %v, want %v", kinds, want)
				}
				// Preparing is not counted.
				if n := counter.Count() - before; n != 1 {
					t.Errorf("the counter counted %d statements of a lookup, want 1", n)
				}
			}

			name := "Acme renamed"
			if _, err := s.UpdateClient(ctx, staff, portal.UpdateClientInput{ID: f.A.ID, Name: &name}); err != nil {
				t.Fatal(err)
			}
			got := rec.take()
			var kinds []sqlstore.StatementKind
			for _, st := range got {
				kinds = append(kinds, st.kind)
				if st.mark != "request" || st.ended != 1 || st.err != nil {
					t.Errorf("statement of an update told as %+v", st)
				}
			}
			if len(kinds) < 3 || kinds[0] != sqlstore.StatementBegin || kinds[len(kinds)-1] != sqlstore.StatementCommit {
				t.Errorf("an update was told as %v, want BEGIN … COMMIT", kinds)
			}

			_, err := s.DB().QueryContext(ctx, "SELECT no_such_column FROM clients")
			got = rec.take()
			if err == nil || len(got) != 1 || got[0].ended != 1 || got[0].err == nil {
				t.Errorf("a failed query (%v) was told as %+v", err, got)
			}
		})
	}
}
