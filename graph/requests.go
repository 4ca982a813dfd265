package graph

import (
	"context"

	"portalgraph/internal/portal"
)

// requestStore opens, triages and lists client requests and their comments; part of Store.
type requestStore interface{}

func (r *Resolver) clientRequests(ctx context.Context, obj *portal.Client, first *int, after *string, filter *portal.ClientRequestFilter) (*portal.Connection[portal.ClientRequest], error) {
	return nil, errNotImplemented
}

func (r *Resolver) requestClient(ctx context.Context, obj *portal.ClientRequest) (*portal.Client, error) {
	return required(ctx, obj.ClientID, r.store.ClientsByID)
}

func (r *Resolver) requestProject(ctx context.Context, obj *portal.ClientRequest) (*portal.Project, error) {
	return optional(ctx, obj.ProjectID, r.store.ProjectsByID)
}

func (r *Resolver) requestAssignee(ctx context.Context, obj *portal.ClientRequest) (*portal.User, error) {
	return optional(ctx, obj.AssigneeID, r.store.UsersByID)
}

func (r *Resolver) requestOpenedBy(ctx context.Context, obj *portal.ClientRequest) (*portal.Contact, error) {
	return optional(ctx, obj.OpenedByID, r.store.ContactsByID)
}

func (r *Resolver) requestComments(ctx context.Context, obj *portal.ClientRequest, first *int, after *string) (*portal.Connection[portal.RequestComment], error) {
	return nil, errNotImplemented
}

func (r *Resolver) requestAttachments(ctx context.Context, obj *portal.ClientRequest) ([]*portal.File, error) {
	return nil, errNotImplemented
}

func (r *Resolver) openRequest(ctx context.Context, input portal.OpenRequestInput) (*portal.OpenRequestPayload, error) {
	return nil, errNotImplemented
}

func (r *Resolver) updateRequest(ctx context.Context, input portal.UpdateRequestInput) (*portal.UpdateRequestPayload, error) {
	return nil, errNotImplemented
}

func (r *Resolver) commentOnRequest(ctx context.Context, input portal.CommentOnRequestInput) (*portal.CommentOnRequestPayload, error) {
	return nil, errNotImplemented
}

func (r *Resolver) queryRequest(ctx context.Context, id string) (*portal.ClientRequest, error) {
	req, err := required(ctx, id, r.store.RequestsByID)
	viewed(r, ctx, portal.RecordTypeRequest, req)
	return req, err
}

func (r *Resolver) queryRequests(ctx context.Context, first *int, after *string, filter *portal.ClientRequestFilter) (*portal.Connection[portal.ClientRequest], error) {
	return nil, errNotImplemented
}

func (r *Resolver) commentRequest(ctx context.Context, obj *portal.RequestComment) (*portal.ClientRequest, error) {
	return required(ctx, obj.RequestID, r.store.RequestsByID)
}

func (r *Resolver) commentAuthorUser(ctx context.Context, obj *portal.RequestComment) (*portal.User, error) {
	return optional(ctx, obj.AuthorUserID, r.store.UsersByID)
}

func (r *Resolver) commentAuthorContact(ctx context.Context, obj *portal.RequestComment) (*portal.Contact, error) {
	return optional(ctx, obj.AuthorContactID, r.store.ContactsByID)
}
