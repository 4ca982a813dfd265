package audit

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"portalgraph/internal/portal"
	"portalgraph/internal/sqlstore"
	"portalgraph/internal/sqlstore/sqltest"
)

// The recorder against the real store, on both databases, with its clock
// in the test's hands.

func TestMain(m *testing.M) { sqltest.Main(m) }

// setup loads the fixture into a store of the dialect that counts its
// statements, and returns a recorder on a clock.
func setup(t *testing.T, dialect string) (*sqlstore.Store, *sqltest.Fixture, *sqlstore.StatementCounter, *Recorder, *sqltest.Clock) {
	t.Helper()
	counter := &sqlstore.StatementCounter{}
	s := sqltest.Open(t, dialect, sqlstore.WithStatementCounter(counter))
	f := sqltest.LoadFixture(t, s)
	c := sqltest.NewClock(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))
	r := New(s, slog.New(slog.DiscardHandler))
	r.now = c.Now
	return s, f, counter, r, c
}

func run(t *testing.T, fn func(t *testing.T, dialect string)) {
	t.Helper()
	t.Parallel()
	for _, d := range sqltest.Dialects {
		t.Run(d, func(t *testing.T) { fn(t, d) })
	}
}

// views reads the VIEWED events, in no particular order, through the store.
func views(t *testing.T, s *sqlstore.Store, f *sqltest.Fixture) []*portal.ActivityEvent {
	t.Helper()
	var ids []string
	noErr(t, s.DB().SelectContext(t.Context(), &ids, "SELECT id FROM activity_events WHERE action = 'VIEWED'"))
	evs, err := s.ActivityByID(t.Context(), sqltest.Staff(f.Owner), ids)
	noErr(t, err)
	if len(evs) != len(ids) {
		t.Fatalf("%d views, %d readable by W1's owner", len(ids), len(evs))
	}
	return evs
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func TestViewsAreDeduplicatedAndBatched(t *testing.T) {
	run(t, func(t *testing.T, dialect string) {
		s, f, counter, r, clk := setup(t, dialect)
		ann, ben := sqltest.Portal(f.AActive), sqltest.Portal(f.BActive)
		// A dashboard touching 300 records, each several times, and a
		// staff member looking at the same.
		for range 3 {
			for i := range 300 {
				r.Viewed(ann, portal.RecordTypeDeliverable, fmt.Sprintf("dlv_%03d", i))
				r.Viewed(sqltest.Staff(f.Owner), portal.RecordTypeDeliverable, fmt.Sprintf("dlv_%03d", i))
			}
		}
		r.Viewed(ann, portal.RecordTypeProject, f.AShared.ID)
		r.Viewed(ben, portal.RecordTypeProject, f.AShared.ID) // one record, another viewer: counted
		if got := views(t, s, f); len(got) != 0 {
			t.Fatalf("%d views written before a flush", len(got))
		}

		before := counter.Count()
		r.Flush(t.Context())
		if n := counter.Count() - before; n != 1 {
			t.Errorf("flushing 302 views took %d statements, want 1", n)
		}
		got := views(t, s, f)
		if len(got) != 302 {
			t.Fatalf("%d views written, want 302", len(got))
		}
		seen := map[string]bool{}
		for _, e := range got {
			viewer := deref(e.ActorContactID)
			if seen[viewer+e.RecordID] {
				t.Errorf("%s's view of %s written twice", viewer, e.RecordID)
			}
			seen[viewer+e.RecordID] = true
			wantClient := f.A.ID
			if viewer == f.BActive.ID {
				wantClient = f.B.ID
			}
			if e.ActorUserID != nil || e.Preview || deref(e.ClientID) != wantClient || e.WorkspaceID != f.W1.ID || !e.CreatedAt.Equal(clk.Now()) ||
				(viewer != f.AActive.ID && viewer != f.BActive.ID) || e.Summary == "" {
				t.Fatalf("view %+v", e)
			}
		}

		// Within the window a view is not counted again; after it, it is.
		before = counter.Count()
		r.Flush(t.Context())
		if n := counter.Count() - before; n != 0 {
			t.Errorf("flushing nothing took %d statements", n)
		}
		clk.Advance(9 * time.Minute)
		r.Viewed(ann, portal.RecordTypeProject, f.AShared.ID)
		r.Flush(t.Context())
		if got := len(views(t, s, f)); got != 302 {
			t.Errorf("a view within the window was counted: %d views", got)
		}
		clk.Advance(2 * time.Minute)
		r.Viewed(ann, portal.RecordTypeProject, f.AShared.ID)
		r.Flush(t.Context())
		if got := len(views(t, s, f)); got != 303 {
			t.Errorf("a view after the window was not counted: %d views", got)
		}
	})
}

func TestPreviewViews(t *testing.T) {
	run(t, func(t *testing.T, dialect string) {
		s, f, _, r, _ := setup(t, dialect)
		preview := sqltest.Portal(f.AActive)
		preview.Preview, preview.PreviewBy = true, f.Owner.ID
		r.Viewed(preview, portal.RecordTypeProject, f.AShared.ID)
		r.Viewed(preview, portal.RecordTypeProject, f.AShared.ID)
		// The contact's own view of the record is theirs, not the preview's.
		r.Viewed(sqltest.Portal(f.AActive), portal.RecordTypeProject, f.AShared.ID)
		r.Seen(preview)
		r.Flush(t.Context())
		got := views(t, s, f)
		if len(got) != 2 {
			t.Fatalf("%d views, want the preview's and Ann's", len(got))
		}
		var previewed, own *portal.ActivityEvent
		for _, e := range got {
			if e.Preview {
				previewed = e
			} else {
				own = e
			}
		}
		if previewed == nil || own == nil {
			t.Fatalf("views %+v, %+v", got[0], got[1])
		}
		if deref(previewed.ActorUserID) != f.Owner.ID || deref(previewed.ActorContactID) != f.AActive.ID || deref(previewed.ClientID) != f.A.ID {
			t.Errorf("preview view %+v: want the staff member previewing as the contact", previewed)
		}
		if own.ActorUserID != nil || deref(own.ActorContactID) != f.AActive.ID {
			t.Errorf("own view %+v", own)
		}
		// A preview is not the contact using the portal.
		var lastSeen *time.Time
		noErr(t, s.DB().GetContext(t.Context(), &lastSeen, s.DB().Rebind("SELECT last_seen_at FROM contacts WHERE id = ?"), f.AActive.ID))
		if lastSeen != nil {
			t.Errorf("a preview set Ann's last seen to %v", lastSeen)
		}
	})
}

func TestSeen(t *testing.T) {
	run(t, func(t *testing.T, dialect string) {
		s, f, counter, r, clk := setup(t, dialect)
		lastSeen := func(c *portal.Contact) *time.Time {
			t.Helper()
			var at *time.Time
			noErr(t, s.DB().GetContext(t.Context(), &at, s.DB().Rebind("SELECT last_seen_at FROM contacts WHERE id = ?"), c.ID))
			return at
		}
		ann := sqltest.Portal(f.AActive)
		t0 := clk.Now()
		for range 50 {
			r.Seen(ann)
		}
		r.Seen(sqltest.Portal(f.BActive))
		r.Seen(sqltest.Staff(f.Owner))
		r.Flush(t.Context())
		if at := lastSeen(f.AActive); at == nil || !at.Equal(t0) {
			t.Errorf("Ann last seen %v, want %v", at, t0)
		}
		if at := lastSeen(f.BActive); at == nil || !at.Equal(t0) {
			t.Errorf("Ben last seen %v, want %v", at, t0)
		}

		// Within the interval, requests write nothing.
		clk.Advance(4 * time.Minute)
		r.Seen(ann)
		before := counter.Count()
		r.Flush(t.Context())
		if n := counter.Count() - before; n != 0 {
			t.Errorf("a request within the interval took %d statements", n)
		}
		if at := lastSeen(f.AActive); !at.Equal(t0) {
			t.Errorf("Ann last seen %v within the interval", at)
		}
		// After it, one write.
		clk.Advance(2 * time.Minute)
		r.Seen(ann)
		r.Seen(ann)
		before = counter.Count()
		r.Flush(t.Context())
		if n := counter.Count() - before; n != 3 { // BEGIN, UPDATE, COMMIT
			t.Errorf("recording one last-seen time took %d statements", n)
		}
		if at := lastSeen(f.AActive); at == nil || !at.Equal(t0.Add(6*time.Minute)) {
			t.Errorf("Ann last seen %v, want %v", at, t0.Add(6*time.Minute))
		}
	})
}

// Run flushes at every interval, and once more when it is stopped.
func TestRun(t *testing.T) {
	run(t, func(t *testing.T, dialect string) {
		s, f, _, r, _ := setup(t, dialect)
		ann := sqltest.Portal(f.AActive)

		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan struct{})
		go func() { r.Run(ctx, 20*time.Millisecond); close(done) }()
		r.Viewed(ann, portal.RecordTypeProject, "prj_ticked")
		deadline := time.Now().Add(5 * time.Second)
		for len(views(t, s, f)) == 0 && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		if len(views(t, s, f)) != 1 {
			t.Fatal("Run did not flush at its interval")
		}
		cancel()
		<-done

		// Stopped between ticks, what was gathered is still written.
		ctx, cancel = context.WithCancel(t.Context())
		done = make(chan struct{})
		go func() { r.Run(ctx, time.Hour); close(done) }()
		r.Viewed(ann, portal.RecordTypeProject, "prj_last")
		r.Seen(ann)
		cancel()
		<-done
		got := views(t, s, f)
		if len(got) != 2 || !slices.ContainsFunc(got, func(e *portal.ActivityEvent) bool { return e.RecordID == "prj_last" }) {
			t.Errorf("after stopping, %d views", len(got))
		}
		var lastSeen *time.Time
		noErr(t, s.DB().GetContext(t.Context(), &lastSeen, s.DB().Rebind("SELECT last_seen_at FROM contacts WHERE id = ?"), f.AActive.ID))
		if lastSeen == nil {
			t.Error("after stopping, Ann's last seen is not written")
		}
	})
}

// Views gathered from many requests at once are each counted once.
func TestConcurrentViews(t *testing.T) {
	run(t, func(t *testing.T, dialect string) {
		s, f, _, r, _ := setup(t, dialect)
		var wg sync.WaitGroup
		for g := range 8 {
			wg.Go(func() {
				for i := range 100 {
					r.Viewed(sqltest.Portal(f.AActive), portal.RecordTypeDeliverable, fmt.Sprintf("dlv_%03d", (g*37+i)%150))
					r.Seen(sqltest.Portal(f.AActive))
					if i%25 == 0 {
						r.Flush(t.Context())
					}
				}
			})
		}
		wg.Wait()
		r.Flush(t.Context())
		if got := len(views(t, s, f)); got != 150 {
			t.Errorf("%d views, want 150", got)
		}
	})
}

// Reads of one reader, operation, type and client between two flushes are
// one event with every ID once, and all of a flush's events are one
// statement (on PostgreSQL a COPY, which runs in a transaction of its
// own); staff reads are not recorded.
func TestReadsAreMergedAndBatched(t *testing.T) {
	run(t, func(t *testing.T, dialect string) {
		s, f, counter, r, clk := setup(t, dialect)
		ann := sqltest.Portal(f.AActive)
		key := portal.Principal{Audience: portal.AudiencePartner, WorkspaceID: f.W1.ID, Key: &portal.PartnerGrant{KeyID: "key_1"}}
		r.Read(ann, "Reports", portal.RecordTypeReport, f.A.ID, []string{"rep_1", "rep_2"})
		clk.Advance(time.Second)
		r.Read(ann, "Reports", portal.RecordTypeReport, f.A.ID, []string{"rep_2", "rep_3"})
		r.Read(ann, "Other", portal.RecordTypeReport, f.A.ID, []string{"rep_1"})
		r.Read(key, "", portal.RecordTypeProject, f.A.ID, []string{"prj_1"})
		r.Read(key, "", portal.RecordTypeProject, f.B.ID, []string{"prj_2"})
		r.Read(sqltest.Staff(f.Owner), "Reports", portal.RecordTypeReport, f.A.ID, []string{"rep_1"})
		r.Read(ann, "Empty", portal.RecordTypeReport, f.A.ID, nil)

		before := counter.Count()
		r.Flush(t.Context())
		want := int64(1)
		if dialect == "postgres" {
			want = 3 // BEGIN, COPY, COMMIT
		}
		if n := counter.Count() - before; n != want {
			t.Errorf("flushing 4 read events took %d statements, want %d", n, want)
		}
		conn, err := s.ReadEvents(t.Context(), sqltest.Staff(f.Owner), portal.ReadEventFilter{}, portal.PageArgs{First: 10})
		noErr(t, err)
		got := map[string]*portal.ReadEvent{}
		for _, e := range conn.Edges {
			got[e.Node.OperationName+"/"+deref(e.Node.ClientID)+"/"+string(e.Node.RecordType)] = e.Node
		}
		if len(got) != 4 {
			t.Fatalf("%d read events: %v", len(got), got)
		}
		reports := got["Reports/"+f.A.ID+"/REPORT"]
		if reports == nil || !slices.Equal(reports.IDs, []string{"rep_1", "rep_2", "rep_3"}) || deref(reports.ContactID) != f.AActive.ID ||
			reports.PartnerKeyID != nil || !reports.At.Equal(clk.Now().Add(-time.Second)) {
			t.Errorf("merged reads %+v", reports)
		}
		if k := got["/"+f.B.ID+"/PROJECT"]; k == nil || deref(k.PartnerKeyID) != "key_1" || k.ContactID != nil || !slices.Equal(k.IDs, []string{"prj_2"}) {
			t.Errorf("the key's reads %+v", k)
		}
		before = counter.Count()
		r.Flush(t.Context())
		if n := counter.Count() - before; n != 0 {
			t.Errorf("flushing nothing took %d statements", n)
		}
	})
}

// A reader opening one page over and over between flushes holds a bounded
// number of IDs, and the event still names each record once, in the order
// it was first read.
func TestRepeatedReadsStayBounded(t *testing.T) {
	run(t, func(t *testing.T, dialect string) {
		s, f, _, r, _ := setup(t, dialect)
		ann := sqltest.Portal(f.AActive)
		page := []string{"dlv_3", "dlv_1", "dlv_2"}
		most := 0
		for i := range 10 * repeatSlack {
			r.Read(ann, "Dashboard", portal.RecordTypeDeliverable, f.A.ID, page)
			if i == 0 {
				r.Read(ann, "Dashboard", portal.RecordTypeDeliverable, f.A.ID, []string{"dlv_1", "dlv_4"})
			}
			r.mu.Lock()
			for _, pending := range r.reads {
				most = max(most, len(pending.event.IDs))
			}
			r.mu.Unlock()
		}
		if bound := 2*4 + repeatSlack + len(page); most > bound {
			t.Errorf("a page read %d times held up to %d IDs, want at most %d", 10*repeatSlack, most, bound)
		}
		r.Flush(t.Context())
		conn, err := s.ReadEvents(t.Context(), sqltest.Staff(f.Owner), portal.ReadEventFilter{}, portal.PageArgs{First: 10})
		noErr(t, err)
		if len(conn.Edges) != 1 || !slices.Equal(conn.Edges[0].Node.IDs, []string{"dlv_3", "dlv_1", "dlv_2", "dlv_4"}) {
			t.Errorf("read events %+v, want one naming dlv_3, dlv_1, dlv_2, dlv_4", conn.Edges)
		}
	})
}

// A page read again in a row, as a reloaded or polled dashboard reads it,
// adds nothing to what the recorder holds; a read
// of other records after it is still gathered, and so is the page again
// after that.
func TestAReadRepeatedInARowAddsNothing(t *testing.T) {
	run(t, func(t *testing.T, dialect string) {
		s, f, _, r, _ := setup(t, dialect)
		ann := sqltest.Portal(f.AActive)
		page := []string{"dlv_3", "dlv_1", "dlv_2"}
		read := func(ids ...string) { r.Read(ann, "Dashboard", portal.RecordTypeDeliverable, f.A.ID, ids) }
		held := func() []string {
			r.mu.Lock()
			defer r.mu.Unlock()
			for _, pending := range r.reads {
				return slices.Clone(pending.event.IDs)
			}
			return nil
		}
		read(page...)
		for range 100 {
			read(slices.Clone(page)...)
		}
		if got := held(); !slices.Equal(got, page) {
			t.Errorf("after the page was read again and again the recorder holds %v, want %v", got, page)
		}
		read("dlv_4")
		read(page...)
		read("dlv_1", "dlv_5")
		if got, want := held(), []string{"dlv_3", "dlv_1", "dlv_2", "dlv_4", "dlv_3", "dlv_1", "dlv_2", "dlv_1", "dlv_5"}; !slices.Equal(got, want) {
			t.Errorf("the recorder holds %v, want %v", got, want)
		}
		r.Flush(t.Context())
		conn, err := s.ReadEvents(t.Context(), sqltest.Staff(f.Owner), portal.ReadEventFilter{}, portal.PageArgs{First: 10})
		noErr(t, err)
		if len(conn.Edges) != 1 || !slices.Equal(conn.Edges[0].Node.IDs, []string{"dlv_3", "dlv_1", "dlv_2", "dlv_4", "dlv_5"}) {
			t.Errorf("read events %+v, want one naming dlv_3, dlv_1, dlv_2, dlv_4, dlv_5", conn.Edges)
		}
	})
}

// failingStore refuses every write.
type failingStore struct{ calls int }

func (s *failingStore) RecordActivity(context.Context, []*portal.ActivityEvent) error {
	s.calls++
	return errors.New("database down")
}

func (s *failingStore) TouchLastSeen(context.Context, []portal.Seen) error {
	s.calls++
	return errors.New("database down")
}

func (s *failingStore) RecordReads(context.Context, []*portal.ReadEvent) error {
	s.calls++
	return errors.New("database down")
}

// A failed write is logged and dropped, not retried forever nor raised.
func TestFlushFailureIsLogged(t *testing.T) {
	var logged bytes.Buffer
	store := &failingStore{}
	r := New(store, slog.New(slog.NewTextHandler(&logged, nil)))
	p := portal.Principal{Audience: portal.AudiencePortal, WorkspaceID: "wsp_1", ContactID: "con_1", ClientID: "cli_1"}
	r.Viewed(p, portal.RecordTypeProject, "prj_1")
	r.Read(p, "Dashboard", portal.RecordTypeProject, "cli_1", []string{"prj_1"})
	r.Seen(p)
	r.Flush(t.Context())
	if store.calls != 3 || !bytes.Contains(logged.Bytes(), []byte("recording portal views")) || !bytes.Contains(logged.Bytes(), []byte("recording last seen")) ||
		!bytes.Contains(logged.Bytes(), []byte("recording reads")) {
		t.Errorf("%d calls, log %q", store.calls, logged.String())
	}
	r.Flush(t.Context())
	if store.calls != 3 {
		t.Errorf("the failed writes were tried again: %d calls", store.calls)
	}
}

func noErr(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("unexpected error: %v", err)
	}
}
