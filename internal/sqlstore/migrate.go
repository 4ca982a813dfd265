package sqlstore

import (
	"context"
	"database/sql/driver"
	"fmt"
	"io/fs"
	"slices"
	"strconv"
	"strings"

	"github.com/jmoiron/sqlx"

	"portalgraph/migrations"
)

// startupLockKey names the PostgreSQL advisory lock under which processes
// starting at once against one database take turns to migrate and seed
// it. Migrations were locked under the same key before, one transaction
// at a time, so servers of both versions exclude each other while a
// new version rolls out.
const startupLockKey = 7_245_001

type migration struct {
	version int
	name    string
	sql     string
}

// Migrate applies, in order, every migration the database has not seen,
// under the start-up lock (see MigrateAndSeed).
func (s *Store) Migrate(ctx context.Context) ([]string, error) {
	return s.MigrateAndSeed(ctx, nil)
}

// MigrateAndSeed applies pending migrations and then runs seed, if not
// nil, all while holding the start-up lock: of any number of processes
// starting at once, one migrates and seeds while the others wait, then
// find the work done. Each migration runs in its own transaction together
// with its bookkeeping row, which the transaction reads first.
//
// On PostgreSQL the lock is an advisory lock held by a connection of its
// own, while the migrations and seed use the pool's others (so the pool
// must allow two). SQLite needs no lock of its own: it runs one write
// transaction at a time and begins each with its write lock, so a
// migration another process applied meanwhile is found in its
// bookkeeping row; seed must then look and write in one transaction, as
// Seed does.
func (s *Store) MigrateAndSeed(ctx context.Context, seed func(context.Context) error) (applied []string, err error) {
	err = s.exclusively(ctx, func() error {
		if applied, err = s.migrate(ctx); err != nil || seed == nil {
			return err
		}
		return seed(ctx)
	})
	return applied, err
}

// exclusively runs fn holding the start-up lock. On PostgreSQL the lock
// belongs to the session of a connection taken from the pool for it,
// which is closed afterwards rather than returned: the session's end
// releases the lock whatever happened, and the lifted statement timeout
// (waiting for a long migration elsewhere is no runaway query) goes with
// it. A process that dies holding the lock ends its session too.
func (s *Store) exclusively(ctx context.Context, fn func() error) error {
	if !s.dialect.isPostgres() {
		return fn()
	}
	conn, err := s.db.Connx(ctx)
	if err != nil {
		return fmt.Errorf("start-up lock: %w", err)
	}
	defer func() {
		_, _ = conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, startupLockKey)
		_ = conn.Raw(func(any) error { return driver.ErrBadConn }) // closes it
	}()
	if _, err := conn.ExecContext(ctx, `SET statement_timeout = 0`); err != nil {
		return fmt.Errorf("start-up lock: %w", err)
	}
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, startupLockKey); err != nil {
		return fmt.Errorf("start-up lock: %w", err)
	}
	return fn()
}

func (s *Store) migrate(ctx context.Context) (applied []string, err error) {
	all, err := loadMigrations(s.dialect.name)
	if err != nil {
		return nil, err
	}
	if _, err := s.db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY,
		name TEXT NOT NULL
	)`); err != nil {
		return nil, fmt.Errorf("create schema_migrations: %w", err)
	}
	for _, m := range all {
		done := false
		err := s.inTx(ctx, func(tx *sqlx.Tx) error {
			var n int
			if err := tx.GetContext(ctx, &n, tx.Rebind(`SELECT COUNT(*) FROM schema_migrations WHERE version = ?`), m.version); err != nil {
				return fmt.Errorf("read schema_migrations: %w", err)
			}
			if n > 0 {
				done = true
				return nil
			}
			if _, err := tx.ExecContext(ctx, m.sql); err != nil {
				return fmt.Errorf("migration %s: %w", m.name, err)
			}
			_, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO schema_migrations (version, name) VALUES (?, ?)`), m.version, m.name)
			return err
		})
		if err != nil {
			return applied, err
		}
		if !done {
			applied = append(applied, m.name)
		}
	}
	// Migrations are SQL and the built-in roles' matrix is Go: the rows
	// are made to match the code each time the server migrates, which it
	// does at every start, so a permission added to the matrix reaches
	// every workspace without a migration of its own.
	if err := s.syncBuiltInRoles(ctx); err != nil {
		return applied, err
	}
	return applied, nil
}

func loadMigrations(dialectName string) ([]migration, error) {
	fsys, err := migrations.For(dialectName)
	if err != nil {
		return nil, err
	}
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, fmt.Errorf("read migrations: %w", err)
	}
	var out []migration
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".sql") {
			continue
		}
		prefix, _, _ := strings.Cut(e.Name(), "_")
		version, err := strconv.Atoi(prefix)
		if err != nil {
			return nil, fmt.Errorf("migration %s: name must start with its number", e.Name())
		}
		body, err := fs.ReadFile(fsys, e.Name())
		if err != nil {
			return nil, err
		}
		out = append(out, migration{version: version, name: strings.TrimSuffix(e.Name(), ".sql"), sql: string(body)})
	}
	slices.SortFunc(out, func(a, b migration) int { return a.version - b.version })
	for i := 1; i < len(out); i++ {
		if out[i].version == out[i-1].version {
			return nil, fmt.Errorf("migrations %s and %s share a number", out[i-1].name, out[i].name)
		}
	}
	return out, nil
}
