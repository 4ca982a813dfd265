package sqlstore_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/lib/pq"

	"portalgraph/internal/sqlstore"
	"portalgraph/internal/sqlstore/sqltest"
)

// Unavailable tells a database that cannot be reached from a statement
// that failed.
func TestUnavailable(t *testing.T) {
	t.Parallel()
	sqltest.Run(t, func(t *testing.T, s *sqlstore.Store) {
		_, err := s.DB().ExecContext(t.Context(), "SELECT * FROM no_such_table")
		if err == nil || sqlstore.Unavailable(err) {
			t.Errorf("a failed statement (%v) counts as unavailable", err)
		}
		f := sqltest.LoadFixture(t, s)
		read := func() error {
			_, err := s.ClientsByID(t.Context(), sqltest.Staff(f.Owner), []string{f.A.ID})
			return err
		}
		noErr(t, read()) // prepares the store's read
		noErr(t, s.Close())
		_, err = s.DB().ExecContext(t.Context(), "SELECT 1")
		if !sqlstore.Unavailable(fmt.Errorf("read: %w", err)) {
			t.Errorf("a closed database (%v) is not unavailable", err)
		}
		// The store's prepared reads are closed with it.
		if err := read(); !sqlstore.Unavailable(err) {
			t.Errorf("a prepared read of a closed store (%v) is not unavailable", err)
		}
	})
	// Nothing listens on port 1.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := sqlstore.Open(ctx, "postgres://postgres@127.0.0.1:1/postgres?sslmode=disable")
	if err == nil || !sqlstore.Unavailable(err) {
		t.Errorf("a refused connection (%v) is not unavailable", err)
	}
	for code, want := range map[pq.ErrorCode]bool{"53300": true, "57P01": true, "08006": true, "42P01": false, "23505": false} {
		if got := sqlstore.Unavailable(&pq.Error{Code: code}); got != want {
			t.Errorf("PostgreSQL error %s: unavailable %v, want %v", code, got, want)
		}
	}
	if sqlstore.Unavailable(errors.New("something else")) || sqlstore.Unavailable(nil) {
		t.Error("an unrelated error counts as unavailable")
	}
}
