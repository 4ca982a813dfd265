package graph_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/formatter"
	"github.com/vektah/gqlparser/v2/parser"

	"portalgraph/graph"
)

// plannedQueries are queries the planner covers in full, with the number of
// root fields each has. Between them they use every covered field, aliases,
// fragments, @skip/@include, variables, input defaults and pagination.
var plannedQueries = []struct {
	name  string
	query string
	vars  func(e *env) vars
	roots int64
	// answered are principals that must get data, not errors.
	answered []string
}{
	{
		name: "portal dashboard", roots: 1, answered: []string{"aActive", "bActive", "xActive"},
		query: `{ viewer { audience preview contact { id name email phone title client { name } }
			client { id name organization email phone website portalEnabled createdAt owner { id name email }
				projects(first: 10) { totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
					edges { cursor node { id name description status startsOn dueOn createdAt owner { name } client { id }
						deliverables(first: 10) { totalCount edges { node { id title description status dueOn createdAt project { name }
							approvals(first: 5) { totalCount edges { node { id title message status policy dueOn round createdAt
								deliverable { id } approvers { name }
								decisions { id outcome comment onBehalf superseded decidedAt contact { name client { name } } } } } } } } } } } } } } }`,
	},
	{
		name: "dashboard of one client, shared records", roots: 1, answered: []string{"owner", "member", "viewer"},
		query: `query ($client: ID!) { client(id: $client) { id name
			projects(first: 10, filter: {visibility: SHARED}) { totalCount edges { node { id name status dueOn
				deliverables(first: 10, filter: {visibility: SHARED}) { totalCount edges { node { id title status dueOn
					approvals(first: 5) { edges { node { id title status decisions { outcome comment decidedAt contact { name } } } } } } } } } } } } }`,
		vars: func(e *env) vars { return vars{"client": e.f.A.ID} },
	},
	{
		name: "deliverables due, ordered", roots: 1, answered: []string{"owner", "aActive"},
		query: `query ($after: Date!, $before: Date!) {
			deliverables(first: 50, filter: {status: [IN_REVIEW, APPROVED, IN_PROGRESS], dueAfter: $after, dueBefore: $before}, orderBy: {field: DUE_ON}) {
				totalCount edges { node { id title status dueOn project { id name client { id name } } } } } }`,
		vars: func(e *env) vars { return vars{"after": "2026-01-01", "before": "2026-12-31"} },
	},
	{
		name: "aliases, fragments, directives and two roots", roots: 3, answered: []string{"owner", "aActive"},
		query: `query ($withDeliverables: Boolean!, $first: Int) {
			me: viewer { __typename audience }
			shared: projects(first: $first, orderBy: {field: NAME, direction: DESC}) { ...page
				edges { node { ...projectFields
					deliverables(first: 2) @include(if: $withDeliverables) { edges { node { __typename id alias: title } } }
					skipped: name @skip(if: true) } } }
			all: projects { totalCount } }
		fragment page on ProjectConnection { __typename totalCount pageInfo { hasNextPage endCursor } }
		fragment projectFields on Project { id name ... on Project { status } }`,
		vars: func(e *env) vars { return vars{"withDeliverables": true, "first": 1} },
	},
	{
		name: "staff clients overview", roots: 1, answered: []string{"owner", "manager"},
		query: `{ clients(first: 10, filter: {status: [ACTIVE]}, orderBy: {field: NAME}) { totalCount edges { node { name status internalNotes
			updatedAt archivedAt owner { name } portalEnabled
			projects { edges { node { name budgetCents internalNotes visibility updatedAt
				approvals(first: 3) { edges { node { title internalNotes remindedAt resolvedAt } } } } } } } } } }`,
	},
	{
		name: "no totalCount, empty pages", roots: 1, answered: []string{"owner", "aActive"},
		query: `{ projects(first: 0) { edges { cursor } pageInfo { hasNextPage } } }`,
	},
}

// TestPlannerAnswersAsGQLGen sends each planned query, as every principal
// of the fixture, to the server and to one without the planner over the
// same database, and requires the same status and the very same bytes;
// and that the planner did execute the queries that succeeded.
func TestPlannerAnswersAsGQLGen(t *testing.T) {
	run(t, func(t *testing.T, e *env) {
		plain := plainServer(t, e)
		e.partnerKey(t, "partner", map[string]any{"scopes": allScopes})
		e.partnerKey(t, "partnerA", map[string]any{"scopes": allScopes, "clientIds": []string{e.f.A.ID}, "includeInternal": true})
		whos := []string{"owner", "manager", "member", "viewer", "aActive", "aSuspended", "bActive", "cActive", "owner2", "xActive", "partner", "partnerA", ""}
		for _, q := range plannedQueries {
			var plannedFor []string
			for _, who := range whos {
				var v vars
				if q.vars != nil {
					v = q.vars(e)
				}
				plannedBefore, fallbackBefore := e.handler.ExecStats().Counts()
				status, got := sendRaw(t, e, e.srv, e.f.Tokens[who], q.query, v)
				planned, fallback := e.handler.ExecStats().Counts()
				wantStatus, want := sendRaw(t, e, plain, e.f.Tokens[who], q.query, v)
				if status != wantStatus || !bytes.Equal(got, want) {
					t.Errorf("%s as %q:\n planner: %d %s\n  gqlgen: %d %s", q.name, who, status, got, wantStatus, want)
					continue
				}
				if bytes.Contains(got, []byte(`"errors"`)) {
					continue
				}
				if planned-plannedBefore != q.roots || fallback != fallbackBefore {
					t.Errorf("%s as %q: the planner executed %d root fields and left %d to gqlgen; want %d and 0",
						q.name, who, planned-plannedBefore, fallback-fallbackBefore, q.roots)
				}
				plannedFor = append(plannedFor, who)
			}
			for _, who := range q.answered {
				if !slices.Contains(plannedFor, who) {
					t.Errorf("%s as %q: answered with errors", q.name, who)
				}
			}
		}
	})
}

// everyRecordQueries read every record type and relation the planner
// covers, over records of every kind: staff the whole of one client, a
// portal contact their portal, and each record by ID.
var everyRecordQueries = []struct {
	name, query string
	vars        func(e *env, ids everyRecordIDs) vars
	answered    []string
}{
	{
		name: "staff, everything of a client", answered: []string{"owner", "manager"},
		vars: func(e *env, _ everyRecordIDs) vars { return vars{"client": e.f.A.ID} },
		query: `query ($client: ID!) {
			viewer { audience workspace { id name slug createdAt } user { id name email role { id name builtIn permissions memberCount createdAt updatedAt } deactivatedAt createdAt } permissions }
			users(first: 5) { totalCount edges { node { id name email role { id name builtIn } } } }
			roles { id name builtIn permissions memberCount }
			reports(first: 20) { totalCount edges { node { id title status } } }
			requests(first: 20) { totalCount edges { node { id title status } } }
			approvals(first: 20) { totalCount edges { node { id title status } } }
			client(id: $client) { id name portalStatus
				portalOverview { status activeContacts invitedContacts suspendedContacts lastSeenAt pendingApprovals }
				contacts(first: 10) { totalCount edges { node { id name email portalStatus lastSeenAt inviteExpiresAt client { id } createdAt updatedAt } } }
				notes(first: 5) { totalCount edges { node { id body author { name } client { id } project { id } createdAt } } }
				activity(first: 50) { totalCount edges { node { id action recordType recordId actorUser { name } actorContact { name } client { id }
					summary changedFields preview createdAt } } }
				approvals(first: 10) { totalCount edges { node { id title requestedBy { name } previousRound { id } nextRound { id }
					decisionHistory { id outcome comment recordedBy { name } approval { id } contact { name } } } } }
				files(first: 10) { totalCount edges { node { id name contentType size sha256 visibility version versions { id version }
					client { id } project { id } deliverable { id } request { id } uploadedBy { name } uploadedByContact { name } downloadUrl createdAt } } }
				reports(first: 10) { totalCount edges { node { id title periodStart periodEnd summary body metrics { name value unit } status publishedAt
					author { name } project { id } client { id } createdAt updatedAt } } }
				exports(first: 10) { totalCount edges { node { id kind from to status file { id name } error requestedBy { name } requestedByContact { name }
					client { id } createdAt finishedAt } } }
				requests(first: 10) { totalCount edges { node { id title body status assignee { name } openedBy { name } project { id } client { id }
					createdAt lastActivityAt
					comments(first: 10) { totalCount edges { node { id body internal authorUser { name } authorContact { name } request { id } createdAt } } }
					attachments { id name } } } }
				projects(first: 10) { edges { node { id notes(first: 2) { edges { node { id } } } files(first: 5) { edges { node { id } } }
					reports(first: 5) { edges { node { id } } }
					deliverables(first: 10) { edges { node { id files(first: 5, allVersions: true) { totalCount edges { node { id version } } } } } } } } } } }`,
	},
	{
		name: "portal, everything shared", answered: []string{"aActive", "bActive"},
		query: `{ viewer { audience preview workspace { name } contact { id name email phone title client { id } }
			pendingApprovals(first: 10) { totalCount edges { node { id title status } } }
			client { id name portalEnabled
				contacts(first: 10) { totalCount edges { node { id name email } } }
				approvals(first: 10) { totalCount edges { node { id title status decisions { outcome contact { name } } } } }
				files(first: 10) { totalCount edges { node { id name contentType size version versions { id } project { id } deliverable { id }
					uploadedByContact { name } downloadUrl createdAt } } }
				reports(first: 10) { totalCount edges { node { id title periodStart periodEnd summary body metrics { name value unit } publishedAt project { id } } } }
				exports(first: 10) { totalCount edges { node { id kind from to status file { id name } requestedByContact { name } createdAt finishedAt } } }
				requests(first: 10) { totalCount edges { node { id title body status openedBy { name } project { id }
					comments(first: 10) { totalCount edges { node { id body authorContact { name } request { id } } } } attachments { id name } } } }
				projects(first: 10) { edges { node { id files(first: 5) { edges { node { id } } } reports(first: 5) { edges { node { id } } }
					deliverables(first: 10) { edges { node { id files(first: 5) { edges { node { id } } } } } } } } } } } }`,
	},
	{
		name: "records by node", answered: []string{"owner", "aActive"},
		vars: func(e *env, ids everyRecordIDs) vars {
			v := vars{}
			for i, id := range []string{e.f.A.ID, e.f.AShared.ID, e.f.DShared.ID, ids.file, ids.report, ids.request, ids.export, e.f.AActive.ID} {
				v[fmt.Sprintf("n%d", i)] = id
			}
			return v
		},
		query: nodesQuery(8),
	},
	{
		name: "activity and its records", answered: []string{"owner", "manager"},
		vars: func(e *env, _ everyRecordIDs) vars { return vars{"client": e.f.A.ID} },
		query: `query ($client: ID!) { client(id: $client) { activity(first: 50) { edges { node { action recordType
			record { __typename id ... on Project { name client { name } } ... on Deliverable { title } ... on Approval { title status }
				... on File { name } ... on Report { title } ... on ClientRequest { title } ... on Contact { name } ... on Client { name } } } } } } }`,
	},
	{
		name: "records by ID", answered: []string{"owner", "aActive"},
		vars: func(e *env, ids everyRecordIDs) vars {
			return vars{"project": e.f.AShared.ID, "deliverable": e.f.DShared.ID, "file": ids.file, "report": ids.report, "request": ids.request, "export": ids.export}
		},
		query: `query ($project: ID!, $deliverable: ID!, $file: ID!, $report: ID!, $request: ID!, $export: ID!) {
			project(id: $project) { id name } deliverable(id: $deliverable) { id title } file(id: $file) { id name }
			report(id: $report) { id title } request(id: $request) { id title } export(id: $export) { id status } }`,
	},
}

// nodesQuery reads n records by node(id:), $n0 to $n<n-1>, each record
// type's own fields spread in.
func nodesQuery(n int) string {
	var params, fields strings.Builder
	for i := range n {
		if i > 0 {
			params.WriteString(", ")
		}
		fmt.Fprintf(&params, "$n%d: ID!", i)
		fmt.Fprintf(&fields, `n%[1]d: node(id: $n%[1]d) { __typename id ... on Client { name } ... on Project { name status client { name } }
			... on Deliverable { title } ... on File { name version } ... on Report { title } ... on ClientRequest { title }
			... on Export { exportStatus: status } ... on Contact { name } } `, i)
	}
	return "query (" + params.String() + ") { " + fields.String() + "}"
}

// everyRecordIDs are records everyRecordQueries read by ID.
type everyRecordIDs struct{ file, report, request, export string }

// TestPlannerAnswersAsGQLGenOverEveryRecord compares the planner with
// gqlgen, byte for byte, over records of every kind, as every principal,
// and checks that the audit records what each opened by ID alike.
func TestPlannerAnswersAsGQLGenOverEveryRecord(t *testing.T) {
	run(t, func(t *testing.T, e *env) {
		plain := plainServer(t, e)
		f := e.f
		reports := e.loadReports(t)
		request := e.openRequest(t, "aActive", "New logo", f.AShared.ID)
		e.commentOn(t, "manager", request, "On it", false)
		e.commentOn(t, "manager", request, "Ask the designer", true)
		e.commentOn(t, "aActive", request, "Thanks", false)
		e.attach(t, f.W1.ID, f.A.ID, request, "brief.pdf", "SHARED")
		file := e.mustUpload(t, "manager", map[string]any{"deliverableId": f.DShared.ID, "visibility": "SHARED"}, upload{"v1.pdf", []byte("%PDF-1.4 one")})
		e.mustUpload(t, "manager", map[string]any{"visibility": "SHARED", "replacesId": file.ID}, upload{"v2.pdf", []byte("%PDF-1.4 two")})
		e.exec(t, `UPDATE clients SET portal_exports = TRUE WHERE id = ?`, f.A.ID)
		exp := e.requestExport(t, "aActive", map[string]any{"kind": "APPROVALS", "from": "2026-01-01", "to": "2026-12-31"})
		e.buildExports(t)
		approval := e.requestApproval(t, "manager", f.DShared.ID, f.AActive.ID)
		e.decide(t, "aActive", approval, "CHANGES_REQUESTED", "Bigger", "every-record")
		e.flush(t)
		ids := everyRecordIDs{file: file.ID, report: reports.ASharedPublished, request: request, export: exp.ID}

		whos := []string{"owner", "manager", "member", "viewer", "aActive", "aSuspended", "bActive", "cActive", "owner2", ""}
		for _, q := range everyRecordQueries {
			var v vars
			if q.vars != nil {
				v = q.vars(e, ids)
			}
			for _, who := range whos {
				plannedBefore, fallbackBefore := e.handler.ExecStats().Counts()
				status, got := sendRaw(t, e, e.srv, e.f.Tokens[who], q.query, v)
				planned, fallback := e.handler.ExecStats().Counts()
				wantStatus, want := sendRaw(t, e, plain, e.f.Tokens[who], q.query, v)
				if status != wantStatus || !bytes.Equal(got, want) {
					t.Errorf("%s as %q:\n planner: %d %s\n  gqlgen: %d %s", q.name, who, status, got, wantStatus, want)
					continue
				}
				if !slices.Contains(q.answered, who) {
					continue
				}
				if bytes.Contains(got, []byte(`"errors"`)) {
					t.Errorf("%s as %q: answered with errors: %s", q.name, who, got)
				}
				if planned == plannedBefore || fallback != fallbackBefore {
					t.Errorf("%s as %q: the planner executed %d root fields and left %d to gqlgen", q.name, who, planned-plannedBefore, fallback-fallbackBefore)
				}
			}
			for _, query := range narrowedVariants(t, q.query) {
				for _, who := range q.answered {
					status, got := sendRaw(t, e, e.srv, e.f.Tokens[who], query, v)
					wantStatus, want := sendRaw(t, e, plain, e.f.Tokens[who], query, v)
					if status != wantStatus || !bytes.Equal(got, want) {
						t.Errorf("%s, narrowed, as %q:\n%s\n planner: %d %s\n  gqlgen: %d %s", q.name, who, query, status, got, wantStatus, want)
					}
				}
			}
		}
	})
}

// TestPlannerLeavesTheUncoveredToGQLGen checks that what the planner does
// not cover, or where something goes wrong, is answered by gqlgen, with
// the same bytes as a server without the planner.
func TestPlannerLeavesTheUncoveredToGQLGen(t *testing.T) {
	run(t, func(t *testing.T, e *env) {
		plain := plainServer(t, e)
		for _, c := range []struct {
			name, who, query string
			vars             vars
			planned          int64 // root fields the planner executes
		}{
			{name: "an input that fails validation", who: "owner", query: `{ clients(filter: {text: "` + strings.Repeat("x", 201) + `"}) { totalCount } }`},
			{name: "a field a directive refuses", who: "viewer", query: `{ projects { edges { node { name budgetCents } } } }`},
			{name: "a client the viewer may not see", who: "aActive", query: `query ($id: ID!) { client(id: $id) { name } }`, vars: vars{"id": e.f.B.ID}},
			{name: "a client of another workspace", who: "owner", query: `query ($id: ID!) { client(id: $id) { name } }`, vars: vars{"id": e.f.X.ID}},
			{name: "a page too large", who: "owner", query: `{ projects(first: 101) { totalCount } }`},
			{name: "a malformed cursor", who: "owner", query: `{ projects(after: "nonsense") { totalCount } }`},
			{name: "a malformed date", who: "owner", query: `{ deliverables(filter: {dueAfter: "soon"}) { totalCount } }`},
			{name: "one root planned, one not", who: "owner", planned: 1, query: `{ viewer { audience } node(id: "nonsense") { id } }`},
			// The plain server makes the same change again, and answers alike.
			{name: "a mutation", who: "owner", query: `mutation ($id: ID!) { updateDeliverable(input: {id: $id, title: "Renamed"}) { deliverable { title project { name } } } }`, vars: vars{"id": e.f.DShared.ID}},
		} {
			plannedBefore, _ := e.handler.ExecStats().Counts()
			status, got := sendRaw(t, e, e.srv, e.f.Tokens[c.who], c.query, c.vars)
			planned, _ := e.handler.ExecStats().Counts()
			wantStatus, want := sendRaw(t, e, plain, e.f.Tokens[c.who], c.query, c.vars)
			if status != wantStatus || !bytes.Equal(got, want) {
				t.Errorf("%s:\n planner: %d %s\n  gqlgen: %d %s", c.name, status, got, wantStatus, want)
			}
			if planned-plannedBefore != c.planned {
				t.Errorf("%s: the planner executed %d root fields, want %d", c.name, planned-plannedBefore, c.planned)
			}
		}
	})
}

// TestCompiledRootFieldsServeEachRequestAsItsOwn sends operations again,
// as the planner compiles a root field once and keeps it: each request
// must still be checked against its own principal, see the fields its own
// variables select, and get the fields its own operation merges, with
// the same bytes as a server without the planner.
func TestCompiledRootFieldsServeEachRequestAsItsOwn(t *testing.T) {
	run(t, func(t *testing.T, e *env) {
		plain := plainServer(t, e)
		const budgets = `{ projects { edges { node { name budgetCents } } } }`
		const included = `query ($client: Boolean!) { viewer { audience client @include(if: $client) { id name } } }`
		const shared = `query Audience { ...Viewer } query WithClient { ...Viewer v: viewer { client { name } } } fragment Viewer on Query { v: viewer { audience } }`
		for _, c := range []struct {
			name, who, query, operation string
			vars                        vars
			planned                     int64 // root fields the planner executes
			want                        string
		}{
			{name: "a field staff may read", who: "owner", query: budgets, planned: 1, want: `"budgetCents"`},
			{name: "the same field, which the viewer role may not read", who: "viewer", query: budgets, want: `"FORBIDDEN"`},
			{name: "the field again, by whom may", who: "owner", query: budgets, planned: 1, want: `"budgetCents"`},
			{name: "a field included", who: "aActive", query: included, vars: vars{"client": true}, planned: 1, want: `"client"`},
			{name: "the field left out", who: "aActive", query: included, vars: vars{"client": false}, planned: 1, want: `{"data":{"viewer":{"audience":"PORTAL"}}}`},
			{name: "the field included again", who: "aActive", query: included, vars: vars{"client": true}, planned: 1, want: `"client"`},
			{name: "a root fragment alone", who: "aActive", query: shared, operation: "Audience", planned: 1, want: `{"data":{"v":{"audience":"PORTAL"}}}`},
			{name: "the fragment merged with more", who: "aActive", query: shared, operation: "WithClient", planned: 1, want: `"client"`},
			{name: "the fragment alone again", who: "aActive", query: shared, operation: "Audience", planned: 1, want: `{"data":{"v":{"audience":"PORTAL"}}}`},
		} {
			plannedBefore, _ := e.handler.ExecStats().Counts()
			status, got := sendOperation(t, e, e.srv, e.f.Tokens[c.who], c.query, c.operation, c.vars)
			planned, _ := e.handler.ExecStats().Counts()
			wantStatus, want := sendOperation(t, e, plain, e.f.Tokens[c.who], c.query, c.operation, c.vars)
			if status != wantStatus || !bytes.Equal(got, want) {
				t.Errorf("%s:\n planner: %d %s\n  gqlgen: %d %s", c.name, status, got, wantStatus, want)
			}
			if !bytes.Contains(got, []byte(c.want)) {
				t.Errorf("%s: got %s, want it to hold %s", c.name, got, c.want)
			}
			if planned-plannedBefore != c.planned {
				t.Errorf("%s: the planner executed %d root fields, want %d", c.name, planned-plannedBefore, c.planned)
			}
		}
	})
}

// sendOperation posts a document to srv, to run its operation named
// operation (its only one if ""), and returns the status and the body as
// it came, but for the order of its errors.
func sendOperation(t *testing.T, e *env, srv *httptest.Server, token, query, operation string, variables vars) (int, []byte) {
	t.Helper()
	body, err := json.Marshal(map[string]any{"query": query, "operationName": operation, "variables": variables})
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, srv.URL+"/graphql", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	req.Header.Set("X-Request-Id", "same-for-both") // echoed in INTERNAL errors
	r := e.sendVia(t, srv.Client(), req)
	return r.Status, inErrorOrder(t, r.Raw)
}

// plainServer serves e's database as e's server does, but without the
// planner.
func plainServer(t *testing.T, e *env) *httptest.Server {
	t.Helper()
	cfg := e.cfg
	cfg.WithoutPlanner = true
	h, err := graph.NewHandler(cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h.Mux())
	t.Cleanup(srv.Close)
	return srv
}

// sendRaw posts a query to srv and returns the status and the body as it
// came, but for the order of its errors.
func sendRaw(t *testing.T, e *env, srv *httptest.Server, token, query string, variables vars) (int, []byte) {
	t.Helper()
	return sendOperation(t, e, srv, token, query, "", variables)
}

// inErrorOrder sorts a response's errors, which gqlgen reports in the order
// its goroutines met them, and leaves the rest byte for byte.
func inErrorOrder(t *testing.T, body []byte) []byte {
	t.Helper()
	var r struct {
		Errors []json.RawMessage `json:"errors,omitempty"`
		Data   json.RawMessage   `json:"data"`
	}
	if err := json.Unmarshal(body, &r); err != nil {
		t.Fatalf("not a GraphQL response: %v: %s", err, body)
	}
	slices.SortFunc(r.Errors, func(a, b json.RawMessage) int { return bytes.Compare(a, b) })
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(r); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// narrowedVariants are the queries of everyRecordQueries with one
// selection set at a time narrowed to one of its selections: as many
// queries as the queries have selections below their roots. The planner
// reads only the fields a query's selections need (portal.Fields), and
// each variant asks for one such field alone, so a definition that reads
// more of its object than it says answers differently from gqlgen, which
// reads records whole.
func narrowedVariants(t *testing.T, query string) []string {
	t.Helper()
	doc, err := parser.ParseQuery(&ast.Source{Input: query})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	format := func() string {
		var b strings.Builder
		formatter.NewFormatter(&b, formatter.WithIndent("")).FormatQueryDocument(doc)
		return b.String()
	}
	var walk func(set ast.SelectionSet)
	walk = func(set ast.SelectionSet) {
		for _, sel := range set {
			var below *ast.SelectionSet
			switch s := sel.(type) {
			case *ast.Field:
				below = &s.SelectionSet
			case *ast.InlineFragment:
				below = &s.SelectionSet
			default:
				t.Fatalf("a fragment spread in %s", query)
			}
			if whole := *below; len(whole) > 1 {
				for i := range whole {
					*below = ast.SelectionSet{whole[i]}
					out = append(out, format())
				}
				*below = whole
			}
			walk(*below)
		}
	}
	for _, op := range doc.Operations {
		walk(op.SelectionSet) // every root field stays, and the variables with them
	}
	return out
}
