package graph_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"portalgraph/graph"
	"portalgraph/internal/portal"
)

// nested returns a staff query exactly depth fields deep, walking
// client → projects → edges → node → client → ... with pages of one, so
// only the depth limit can refuse it.
func nested(clientID string, depth int) string {
	cycle := []struct{ field, leaf string }{
		{"projects(first: 1)", "totalCount"}, {"edges", "cursor"}, {"node", "id"}, {"client", "id"},
	}
	var b strings.Builder
	fmt.Fprintf(&b, `{ client(id: %q) { `, clientID)
	leaf := "id"
	for i := range depth - 2 {
		b.WriteString(cycle[i%len(cycle)].field + " { ")
		leaf = cycle[i%len(cycle)].leaf
	}
	b.WriteString(leaf + strings.Repeat(" }", depth-1) + " }")
	return b.String()
}

// aliased returns n aliased copies of a field.
func aliased(prefix string, n int, field string) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "%s%d: %s ", prefix, i, field)
	}
	return b.String()
}

// assertLimit requires an operation refused before it runs: one error with
// the code and message, at no path, and no data.
func assertLimit(t *testing.T, r *response, code, message string) {
	t.Helper()
	got := r.only(t)
	equal(t, "error", []string{got.Message, got.Extensions.Code, got.path()}, []string{message, code, ""})
	if !r.dataIsNull() {
		t.Errorf("data = %s, want null", r.Data)
	}
}

func TestDepthLimit(t *testing.T) {
	t.Parallel()
	run(t, func(t *testing.T, e *env) {
		id := e.f.A.ID
		var ok map[string]any
		e.as(t, "owner", nested(id, 20), nil).decode(t, &ok)
		assertLimit(t, e.as(t, "owner", nested(id, 21), nil), "LIMIT_EXCEEDED", "the operation is nested 21 levels deep; at most 20 are allowed")
		assertLimit(t, e.as(t, "owner", nested(id, 60), nil), "LIMIT_EXCEEDED", "the operation is nested 60 levels deep; at most 20 are allowed")

		// Fragments do not hide depth.
		q := `{ client(id: "` + id + `") { ...A } }
			fragment A on Client { projects(first: 1) { edges { node { client { ...B } } } } }
			fragment B on Client { projects(first: 1) { edges { node { client { ...C } } } } }
			fragment C on Client { projects(first: 1) { edges { node { client { ...D } } } } }
			fragment D on Client { projects(first: 1) { edges { node { client { ...E } } } } }
			fragment E on Client { projects(first: 1) { edges { node { client { id } } } } }`
		assertLimit(t, e.as(t, "aActive", q, nil), "LIMIT_EXCEEDED", "the operation is nested 22 levels deep; at most 20 are allowed")
	})
}

func TestDepthLimitIsConfigurable(t *testing.T) {
	t.Parallel()
	run(t, func(t *testing.T, e *env) {
		var ok map[string]any
		e.as(t, "aActive", `{ viewer { client { projects { totalCount } } } }`, nil).decode(t, &ok)
		assertLimit(t, e.as(t, "aActive", `{ viewer { client { projects { edges { node { id } } } } } }`, nil),
			"LIMIT_EXCEEDED", "the operation is nested 6 levels deep; at most 5 are allowed")
	}, func(c *graph.Config) {
		c.Limits = map[portal.Audience]graph.Limits{portal.AudiencePortal: {MaxDepth: 5}}
	})
}

func TestAliasLimit(t *testing.T) {
	t.Parallel()
	run(t, func(t *testing.T, e *env) {
		var ok map[string]any
		e.as(t, "aActive", "{ "+aliased("a", 30, "viewer { audience }")+"}", nil).decode(t, &ok)
		equal(t, "aliased fields", len(ok), 30)
		const tooMany = "the operation uses 31 aliases; at most 30 are allowed"
		assertLimit(t, e.as(t, "aActive", "{ "+aliased("a", 31, "viewer { audience }")+"}", nil), "LIMIT_EXCEEDED", tooMany)
		assertLimit(t, e.as(t, "", "{ viewer { "+aliased("a", 31, "audience")+"} }", nil), "LIMIT_EXCEEDED", tooMany)
		assertLimit(t, e.as(t, "owner", "{ viewer { ... on Viewer { "+aliased("a", 31, "audience")+"} } }", nil), "LIMIT_EXCEEDED", tooMany)

		// A fragment's aliases count at every spread, as each spread
		// resolves them again: 4 aliased parents, 4 spreads of 20.
		q := "{ " + aliased("v", 4, "viewer { ...F }") + "} fragment F on Viewer { " + aliased("a", 20, "audience") + "}"
		assertLimit(t, e.as(t, "owner", q, nil), "LIMIT_EXCEEDED", "the operation uses 84 aliases; at most 30 are allowed")

		// Ten fragments each spreading the next under two aliases: 21
		// aliases written, 3070 resolved.
		var b strings.Builder
		fmt.Fprintf(&b, "{ approval(id: %q) { ...F0 } }\n", e.f.ApprovalShared.ID)
		for i := range 10 {
			fmt.Fprintf(&b, "fragment F%d on Approval { x: previousRound { ...F%d } y: previousRound { ...F%d } }\n", i, i+1, i+1)
		}
		b.WriteString("fragment F10 on Approval { a: id }\n")
		assertLimit(t, e.as(t, "aActive", b.String(), nil), "LIMIT_EXCEEDED", "the operation uses 3070 aliases; at most 30 are allowed")
	})
}

// doublingFragments returns an anonymous query of n fragments each
// spreading the next twice: a short document whose fragments expand to
// 2^n fields.
func doublingFragments(n int) string {
	var b strings.Builder
	b.WriteString("{ viewer { ...F0 } }\n")
	for i := range n {
		fmt.Fprintf(&b, "fragment F%d on Viewer { ...F%d ...F%d }\n", i, i+1, i+1)
	}
	fmt.Fprintf(&b, "fragment F%d on Viewer { audience }\n", n)
	return b.String()
}

func TestCostLimit(t *testing.T) {
	t.Parallel()
	run(t, func(t *testing.T, e *env) {
		r := e.as(t, "owner", `{ clients(first: 100) { edges { node {
			projects(first: 100) { edges { node { deliverables(first: 100) { edges { node { id } } } } } } } } } }`, nil)
		assertLimit(t, r, "LIMIT_EXCEEDED", "the operation costs 1030302 points; at most 500000 are allowed")
		equal(t, "status", r.Status, http.StatusUnprocessableEntity)
		equal(t, "limit", r.Errors[0].Extensions.limitReport, limitReport{"maxCost", 500000, 1030302})

		// Expanded, these fragments are about as large as the limit
		// allows, or far beyond: refused at once, by anybody, without
		// expanding them (which takes time exponential in n).
		var ok map[string]any
		e.as(t, "", doublingFragments(4), nil).decode(t, &ok)
		assertLimit(t, e.as(t, "", doublingFragments(18), nil),
			"LIMIT_EXCEEDED", "the operation selects 262145 fields with its fragments expanded; at most 500 are allowed")
		// 2^26 fields: half a minute of CPU for one anonymous request of
		// 1.5 KB were they expanded.
		body := jsonBody(t, doublingFragments(26))
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.srv.URL+"/graphql", body)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		assertLimit(t, e.send(t, req), "LIMIT_EXCEEDED", "the operation selects 67108865 fields with its fragments expanded; at most 500 are allowed")
	})
}

func TestParserTokenLimit(t *testing.T) {
	t.Parallel()
	run(t, func(t *testing.T, e *env) {
		r := e.as(t, "", "{ "+strings.Repeat("a ", 10_001)+"}", nil)
		assertLimit(t, r, "LIMIT_EXCEEDED", "the document has 10003 tokens; at most 5000 are allowed")
		equal(t, "status", r.Status, http.StatusUnprocessableEntity)
	})
}

// Mutations run only from POST requests with a JSON body: a GET, a form or
// any other content type a browser may send across sites is refused
// before anything runs.
func TestOnlyJSONPostsMutate(t *testing.T) {
	t.Parallel()
	run(t, func(t *testing.T, e *env) {
		archive := `mutation { archiveClient(input: {id: "` + e.f.A.ID + `"}) { client { status } } }`
		before := e.tableState(t)

		// GET runs queries...
		get := func(query string) *response {
			req, err := http.NewRequest(http.MethodGet, e.srv.URL+"/graphql?query="+url.QueryEscape(query), nil)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Authorization", "Bearer "+e.f.Tokens["owner"])
			return e.send(t, req)
		}
		var got struct {
			Client idName `json:"client"`
		}
		get(`{ client(id: "`+e.f.A.ID+`") { id name } }`).decode(t, &got)
		equal(t, "client by GET", got.Client, idName{e.f.A.ID, "Acme"})

		// ...but not mutations.
		r := get(archive)
		equal(t, "GET mutation status", r.Status, http.StatusNotAcceptable)
		equal(t, "GET mutation error", r.only(t).Message, "GET requests only allow query operations")

		// A multipart form is how files are uploaded; a form a page on
		// another site could send is refused for want of the preflight
		// header, before it is read.
		req, err := http.NewRequest(http.MethodPost, e.srv.URL+"/graphql", jsonBody(t, archive))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "multipart/form-data; boundary=x")
		req.Header.Set("Authorization", "Bearer "+e.f.Tokens["owner"])
		r = e.send(t, req)
		equal(t, "multipart status", r.Status, http.StatusBadRequest)
		equal(t, "multipart error", r.only(t).fields(), []string{"GraphQL-Require-Preflight: multipart requests must carry the GraphQL-Require-Preflight header"})

		for _, contentType := range []string{"text/plain", "application/x-www-form-urlencoded", ""} {
			req, err := http.NewRequest(http.MethodPost, e.srv.URL+"/graphql", jsonBody(t, archive))
			if err != nil {
				t.Fatal(err)
			}
			if contentType != "" {
				req.Header.Set("Content-Type", contentType)
			}
			req.Header.Set("Authorization", "Bearer "+e.f.Tokens["owner"])
			r := e.send(t, req)
			equal(t, contentType+" status", r.Status, http.StatusUnsupportedMediaType)
			equal(t, contentType+" error", []string{r.only(t).Message, r.Errors[0].Extensions.Code},
				[]string{"a GraphQL request is a POST of Content-Type application/json, a GET, or a multipart upload", "BAD_REQUEST"})
		}

		// A body over the limit is not read to its end, let alone run.
		padded := `{"query": ` + fmt.Sprintf("%q", archive) + `, "variables": {"pad": "` + strings.Repeat("x", 1<<20) + `"}}`
		req, err = http.NewRequest(http.MethodPost, e.srv.URL+"/graphql", strings.NewReader(padded))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+e.f.Tokens["owner"])
		r = e.send(t, req)
		equal(t, "oversized body status", r.Status, http.StatusRequestEntityTooLarge)
		equal(t, "oversized body error", []string{r.only(t).Message, r.Errors[0].Extensions.Code},
			[]string{"the request body is larger than the limit of 1048576 bytes", "LIMIT_EXCEEDED"})
		if !r.dataIsNull() {
			t.Errorf("oversized body: data %s", r.Data)
		}

		equal(t, "tables", e.tableState(t), before)
	})
}

var generatedRequestID = regexp.MustCompile(`^[0-9a-f]{24}$`)

func TestRequestIDs(t *testing.T) {
	t.Parallel()
	run(t, func(t *testing.T, e *env) {
		for _, c := range []struct {
			name string
			do   func() *response
		}{
			{"data", func() *response { return e.as(t, "owner", viewerQuery, nil) }},
			{"validation error", func() *response { return e.as(t, "aActive", `{ clients { totalCount } }`, nil) }},
			{"unauthenticated", func() *response { return e.post(t, "pgt_nope", viewerQuery, nil) }},
		} {
			r := c.do()
			if id := r.Header.Get("X-Request-Id"); !generatedRequestID.MatchString(id) {
				t.Errorf("%s: X-Request-Id %q", c.name, id)
			}
		}
		send := func(id string) string {
			req, err := http.NewRequest(http.MethodPost, e.srv.URL+"/graphql", jsonBody(t, viewerQuery))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("X-Request-Id", id)
			return e.send(t, req).Header.Get("X-Request-Id")
		}
		equal(t, "a caller's request id", send("edge-7f3a.42"), "edge-7f3a.42")
		for _, bad := range []string{"two words", strings.Repeat("x", 65), "tab\there", "ünïcode"} {
			if got := send(bad); !generatedRequestID.MatchString(got) {
				t.Errorf("request id %q kept as %q", bad, got)
			}
		}
	})
}

const internalMessage = "internal error; the request id identifies it in the server log"

// A failure that is not the caller's is INTERNAL: the message is masked,
// the request id leads to the real error in the log, and the rest of the
// response is unaffected.
func TestInternalErrorsAreMasked(t *testing.T) {
	t.Parallel()
	run(t, func(t *testing.T, e *env) {
		e.exec(t, "DROP TABLE notes")
		r := e.as(t, "owner", `query($id: ID!) { client(id: $id) { name notes { totalCount } } projects { totalCount } }`, vars{"id": e.f.A.ID})
		got := r.onlyErrorAt(t, "client.notes", "INTERNAL")
		equal(t, "message", got.Message, internalMessage)
		id := r.Header.Get("X-Request-Id")
		equal(t, "requestId", got.Extensions.RequestID, id)
		equal(t, "data", r.Data, map[string]any{"client": nil, "projects": map[string]int{"totalCount": 3}})
		for _, leak := range []string{"no such table", "does not exist", "relation", "SQL", "select"} {
			if strings.Contains(string(r.Raw), leak) {
				t.Errorf("the response leaks %q: %s", leak, r.Raw)
			}
		}
		logs := e.logs.String()
		if !strings.Contains(logs, "requestId="+id) || !strings.Contains(logs, "notes") {
			t.Errorf("the log lacks the request id %s or the cause:\n%s", id, logs)
		}
	})
}

// With the database gone, a request that needs it is answered 503,
// UNAVAILABLE, with Retry-After (not UNAUTHENTICATED: a client must not
// drop a valid token over an outage); what needs no database still works.
func TestDatabaseDown(t *testing.T) {
	t.Parallel()
	run(t, func(t *testing.T, e *env) {
		if err := e.store.Close(); err != nil {
			t.Fatal(err)
		}
		for _, who := range []string{"owner", "aActive"} {
			r := e.as(t, who, viewerQuery, nil)
			assertRefused(t, r, http.StatusServiceUnavailable, "UNAVAILABLE", "the service is unavailable for a moment; retry shortly")
			equal(t, "requestId", r.Errors[0].Extensions.RequestID, r.Header.Get("X-Request-Id"))
			equal(t, "retry", []any{r.Header.Get("Retry-After"), r.Errors[0].Extensions.RetryAfterSeconds}, []any{"5", 5})
			if strings.Contains(string(r.Raw), "closed") {
				t.Errorf("the response leaks the cause: %s", r.Raw)
			}
		}
		assertAudience(t, e, "", "ANONYMOUS")
		// The readiness probes failing with the database are the edge's:
		// internal/httpserver tests them.
	})
}

func TestParseLimits(t *testing.T) {
	got, err := graph.ParseLimits(" portal.maxCost=30000, staff.budgetPerMinute=-1,PORTAL.maxDepth=12 ,anonymous.maxBodyBytes=1024")
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "limits", got, map[portal.Audience]graph.Limits{
		portal.AudiencePortal:    {MaxCost: 30000, MaxDepth: 12},
		portal.AudienceStaff:     {BudgetPerMinute: -1},
		portal.AudienceAnonymous: {MaxBodyBytes: 1024},
	})
	for _, bad := range []string{"portal.maxCost", "portals.maxCost=1", "portal.maxCosts=1", "portal.maxCost=0", "portal.maxCost=-1", "portal.maxCost=many", "maxCost=1"} {
		if _, err := graph.ParseLimits(bad); err == nil {
			t.Errorf("%q was accepted", bad)
		}
	}
	if got, err := graph.ParseLimits(""); err != nil || len(got) != 0 {
		t.Errorf("no limits: %v, %v", got, err)
	}
}

// Limits set for an audience replace those defaults only.
func TestConfiguredLimits(t *testing.T) {
	t.Parallel()
	run(t, func(t *testing.T, e *env) {
		r := e.as(t, "aActive", `{ viewer { client { projects(first: 60) { edges { node { name } } } } } }`, nil)
		assertLimit(t, r, "LIMIT_EXCEEDED", "the operation costs 64 points; at most 50 are allowed")
		r = e.as(t, "owner", `{ clients(first: 30) { edges { node { name } } } }`, nil)
		r.decode(t, &map[string]any{})
		equal(t, "staff's maximum", r.Extensions.Cost.Maximum, graph.DefaultLimits(portal.AudienceStaff).MaxCost)
	}, func(c *graph.Config) {
		c.Limits = map[portal.Audience]graph.Limits{portal.AudiencePortal: {MaxCost: 50}}
	})
}
