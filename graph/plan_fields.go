package graph

import (
	"context"
	"strconv"
	"time"

	"github.com/99designs/gqlgen/graphql"

	"portalgraph/graph/scalar"
	"portalgraph/internal/portal"
)

// planTypes are the object types and fields the planner covers: the records
// dashboards read and the relations between them. Each relation makes the
// store call its resolver's loader makes, for every object at its place at
// once, so scoping is the store's, exactly as on gqlgen's path; the tests
// run every covered query both ways and compare the bytes.
func planTypes(store Store) map[string]planType {
	return map[string]planType{
		"Query": {
			"viewer": {batch: func(ctx context.Context, _ fieldInput, _ []any) ([]any, error) {
				p := portal.PrincipalFrom(ctx)
				return []any{&p}, nil
			}},
			"client": {batch: func(ctx context.Context, in fieldInput, _ []any) ([]any, error) {
				id, err := scalar.UnmarshalID(in.args["id"])
				if err != nil {
					return nil, err
				}
				return toOne(ctx, []string{id}, true, store.ClientsByID)
			}},
			"clients": rootConnection(func(in fieldInput, p portal.Principal, page portal.PageArgs) (*portal.ClientConnection, error) {
				f, o, err := inputs[portal.ClientFilter, portal.ClientOrder](in)
				if err != nil {
					return nil, err
				}
				return store.Clients(in.ctx, p, orEmpty(f), o, page)
			}),
			"projects": rootConnection(func(in fieldInput, p portal.Principal, page portal.PageArgs) (*portal.ProjectConnection, error) {
				f, o, err := inputs[portal.ProjectFilter, portal.ProjectOrder](in)
				if err != nil {
					return nil, err
				}
				return store.Projects(in.ctx, p, orEmpty(f), o, page)
			}),
			"deliverables": rootConnection(func(in fieldInput, p portal.Principal, page portal.PageArgs) (*portal.DeliverableConnection, error) {
				f, o, err := inputs[portal.DeliverableFilter, portal.DeliverableOrder](in)
				if err != nil {
					return nil, err
				}
				return store.Deliverables(in.ctx, p, orEmpty(f), o, page)
			}),
		},
		"Viewer": {
			"audience": leaf(func(b []byte, v *portal.Principal) []byte { return appendEnum(b, v.Audience) }),
			"preview":  leaf(func(b []byte, v *portal.Principal) []byte { return strconv.AppendBool(b, v.Preview) }),
			"client":   viewerOne(func(v *portal.Principal) string { return v.ClientID }, store.ClientsByID),
			"contact":  viewerOne(func(v *portal.Principal) string { return v.ContactID }, store.ContactsByID),
		},
		"User": {
			"id":    str(func(u *portal.User) string { return u.ID }),
			"name":  str(func(u *portal.User) string { return u.Name }),
			"email": str(func(u *portal.User) string { return u.Email }),
		},
		"Client": {
			"id":            str(func(c *portal.Client) string { return c.ID }),
			"name":          str(func(c *portal.Client) string { return c.Name }),
			"organization":  optStr(func(c *portal.Client) *string { return c.Organization }),
			"email":         optStr(func(c *portal.Client) *string { return c.Email }),
			"phone":         optStr(func(c *portal.Client) *string { return c.Phone }),
			"website":       optStr(func(c *portal.Client) *string { return c.Website }),
			"portalEnabled": leaf(func(b []byte, c *portal.Client) []byte { return strconv.AppendBool(b, c.PortalEnabled) }),
			"status":        leaf(func(b []byte, c *portal.Client) []byte { return appendEnum(b, c.Status) }),
			"internalNotes": optStr(func(c *portal.Client) *string { return c.InternalNotes }),
			"createdAt":     timestamp(func(c *portal.Client) time.Time { return c.CreatedAt }),
			"updatedAt":     timestamp(func(c *portal.Client) time.Time { return c.UpdatedAt }),
			"archivedAt":    optTimestamp(func(c *portal.Client) *time.Time { return c.ArchivedAt }),
			"owner":         relation(func(c *portal.Client) *string { return c.OwnerID }, false, store.UsersByID),
			"projects": connectionOf(func(c *portal.Client) string { return c.ID }, func(in fieldInput, p portal.Principal, ids []string, page portal.PageArgs) (map[string]*portal.ProjectConnection, error) {
				f, o, err := inputs[portal.ClientProjectFilter, portal.ProjectOrder](in)
				if err != nil {
					return nil, err
				}
				return store.ProjectsOfClients(in.ctx, p, ids, orEmpty(f), o, page)
			}),
		},
		"Contact": {
			"id":     str(func(c *portal.Contact) string { return c.ID }),
			"name":   str(func(c *portal.Contact) string { return c.Name }),
			"email":  str(func(c *portal.Contact) string { return c.Email }),
			"phone":  optStr(func(c *portal.Contact) *string { return c.Phone }),
			"title":  optStr(func(c *portal.Contact) *string { return c.Title }),
			"client": relation(func(c *portal.Contact) *string { return &c.ClientID }, true, store.ClientsByID),
		},
		"Project": {
			"id":            str(func(p *portal.Project) string { return p.ID }),
			"name":          str(func(p *portal.Project) string { return p.Name }),
			"description":   optStr(func(p *portal.Project) *string { return p.Description }),
			"status":        leaf(func(b []byte, p *portal.Project) []byte { return appendEnum(b, p.Status) }),
			"visibility":    leaf(func(b []byte, p *portal.Project) []byte { return appendEnum(b, p.Visibility) }),
			"startsOn":      date(func(p *portal.Project) *portal.Date { return p.StartsOn }),
			"dueOn":         date(func(p *portal.Project) *portal.Date { return p.DueOn }),
			"budgetCents":   nullable(func(p *portal.Project) *int { return p.BudgetCents }, func(b []byte, n int) []byte { return strconv.AppendInt(b, int64(n), 10) }),
			"internalNotes": optStr(func(p *portal.Project) *string { return p.InternalNotes }),
			"createdAt":     timestamp(func(p *portal.Project) time.Time { return p.CreatedAt }),
			"updatedAt":     timestamp(func(p *portal.Project) time.Time { return p.UpdatedAt }),
			"client":        relation(func(p *portal.Project) *string { return &p.ClientID }, true, store.ClientsByID),
			"owner":         relation(func(p *portal.Project) *string { return p.OwnerID }, false, store.UsersByID),
			"deliverables": connectionOf(func(p *portal.Project) string { return p.ID }, func(in fieldInput, p portal.Principal, ids []string, page portal.PageArgs) (map[string]*portal.DeliverableConnection, error) {
				f, o, err := inputs[portal.ProjectDeliverableFilter, portal.DeliverableOrder](in)
				if err != nil {
					return nil, err
				}
				return store.DeliverablesOfProjects(in.ctx, p, ids, orEmpty(f), o, page)
			}),
			"approvals": approvalsOf[portal.Project](store, portal.RecordTypeProject, func(p *portal.Project) string { return p.ID }),
		},
		"Deliverable": {
			"id":          str(func(d *portal.Deliverable) string { return d.ID }),
			"title":       str(func(d *portal.Deliverable) string { return d.Title }),
			"description": optStr(func(d *portal.Deliverable) *string { return d.Description }),
			"status":      leaf(func(b []byte, d *portal.Deliverable) []byte { return appendEnum(b, d.Status) }),
			"visibility":  leaf(func(b []byte, d *portal.Deliverable) []byte { return appendEnum(b, d.Visibility) }),
			"dueOn":       date(func(d *portal.Deliverable) *portal.Date { return d.DueOn }),
			"createdAt":   timestamp(func(d *portal.Deliverable) time.Time { return d.CreatedAt }),
			"updatedAt":   timestamp(func(d *portal.Deliverable) time.Time { return d.UpdatedAt }),
			"project":     relation(func(d *portal.Deliverable) *string { return &d.ProjectID }, true, store.ProjectsByID),
			"approvals":   approvalsOf[portal.Deliverable](store, portal.RecordTypeDeliverable, func(d *portal.Deliverable) string { return d.ID }),
		},
		"Approval": {
			"id":            str(func(a *portal.Approval) string { return a.ID }),
			"title":         str(func(a *portal.Approval) string { return a.Title }),
			"message":       optStr(func(a *portal.Approval) *string { return a.Message }),
			"status":        leaf(func(b []byte, a *portal.Approval) []byte { return appendEnum(b, a.Status) }),
			"policy":        leaf(func(b []byte, a *portal.Approval) []byte { return appendEnum(b, a.Policy) }),
			"dueOn":         date(func(a *portal.Approval) *portal.Date { return a.DueOn }),
			"round":         leaf(func(b []byte, a *portal.Approval) []byte { return strconv.AppendInt(b, int64(a.Round), 10) }),
			"createdAt":     timestamp(func(a *portal.Approval) time.Time { return a.CreatedAt }),
			"internalNotes": optStr(func(a *portal.Approval) *string { return a.InternalNotes }),
			"remindedAt":    optTimestamp(func(a *portal.Approval) *time.Time { return a.RemindedAt }),
			"resolvedAt":    optTimestamp(func(a *portal.Approval) *time.Time { return a.ResolvedAt }),
			"deliverable":   relation(func(a *portal.Approval) *string { return &a.DeliverableID }, true, store.DeliverablesByID),
			"approvers":     listOf(func(a *portal.Approval) string { return a.ID }, store.ApproversOf),
			"decisions":     listOf(func(a *portal.Approval) string { return a.ID }, store.DecisionsOf),
		},
		"ApprovalDecision": {
			"id":         str(func(d *portal.ApprovalDecision) string { return d.ID }),
			"outcome":    leaf(func(b []byte, d *portal.ApprovalDecision) []byte { return appendEnum(b, d.Outcome) }),
			"comment":    optStr(func(d *portal.ApprovalDecision) *string { return d.Comment }),
			"onBehalf":   leaf(func(b []byte, d *portal.ApprovalDecision) []byte { return strconv.AppendBool(b, d.OnBehalf()) }),
			"superseded": leaf(func(b []byte, d *portal.ApprovalDecision) []byte { return strconv.AppendBool(b, d.Superseded()) }),
			"decidedAt":  timestamp(func(d *portal.ApprovalDecision) time.Time { return d.DecidedAt }),
			"contact":    relation(func(d *portal.ApprovalDecision) *string { return &d.ContactID }, true, store.ContactsByID),
		},
		"PageInfo": {
			"hasNextPage":     leaf(func(b []byte, pi *portal.PageInfo) []byte { return strconv.AppendBool(b, pi.HasNextPage) }),
			"hasPreviousPage": leaf(func(b []byte, pi *portal.PageInfo) []byte { return strconv.AppendBool(b, pi.HasPreviousPage) }),
			"startCursor":     optStr(func(pi *portal.PageInfo) *string { return pi.StartCursor }),
			"endCursor":       optStr(func(pi *portal.PageInfo) *string { return pi.EndCursor }),
		},
		"ClientConnection":      connectionType[portal.Client](),
		"ClientEdge":            edgeType[portal.Client](),
		"ProjectConnection":     connectionType[portal.Project](),
		"ProjectEdge":           edgeType[portal.Project](),
		"DeliverableConnection": connectionType[portal.Deliverable](),
		"DeliverableEdge":       edgeType[portal.Deliverable](),
		"ApprovalConnection":    connectionType[portal.Approval](),
		"ApprovalEdge":          edgeType[portal.Approval](),
	}
}

// leaf is a field written from its object alone.
func leaf[T any](write func(b []byte, obj *T) []byte) planField {
	return planField{leaf: func(b []byte, obj any) ([]byte, bool) { return write(b, obj.(*T)), true }}
}

func str[T any](get func(*T) string) planField {
	return leaf(func(b []byte, obj *T) []byte { return appendQuoted(b, get(obj)) })
}

func optStr[T any](get func(*T) *string) planField { return nullable(get, appendQuoted) }

func date[T any](get func(*T) *portal.Date) planField {
	return nullable(get, func(b []byte, d portal.Date) []byte { return strconv.AppendQuote(b, d.String()) })
}

// nullable is a field whose value may be absent: null then, else written
// by write.
func nullable[T, V any](get func(*T) *V, write func(b []byte, v V) []byte) planField {
	return leaf(func(b []byte, obj *T) []byte {
		if v := get(obj); v != nil {
			return write(b, *v)
		}
		return append(b, "null"...)
	})
}

// timestamp is a non-null Time field; gqlgen answers a zero time with an
// error, so the planner leaves such a field to it.
func timestamp[T any](get func(*T) time.Time) planField {
	return planField{leaf: func(b []byte, obj any) ([]byte, bool) {
		t := get(obj.(*T))
		if t.IsZero() {
			return nil, false
		}
		return strconv.AppendQuote(b, t.Format(time.RFC3339Nano)), true
	}}
}

// optTimestamp is a nullable Time field; gqlgen writes a zero time as null
// too.
func optTimestamp[T any](get func(*T) *time.Time) planField {
	return nullable(get, func(b []byte, t time.Time) []byte {
		if t.IsZero() {
			return append(b, "null"...)
		}
		return strconv.AppendQuote(b, t.Format(time.RFC3339Nano))
	})
}

// held is a field whose value its object holds.
func held[T any](get func(*T) any) planField {
	return planField{held: func(obj any) any { return get(obj.(*T)) }}
}

func connectionType[T any]() planType {
	return planType{
		"totalCount": leaf(func(b []byte, c *portal.Connection[T]) []byte { return strconv.AppendInt(b, int64(c.TotalCount), 10) }),
		"pageInfo":   held(func(c *portal.Connection[T]) any { return &c.PageInfo }),
		"edges": held(func(c *portal.Connection[T]) any {
			edges := make([]any, len(c.Edges))
			for i := range c.Edges {
				edges[i] = &c.Edges[i]
			}
			return edges
		}),
	}
}

func edgeType[T any]() planType {
	return planType{
		"cursor": str(func(e *portal.Edge[T]) string { return e.Cursor }),
		"node": held(func(e *portal.Edge[T]) any {
			if e.Node == nil {
				return nil
			}
			return e.Node
		}),
	}
}

// batchOf is a field resolved for all objects of type P at a place at once.
func batchOf[P any](resolve func(in fieldInput, objs []*P) ([]any, error)) planField {
	return planField{batch: func(ctx context.Context, in fieldInput, objs []any) ([]any, error) {
		typed := make([]*P, len(objs))
		for i, o := range objs {
			typed[i] = o.(*P)
		}
		return resolve(in, typed)
	}}
}

// relation is a to-one relation by the ID its object holds; required ones
// must be found, as their resolvers insist.
func relation[P, T any, PT record[T]](key func(*P) *string, required bool, fetch byID[T]) planField {
	return batchOf(func(in fieldInput, objs []*P) ([]any, error) {
		keys := make([]string, len(objs))
		for i, o := range objs {
			if k := key(o); k != nil {
				keys[i] = *k
			}
		}
		return toOne[T, PT](in.ctx, keys, required, fetch)
	})
}

// toOne reads the records with the keys ("" for none) in one store call,
// one value per key.
func toOne[T any, PT record[T]](ctx context.Context, keys []string, required bool, fetch byID[T]) ([]any, error) {
	var found map[string]*T
	if ids := distinct(keys); len(ids) > 0 {
		recs, err := fetch(ctx, portal.PrincipalFrom(ctx), ids)
		if err != nil {
			return nil, err
		}
		found = make(map[string]*T, len(recs))
		for _, r := range recs {
			found[PT(r).GetID()] = r
		}
	}
	vals := make([]any, len(keys))
	for i, k := range keys {
		switch r := found[k]; {
		case r != nil:
			vals[i] = r
		case required:
			return nil, portal.NotFound(k)
		}
	}
	return vals, nil
}

// viewerOne is a portal contact's own record, null for anyone else.
func viewerOne[T any, PT record[T]](key func(*portal.Principal) string, fetch byID[T]) planField {
	return batchOf(func(in fieldInput, objs []*portal.Principal) ([]any, error) {
		keys := make([]string, len(objs))
		for i, v := range objs {
			if v.IsPortal() {
				keys[i] = key(v)
			}
		}
		return toOne[T, PT](in.ctx, keys, false, fetch)
	})
}

// listOf is a list under each object, read for all of them at once.
func listOf[P, T any](key func(*P) string, fetch func(ctx context.Context, p portal.Principal, ids []string) (map[string][]*T, error)) planField {
	return batchOf(func(in fieldInput, objs []*P) ([]any, error) {
		keys := make([]string, len(objs))
		for i, o := range objs {
			keys[i] = key(o)
		}
		lists, err := fetch(in.ctx, portal.PrincipalFrom(in.ctx), distinct(keys))
		if err != nil {
			return nil, err
		}
		vals := make([]any, len(objs))
		for i, k := range keys {
			list := make([]any, len(lists[k]))
			for j, r := range lists[k] {
				list[j] = r
			}
			vals[i] = list
		}
		return vals, nil
	})
}

// connectionOf is a connection under each object, every object's page
// read in one statement.
func connectionOf[P, T any](key func(*P) string, fetch func(in fieldInput, p portal.Principal, ids []string, page portal.PageArgs) (map[string]*portal.Connection[T], error)) planField {
	return batchOf(func(in fieldInput, objs []*P) ([]any, error) {
		page, err := in.page()
		if err != nil {
			return nil, err
		}
		keys := make([]string, len(objs))
		for i, o := range objs {
			keys[i] = key(o)
		}
		conns, err := fetch(in, portal.PrincipalFrom(in.ctx), distinct(keys), page)
		if err != nil {
			return nil, err
		}
		vals := make([]any, len(objs))
		for i, k := range keys {
			conn := conns[k]
			if conn == nil {
				conn = &portal.Connection[T]{Edges: []portal.Edge[T]{}}
			}
			vals[i] = conn
		}
		return vals, nil
	})
}

// rootConnection is a connection on the query root.
func rootConnection[T any](fetch func(in fieldInput, p portal.Principal, page portal.PageArgs) (*portal.Connection[T], error)) planField {
	return planField{batch: func(ctx context.Context, in fieldInput, _ []any) ([]any, error) {
		page, err := in.page()
		if err != nil {
			return nil, err
		}
		conn, err := fetch(in, portal.PrincipalFrom(ctx), page)
		if err != nil {
			return nil, err
		}
		return []any{conn}, nil
	}}
}

func approvalsOf[P any](store Store, parent portal.RecordType, key func(*P) string) planField {
	return connectionOf(key, func(in fieldInput, p portal.Principal, ids []string, page portal.PageArgs) (map[string]*portal.ApprovalConnection, error) {
		return store.ApprovalsOf(in.ctx, p, parent, ids, nil, page)
	})
}

// page reads a connection's first and after, through the scalars the
// generated code reads them with.
func (in fieldInput) page() (portal.PageArgs, error) {
	var first *int
	if raw := in.args["first"]; raw != nil {
		n, err := scalar.UnmarshalInt(raw)
		if err != nil {
			return portal.PageArgs{}, err
		}
		first = &n
	}
	var after *string
	if raw := in.args["after"]; raw != nil {
		s, err := scalar.UnmarshalString(raw)
		if err != nil {
			return portal.PageArgs{}, err
		}
		after = &s
	}
	return newPageArgs(first, after, in.count)
}

// inputs reads a connection's filter and orderBy through the generated
// unmarshalers, defaults and all.
func inputs[F, O any](in fieldInput) (*F, *O, error) {
	f, err := input[F](in, "filter")
	if err != nil {
		return nil, nil, err
	}
	o, err := input[O](in, "orderBy")
	return f, o, err
}

func input[T any](in fieldInput, name string) (*T, error) {
	raw := in.args[name]
	arg := in.def.Arguments.ForName(name)
	if raw == nil || arg == nil {
		return nil, nil
	}
	var v T
	if err := graphql.UnmarshalNamedInputFromContext(in.ctx, arg.Type.Name(), raw, &v); err != nil {
		return nil, err
	}
	return &v, nil
}
