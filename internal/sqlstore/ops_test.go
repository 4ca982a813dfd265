package sqlstore_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"portalgraph/internal/portal"
	"portalgraph/internal/sqlstore"
	"portalgraph/internal/sqlstore/sqltest"
)

// TestReady: ready when the database answers with every migration, not
// when one is missing or the database is gone.
func TestReady(t *testing.T) {
	for _, dialect := range sqltest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			s := sqltest.Open(t, dialect)
			if err := s.Ready(t.Context()); err != nil {
				t.Fatalf("a migrated store is not ready: %v", err)
			}
			if _, err := s.DB().Exec("DELETE FROM schema_migrations WHERE version = (SELECT MAX(version) FROM schema_migrations)"); err != nil {
				t.Fatal(err)
			}
			if err := s.Ready(t.Context()); !errors.Is(err, sqlstore.ErrNotMigrated) {
				t.Errorf("a store missing a migration: %v, want ErrNotMigrated", err)
			}
			_ = s.Close()
			if err := s.Ready(t.Context()); err == nil {
				t.Error("a closed store is ready")
			}
		})
	}
}

// TestQueueDepths counts export jobs by status and mail still to send.
func TestQueueDepths(t *testing.T) {
	withFixture(t, func(t *testing.T, s *sqlstore.Store, f *sqltest.Fixture) {
		ctx := t.Context()
		before, err := s.QueueDepths(ctx)
		noErr(t, err)
		for range 2 {
			requestExport(t, s, sqltest.Staff(f.Owner), exportInput(&f.A.ID, portal.ExportKindApprovals, "2026-01-01", "2026-01-31"))
		}
		claim(t, s)
		for i, attempts := range []int{0, 1, 5} {
			_, err := s.DB().Exec(s.DB().Rebind(`INSERT INTO outbox (workspace_id, id, kind, recipient, subject, body, created_at, attempts)
				VALUES (?, ?, 'test', 'a@example.com', 's', 'b', ?, ?)`), f.W1.ID, "out_queue_depth_"+string(rune('a'+i)), time.Now().UTC(), attempts)
			noErr(t, err)
		}
		_, err = s.DB().Exec(s.DB().Rebind(`INSERT INTO outbox (workspace_id, id, kind, recipient, subject, body, created_at, sent_at)
			VALUES (?, 'out_queue_depth_sent', 'test', 'a@example.com', 's', 'b', ?, ?)`), f.W1.ID, time.Now().UTC(), time.Now().UTC())
		noErr(t, err)

		after, err := s.QueueDepths(ctx)
		noErr(t, err)
		got := []int{after.Exports["QUEUED"] - before.Exports["QUEUED"], after.Exports["RUNNING"] - before.Exports["RUNNING"],
			after.MailPending - before.MailPending, after.MailFailed - before.MailFailed}
		if want := []int{1, 1, 2, 1}; !slices.Equal(got, want) {
			t.Errorf("queued, running, mail pending, mail failed grew by %v, want %v", got, want)
		}
	})
}
