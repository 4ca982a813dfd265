package sqlstore_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

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

// The audit of reads is written in bulk: on PostgreSQL a COPY, which is one
// statement however many rows it streams (not one per row), ended once;
// on SQLite a multi-row INSERT. Either way in one transaction, and every
// event reads back whole. Contacts' last-seen times are one UPDATE however
// many contacts a flush holds.
func TestBulkWritesAreOneStatement(t *testing.T) {
	for _, dialect := range sqltest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			rec := &recorder{}
			s := sqltest.Open(t, dialect, sqlstore.WithStatementObserver(rec))
			f := sqltest.LoadFixture(t, s)
			ctx := context.WithValue(t.Context(), markKey{}, "flush")
			at := time.Now().UTC().Truncate(time.Second)
			var events []*portal.ReadEvent
			for i := range 300 {
				contact := f.AActive.ID
				events = append(events, &portal.ReadEvent{
					WorkspaceID: f.W1.ID, ID: portal.NewID(portal.PrefixReadEvent, at.Add(time.Duration(i)*time.Millisecond)), At: at,
					ContactID: &contact, ClientID: &f.A.ID, OperationName: fmt.Sprintf("Dashboard%d", i),
					RecordType: portal.RecordTypeDeliverable, IDs: portal.FieldList{f.DShared.ID, "line\nbreak\ttab\\slash"},
				})
			}
			rec.take()
			noErr(t, s.RecordReads(ctx, events))

			var kinds []sqlstore.StatementKind
			var writes []*seen
			for _, st := range rec.take() {
				kinds = append(kinds, st.kind)
				if st.mark != "flush" || st.ended != 1 || st.err != nil {
					t.Errorf("a statement of the bulk write was told as %+v", st)
				}
				if st.kind == sqlstore.StatementExec {
					writes = append(writes, st)
				}
			}
			want := "INSERT INTO read_events"
			if dialect == "postgres" {
				want = `COPY "read_events"`
			}
			if len(writes) != 1 || !strings.HasPrefix(writes[0].query, want) {
				t.Errorf("300 events were written as %v, want one %s", kinds, want)
			}

			owner := sqltest.Staff(f.Owner)
			conn, err := s.ReadEvents(t.Context(), owner, portal.ReadEventFilter{ContactID: &f.AActive.ID}, portal.PageArgs{First: 100, Count: true})
			noErr(t, err)
			if conn.TotalCount != len(events) {
				t.Fatalf("%d events read back, want %d", conn.TotalCount, len(events))
			}
			for _, e := range conn.Edges {
				if !slices.Equal(e.Node.IDs, events[0].IDs) || !e.Node.At.Equal(at) || *e.Node.ClientID != f.A.ID {
					t.Errorf("event read back as %+v, want IDs %v at %v", e.Node, events[0].IDs, at)
				}
			}

			// The fixture's contacts, each twice, among hundreds of IDs no
			// contact has.
			var seen []portal.Seen
			for i, c := range []*portal.Contact{f.AActive, f.BActive, f.AActive, f.BActive} {
				seen = append(seen, portal.Seen{WorkspaceID: c.WorkspaceID, ContactID: c.ID, At: at.Add(time.Duration(i) * time.Minute)})
			}
			for i := range 300 {
				seen = append(seen, portal.Seen{WorkspaceID: f.W1.ID, ContactID: fmt.Sprintf("con_gone%03d", i), At: at})
			}
			rec.take()
			noErr(t, s.TouchLastSeen(ctx, seen))
			kinds, writes = nil, nil
			for _, st := range rec.take() {
				kinds = append(kinds, st.kind)
				if st.kind == sqlstore.StatementExec {
					writes = append(writes, st)
				}
			}
			if len(writes) != 1 || !strings.HasPrefix(writes[0].query, "UPDATE contacts") {
				t.Errorf("304 last-seen times were written as %v, want one UPDATE", kinds)
			}
			for id, want := range map[string]time.Time{f.AActive.ID: at.Add(2 * time.Minute), f.BActive.ID: at.Add(3 * time.Minute)} {
				if got := contactRow(t, s, f, id).LastSeenAt; got == nil || !got.Equal(want) {
					t.Errorf("contact %s last seen %v, want %v", id, got, want)
				}
			}
		})
	}
}
