// Package audit records what portal contacts look at and when they were
// last seen, without a write per request: views are gathered in memory,
// counted once per contact and record within a window, and written in one
// statement per flush; a contact's last-seen time is written at most once
// per interval.
package audit

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"portalgraph/internal/portal"
)

// Store is where the recorder writes.
type Store interface {
	RecordActivity(ctx context.Context, events []*portal.ActivityEvent) error
	TouchLastSeen(ctx context.Context, seen []portal.Seen) error
}

// Recorder gathers portal views and last-seen times for the store.
type Recorder struct {
	store Store
	log   *slog.Logger
	// A contact viewing one record again within viewWindow is one view.
	viewWindow time.Duration
	// A contact's last-seen time is written at most once per seenEvery.
	seenEvery time.Duration
	now       func() time.Time

	mu       sync.Mutex
	events   []*portal.ActivityEvent
	viewedAt map[viewKey]time.Time
	seenAt   map[string]time.Time // contact → last time queued
	seen     []portal.Seen
}

type viewKey struct{ viewer, record string }

func New(store Store, log *slog.Logger) *Recorder {
	return &Recorder{
		store: store, log: log, viewWindow: 10 * time.Minute, seenEvery: 5 * time.Minute,
		now:      func() time.Time { return time.Now().UTC().Truncate(time.Microsecond) },
		viewedAt: map[viewKey]time.Time{}, seenAt: map[string]time.Time{},
	}
}

// Viewed notes that a portal principal opened one record. Staff views are
// not portal activity and are not recorded.
func (r *Recorder) Viewed(p portal.Principal, rt portal.RecordType, recordID string) {
	if !p.IsPortal() {
		return
	}
	now := r.now()
	viewer := p.ContactID
	if p.Preview {
		viewer = "preview:" + p.PreviewBy + ":" + p.ContactID
	}
	key := viewKey{viewer, recordID}
	r.mu.Lock()
	defer r.mu.Unlock()
	if last, ok := r.viewedAt[key]; ok && now.Sub(last) < r.viewWindow {
		return
	}
	r.viewedAt[key] = now
	ev := &portal.ActivityEvent{
		WorkspaceID: p.WorkspaceID, ID: portal.NewID(portal.PrefixActivity, now),
		Action: portal.ActivityActionViewed, RecordType: rt, RecordID: recordID, ClientID: &p.ClientID,
		ActorContactID: &p.ContactID, Summary: "Viewed " + string(rt), Changed: portal.FieldList{}, CreatedAt: now,
	}
	if p.Preview {
		ev.ActorUserID, ev.Preview = &p.PreviewBy, true
		ev.Summary += " (preview)"
	}
	r.events = append(r.events, ev)
}

// Seen notes that a portal contact made a request. A preview is a staff
// member, not the contact, and does not count.
func (r *Recorder) Seen(p portal.Principal) {
	if !p.IsPortal() || p.Preview {
		return
	}
	now := r.now()
	r.mu.Lock()
	defer r.mu.Unlock()
	if last, ok := r.seenAt[p.ContactID]; ok && now.Sub(last) < r.seenEvery {
		return
	}
	r.seenAt[p.ContactID] = now
	r.seen = append(r.seen, portal.Seen{WorkspaceID: p.WorkspaceID, ContactID: p.ContactID, At: now})
}

// Flush writes what was gathered. What fails to write is logged and
// dropped: an audit write must never fail or hold up a request.
func (r *Recorder) Flush(ctx context.Context) {
	r.mu.Lock()
	events, seen := r.events, r.seen
	r.events, r.seen = nil, nil
	cutoff := r.now().Add(-max(r.viewWindow, r.seenEvery))
	for k, at := range r.viewedAt {
		if at.Before(cutoff) {
			delete(r.viewedAt, k)
		}
	}
	for k, at := range r.seenAt {
		if at.Before(cutoff) {
			delete(r.seenAt, k)
		}
	}
	r.mu.Unlock()
	if len(events) > 0 {
		if err := r.store.RecordActivity(ctx, events); err != nil {
			r.log.ErrorContext(ctx, "recording portal views", "events", len(events), "error", err)
		}
	}
	if len(seen) > 0 {
		if err := r.store.TouchLastSeen(ctx, seen); err != nil {
			r.log.ErrorContext(ctx, "recording last seen", "contacts", len(seen), "error", err)
		}
	}
}

// Run flushes every interval until ctx ends, then once more.
func (r *Recorder) Run(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			r.Flush(ctx)
		case <-ctx.Done():
			r.Flush(context.WithoutCancel(ctx))
			return
		}
	}
}
