package sqlstore

import (
	"context"
	"fmt"

	"portalgraph/internal/portal"
)

// Lookups by ID return the records among ids the principal may see; the
// others are simply absent, exactly like IDs that do not exist.

func (s *Store) Workspace(ctx context.Context, p portal.Principal) (*portal.Workspace, error) {
	recs, err := byIDs(ctx, s, s.t.workspaces, scope{p}.workspaces(), []string{p.WorkspaceID})
	if err != nil || len(recs) == 0 {
		return nil, err
	}
	return recs[0], nil
}

func (s *Store) UsersByID(ctx context.Context, p portal.Principal, ids []string) ([]*portal.User, error) {
	return byIDs(ctx, s, s.t.users, scope{p}.users(), ids)
}

func (s *Store) ClientsByID(ctx context.Context, p portal.Principal, ids []string) ([]*portal.Client, error) {
	return byIDs(ctx, s, s.t.clients, scope{p}.clients(), ids)
}

func (s *Store) ContactsByID(ctx context.Context, p portal.Principal, ids []string) ([]*portal.Contact, error) {
	return byIDs(ctx, s, s.t.contacts, scope{p}.contacts(), ids)
}

func (s *Store) ProjectsByID(ctx context.Context, p portal.Principal, ids []string) ([]*portal.Project, error) {
	return byIDs(ctx, s, s.t.projects, scope{p}.projects(), ids)
}

func (s *Store) DeliverablesByID(ctx context.Context, p portal.Principal, ids []string) ([]*portal.Deliverable, error) {
	return byIDs(ctx, s, s.t.deliverables, scope{p}.deliverables(), ids)
}

func (s *Store) ApprovalsByID(ctx context.Context, p portal.Principal, ids []string) ([]*portal.Approval, error) {
	return byIDs(ctx, s, s.t.approvals, scope{p}.approvals(), ids)
}

// DecisionsByID finds decisions, changed ones included: a decision in an
// approval's history resolves by its ID like any record.
func (s *Store) DecisionsByID(ctx context.Context, p portal.Principal, ids []string) ([]*portal.ApprovalDecision, error) {
	return byIDs(ctx, s, s.t.decisions, scope{p}.decisions(), ids)
}

func (s *Store) FilesByID(ctx context.Context, p portal.Principal, ids []string) ([]*portal.File, error) {
	return byIDs(ctx, s, s.t.files, scope{p}.files(), ids)
}

func (s *Store) ReportsByID(ctx context.Context, p portal.Principal, ids []string) ([]*portal.Report, error) {
	return byIDs(ctx, s, s.t.reports, scope{p}.reports(), ids)
}

func (s *Store) ExportsByID(ctx context.Context, p portal.Principal, ids []string) ([]*portal.Export, error) {
	return byIDs(ctx, s, s.t.exports, scope{p}.exports(), ids)
}

func (s *Store) RequestsByID(ctx context.Context, p portal.Principal, ids []string) ([]*portal.ClientRequest, error) {
	return byIDs(ctx, s, s.t.requests, scope{p}.requests(), ids)
}

func (s *Store) CommentsByID(ctx context.Context, p portal.Principal, ids []string) ([]*portal.RequestComment, error) {
	return byIDs(ctx, s, s.t.comments, scope{p}.comments(), ids)
}

func (s *Store) NotesByID(ctx context.Context, p portal.Principal, ids []string) ([]*portal.Note, error) {
	return byIDs(ctx, s, s.t.notes, scope{p}.notes(), ids)
}

func (s *Store) ActivityByID(ctx context.Context, p portal.Principal, ids []string) ([]*portal.ActivityEvent, error) {
	return byIDs(ctx, s, s.t.activity, scope{p}.activity(), ids)
}

// currentDecisions: the decisions an approver has not since changed.
func (s *Store) currentDecisions(p portal.Principal) ruleSet {
	rs := scope{p}.decisions()
	rs.rules = append(rs.rules, rule{name: "the approver's latest decision", cond: func(q *sqlBuf, a string) {
		q.sql(a + ".superseded_at IS NULL")
	}})
	return rs
}

// Root lists.

func (s *Store) Clients(ctx context.Context, p portal.Principal, f portal.ClientFilter, o *portal.ClientOrder, page portal.PageArgs) (*portal.ClientConnection, error) {
	return fetchPage(ctx, s, list[portal.Client]{
		table: s.t.clients, rules: scope{p}.clients(), order: clientOrder(o), id: clientID, page: page,
		filter: func(c *conds) {
			if len(f.Status) > 0 {
				c.next().sql("a.status IN (").sql(placeholders(c.q, f.Status)).sql(")")
			}
			if f.OwnerID != nil {
				c.next().sql("a.owner_id = ").arg(*f.OwnerID)
			}
			if f.PortalEnabled != nil {
				c.next().sql("a.portal_enabled = ").arg(*f.PortalEnabled)
			}
			if len(f.PortalStatus) > 0 {
				c.next().sql("(" + portalStatusSQL + ") IN (").sql(placeholders(c.q, f.PortalStatus)).sql(")")
			}
			if f.Text != nil && *f.Text != "" {
				pat := likePattern(*f.Text)
				c.next().sql("(LOWER(a.name) LIKE ").arg(pat).sql(` ESCAPE '\' OR LOWER(a.organization) LIKE `).arg(pat).
					sql(` ESCAPE '\' OR LOWER(a.email) LIKE `).arg(pat).sql(` ESCAPE '\')`)
			}
		},
	})
}

func (s *Store) Projects(ctx context.Context, p portal.Principal, f portal.ProjectFilter, o *portal.ProjectOrder, page portal.PageArgs) (*portal.ProjectConnection, error) {
	ord, err := projectOrder(p, o)
	if err != nil {
		return nil, err
	}
	return fetchPage(ctx, s, list[portal.Project]{
		table: s.t.projects, rules: scope{p}.projects(), order: ord, id: projectID, page: page,
		filter: func(c *conds) {
			if f.ClientID != nil {
				c.next().sql("a.client_id = ").arg(*f.ClientID)
			}
			projectFilter(c, f.Status, f.Visibility)
		},
	})
}

func (s *Store) Users(ctx context.Context, p portal.Principal, page portal.PageArgs) (*portal.UserConnection, error) {
	return fetchPage(ctx, s, list[portal.User]{
		table: s.t.users, rules: scope{p}.users(), id: userID, page: page,
		order: order[portal.User]{expr: "a.name", kind: keyText, key: func(u *portal.User) any { return u.Name }},
	})
}

// Connections under many parents: one statement for all parents.

func (s *Store) ContactsOfClients(ctx context.Context, p portal.Principal, clientIDs []string, portalStatus []portal.PortalStatus, page portal.PageArgs) (map[string]*portal.ContactConnection, error) {
	return fetchPages(ctx, s, list[portal.Contact]{
		table: s.t.contacts, rules: scope{p}.contacts(), order: byCreation[portal.Contact](false), id: contactID, page: page,
		parentColumn: "client_id", parentIDs: clientIDs, parentOf: func(c *portal.Contact) string { return c.ClientID },
		filter: func(c *conds) {
			if len(portalStatus) > 0 {
				c.next().sql("a.portal_status IN (").sql(placeholders(c.q, portalStatus)).sql(")")
			}
		},
	})
}

func (s *Store) ProjectsOfClients(ctx context.Context, p portal.Principal, clientIDs []string, f portal.ClientProjectFilter, o *portal.ProjectOrder, page portal.PageArgs) (map[string]*portal.ProjectConnection, error) {
	ord, err := projectOrder(p, o)
	if err != nil {
		return nil, err
	}
	return fetchPages(ctx, s, list[portal.Project]{
		table: s.t.projects, rules: scope{p}.projects(), order: ord, id: projectID, page: page,
		parentColumn: "client_id", parentIDs: clientIDs, parentOf: func(r *portal.Project) string { return r.ClientID },
		filter: func(c *conds) { projectFilter(c, f.Status, f.Visibility) },
	})
}

func (s *Store) DeliverablesOfProjects(ctx context.Context, p portal.Principal, projectIDs []string, f portal.ProjectDeliverableFilter, o *portal.DeliverableOrder, page portal.PageArgs) (map[string]*portal.DeliverableConnection, error) {
	return fetchPages(ctx, s, list[portal.Deliverable]{
		table: s.t.deliverables, rules: scope{p}.deliverables(), order: deliverableOrder(o), id: deliverableID, page: page,
		parentColumn: "project_id", parentIDs: projectIDs, parentOf: func(r *portal.Deliverable) string { return r.ProjectID },
		filter: func(c *conds) { deliverableFilter(c, f.Status, f.DueAfter, f.DueBefore, f.Visibility) },
	})
}

// Deliverables lists deliverables across projects: for staff, a workspace's
// "what is due" views.
func (s *Store) Deliverables(ctx context.Context, p portal.Principal, f portal.DeliverableFilter, o *portal.DeliverableOrder, page portal.PageArgs) (*portal.DeliverableConnection, error) {
	return fetchPage(ctx, s, list[portal.Deliverable]{
		table: s.t.deliverables, rules: scope{p}.deliverables(), order: deliverableOrder(o), id: deliverableID, page: page,
		filter: func(c *conds) {
			if f.ProjectID != nil {
				c.next().sql("a.project_id = ").arg(*f.ProjectID)
			}
			if f.ClientID != nil {
				c.next().sql("EXISTS (SELECT 1 FROM projects fp WHERE fp.workspace_id = a.workspace_id AND fp.id = a.project_id AND fp.client_id = ").arg(*f.ClientID).sql(")")
			}
			deliverableFilter(c, f.Status, f.DueAfter, f.DueBefore, f.Visibility)
		},
	})
}

func deliverableFilter(c *conds, status []portal.DeliverableStatus, dueAfter, dueBefore *portal.Date, visibility *portal.Visibility) {
	if len(status) > 0 {
		c.next().sql("a.status IN (").sql(placeholders(c.q, status)).sql(")")
	}
	dueRange(c, dueAfter, dueBefore)
	if visibility != nil {
		c.next().sql("a.visibility = ").arg(*visibility)
	}
}

// ApprovalsOf lists approvals under deliverables, projects or clients,
// of the given statuses (all when none).
func (s *Store) ApprovalsOf(ctx context.Context, p portal.Principal, parent portal.RecordType, ids []string, status []portal.ApprovalStatus, page portal.PageArgs) (map[string]*portal.ApprovalConnection, error) {
	l := list[portal.Approval]{
		table: s.t.approvals, rules: scope{p}.approvals(), order: byCreation[portal.Approval](false), id: approvalID, page: page,
		parentIDs: ids,
		filter: func(c *conds) {
			if len(status) > 0 {
				c.next().sql("a.status IN (").sql(placeholders(c.q, status)).sql(")")
			}
		},
	}
	switch parent {
	case portal.RecordTypeDeliverable:
		l.parentColumn, l.parentOf = "deliverable_id", func(a *portal.Approval) string { return a.DeliverableID }
	case portal.RecordTypeProject:
		l.parentColumn, l.parentOf = "project_id", func(a *portal.Approval) string { return a.ProjectID }
	case portal.RecordTypeClient:
		l.parentColumn, l.parentOf = "client_id", func(a *portal.Approval) string { return a.ClientID }
	default:
		return nil, fmt.Errorf("approvals are not listed under %s records", parent)
	}
	return fetchPages(ctx, s, l)
}

// Approvals lists approvals across the workspace: for staff, the "waiting
// on the client" views; for a portal contact, their pending approvals.
func (s *Store) Approvals(ctx context.Context, p portal.Principal, f portal.ApprovalFilter, o *portal.ApprovalOrder, page portal.PageArgs) (*portal.ApprovalConnection, error) {
	return fetchPage(ctx, s, list[portal.Approval]{
		table: s.t.approvals, rules: scope{p}.approvals(), order: approvalOrder(o), id: approvalID, page: page,
		filter: func(c *conds) {
			if len(f.Status) > 0 {
				c.next().sql("a.status IN (").sql(placeholders(c.q, f.Status)).sql(")")
			}
			if f.ClientID != nil {
				c.next().sql("a.client_id = ").arg(*f.ClientID)
			}
			if f.ProjectID != nil {
				c.next().sql("a.project_id = ").arg(*f.ProjectID)
			}
			if f.ApproverID != nil {
				c.next().sql("EXISTS (SELECT 1 FROM approval_approvers fa WHERE fa.workspace_id = a.workspace_id AND fa.approval_id = a.id AND fa.contact_id = ").
					arg(*f.ApproverID).sql(")")
			}
			dueRange(c, f.DueAfter, f.DueBefore)
		},
	})
}

// NextRoundsOf returns, for each approval that was resubmitted, its next
// round.
func (s *Store) NextRoundsOf(ctx context.Context, p portal.Principal, approvalIDs []string) (map[string]*portal.Approval, error) {
	t := s.t.approvals.narrow(ctx, "a.previous_round_id")
	q := &sqlBuf{}
	q.sql("SELECT " + t.selectList("a") + " FROM approvals a")
	w := q.where()
	s.dialect.inList(w.next(), "a.previous_round_id", approvalIDs)
	scope{p}.approvals().write(w, "a")
	out := map[string]*portal.Approval{}
	err := selectRecords(ctx, s.reads, t, q, nil, func(a *portal.Approval) { out[*a.PreviousRoundID] = a })
	return out, err
}

// DecisionHistoryOf returns each approval's decisions, changed ones
// included, oldest first.
func (s *Store) DecisionHistoryOf(ctx context.Context, p portal.Principal, approvalIDs []string) (map[string][]*portal.ApprovalDecision, error) {
	t := s.t.decisions.narrow(ctx, "a.approval_id")
	q := &sqlBuf{}
	q.sql("SELECT " + t.selectList("a") + " FROM approval_decisions a")
	w := q.where()
	s.dialect.inList(w.next(), "a.approval_id", approvalIDs)
	scope{p}.decisions().write(w, "a")
	q.sql(" ORDER BY a.approval_id, a.id")
	out := map[string][]*portal.ApprovalDecision{}
	err := selectRecords(ctx, s.reads, t, q, nil, func(d *portal.ApprovalDecision) {
		out[d.ApprovalID] = append(out[d.ApprovalID], d)
	})
	return out, err
}

// NotesOf lists notes, newest first, under clients or projects.
func (s *Store) NotesOf(ctx context.Context, p portal.Principal, parent portal.RecordType, ids []string, page portal.PageArgs) (map[string]*portal.NoteConnection, error) {
	l := list[portal.Note]{
		table: s.t.notes, rules: scope{p}.notes(), order: byCreation[portal.Note](true), id: noteID, page: page,
		parentIDs: ids,
	}
	switch parent {
	case portal.RecordTypeClient:
		l.parentColumn, l.parentOf = "client_id", func(n *portal.Note) string { return n.ClientID }
	case portal.RecordTypeProject:
		l.parentColumn, l.parentOf = "project_id", func(n *portal.Note) string { return deref(n.ProjectID) }
	default:
		return nil, fmt.Errorf("notes are not listed under %s records", parent)
	}
	return fetchPages(ctx, s, l)
}

// ActivityOfClients lists activity, newest first, per client.
func (s *Store) ActivityOfClients(ctx context.Context, p portal.Principal, clientIDs []string, f portal.ActivityFilter, page portal.PageArgs) (map[string]*portal.ActivityEventConnection, error) {
	return fetchPages(ctx, s, list[portal.ActivityEvent]{
		table: s.t.activity, rules: scope{p}.activity(), order: byCreation[portal.ActivityEvent](true), id: activityID, page: page,
		parentColumn: "client_id", parentIDs: clientIDs, parentOf: func(e *portal.ActivityEvent) string { return deref(e.ClientID) },
		filter: func(c *conds) {
			// What a contact did is not what staff did previewing the
			// portal as them (which names the contact too).
			if f.ContactID != nil {
				c.next().sql("a.actor_contact_id = ").arg(*f.ContactID).sql(" AND a.preview = FALSE")
			}
			if f.PortalOnly != nil && *f.PortalOnly {
				c.next().sql("a.actor_contact_id IS NOT NULL AND a.preview = FALSE")
			}
			if len(f.Actions) > 0 {
				c.next().sql("a.action IN (").sql(placeholders(c.q, f.Actions)).sql(")")
			}
			if len(f.RecordTypes) > 0 {
				c.next().sql("a.record_type IN (").sql(placeholders(c.q, f.RecordTypes)).sql(")")
			}
			if f.Since != nil {
				c.next().sql("a.created_at >= ").arg(f.Since.UTC())
			}
			if f.Until != nil {
				c.next().sql("a.created_at < ").arg(f.Until.UTC())
			}
		},
	})
}

// ApproversOf returns each approval's approvers: the contacts asked to decide.
func (s *Store) ApproversOf(ctx context.Context, p portal.Principal, approvalIDs []string) (map[string][]*portal.Contact, error) {
	t := s.t.contacts.narrow(ctx)
	q := &sqlBuf{}
	q.sql("SELECT " + t.selectList("a") + ", aa.approval_id FROM approval_approvers aa JOIN contacts a ON a.workspace_id = aa.workspace_id AND a.id = aa.contact_id")
	w := q.where()
	// The approver list is part of the approval: visible with it.
	withApproval := ruleSet{
		rules:   []rule{workspaceRule(p.WorkspaceID)},
		parents: []parentRule{{table: "approvals", fk: "approval_id", rules: scope{p}.approvals()}},
	}
	withApproval.writeUnder(w, s.dialect, "aa", "approval_id", approvalIDs)
	q.sql(" ORDER BY aa.approval_id, a.name, a.id")
	out := map[string][]*portal.Contact{}
	var approvalID string
	err := selectRecords(ctx, s.reads, t, q, []any{&approvalID}, func(c *portal.Contact) {
		out[approvalID] = append(out[approvalID], c)
	})
	return out, err
}

// DecisionsOf returns each approval's current decisions, oldest first.
func (s *Store) DecisionsOf(ctx context.Context, p portal.Principal, approvalIDs []string) (map[string][]*portal.ApprovalDecision, error) {
	t := s.t.decisions.narrow(ctx, "a.approval_id")
	q := &sqlBuf{}
	q.sql("SELECT " + t.selectList("a") + " FROM approval_decisions a")
	w := q.where()
	s.currentDecisions(p).writeUnder(w, s.dialect, "a", "approval_id", approvalIDs)
	q.sql(" ORDER BY a.approval_id, a.id")
	out := map[string][]*portal.ApprovalDecision{}
	err := selectRecords(ctx, s.reads, t, q, nil, func(d *portal.ApprovalDecision) {
		out[d.ApprovalID] = append(out[d.ApprovalID], d)
	})
	return out, err
}

// Orderings and shared filters.

func clientOrder(o *portal.ClientOrder) order[portal.Client] {
	if o != nil && o.Field == portal.ClientOrderFieldCreatedAt {
		return byCreation[portal.Client](o.Direction == portal.SortDirectionDesc)
	}
	return order[portal.Client]{
		expr: "a.name", kind: keyText, key: func(c *portal.Client) any { return c.Name },
		desc: o != nil && o.Direction == portal.SortDirectionDesc,
	}
}

// projectOrder: ordering by budget tells budgets apart, so it needs the
// permission to read them.
func projectOrder(p portal.Principal, o *portal.ProjectOrder) (order[portal.Project], error) {
	if o == nil {
		return byCreation[portal.Project](false), nil
	}
	desc := o.Direction == portal.SortDirectionDesc
	switch o.Field {
	case portal.ProjectOrderFieldName:
		return order[portal.Project]{expr: "a.name", kind: keyText, desc: desc, key: func(r *portal.Project) any { return r.Name }}, nil
	case portal.ProjectOrderFieldDueOn:
		return order[portal.Project]{expr: dueKey, kind: keyDate, desc: desc, key: func(r *portal.Project) any { return dateKey(r.DueOn) }}, nil
	case portal.ProjectOrderFieldBudgetCents:
		if !p.Can(portal.PermissionBudgetsRead) {
			return order[portal.Project]{}, portal.Forbidden("ordering by budget needs the %s permission", portal.PermissionBudgetsRead)
		}
		return order[portal.Project]{expr: "COALESCE(a.budget_cents, -1)", kind: keyInt, desc: desc, key: func(r *portal.Project) any {
			if r.BudgetCents == nil {
				return -1
			}
			return *r.BudgetCents
		}}, nil
	}
	return byCreation[portal.Project](desc), nil
}

func approvalOrder(o *portal.ApprovalOrder) order[portal.Approval] {
	if o == nil {
		return byCreation[portal.Approval](false)
	}
	desc := o.Direction == portal.SortDirectionDesc
	if o.Field == portal.ApprovalOrderFieldDueOn {
		return order[portal.Approval]{expr: dueKey, kind: keyDate, desc: desc, key: func(r *portal.Approval) any { return dateKey(r.DueOn) }}
	}
	return byCreation[portal.Approval](desc)
}

func deliverableOrder(o *portal.DeliverableOrder) order[portal.Deliverable] {
	if o == nil {
		return byCreation[portal.Deliverable](false)
	}
	desc := o.Direction == portal.SortDirectionDesc
	switch o.Field {
	case portal.DeliverableOrderFieldDueOn:
		return order[portal.Deliverable]{expr: dueKey, kind: keyDate, desc: desc, key: func(r *portal.Deliverable) any { return dateKey(r.DueOn) }}
	case portal.DeliverableOrderFieldTitle:
		return order[portal.Deliverable]{expr: "a.title", kind: keyText, desc: desc, key: func(r *portal.Deliverable) any { return r.Title }}
	}
	return byCreation[portal.Deliverable](desc)
}

// dueKey is the sort key of orderings by due date: no date sorts last.
const dueKey = "COALESCE(a.due_on, '9999-12-31')"

// dueRange keeps the records due from after to before, each bound when
// given. The bounds are written on dueKey, the sort key of orderings by due
// date, with the date required: the same records as bounds on due_on, but
// the conditions an index on the sort key is read by (the databases do not
// infer one from the other). Bounds on both, which PostgreSQL takes for
// independent, had it expect a handful of rows where hundreds match, and
// sort them rather than read them in the index's order.
func dueRange(c *conds, after, before *portal.Date) {
	if after == nil && before == nil {
		return
	}
	c.next().sql("a.due_on IS NOT NULL")
	if after != nil {
		c.next().sql(dueKey + " >= ").arg(*after)
	}
	if before != nil {
		c.next().sql(dueKey + " <= ").arg(*before)
	}
}

// dateKey matches dueKey in Go: no date sorts last.
func dateKey(d *portal.Date) string {
	if d == nil {
		return "9999-12-31"
	}
	return d.String()
}

func projectFilter(c *conds, status []portal.ProjectStatus, visibility *portal.Visibility) {
	if len(status) > 0 {
		c.next().sql("a.status IN (").sql(placeholders(c.q, status)).sql(")")
	}
	if visibility != nil {
		c.next().sql("a.visibility = ").arg(*visibility)
	}
}

// placeholders adds one argument per value and returns their placeholders.
// Filter lists are short enum lists, unlike batches of IDs.
func placeholders[V any](q *sqlBuf, values []V) string {
	out := make([]byte, 0, 3*len(values))
	for i, v := range values {
		if i > 0 {
			out = append(out, ", "...)
		}
		out = append(out, '?')
		q.args = append(q.args, v)
	}
	return string(out)
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func clientID(r *portal.Client) string           { return r.ID }
func contactID(r *portal.Contact) string         { return r.ID }
func projectID(r *portal.Project) string         { return r.ID }
func deliverableID(r *portal.Deliverable) string { return r.ID }
func approvalID(r *portal.Approval) string       { return r.ID }
func noteID(r *portal.Note) string               { return r.ID }
func activityID(r *portal.ActivityEvent) string  { return r.ID }
func userID(r *portal.User) string               { return r.ID }
