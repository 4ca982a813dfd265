package sqlstore

import (
	"context"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/jmoiron/sqlx"
)

// A client chooses the shapes of its reads, so the statements prepared
// are bounded; a read beyond the bound runs unprepared, with the same
// answer.
func TestPreparedReadsAreBounded(t *testing.T) {
	db, err := sqlx.Open("sqlite", filepath.Join(t.TempDir(), "prepared.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	reads := &preparedReads{db: db, max: 2}
	defer reads.close()
	ctx := context.Background()
	for round := range 2 {
		for n := range 4 {
			var got int
			if err := reads.QueryRowxContext(ctx, "SELECT "+strconv.Itoa(n)).Scan(&got); err != nil || got != n {
				t.Fatalf("round %d: SELECT %d answered %d, %v", round, n, got, err)
			}
			rows, err := reads.QueryxContext(ctx, "SELECT "+strconv.Itoa(n)+" + 10")
			if err != nil {
				t.Fatal(err)
			}
			if !rows.Next() || rows.Scan(&got) != nil || got != n+10 {
				t.Fatalf("round %d: SELECT %d + 10 answered %d", round, n, got)
			}
			_ = rows.Close()
		}
	}
	kept := 0
	reads.stmts.Range(func(_, _ any) bool { kept++; return true })
	if kept != 2 || reads.prepared.Load() != 2 {
		t.Errorf("%d statements kept, %d counted; want the bound, 2", kept, reads.prepared.Load())
	}
}
