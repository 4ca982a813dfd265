package graph_test

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"portalgraph/graph"
	"portalgraph/internal/portal"
	"portalgraph/internal/ratelimit"
	"portalgraph/internal/ratelimit/ratelimittest"
	"portalgraph/internal/sqlstore"
)

// The attacks of the cost-and-abuse report, each sent as it was, and what
// each may cost the server: a refusal takes about what a trivial request
// takes (a ratio of the fastest of interleaved runs, not a wall-clock
// number).
// A refusal still reads and parses the body, so a body of 100 KB may take
// some times longer than one of 30 bytes; what the ratios rule out is work
// growing faster than the body, as validating 9,990 copies of a field did
// (9.5 s, some thousand times a trivial request).

const trivialQuery = `{ viewer { audience } }`

// timeRatio is how much longer send takes than sending the trivial query
// as the same principal: the fastest of interleaved runs of each, since
// a busy machine only ever adds time.
func timeRatio(t *testing.T, e *env, who string, send func() *response) float64 {
	t.Helper()
	var attack, trivial []time.Duration
	for range 9 {
		start := time.Now()
		send()
		attack = append(attack, time.Since(start))
		start = time.Now()
		e.as(t, who, trivialQuery, nil)
		trivial = append(trivial, time.Since(start))
	}
	return float64(slices.Min(attack)) / float64(slices.Min(trivial))
}

// cheap requires an attack to be refused with the code and limit, in
// at most maxRatio times the trivial request's time.
func cheap(t *testing.T, e *env, who string, send func() *response, status int, code, limit string, maxRatio float64) {
	t.Helper()
	r := send()
	got := r.only(t)
	equal(t, "refusal", []any{r.Status, got.Extensions.Code, got.Extensions.Limit}, []any{status, code, limit})
	if !r.dataIsNull() {
		t.Errorf("a refused request answered data: %s", r.Data)
	}
	if ratio := timeRatio(t, e, who, send); ratio > maxRatio {
		t.Errorf("refusing took %.1f times as long as a trivial request; at most %.0f allowed", ratio, maxRatio)
	}
}

// nestedFiles is the files attack: files of the client of each file, levels
// deep, a hundred at each.
func nestedFiles(levels int) string {
	q := "id"
	for range levels {
		q = "files(first: 100) { edges { node { client { " + q + " } } } }"
	}
	return "{ viewer { client { " + q + " } } }"
}

func TestAttackNestedFiles(t *testing.T) {
	run(t, func(t *testing.T, e *env) {
		cheap(t, e, "aActive", func() *response { return e.as(t, "aActive", nestedFiles(3), nil) },
			http.StatusUnprocessableEntity, "LIMIT_EXCEEDED", "maxCost", 10)
		// Every connection is priced: two levels are within the limit and
		// cost what their pages say.
		r := e.as(t, "aActive", nestedFiles(2), nil)
		r.decode(t, &map[string]any{})
		// viewer, client, files, edges; per edge: node, client, files,
		// edges; per edge below: node, client.
		equal(t, "cost of two levels", r.Extensions.Cost.Requested, 4+100*(4+100*2))
	})
}

func TestAttackRepeatedTypename(t *testing.T) {
	run(t, func(t *testing.T, e *env) {
		typenames := func(n int) string { return "{ " + strings.Repeat("__typename ", n) + "}" }
		// Anonymous, as reported: larger than an anonymous body may be.
		cheap(t, e, "", func() *response { return e.as(t, "", typenames(9_990), nil) },
			http.StatusRequestEntityTooLarge, "LIMIT_EXCEEDED", "maxBodyBytes", 20)
		// As a contact, whose bodies may be that large: refused before
		// validation, which would take time quadratic in the copies.
		// It is parsed (a few milliseconds for 10,000 tokens), then refused
		// before validation: some tens of times a 30-byte request, where
		// validating it took thousands.
		cheap(t, e, "aActive", func() *response { return e.as(t, "aActive", typenames(9_990), nil) },
			http.StatusUnprocessableEntity, "LIMIT_EXCEEDED", "maxFields", 100)
		cheap(t, e, "aActive", func() *response { return e.as(t, "aActive", typenames(900), nil) },
			http.StatusUnprocessableEntity, "LIMIT_EXCEEDED", "maxSameField", 15)
		// Through fragments, which validation compares too, spread or not.
		spread := "{ viewer { audience } } fragment F on Query { " + strings.Repeat("__typename ", 500) + "}"
		cheap(t, e, "aActive", func() *response { return e.as(t, "aActive", spread, nil) },
			http.StatusUnprocessableEntity, "LIMIT_EXCEEDED", "maxSameField", 15)

		// Sixteen at once do not stall the server: they take about as
		// long as sixteen trivial requests at once.
		parallel := func(query string) time.Duration {
			start := time.Now()
			var wg sync.WaitGroup
			for range 16 {
				wg.Go(func() { e.as(t, "aActive", query, nil) })
			}
			wg.Wait()
			return time.Since(start)
		}
		var attack, trivial []time.Duration
		for range 5 {
			attack = append(attack, parallel(typenames(9_990)))
			trivial = append(trivial, parallel(trivialQuery))
		}
		if ratio := float64(slices.Min(attack)) / float64(slices.Min(trivial)); ratio > 100 {
			t.Errorf("16 attacks at once took %.1f times as long as 16 trivial requests", ratio)
		}
	})
}

// An anonymous upload, as reported: 4 × 45 MB beside a query. It is
// refused before a byte of it is read (assertUploadRefusedUnread sends a
// body that never arrives).
func TestAttackAnonymousUpload(t *testing.T) {
	run(t, func(t *testing.T, e *env) {
		assertUploadRefusedUnread(t, e, "", "anonymous requests cannot upload files")
	})
}

// Requests refused before GraphQL runs have a code and a status of their
// own, and say what was wrong without echoing the body.
func TestRefusalsBeforeGraphQL(t *testing.T) {
	t.Parallel()
	run(t, func(t *testing.T, e *env) {
		send := func(body string) *response {
			req, err := http.NewRequest(http.MethodPost, e.srv.URL+"/graphql", strings.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+e.f.Tokens["aActive"])
			return e.send(t, req)
		}
		for _, c := range []struct {
			name, body string
			status     int
			message    string
		}{
			{"malformed JSON", `{"query": "{ viewer { audience } }"`, http.StatusBadRequest, "the request body is not a JSON object of query, operationName, variables and extensions"},
			{"two JSON values", `{"query": "{ viewer { audience } }"} {}`, http.StatusBadRequest, "the request body is not a JSON object of query, operationName, variables and extensions"},
			{"a batch", `[{"query": "{ viewer { audience } }"}]`, http.StatusBadRequest, "batched requests are not supported: send one operation per request"},
			{"a string", `"{ viewer { audience } }"`, http.StatusBadRequest, "the request body is not a JSON object of query, operationName, variables and extensions"},
		} {
			r := send(c.body)
			got := r.only(t)
			equal(t, c.name, []any{r.Status, got.Extensions.Code, got.Message}, []any{c.status, "BAD_REQUEST", c.message})
		}
		// A method that is neither.
		req, err := http.NewRequest(http.MethodPut, e.srv.URL+"/graphql", strings.NewReader(`{}`))
		if err != nil {
			t.Fatal(err)
		}
		r := e.send(t, req)
		equal(t, "PUT", []any{r.Status, r.only(t).Extensions.Code, r.Header.Get("Allow")}, []any{http.StatusMethodNotAllowed, "BAD_REQUEST", "GET, POST"})
	})
}

// Every response reports its cost and the budget left, in extensions and
// in RateLimit headers.
func TestCostIsReported(t *testing.T) {
	t.Parallel()
	run(t, func(t *testing.T, e *env) {
		r := e.as(t, "aActive", `{ viewer { client { projects(first: 5) { edges { node { name owner: client { name } } } } } } }`, nil)
		r.decode(t, &map[string]any{})
		c := r.Extensions.Cost
		if c == nil || c.Budget == nil {
			t.Fatalf("no cost reported: %s", r.Raw)
		}
		// viewer 1, client 1, projects 1, edges 1, 5 × (node 1 + client 1)
		equal(t, "requested, maximum", []int{c.Requested, c.Maximum}, []int{1 + 1 + 1 + 1 + 5*2, 250_000})
		equal(t, "budget", []int{c.Budget.Limit, c.Budget.Remaining}, []int{2_500_000, 2_500_000 - 14})
		equal(t, "headers", []string{r.Header.Get("RateLimit-Limit"), r.Header.Get("RateLimit-Remaining"), r.Header.Get("RateLimit-Reset")},
			[]string{"2500000", strconv.Itoa(2_500_000 - 14), "1"})

		// A page given by a variable, null (the default, 20), or larger
		// than any connection serves (refused when it runs) is priced as
		// the page it would be.
		paged := `query($n: Int) { viewer { client { projects(first: $n) { edges { node { name } } } } } }`
		for _, c := range []struct {
			vars vars
			cost int
		}{{vars{"n": 7}, 4 + 7}, {vars{"n": nil}, 4 + 20}, {nil, 4 + 20}, {vars{"n": 5000}, 4 + 100}} {
			r := e.as(t, "aActive", paged, c.vars)
			if got := r.Extensions.Cost; got == nil || got.Requested != c.cost {
				t.Errorf("first: %v costs %s, want %d", c.vars, r.Raw, c.cost)
			}
		}

		// A price no variable changes is kept for the operation; one that
		// a variable changes is computed for each request, which sends
		// the same text.
		skippable := `query($skip: Boolean!, $status: [ApprovalStatus!]) { viewer { client {
			projects(first: 3) @skip(if: $skip) { edges { node { name } } }
			approvals(first: 2, status: $status) { edges { node { id } } } } } }`
		for _, c := range []struct {
			vars vars
			cost int
		}{{vars{"skip": false}, 2 + 5 + 4}, {vars{"skip": true}, 2 + 4}, {vars{"skip": false, "status": []string{"PENDING"}}, 2 + 5 + 4}, {vars{"skip": true}, 2 + 4}} {
			r := e.as(t, "aActive", skippable, c.vars)
			if got := r.Extensions.Cost; got == nil || got.Requested != c.cost {
				t.Errorf("%v costs %s, want %d", c.vars, r.Raw, c.cost)
			}
		}

		// Refusals report it too.
		r = e.as(t, "aActive", nestedFiles(3), nil)
		if c := r.Extensions.Cost; c == nil || c.Requested <= 250_000 || c.Maximum != 250_000 || c.Budget != nil {
			t.Errorf("a refusal over the cost limit reports %s", r.Raw)
		}
	})
}

// A principal's budget, once spent, refuses their requests with
// RATE_LIMITED, 429 and Retry-After, and then before reading them; other
// principals' budgets are their own. The budget's clock stands still.
func TestBudgets(t *testing.T) {
	t.Parallel()
	const twoPoints = `{ viewer { client { name } } }`
	run(t, func(t *testing.T, e *env) {
		e.previewToken(t, e.f.AActive.ID)
		for range 2 {
			e.as(t, "aActive", twoPoints, nil).decode(t, &map[string]any{})
		}
		// Six points a minute, one every ten seconds: two are left.
		r := e.as(t, "aActive", `{ viewer { client { owner { name } } } }`, nil)
		got := r.only(t)
		equal(t, "spent", []any{r.Status, got.Extensions.Code, got.Extensions.RetryAfterSeconds, r.Header.Get("RateLimit-Remaining"), r.Header.Get("Retry-After")},
			[]any{http.StatusTooManyRequests, "RATE_LIMITED", 10, "2", "10"})
		equal(t, "message", got.Message, "the operation costs 3 points and the budget holds 2 of 6 per minute; retry in 10 s")
		e.as(t, "aActive", twoPoints, nil).decode(t, &map[string]any{})
		// The next request is refused unread: a body that is not even
		// JSON is not looked at.
		req, err := http.NewRequest(http.MethodPost, e.srv.URL+"/graphql", strings.NewReader("not JSON"))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+e.f.Tokens["aActive"])
		r = e.send(t, req)
		equal(t, "unread", []any{r.Status, r.only(t).Extensions.Code, r.Header.Get("Retry-After")}, []any{http.StatusTooManyRequests, "RATE_LIMITED", "10"})

		// Another contact, and a preview of the spent contact (which
		// spends the previewing staff member's budget), have theirs.
		for _, who := range []string{"bActive", "preview", "owner"} {
			e.as(t, who, trivialQuery, nil).decode(t, &map[string]any{})
		}
	}, func(c *graph.Config) {
		c.Limits = map[portal.Audience]graph.Limits{portal.AudiencePortal: {BudgetPerMinute: 6}}
		c.Budgets = ratelimit.NewMemory(ratelimittest.NewClock().Now)
	})
}

// Budgets kept in the database hold across server processes: what one
// spends, another cannot spend again.
func TestBudgetsAcrossProcesses(t *testing.T) {
	t.Parallel()
	const query = `{ viewer { client { projects(first: 10) { edges { node { name } } } } } }` // 14 points
	run(t, func(t *testing.T, e *env) {
		other := e.secondServer(t)
		for i := range 4 {
			srv := []string{e.srv.URL, other}[i%2]
			r := e.sendVia(t, e.srv.Client(), newPost(t, srv, e.f.Tokens["aActive"], query, nil))
			r.decode(t, &map[string]any{})
		}
		for _, srv := range []string{e.srv.URL, other} {
			r := e.sendVia(t, e.srv.Client(), newPost(t, srv, e.f.Tokens["aActive"], query, nil))
			equal(t, "spent on "+srv, []any{r.Status, r.only(t).Extensions.Code}, []any{http.StatusTooManyRequests, "RATE_LIMITED"})
		}
	}, func(c *graph.Config) {
		c.Limits = map[portal.Audience]graph.Limits{portal.AudiencePortal: {BudgetPerMinute: 60}}
		c.Budgets = c.Store.(*sqlstore.Store).Budgets(nil)
	})
}
