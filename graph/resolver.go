package graph

import (
	"context"
	"reflect"
	"slices"

	"github.com/99designs/gqlgen/graphql"

	"portalgraph/internal/portal"
	"portalgraph/internal/signedurl"
)

// Resolver is the root of the resolvers. Resolvers stay thin: they read the
// principal, load through the request's loaders or call the store, and
// return. Authorization is the store's (rows) and the directives' (fields).
type Resolver struct {
	store  Store
	access Access
	audit  Audit

	blobs          Blobs
	downloads      *signedurl.Signer
	publicURL      string
	maxUploadBytes int64
}

// nodeField resolves any ID the principal may see through the field being
// resolved (node, ActivityEvent.record); nil otherwise.
func (r *Resolver) nodeField(ctx context.Context, id string) (portal.Node, error) {
	return fieldLoad(ctx, id, r.nodes, func(n portal.Node, byType map[string]int) {
		if n != nil {
			byType[reflect.TypeOf(n).Elem().Name()]++
		}
	})
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

// listedRoot passes on a root connection, noting its size for the loaders
// of the fields below it.
func listedRoot[T any](ctx context.Context, conn *portal.Connection[T], err error) (*portal.Connection[T], error) {
	if err != nil {
		return nil, err
	}
	listed(ctx, typeName[T](), len(conn.Edges))
	return conn, nil
}

// viewed notes that a portal principal opened one record, for the audit.
func viewed[T any, PT record[T]](r *Resolver, ctx context.Context, rt portal.RecordType, rec *T) {
	if rec != nil {
		r.audit.Viewed(portal.PrincipalFrom(ctx), rt, PT(rec).GetID())
	}
}

// pageArgs reads a connection's arguments, and whether its totalCount is
// selected: counting costs, so it is done only when asked for.
func pageArgs(ctx context.Context, first *int, after *string) (portal.PageArgs, error) {
	count := slices.ContainsFunc(graphql.CollectFieldsCtx(ctx, nil), func(f graphql.CollectedField) bool { return f.Name == "totalCount" })
	return newPageArgs(first, after, count)
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

// approvals is the approvals connection under a deliverable, a project or
// a client.
func (r *Resolver) approvals(ctx context.Context, parent portal.RecordType, id string, status []portal.ApprovalStatus, first *int, after *string) (*portal.ApprovalConnection, error) {
	args, err := pageArgs(ctx, first, after)
	if err != nil {
		return nil, err
	}
	return connection(ctx, id, func(ctx context.Context, p portal.Principal, ids []string) (map[string]*portal.ApprovalConnection, error) {
		return r.store.ApprovalsOf(ctx, p, parent, ids, status, args)
	})
}

// approvalList is a root list of approvals.
func (r *Resolver) approvalList(ctx context.Context, f portal.ApprovalFilter, o *portal.ApprovalOrder, first *int, after *string) (*portal.ApprovalConnection, error) {
	args, err := pageArgs(ctx, first, after)
	if err != nil {
		return nil, err
	}
	conn, err := r.store.Approvals(ctx, portal.PrincipalFrom(ctx), f, o, args)
	return listedRoot(ctx, conn, err)
}

// notes is the notes connection under a client or a project.
func (r *Resolver) notes(ctx context.Context, parent portal.RecordType, id string, first *int, after *string) (*portal.NoteConnection, error) {
	args, err := pageArgs(ctx, first, after)
	if err != nil {
		return nil, err
	}
	return connection(ctx, id, func(ctx context.Context, p portal.Principal, ids []string) (map[string]*portal.NoteConnection, error) {
		return r.store.NotesOf(ctx, p, parent, ids, args)
	})
}
