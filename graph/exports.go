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

func (r *Resolver) requestExport(ctx context.Context, input portal.RequestExportInput) (*portal.RequestExportPayload, error) {
	e, err := r.store.RequestExport(ctx, portal.PrincipalFrom(ctx), input)
	if err != nil {
		return nil, err
	}
	return &portal.RequestExportPayload{Export: e}, nil
}
