package graph

import (
	"context"
	"fmt"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"

	"portalgraph/internal/portal"
)

// allowListStore keeps the workspace's persisted operations and the locks
// that hold partner keys and the portal to them; part of Store.
type allowListStore interface {
	PersistedDocument(ctx context.Context, workspaceID, hash string) (string, bool, error)
	PersistedOperations(ctx context.Context, p portal.Principal, page portal.PageArgs) (*portal.PersistedOperationConnection, error)
	RegisterPersistedOperation(ctx context.Context, p portal.Principal, name, document string) (*portal.PersistedOperation, error)
	UnregisterPersistedOperation(ctx context.Context, p portal.Principal, hash string) (bool, error)
	SetPartnerKeyPersistedOnly(ctx context.Context, p portal.Principal, id string, on bool) (*portal.PartnerKey, error)
	SetPortalPersistedOnly(ctx context.Context, p portal.Principal, on bool) (*portal.Workspace, error)
	ReadEvents(ctx context.Context, p portal.Principal, f portal.ReadEventFilter, page portal.PageArgs) (*portal.ReadEventConnection, error)
}

// registerPersistedOperation checks that the document is one GraphQL
// document with an operation before the store keeps it: a document no
// request could run is refused, naming the field.
func (r *Resolver) registerPersistedOperation(ctx context.Context, in portal.RegisterPersistedOperationInput) (*portal.RegisterPersistedOperationPayload, error) {
	doc, err := parser.ParseQuery(&ast.Source{Input: in.Document})
	if err != nil {
		return nil, portal.InvalidField("input.document", fmt.Sprintf("is not a GraphQL document: %s", gqlMessage(err)))
	}
	if len(doc.Operations) == 0 {
		return nil, portal.InvalidField("input.document", "has no operation")
	}
	op, err := r.store.RegisterPersistedOperation(ctx, portal.PrincipalFrom(ctx), in.Name, in.Document)
	if err != nil {
		return nil, err
	}
	return &portal.RegisterPersistedOperationPayload{PersistedOperation: op}, nil
}

func gqlMessage(err error) string {
	if ge, ok := err.(*gqlerror.Error); ok {
		return ge.Message
	}
	return err.Error()
}

func (r *Resolver) unregisterPersistedOperation(ctx context.Context, in portal.UnregisterPersistedOperationInput) (*portal.UnregisterPersistedOperationPayload, error) {
	removed, err := r.store.UnregisterPersistedOperation(ctx, portal.PrincipalFrom(ctx), in.Hash)
	if err != nil {
		return nil, err
	}
	return &portal.UnregisterPersistedOperationPayload{Removed: removed}, nil
}

func (r *Resolver) setPartnerKeyAllowList(ctx context.Context, in portal.SetPartnerKeyAllowListInput) (*portal.SetPartnerKeyAllowListPayload, error) {
	k, err := r.store.SetPartnerKeyPersistedOnly(ctx, portal.PrincipalFrom(ctx), in.ID, in.PersistedOnly)
	if err != nil {
		return nil, err
	}
	return &portal.SetPartnerKeyAllowListPayload{PartnerKey: k}, nil
}

func (r *Resolver) setPortalAllowList(ctx context.Context, in portal.SetPortalAllowListInput) (*portal.SetPortalAllowListPayload, error) {
	w, err := r.store.SetPortalPersistedOnly(ctx, portal.PrincipalFrom(ctx), in.PersistedOnly)
	if err != nil {
		return nil, err
	}
	return &portal.SetPortalAllowListPayload{Workspace: w}, nil
}

// allowList holds principals locked to the allow list (a locked partner
// key, a contact of a locked portal) to the workspace's persisted
// operations. It runs first of the checks, before automatic persisted
// queries: a locked principal's operation is run only if its hash is
// registered, whether it was sent by hash (extensions.persistedQuery
// .sha256Hash, the document then read from the store) or as a document
// (its hash computed); anything else is PERSISTED_QUERY_NOT_ALLOWED.
//
// The lookup is one read by the table's unique key per request of a locked
// principal; nothing is cached, so registering, unregistering and locking
// hold from the next request of every server. Whether a principal is
// locked is read with its credentials (the same statement).
//
// A principal that is not locked runs anything, as before; a hash its
// server's APQ cache does not know is looked up among the registered
// operations too, so registered operations work by hash for everyone.
type allowList struct {
	store interface {
		PersistedDocument(ctx context.Context, workspaceID, hash string) (string, bool, error)
	}
	apq graphql.Cache[string]
}

var _ graphql.OperationParameterMutator = allowList{}

func (allowList) ExtensionName() string                   { return "AllowList" }
func (allowList) Validate(graphql.ExecutableSchema) error { return nil }

func (a allowList) MutateOperationParameters(ctx context.Context, raw *graphql.RawParams) *gqlerror.Error {
	p := portal.PrincipalFrom(ctx)
	sent := sentHash(raw)
	if !p.PersistedOnly {
		if raw.Query != "" || sent == "" || p.WorkspaceID == "" {
			return nil
		}
		if _, ok := a.apq.Get(ctx, sent); ok {
			return nil
		}
		doc, ok, err := a.store.PersistedDocument(ctx, p.WorkspaceID, sent)
		if err != nil {
			return &gqlerror.Error{Message: err.Error(), Err: err}
		}
		if ok {
			raw.Query = doc
		}
		return nil // unknown: automatic persisted queries answer as usual
	}
	hash := sent
	if raw.Query != "" {
		hash = portal.OperationHash(raw.Query)
	}
	if hash == "" {
		return notAllowed(p, "send the sha256Hash of a registered operation in extensions.persistedQuery, or its document")
	}
	doc, ok, err := a.store.PersistedDocument(ctx, p.WorkspaceID, hash)
	if err != nil {
		return &gqlerror.Error{Message: err.Error(), Err: err}
	}
	if !ok {
		return notAllowed(p, "the operation is not one of the workspace's persisted operations")
	}
	raw.Query = doc
	return nil
}

func notAllowed(p portal.Principal, why string) *gqlerror.Error {
	who := "this API key runs"
	if p.IsPortal() {
		who = "this portal runs"
	}
	err := portal.PersistedOperationNotAllowed(who + " only the workspace's persisted operations: " + why)
	return &gqlerror.Error{Message: err.Message, Err: err}
}

// sentHash is the hash a request names in extensions.persistedQuery, or "".
func sentHash(raw *graphql.RawParams) string {
	pq, _ := raw.Extensions["persistedQuery"].(map[string]any)
	h, _ := pq["sha256Hash"].(string)
	return h
}
