package sqlstore

import (
	"context"
	"database/sql/driver"

	"github.com/jmoiron/sqlx"
)

// TextArray is how the store binds a batch of IDs to one PostgreSQL
// parameter, for tests that read it back.
func TextArray(ids []string) driver.Valuer { return textArray(ids) }

// Read runs query as the store runs its reads, for tests of what a read
// does when its request ends.
func Read(s *Store, ctx context.Context, query string) (*sqlx.Rows, error) {
	return s.reads.QueryxContext(ctx, query)
}
