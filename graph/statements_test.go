package graph_test

import (
	"fmt"
	"net/http/httptest"
	"testing"
	"time"

	"portalgraph/graph"
	"portalgraph/internal/auth"
	"portalgraph/internal/dataset"
	"portalgraph/internal/portal"
	"portalgraph/internal/sqlstore"
	"portalgraph/internal/sqlstore/sqltest"
)

// The queries whose cost must not grow with the data, and the statements
// each costs: one to authenticate, then one per field that reads.
var countedQueries = []struct {
	name, who, query string
	statements       int64
	planned          bool // the planner covers it
}{
	{
		name: "portal dashboard", who: "portal", statements: 9, planned: true,
		// token, client, owner, projects, deliverables, approvals, approvers, decisions, decision contacts
		query: `{ viewer { client { name owner { name } projects(first: 100) { totalCount edges { node { name dueOn
			deliverables(first: 10) { totalCount edges { node { title status
				approvals(first: 10) { totalCount edges { node { title status approvers { name }
					decisions { outcome contact { name } } } } } } } } } } } } } }`,
	},
	{
		name: "portal files", who: "portal", statements: 8, planned: true,
		// token, client, client's files, projects, their files, deliverables, their files, versions
		query: `{ viewer { client { files(first: 20) { totalCount edges { node { name downloadUrl } } }
			projects(first: 100) { edges { node { files(first: 5) { totalCount edges { node { name } } }
				deliverables(first: 10) { edges { node { files(first: 3) { totalCount edges { node { name version
					versions { version } } } } } } } } } } } } }`,
	},
	{
		name: "staff deliverables due", who: "staff", statements: 4, planned: true,
		// token, deliverables with their total, projects, clients
		query: `{ deliverables(first: 50, filter: {status: [IN_REVIEW, IN_PROGRESS], dueAfter: "2026-01-01", dueBefore: "2026-12-31"},
			orderBy: {field: DUE_ON}) { totalCount edges { node { title dueOn project { name client { name } } } } } }`,
	},
	{
		name: "staff clients overview", who: "staff", statements: 7, planned: true,
		// token, clients, owners, contacts, projects, deliverables, notes
		query: `{ clients(first: 50) { totalCount edges { node { name owner { name } contacts { totalCount }
			notes(first: 3) { edges { node { body } } }
			projects(first: 20) { totalCount edges { node { name budgetCents deliverables(first: 5) { edges { node { title } } } } } } } } } }`,
	},
	{
		name: "staff dashboard", who: "staff", statements: 9, planned: true,
		// token, one per figure (7), the groups' clients
		query: `{ dashboard(filter: {from: "2026-01-01", to: "2026-12-31", groupBy: CLIENT}) {
			approvalsByStatus { group { key client { name } } status count }
			approvalTurnaround { group { key } resolved medianHours p90Hours }
			overdueApprovals { group { key } count } overdueDeliverables { group { key } count }
			deliverablesByStatus { group { key } status count } requests { group { key } opened closed }
			engagement { group { key } week activeContacts views downloads decisions } } }`,
	},
	{
		name: "partner dashboard", who: "partner", statements: 8, planned: true,
		// the key with its workspace's features, one per figure (6), the
		// groups' projects
		query: `{ dashboard(filter: {from: "2026-01-01", to: "2026-12-31", groupBy: PROJECT}) {
			approvalsByStatus { group { key project { name } } status count }
			approvalTurnaround { group { key } resolved medianHours p90Hours }
			overdueApprovals { group { key } count } overdueDeliverables { group { key } count }
			deliverablesByStatus { group { key } status count } requests { group { key } opened closed } } }`,
	},
}

// TestStatementsDoNotGrowWithData runs each query on a small and a large
// data set and counts, at the database driver, the statements it sends,
// with and without the planner.
func TestStatementsDoNotGrowWithData(t *testing.T) {
	t.Parallel()
	for _, dialect := range sqltest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			// Both executors: the planner's, and gqlgen's with the
			// loaders, which serves what the planner does not cover.
			for _, withoutPlanner := range []bool{false, true} {
				count := func(projectsPerClient int) map[string]cost {
					name := fmt.Sprintf("%d projects per client, without planner %t", projectsPerClient, withoutPlanner)
					return ownDatabase(t, name, func(t *testing.T) map[string]cost {
						return countStatements(t, dialect, projectsPerClient, withoutPlanner)
					})
				}
				small, large := count(2), count(50)
				for _, q := range countedQueries {
					if small[q.name].statements != q.statements || large[q.name].statements != q.statements {
						t.Errorf("%s (without planner: %t): %d statements with 2 projects per client, %d with 50; want %d for both",
							q.name, withoutPlanner, small[q.name].statements, large[q.name].statements, q.statements)
					}
					if planned := q.planned && !withoutPlanner; small[q.name].planned != planned || large[q.name].planned != planned {
						t.Errorf("%s (without planner: %t): planned %t and %t, want %t", q.name, withoutPlanner, small[q.name].planned, large[q.name].planned, planned)
					}
				}
			}
		})
	}
}

// cost is what one counted query cost: its statements, and whether the
// planner executed it.
type cost struct {
	statements int64
	planned    bool
}

// countStatements loads a data set with the given number of projects per
// client and returns what each counted query costs.
func countStatements(t *testing.T, dialect string, projectsPerClient int, withoutPlanner bool) map[string]cost {
	counter := &sqlstore.StatementCounter{}
	store := sqltest.Open(t, dialect, sqlstore.WithStatementCounter(counter))
	tokens := loadGrowingData(t, store, projectsPerClient)
	// A wait long enough that only an incomplete count, never a slow
	// machine, can send a batch before it is full.
	h, err := graph.NewHandler(graph.Config{Store: store, Authenticate: auth.New(store).Authenticate, BatchWait: time.Minute, WithoutPlanner: withoutPlanner})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h.Mux())
	defer srv.Close()
	e := &env{store: store, srv: srv}
	out := map[string]cost{}
	for _, q := range countedQueries {
		for range 2 { // the second run must cost the same: nothing is cached across requests
			before := counter.Count()
			plannedBefore, _ := h.ExecStats().Counts()
			e.post(t, tokens[q.who], q.query, nil).decode(t, &map[string]any{})
			planned, _ := h.ExecStats().Counts()
			out[q.name] = cost{statements: counter.Count() - before, planned: planned > plannedBefore}
		}
	}
	if batches, early := h.BatchStats().Counts(); early > 0 {
		t.Errorf("%d of %d batches were sent before every object expected to ask had asked", early, batches)
	}
	return out
}

// loadGrowingData loads four clients with n projects each, every project
// with six deliverables of two approvals each, and returns a staff token,
// a portal token and a partner's key.
func loadGrowingData(t *testing.T, store *sqlstore.Store, n int) map[string]string {
	b := dataset.New(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), uint64(n))
	ws := b.Workspace("Growing", "growing")
	owner := b.User(ws, "Owner", "owner@growing.example", portal.BuiltInRoleOwner)
	var portalContact *portal.Contact
	for ci := range 4 {
		c := b.Client(ws, fmt.Sprintf("Client %d", ci), owner, portal.ClientStatusActive)
		c.PortalEnabled = true
		a := b.Contact(c, "A", fmt.Sprintf("a%d@growing.example", ci), "", portal.PortalStatusActive)
		z := b.Contact(c, "Z", fmt.Sprintf("z%d@growing.example", ci), "", portal.PortalStatusActive)
		if portalContact == nil {
			portalContact = a
		}
		b.Note(c, nil, owner, "note")
		for pi := range n {
			p := b.Project(c, fmt.Sprintf("Project %d", pi), portal.ProjectStatusActive, portal.VisibilityShared)
			b.File(c, p, nil, nil, "brief.pdf", []byte("%PDF-1.4 brief"), portal.VisibilityShared, nil, a)
			for di := range 6 {
				status := []portal.DeliverableStatus{portal.DeliverableStatusInReview, portal.DeliverableStatusInProgress}[di%2]
				d := b.Deliverable(p, fmt.Sprintf("Deliverable %d", di), status, portal.VisibilityShared)
				d.DueOn = dataset.Date(2026, time.Month(1+di), 10)
				for range 2 {
					ap := b.Approval(p, d, "Approve", portal.ApprovalPolicyAll, owner, a, z)
					b.Decision(ap, a, portal.DecisionOutcomeApproved, "")
				}
				v1 := b.File(c, p, d, nil, "draft.pdf", []byte("%PDF-1.4 draft"), portal.VisibilityShared, owner, nil)
				b.NewVersion(v1, "final.pdf", []byte("%PDF-1.4 final"), portal.VisibilityShared, owner)
			}
		}
	}
	tokens := map[string]string{}
	for who, holder := range map[string]*portal.AccessToken{
		"staff":  {Kind: portal.TokenAPI, WorkspaceID: ws.ID, UserID: &owner.ID},
		"portal": {Kind: portal.TokenAPI, WorkspaceID: ws.ID, ContactID: &portalContact.ID},
	} {
		token, hash := auth.NewToken()
		holder.Hash, holder.ID, holder.CreatedAt = hash, portal.NewID(portal.PrefixToken, time.Now()), time.Now().UTC()
		b.Data.Tokens = append(b.Data.Tokens, holder)
		tokens[who] = token
	}
	if err := store.Load(t.Context(), &b.Data); err != nil {
		t.Fatal(err)
	}
	secret, hash := auth.NewPartnerSecret()
	all := []portal.PartnerScope{portal.PartnerScopeClients, portal.PartnerScopeProjects, portal.PartnerScopeDeliverables, portal.PartnerScopeApprovals, portal.PartnerScopeRequests}
	if _, err := store.CreatePartnerKey(t.Context(), sqltest.Staff(owner), portal.CreatePartnerKeyInput{Name: "Dashboard", Scopes: all}, hash); err != nil {
		t.Fatal(err)
	}
	tokens["partner"] = secret
	return tokens
}
