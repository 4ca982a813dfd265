package graph_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"portalgraph/graph"
	"portalgraph/internal/audit"
	"portalgraph/internal/auth"
	"portalgraph/internal/signedurl"
	"portalgraph/internal/sqlstore"
	"portalgraph/internal/sqlstore/sqltest"
	"portalgraph/internal/testlog"
)

// env is one test's server: a fresh database of one dialect loaded with the
// authorization fixture, served over real HTTP by the real handler with the
// real authenticator.
type env struct {
	store *sqlstore.Store
	f     *sqltest.Fixture
	srv   *httptest.Server
	// handler is the server's handler, for its statistics.
	handler *graph.Handler
	logs    *testlog.Buffer // what the server logged (INTERNAL errors' details)
	// audit is the server's recorder of portal views and last-seen times;
	// nothing reaches the database until the test flushes it.
	audit *audit.Recorder
	// holds are the delays sign-in throttling asked for, none of which
	// was slept.
	holds *holdLog
	// blobs holds uploaded bytes in memory; clock is the time download
	// links are signed and checked by.
	blobs *countingBlobs
	clock *sqltest.Clock
	// cfg is the handler's configuration, for a second server of it.
	cfg graph.Config
}

// run runs fn once per dialect, in parallel, each with its own database,
// fixture and server (newEnv).
func run(t *testing.T, fn func(t *testing.T, e *env), cfg ...func(*graph.Config)) {
	t.Helper()
	sqltest.Run(t, func(t *testing.T, store *sqlstore.Store) {
		fn(t, newEnv(t, store, cfg...))
	})
}

// newEnv loads the fixture into store and serves it: the real
// authenticator, sign-in (auth.Access, whose throttling holds are recorded
// rather than slept) and audit recorder. cfg, if given, adjusts the
// handler's configuration.
func newEnv(t testing.TB, store *sqlstore.Store, cfg ...func(*graph.Config)) *env {
	t.Helper()
	e := &env{store: store, f: sqltest.LoadFixture(t, store), logs: &testlog.Buffer{}, holds: &holdLog{},
		blobs: newCountingBlobs(t), clock: sqltest.NewClock(time.Now())}
	links, err := signedurl.New([]byte(strings.Repeat("k", signedurl.MinKeyBytes)), 5*time.Minute, e.clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(e.logs, nil))
	e.audit = audit.New(store, logger)
	// Partners' keys expire and leave their grace periods by the test's
	// clock.
	authn := auth.New(store, auth.WithClock(e.clock.Now))
	c := graph.Config{
		Store:        store,
		Authenticate: authn.Authenticate,
		Session:      authn.Session,
		Access:       auth.NewAccess(store, auth.Options{Hold: e.holds.hold}),
		Audit:        e.audit,
		Logger:       logger,
		Blobs:        e.blobs,
		Downloads:    links,
		PublicURL:    "https://portal.example",
		Unavailable:  sqlstore.Unavailable,
	}
	for _, adjust := range cfg {
		adjust(&c)
	}
	e.cfg = c
	h, err := graph.NewHandler(c)
	if err != nil {
		t.Fatalf("NewHandler: %v", err)
	}
	e.handler = h
	e.srv = httptest.NewServer(h.Mux())
	t.Cleanup(e.srv.Close)
	// An INTERNAL error's cause is only in the server's log.
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("server log:\n%s", e.logs)
		}
	})
	return e
}

// ownDatabase runs fn, which opens a database, as a subtest and returns
// what it returns. A test holds one PostgreSQL test database at a time
// (see sqltest.Open); one that needs several opens each in a subtest of
// its own, whose end drops it.
func ownDatabase[T any](t *testing.T, name string, fn func(t *testing.T) T) T {
	t.Helper()
	var out T
	if !t.Run(name, func(t *testing.T) { out = fn(t) }) {
		t.FailNow()
	}
	return out
}

// secondServer serves the same database with another handler of the same
// configuration, as a second server process would; it returns its URL.
func (e *env) secondServer(t *testing.T) string {
	t.Helper()
	h, err := graph.NewHandler(e.cfg)
	if err != nil {
		t.Fatalf("NewHandler: %v", err)
	}
	srv := httptest.NewServer(h.Mux())
	t.Cleanup(srv.Close)
	return srv.URL
}

// flush writes what the audit recorder gathered, as the server's periodic
// flush would.
func (e *env) flush(t *testing.T) {
	t.Helper()
	e.audit.Flush(context.Background())
}

// holdLog records the delays sign-in throttling asks for, without
// sleeping, so throttling is tested without slowing the tests.
type holdLog struct {
	mu     sync.Mutex
	delays []time.Duration
}

func (h *holdLog) hold(_ context.Context, d time.Duration) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.delays = append(h.delays, d)
	return nil
}

// take returns the delays asked for since the last take, and forgets them.
func (h *holdLog) take() []time.Duration {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := h.delays
	h.delays = nil
	return out
}

// gqlError is one entry of a response's errors.
type gqlError struct {
	Message    string `json:"message"`
	Path       []any  `json:"path"`
	Extensions struct {
		Code      string       `json:"code"`
		Fields    []fieldError `json:"fields"`
		RequestID string       `json:"requestId"`
		limitReport
		RetryAfterSeconds int `json:"retryAfterSeconds"`
	} `json:"extensions"`
}

// limitReport is what a LIMIT_EXCEEDED error says of the limit.
type limitReport struct {
	Limit   string `json:"limit"`
	Maximum int    `json:"maximum"`
	Actual  int    `json:"actual"`
}

type fieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// path is the error's path written "a.b.0.c"; "" when it has none.
func (e gqlError) path() string {
	parts := make([]string, len(e.Path))
	for i, p := range e.Path {
		parts[i] = fmt.Sprint(p)
	}
	return strings.Join(parts, ".")
}

func (e gqlError) String() string {
	b, _ := json.Marshal(e)
	return string(b)
}

// response is what the server answered.
type response struct {
	Status     int
	Header     http.Header
	Raw        []byte          // the body, but for the budget left (see sendVia)
	Data       json.RawMessage `json:"data"`
	Errors     []gqlError      `json:"errors"`
	Extensions struct {
		Cost *costReport `json:"cost"`
	} `json:"extensions"`
}

// costReport is what a response's extensions.cost says.
type costReport struct {
	Requested int `json:"requested"`
	Maximum   int `json:"maximum"`
	Budget    *struct {
		Limit        int `json:"limit"`
		Remaining    int `json:"remaining"`
		ResetSeconds int `json:"resetSeconds"`
	} `json:"budget"`
}

// dataIsNull reports whether data is absent or null.
func (r *response) dataIsNull() bool {
	return len(r.Data) == 0 || string(r.Data) == "null"
}

// decode reads data into dst, failing on errors the test did not expect.
func (r *response) decode(t *testing.T, dst any) {
	t.Helper()
	if len(r.Errors) > 0 {
		t.Fatalf("unexpected errors (HTTP %d): %s", r.Status, r.Raw)
	}
	r.decodeData(t, dst)
}

// decodeData reads data into dst whatever the errors.
func (r *response) decodeData(t *testing.T, dst any) {
	t.Helper()
	if r.dataIsNull() {
		t.Fatalf("no data (HTTP %d): %s", r.Status, r.Raw)
	}
	if err := json.Unmarshal(r.Data, dst); err != nil {
		t.Fatalf("decode data: %v\n%s", err, r.Data)
	}
}

// only returns the response's single error, failing unless there is
// exactly one.
func (r *response) only(t *testing.T) gqlError {
	t.Helper()
	if len(r.Errors) != 1 {
		t.Fatalf("want exactly 1 error, got %d (HTTP %d): %s", len(r.Errors), r.Status, r.Raw)
	}
	return r.Errors[0]
}

// errorAt returns the one error at path ("a.b.0.c") and checks its code.
func (r *response) errorAt(t *testing.T, path, code string) gqlError {
	t.Helper()
	var found []gqlError
	for _, e := range r.Errors {
		if e.path() == path {
			found = append(found, e)
		}
	}
	if len(found) != 1 {
		t.Fatalf("want 1 error at %q, got %d: %s", path, len(found), r.Raw)
	}
	if found[0].Extensions.Code != code {
		t.Fatalf("error at %q: code %q, want %q: %s", path, found[0].Extensions.Code, code, found[0])
	}
	return found[0]
}

// onlyErrorAt checks that the response has exactly one error, at path, with
// the code, and returns it.
func (r *response) onlyErrorAt(t *testing.T, path, code string) gqlError {
	t.Helper()
	r.only(t)
	return r.errorAt(t, path, code)
}

// fields lists an error's bad input fields, sorted, as "field: message".
func (e gqlError) fields() []string {
	out := make([]string, len(e.Extensions.Fields))
	for i, f := range e.Extensions.Fields {
		out[i] = f.Field + ": " + f.Message
	}
	slices.Sort(out)
	return out
}

// vars are a request's variables.
type vars = map[string]any

// post sends a GraphQL request as POST JSON with the token, if any.
func (e *env) post(t *testing.T, token, query string, variables vars) *response {
	t.Helper()
	return e.postVia(t, e.srv.Client(), token, query, variables)
}

// postVia is post with an HTTP client of the test's choosing.
func (e *env) postVia(t *testing.T, client *http.Client, token, query string, variables vars) *response {
	t.Helper()
	return e.sendVia(t, client, newPost(t, e.srv.URL, token, query, variables))
}

// newPost is a GraphQL POST to the server at url, with a bearer token
// unless token is "".
func newPost(t *testing.T, url, token, query string, variables vars) *http.Request {
	t.Helper()
	body, err := json.Marshal(map[string]any{"query": query, "variables": variables})
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, url+"/graphql", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return req
}

// jsonBody is a GraphQL request body without variables.
func jsonBody(t *testing.T, query string) io.Reader {
	t.Helper()
	body, err := json.Marshal(map[string]any{"query": query})
	if err != nil {
		t.Fatal(err)
	}
	return bytes.NewReader(body)
}

// as sends a query as the fixture's principal of that name ("owner",
// "aActive", ...); "" sends no credentials.
func (e *env) as(t *testing.T, who, query string, variables vars) *response {
	t.Helper()
	token := ""
	if who != "" {
		var ok bool
		if token, ok = e.f.Tokens[who]; !ok {
			t.Fatalf("the fixture has no token for %q", who)
		}
	}
	return e.post(t, token, query, variables)
}

// send sends a prepared request and reads the answer, which must be JSON in
// GraphQL's response shape.
func (e *env) send(t *testing.T, req *http.Request) *response {
	t.Helper()
	return e.sendVia(t, e.srv.Client(), req)
}

// sendVia sends a prepared request with a client of the test's choosing.
func (e *env) sendVia(t *testing.T, client *http.Client, req *http.Request) *response {
	t.Helper()
	res, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	// Every answer says its length: a GraphQL response is written whole
	// (responder.write), and net/http measures the short ones.
	if !res.Uncompressed && res.ContentLength != int64(len(raw)) {
		t.Errorf("HTTP %d: Content-Length %d for a body of %d bytes", res.StatusCode, res.ContentLength, len(raw))
	}
	r := &response{Status: res.StatusCode, Header: res.Header}
	if err := json.Unmarshal(raw, r); err != nil {
		t.Fatalf("HTTP %d: the body is not a GraphQL response: %v\n%s", res.StatusCode, err, raw)
	}
	// What is left of the budget changes with every request; tests that
	// compare whole responses compare the rest. Extensions keeps it.
	r.Raw = spentBudget.ReplaceAll(raw, []byte(`"budget":{"limit":$1,"remaining":"…","resetSeconds":"…"}`))
	return r
}

var spentBudget = regexp.MustCompile(`"budget":\{"limit":(\d+),"remaining":\d+,"resetSeconds":\d+\}`)

// count counts the rows of a table, reaching past the API.
func (e *env) count(t *testing.T, table string) int {
	t.Helper()
	var n int
	if err := e.store.DB().Get(&n, "SELECT COUNT(*) FROM "+table); err != nil {
		t.Fatalf("count %s: %v", table, err)
	}
	return n
}

// rowCounts are the row counts of the tables mutations write.
func (e *env) rowCounts(t *testing.T) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, table := range writtenTables {
		out[table.name] = e.count(t, table.name)
	}
	return out
}

// writtenTables are the tables mutations write, each with the columns that
// order its rows.
var writtenTables = []struct{ name, key string }{
	{"clients", "id"}, {"contacts", "id"}, {"projects", "id"}, {"deliverables", "id"}, {"notes", "id"},
	{"activity_events", "id"}, {"approvals", "id"}, {"approval_approvers", "approval_id, contact_id"},
	{"approval_decisions", "id"}, {"outbox", "id"},
	{"invites", "id"}, {"tokens", "id"}, {"login_failures", "key, failed_at"},
	{"client_requests", "id"}, {"request_comments", "id"}, {"reports", "id"},
	{"files", "id"}, {"blob_removals", "blob_key"}, {"exports", "id"}, {"partner_keys", "id"},
	{"users", "workspace_id, id"}, {"roles", "workspace_id, id"},
}

// exec runs a statement on the database directly.
func (e *env) exec(t *testing.T, query string, args ...any) {
	t.Helper()
	if _, err := e.store.DB().Exec(e.store.DB().Rebind(query), args...); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

// Connection shapes for decoding.

type conn[T any] struct {
	TotalCount int `json:"totalCount"`
	Edges      []struct {
		Node T `json:"node"`
	} `json:"edges,omitempty"`
}

func (c conn[T]) nodes() []T {
	out := make([]T, len(c.Edges))
	for i, e := range c.Edges {
		out[i] = e.Node
	}
	return out
}

type idName struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// ids lists the IDs of records.
func ids[T interface{ getID() string }](recs []T) []string {
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = r.getID()
	}
	return out
}

func (r idName) getID() string { return r.ID }

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

// equal compares got and want as JSON values, so a decoded struct can be
// compared with a literal map and key order does not matter.
func equal(t *testing.T, what string, got, want any) {
	t.Helper()
	g, w := canonical(t, got), canonical(t, want)
	if g != w {
		t.Errorf("%s = %s, want %s", what, g, w)
	}
}

func canonical(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var generic any
	if err := json.Unmarshal(b, &generic); err != nil {
		t.Fatal(err)
	}
	b, _ = json.Marshal(generic) // maps marshal with sorted keys
	return string(b)
}
