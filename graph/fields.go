package graph

import (
	"context"
	"maps"
	"net/url"
	"reflect"
	"slices"
	"time"

	"github.com/99designs/gqlgen/graphql"

	"portalgraph/internal/portal"
)

// A field read through a resolver is defined here, once, for both
// executors: its store call, the arguments it reads and what it records.
// Its batch resolves the field for every object at one place in the
// response at once. The planner calls it with those objects; gqlgen's
// resolvers call it through the request's loaders, which gather the same
// objects (resolve). Fields read from the Go value itself need no
// definition: graph/generated/fields.go has them, generated.
type readField struct {
	// batch returns one value per object, the value its resolver returns
	// (typed, typed nils included), or failed for an object whose field
	// is an error.
	batch func(in fieldInput, objs []any) ([]any, error)
	// objects is what a value holds for the fields below it: an object,
	// []any of objects (an absent one nil), or nil. Nil for scalar and
	// enum fields.
	objects func(v any) any
	// count adds the objects a value holds by GraphQL type, for the
	// loaders' batch sizes.
	count func(v any, byType map[string]int)
	// reads are the Go fields of its objects the batch reads beyond
	// their own ID and client's, which reads always fill (portal.Fields):
	// the planner reads only the fields a query's selections need.
	reads []string
}

// fieldInput is what a batch reads besides its objects.
type fieldInput struct {
	ctx context.Context
	// args are the field's arguments as gqlgen's argument code reads
	// them: defaults applied, inputs unmarshaled and checked.
	args map[string]any
	// count is whether totalCount is asked for below the field.
	count bool
}

// failed is the value of a field that is an error for its object alone.
type failed struct{ err error }

// arg is the argument name, as the generated resolver would receive it.
func arg[T any](in fieldInput, name string) T {
	v, _ := in.args[name].(T)
	return v
}

// page reads a connection's first and after.
func (in fieldInput) page() (portal.PageArgs, error) {
	return newPageArgs(arg[*int](in, "first"), arg[*string](in, "after"), in.count)
}

func (in fieldInput) principal() portal.Principal { return portal.PrincipalFrom(in.ctx) }

// readFields are the definitions of every field with a resolver, but the
// mutations', by "Type.field". TestEveryFieldIsDefinedOnce holds them to
// the generated resolvers.
func (r *Resolver) readFields() map[string]readField {
	s := r.store
	opened := openedRecords()
	fields := map[string]readField{
		"Query.viewer": root(func(in fieldInput) (*portal.Principal, error) {
			p := in.principal()
			return &p, nil
		}),
		"Query.node":   viewed(r, opened, nodeOf(r, func(in fieldInput, _ *struct{}) string { return arg[string](in, "id") }, true)),
		"Query.client": viewed(r, opened, byArg(s.ClientsByID)),
		"Query.clients": rootConnection(func(in fieldInput, p portal.Principal, page portal.PageArgs) (*portal.ClientConnection, error) {
			return s.Clients(in.ctx, p, orEmpty(arg[*portal.ClientFilter](in, "filter")), arg[*portal.ClientOrder](in, "orderBy"), page)
		}),
		"Query.project": viewed(r, opened, byArg(s.ProjectsByID)),
		"Query.projects": rootConnection(func(in fieldInput, p portal.Principal, page portal.PageArgs) (*portal.ProjectConnection, error) {
			return s.Projects(in.ctx, p, orEmpty(arg[*portal.ProjectFilter](in, "filter")), arg[*portal.ProjectOrder](in, "orderBy"), page)
		}),
		"Query.deliverable": viewed(r, opened, byArg(s.DeliverablesByID)),
		"Query.deliverables": rootConnection(func(in fieldInput, p portal.Principal, page portal.PageArgs) (*portal.DeliverableConnection, error) {
			return s.Deliverables(in.ctx, p, orEmpty(arg[*portal.DeliverableFilter](in, "filter")), arg[*portal.DeliverableOrder](in, "orderBy"), page)
		}),
		"Query.approval": viewed(r, opened, byArg(s.ApprovalsByID)),
		"Query.approvals": rootConnection(func(in fieldInput, p portal.Principal, page portal.PageArgs) (*portal.ApprovalConnection, error) {
			return s.Approvals(in.ctx, p, orEmpty(arg[*portal.ApprovalFilter](in, "filter")), arg[*portal.ApprovalOrder](in, "orderBy"), page)
		}),
		"Query.users": rootConnection(func(in fieldInput, p portal.Principal, page portal.PageArgs) (*portal.UserConnection, error) {
			return s.Users(in.ctx, p, page)
		}),
		"Query.file":   viewed(r, opened, byArg(s.FilesByID)),
		"Query.report": viewed(r, opened, byArg(s.ReportsByID)),
		"Query.reports": rootConnection(func(in fieldInput, p portal.Principal, page portal.PageArgs) (*portal.ReportConnection, error) {
			return s.Reports(in.ctx, p, orEmpty(arg[*portal.ReportFilter](in, "filter")), page)
		}),
		"Query.export":  viewed(r, opened, byArg(s.ExportsByID)),
		"Query.request": viewed(r, opened, byArg(s.RequestsByID)),
		"Query.requests": rootConnection(func(in fieldInput, p portal.Principal, page portal.PageArgs) (*portal.ClientRequestConnection, error) {
			return s.Requests(in.ctx, p, orEmpty(arg[*portal.ClientRequestFilter](in, "filter")), page)
		}),

		"Viewer.workspace": each(func(in fieldInput, v *portal.Principal) (*portal.Workspace, error) {
			return s.Workspace(in.ctx, *v)
		}),
		// The workspace is the principal's own, whose features, plan
		// and usage are read with the principal.
		"Workspace.features": each(func(in fieldInput, _ *portal.Workspace) ([]portal.FeatureKey, error) {
			return in.principal().Features().Keys(), nil
		}),
		"Workspace.plan": each(func(in fieldInput, _ *portal.Workspace) (*portal.Plan, error) {
			w, err := s.WorkspacePlan(in.ctx, in.principal())
			return w.Plan, err
		}),
		"Workspace.addOns": each(func(in fieldInput, _ *portal.Workspace) ([]*portal.AddOn, error) {
			w, err := s.WorkspacePlan(in.ctx, in.principal())
			return w.AddOns, err
		}),
		"Workspace.usage": each(func(in fieldInput, _ *portal.Workspace) ([]*portal.PlanUsage, error) {
			return s.Usage(in.ctx, in.principal())
		}),
		"Query.access": root(func(in fieldInput) (*portal.AccessExplanation, error) {
			return s.ExplainAccess(in.ctx, in.principal(), arg[string](in, "principalId"), arg[string](in, "recordId"))
		}),
		// A viewer's own records: a staff member's user, a portal
		// contact's contact and client; null for anyone else.
		"Viewer.user": optional(func(v *portal.Principal) *string {
			if !v.IsStaff() {
				return nil
			}
			return &v.UserID
		}, s.UsersByID),
		"Viewer.contact": optional(func(v *portal.Principal) *string {
			if !v.IsPortal() {
				return nil
			}
			return &v.ContactID
		}, s.ContactsByID),
		"Viewer.client": optional(func(v *portal.Principal) *string {
			if !v.IsPortal() {
				return nil
			}
			return &v.ClientID
		}, s.ClientsByID),
		"Viewer.pendingApprovals": each(func(in fieldInput, v *portal.Principal) (*portal.ApprovalConnection, error) {
			if !v.IsPortal() {
				return nil, nil
			}
			page, err := in.page()
			if err != nil {
				return nil, err
			}
			pending := portal.ApprovalFilter{Status: []portal.ApprovalStatus{portal.ApprovalStatusPending}, ApproverID: &v.ContactID}
			return s.Approvals(in.ctx, *v, pending, &portal.ApprovalOrder{Field: portal.ApprovalOrderFieldDueOn}, page)
		}),

		"Client.owner":          optional(func(c *portal.Client) *string { return c.OwnerID }, s.UsersByID),
		"Client.portalOverview": keyed(clientID, s.PortalOverviewsOf, requiredValue[*portal.ClientPortalOverview]),
		"Client.portalStatus": keyed(clientID, s.PortalOverviewsOf, func(o *portal.ClientPortalOverview, _ string) (portal.ClientPortalStatus, error) {
			if o == nil {
				return "", nil
			}
			return o.Status, nil
		}),
		"Client.contacts": connectionOf(clientID, func(in fieldInput, p portal.Principal, ids []string, page portal.PageArgs) (map[string]*portal.ContactConnection, error) {
			return s.ContactsOfClients(in.ctx, p, ids, arg[[]portal.PortalStatus](in, "portalStatus"), page)
		}),
		"Client.projects": connectionOf(clientID, func(in fieldInput, p portal.Principal, ids []string, page portal.PageArgs) (map[string]*portal.ProjectConnection, error) {
			return s.ProjectsOfClients(in.ctx, p, ids, orEmpty(arg[*portal.ClientProjectFilter](in, "filter")), arg[*portal.ProjectOrder](in, "orderBy"), page)
		}),
		"Client.notes": notesOf(s, portal.RecordTypeClient, clientID),
		"Client.activity": connectionOf(clientID, func(in fieldInput, p portal.Principal, ids []string, page portal.PageArgs) (map[string]*portal.ActivityEventConnection, error) {
			return s.ActivityOfClients(in.ctx, p, ids, orEmpty(arg[*portal.ActivityFilter](in, "filter")), page)
		}),
		"Client.approvals": connectionOf(clientID, func(in fieldInput, p portal.Principal, ids []string, page portal.PageArgs) (map[string]*portal.ApprovalConnection, error) {
			return s.ApprovalsOf(in.ctx, p, portal.RecordTypeClient, ids, arg[[]portal.ApprovalStatus](in, "status"), page)
		}),
		"Client.files":   filesOf(s, portal.RecordTypeClient, clientID),
		"Client.reports": reportsOf(s, portal.RecordTypeClient, clientID),
		"Client.exports": connectionOf(clientID, func(in fieldInput, p portal.Principal, ids []string, page portal.PageArgs) (map[string]*portal.ExportConnection, error) {
			return s.ExportsOfClients(in.ctx, p, ids, page)
		}),
		"Client.requests": connectionOf(clientID, func(in fieldInput, p portal.Principal, ids []string, page portal.PageArgs) (map[string]*portal.ClientRequestConnection, error) {
			return s.RequestsOfClients(in.ctx, p, ids, orEmpty(arg[*portal.ClientRequestFilter](in, "filter")), page)
		}),

		"Contact.client":          required(func(c *portal.Contact) string { return c.ClientID }, s.ClientsByID),
		"Contact.inviteExpiresAt": keyed(func(c *portal.Contact) string { return c.ID }, s.PendingInviteExpiries, orNil[*time.Time]),

		"Project.client": required(func(p *portal.Project) string { return p.ClientID }, s.ClientsByID),
		"Project.owner":  optional(func(p *portal.Project) *string { return p.OwnerID }, s.UsersByID),
		"Project.deliverables": connectionOf(projectID, func(in fieldInput, p portal.Principal, ids []string, page portal.PageArgs) (map[string]*portal.DeliverableConnection, error) {
			return s.DeliverablesOfProjects(in.ctx, p, ids, orEmpty(arg[*portal.ProjectDeliverableFilter](in, "filter")), arg[*portal.DeliverableOrder](in, "orderBy"), page)
		}),
		"Project.approvals": approvalsOf(s, portal.RecordTypeProject, projectID),
		"Project.notes":     notesOf(s, portal.RecordTypeProject, projectID),
		"Project.files":     filesOf(s, portal.RecordTypeProject, projectID),
		"Project.reports":   reportsOf(s, portal.RecordTypeProject, projectID),

		"Deliverable.project":   required(func(d *portal.Deliverable) string { return d.ProjectID }, s.ProjectsByID),
		"Deliverable.approvals": approvalsOf(s, portal.RecordTypeDeliverable, func(d *portal.Deliverable) string { return d.ID }),
		"Deliverable.files": connectionOf(func(d *portal.Deliverable) string { return d.ID }, func(in fieldInput, p portal.Principal, ids []string, page portal.PageArgs) (map[string]*portal.FileConnection, error) {
			all := arg[*bool](in, "allVersions")
			return s.FilesOf(in.ctx, p, portal.RecordTypeDeliverable, ids, all != nil && *all, page)
		}),

		"Approval.deliverable":     required(func(a *portal.Approval) string { return a.DeliverableID }, s.DeliverablesByID),
		"Approval.previousRound":   optional(func(a *portal.Approval) *string { return a.PreviousRoundID }, s.ApprovalsByID),
		"Approval.nextRound":       keyed(approvalID, s.NextRoundsOf, orNil[*portal.Approval]),
		"Approval.requestedBy":     optional(func(a *portal.Approval) *string { return a.RequestedByID }, s.UsersByID),
		"Approval.approvers":       listOf(approvalID, s.ApproversOf),
		"Approval.decisions":       listOf(approvalID, s.DecisionsOf),
		"Approval.decisionHistory": listOf(approvalID, s.DecisionHistoryOf),

		"ApprovalDecision.approval": required(func(d *portal.ApprovalDecision) string { return d.ApprovalID }, s.ApprovalsByID),
		// Null once the contact is erased; decidedBy then reads "a former contact".
		"ApprovalDecision.contact":    optional(func(d *portal.ApprovalDecision) *string { return &d.ContactID }, s.ContactsByID),
		"ApprovalDecision.decidedBy":  keyed(func(d *portal.ApprovalDecision) string { return d.ContactID }, decidedByOf(s), decidedBy),
		"ApprovalDecision.recordedBy": optional(func(d *portal.ApprovalDecision) *string { return d.RecordedByID }, s.UsersByID),

		"Note.author":  optional(func(n *portal.Note) *string { return n.AuthorID }, s.UsersByID),
		"Note.client":  required(func(n *portal.Note) string { return n.ClientID }, s.ClientsByID),
		"Note.project": optional(func(n *portal.Note) *string { return n.ProjectID }, s.ProjectsByID),

		"ActivityEvent.record":       nodeOf(r, func(_ fieldInput, e *portal.ActivityEvent) string { return e.RecordID }, false),
		"ActivityEvent.actorUser":    optional(func(e *portal.ActivityEvent) *string { return e.ActorUserID }, s.UsersByID),
		"ActivityEvent.actorContact": optional(func(e *portal.ActivityEvent) *string { return e.ActorContactID }, s.ContactsByID),
		"ActivityEvent.client":       optional(func(e *portal.ActivityEvent) *string { return e.ClientID }, s.ClientsByID),

		"File.versions":          listOf(func(f *portal.File) string { return f.SeriesID }, s.VersionsOf),
		"File.client":            required(func(f *portal.File) string { return f.ClientID }, s.ClientsByID),
		"File.project":           optional(func(f *portal.File) *string { return f.ProjectID }, s.ProjectsByID),
		"File.deliverable":       optional(func(f *portal.File) *string { return f.DeliverableID }, s.DeliverablesByID),
		"File.request":           optional(func(f *portal.File) *string { return f.RequestID }, s.RequestsByID),
		"File.uploadedBy":        optional(func(f *portal.File) *string { return f.UploadedByID }, s.UsersByID),
		"File.uploadedByContact": optional(func(f *portal.File) *string { return f.UploadedByContactID }, s.ContactsByID),
		// A link for the viewer alone. The file was read under the
		// viewer's scope, which is the check when the link is made; the
		// download checks it again when the link is used.
		"File.downloadUrl": each(func(in fieldInput, f *portal.File) (string, error) {
			token, _ := r.downloads.Sign(in.principal(), f.ID)
			return r.publicURL + "/files/" + url.PathEscape(f.ID) + "?token=" + token, nil
		}),

		"Report.client":  required(func(rep *portal.Report) string { return rep.ClientID }, s.ClientsByID),
		"Report.project": optional(func(rep *portal.Report) *string { return rep.ProjectID }, s.ProjectsByID),
		"Report.author":  optional(func(rep *portal.Report) *string { return rep.AuthorID }, s.UsersByID),
		"Report.metrics": reading([]string{"Metrics"}, each(func(_ fieldInput, rep *portal.Report) ([]*portal.ReportMetric, error) {
			return rep.Metrics, nil
		})),

		"Export.client":             required(func(e *portal.Export) string { return e.ClientID }, s.ClientsByID),
		"Export.file":               optional(func(e *portal.Export) *string { return e.FileID }, s.FilesByID),
		"Export.requestedBy":        optional(func(e *portal.Export) *string { return e.RequestedByID }, s.UsersByID),
		"Export.requestedByContact": optional(func(e *portal.Export) *string { return e.RequestedByContactID }, s.ContactsByID),

		"ClientRequest.client":   required(func(q *portal.ClientRequest) string { return q.ClientID }, s.ClientsByID),
		"ClientRequest.project":  optional(func(q *portal.ClientRequest) *string { return q.ProjectID }, s.ProjectsByID),
		"ClientRequest.assignee": optional(func(q *portal.ClientRequest) *string { return q.AssigneeID }, s.UsersByID),
		"ClientRequest.openedBy": optional(func(q *portal.ClientRequest) *string { return q.OpenedByID }, s.ContactsByID),
		"ClientRequest.comments": connectionOf(requestID, func(in fieldInput, p portal.Principal, ids []string, page portal.PageArgs) (map[string]*portal.RequestCommentConnection, error) {
			return s.CommentsOfRequests(in.ctx, p, ids, page)
		}),
		"ClientRequest.attachments": listOf(requestID, s.AttachmentsOfRequests),

		"Query.partnerKeys": rootConnection(func(in fieldInput, p portal.Principal, page portal.PageArgs) (*portal.PartnerKeyConnection, error) {
			all := arg[*bool](in, "includeRevoked")
			return s.PartnerKeys(in.ctx, p, all != nil && *all, page)
		}),
		"PartnerKey.clients":   partnerKeyClients(s),
		"PartnerKey.createdBy": optional(func(k *portal.PartnerKey) *string { return k.CreatedByID }, s.UsersByID),

		"RequestComment.request":       required(func(c *portal.RequestComment) string { return c.RequestID }, s.RequestsByID),
		"RequestComment.authorUser":    optional(func(c *portal.RequestComment) *string { return c.AuthorUserID }, s.UsersByID),
		"RequestComment.authorContact": optional(func(c *portal.RequestComment) *string { return c.AuthorContactID }, s.ContactsByID),

		"Query.persistedOperations": rootConnection(func(in fieldInput, p portal.Principal, page portal.PageArgs) (*portal.PersistedOperationConnection, error) {
			return s.PersistedOperations(in.ctx, p, page)
		}),
		"PersistedOperation.createdBy": optional(func(o *portal.PersistedOperation) *string { return o.CreatedByID }, s.UsersByID),
		"Query.readEvents": rootConnection(func(in fieldInput, p portal.Principal, page portal.PageArgs) (*portal.ReadEventConnection, error) {
			return s.ReadEvents(in.ctx, p, orEmpty(arg[*portal.ReadEventFilter](in, "filter")), page)
		}),
		"ReadEvent.contact": optional(func(e *portal.ReadEvent) *string { return e.ContactID }, s.ContactsByID),
		"ReadEvent.client":  optional(func(e *portal.ReadEvent) *string { return e.ClientID }, s.ClientsByID),

		"Query.roles": root(func(in fieldInput) ([]*portal.Role, error) {
			return s.Roles(in.ctx, in.principal())
		}),
		"User.role": required(func(u *portal.User) string { return u.RoleID }, s.RolesByID),
		"Role.memberCount": keyed(func(r *portal.Role) string { return r.ID }, s.RoleMemberCounts, func(n int, _ string) (int, error) {
			return n, nil
		}),

		"Query.webhookEndpoints": rootConnection(func(in fieldInput, p portal.Principal, page portal.PageArgs) (*portal.WebhookEndpointConnection, error) {
			return s.WebhookEndpoints(in.ctx, p, page)
		}),
		"Query.deletedRecords": rootConnection(func(in fieldInput, p portal.Principal, page portal.PageArgs) (*portal.DeletedRecordConnection, error) {
			return s.DeletedRecords(in.ctx, p, page)
		}),
		"DeletedRecord.deletedBy": optional(func(d *portal.DeletedRecord) *string { return d.DeletedByID }, s.UsersByID),

		"WebhookEndpoint.createdBy": optional(func(e *portal.WebhookEndpoint) *string { return e.CreatedByID }, s.UsersByID),
		"WebhookEndpoint.deliveries": connectionOf(func(e *portal.WebhookEndpoint) string { return e.ID }, func(in fieldInput, p portal.Principal, ids []string, page portal.PageArgs) (map[string]*portal.WebhookDeliveryConnection, error) {
			return s.DeliveriesOfEndpoints(in.ctx, p, ids, page)
		}),
	}
	maps.Copy(fields, dashboardFields(s))
	// Every record a portal contact or a partner's key receives, through
	// any field, is recorded for the audit of reads.
	for name, f := range fields {
		fields[name] = received(r, f)
	}
	return fields
}

// reading is f, which reads fields of its objects besides their IDs.
func reading(fields []string, f readField) readField {
	f.reads = append(f.reads, fields...)
	return f
}

// keyedBy is f, which reads its objects' field that key returns: found by
// asking key of an object whose every string field holds its own name.
// Keys are IDs, read straight from a field; a key that is not one reads
// its objects whole.
func keyedBy[P any, K string | *string](key func(*P) K, f readField) readField {
	var probe P
	v := reflect.ValueOf(&probe).Elem()
	if v.Kind() != reflect.Struct {
		return f
	}
	for i := range v.NumField() {
		name := v.Type().Field(i).Name
		switch fv := v.Field(i); {
		case !fv.CanSet():
		case fv.Kind() == reflect.String:
			fv.SetString(name)
		case fv.Type() == reflect.TypeFor[*string]():
			fv.Set(reflect.ValueOf(&name))
		}
	}
	var field string
	switch k := any(key(&probe)).(type) {
	case string:
		field = k
	case *string:
		if k != nil {
			field = *k
		}
	}
	if _, ok := v.Type().FieldByName(field); !ok {
		field = wholeObject
	}
	return reading([]string{field}, f)
}

// The keys relations below records are read by.
func clientID(c *portal.Client) string         { return c.ID }
func projectID(p *portal.Project) string       { return p.ID }
func approvalID(a *portal.Approval) string     { return a.ID }
func requestID(q *portal.ClientRequest) string { return q.ID }

// orNil is a keyed field's value as found: null when absent.
func orNil[V any](v V, _ string) (V, error) { return v, nil }

// requiredValue is a keyed field's value that must be found.
func requiredValue[V comparable](v V, key string) (V, error) {
	var zero V
	if v == zero {
		return zero, portal.NotFound(key)
	}
	return v, nil
}

func approvalsOf[P any](s Store, parent portal.RecordType, key func(*P) string) readField {
	return connectionOf(key, func(in fieldInput, p portal.Principal, ids []string, page portal.PageArgs) (map[string]*portal.ApprovalConnection, error) {
		return s.ApprovalsOf(in.ctx, p, parent, ids, nil, page)
	})
}

func notesOf[P any](s Store, parent portal.RecordType, key func(*P) string) readField {
	return connectionOf(key, func(in fieldInput, p portal.Principal, ids []string, page portal.PageArgs) (map[string]*portal.NoteConnection, error) {
		return s.NotesOf(in.ctx, p, parent, ids, page)
	})
}

func filesOf[P any](s Store, parent portal.RecordType, key func(*P) string) readField {
	return connectionOf(key, func(in fieldInput, p portal.Principal, ids []string, page portal.PageArgs) (map[string]*portal.FileConnection, error) {
		return s.FilesOf(in.ctx, p, parent, ids, false, page)
	})
}

func reportsOf[P any](s Store, parent portal.RecordType, key func(*P) string) readField {
	return connectionOf(key, func(in fieldInput, p portal.Principal, ids []string, page portal.PageArgs) (map[string]*portal.ReportConnection, error) {
		return s.ReportsOf(in.ctx, p, parent, ids, orEmpty(arg[*portal.ReportFilter](in, "filter")), page)
	})
}

// typed is the objects of a batch as their Go type.
func typed[P any](objs []any) []*P {
	out := make([]*P, len(objs))
	for i, o := range objs {
		out[i], _ = o.(*P)
	}
	return out
}

// record is a record type with an ID.
type record[T any] interface {
	*T
	GetID() string
}

// byID reads records by ID; those the principal may not see are absent.
type byID[T any] func(ctx context.Context, p portal.Principal, ids []string) ([]*T, error)

// fetchByID reads the records with the keys ("" for none) in one store
// call, by ID.
func fetchByID[T any, PT record[T]](in fieldInput, keys []string, fetch byID[T]) (map[string]*T, error) {
	ids := distinct(keys)
	if len(ids) == 0 {
		return nil, nil
	}
	recs, err := fetch(in.ctx, in.principal(), ids)
	if err != nil {
		return nil, err
	}
	found := make(map[string]*T, len(recs))
	for _, r := range recs {
		found[PT(r).GetID()] = r
	}
	return found, nil
}

// optional is a nullable to-one relation by the ID its object holds (nil
// for none); null when the principal may not see the record.
func optional[P, T any, PT record[T]](key func(*P) *string, fetch byID[T]) readField {
	return keyedBy(key, toOne[T](func(in fieldInput, objs []any) ([]any, error) {
		keys := make([]string, len(objs))
		for i, o := range typed[P](objs) {
			if k := key(o); k != nil {
				keys[i] = *k
			}
		}
		found, err := fetchByID[T, PT](in, keys, fetch)
		if err != nil {
			return nil, err
		}
		vals := make([]any, len(keys))
		for i, k := range keys {
			vals[i] = found[k]
		}
		return vals, nil
	}))
}

// required is a non-null to-one relation. The record exists and is
// visible whenever the object pointing to it is, so its absence is
// NOT_FOUND for that object rather than a broken response.
func required[P, T any, PT record[T]](key func(*P) string, fetch byID[T]) readField {
	return keyedBy(key, toOne[T](func(in fieldInput, objs []any) ([]any, error) {
		keys := make([]string, len(objs))
		for i, o := range typed[P](objs) {
			keys[i] = key(o)
		}
		found, err := fetchByID[T, PT](in, keys, fetch)
		if err != nil {
			return nil, err
		}
		vals := make([]any, len(keys))
		for i, k := range keys {
			if r := found[k]; r != nil {
				vals[i] = r
			} else {
				vals[i] = failed{portal.NotFound(k)}
			}
		}
		return vals, nil
	}))
}

// byArg is a root field reading one record by its id argument.
func byArg[T any, PT record[T]](fetch byID[T]) readField {
	return toOne[T](func(in fieldInput, objs []any) ([]any, error) {
		id := arg[string](in, "id")
		found, err := fetchByID[T, PT](in, []string{id}, fetch)
		if err != nil {
			return nil, err
		}
		vals := make([]any, len(objs))
		for i := range objs {
			if r := found[id]; r != nil {
				vals[i] = r
			} else {
				vals[i] = failed{portal.NotFound(id)}
			}
		}
		return vals, nil
	})
}

// toOne is a field whose value is one record, *T.
func toOne[T any](batch func(in fieldInput, objs []any) ([]any, error)) readField {
	return readField{
		batch: batch,
		objects: func(v any) any {
			if r, _ := v.(*T); r != nil {
				return r
			}
			return nil
		},
		count: func(v any, byType map[string]int) {
			if r, _ := v.(*T); r != nil {
				byType[typeName[T]()]++
			}
		},
	}
}

func typeName[T any]() string { return reflect.TypeFor[T]().Name() }

// keyed is a field read by its object's ID into a map, its value made
// from the map's entry (the zero value for none).
func keyed[P, V, W any](key func(*P) string, fetch func(ctx context.Context, p portal.Principal, ids []string) (map[string]V, error), value func(V, string) (W, error)) readField {
	f := readField{batch: func(in fieldInput, objs []any) ([]any, error) {
		keys := make([]string, len(objs))
		for i, o := range typed[P](objs) {
			keys[i] = key(o)
		}
		var found map[string]V
		if ids := distinct(keys); len(ids) > 0 {
			var err error
			if found, err = fetch(in.ctx, in.principal(), ids); err != nil {
				return nil, err
			}
		}
		vals := make([]any, len(keys))
		for i, k := range keys {
			w, err := value(found[k], k)
			if err != nil {
				vals[i] = failed{err}
			} else {
				vals[i] = w
			}
		}
		return vals, nil
	}}
	return keyedBy(key, withObjects[W](f))
}

// each is a field computed for each object on its own.
func each[P, V any](value func(in fieldInput, obj *P) (V, error)) readField {
	return withObjects[V](readField{batch: func(in fieldInput, objs []any) ([]any, error) {
		vals := make([]any, len(objs))
		for i, o := range typed[P](objs) {
			v, err := value(in, o)
			if err != nil {
				vals[i] = failed{err}
			} else {
				vals[i] = v
			}
		}
		return vals, nil
	}})
}

// root is a field of the query root.
func root[V any](value func(in fieldInput) (V, error)) readField {
	return each(func(in fieldInput, _ *struct{}) (V, error) { return value(in) })
}

// withObjects sets what values of the Go type V hold: a record (*T), a
// list of records ([]*T), a connection, or nothing for scalars and enums.
func withObjects[V any](f readField) readField {
	t := reflect.TypeFor[V]()
	switch {
	case t.Kind() == reflect.Pointer && t.Elem().Kind() == reflect.Struct:
		f.objects = func(v any) any {
			if isNil(v) {
				return nil
			}
			return v
		}
		name := t.Elem().Name()
		edges, isConnection := t.Elem().FieldByName("Edges")
		if !isConnection {
			f.count = func(v any, byType map[string]int) {
				if !isNil(v) {
					byType[name]++
				}
			}
			break
		}
		// A connection's objects are its edges' nodes.
		node, _ := edges.Type.Elem().FieldByName("Node")
		name = node.Type.Elem().Name()
		f.count = func(v any, byType map[string]int) {
			if !isNil(v) {
				byType[name] += reflect.ValueOf(v).Elem().FieldByIndex(edges.Index).Len()
			}
		}
	case t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Pointer:
		name := t.Elem().Elem().Name()
		f.objects = func(v any) any {
			rv := reflect.ValueOf(v)
			out := make([]any, rv.Len())
			for i := range out {
				if e := rv.Index(i); !e.IsNil() {
					out[i] = e.Interface()
				}
			}
			return out
		}
		f.count = func(v any, byType map[string]int) { byType[name] += reflect.ValueOf(v).Len() }
	default:
		f.count = func(any, map[string]int) {}
	}
	return f
}

// isNil reports whether v is nil or holds a nil pointer, slice or map.
func isNil(v any) bool {
	if v == nil {
		return true
	}
	switch rv := reflect.ValueOf(v); rv.Kind() {
	case reflect.Pointer, reflect.Slice, reflect.Map, reflect.Interface:
		return rv.IsNil()
	}
	return false
}

// listOf is a list under each object, read for all of them at once.
func listOf[P, T any](key func(*P) string, fetch func(ctx context.Context, p portal.Principal, ids []string) (map[string][]*T, error)) readField {
	return keyedBy(key, readField{
		batch: func(in fieldInput, objs []any) ([]any, error) {
			keys := make([]string, len(objs))
			for i, o := range typed[P](objs) {
				keys[i] = key(o)
			}
			var lists map[string][]*T
			if ids := distinct(keys); len(ids) > 0 {
				var err error
				if lists, err = fetch(in.ctx, in.principal(), ids); err != nil {
					return nil, err
				}
			}
			vals := make([]any, len(keys))
			for i, k := range keys {
				list := lists[k]
				if list == nil {
					list = []*T{}
				}
				vals[i] = list
			}
			return vals, nil
		},
		objects: func(v any) any {
			list := v.([]*T)
			out := make([]any, len(list))
			for i, r := range list {
				if r != nil {
					out[i] = r
				}
			}
			return out
		},
		count: func(v any, byType map[string]int) { byType[typeName[T]()] += len(v.([]*T)) },
	})
}

// connectionOf is a connection under each object, every object's page
// read in one statement.
func connectionOf[P, T any](key func(*P) string, fetch func(in fieldInput, p portal.Principal, ids []string, page portal.PageArgs) (map[string]*portal.Connection[T], error)) readField {
	return keyedBy(key, connection[T](func(in fieldInput, objs []any) ([]any, error) {
		page, err := in.page()
		if err != nil {
			return nil, err
		}
		keys := make([]string, len(objs))
		for i, o := range typed[P](objs) {
			keys[i] = key(o)
		}
		conns, err := fetch(in, in.principal(), distinct(keys), page)
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
	}))
}

// rootConnection is a connection on the query root.
func rootConnection[T any](fetch func(in fieldInput, p portal.Principal, page portal.PageArgs) (*portal.Connection[T], error)) readField {
	return connection[T](func(in fieldInput, objs []any) ([]any, error) {
		page, err := in.page()
		if err != nil {
			return nil, err
		}
		conn, err := fetch(in, in.principal(), page)
		if err != nil {
			return nil, err
		}
		vals := make([]any, len(objs))
		for i := range vals {
			vals[i] = conn
		}
		return vals, nil
	})
}

// connection is a field whose value is a connection of T.
func connection[T any](batch func(in fieldInput, objs []any) ([]any, error)) readField {
	return readField{
		batch: batch,
		objects: func(v any) any {
			if c, _ := v.(*portal.Connection[T]); c != nil {
				return c
			}
			return nil
		},
		count: func(v any, byType map[string]int) {
			if c, _ := v.(*portal.Connection[T]); c != nil {
				byType[typeName[T]()] += len(c.Edges)
			}
		},
	}
}

// nodeOf is a field whose value is any record, by the ID key returns;
// a required one answers NOT_FOUND when the principal may not see it.
func nodeOf[P any](r *Resolver, key func(fieldInput, *P) string, required bool) readField {
	return keyedBy(func(p *P) string { return key(fieldInput{}, p) }, readField{
		batch: func(in fieldInput, objs []any) ([]any, error) {
			keys := make([]string, len(objs))
			for i, o := range typed[P](objs) {
				keys[i] = key(in, o)
			}
			var found map[string]portal.Node
			if ids := distinct(keys); len(ids) > 0 {
				var err error
				if found, err = r.nodes(in.ctx, in.principal(), ids); err != nil {
					return nil, err
				}
			}
			vals := make([]any, len(keys))
			for i, k := range keys {
				switch n := found[k]; {
				case n != nil:
					vals[i] = n
				case required:
					vals[i] = failed{portal.NotFound(k)}
				}
			}
			return vals, nil
		},
		objects: func(v any) any { return v },
		count: func(v any, byType map[string]int) {
			if v != nil {
				byType[reflect.TypeOf(v).Elem().Name()]++
			}
		},
	})
}

// viewed records, for the audit, that the principal opened the records a
// field read by ID, where their type is one whose opening is recorded.
func viewed(r *Resolver, opened map[reflect.Type]portal.RecordType, f readField) readField {
	batch := f.batch
	f.batch = func(in fieldInput, objs []any) ([]any, error) {
		vals, err := batch(in, objs)
		for _, v := range vals {
			rec, ok := v.(interface{ GetID() string })
			if rt, audited := opened[reflect.TypeOf(v)]; ok && audited && !isNil(v) {
				r.audit.Viewed(in.principal(), rt, rec.GetID())
			}
		}
		return vals, err
	}
	return f
}

// received records, for the audit of reads, the records of a batch's
// values a portal or partner principal receives: per record type and
// client, with the operation's name. Both executors call the batch with
// every object at one place, so both record the same reads.
func received(r *Resolver, f readField) readField {
	batch := f.batch
	f.batch = func(in fieldInput, objs []any) ([]any, error) {
		vals, err := batch(in, objs)
		p := in.principal()
		if !p.IsPortal() && !p.IsPartner() {
			return vals, err
		}
		g, _ := r.gatherings.Get().(*gathering)
		if g == nil {
			g = &gathering{}
		}
		g.client, g.isPortal = p.ClientID, p.IsPortal()
		for _, v := range vals {
			eachRecord(v, g.add)
		}
		if len(g.groups) > 0 {
			op := operationName(in.ctx)
			for _, gr := range g.groups {
				r.audit.Read(p, op, gr.rt, gr.client, gr.ids)
			}
		}
		g.reset()
		r.gatherings.Put(g)
		return vals, err
	}
	return f
}

// gathering groups the records of a batch by type and client, in the
// order first seen. It is reused from batch to batch (Resolver.gatherings),
// IDs slices and all: a portal dashboard receives hundreds of records, and
// growing their lists afresh for every batch was most of what the audit
// of reads allocated. A batch's records mostly share type and client (a
// portal contact's always share the client), so each looks for its group
// from the last one made: a comparison or two, not a map's hashing.
type gathering struct {
	client   string // a portal contact's, which all its records belong to
	isPortal bool
	groups   []readGroup
}

type readGroup struct {
	rt     portal.RecordType
	client string
	ids    []string
}

func (g *gathering) add(rt portal.RecordType, id, client string) {
	if g.isPortal {
		client = g.client
	}
	i := len(g.groups) - 1
	for i >= 0 && (g.groups[i].rt != rt || g.groups[i].client != client) {
		i--
	}
	if i < 0 {
		i = len(g.groups)
		if i < cap(g.groups) {
			// The slot keeps an earlier batch's IDs slice, emptied.
			g.groups = g.groups[:i+1]
		} else {
			g.groups = append(g.groups, readGroup{})
		}
		g.groups[i].rt, g.groups[i].client = rt, client
	}
	g.groups[i].ids = append(g.groups[i].ids, id)
}

// reset empties g for the next batch, keeping its slices' room but none
// of the IDs, which would keep their records' memory alive.
func (g *gathering) reset() {
	for i := range g.groups {
		clear(g.groups[i].ids)
		g.groups[i].ids = g.groups[i].ids[:0]
	}
	g.groups = g.groups[:0]
}

// operationName is the name of the request's operation, "" for none.
func operationName(ctx context.Context) string {
	if !graphql.HasOperationContext(ctx) {
		return ""
	}
	oc := graphql.GetOperationContext(ctx)
	if oc.Operation != nil && oc.Operation.Name != "" {
		return oc.Operation.Name
	}
	return oc.OperationName
}

// eachRecord calls fn for every recorded record a value holds: the record
// itself, a list's, a connection's nodes, with the client it belongs to
// ("" for none known). It runs over every object a portal contact or a
// partner's key receives, so records are told apart by a type switch
// rather than by reflection, which cost a twentieth of a portal request.
func eachRecord(v any, fn func(rt portal.RecordType, id, client string)) {
	if isNil(v) {
		return
	}
	switch r := v.(type) {
	case *portal.Client:
		fn(portal.RecordTypeClient, r.ID, r.ID)
	case *portal.Contact:
		fn(portal.RecordTypeContact, r.ID, r.ClientID)
	case *portal.Project:
		fn(portal.RecordTypeProject, r.ID, r.ClientID)
	case *portal.Deliverable:
		fn(portal.RecordTypeDeliverable, r.ID, "")
	case *portal.Approval:
		fn(portal.RecordTypeApproval, r.ID, r.ClientID)
	case *portal.ApprovalDecision:
		fn(portal.RecordTypeDecision, r.ID, "")
	case *portal.File:
		fn(portal.RecordTypeFile, r.ID, r.ClientID)
	case *portal.Report:
		fn(portal.RecordTypeReport, r.ID, r.ClientID)
	case *portal.Export:
		fn(portal.RecordTypeExport, r.ID, r.ClientID)
	case *portal.ClientRequest:
		fn(portal.RecordTypeRequest, r.ID, r.ClientID)
	case *portal.RequestComment:
		fn(portal.RecordTypeComment, r.ID, r.ClientID)
	case interface {
		Len() int
		NodeAt(i int) any
	}: // a connection
		for i := range r.Len() {
			eachRecord(r.NodeAt(i), fn)
		}
	default:
		if rv := reflect.ValueOf(v); rv.Kind() == reflect.Slice {
			for i := range rv.Len() {
				eachRecord(rv.Index(i).Interface(), fn)
			}
		}
	}
}

// openedRecords are the record types whose opening by ID (node, project,
// …) is recorded for the audit.
func openedRecords() map[reflect.Type]portal.RecordType {
	return map[reflect.Type]portal.RecordType{
		reflect.TypeFor[*portal.Project]():       portal.RecordTypeProject,
		reflect.TypeFor[*portal.Deliverable]():   portal.RecordTypeDeliverable,
		reflect.TypeFor[*portal.Approval]():      portal.RecordTypeApproval,
		reflect.TypeFor[*portal.File]():          portal.RecordTypeFile,
		reflect.TypeFor[*portal.Report]():        portal.RecordTypeReport,
		reflect.TypeFor[*portal.ClientRequest](): portal.RecordTypeRequest,
	}
}

// distinct returns the keys to look up: each once, without "".
func distinct(keys []string) []string {
	out := slices.Clone(keys)
	slices.Sort(out)
	out = slices.Compact(out)
	if len(out) > 0 && out[0] == "" {
		out = out[1:]
	}
	return out
}
