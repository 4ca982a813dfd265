package graph

import (
	"context"

	"portalgraph/internal/portal"
)

// deletionStore deletes, restores and erases records; see README,
// "Deleting records". Each call is one transaction of the store.
type deletionStore interface {
	DeleteProject(ctx context.Context, p portal.Principal, id string) (*portal.DeleteProjectPayload, error)
	DeleteDeliverable(ctx context.Context, p portal.Principal, id string) (*portal.DeleteDeliverablePayload, error)
	DeleteApproval(ctx context.Context, p portal.Principal, id string) (*portal.DeleteApprovalPayload, error)
	DeleteReport(ctx context.Context, p portal.Principal, id string) (*portal.DeleteReportPayload, error)
	DeleteRequest(ctx context.Context, p portal.Principal, id string) (*portal.DeleteRequestPayload, error)
	RestoreRecord(ctx context.Context, p portal.Principal, id string) (*portal.RestoreRecordPayload, error)
	DeleteNote(ctx context.Context, p portal.Principal, id string) (*portal.DeleteNotePayload, error)
	DeleteComment(ctx context.Context, p portal.Principal, id string) (*portal.DeleteCommentPayload, error)
	EraseContact(ctx context.Context, p portal.Principal, id string) (*portal.EraseContactPayload, error)
	DeletedRecords(ctx context.Context, p portal.Principal, page portal.PageArgs) (*portal.DeletedRecordConnection, error)
}

// restore restores a deleted record of the kind prefix names: each kind
// has its own mutation, named with the permission it needs, and an ID of
// another kind is refused before the store is asked.
func (r *mutationResolver) restore(ctx context.Context, prefix, kind, id string) (*portal.RestoreRecordPayload, error) {
	if !portal.HasPrefix(id, prefix) {
		return nil, portal.InvalidField("input.id", "not the ID of "+kind)
	}
	return r.store.RestoreRecord(ctx, portal.PrincipalFrom(ctx), id)
}

// decidedByOf names each decision's approver as the viewer sees them: by
// their name, or as a former contact once they are erased (an erased
// contact is hidden from every read, so absent here).
func decidedByOf(s Store) func(ctx context.Context, p portal.Principal, ids []string) (map[string]string, error) {
	return func(ctx context.Context, p portal.Principal, ids []string) (map[string]string, error) {
		contacts, err := s.ContactsByID(ctx, p, ids)
		if err != nil {
			return nil, err
		}
		names := make(map[string]string, len(contacts))
		for _, c := range contacts {
			names[c.ID] = c.Name
		}
		return names, nil
	}
}

func decidedBy(name, _ string) (string, error) {
	if name == "" {
		return portal.FormerContact, nil
	}
	return name, nil
}
