package sqlstore_test

import (
	"testing"

	"portalgraph/internal/portal"
	"portalgraph/internal/sqlstore"
	"portalgraph/internal/sqlstore/sqltest"
)

// TestStatementCounter checks the driver-level count the statement tests
// and the benchmark rely on: every query, exec, BEGIN and COMMIT.
func TestStatementCounter(t *testing.T) {
	for _, dialect := range sqltest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			counter := &sqlstore.StatementCounter{}
			s := sqltest.Open(t, dialect, sqlstore.WithStatementCounter(counter))
			f := sqltest.LoadFixture(t, s)
			staff := sqltest.Staff(f.Owner)

			before := counter.Count()
			if _, err := s.ClientsByID(t.Context(), staff, []string{f.A.ID, f.B.ID}); err != nil {
				t.Fatal(err)
			}
			if n := counter.Count() - before; n != 1 {
				t.Errorf("a lookup counted %d statements, want 1", n)
			}

			// BEGIN, read the client, check the owner, update, record the
			// event, look for webhook endpoints subscribed to it, COMMIT;
			// on PostgreSQL, announce the event (pg_notify) before
			// committing.
			before = counter.Count()
			name := "Acme renamed"
			if _, err := s.UpdateClient(t.Context(), staff, portal.UpdateClientInput{ID: f.A.ID, Name: &name, OwnerID: &f.Owner.ID}); err != nil {
				t.Fatal(err)
			}
			want := map[string]int64{"postgres": 8, "sqlite": 7}[s.Dialect()]
			if n := counter.Count() - before; n != want {
				t.Errorf("an update counted %d statements, want %d", n, want)
			}

			// A failed write rolls back: BEGIN, read, ROLLBACK.
			before = counter.Count()
			if _, err := s.UpdateClient(t.Context(), staff, portal.UpdateClientInput{ID: "cli_01J00000000000000000000000"}); portal.ErrorCode(err) != portal.CodeNotFound {
				t.Fatalf("update of a missing client: %v", err)
			}
			if n := counter.Count() - before; n != 3 {
				t.Errorf("a failed update counted %d statements, want 3", n)
			}
		})
	}
}
