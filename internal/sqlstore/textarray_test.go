package sqlstore_test

import (
	"context"
	"slices"
	"testing"

	"portalgraph/internal/sqlstore"
	"portalgraph/internal/sqlstore/sqltest"
)

// A batch of IDs is one text[] parameter: PostgreSQL reads back exactly
// the strings bound, whatever characters an array literal gives meaning
// to.
func TestTextArrayReadsBackAsBound(t *testing.T) {
	store := sqltest.Open(t, "postgres")
	ctx := context.Background()
	for _, ids := range [][]string{
		nil,
		{},
		{"cli_01JGFJKMFGACQRT67TGGTXEHPY"},
		{"a", "b,c", `quo"te`, `back\slash`, `\"`, "{braces}", "", "NULL", " spaced ", "ünïcødé", `\\`, `"`},
	} {
		var got []string
		rows, err := store.DB().QueryContext(ctx, "SELECT unnest(CAST($1 AS text[]))", sqlstore.TextArray(ids))
		if err != nil {
			t.Fatalf("%q: %v", ids, err)
		}
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				t.Fatal(err)
			}
			got = append(got, s)
		}
		if err := rows.Close(); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, ids) && len(got)+len(ids) > 0 {
			t.Errorf("bound %q, read back %q", ids, got)
		}
	}
}
