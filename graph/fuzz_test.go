package graph_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"

	"portalgraph/internal/sqlstore/sqltest"
)

// fuzzPrincipals are whom a fuzzed request is sent as, chosen by the
// input's first value: a staff owner, a portal contact, nobody, a
// partner's key reading every section of every client.
var fuzzPrincipals = []string{"owner", "aActive", "", "partner"}

// fuzzRequest is the request an input makes: a POST of JSON as the
// principal who%4 says, or, when who/4 is odd, a GET with the query and
// the variables as they are in the URL, where no JSON decoder has
// replaced invalid UTF-8 in the query.
type fuzzRequest struct {
	principal string
	get       bool
	query     string
	variables string
}

func newFuzzRequest(who uint8, query, variables string) fuzzRequest {
	n := len(fuzzPrincipals)
	return fuzzRequest{principal: fuzzPrincipals[int(who)%n], get: int(who)/n%2 == 1, query: query, variables: variables}
}

// FuzzRequests sends any query with any variables to the real handler,
// over HTTP, with real tokens, and requires of every answer what a client
// sending nonsense may still expect: never INTERNAL, never a 5xx, always a
// GraphQL response, and the same errors from PostgreSQL and SQLite. The
// seeds are the attacks of the bad-input report, their kin, and what
// fuzzing found; plain `go test` runs them on both databases.
//
// To fuzz (each worker process builds its databases once):
//
//	PORTALGRAPH_FUZZ_DIALECT=sqlite go test -run '^$' -fuzz '^FuzzRequests$' -fuzztime 5m -parallel 2 ./graph/
//
// PORTALGRAPH_FUZZ_DIALECT names the one database inputs are sent to
// ("sqlite" or "postgres"); unset, they go to both and the answers are
// compared, at half the speed. What fuzzing finds belongs in fuzzSeeds.
func FuzzRequests(f *testing.F) {
	var envs []*env
	for _, d := range fuzzDialects(f) {
		e := newEnv(f, sqltest.Open(f, d))
		e.fuzzPartnerKey(f)
		envs = append(envs, e)
	}
	for _, s := range fuzzSeeds(f, envs[0]) {
		f.Add(s.who, s.query, s.variables)
	}
	f.Fuzz(func(t *testing.T, who uint8, query, variables string) {
		fr := newFuzzRequest(who, query, variables)
		answers := make([]string, len(envs))
		for i, e := range envs {
			answers[i] = e.fuzzSend(t, fr)
		}
		for i := 1; i < len(envs); i++ {
			if answers[i] != answers[0] {
				t.Errorf("the databases answer %+v differently:\n%s: %s\n%s: %s",
					fr, envs[0].store.Dialect(), answers[0], envs[i].store.Dialect(), answers[i])
			}
		}
	})
}

// fuzzDialects are the databases fuzzed requests go to.
func fuzzDialects(f *testing.F) []string {
	available := sqltest.Available()
	only := os.Getenv("PORTALGRAPH_FUZZ_DIALECT")
	if only == "" {
		return available
	}
	if !slices.Contains(available, only) {
		f.Fatalf("PORTALGRAPH_FUZZ_DIALECT=%q: not one of %v", only, available)
	}
	return []string{only}
}

// fuzzBody is a POST body carrying the query and the variables as they
// are, JSON or not: a malformed body must be refused as well as any.
func fuzzBody(query, variables string) []byte {
	q, _ := json.Marshal(query) // a string always encodes
	if variables == "" {
		return []byte(`{"query":` + string(q) + `}`)
	}
	return []byte(`{"query":` + string(q) + `,"variables":` + variables + `}`)
}

// fuzzSend sends the request and checks the answer; it returns what must
// be alike on every database: the status and each error's path and code.
func (e *env) fuzzSend(t *testing.T, fr fuzzRequest) string {
	t.Helper()
	var req *http.Request
	var err error
	if fr.get {
		params := url.Values{"query": {fr.query}}
		if fr.variables != "" {
			params.Set("variables", fr.variables)
		}
		req, err = http.NewRequest(http.MethodGet, e.srv.URL+"/graphql?"+params.Encode(), nil)
	} else {
		req, err = http.NewRequest(http.MethodPost, e.srv.URL+"/graphql", bytes.NewReader(fuzzBody(fr.query, fr.variables)))
		req.Header.Set("Content-Type", "application/json")
	}
	if err != nil {
		t.Fatal(err)
	}
	if fr.principal != "" {
		req.Header.Set("Authorization", "Bearer "+e.f.Tokens[fr.principal])
	}
	res, err := e.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	var r response
	if err := json.Unmarshal(raw, &r); err != nil {
		t.Fatalf("%s: HTTP %d to %+v is not a GraphQL response (%v): %s", e.store.Dialect(), res.StatusCode, fr, err, raw)
	}
	if res.StatusCode >= 500 {
		t.Errorf("%s: HTTP %d to %+v: %s", e.store.Dialect(), res.StatusCode, fr, raw)
	}
	answer := []string{fmt.Sprint(res.StatusCode)}
	for _, ge := range r.Errors {
		if ge.Extensions.Code == "INTERNAL" {
			t.Errorf("%s: INTERNAL to %+v: %s\nserver log:\n%s", e.store.Dialect(), fr, raw, e.logs)
		}
		answer = append(answer, ge.path()+" "+ge.Extensions.Code)
	}
	slices.Sort(answer[1:])
	return strings.Join(answer, "; ")
}

type fuzzSeed struct {
	who       uint8 // index into fuzzPrincipals
	query     string
	variables string // JSON, or "" for none
}

// fuzzSeeds are the attacks of the bad-input report (forged cursors, NUL
// in filters and titles, dates in year 0, Ints past 32 bits), their kin on
// every kind of input, a few ordinary requests for the fuzzer to vary,
// and what fuzzing found.
func fuzzSeeds(tb testing.TB, e *env) []fuzzSeed {
	tb.Helper()
	f := e.f
	var page struct {
		Projects struct {
			PageInfo struct {
				EndCursor string `json:"endCursor"`
			} `json:"pageInfo"`
		} `json:"projects"`
	}
	r := e.fuzzQuery(tb, `{ projects(first: 1) { pageInfo { endCursor } } }`)
	if err := json.Unmarshal(r, &page); err != nil {
		tb.Fatalf("a cursor for the seeds: %v: %s", err, r)
	}
	projectCursor := page.Projects.PageInfo.EndCursor
	// vars writes variables as JSON; a Go string with NUL becomes "\u0000".
	vars := func(v map[string]any) string {
		b, err := json.Marshal(v)
		if err != nil {
			tb.Fatal(err)
		}
		return string(b)
	}
	const (
		staff, contact, anonymous, partner = 0, 1, 2, 3
		staffByGET, contactByGET           = 4, 5

		byDue         = `query($a: String) { deliverables(first: 5, after: $a, orderBy: {field: DUE_ON}) { totalCount edges { cursor } } }`
		underProject  = `query($id: ID!, $a: String) { project(id: $id) { deliverables(first: 5, after: $a, orderBy: {field: DUE_ON}) { totalCount } } }`
		projectsAfter = `query($a: String, $o: ProjectOrder) { projects(after: $a, orderBy: $o) { totalCount } }`
		clientsByText = `query($t: String) { clients(filter: {text: $t}) { totalCount edges { node { name } } } }`
		dueAfter      = `query($d: Date, $b: Date) { deliverables(filter: {dueAfter: $d, dueBefore: $b}) { totalCount } }`
		firstOf       = `query($n: Int) { deliverables(first: $n) { totalCount } }`
		activity      = `query($id: ID!, $s: Time, $u: Time) { client(id: $id) { activity(filter: {since: $s, until: $u}) { totalCount } } }`
		retitle       = `mutation($id: ID!, $t: String, $d: Date) { updateDeliverable(input: {id: $id, title: $t, dueOn: $d}) { deliverable { id title dueOn } } }`
		dashboard     = `{ viewer { client { name projects(first: 5) { totalCount edges { cursor node { name dueOn deliverables(first: 5, orderBy: {field: DUE_ON}) { edges { cursor node { title dueOn } } } } } } } } }`
	)
	return []fuzzSeed{
		// Forged and mismatched cursors.
		{staff, byDue, vars(map[string]any{"a": forgedCursor(`["not-a-date","` + f.DShared.ID + `"]`)})},
		{contact, byDue, vars(map[string]any{"a": forgedCursor(`["not-a-date","` + f.DShared.ID + `"]`)})},
		{contact, underProject, vars(map[string]any{"id": f.AShared.ID, "a": forgedCursor(`["0000-01-01","` + f.DShared.ID + `"]`)})},
		{staff, `query($a: String) { deliverables(after: $a) { totalCount } }`, vars(map[string]any{"a": projectCursor})},
		{staff, projectsAfter, vars(map[string]any{"a": projectCursor[:len(projectCursor)-4]})},
		{staff, projectsAfter, vars(map[string]any{"a": projectCursor, "o": map[string]any{"field": "NAME"}})},
		{staff, projectsAfter, vars(map[string]any{"a": forgedCursor(`[1e400,"` + f.AShared.ID + `"]`), "o": map[string]any{"field": "BUDGET_CENTS"}})},
		{staff, projectsAfter, vars(map[string]any{"a": forgedCursor(`["Acme\u0000","` + f.AShared.ID + `"]`), "o": map[string]any{"field": "NAME"}})},
		{contact, projectsAfter, vars(map[string]any{"a": "%%%not base64%%%"})},
		{staff, `query($a: String) { requests(after: $a) { totalCount } }`, vars(map[string]any{"a": forgedCursor(`["not-a-time","req_01JH0000000000000000000000"]`)})},
		{staff, `query($a: String) { requests(after: $a) { totalCount } }`, vars(map[string]any{"a": forgedCursor(`["9999-12-31T23:00:00-05:00","req_01JH0000000000000000000000"]`)})},
		{contact, `query($a: String) { reports(after: $a) { totalCount } }`, vars(map[string]any{"a": forgedCursor(`["not-a-date","rep_01JH0000000000000000000000"]`)})},

		// NUL in a String or an ID, from variables and from the query.
		{staff, clientsByText, vars(map[string]any{"t": "acme\x00"})},
		{staff, clientsByText, vars(map[string]any{"t": `a\`})},
		{staff, `{ clients(filter: {text: "acme\u0000"}) { totalCount } }`, ""},
		{staff, `{ clients(filter: {text: "\uD800"}) { totalCount } }`, ""},
		{contact, `query($c: ID) { projects(filter: {clientId: $c}) { totalCount } }`, vars(map[string]any{"c": f.A.ID + "\x00"})},
		{contact, `query($id: ID!) { node(id: $id) { id } }`, vars(map[string]any{"id": "prj_01JH000000000000000000000\x00"})},
		{staff, retitle, vars(map[string]any{"id": f.DShared.ID, "t": "Final\x00cut"})},
		{staff, `mutation($id: ID!) { updateDeliverable(input: {id: $id, title: "\uD800\u0000"}) { deliverable { id } } }`, vars(map[string]any{"id": f.DShared.ID})},
		{staff, `mutation($in: CreateClientInput!) { createClient(input: $in) { client { id } } }`,
			vars(map[string]any{"in": map[string]any{"name": "Delta\x00", "address": map[string]any{"city": "\x00"}}})},
		{staff, `mutation($in: RequestApprovalInput!) { requestApproval(input: $in) { approval { id } } }`,
			vars(map[string]any{"in": map[string]any{"deliverableId": f.DShared.ID, "title": "Again", "approverIds": []string{f.AActive.ID, "con_\x00"}}})},
		{contact, `mutation($in: OpenRequestInput!) { openRequest(input: $in) { request { id } } }`,
			vars(map[string]any{"in": map[string]any{"title": "Help", "body": "please\x00"}})},
		{contact, `mutation { decideApproval(input: {approvalId: "apr_\u0000", outcome: APPROVED, idempotencyKey: "abcdefgh"}) { decision { id } } }`, ""},
		{anonymous, `mutation($e: String!, $p: String!) { logIn(input: {email: $e, password: $p}) { token } }`, vars(map[string]any{"e": "owner@w1.example", "p": "\x00"})},
		{anonymous, `mutation($t: String!) { acceptInvite(input: {token: $t, password: "long enough password"}) { token } }`, vars(map[string]any{"t": "inv\x00"})},

		// Dates and times outside the years 0001 to 9999, and at their edges.
		{staff, dueAfter, vars(map[string]any{"d": "0000-01-01"})},
		{contact, dueAfter, vars(map[string]any{"d": "0000-01-01"})},
		{staff, dueAfter, vars(map[string]any{"d": "0001-01-01", "b": "9999-12-31"})},
		{staff, dueAfter, vars(map[string]any{"d": "10000-01-01"})},
		{contact, `{ approvals(filter: {dueBefore: "0000-12-31"}) { totalCount } }`, ""},
		{staff, activity, vars(map[string]any{"id": f.A.ID, "s": "0000-06-01T00:00:00Z"})},
		{staff, activity, vars(map[string]any{"id": f.A.ID, "u": "9999-12-31T23:00:00-05:00"})},
		{staff, activity, vars(map[string]any{"id": f.A.ID, "s": "yesterday"})},
		{staff, retitle, vars(map[string]any{"id": f.DShared.ID, "d": "0000-01-01"})},
		{contact, `mutation { requestExport(input: {kind: APPROVALS, from: "0000-01-01", to: "0000-12-31"}) { export { id } } }`, ""},
		{staff, `mutation($c: ID) { requestExport(input: {clientId: $c, kind: APPROVALS, from: "9999-12-01", to: "9999-12-31"}) { export { id } } }`, vars(map[string]any{"c": f.A.ID})},

		// Ints past 32 bits, and pages too large or negative.
		{staff, `{ deliverables(first: 2147483648) { totalCount } }`, ""},
		{staff, `{ deliverables(first: 99999999999999999999) { totalCount } }`, ""},
		{contact, firstOf, `{"n": 2147483648}`},
		{staff, firstOf, `{"n": -2147483649}`},
		{staff, firstOf, `{"n": 1e30}`},
		{staff, firstOf, `{"n": "12"}`},
		{staff, firstOf, `{"n": 2147483647}`},
		{contact, firstOf, `{"n": -1}`},
		{staff, `query($id: ID!) { project(id: $id) { deliverables(first: 1000000) { totalCount } } }`, vars(map[string]any{"id": f.AShared.ID})},
		{staff, `mutation($id: ID!, $b: Int) { updateProject(input: {id: $id, budgetCents: $b}) { project { id } } }`, vars(map[string]any{"id": f.AShared.ID, "b": 99999999999})},

		// Other scalars given what they cannot hold.
		{staff, `mutation($in: CreateReportInput!) { createReport(input: $in) { report { id } } }`,
			vars(map[string]any{"in": map[string]any{"clientId": f.A.ID, "title": "May", "periodStart": "2026-05-01", "periodEnd": "2026-05-31",
				"metrics": []map[string]any{{"name": "visits", "value": "NaN"}}}})},
		{staff, `mutation($c: ID!, $f: Upload!) { uploadFile(input: {clientId: $c, file: $f}) { file { id } } }`, vars(map[string]any{"c": f.A.ID, "f": "not a file"})},

		// Found by fuzzing: an enum's value in another case passes
		// gqlparser's check of variables, and its generated unmarshaler
		// refused it in words of its own (INTERNAL).
		{contact, projectsAfter, vars(map[string]any{"a": forgedCursor(`["Acme\u0000","` + f.AShared.ID + `"]`), "o": map[string]any{"field": "NaME"}})},
		{staff, `query($s: [ApprovalStatus!]) { approvals(filter: {status: $s}) { totalCount } }`, `{"s": ["PENDING", "pending"]}`},

		// Invalid UTF-8, which only a GET's query carries this far.
		{staffByGET, "{ clients(filter: {text: \"caf\xe9\"}) { totalCount } }", ""},
		{contactByGET, "query($id: ID!) { node(id: $id) { id } }", vars(map[string]any{"id": "prj_\xff"})},
		{contactByGET, "{ node(id: \"prj_01JH000000000000000000000\xff\") { id } }", ""},

		// Ordinary requests, and malformed ones.
		{contact, dashboard, ""},
		{staff, dashboard, ""},
		{anonymous, `{ viewer { audience } }`, ""},
		{staff, clientsByText, `{"t": {"nested": [1, 2]}}`},
		{staff, clientsByText, `{"t": `},
		{staff, `{ clients { totalCount `, ""},
		{contact, firstOf, `[]`},
		{contactByGET, dashboard, ""},
		{staffByGET, `mutation { logOut { ok } }`, ""},

		// A partner's key: its dashboard at the edges of dates and with
		// clients of another workspace, forged cursors, records by ID of
		// another workspace, and what its schema does not have.
		{partner, `query($f: DashboardFilter!) { dashboard(filter: $f) { approvalsByStatus { status count } requests { opened closed } } }`,
			vars(map[string]any{"f": map[string]any{"from": "0001-01-01", "to": "9999-12-31", "groupBy": "MONTH"}})},
		{partner, `query($f: DashboardFilter!) { dashboard(filter: $f) { overdueApprovals { count } engagement { week views } } }`,
			vars(map[string]any{"f": map[string]any{"from": "2026-12-31", "to": "2026-01-01", "groupBy": "CLIENT", "clientIds": []string{f.X.ID, "cli_\x00"}}})},
		{partner, byDue, vars(map[string]any{"a": forgedCursor(`["not-a-date","` + f.DShared.ID + `"]`)})},
		{partner, `query($id: ID!) { node(id: $id) { id } }`, vars(map[string]any{"id": f.XShared.ID})},
		{partner, `query($id: ID!) { client(id: $id) { activity(first: 500) { totalCount edges { node { action } } } } }`, vars(map[string]any{"id": f.A.ID})},
		{partner, `{ clients { edges { node { notes { totalCount } } } } }`, ""},
		{partner, `mutation { logOut { ok } }`, ""},
	}
}

// fuzzPartnerKey makes the key the fuzzer's "partner" sends: every
// section, every client, internal records too.
func (e *env) fuzzPartnerKey(tb testing.TB) {
	tb.Helper()
	var got struct {
		CreatePartnerKey struct {
			Secret string `json:"secret"`
		} `json:"createPartnerKey"`
	}
	r := e.fuzzQuery(tb, `mutation { createPartnerKey(input: {name: "fuzz", includeInternal: true,
		scopes: [CLIENTS, PROJECTS, DELIVERABLES, APPROVALS, REPORTS, FILES, REQUESTS, ACTIVITY]}) { secret } }`)
	if err := json.Unmarshal(r, &got); err != nil || got.CreatePartnerKey.Secret == "" {
		tb.Fatalf("the fuzzer's partner key: %v: %s", err, r)
	}
	e.f.Tokens["partner"] = got.CreatePartnerKey.Secret
}

// fuzzQuery runs a query as staff outside any fuzzing, for what the seeds
// are made of, and returns its data.
func (e *env) fuzzQuery(tb testing.TB, query string) json.RawMessage {
	tb.Helper()
	body, _ := json.Marshal(map[string]any{"query": query})
	req, err := http.NewRequest(http.MethodPost, e.srv.URL+"/graphql", bytes.NewReader(body))
	if err != nil {
		tb.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+e.f.Tokens["owner"])
	res, err := e.srv.Client().Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer res.Body.Close()
	var r response
	if err := json.NewDecoder(res.Body).Decode(&r); err != nil || len(r.Errors) > 0 {
		tb.Fatalf("%s: %v %v", query, err, r.Errors)
	}
	return r.Data
}
