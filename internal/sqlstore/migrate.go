package sqlstore

import (
	"context"
	"fmt"
	"io/fs"
	"slices"
	"strconv"
	"strings"

	"github.com/jmoiron/sqlx"

	"portalgraph/migrations"
)

// migrationLockKey serializes migrations of several server processes
// starting at once against one PostgreSQL database.
const migrationLockKey = 7_245_001

type migration struct {
	version int
	name    string
	sql     string
}

// Migrate applies, in order, every migration the database has not seen.
// Each runs in its own transaction together with its bookkeeping row.
func (s *Store) Migrate(ctx context.Context) (applied []string, err error) {
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
			if s.dialect.isPostgres() {
				if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, migrationLockKey); err != nil {
					return fmt.Errorf("lock migrations: %w", err)
				}
			}
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
