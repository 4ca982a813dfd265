// Package migrations holds the numbered schema migrations of each SQL
// dialect. Files are named NNNN_description.sql and applied in order.
package migrations

import (
	"embed"
	"io/fs"
)

//go:embed postgres/*.sql sqlite/*.sql
var files embed.FS

// For returns the migrations of one dialect ("postgres" or "sqlite").
func For(dialect string) (fs.FS, error) {
	return fs.Sub(files, dialect)
}
