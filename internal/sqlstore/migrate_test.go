package sqlstore_test

import (
	"context"
	"io/fs"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"portalgraph/internal/portal"
	"portalgraph/internal/sqlstore"
	"portalgraph/internal/sqlstore/sqltest"
	"portalgraph/migrations"
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

var allMigrations = []migrationRow{{1, "0001_foundation"}, {2, "0002_approval_workflow"}, {3, "0003_portal_access"}, {4, "0004_files_reports_exports_requests"}, {5, "0005_export_files_and_blob_removals"}, {6, "0006_portal_scope"}, {7, "0007_rate_budgets"}, {8, "0008_staff_invitations"}, {9, "0009_partner_keys"}, {10, "0010_allow_lists_and_read_audit"}, {11, "0011_dashboard_indexes"}, {12, "0012_plans_and_addons"}, {13, "0013_webhooks"}, {14, "0014_deletion"}, {15, "0015_roles"}, {16, "0016_deliverables_shown_by_project"}, {17, "0017_read_events_lz4"}, {18, "0018_due_lists_in_index_order"}}

// migrationNames is what Migrate reports having applied of rows: a migration
// added to allMigrations is expected after every earlier one.
func migrationNames(rows []migrationRow) []string {
	names := make([]string, len(rows))
	for i, m := range rows {
		names[i] = m.Name
	}
	return names
}

// From nothing, Migrate builds the schema the store works on, once.
func TestMigrateFromScratch(t *testing.T) {
	t.Parallel()
	sqltest.Run(t, func(t *testing.T, s *sqlstore.Store) {
		// Children before their parents.
		for _, table := range []string{"webhook_deliveries", "webhook_endpoints", "workspace_addons", "addons", "read_events", "persisted_operations", "partner_keys", "rate_budgets", "blob_removals", "exports", "reports", "files", "request_comments", "client_requests", "invites", "login_failures", "outbox", "tokens", "activity_events", "notes", "approval_decisions", "approval_approvers",
			"approvals", "deliverables", "projects", "contacts", "clients", "users", "roles", "workspaces", "plans", "schema_migrations"} {
			exec(t, s, "DROP TABLE "+table)
		}
		applied, err := s.Migrate(t.Context())
		noErr(t, err)
		if want := migrationNames(allMigrations); !slices.Equal(applied, want) {
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
	for setting, want := range map[string]string{"statement_timeout": "15s", "random_page_cost": "1.1", "plan_cache_mode": "force_generic_plan"} {
		var got string
		noErr(t, second.DB().GetContext(t.Context(), &got, "SHOW "+setting))
		if got != want {
			t.Errorf("%s %s after the start, want %s", setting, got, want)
		}
	}
}

// Migration 0008 makes the invitations table again on SQLite: the
// invitations a database holds survive it, on both dialects.
func TestStaffInvitationsMigrationKeepsInvites(t *testing.T) {
	t.Parallel()
	for _, dialect := range sqltest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			s, err := sqlstore.Open(t.Context(), sqltest.EmptyURL(t, dialect), sqlstore.WithMaxConns(2))
			noErr(t, err)
			defer s.Close()
			// The database as migration 0007 left it, with an invitation.
			fsys, err := migrations.For(s.Dialect())
			noErr(t, err)
			exec(t, s, "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL)")
			for _, m := range allMigrations[:7] {
				body, err := fs.ReadFile(fsys, m.Name+".sql")
				noErr(t, err)
				exec(t, s, string(body))
				exec(t, s, "INSERT INTO schema_migrations (version, name) VALUES (?, ?)", m.Version, m.Name)
			}
			at := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
			exec(t, s, "INSERT INTO workspaces (id, name, slug, created_at) VALUES ('wsp_1', 'W', 'w', ?)", at)
			exec(t, s, "INSERT INTO users (workspace_id, id, name, email, role, created_at, updated_at) VALUES ('wsp_1', 'usr_1', 'U', 'u@w.example', 'OWNER', ?, ?)", at, at)
			exec(t, s, "INSERT INTO clients (workspace_id, id, name, status, created_at, updated_at) VALUES ('wsp_1', 'cli_1', 'C', 'ACTIVE', ?, ?)", at, at)
			exec(t, s, "INSERT INTO contacts (workspace_id, id, client_id, name, email, portal_status, created_at, updated_at) VALUES ('wsp_1', 'con_1', 'cli_1', 'K', 'k@c.example', 'INVITED', ?, ?)", at, at)
			exec(t, s, "INSERT INTO invites (workspace_id, id, contact_id, token_hash, created_by, created_at, expires_at) VALUES ('wsp_1', 'inv_1', 'con_1', 'hash', 'usr_1', ?, ?)", at, at.Add(time.Hour))

			applied, err := s.Migrate(t.Context())
			noErr(t, err)
			if !slices.Equal(applied, migrationNames(allMigrations[7:])) {
				t.Fatalf("applied %v", applied)
			}
			var invites []struct {
				ID        string    `db:"id"`
				ContactID *string   `db:"contact_id"`
				UserID    *string   `db:"user_id"`
				TokenHash string    `db:"token_hash"`
				CreatedBy *string   `db:"created_by"`
				ExpiresAt time.Time `db:"expires_at"`
			}
			noErr(t, s.DB().SelectContext(t.Context(), &invites, "SELECT id, contact_id, user_id, token_hash, created_by, expires_at FROM invites"))
			if len(invites) != 1 || invites[0].ID != "inv_1" || *invites[0].ContactID != "con_1" || invites[0].UserID != nil ||
				invites[0].TokenHash != "hash" || *invites[0].CreatedBy != "usr_1" || !invites[0].ExpiresAt.Equal(at.Add(time.Hour)) {
				t.Errorf("invites after 0008: %+v", invites)
			}
			// An invitation names a contact or a staff member, never both
			// nor neither; the staff member must exist.
			for _, bad := range []string{
				"INSERT INTO invites (workspace_id, id, contact_id, user_id, token_hash, created_at, expires_at) VALUES ('wsp_1', 'inv_2', 'con_1', 'usr_1', 'h2', ?, ?)",
				"INSERT INTO invites (workspace_id, id, token_hash, created_at, expires_at) VALUES ('wsp_1', 'inv_3', 'h3', ?, ?)",
				"INSERT INTO invites (workspace_id, id, user_id, token_hash, created_at, expires_at) VALUES ('wsp_1', 'inv_4', 'usr_404', 'h4', ?, ?)",
			} {
				if _, err := s.DB().ExecContext(t.Context(), s.DB().Rebind(bad), at, at); err == nil {
					t.Errorf("accepted: %s", bad)
				}
			}
			exec(t, s, "INSERT INTO invites (workspace_id, id, user_id, token_hash, created_at, expires_at) VALUES ('wsp_1', 'inv_5', 'usr_1', 'h5', ?, ?)", at, at)
		})
	}
}

// Migration 0015 gives every workspace the built-in roles and each staff
// member the row of the role they had; the built-in rows then hold the
// server's matrix. A member's role must be a role of their workspace, a
// held role cannot be deleted, and a workspace has one owner at most.
func TestRolesMigrationKeepsEachMembersRole(t *testing.T) {
	t.Parallel()
	for _, dialect := range sqltest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			s, err := sqlstore.Open(t.Context(), sqltest.EmptyURL(t, dialect), sqlstore.WithMaxConns(2))
			noErr(t, err)
			defer s.Close()
			// The database as migration 0013 left it, with two workspaces
			// and their staff.
			fsys, err := migrations.For(s.Dialect())
			noErr(t, err)
			exec(t, s, "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL)")
			for _, m := range allMigrations[:13] {
				body, err := fs.ReadFile(fsys, m.Name+".sql")
				noErr(t, err)
				exec(t, s, string(body))
				exec(t, s, "INSERT INTO schema_migrations (version, name) VALUES (?, ?)", m.Version, m.Name)
			}
			at := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
			staff := map[string]portal.BuiltInRole{}
			for _, ws := range []string{"wsp_1", "wsp_2"} {
				exec(t, s, "INSERT INTO workspaces (id, name, slug, created_at) VALUES (?, ?, ?, ?)", ws, ws, ws, at)
				for _, r := range portal.AllBuiltInRole {
					id := "usr_" + ws + "_" + string(r)
					staff[id] = r
					exec(t, s, "INSERT INTO users (workspace_id, id, name, email, role, created_at, updated_at) VALUES (?, ?, 'U', ?, ?, ?, ?)",
						ws, id, id+"@w.example", string(r), at, at)
				}
			}
			applied, err := s.Migrate(t.Context())
			noErr(t, err)
			if !slices.Equal(applied, migrationNames(allMigrations[13:])) {
				t.Fatalf("applied %v", applied)
			}
			var users []struct {
				ID     string `db:"id"`
				RoleID string `db:"role_id"`
			}
			noErr(t, s.DB().SelectContext(t.Context(), &users, "SELECT id, role_id FROM users"))
			if len(users) != len(staff) {
				t.Fatalf("%d users after 0015, want %d", len(users), len(staff))
			}
			for _, u := range users {
				if want := portal.BuiltInRoleID(staff[u.ID]); u.RoleID != want {
					t.Errorf("%s holds %s, want %s", u.ID, u.RoleID, want)
				}
			}
			for _, ws := range []string{"wsp_1", "wsp_2"} {
				roles, err := s.Roles(t.Context(), portal.Principal{Audience: portal.AudienceStaff, WorkspaceID: ws})
				noErr(t, err)
				if len(roles) != len(portal.AllBuiltInRole) {
					t.Fatalf("%s has %d roles", ws, len(roles))
				}
				for i, r := range roles {
					if want := portal.AllBuiltInRole[i]; *r.BuiltIn != want || r.Perms != portal.BuiltInPermissions(want) {
						t.Errorf("%s's role %s holds %v, want %s's", ws, r.ID, r.Permissions(), want)
					}
				}
			}
			for _, bad := range []string{
				"INSERT INTO users (workspace_id, id, name, email, role_id, created_at, updated_at) VALUES ('wsp_1', 'usr_x', 'X', 'x@w.example', 'rol_01JH0000000000000000000000', ?, ?)",
				"INSERT INTO users (workspace_id, id, name, email, role_id, created_at, updated_at) VALUES ('wsp_1', 'usr_y', 'Y', 'y@w.example', 'rol_00000000000000000000000001', ?, ?)",
				"UPDATE users SET role_id = 'rol_01JH0000000000000000000000', updated_at = ? WHERE id = 'usr_wsp_1_VIEWER' AND updated_at = ?",
				"DELETE FROM roles WHERE workspace_id = 'wsp_1' AND id = 'rol_00000000000000000000000005' AND ? = ?",
			} {
				if _, err := s.DB().ExecContext(t.Context(), s.DB().Rebind(bad), at, at); err == nil {
					t.Errorf("accepted: %s", bad)
				}
			}
		})
	}
}

// On a PostgreSQL built with lz4, the audit of reads' record IDs are
// compressed with it (migration 0017), and read back whole.
func TestReadEventIDsCompressWithLZ4(t *testing.T) {
	t.Parallel()
	s := sqltest.Open(t, "postgres")
	ctx := t.Context()
	var lz4 bool
	noErr(t, s.DB().GetContext(ctx, &lz4, `SELECT 'lz4' = ANY (enumvals) FROM pg_settings WHERE name = 'default_toast_compression'`))
	var method string
	noErr(t, s.DB().GetContext(ctx, &method, `SELECT attcompression::text FROM pg_attribute WHERE attrelid = 'read_events'::regclass AND attname = 'record_ids'`))
	if want := map[bool]string{true: "l", false: ""}[lz4]; method != want {
		t.Errorf("record_ids compression %q, want %q (lz4 available: %v)", method, want, lz4)
	}
	f := sqltest.LoadFixture(t, s)
	ids := make(portal.FieldList, 400) // past the size PostgreSQL compresses at
	for i := range ids {
		ids[i] = portal.NewID(portal.PrefixDecision, time.Now())
	}
	ev := &portal.ReadEvent{WorkspaceID: f.W1.ID, ID: portal.NewID(portal.PrefixReadEvent, time.Now()), At: time.Now().UTC().Truncate(time.Microsecond),
		OperationName: "Dashboard", RecordType: portal.RecordTypeDecision, IDs: ids}
	noErr(t, s.RecordReads(ctx, []*portal.ReadEvent{ev}))
	var stored string
	var compressed *string
	noErr(t, s.DB().QueryRowxContext(ctx, `SELECT record_ids, pg_column_compression(record_ids) FROM read_events WHERE id = $1`, ev.ID).Scan(&stored, &compressed))
	if want := strings.Join(ids, ","); stored != want {
		t.Errorf("read back %d characters, wrote %d", len(stored), len(want))
	}
	if lz4 && (compressed == nil || *compressed != "lz4") {
		method := "nothing"
		if compressed != nil {
			method = *compressed
		}
		t.Errorf("stored compressed with %s, want lz4", method)
	}
}
