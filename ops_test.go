package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"portalgraph/internal/sqlstore/sqltest"
	"portalgraph/internal/testlog"
)

func TestLogFormat(t *testing.T) {
	for format, want := range map[string]string{"": "time=", "text": "time=", "json": `{"time":`} {
		t.Setenv("PORTALGRAPH_LOG_FORMAT", format)
		var out strings.Builder
		logger, err := newLogger(&out)
		if err != nil {
			t.Fatalf("PORTALGRAPH_LOG_FORMAT=%q: %v", format, err)
		}
		logger.Info("hello")
		if !strings.HasPrefix(out.String(), want) {
			t.Errorf("PORTALGRAPH_LOG_FORMAT=%q wrote %q", format, out.String())
		}
	}
	t.Setenv("PORTALGRAPH_LOG_FORMAT", "xml")
	if _, err := newLogger(io.Discard); err == nil || !strings.Contains(err.Error(), "PORTALGRAPH_LOG_FORMAT") {
		t.Errorf("an unknown format: %v", err)
	}
}

func TestCORSOriginsConfig(t *testing.T) {
	t.Setenv("PORTALGRAPH_CORS_ORIGINS", "")
	if cfg, err := loadOpsConfig(); err != nil || len(cfg.corsOrigins) != 0 {
		t.Errorf("no origins: %v %v", cfg.corsOrigins, err)
	}
	t.Setenv("PORTALGRAPH_CORS_ORIGINS", "https://portal.example.com, http://localhost:5173")
	if cfg, err := loadOpsConfig(); err != nil || strings.Join(cfg.corsOrigins, " ") != "http://localhost:5173 https://portal.example.com" {
		t.Errorf("two origins: %v %v", cfg.corsOrigins, err)
	}
	for _, bad := range []string{"*", "portal.example.com", "https://portal.example.com/app"} {
		t.Setenv("PORTALGRAPH_CORS_ORIGINS", bad)
		if _, err := loadOpsConfig(); err == nil || !strings.Contains(err.Error(), "PORTALGRAPH_CORS_ORIGINS") {
			t.Errorf("PORTALGRAPH_CORS_ORIGINS=%q: error %v", bad, err)
		}
	}
}

// TestServeWiresTheEdge starts the server as the binary does and finds
// the edge in front of the API: probes, metrics of the store and the
// queues, CORS from the configured origin, and the access log.
func TestServeWiresTheEdge(t *testing.T) {
	t.Setenv("PORTALGRAPH_CORS_ORIGINS", "https://portal.example")
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "")
	ctx, cancel := context.WithCancel(context.Background())
	logs := &testlog.Buffer{}
	done := make(chan error, 1)
	cfg := config{addr: "127.0.0.1:0", databaseURL: sqltest.URL(t, "sqlite"), sessionTTL: time.Hour, blobURL: t.TempDir()}
	go func() { done <- run(ctx, []string{"serve"}, cfg, io.Discard, slog.New(slog.NewJSONHandler(logs, nil))) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve returned %v after shutdown", err)
		}
	}()

	var base string
	for deadline := time.Now().Add(20 * time.Second); base == ""; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the server did not start; log:\n%s", logs.String())
		}
		sc := bufio.NewScanner(strings.NewReader(logs.String()))
		for sc.Scan() {
			var line struct{ Msg, Addr string }
			if json.Unmarshal(sc.Bytes(), &line) == nil && line.Msg == "serving GraphQL" {
				base = "http://" + line.Addr
			}
		}
	}
	get := func(path string) (*http.Response, string) {
		t.Helper()
		res, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		body, _ := io.ReadAll(res.Body)
		return res, string(body)
	}
	for _, path := range []string{"/livez", "/readyz", "/healthz"} {
		if res, body := get(path); res.StatusCode != http.StatusOK {
			t.Errorf("%s: HTTP %d %s", path, res.StatusCode, body)
		}
	}
	req, _ := http.NewRequest(http.MethodOptions, base+"/graphql", nil)
	req.Header.Set("Origin", "https://portal.example")
	req.Header.Set("Access-Control-Request-Method", "POST")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusNoContent || res.Header.Get("Access-Control-Allow-Origin") != "https://portal.example" {
		t.Errorf("preflight: HTTP %d, %v", res.StatusCode, res.Header)
	}
	res, body := get("/graphql?query=%7B__typename%7D")
	id := res.Header.Get("X-Request-Id")
	if res.StatusCode != http.StatusOK || id == "" {
		t.Fatalf("GET /graphql: HTTP %d, X-Request-Id %q: %s", res.StatusCode, id, body)
	}
	if _, metrics := get("/metrics"); !strings.Contains(metrics, `portalgraph_http_requests_total{audience="anonymous",code="200",operation="anonymous",route="/graphql"} 1`) ||
		!strings.Contains(metrics, "portalgraph_sql_statement_duration_seconds_count") || !strings.Contains(metrics, `portalgraph_export_jobs{status="queued"}`) ||
		!strings.Contains(metrics, `go_sql_open_connections{db_name="sqlite"}`) || !strings.Contains(metrics, "portalgraph_graphql_loader_batches_total") {
		t.Errorf("/metrics lacks what the server wires:\n%s", metrics)
	}
	if !strings.Contains(logs.String(), `"msg":"request","requestId":"`+id+`"`) {
		t.Errorf("no access-log line for %s:\n%s", id, logs.String())
	}
}
