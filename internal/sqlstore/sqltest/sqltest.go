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
package sqltest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	_ "github.com/lib/pq" // the admin connection below

	"portalgraph/internal/sqlstore"
)

// Dialects are the databases every store test runs on.
var Dialects = []string{"sqlite", "postgres"}

const defaultPostgres = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// Run runs fn once per dialect, each as a subtest with its own database.
func Run(t *testing.T, fn func(t *testing.T, store *sqlstore.Store)) {
	t.Helper()
	for _, d := range Dialects {
		t.Run(d, func(t *testing.T) {
			fn(t, Open(t, d))
		})
	}
}

// URL returns the URL of a new database of the dialect, deleted when the
// test ends. A PostgreSQL database is already migrated; an SQLite one is
// not yet created.
func URL(t testing.TB, dialect string) string {
	t.Helper()
	switch dialect {
	case "sqlite":
		return "sqlite:" + filepath.Join(t.TempDir(), "test.db")
	case "postgres":
		return postgresDatabase(t)
	}
	t.Fatalf("sqltest: unknown dialect %q", dialect)
	return ""
}

// Open returns a migrated, empty store of the dialect, closed and deleted
// when the test ends.
func Open(t testing.TB, dialect string) *sqlstore.Store {
	t.Helper()
	ctx := context.Background()
	store, err := sqlstore.Open(ctx, URL(t, dialect))
	if err != nil {
		t.Fatalf("sqltest: open %s: %v", dialect, err)
	}
	t.Cleanup(func() { _ = store.Close() })
	if dialect == "sqlite" { // PostgreSQL databases are copies of a migrated template
		if _, err := store.Migrate(ctx); err != nil {
			t.Fatalf("sqltest: migrate: %v", err)
		}
	}
	return store
}

// postgres holds this process's template database.
var postgres struct {
	once     sync.Once
	mu       sync.Mutex // CREATE DATABASE ... TEMPLATE wants the template to itself
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

// postgresDatabase creates a database for one test and returns its URL.
func postgresDatabase(t testing.TB) string {
	t.Helper()
	if postgresURL() == "off" {
		t.Skip("PostgreSQL turned off by PORTALGRAPH_TEST_POSTGRES=off")
	}
	postgres.once.Do(preparePostgres)
	if postgres.err != nil {
		t.Fatalf("sqltest: PostgreSQL at %s is required (see DEVELOPERS.md): %v", postgresURL(), postgres.err)
	}
	name := "portalgraph_test_" + randomSuffix()
	postgres.mu.Lock()
	_, err := postgres.admin.Exec(fmt.Sprintf(`CREATE DATABASE %s TEMPLATE %s`, name, postgres.template))
	postgres.mu.Unlock()
	if err != nil {
		t.Fatalf("sqltest: create database: %v", err)
	}
	t.Cleanup(func() {
		if _, err := postgres.admin.Exec(fmt.Sprintf(`DROP DATABASE IF EXISTS %s WITH (FORCE)`, name)); err != nil {
			t.Errorf("sqltest: drop database %s: %v", name, err)
		}
	})
	u := *postgres.base
	u.Path = "/" + name
	return u.String()
}

// preparePostgres creates and migrates this process's template database.
func preparePostgres() {
	u, err := url.Parse(postgresURL())
	if err != nil {
		postgres.err = err
		return
	}
	postgres.base = u
	admin, err := sql.Open("postgres", u.String())
	if err != nil {
		postgres.err = err
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := admin.PingContext(ctx); err != nil {
		postgres.err = err
		return
	}
	admin.SetMaxOpenConns(4)
	postgres.admin = admin
	postgres.template = fmt.Sprintf("portalgraph_tmpl_%d_%s", os.Getpid(), randomSuffix())
	if _, err := admin.Exec(`CREATE DATABASE ` + postgres.template); err != nil {
		postgres.err = err
		return
	}
	tu := *u
	tu.Path = "/" + postgres.template
	store, err := sqlstore.Open(ctx, tu.String())
	if err != nil {
		postgres.err = err
		return
	}
	defer store.Close()
	if _, err := store.Migrate(ctx); err != nil {
		postgres.err = fmt.Errorf("migrate template: %w", err)
	}
}

// Main runs a package's tests and then drops the template database, if
// one was made. Packages that use PostgreSQL call it from TestMain.
func Main(m *testing.M) {
	code := m.Run()
	if postgres.admin != nil {
		if _, err := postgres.admin.Exec(fmt.Sprintf(`DROP DATABASE IF EXISTS %s WITH (FORCE)`, postgres.template)); err != nil {
			fmt.Fprintln(os.Stderr, "sqltest: drop template:", err)
			code = 1
		}
		_ = postgres.admin.Close()
	}
	os.Exit(code)
}

func randomSuffix() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
