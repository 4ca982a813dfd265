package sqlstore_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"portalgraph/internal/sqlstore"
	"portalgraph/internal/sqlstore/sqltest"
)

// A request that has ended sends no further statement: not a list's, nor
// the token lookup's.
func TestReadsOfAnEndedRequestAreNotSent(t *testing.T) {
	for _, dialect := range sqltest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			counter := &sqlstore.StatementCounter{}
			s := sqltest.Open(t, dialect, sqlstore.WithStatementCounter(counter))
			f := sqltest.LoadFixture(t, s)
			owner := sqltest.Staff(f.Owner)
			// Prepared while the request is alive, as a busy server has them.
			if _, err := s.ClientsByID(t.Context(), owner, []string{f.A.ID}); err != nil {
				t.Fatal(err)
			}
			ended, cancel := context.WithCancel(t.Context())
			cancel()
			before := counter.Count()
			if _, err := s.ClientsByID(ended, owner, []string{f.A.ID}); !errors.Is(err, context.Canceled) {
				t.Errorf("a read of an ended request answered %v, want context.Canceled", err)
			}
			if _, ok, err := s.TokenHolder(ended, "no such token"); ok || !errors.Is(err, context.Canceled) {
				t.Errorf("a token lookup of an ended request answered %v, %v", ok, err)
			}
			if n := counter.Count() - before; n != 0 {
				t.Errorf("%d statements sent for an ended request", n)
			}
		})
	}
}

// A read in flight when its request ends: on PostgreSQL it runs to its
// end, which statement_timeout bounds, rather than each read paying for
// goroutines that watch the request; SQLite bounds no statement's time, so
// there the request's end interrupts it.
func TestAReadInFlightWhenItsRequestEnds(t *testing.T) {
	slow := map[string]string{
		"postgres": "SELECT 1 FROM pg_sleep(0.3)",
		// Seconds of counting, unless interrupted.
		"sqlite": "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 100000000) SELECT COUNT(*) FROM c",
	}
	for _, dialect := range sqltest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			s := sqltest.Open(t, dialect)
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			time.AfterFunc(50*time.Millisecond, cancel)
			start := time.Now()
			rows, err := sqlstore.Read(s, ctx, slow[dialect])
			n := 0
			if err == nil {
				for rows.Next() {
					n++
				}
				err = rows.Err()
				_ = rows.Close()
			}
			switch dialect {
			case "postgres":
				if err != nil || n != 1 {
					t.Errorf("the read ended with its request: %d rows, %v", n, err)
				}
			default:
				if err == nil || time.Since(start) > 3*time.Second {
					t.Errorf("the read ran on after its request ended: %d rows, %v, after %v", n, err, time.Since(start))
				}
			}
		})
	}
}

// A read that waits for a connection stops waiting when its request ends:
// the pool is full, so the read keeps its request's context.
func TestAReadWaitingForAConnectionStopsWithItsRequest(t *testing.T) {
	t.Parallel()
	s := sqltest.Open(t, "postgres", sqlstore.WithMaxConns(1))
	tx, err := s.DB().BeginTxx(t.Context(), nil) // holds the only connection
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		rows, err := sqlstore.Read(s, ctx, "SELECT 1")
		if err == nil {
			_ = rows.Close()
		}
		done <- err
	}()
	select {
	case err := <-done:
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("a read waiting for a connection answered %v, want context.DeadlineExceeded", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a read went on waiting for a connection after its request ended")
	}
}
