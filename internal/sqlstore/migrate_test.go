package sqlstore_test

import (
	"slices"
	"testing"

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
