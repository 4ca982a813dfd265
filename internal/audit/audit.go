// Package audit records what portal contacts look at, what they and
// partners' keys read, and when contacts were last seen, without a write
// per request: views are gathered in memory, counted once per contact and
// record within a window, and written in one statement per flush; reads
// are gathered per reader, operation, record type and client and written
// in one statement per flush; a contact's last-seen time is written at
// most once per interval.
package audit

import (
	"context"
	"log/slog"
	"slices"
	"sync"
	"time"

	"portalgraph/internal/portal"
)

// Store is where the recorder writes.
type Store interface {
	RecordActivity(ctx context.Context, events []*portal.ActivityEvent) error
	TouchLastSeen(ctx context.Context, seen []portal.Seen) error
	RecordReads(ctx context.Context, events []*portal.ReadEvent) error
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
	reads    map[readKey]*pendingRead
	// readOrder is the order reads were first gathered in, for the
	// events' IDs.
	readOrder []readKey
	// repeats is distinctIDs' scratch for reads between flushes.
	repeats map[string]struct{}
}

// readKey is what reads gathered between two flushes share to be one
// event.
type readKey struct {
	workspace, contact, previewBy, key, client, operation string
	recordType                                            portal.RecordType
}

// pendingRead is one event being gathered. Its IDs are appended as read,
// repeats and all, and made distinct at the flush (distinctIDs): a set per
// event, built on the request's path, was most of what the audit
// allocated for a dashboard. The first distinct IDs are known to repeat
// none; the rest are made distinct again once they outgrow twice that
// plus repeatSlack, so a reader opening one page over and over between
// flushes holds a bounded number of IDs.
//
// A read of just the IDs the reader's last read of the event added (a
// page reloaded, or polled) adds nothing: it would be dropped as repeats
// at the flush anyway, and appending it first grew the slice, a copy of
// every ID, on each request.
type pendingRead struct {
	event    *portal.ReadEvent
	distinct int
	// last is where the last read's IDs begin in event.IDs; len(IDs)
	// when they are no longer there as read.
	last int
}

// repeatSlack is how many IDs an event may gather beyond twice its known
// distinct ones before its repeats are dropped: more than a dashboard's
// page reads, so a first read is never made distinct on a request's path.
const repeatSlack = 4096

type viewKey struct{ viewer, record string }

func New(store Store, log *slog.Logger) *Recorder {
	return &Recorder{
		store: store, log: log, viewWindow: 10 * time.Minute, seenEvery: 5 * time.Minute,
		now:      func() time.Time { return time.Now().UTC().Truncate(time.Microsecond) },
		viewedAt: map[viewKey]time.Time{}, seenAt: map[string]time.Time{}, reads: map[readKey]*pendingRead{},
	}
}

// Read notes that a portal contact (or a staff member previewing the
// portal as one) or a partner's key received records of one type in an
// operation (its name, "" for none), of one client ("" for records of no
// one client). Staff reads are not recorded. Reads of the same reader,
// operation, type and client until the next flush are one event, at the
// time of the first, with every record ID once.
func (r *Recorder) Read(p portal.Principal, operation string, rt portal.RecordType, clientID string, ids []string) {
	if len(ids) == 0 || !p.IsPortal() && !p.IsPartner() {
		return
	}
	key := readKey{workspace: p.WorkspaceID, client: clientID, operation: operation, recordType: rt}
	switch {
	case p.IsPortal():
		key.contact = p.ContactID
		if p.Preview {
			key.previewBy = p.PreviewBy
		}
	default:
		key.key = p.Grant().KeyID
	}
	now := r.now()
	r.mu.Lock()
	defer r.mu.Unlock()
	pending := r.reads[key]
	if pending == nil {
		// Sized for the first batch: a dashboard's is hundreds of IDs,
		// and growing to them doubled and rehashed all the way.
		ev := &portal.ReadEvent{WorkspaceID: p.WorkspaceID, At: now, OperationName: operation, RecordType: rt, IDs: make(portal.FieldList, 0, len(ids)),
			ContactID: orNil(key.contact), PreviewByID: orNil(key.previewBy), PartnerKeyID: orNil(key.key), ClientID: orNil(clientID)}
		pending = &pendingRead{event: ev}
		r.reads[key] = pending
		r.readOrder = append(r.readOrder, key)
	}
	if slices.Equal(pending.event.IDs[pending.last:], ids) {
		return
	}
	pending.last = len(pending.event.IDs)
	pending.event.IDs = append(pending.event.IDs, ids...)
	if len(pending.event.IDs) > 2*pending.distinct+repeatSlack {
		if r.repeats == nil {
			r.repeats = map[string]struct{}{}
		}
		pending.event.IDs = distinctIDs(pending.event.IDs, r.repeats)
		pending.distinct = len(pending.event.IDs)
		pending.last = pending.distinct
	}
}

// distinctIDs drops the repeats of ids in place, keeping each ID's first
// place, with seen (emptied first) as scratch.
func distinctIDs(ids []string, seen map[string]struct{}) []string {
	clear(seen)
	kept := ids[:0]
	for _, id := range ids {
		n := len(seen)
		if seen[id] = struct{}{}; len(seen) > n {
			kept = append(kept, id)
		}
	}
	clear(kept[len(kept):len(ids)]) // the dropped strings are not kept alive
	return kept
}

func orNil(s string) *string {
	if s == "" {
		return nil
	}
	return &s
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
	reads := make([]*portal.ReadEvent, 0, len(r.readOrder))
	for _, k := range r.readOrder {
		ev := r.reads[k].event
		ev.ID = portal.NewID(portal.PrefixReadEvent, ev.At)
		reads = append(reads, ev)
	}
	r.reads, r.readOrder, r.repeats = map[readKey]*pendingRead{}, nil, nil
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
	seenIDs := map[string]struct{}{}
	for _, ev := range reads {
		ev.IDs = distinctIDs(ev.IDs, seenIDs)
	}
	if len(events) > 0 {
		if err := r.store.RecordActivity(ctx, events); err != nil {
			r.log.ErrorContext(ctx, "recording portal views", "events", len(events), "error", err)
		}
	}
	if len(reads) > 0 {
		if err := r.store.RecordReads(ctx, reads); err != nil {
			r.log.ErrorContext(ctx, "recording reads", "events", len(reads), "error", err)
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
