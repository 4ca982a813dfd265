// Package sqltest gives tests a fresh, migrated database of each dialect:
// SQLite in a temporary file, PostgreSQL as a new database copied from a
// migrated template. Each test owns its database, so tests run in parallel
// and leave nothing behind.
//
// PostgreSQL is reached at PORTALGRAPH_TEST_POSTGRES (default
// postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable). When it is
// unreachable the tests fail: a suite that quietly skips half its runs
// proves nothing. Set PORTALGRAPH_TEST_POSTGRES=off to run SQLite only, on
// purpose.
//
// The tests of every package together keep to MaxConns PostgreSQL
// connections (see slots.go).
package sqltest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	_ "github.com/lib/pq" // the admin connection below

	"portalgraph/internal/sqlstore"
)

// Dialects are the databases every store test runs on.
var Dialects = []string{"sqlite", "postgres"}

const defaultPostgres = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// Available lists the dialects this run tests: both, or SQLite alone when
// PostgreSQL is turned off on purpose. For tests that open their databases
// once, outside subtests, where Open's skip would skip everything.
func Available() []string {
	if postgresURL() == "off" {
		return []string{"sqlite"}
	}
	return Dialects
}

// Run runs fn once per dialect, each as a parallel subtest with its own
// database; fn must not call t.Parallel itself.
func Run(t *testing.T, fn func(t *testing.T, store *sqlstore.Store)) {
	t.Helper()
	for _, d := range Dialects {
		t.Run(d, func(t *testing.T) {
			// Parallel first, open second: a test that opened its
			// database and then waited for its turn to run would hold
			// a slot (see slots.go) that the running tests may be
			// waiting for.
			t.Parallel()
			fn(t, Open(t, d))
		})
	}
}

// URL returns the URL of a new database of the dialect, deleted when the
// test ends. A PostgreSQL database is already migrated; an SQLite one is
// not yet created. Whatever connects to a PostgreSQL one keeps to
// PoolConns connections at a time.
func URL(t testing.TB, dialect string) string {
	t.Helper()
	switch dialect {
	case "sqlite":
		return "sqlite:" + filepath.Join(t.TempDir(), "test.db")
	case "postgres":
		return postgresDatabase(t, false)
	}
	t.Fatalf("sqltest: unknown dialect %q", dialect)
	return ""
}

// EmptyURL returns the URL of a new database of the dialect without even
// migrations in it, deleted when the test ends: what a server finds on
// its first start.
func EmptyURL(t testing.TB, dialect string) string {
	t.Helper()
	if dialect == "postgres" {
		return postgresDatabase(t, true)
	}
	return URL(t, dialect)
}

// Open returns a migrated, empty store of the dialect, closed and deleted
// when the test ends. A PostgreSQL store's pool has at most PoolConns
// connections, whatever opts ask for. A test holds one PostgreSQL
// database at a time, and opens it once it runs: after t.Parallel, if
// it calls it, and with no parallel subtests while it holds it.
func Open(t testing.TB, dialect string, opts ...sqlstore.Option) *sqlstore.Store {
	t.Helper()
	ctx := context.Background()
	store, err := sqlstore.Open(ctx, URL(t, dialect), append([]sqlstore.Option{sqlstore.WithMaxConns(PoolConns)}, opts...)...)
	if err != nil {
		t.Fatalf("sqltest: open %s: %v", dialect, err)
	}
	if dialect == "postgres" {
		if db := store.DB().DB; db.Stats().MaxOpenConnections > PoolConns {
			db.SetMaxOpenConns(PoolConns)
		}
		t.Cleanup(conns().watch(store.DB().DB))
	}
	t.Cleanup(func() { _ = store.Close() })
	if dialect == "sqlite" { // PostgreSQL databases are copies of a migrated template
		if _, err := store.Migrate(ctx); err != nil {
			t.Fatalf("sqltest: migrate: %v", err)
		}
	}
	t.Cleanup(func() { checkPortalScope(t, store) })
	return store
}

// checkPortalScope fails the test if, after whatever it did, the client a
// deliverable, an approval or a decision is shown to (portal_client_id)
// differs from what the records above it say: portal reads trust that column, so
// every write path that could move it must keep it in step.
func checkPortalScope(t testing.TB, store *sqlstore.Store) {
	t.Helper()
	ctx := context.Background()
	if store.Ping(ctx) != nil {
		return // the test closed or broke its database on purpose
	}
	var stale int
	err := store.DB().GetContext(ctx, &stale, `SELECT
		(SELECT COUNT(*) FROM deliverables d JOIN projects p ON p.workspace_id = d.workspace_id AND p.id = d.project_id
		 WHERE COALESCE(d.portal_client_id, '') <> CASE WHEN d.visibility = 'SHARED' AND p.visibility = 'SHARED' THEN p.client_id ELSE '' END)
		+ (SELECT COUNT(*) FROM approvals a JOIN deliverables d ON d.workspace_id = a.workspace_id AND d.id = a.deliverable_id
		 WHERE COALESCE(a.portal_client_id, '') <> COALESCE(d.portal_client_id, ''))
		+ (SELECT COUNT(*) FROM approval_decisions x JOIN approvals a ON a.workspace_id = x.workspace_id AND a.id = x.approval_id
		 WHERE COALESCE(x.portal_client_id, '') <> COALESCE(a.portal_client_id, ''))`)
	if err != nil {
		t.Errorf("sqltest: check portal_client_id: %v", err)
		return
	}
	if stale > 0 {
		t.Errorf("sqltest: %d deliverables, approvals and decisions carry a portal_client_id the records above them do not give", stale)
	}
}

// postgres holds this process's template database: one per test binary,
// made on first use and dropped by Main.
var postgres struct {
	once     sync.Once
	admin    *sql.DB
	base     *url.URL
	template string
	err      error
}

func postgresURL() string {
	if v := os.Getenv("PORTALGRAPH_TEST_POSTGRES"); v != "" {
		return v
	}
	return defaultPostgres
}

// postgresDatabase creates a database for one test, a copy of the
// migrated template or an empty one, and returns its URL.
func postgresDatabase(t testing.TB, empty bool) string {
	t.Helper()
	if postgresURL() == "off" {
		t.Skip("PostgreSQL turned off by PORTALGRAPH_TEST_POSTGRES=off")
	}
	// The slot covers every connection made for this database, from its
	// creation (and, for the first, the template's) to its drop: release
	// it last.
	release, err := conns().take(t.Name())
	if err != nil {
		t.Fatalf("sqltest: %v", err)
	}
	t.Cleanup(release)
	postgres.once.Do(preparePostgres)
	if postgres.err != nil {
		t.Fatalf("sqltest: PostgreSQL at %s is required (see DEVELOPERS.md): %v", postgresURL(), postgres.err)
	}
	name := fmt.Sprintf("%s%d_%s", testPrefix, os.Getpid(), randomSuffix())
	// Copies of one template may be made concurrently: nothing connects to
	// it, nor to template0, which nobody may connect to.
	template := postgres.template
	if empty {
		template = "template0"
	}
	if _, err := postgres.admin.Exec(fmt.Sprintf(`CREATE DATABASE %s TEMPLATE %s`, name, template)); err != nil {
		t.Fatalf("sqltest: create database: %v", err)
	}
	t.Cleanup(func() {
		if _, err := postgres.admin.Exec(fmt.Sprintf(`DROP DATABASE IF EXISTS %s WITH (FORCE)`, name)); err != nil {
			t.Errorf("sqltest: drop database %s: %v", name, err)
		}
	})
	u := *postgres.base
	u.Path = "/" + name
	// A test database is thrown away: waiting for each commit to reach the
	// disk buys nothing.
	q := u.Query()
	q.Set("synchronous_commit", "off")
	u.RawQuery = q.Encode()
	return u.String()
}

// applicationName labels every connection of this test process in
// pg_stat_activity, so what the tests hold can be counted on the server.
func applicationName() string {
	return fmt.Sprintf("%s%d", testPrefix, os.Getpid())
}

// Database names carry the process ID of the test binary that made them,
// so one run can drop what a killed run left behind.
const (
	testPrefix     = "portalgraph_test_"
	templatePrefix = "portalgraph_tmpl_"
)

// dropOrphans drops the test and template databases of test binaries that
// are no longer running.
func dropOrphans(admin *sql.DB) {
	rows, err := admin.Query(`SELECT datname FROM pg_database WHERE datname LIKE 'portalgraph\_test\_%' OR datname LIKE 'portalgraph\_tmpl\_%'`)
	if err != nil {
		return
	}
	var names []string
	for rows.Next() {
		var name string
		if rows.Scan(&name) == nil {
			names = append(names, name)
		}
	}
	rows.Close()
	for _, name := range names {
		rest := strings.TrimPrefix(strings.TrimPrefix(name, testPrefix), templatePrefix)
		pidText, _, _ := strings.Cut(rest, "_")
		pid, err := strconv.Atoi(pidText)
		if err != nil || processAlive(pid) {
			continue
		}
		_, _ = admin.Exec(fmt.Sprintf(`DROP DATABASE IF EXISTS %s WITH (FORCE)`, name))
	}
}

func processAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// preparePostgres creates and migrates this process's template database.
func preparePostgres() {
	u, err := url.Parse(postgresURL())
	if err != nil {
		postgres.err = err
		return
	}
	q := u.Query()
	q.Set("application_name", applicationName())
	u.RawQuery = q.Encode()
	postgres.base = u
	admin, err := sql.Open("postgres", u.String())
	if err != nil {
		postgres.err = err
		return
	}
	// The admin connection is used under the slot of the database it
	// creates or drops; kept idle between uses, it would be under none.
	admin.SetMaxIdleConns(0)
	conns().watch(admin)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := admin.PingContext(ctx); err != nil {
		postgres.err = err
		return
	}
	postgres.admin = admin
	dropOrphans(admin)
	postgres.template = fmt.Sprintf("%s%d_%s", templatePrefix, os.Getpid(), randomSuffix())
	if _, err := admin.Exec(`CREATE DATABASE ` + postgres.template); err != nil {
		postgres.err = err
		return
	}
	tu := *u
	tu.Path = "/" + postgres.template
	// Migrated under the slot of the first test database, before that
	// database's own pool opens.
	store, err := sqlstore.Open(ctx, tu.String(), sqlstore.WithMaxConns(2))
	if err != nil {
		postgres.err = err
		return
	}
	defer conns().watch(store.DB().DB)()
	defer store.Close()
	if _, err := store.Migrate(ctx); err != nil {
		postgres.err = fmt.Errorf("migrate template: %w", err)
	}
}

// Main runs a package's tests and then drops the template database, if
// one was made. It fails the run if the tests ever held more PostgreSQL
// connections than their slots allow. Packages that use PostgreSQL call
// it from TestMain.
func Main(m *testing.M) {
	code := m.Run()
	if postgres.admin != nil {
		if err := dropTemplate(); err != nil {
			fmt.Fprintln(os.Stderr, "sqltest: drop template:", err)
			code = 1
		}
		_ = postgres.admin.Close()
		conns().check()
		if excess := conns().excessSeen(); excess != "" {
			fmt.Fprintln(os.Stderr, "sqltest: over the bound:", excess)
			code = 1
		}
	}
	os.Exit(code)
}

func dropTemplate() error {
	release, err := conns().take("TestMain")
	if err != nil {
		return err
	}
	defer release()
	_, err = postgres.admin.Exec(fmt.Sprintf(`DROP DATABASE IF EXISTS %s WITH (FORCE)`, postgres.template))
	return err
}

func randomSuffix() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
