package sqlstore

import "database/sql/driver"

// TextArray is how the store binds a batch of IDs to one PostgreSQL
// parameter, for tests that read it back.
func TextArray(ids []string) driver.Valuer { return textArray(ids) }
