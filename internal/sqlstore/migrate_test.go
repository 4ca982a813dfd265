package sqlstore_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"portalgraph/internal/sqlstore"
	"portalgraph/internal/sqlstore/sqltest"
)

type migrationRow struct {
	Version int    `db:"version"`
	Name    string `db:"name"`
}

func migrationsApplied(t *testing.T, s *sqlstore.Store) []migrationRow {
	t.Helper()
	var rows []migrationRow
	noErr(t, s.DB().SelectContext(t.Context(), &rows, "SELECT version, name FROM schema_migrations ORDER BY version"))
	return rows
}

func TestMigrateAgainAppliesNothing(t *testing.T) {
	t.Parallel()
	sqltest.Run(t, func(t *testing.T, s *sqlstore.Store) {
		for range 2 {
			applied, err := s.Migrate(t.Context())
			noErr(t, err)
			if len(applied) != 0 {
				t.Errorf("migrating a migrated database applied %v", applied)
			}
		}
		if got := migrationsApplied(t, s); !slices.Equal(got, allMigrations) {
			t.Errorf("schema_migrations %+v, want %+v", got, allMigrations)
		}
	})
}

var allMigrations = []migrationRow{{1, "0001_foundation"}, {2, "0002_approval_workflow"}, {3, "0003_portal_access"}, {4, "0004_files_reports_exports_requests"}, {5, "0005_export_files_and_blob_removals"}, {6, "0006_portal_scope"}, {7, "0007_rate_budgets"}}

// From nothing, Migrate builds the schema the store works on, once.
func TestMigrateFromScratch(t *testing.T) {
	t.Parallel()
	sqltest.Run(t, func(t *testing.T, s *sqlstore.Store) {
		// Children before their parents.
		for _, table := range []string{"rate_budgets", "blob_removals", "exports", "reports", "files", "request_comments", "client_requests", "invites", "login_failures", "outbox", "tokens", "activity_events", "notes", "approval_decisions", "approval_approvers",
			"approvals", "deliverables", "projects", "contacts", "clients", "users", "workspaces", "schema_migrations"} {
			exec(t, s, "DROP TABLE "+table)
		}
		applied, err := s.Migrate(t.Context())
		noErr(t, err)
		if want := []string{"0001_foundation", "0002_approval_workflow", "0003_portal_access", "0004_files_reports_exports_requests", "0005_export_files_and_blob_removals", "0006_portal_scope", "0007_rate_budgets"}; !slices.Equal(applied, want) {
			t.Fatalf("applied %v, want %v", applied, want)
		}
		if got := migrationsApplied(t, s); !slices.Equal(got, allMigrations) {
			t.Errorf("schema_migrations %+v", got)
		}
		applied, err = s.Migrate(t.Context())
		noErr(t, err)
		if len(applied) != 0 {
			t.Errorf("second run applied %v", applied)
		}
		// The schema holds the store's records.
		f := sqltest.LoadFixture(t, s)
		p, err := s.ProjectsByID(t.Context(), sqltest.Staff(f.Owner), []string{f.AShared.ID})
		noErr(t, err)
		if len(p) != 1 || p[0].Name != "Acme shared" || *p[0].BudgetCents != 100_000 {
			t.Errorf("read back %+v", p)
		}
	})
}

// Any number of processes may start at once on a new database: one
// migrates and seeds it while the others wait, then find it done. None
// fails, every migration is applied once, and the data set is loaded once.
func TestConcurrentStarts(t *testing.T) {
	t.Parallel()
	for _, dialect := range sqltest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			dbURL := sqltest.EmptyURL(t, dialect)
			const starts = 6
			var (
				mu        sync.Mutex
				appliedBy = map[string]int{}
				loaded    int
				wg        sync.WaitGroup
			)
			for range starts {
				wg.Go(func() {
					// Each its own pool, as each server process has: the
					// lock's connection and one to work on.
					s, err := sqlstore.Open(t.Context(), dbURL, sqlstore.WithMaxConns(2))
					if err != nil {
						t.Errorf("open: %v", err)
						return
					}
					defer s.Close()
					applied, err := s.MigrateAndSeed(t.Context(), func(ctx context.Context) error {
						ok, err := s.Seed(ctx, sqltest.NewFixture().Data)
						if ok {
							mu.Lock()
							loaded++
							mu.Unlock()
						}
						return err
					})
					if err != nil {
						t.Errorf("start: %v", err)
						return
					}
					mu.Lock()
					defer mu.Unlock()
					for _, m := range applied {
						appliedBy[m]++
					}
				})
			}
			wg.Wait()
			for _, m := range allMigrations {
				if appliedBy[m.Name] != 1 {
					t.Errorf("%s applied %d times", m.Name, appliedBy[m.Name])
				}
			}
			if loaded != 1 {
				t.Errorf("the data set was loaded %d times", loaded)
			}
			s, err := sqlstore.Open(t.Context(), dbURL, sqlstore.WithMaxConns(2))
			noErr(t, err)
			defer s.Close()
			if got := migrationsApplied(t, s); !slices.Equal(got, allMigrations) {
				t.Errorf("schema_migrations %+v", got)
			}
			var workspaces []string
			noErr(t, s.DB().SelectContext(t.Context(), &workspaces, "SELECT slug FROM workspaces ORDER BY slug"))
			if !slices.Equal(workspaces, []string{"w1", "w2"}) {
				t.Errorf("workspaces %v, want the fixture's once", workspaces)
			}
		})
	}
}

// On PostgreSQL seeding is inside the start-up lock: a process starting
// while another seeds waits until it is done.
func TestStartWaitsForSeeding(t *testing.T) {
	t.Parallel()
	dbURL := sqltest.EmptyURL(t, "postgres")
	first, err := sqlstore.Open(t.Context(), dbURL, sqlstore.WithMaxConns(2))
	noErr(t, err)
	defer first.Close()
	second, err := sqlstore.Open(t.Context(), dbURL, sqlstore.WithMaxConns(2))
	noErr(t, err)
	defer second.Close()

	seeding, release := make(chan struct{}), make(chan struct{})
	firstDone := make(chan error, 1)
	go func() {
		_, err := first.MigrateAndSeed(t.Context(), func(context.Context) error {
			close(seeding)
			<-release
			return nil
		})
		firstDone <- err
	}()
	<-seeding
	secondDone := make(chan error, 1)
	var secondApplied []string
	go func() {
		var err error
		secondApplied, err = second.Migrate(t.Context())
		secondDone <- err
	}()
	select {
	case err := <-secondDone:
		t.Fatalf("a second start went ahead while the first was seeding: %v", err)
	case <-time.After(300 * time.Millisecond):
	}
	close(release)
	noErr(t, <-firstDone)
	noErr(t, <-secondDone)
	if len(secondApplied) != 0 {
		t.Errorf("the second start applied %v after the first", secondApplied)
	}
	// The lock's connections were closed, not returned to the pools with
	// their statement timeout lifted.
	var timeout string
	noErr(t, second.DB().GetContext(t.Context(), &timeout, "SHOW statement_timeout"))
	if timeout != "15s" {
		t.Errorf("statement_timeout %s after the start", timeout)
	}
}
