package sqlstore_test

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"portalgraph/internal/portal"
	"portalgraph/internal/sqlstore"
	"portalgraph/internal/sqlstore/sqltest"
)

// queueMail puts n messages in W1's outbox, a second apart, oldest first,
// and returns their IDs in that order.
func queueMail(t *testing.T, s *sqlstore.Store, f *sqltest.Fixture, n int) []string {
	t.Helper()
	start := time.Now().UTC().Add(-time.Hour).Truncate(time.Second)
	ids := make([]string, n)
	for i := range ids {
		at := start.Add(time.Duration(i) * time.Second)
		ids[i] = portal.NewID(portal.PrefixMessage, at)
		exec(t, s, `INSERT INTO outbox (workspace_id, id, kind, recipient, subject, body, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			f.W1.ID, ids[i], "TEST", fmt.Sprintf("to%03d@example.com", i), "subject", "body", at)
	}
	return ids
}

// outboxRow is a message's delivery state.
type outboxRow struct {
	Attempts     int        `db:"attempts"`
	SentAt       *time.Time `db:"sent_at"`
	ClaimedUntil *time.Time `db:"claimed_until"`
	LastError    *string    `db:"last_error"`
}

func outboxState(t *testing.T, s *sqlstore.Store, id string) outboxRow {
	t.Helper()
	var r outboxRow
	db := s.DB()
	noErr(t, db.GetContext(t.Context(), &r, db.Rebind("SELECT attempts, sent_at, claimed_until, last_error FROM outbox WHERE id = ?"), id))
	return r
}

func messageIDs(ms []*portal.OutboxMessage) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.ID
	}
	slices.Sort(out)
	return out
}

func TestClaimOutbox(t *testing.T) {
	withFixture(t, func(t *testing.T, s *sqlstore.Store, f *sqltest.Fixture) {
		ctx := t.Context()
		ids := queueMail(t, s, f, 3)
		claim := func(limit int) []*portal.OutboxMessage {
			t.Helper()
			ms, err := s.ClaimOutbox(ctx, limit, time.Hour)
			noErr(t, err)
			return ms
		}

		// Oldest first, up to the limit, leased and counted.
		start := time.Now()
		got := claim(2)
		if !slices.Equal(messageIDs(got), ids[:2]) {
			t.Fatalf("claimed %v, want the two oldest %v", messageIDs(got), ids[:2])
		}
		for _, m := range got {
			if m.Attempts != 1 || m.ClaimedUntil == nil || m.ClaimedUntil.Before(start.Add(59*time.Minute)) || m.Recipient == "" || m.Body != "body" {
				t.Errorf("claimed message %+v", m)
			}
			if r := outboxState(t, s, m.ID); r.Attempts != 1 || r.ClaimedUntil == nil || r.SentAt != nil {
				t.Errorf("stored state of a claimed message %+v", r)
			}
		}
		first, second := got[0], got[1]
		if first.ID != ids[0] {
			first, second = second, first
		}
		// A leased message is not claimed again while its lease lasts.
		if got := claim(10); !slices.Equal(messageIDs(got), ids[2:]) {
			t.Fatalf("second claim %v, want %v", messageIDs(got), ids[2:])
		}
		if got := claim(10); len(got) != 0 {
			t.Fatalf("everything is leased, yet claimed %v", messageIDs(got))
		}

		// Sent is done; failed is released for a later attempt.
		noErr(t, s.MarkSent(ctx, first))
		noErr(t, s.MarkFailed(ctx, second, errors.New("mailbox unavailable")))
		if r := outboxState(t, s, first.ID); r.SentAt == nil || r.ClaimedUntil != nil || r.LastError != nil || r.Attempts != 1 {
			t.Errorf("sent message %+v", r)
		}
		if r := outboxState(t, s, second.ID); r.SentAt != nil || r.ClaimedUntil != nil || deref(r.LastError) != "mailbox unavailable" || r.Attempts != 1 {
			t.Errorf("failed message %+v", r)
		}
		if got := claim(10); !slices.Equal(messageIDs(got), []string{second.ID}) || got[0].Attempts != 2 {
			t.Fatalf("after a failure, claimed %v, want the failed one on its 2nd attempt", got)
		}
		// A lease that ended (a server died mid-send) frees the message.
		exec(t, s, "UPDATE outbox SET claimed_until = ? WHERE id IN (?, ?)", time.Now().UTC().Add(-time.Second), ids[2], first.ID)
		if got := claim(10); !slices.Equal(messageIDs(got), []string{ids[2]}) || got[0].Attempts != 2 {
			t.Fatalf("after the lease ended, claimed %v, want %s (not the sent one)", messageIDs(got), ids[2])
		}

		// Five attempts, and a message is given up on.
		for attempt := 3; attempt <= 5; attempt++ {
			noErr(t, s.MarkFailed(ctx, second, fmt.Errorf("failure %d", attempt-1)))
			if got := claim(10); len(got) != 1 || got[0].ID != second.ID || got[0].Attempts != attempt {
				t.Fatalf("attempt %d: claimed %v", attempt, got)
			}
		}
		noErr(t, s.MarkFailed(ctx, second, errors.New("failure 5")))
		if got := claim(10); len(got) != 0 {
			t.Errorf("claimed %v after the fifth failure", messageIDs(got))
		}
		if r := outboxState(t, s, second.ID); r.Attempts != 5 || r.SentAt != nil || deref(r.LastError) != "failure 5" {
			t.Errorf("message given up on %+v", r)
		}
	})
}

// Mailers claiming at once never get one message twice; every message is
// claimed exactly once.
func TestClaimOutboxConcurrently(t *testing.T) {
	withFixture(t, func(t *testing.T, s *sqlstore.Store, f *sqltest.Fixture) {
		const messages, mailers = 300, 8
		ids := queueMail(t, s, f, messages)
		var mu sync.Mutex
		claims := map[string]int{}
		var wg sync.WaitGroup
		for range mailers {
			wg.Go(func() {
				for range 2 * messages { // bounded, in case claims stop coming
					ms, err := s.ClaimOutbox(t.Context(), 7, time.Hour)
					if err != nil {
						t.Error(err)
						return
					}
					mu.Lock()
					for _, m := range ms {
						claims[m.ID]++
					}
					done := len(claims) == messages
					mu.Unlock()
					if done {
						return
					}
				}
			})
		}
		wg.Wait()
		for _, id := range ids {
			if claims[id] != 1 {
				t.Errorf("message %s claimed %d times", id, claims[id])
			}
		}
		if len(claims) != messages {
			t.Errorf("%d messages claimed, want %d", len(claims), messages)
		}
		if n := countRows(t, s, "SELECT COUNT(*) FROM outbox WHERE attempts <> 1"); n != 0 {
			t.Errorf("%d messages counted other than one attempt", n)
		}
	})
}
