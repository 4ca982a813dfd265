package telemetry_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"portalgraph/internal/sqlstore"
	"portalgraph/internal/telemetry"
)

func TestNewLogger(t *testing.T) {
	var buf bytes.Buffer
	for format, check := range map[string]func([]byte) bool{
		"":     func(b []byte) bool { return bytes.HasPrefix(b, []byte("time=")) },
		"text": func(b []byte) bool { return bytes.HasPrefix(b, []byte("time=")) },
		"json": func(b []byte) bool { return json.Valid(bytes.TrimSpace(b)) },
	} {
		buf.Reset()
		logger, err := telemetry.NewLogger(&buf, format)
		if err != nil {
			t.Fatalf("format %q: %v", format, err)
		}
		logger.Info("request", "status", 200)
		if !check(buf.Bytes()) {
			t.Errorf("format %q wrote %q", format, buf.Bytes())
		}
	}
	if _, err := telemetry.NewLogger(&buf, "logfmt"); err == nil {
		t.Error("an unknown format was accepted")
	}
}

// queues answers QueueDepths as told, counting how often it is asked.
type queues struct {
	mu    sync.Mutex
	asked int
	err   error
}

func (q *queues) QueueDepths(context.Context) (sqlstore.QueueDepths, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.asked++
	return sqlstore.QueueDepths{Exports: map[string]int{"QUEUED": 3, "RUNNING": 1}, MailPending: 2}, q.err
}

// The queues' depths are read when scraped, once for scrapes close
// together; when they cannot be read they are left out, not zero.
func TestQueueDepthMetrics(t *testing.T) {
	tel := telemetry.New(nil)
	q := &queues{}
	tel.WatchQueues(q, slog.New(slog.NewTextHandler(io.Discard, nil)))
	want := `
# HELP portalgraph_export_jobs Export jobs not finished, by status: queued (waiting, or released for another attempt) and running.
# TYPE portalgraph_export_jobs gauge
portalgraph_export_jobs{status="queued"} 3
portalgraph_export_jobs{status="running"} 1
`
	for range 3 {
		if err := testutil.GatherAndCompare(tel.Registry, strings.NewReader(want), "portalgraph_export_jobs"); err != nil {
			t.Fatal(err)
		}
	}
	if q.asked != 1 {
		t.Errorf("three scrapes in a row asked the store %d times, want 1", q.asked)
	}

	failing := telemetry.New(nil)
	var logs bytes.Buffer
	failing.WatchQueues(&queues{err: errors.New("database unreachable")}, slog.New(slog.NewTextHandler(&logs, nil)))
	if n, err := testutil.GatherAndCount(failing.Registry, "portalgraph_export_jobs", "portalgraph_mail_outbox_messages"); err != nil || n != 0 {
		t.Errorf("unreadable depths: %d series (%v), want none", n, err)
	}
	// A failure is not reused: the next scrape asks again.
	if err := testutil.GatherAndCompare(failing.Registry, strings.NewReader(`
# HELP portalgraph_queue_depth_errors_total Scrapes at which the queues' depths could not be read from the database.
# TYPE portalgraph_queue_depth_errors_total counter
portalgraph_queue_depth_errors_total 2
`), "portalgraph_queue_depth_errors_total"); err != nil {
		t.Error(err)
	}
	if !strings.Contains(logs.String(), "database unreachable") {
		t.Errorf("the log lacks why: %s", logs.String())
	}
}

// Statements outside any span are measured but make no span.
func TestStatementsOutsideSpans(t *testing.T) {
	tel := telemetry.New(nil)
	done := tel.Statement(context.Background(), sqlstore.Statement{Dialect: "sqlite", Kind: sqlstore.StatementExec, Query: "UPDATE x SET y = 1"})
	done(errors.New("no such table: x"))
	families, err := tel.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	counts := map[string]float64{}
	for _, f := range families {
		for _, m := range f.Metric {
			if f.GetName() == "portalgraph_sql_statement_errors_total" {
				counts["errors "+m.Label[0].GetValue()] = m.Counter.GetValue()
			}
			if f.GetName() == "portalgraph_sql_statement_duration_seconds" {
				counts["statements "+m.Label[0].GetValue()] = float64(m.Histogram.GetSampleCount())
			}
		}
	}
	if counts["errors exec"] != 1 || counts["statements exec"] != 1 || counts["statements query"] != 0 {
		t.Errorf("counted %v, want one failed exec", counts)
	}
}

// TestTracingOverOTLP: with OTEL_EXPORTER_OTLP_ENDPOINT set, spans are
// sent there (http/protobuf) at the latest when tracing shuts down; with
// nothing set, nothing is.
func TestTracingOverOTLP(t *testing.T) {
	var mu sync.Mutex
	var posts []string
	collector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		posts = append(posts, r.Method+" "+r.URL.Path+" "+r.Header.Get("Content-Type"))
		mu.Unlock()
		w.Header().Set("Content-Type", "application/x-protobuf")
	}))
	defer collector.Close()

	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "")
	off, err := telemetry.NewTracing(t.Context())
	if err != nil || off.Exporting != "" {
		t.Fatalf("without an endpoint: exporting %q, %v", off.Exporting, err)
	}
	if _, span := off.Provider.Tracer("test").Start(t.Context(), "nothing"); span.IsRecording() {
		t.Error("spans are recorded with tracing off")
	}

	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", collector.URL)
	t.Setenv("OTEL_SERVICE_NAME", "portalgraph-test")
	on, err := telemetry.NewTracing(t.Context())
	if err != nil || on.Exporting != collector.URL {
		t.Fatalf("with an endpoint: exporting %q, %v", on.Exporting, err)
	}
	_, span := on.Provider.Tracer("test").Start(t.Context(), "request")
	span.End()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if err := on.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(posts) != 1 || posts[0] != "POST /v1/traces application/x-protobuf" {
		t.Errorf("the collector received %q, want one OTLP export", posts)
	}

	t.Setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "thrift")
	if _, err := telemetry.NewTracing(t.Context()); err == nil {
		t.Error("an unknown protocol was accepted")
	}
}

// A statement's span is named by its first keyword.
func TestStatementSpanNames(t *testing.T) {
	recorder := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(recorder))
	tel := telemetry.New(tp)
	ctx, request := tp.Tracer("test").Start(context.Background(), "request")
	for _, s := range []sqlstore.Statement{
		{Dialect: "postgres", Kind: sqlstore.StatementQuery, Query: "\n\tselect id\nFROM clients WHERE id = $1"},
		{Dialect: "postgres", Kind: sqlstore.StatementExec, Query: "WITH x AS (SELECT 1) UPDATE clients SET name = $1"},
		{Dialect: "postgres", Kind: sqlstore.StatementCommit},
	} {
		tel.Statement(ctx, s)(nil)
	}
	request.End()
	var names []string
	for _, s := range recorder.Ended() {
		if s.Parent().SpanID() == request.SpanContext().SpanID() {
			names = append(names, s.Name())
		}
	}
	if strings.Join(names, " ") != "SELECT WITH COMMIT" {
		t.Errorf("statement spans %q, want SELECT WITH COMMIT", names)
	}
}
