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
