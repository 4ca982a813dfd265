package httpserver_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"portalgraph/graph"
	"portalgraph/internal/auth"
	"portalgraph/internal/blobstore"
	"portalgraph/internal/httpserver"
	"portalgraph/internal/signedurl"
	"portalgraph/internal/sqlstore"
	"portalgraph/internal/sqlstore/sqltest"
	"portalgraph/internal/telemetry"
	"portalgraph/internal/testlog"
)

func TestMain(m *testing.M) { sqltest.Main(m) }

// origin is the one origin the test servers allow CORS from.
const origin = "https://portal.example"

// env is one test's server, wired as the binary wires it: a fresh
// database of one dialect with the fixture, the real GraphQL handler and
// authenticator, telemetry observing the store's statements and graph's
// batches, behind the edge, over real HTTP.
type env struct {
	store *sqlstore.Store
	f     *sqltest.Fixture
	srv   *httptest.Server
	// raw talks to srv without asking for compression, so tests see
	// responses as sent.
	raw   *http.Client
	logs  *testlog.Buffer // the server's log, JSON, debug level and up
	spans *tracetest.SpanRecorder
}

// run runs fn once per dialect, in parallel, each with its own server.
func run(t *testing.T, fn func(t *testing.T, e *env)) {
	t.Helper()
	for _, dialect := range sqltest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			e := &env{logs: &testlog.Buffer{}, spans: tracetest.NewSpanRecorder()}
			logger := slog.New(slog.NewJSONHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
			tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(e.spans))
			tel := telemetry.New(tp)
			e.store = sqltest.Open(t, dialect, sqlstore.WithStatementObserver(tel))
			e.f = sqltest.LoadFixture(t, e.store)
			tel.WatchPool(e.store.DB().DB, e.store.Dialect())
			tel.WatchQueues(e.store, logger)
			blobs, err := blobstore.Open(t.Context(), "mem://")
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = blobs.Close() })
			links, err := signedurl.New([]byte(strings.Repeat("k", signedurl.MinKeyBytes)), 5*time.Minute, nil)
			if err != nil {
				t.Fatal(err)
			}
			authn := auth.New(e.store)
			api, err := graph.NewHandler(graph.Config{
				Store: e.store, Authenticate: authn.Authenticate, Session: authn.Session, Logger: logger,
				Blobs: blobs, Downloads: links, PublicURL: "https://api.example", Unavailable: sqlstore.Unavailable,
				ObserveBatch: tel.ObserveBatch,
			})
			if err != nil {
				t.Fatal(err)
			}
			tel.CountBatches(api.BatchStats())
			edge, err := httpserver.New(httpserver.Config{
				API: api.Mux(), Ready: e.store.Ready, Logger: logger, Registry: tel.Registry, Tracer: tp,
				CORSOrigins: []string{origin},
			})
			if err != nil {
				t.Fatal(err)
			}
			e.srv = httptest.NewServer(edge)
			t.Cleanup(e.srv.Close)
			e.raw = &http.Client{Transport: &http.Transport{DisableCompression: true}}
			t.Cleanup(func() {
				if t.Failed() {
					t.Logf("server log:\n%s", e.logs)
				}
			})
			fn(t, e)
		})
	}
}

// request builds a request to the test server.
func (e *env) request(t *testing.T, method, path string, body io.Reader) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, e.srv.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

// graphql builds a GraphQL POST as the fixture's principal who ("" for
// none).
func (e *env) graphql(t *testing.T, who, query string) *http.Request {
	t.Helper()
	body, err := json.Marshal(map[string]any{"query": query})
	if err != nil {
		t.Fatal(err)
	}
	req := e.request(t, http.MethodPost, "/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if who != "" {
		req.Header.Set("Authorization", "Bearer "+e.f.Tokens[who])
	}
	return req
}

// answer is a response as it came: status, headers, body (not
// decompressed when sent with e.raw).
type answer struct {
	status int
	header http.Header
	body   []byte
}

// do sends req with client and reads the whole answer.
func do(t *testing.T, client *http.Client, req *http.Request) answer {
	t.Helper()
	res, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return answer{status: res.StatusCode, header: res.Header, body: body}
}

// send sends req and requires a GraphQL response without errors.
func (e *env) send(t *testing.T, req *http.Request) answer {
	t.Helper()
	a := do(t, e.srv.Client(), req)
	var r struct {
		Errors []json.RawMessage `json:"errors"`
	}
	if err := json.Unmarshal(a.body, &r); err != nil || a.status != http.StatusOK || len(r.Errors) > 0 {
		t.Fatalf("HTTP %d: %s", a.status, a.body)
	}
	return a
}

// logLines are the lines the server logged, decoded.
func (e *env) logLines(t *testing.T) []map[string]any {
	t.Helper()
	var out []map[string]any
	sc := bufio.NewScanner(strings.NewReader(e.logs.String()))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var line map[string]any
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Fatalf("a log line is not JSON: %v: %s", err, sc.Bytes())
		}
		out = append(out, line)
	}
	return out
}

// accessLine is the access-log line of the request with the id; it fails
// unless there is exactly one.
func (e *env) accessLine(t *testing.T, requestID string) map[string]any {
	t.Helper()
	var found []map[string]any
	for _, line := range e.logLines(t) {
		if line["msg"] == "request" && line["requestId"] == requestID {
			found = append(found, line)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d access-log lines for request %s, want 1", len(found), requestID)
	}
	return found[0]
}
