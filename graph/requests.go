package graph

import (
	"context"

	"portalgraph/internal/portal"
)

// requestStore opens, triages and lists client requests and their comments; part of Store.
type requestStore interface {
	Requests(ctx context.Context, p portal.Principal, f portal.ClientRequestFilter, page portal.PageArgs) (*portal.ClientRequestConnection, error)
	RequestsOfClients(ctx context.Context, p portal.Principal, clientIDs []string, f portal.ClientRequestFilter, page portal.PageArgs) (map[string]*portal.ClientRequestConnection, error)
	CommentsOfRequests(ctx context.Context, p portal.Principal, requestIDs []string, page portal.PageArgs) (map[string]*portal.RequestCommentConnection, error)
	AttachmentsOfRequests(ctx context.Context, p portal.Principal, requestIDs []string) (map[string][]*portal.File, error)

	OpenRequest(ctx context.Context, p portal.Principal, in portal.OpenRequestInput) (*portal.ClientRequest, error)
	UpdateRequest(ctx context.Context, p portal.Principal, in portal.UpdateRequestInput) (*portal.ClientRequest, error)
	CommentOnRequest(ctx context.Context, p portal.Principal, in portal.CommentOnRequestInput) (*portal.RequestComment, error)
}

func (r *Resolver) clientRequests(ctx context.Context, obj *portal.Client, first *int, after *string, filter *portal.ClientRequestFilter) (*portal.Connection[portal.ClientRequest], error) {
	args, err := pageArgs(ctx, first, after)
	if err != nil {
		return nil, err
	}
	return connection(ctx, obj.ID, func(ctx context.Context, p portal.Principal, ids []string) (map[string]*portal.ClientRequestConnection, error) {
		return r.store.RequestsOfClients(ctx, p, ids, orEmpty(filter), args)
	})
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
	args, err := pageArgs(ctx, first, after)
	if err != nil {
		return nil, err
	}
	return connection(ctx, obj.ID, func(ctx context.Context, p portal.Principal, ids []string) (map[string]*portal.RequestCommentConnection, error) {
		return r.store.CommentsOfRequests(ctx, p, ids, args)
	})
}

func (r *Resolver) requestAttachments(ctx context.Context, obj *portal.ClientRequest) ([]*portal.File, error) {
	return list(ctx, obj.ID, r.store.AttachmentsOfRequests)
}

func (r *Resolver) openRequest(ctx context.Context, input portal.OpenRequestInput) (*portal.OpenRequestPayload, error) {
	req, err := r.store.OpenRequest(ctx, portal.PrincipalFrom(ctx), input)
	if err != nil {
		return nil, err
	}
	return &portal.OpenRequestPayload{Request: req}, nil
}

func (r *Resolver) updateRequest(ctx context.Context, input portal.UpdateRequestInput) (*portal.UpdateRequestPayload, error) {
	req, err := r.store.UpdateRequest(ctx, portal.PrincipalFrom(ctx), input)
	if err != nil {
		return nil, err
	}
	return &portal.UpdateRequestPayload{Request: req}, nil
}

func (r *Resolver) commentOnRequest(ctx context.Context, input portal.CommentOnRequestInput) (*portal.CommentOnRequestPayload, error) {
	c, err := r.store.CommentOnRequest(ctx, portal.PrincipalFrom(ctx), input)
	if err != nil {
		return nil, err
	}
	return &portal.CommentOnRequestPayload{Comment: c}, nil
}

func (r *Resolver) queryRequest(ctx context.Context, id string) (*portal.ClientRequest, error) {
	req, err := required(ctx, id, r.store.RequestsByID)
	viewed(r, ctx, portal.RecordTypeRequest, req)
	return req, err
}

func (r *Resolver) queryRequests(ctx context.Context, first *int, after *string, filter *portal.ClientRequestFilter) (*portal.Connection[portal.ClientRequest], error) {
	args, err := pageArgs(ctx, first, after)
	if err != nil {
		return nil, err
	}
	conn, err := r.store.Requests(ctx, portal.PrincipalFrom(ctx), orEmpty(filter), args)
	return listedRoot(ctx, conn, err)
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
