package sqlstore

import (
	"context"

	"portalgraph/internal/live"
	"portalgraph/internal/portal"
)

// activity is what a write records about itself.
type activity struct {
	action     portal.ActivityAction
	recordType portal.RecordType
	recordID   string
	clientID   *string
	summary    string
	changed    changes
	// detailID names the record the change made under recordID, for
	// the live event only (the comment of a COMMENTED request).
	detailID string
}

// record writes an activity event in the transaction of the change it
// describes, so neither exists without the other, with its webhook
// deliveries.
func (s *Store) record(ctx context.Context, db execer, p portal.Principal, a activity) error {
	now := s.now()
	ev := &portal.ActivityEvent{
		WorkspaceID: p.WorkspaceID, ID: portal.NewID(portal.PrefixActivity, now),
		Action: a.action, RecordType: a.recordType, RecordID: a.recordID, ClientID: a.clientID,
		Summary: a.summary, Changed: portal.FieldList(a.changed), CreatedAt: now,
	}
	actor(p, ev)
	if err := insert(ctx, db, s.t.activity, ev); err != nil {
		return err
	}
	if err := s.enqueueWebhooks(ctx, db, ev); err != nil {
		return err
	}
	return s.announce(ctx, db, live.Event{
		WorkspaceID: ev.WorkspaceID, ActivityID: ev.ID, Action: ev.Action, RecordType: ev.RecordType, RecordID: ev.RecordID,
		ClientID: deref(ev.ClientID), DetailID: a.detailID,
	})
}

// actor names who did it: a staff member, a contact, or a staff member
// previewing the portal as a contact (both, marked as a preview).
func actor(p portal.Principal, ev *portal.ActivityEvent) {
	switch {
	case p.IsStaff():
		ev.ActorUserID = ptr(p.UserID)
	case p.IsPortal():
		ev.ActorContactID = ptr(p.ContactID)
		if p.Preview {
			ev.ActorUserID, ev.Preview = ptr(p.PreviewBy), true
		}
	}
}

// RecordActivity writes events made outside a change, such as views of
// records, in one statement per batch.
func (s *Store) RecordActivity(ctx context.Context, events []*portal.ActivityEvent) error {
	return insertMany(ctx, s.db, s.t.activity, events)
}
