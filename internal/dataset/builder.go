// Package dataset builds sets of records in memory — the demo workspace,
// test fixtures and benchmark data — for the store to load in one go.
package dataset

import (
	"io"
	"math/rand/v2"
	"strings"
	"time"

	"portalgraph/internal/portal"
)

// Builder appends records to a Dataset. Timestamps advance one second per
// record and IDs come from a seeded source, so two data sets built from the
// same start and seed are identical.
type Builder struct {
	Data    portal.Dataset
	clock   time.Time
	entropy io.Reader
}

// New starts a data set whose first record is created at start.
func New(start time.Time, seed uint64) *Builder {
	return &Builder{clock: start.UTC().Truncate(time.Second), entropy: randReader{rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}}
}

type randReader struct{ r *rand.Rand }

func (r randReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(r.r.Uint32())
	}
	return len(p), nil
}

func (b *Builder) next(prefix string) (string, time.Time) {
	b.clock = b.clock.Add(time.Second)
	return portal.NewIDFrom(prefix, b.clock, b.entropy), b.clock
}

func (b *Builder) Workspace(name, slug string) *portal.Workspace {
	id, at := b.next(portal.PrefixWorkspace)
	w := &portal.Workspace{ID: id, Name: name, Slug: slug, CreatedAt: at}
	b.Data.Workspaces = append(b.Data.Workspaces, w)
	return w
}

// User adds a staff member holding a built-in role, which the store adds
// to every workspace it loads.
func (b *Builder) User(w *portal.Workspace, name, email string, role portal.BuiltInRole) *portal.User {
	id, at := b.next(portal.PrefixUser)
	u := &portal.User{WorkspaceID: w.ID, ID: id, Name: name, Email: strings.ToLower(email), RoleID: portal.BuiltInRoleID(role), CreatedAt: at, UpdatedAt: at}
	b.Data.Users = append(b.Data.Users, u)
	return u
}

// Client adds a client; portal access is off until the caller enables it.
func (b *Builder) Client(w *portal.Workspace, name string, owner *portal.User, status portal.ClientStatus) *portal.Client {
	id, at := b.next(portal.PrefixClient)
	c := &portal.Client{WorkspaceID: w.ID, ID: id, Name: name, Status: status, CreatedAt: at, UpdatedAt: at}
	c.SetPortalSettings(portal.DefaultPortalSettings())
	if owner != nil {
		c.OwnerID = &owner.ID
	}
	if status == portal.ClientStatusArchived {
		c.ArchivedAt = &at
	}
	b.Data.Clients = append(b.Data.Clients, c)
	return c
}

func (b *Builder) Contact(c *portal.Client, name, email, title string, status portal.PortalStatus) *portal.Contact {
	id, at := b.next(portal.PrefixContact)
	ct := &portal.Contact{
		WorkspaceID: c.WorkspaceID, ID: id, ClientID: c.ID, Name: name, Email: strings.ToLower(email),
		PortalStatus: status, CreatedAt: at, UpdatedAt: at,
	}
	if title != "" {
		ct.Title = &title
	}
	b.Data.Contacts = append(b.Data.Contacts, ct)
	return ct
}

func (b *Builder) Project(c *portal.Client, name string, status portal.ProjectStatus, v portal.Visibility) *portal.Project {
	id, at := b.next(portal.PrefixProject)
	p := &portal.Project{
		WorkspaceID: c.WorkspaceID, ID: id, ClientID: c.ID, Name: name, Status: status, Visibility: v,
		OwnerID: c.OwnerID, CreatedAt: at, UpdatedAt: at,
	}
	b.Data.Projects = append(b.Data.Projects, p)
	return p
}

func (b *Builder) Deliverable(p *portal.Project, title string, status portal.DeliverableStatus, v portal.Visibility) *portal.Deliverable {
	id, at := b.next(portal.PrefixDeliverable)
	d := &portal.Deliverable{
		WorkspaceID: p.WorkspaceID, ID: id, ProjectID: p.ID, Title: title, Status: status, Visibility: v,
		CreatedAt: at, UpdatedAt: at,
	}
	b.Data.Deliverables = append(b.Data.Deliverables, d)
	return d
}

// Approval asks the approvers to decide on a deliverable of project p.
func (b *Builder) Approval(p *portal.Project, d *portal.Deliverable, title string, policy portal.ApprovalPolicy, requestedBy *portal.User, approvers ...*portal.Contact) *portal.Approval {
	id, at := b.next(portal.PrefixApproval)
	a := &portal.Approval{
		WorkspaceID: d.WorkspaceID, ID: id, DeliverableID: d.ID, ProjectID: p.ID, ClientID: p.ClientID,
		Title: title, Status: portal.ApprovalStatusPending, Policy: policy, Round: 1, CreatedAt: at,
	}
	if requestedBy != nil {
		a.RequestedByID = &requestedBy.ID
	}
	b.Data.Approvals = append(b.Data.Approvals, a)
	for _, c := range approvers {
		b.Data.Approvers = append(b.Data.Approvers, &portal.Approver{WorkspaceID: a.WorkspaceID, ApprovalID: a.ID, ContactID: c.ID})
	}
	return a
}

// Decision records an approver's decision.
func (b *Builder) Decision(a *portal.Approval, c *portal.Contact, outcome portal.DecisionOutcome, comment string) *portal.ApprovalDecision {
	id, at := b.next(portal.PrefixDecision)
	d := &portal.ApprovalDecision{WorkspaceID: a.WorkspaceID, ID: id, ApprovalID: a.ID, ContactID: c.ID, Outcome: outcome, DecidedAt: at}
	if comment != "" {
		d.Comment = &comment
	}
	b.Data.Decisions = append(b.Data.Decisions, d)
	return d
}

// Resolve marks an approval decided.
func (b *Builder) Resolve(a *portal.Approval, status portal.ApprovalStatus) {
	at := b.clock.Add(time.Second)
	a.Status, a.ResolvedAt = status, &at
}

// Note adds an internal note on a client, or on project p when not nil.
func (b *Builder) Note(c *portal.Client, p *portal.Project, author *portal.User, body string) *portal.Note {
	id, at := b.next(portal.PrefixNote)
	n := &portal.Note{WorkspaceID: c.WorkspaceID, ID: id, ClientID: c.ID, Body: body, CreatedAt: at}
	if p != nil {
		n.ProjectID = &p.ID
	}
	if author != nil {
		n.AuthorID = &author.ID
	}
	b.Data.Notes = append(b.Data.Notes, n)
	return n
}

// Report adds a report to client c on the period from start to end, about
// project p when not nil. A PUBLISHED one is published as it is created.
func (b *Builder) Report(c *portal.Client, p *portal.Project, author *portal.User, title string, start, end portal.Date, status portal.ReportStatus, metrics ...*portal.ReportMetric) *portal.Report {
	id, at := b.next(portal.PrefixReport)
	r := &portal.Report{
		WorkspaceID: c.WorkspaceID, ID: id, ClientID: c.ID, Title: title, PeriodStart: start, PeriodEnd: end,
		Metrics: portal.ReportMetrics(metrics), Status: status, CreatedAt: at, UpdatedAt: at,
	}
	if r.Metrics == nil {
		r.Metrics = portal.ReportMetrics{}
	}
	if p != nil {
		r.ProjectID = &p.ID
	}
	if author != nil {
		r.AuthorID = &author.ID
	}
	if status == portal.ReportStatusPublished {
		r.PublishedAt = &at
	}
	b.Data.Reports = append(b.Data.Reports, r)
	return r
}

// Activity adds an activity event by a staff member.
func (b *Builder) Activity(c *portal.Client, actor *portal.User, action portal.ActivityAction, rt portal.RecordType, recordID, summary string) *portal.ActivityEvent {
	id, at := b.next(portal.PrefixActivity)
	e := &portal.ActivityEvent{
		WorkspaceID: c.WorkspaceID, ID: id, Action: action, RecordType: rt, RecordID: recordID,
		ClientID: &c.ID, Summary: summary, Changed: portal.FieldList{}, CreatedAt: at,
	}
	if actor != nil {
		e.ActorUserID = &actor.ID
	}
	b.Data.Activity = append(b.Data.Activity, e)
	return e
}

// Date is a helper for literal dates in data sets.
func Date(y int, m time.Month, d int) *portal.Date {
	return &portal.Date{Year: y, Month: m, Day: d}
}

// Text is a helper for optional text fields.
func Text(s string) *string { return &s }
