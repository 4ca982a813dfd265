package graph

import (
	"context"
	"log/slog"
	"slices"
	"sync"

	"portalgraph/internal/live"
	"portalgraph/internal/portal"
	"portalgraph/internal/signedurl"
)

// Resolver is the root of the resolvers. Resolvers stay thin: a read is
// its field's one definition (readFields), resolved through the request's
// loaders; a mutation calls the store and returns. Authorization is the
// store's (rows) and the directives' (fields).
type Resolver struct {
	fields map[string]readField // readFields, by "Type.field"
	store  Store
	access Access
	audit  Audit
	// gatherings are the audit of reads' scratch (received).
	gatherings sync.Pool

	blobs          Blobs
	downloads      *signedurl.Signer
	publicURL      string
	maxUploadBytes int64

	// events subscribes to committed changes (nil: no subscriptions);
	// maxSubscriptions bounds a connection's.
	events           func(ctx context.Context, workspaceID string, buffer int) (*live.Subscription, error)
	maxSubscriptions int
	log              *slog.Logger

	// webhooksAllowPrivate accepts endpoints on loopback and private
	// addresses.
	webhooksAllowPrivate bool
}

// nodes reads records of any kind by ID: one statement per kind asked for.
func (r *Resolver) nodes(ctx context.Context, p portal.Principal, ids []string) (map[string]portal.Node, error) {
	byKind := map[string][]string{}
	for _, id := range ids {
		byKind[portal.IDPrefix(id)] = append(byKind[portal.IDPrefix(id)], id)
	}
	out := make(map[string]portal.Node, len(ids))
	for prefix, ids := range byKind {
		var err error
		switch prefix {
		case portal.PrefixWorkspace:
			var w *portal.Workspace
			if w, err = r.store.Workspace(ctx, p); w != nil && slices.Contains(ids, w.ID) {
				out[w.ID] = w
			}
		case portal.PrefixUser:
			err = addNodes(ctx, p, out, ids, r.store.UsersByID)
		case portal.PrefixRole:
			err = addNodes(ctx, p, out, ids, r.store.RolesByID)
		case portal.PrefixClient:
			err = addNodes(ctx, p, out, ids, r.store.ClientsByID)
		case portal.PrefixContact:
			err = addNodes(ctx, p, out, ids, r.store.ContactsByID)
		case portal.PrefixProject:
			err = addNodes(ctx, p, out, ids, r.store.ProjectsByID)
		case portal.PrefixDeliverable:
			err = addNodes(ctx, p, out, ids, r.store.DeliverablesByID)
		case portal.PrefixApproval:
			err = addNodes(ctx, p, out, ids, r.store.ApprovalsByID)
		case portal.PrefixDecision:
			err = addNodes(ctx, p, out, ids, r.store.DecisionsByID)
		case portal.PrefixNote:
			err = addNodes(ctx, p, out, ids, r.store.NotesByID)
		case portal.PrefixActivity:
			err = addNodes(ctx, p, out, ids, r.store.ActivityByID)
		case portal.PrefixFile:
			err = addNodes(ctx, p, out, ids, r.store.FilesByID)
		case portal.PrefixReport:
			err = addNodes(ctx, p, out, ids, r.store.ReportsByID)
		case portal.PrefixExport:
			err = addNodes(ctx, p, out, ids, r.store.ExportsByID)
		case portal.PrefixRequest:
			err = addNodes(ctx, p, out, ids, r.store.RequestsByID)
		case portal.PrefixComment:
			err = addNodes(ctx, p, out, ids, r.store.CommentsByID)
		}
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

func addNodes[T any, PT interface {
	record[T]
	portal.Node
}](ctx context.Context, p portal.Principal, out map[string]portal.Node, ids []string, fetch byID[T]) error {
	recs, err := fetch(ctx, p, ids)
	for _, rec := range recs {
		out[PT(rec).GetID()] = PT(rec)
	}
	return err
}

// newPageArgs checks a connection's arguments; count is whether its
// totalCount is asked for.
func newPageArgs(first *int, after *string, count bool) (portal.PageArgs, error) {
	n := 20
	if first != nil {
		n = *first
	}
	if n < 0 || n > portal.MaxPageSize {
		return portal.PageArgs{}, portal.InvalidField("first", "must be between 0 and 100")
	}
	return portal.PageArgs{First: n, After: after, Count: count}, nil
}

func orEmpty[T any](v *T) T {
	if v == nil {
		var zero T
		return zero
	}
	return *v
}
