package sqlstore

import (
	"context"

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
}

// record writes an activity event in the transaction of the change it
// describes, so neither exists without the other.
func (s *Store) record(ctx context.Context, db execer, p portal.Principal, a activity) error {
	now := s.now()
	ev := &portal.ActivityEvent{
		WorkspaceID: p.WorkspaceID, ID: portal.NewID(portal.PrefixActivity, now),
		Action: a.action, RecordType: a.recordType, RecordID: a.recordID, ClientID: a.clientID,
		Summary: a.summary, Changed: portal.FieldList(a.changed), CreatedAt: now,
	}
	switch {
	case p.IsStaff():
		ev.ActorUserID = ptr(p.UserID)
	case p.IsPortal():
		ev.ActorContactID = ptr(p.ContactID)
	}
	return insert(ctx, db, s.t.activity, ev)
}
