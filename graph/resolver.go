package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"

	"portalgraph/internal/portal"
)

// Resolver is the root of the resolvers. Resolvers stay thin: they read the
// principal, load through the request's loaders or call the store, and
// return. Authorization is the store's (rows) and the directives' (fields).
type Resolver struct {
	store Store
}

// node resolves any ID the principal may see; nil otherwise.
func (r *Resolver) node(ctx context.Context, id string) (portal.Node, error) {
	l := loadersFrom(ctx)
	switch portal.IDPrefix(id) {
	case portal.PrefixWorkspace:
		if id != portal.PrincipalFrom(ctx).WorkspaceID {
			return nil, nil
		}
		return nilNode(r.store.Workspace(ctx, portal.PrincipalFrom(ctx)))
	case portal.PrefixUser:
		return nilNode(load(ctx, l.users, id))
	case portal.PrefixClient:
		return nilNode(load(ctx, l.clients, id))
	case portal.PrefixContact:
		return nilNode(load(ctx, l.contacts, id))
	case portal.PrefixProject:
		return nilNode(load(ctx, l.projects, id))
	case portal.PrefixDeliverable:
		return nilNode(load(ctx, l.deliverables, id))
	case portal.PrefixApproval:
		return nilNode(load(ctx, l.approvals, id))
	case portal.PrefixDecision:
		return nilNode(load(ctx, l.decisions, id))
	case portal.PrefixNote:
		return nilNode(load(ctx, l.notes, id))
	case portal.PrefixActivity:
		return nilNode(load(ctx, l.activity, id))
	}
	return nil, nil
}

// nilNode keeps a typed nil record from becoming a non-nil interface.
func nilNode[T any, PT interface {
	*T
	portal.Node
}](rec PT, err error) (portal.Node, error) {
	if err != nil || rec == nil {
		return nil, err
	}
	return rec, nil
}

// found turns "not visible" into NOT_FOUND for lookups by ID.
func found[T any](rec *T, err error, id string) (*T, error) {
	if err == nil && rec == nil {
		return nil, portal.NotFound(id)
	}
	return rec, err
}

// pageArgs reads a connection's arguments, and whether its totalCount is
// selected: counting costs, so it is done only when asked for.
func pageArgs(ctx context.Context, first *int, after *string) (portal.PageArgs, error) {
	n := 20
	if first != nil {
		n = *first
	}
	if n < 0 || n > portal.MaxPageSize {
		return portal.PageArgs{}, portal.InvalidField("first", "must be between 0 and 100")
	}
	args := portal.PageArgs{First: n, After: after}
	for _, f := range graphql.CollectFieldsCtx(ctx, nil) {
		if f.Name == "totalCount" {
			args.Count = true
		}
	}
	return args, nil
}

func orEmpty[T any](v *T) T {
	if v == nil {
		var zero T
		return zero
	}
	return *v
}

// approvals is the approvals connection under a deliverable or a project.
func (r *Resolver) approvals(ctx context.Context, parent portal.RecordType, id string, first *int, after *string) (*portal.ApprovalConnection, error) {
	args, err := pageArgs(ctx, first, after)
	if err != nil {
		return nil, err
	}
	l := loadersFrom(ctx)
	return page(ctx, l, string(parent)+".approvals", args, id, func(ctx context.Context, ids []string) (map[string]*portal.ApprovalConnection, error) {
		return r.store.ApprovalsOf(ctx, l.p, parent, ids, args)
	})
}

// notes is the notes connection under a client or a project.
func (r *Resolver) notes(ctx context.Context, parent portal.RecordType, id string, first *int, after *string) (*portal.NoteConnection, error) {
	args, err := pageArgs(ctx, first, after)
	if err != nil {
		return nil, err
	}
	l := loadersFrom(ctx)
	return page(ctx, l, string(parent)+".notes", args, id, func(ctx context.Context, ids []string) (map[string]*portal.NoteConnection, error) {
		return r.store.NotesOf(ctx, l.p, parent, ids, args)
	})
}
