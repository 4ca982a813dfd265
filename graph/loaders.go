package graph

import (
	"context"
	"encoding/json"
	"sync"
	"time"

	"github.com/graph-gophers/dataloader/v7"

	"portalgraph/internal/portal"
)

// loaders batch the reads of one request. They are made per request, so
// every batch is scoped by the request's principal and nothing is cached
// across requests: a change is seen by the very next request.
type loaders struct {
	store Store
	p     portal.Principal
	wait  time.Duration

	users        *dataloader.Loader[string, *portal.User]
	clients      *dataloader.Loader[string, *portal.Client]
	contacts     *dataloader.Loader[string, *portal.Contact]
	projects     *dataloader.Loader[string, *portal.Project]
	deliverables *dataloader.Loader[string, *portal.Deliverable]
	approvals    *dataloader.Loader[string, *portal.Approval]
	decisions    *dataloader.Loader[string, *portal.ApprovalDecision]
	notes        *dataloader.Loader[string, *portal.Note]
	activity     *dataloader.Loader[string, *portal.ActivityEvent]

	approvers   *dataloader.Loader[string, []*portal.Contact]
	decisionsOf *dataloader.Loader[string, []*portal.ApprovalDecision]

	// Connections under parents, one loader per distinct set of arguments:
	// parents asking for the same page share one statement.
	mu    sync.Mutex
	pages map[string]any
}

func newLoaders(store Store, p portal.Principal, wait time.Duration) *loaders {
	l := &loaders{store: store, p: p, wait: wait, pages: map[string]any{}}
	l.users = byIDLoader(l, store.UsersByID, func(r *portal.User) string { return r.ID })
	l.clients = byIDLoader(l, store.ClientsByID, func(r *portal.Client) string { return r.ID })
	l.contacts = byIDLoader(l, store.ContactsByID, func(r *portal.Contact) string { return r.ID })
	l.projects = byIDLoader(l, store.ProjectsByID, func(r *portal.Project) string { return r.ID })
	l.deliverables = byIDLoader(l, store.DeliverablesByID, func(r *portal.Deliverable) string { return r.ID })
	l.approvals = byIDLoader(l, store.ApprovalsByID, func(r *portal.Approval) string { return r.ID })
	l.decisions = byIDLoader(l, store.DecisionsByID, func(r *portal.ApprovalDecision) string { return r.ID })
	l.notes = byIDLoader(l, store.NotesByID, func(r *portal.Note) string { return r.ID })
	l.activity = byIDLoader(l, store.ActivityByID, func(r *portal.ActivityEvent) string { return r.ID })
	l.approvers = groupLoader(l, store.ApproversOf)
	l.decisionsOf = groupLoader(l, store.DecisionsOf)
	return l
}

type loadersKey struct{}

func withLoaders(ctx context.Context, l *loaders) context.Context {
	return context.WithValue(ctx, loadersKey{}, l)
}

func loadersFrom(ctx context.Context) *loaders {
	return ctx.Value(loadersKey{}).(*loaders)
}

func options[V any](wait time.Duration) []dataloader.Option[string, V] {
	return []dataloader.Option[string, V]{dataloader.WithWait[string, V](wait)}
}

// byIDLoader batches lookups by ID. A record the principal may not see is
// absent from the batch's answer and loads as nil, like one that does not
// exist.
func byIDLoader[T any](l *loaders, fetch func(context.Context, portal.Principal, []string) ([]*T, error), id func(*T) string) *dataloader.Loader[string, *T] {
	return dataloader.NewBatchedLoader(func(ctx context.Context, ids []string) []*dataloader.Result[*T] {
		recs, err := fetch(ctx, l.p, ids)
		out := make([]*dataloader.Result[*T], len(ids))
		if err != nil {
			for i := range out {
				out[i] = &dataloader.Result[*T]{Error: err}
			}
			return out
		}
		found := make(map[string]*T, len(recs))
		for _, r := range recs {
			found[id(r)] = r
		}
		for i, k := range ids {
			out[i] = &dataloader.Result[*T]{Data: found[k]}
		}
		return out
	}, options[*T](l.wait)...)
}

// groupLoader batches reads of the records under many parents.
func groupLoader[V any](l *loaders, fetch func(context.Context, portal.Principal, []string) (map[string]V, error)) *dataloader.Loader[string, V] {
	return dataloader.NewBatchedLoader(func(ctx context.Context, ids []string) []*dataloader.Result[V] {
		groups, err := fetch(ctx, l.p, ids)
		out := make([]*dataloader.Result[V], len(ids))
		for i, k := range ids {
			out[i] = &dataloader.Result[V]{Data: groups[k], Error: err}
		}
		return out
	}, options[V](l.wait)...)
}

// page loads one parent's page of a connection, batched with every other
// parent asking for the same page. name identifies the connection field;
// args are everything besides the parent that shapes the page.
func page[T any](ctx context.Context, l *loaders, name string, args any, parentID string,
	fetch func(ctx context.Context, ids []string) (map[string]*portal.Connection[T], error),
) (*portal.Connection[T], error) {
	key, err := json.Marshal(args)
	if err != nil {
		return nil, err
	}
	l.mu.Lock()
	ld, ok := l.pages[name+string(key)].(*dataloader.Loader[string, *portal.Connection[T]])
	if !ok {
		ld = groupLoader(l, func(ctx context.Context, _ portal.Principal, ids []string) (map[string]*portal.Connection[T], error) {
			return fetch(ctx, ids)
		})
		l.pages[name+string(key)] = ld
	}
	l.mu.Unlock()
	conn, err := ld.Load(ctx, parentID)()
	if err != nil {
		return nil, err
	}
	if conn == nil {
		conn = &portal.Connection[T]{Edges: []portal.Edge[T]{}}
	}
	return conn, nil
}

// load reads one record through a loader; nil when the principal may not
// see it or it does not exist.
func load[T any](ctx context.Context, ld *dataloader.Loader[string, *T], id string) (*T, error) {
	return ld.Load(ctx, id)()
}

// loadRequired reads a record a non-null relation points to. It exists and
// is visible whenever its child is, so absence is reported as NOT_FOUND
// rather than breaking the response.
func loadRequired[T any](ctx context.Context, ld *dataloader.Loader[string, *T], id string) (*T, error) {
	rec, err := load(ctx, ld, id)
	if err == nil && rec == nil {
		return nil, portal.NotFound(id)
	}
	return rec, err
}

// loadOptional reads a record through a nullable relation.
func loadOptional[T any](ctx context.Context, ld *dataloader.Loader[string, *T], id *string) (*T, error) {
	if id == nil {
		return nil, nil
	}
	return load(ctx, ld, *id)
}
