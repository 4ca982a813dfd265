package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/lib/pq"

	"portalgraph/internal/auth"
	"portalgraph/internal/portal"
	"portalgraph/internal/sqlstore"
)

// baseline serves the benchmark's queries with the same store calls — the
// same SQL, scoped the same way — as the GraphQL server, through plain
// net/http and encoding/json: the floor the GraphQL server is measured
// against.
type baseline struct {
	store *sqlstore.Store
	authn *auth.Authenticator
	audit *measuredAudit
	// The fields of the records each query answers with, which the
	// store reads alone, as the GraphQL server's planner reads those a
	// query selects.
	dashboardFields, dueFields portal.Fields
	bodies                     *sync.Pool // of *bytes.Buffer
}

func newBaseline(store *sqlstore.Store, authn *auth.Authenticator, reads *measuredAudit) *baseline {
	return &baseline{
		store: store, authn: authn, audit: reads,
		bodies: &sync.Pool{New: func() any { return new(bytes.Buffer) }},
		dashboardFields: portal.Fields{
			reflect.TypeFor[portal.Client]():           {"Name"},
			reflect.TypeFor[portal.Project]():          {"Name", "Status", "DueOn"},
			reflect.TypeFor[portal.Deliverable]():      {"Title", "Status", "DueOn"},
			reflect.TypeFor[portal.Approval]():         {"Title", "Status"},
			reflect.TypeFor[portal.ApprovalDecision](): {"ContactID", "Outcome", "Comment", "DecidedAt"},
			reflect.TypeFor[portal.Contact]():          {"Name"},
		},
		dueFields: portal.Fields{
			reflect.TypeFor[portal.Deliverable](): {"ProjectID", "Title", "Status", "DueOn"},
			reflect.TypeFor[portal.Project]():     {"Name"},
			reflect.TypeFor[portal.Client]():      {"Name"},
		},
	}
}

func (b *baseline) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /q0", b.viewer)
	mux.HandleFunc("POST /q1", b.dashboard)
	mux.HandleFunc("POST /q2", b.due)
	mux.HandleFunc("POST /q3", b.update)
	mux.HandleFunc("POST /q4", b.partnerDashboard)
	return mux
}

// viewer answers Q0: who is asking.
func (b *baseline) viewer(w http.ResponseWriter, r *http.Request) {
	p, ok := b.request(w, r, nil)
	if !ok {
		return
	}
	b.reply(w, map[string]any{"viewer": map[string]any{"audience": p.Audience}}, nil)
}

// request reads the principal and the variables, as the GraphQL server does.
func (b *baseline) request(w http.ResponseWriter, r *http.Request, vars any) (portal.Principal, bool) {
	p, err := b.authn.Authenticate(r)
	if err != nil {
		http.Error(w, err.Error(), http.StatusUnauthorized)
		return p, false
	}
	var body struct {
		Variables json.RawMessage `json:"variables"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return p, false
	}
	if vars != nil && len(body.Variables) > 0 {
		if err := json.Unmarshal(body.Variables, vars); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return p, false
		}
	}
	return p, true
}

// reply writes the response whole, with its length, as the GraphQL
// server does: a body handed to net/http in pieces (json.Encoder writes
// in pieces past its buffer) goes out chunked, in one more write to the
// socket.
func (b *baseline) reply(w http.ResponseWriter, v any, err error) {
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	buf := b.bodies.Get().(*bytes.Buffer)
	defer b.bodies.Put(buf)
	buf.Reset()
	_ = json.NewEncoder(buf).Encode(map[string]any{"data": v})
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	_, _ = w.Write(buf.Bytes())
}

type conn[T any] struct {
	TotalCount *int      `json:"totalCount,omitempty"`
	Edges      []edge[T] `json:"edges"`
}

type edge[T any] struct {
	Node T `json:"node"`
}

func connOf[S, T any](c *portal.Connection[S], count bool, node func(*S) T) conn[T] {
	out := conn[T]{Edges: make([]edge[T], 0)}
	if c == nil {
		return out
	}
	if count {
		out.TotalCount = &c.TotalCount
	}
	for _, e := range c.Edges {
		out.Edges = append(out.Edges, edge[T]{Node: node(e.Node)})
	}
	return out
}

type dashDecision struct {
	Outcome   portal.DecisionOutcome `json:"outcome"`
	Comment   *string                `json:"comment"`
	DecidedAt time.Time              `json:"decidedAt"`
	Contact   struct {
		Name string `json:"name"`
	} `json:"contact"`
}

type dashApproval struct {
	ID        string                `json:"id"`
	Title     string                `json:"title"`
	Status    portal.ApprovalStatus `json:"status"`
	Decisions []dashDecision        `json:"decisions"`
}

type dashDeliverable struct {
	ID        string                   `json:"id"`
	Title     string                   `json:"title"`
	Status    portal.DeliverableStatus `json:"status"`
	DueOn     *portal.Date             `json:"dueOn"`
	Approvals conn[dashApproval]       `json:"approvals"`
}

type dashProject struct {
	ID           string                `json:"id"`
	Name         string                `json:"name"`
	Status       portal.ProjectStatus  `json:"status"`
	DueOn        *portal.Date          `json:"dueOn"`
	Deliverables conn[dashDeliverable] `json:"deliverables"`
}

type dashClient struct {
	ID       string            `json:"id"`
	Name     string            `json:"name"`
	Projects conn[dashProject] `json:"projects"`
}

// dashboard is Q1: a client, its projects, their deliverables, their
// approvals and decisions, and who decided.
func (b *baseline) dashboard(w http.ResponseWriter, r *http.Request) {
	var vars struct {
		Client string `json:"client"`
	}
	p, ok := b.request(w, r, &vars)
	if !ok {
		return
	}
	ctx := portal.WithFields(r.Context(), b.dashboardFields)
	clientID := vars.Client
	var projectFilter portal.ClientProjectFilter
	var deliverableFilter portal.ProjectDeliverableFilter
	if p.IsPortal() {
		clientID = p.ClientID
	} else {
		shared := portal.VisibilityShared
		projectFilter.Visibility, deliverableFilter.Visibility = &shared, &shared
	}
	clients, err := b.store.ClientsByID(ctx, p, []string{clientID})
	if err != nil || len(clients) == 0 {
		b.reply(w, nil, err)
		return
	}
	projects, err := b.store.ProjectsOfClients(ctx, p, []string{clientID}, projectFilter, nil, portal.PageArgs{First: 10, Count: true})
	if err != nil {
		b.reply(w, nil, err)
		return
	}
	projectConn := projects[clientID]
	deliverables, err := b.store.DeliverablesOfProjects(ctx, p, nodeIDs(projectConn), deliverableFilter, nil, portal.PageArgs{First: 10, Count: true})
	if err != nil {
		b.reply(w, nil, err)
		return
	}
	var deliverableIDs []string
	for _, c := range deliverables {
		deliverableIDs = append(deliverableIDs, nodeIDs(c)...)
	}
	approvals, err := b.store.ApprovalsOf(ctx, p, portal.RecordTypeDeliverable, deliverableIDs, nil, portal.PageArgs{First: 5})
	if err != nil {
		b.reply(w, nil, err)
		return
	}
	var approvalIDs []string
	for _, c := range approvals {
		approvalIDs = append(approvalIDs, nodeIDs(c)...)
	}
	decisions, err := b.store.DecisionsOf(ctx, p, approvalIDs)
	if err != nil {
		b.reply(w, nil, err)
		return
	}
	var contactIDs, decisionIDs []string
	for _, ds := range decisions {
		for _, d := range ds {
			contactIDs = append(contactIDs, d.ContactID)
			decisionIDs = append(decisionIDs, d.ID)
		}
	}
	slices.Sort(contactIDs)
	contactIDs = slices.Compact(contactIDs)
	contacts, err := b.store.ContactsByID(ctx, p, contactIDs)
	if err != nil {
		b.reply(w, nil, err)
		return
	}
	if p.IsPortal() {
		// What the portal contact received, for the audit of reads, as
		// the GraphQL server records it (under the query's name).
		read := func(rt portal.RecordType, ids []string) { b.audit.Read(p, "Dashboard", rt, p.ClientID, ids) }
		read(portal.RecordTypeClient, []string{clientID})
		read(portal.RecordTypeProject, nodeIDs(projectConn))
		read(portal.RecordTypeDeliverable, deliverableIDs)
		read(portal.RecordTypeApproval, approvalIDs)
		read(portal.RecordTypeDecision, decisionIDs)
		read(portal.RecordTypeContact, contactIDs)
	}
	names := map[string]string{}
	for _, c := range contacts {
		names[c.ID] = c.Name
	}
	out := dashClient{ID: clients[0].ID, Name: clients[0].Name}
	out.Projects = connOf(projectConn, true, func(pr *portal.Project) dashProject {
		return dashProject{ID: pr.ID, Name: pr.Name, Status: pr.Status, DueOn: pr.DueOn,
			Deliverables: connOf(deliverables[pr.ID], true, func(d *portal.Deliverable) dashDeliverable {
				return dashDeliverable{ID: d.ID, Title: d.Title, Status: d.Status, DueOn: d.DueOn,
					Approvals: connOf(approvals[d.ID], false, func(a *portal.Approval) dashApproval {
						ds := make([]dashDecision, 0, len(decisions[a.ID]))
						for _, d := range decisions[a.ID] {
							dd := dashDecision{Outcome: d.Outcome, Comment: d.Comment, DecidedAt: d.DecidedAt}
							dd.Contact.Name = names[d.ContactID]
							ds = append(ds, dd)
						}
						return dashApproval{ID: a.ID, Title: a.Title, Status: a.Status, Decisions: ds}
					})}
			})}
	})
	if p.IsPortal() {
		b.reply(w, map[string]any{"viewer": map[string]any{"client": out}}, nil)
	} else {
		b.reply(w, map[string]any{"client": out}, nil)
	}
}

type dueNode struct {
	ID      string                   `json:"id"`
	Title   string                   `json:"title"`
	Status  portal.DeliverableStatus `json:"status"`
	DueOn   *portal.Date             `json:"dueOn"`
	Project struct {
		ID     string `json:"id"`
		Name   string `json:"name"`
		Client struct {
			ID   string `json:"id"`
			Name string `json:"name"`
		} `json:"client"`
	} `json:"project"`
}

// due is Q2: deliverables in review due in a date range, with their
// projects and clients.
func (b *baseline) due(w http.ResponseWriter, r *http.Request) {
	var vars struct {
		After  portal.Date `json:"after"`
		Before portal.Date `json:"before"`
	}
	p, ok := b.request(w, r, &vars)
	if !ok {
		return
	}
	ctx := portal.WithFields(r.Context(), b.dueFields)
	filter := portal.DeliverableFilter{Status: []portal.DeliverableStatus{portal.DeliverableStatusInReview}, DueAfter: &vars.After, DueBefore: &vars.Before}
	list, err := b.store.Deliverables(ctx, p, filter, &portal.DeliverableOrder{Field: portal.DeliverableOrderFieldDueOn, Direction: portal.SortDirectionAsc}, portal.PageArgs{First: 50, Count: true})
	if err != nil {
		b.reply(w, nil, err)
		return
	}
	var projectIDs []string
	for _, e := range list.Edges {
		projectIDs = append(projectIDs, e.Node.ProjectID)
	}
	slices.Sort(projectIDs)
	projects, err := b.store.ProjectsByID(ctx, p, slices.Compact(projectIDs))
	if err != nil {
		b.reply(w, nil, err)
		return
	}
	byID := map[string]*portal.Project{}
	var clientIDs []string
	for _, pr := range projects {
		byID[pr.ID] = pr
		clientIDs = append(clientIDs, pr.ClientID)
	}
	slices.Sort(clientIDs)
	clients, err := b.store.ClientsByID(ctx, p, slices.Compact(clientIDs))
	if err != nil {
		b.reply(w, nil, err)
		return
	}
	clientNames := map[string]string{}
	for _, c := range clients {
		clientNames[c.ID] = c.Name
	}
	out := connOf(list, true, func(d *portal.Deliverable) dueNode {
		n := dueNode{ID: d.ID, Title: d.Title, Status: d.Status, DueOn: d.DueOn}
		pr := byID[d.ProjectID]
		n.Project.ID, n.Project.Name = pr.ID, pr.Name
		n.Project.Client.ID, n.Project.Client.Name = pr.ClientID, clientNames[pr.ClientID]
		return n
	})
	b.reply(w, map[string]any{"deliverables": out}, nil)
}

// update is Q3: a staff member changes a deliverable's status.
func (b *baseline) update(w http.ResponseWriter, r *http.Request) {
	var vars struct {
		ID     string                   `json:"id"`
		Status portal.DeliverableStatus `json:"status"`
	}
	p, ok := b.request(w, r, &vars)
	if !ok {
		return
	}
	d, err := b.store.UpdateDeliverable(r.Context(), p, portal.UpdateDeliverableInput{ID: vars.ID, Status: &vars.Status})
	if err != nil {
		b.reply(w, nil, err)
		return
	}
	b.reply(w, map[string]any{"updateDeliverable": map[string]any{"deliverable": map[string]any{
		"id": d.ID, "status": d.Status, "updatedAt": d.UpdatedAt,
	}}}, nil)
}

func nodeIDs[T any, PT interface {
	*T
	GetID() string
}](c *portal.Connection[T]) []string {
	if c == nil {
		return nil
	}
	ids := make([]string, len(c.Edges))
	for i, e := range c.Edges {
		ids[i] = PT(e.Node).GetID()
	}
	return ids
}

func pqArray(ids []string) any { return pq.StringArray(ids) }

// Q4's rows: a group, with its project's name on approvalsByStatus.
type q4Key struct {
	Key *string `json:"key"`
}

type q4Group struct {
	Key     *string `json:"key"`
	Project *struct {
		Name string `json:"name"`
	} `json:"project"`
}

type q4Count struct {
	Group  q4Key `json:"group"`
	Count  int   `json:"count"`
	Status any   `json:"status,omitempty"`
}

// partnerDashboard is Q4: a partner's dashboard grouped by project, each
// figure one store call, and the projects of the first figure's groups.
func (b *baseline) partnerDashboard(w http.ResponseWriter, r *http.Request) {
	var f portal.DashboardFilter
	p, ok := b.request(w, r, &f)
	if !ok {
		return
	}
	ctx := r.Context()
	byStatus, err := b.store.DashboardApprovalsByStatus(ctx, p, f)
	if err != nil {
		b.reply(w, nil, err)
		return
	}
	turnaround, err := b.store.DashboardApprovalTurnaround(ctx, p, f)
	if err != nil {
		b.reply(w, nil, err)
		return
	}
	overdueApprovals, err := b.store.DashboardOverdueApprovals(ctx, p, f)
	if err != nil {
		b.reply(w, nil, err)
		return
	}
	overdueDeliverables, err := b.store.DashboardOverdueDeliverables(ctx, p, f)
	if err != nil {
		b.reply(w, nil, err)
		return
	}
	deliverables, err := b.store.DashboardDeliverablesByStatus(ctx, p, f)
	if err != nil {
		b.reply(w, nil, err)
		return
	}
	requests, err := b.store.DashboardRequests(ctx, p, f)
	if err != nil {
		b.reply(w, nil, err)
		return
	}
	var projectIDs []string
	for _, c := range byStatus {
		if k := c.Group.Of(portal.DashboardGroupingProject); k != nil {
			projectIDs = append(projectIDs, *k)
		}
	}
	slices.Sort(projectIDs)
	names := map[string]string{}
	if projectIDs = slices.Compact(projectIDs); len(projectIDs) > 0 {
		projects, err := b.store.ProjectsByID(ctx, p, projectIDs)
		if err != nil {
			b.reply(w, nil, err)
			return
		}
		byClient := map[string][]string{}
		for _, pr := range projects {
			names[pr.ID] = pr.Name
			byClient[pr.ClientID] = append(byClient[pr.ClientID], pr.ID)
		}
		// The partner received these projects: the audit of reads.
		for client, ids := range byClient {
			b.audit.Read(p, "PartnerDashboard", portal.RecordTypeProject, client, ids)
		}
	}
	type statusRow struct {
		Group  q4Group               `json:"group"`
		Status portal.ApprovalStatus `json:"status"`
		Count  int                   `json:"count"`
	}
	out := map[string]any{}
	rows := make([]statusRow, len(byStatus))
	for i, c := range byStatus {
		rows[i] = statusRow{Group: q4Group{Key: c.Group.Key}, Status: c.Status, Count: c.Count}
		if name, ok := names[deref(c.Group.Key)]; ok {
			rows[i].Group.Project = &struct {
				Name string `json:"name"`
			}{name}
		}
	}
	out["approvalsByStatus"] = rows
	type turnaroundRow struct {
		Group       q4Key   `json:"group"`
		Resolved    int     `json:"resolved"`
		MedianHours float64 `json:"medianHours"`
		P90Hours    float64 `json:"p90Hours"`
	}
	ta := make([]turnaroundRow, len(turnaround))
	for i, t := range turnaround {
		ta[i] = turnaroundRow{q4Key{t.Group.Key}, t.Resolved, t.MedianHours, t.P90Hours}
	}
	out["approvalTurnaround"] = ta
	counts := func(list []*portal.GroupCount) []q4Count {
		rows := make([]q4Count, len(list))
		for i, c := range list {
			rows[i] = q4Count{Group: q4Key{c.Group.Key}, Count: c.Count}
		}
		return rows
	}
	out["overdueApprovals"] = counts(overdueApprovals)
	out["overdueDeliverables"] = counts(overdueDeliverables)
	ds := make([]q4Count, len(deliverables))
	for i, c := range deliverables {
		ds[i] = q4Count{Group: q4Key{c.Group.Key}, Status: c.Status, Count: c.Count}
	}
	out["deliverablesByStatus"] = ds
	type requestRow struct {
		Group  q4Key `json:"group"`
		Opened int   `json:"opened"`
		Closed int   `json:"closed"`
	}
	rs := make([]requestRow, len(requests))
	for i, c := range requests {
		rs[i] = requestRow{q4Key{c.Group.Key}, c.Opened, c.Closed}
	}
	out["requests"] = rs
	b.reply(w, map[string]any{"dashboard": out}, nil)
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
