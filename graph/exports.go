package graph

import (
	"context"

	"portalgraph/internal/portal"
)

// exportStore queues and lists CSV exports, which the export workers
// (internal/exports) build; part of Store.
type exportStore interface {
	ExportsOfClients(ctx context.Context, p portal.Principal, clientIDs []string, page portal.PageArgs) (map[string]*portal.ExportConnection, error)
	RequestExport(ctx context.Context, p portal.Principal, in portal.RequestExportInput) (*portal.Export, error)
}

func (r *Resolver) clientExports(ctx context.Context, obj *portal.Client, first *int, after *string) (*portal.Connection[portal.Export], error) {
	args, err := pageArgs(ctx, first, after)
	if err != nil {
		return nil, err
	}
	return connection(ctx, obj.ID, func(ctx context.Context, p portal.Principal, ids []string) (map[string]*portal.ExportConnection, error) {
		return r.store.ExportsOfClients(ctx, p, ids, args)
	})
}

func (r *Resolver) exportClient(ctx context.Context, obj *portal.Export) (*portal.Client, error) {
	return required(ctx, obj.ClientID, r.store.ClientsByID)
}

func (r *Resolver) exportFile(ctx context.Context, obj *portal.Export) (*portal.File, error) {
	return optional(ctx, obj.FileID, r.store.FilesByID)
}

func (r *Resolver) exportRequestedBy(ctx context.Context, obj *portal.Export) (*portal.User, error) {
	return optional(ctx, obj.RequestedByID, r.store.UsersByID)
}

func (r *Resolver) exportRequestedByContact(ctx context.Context, obj *portal.Export) (*portal.Contact, error) {
	return optional(ctx, obj.RequestedByContactID, r.store.ContactsByID)
}

func (r *Resolver) requestExport(ctx context.Context, input portal.RequestExportInput) (*portal.RequestExportPayload, error) {
	e, err := r.store.RequestExport(ctx, portal.PrincipalFrom(ctx), input)
	if err != nil {
		return nil, err
	}
	return &portal.RequestExportPayload{Export: e}, nil
}

func (r *Resolver) queryExport(ctx context.Context, id string) (*portal.Export, error) {
	return required(ctx, id, r.store.ExportsByID)
}
