package httpserver_test

import (
	"net/http"
	"strings"
	"testing"
)

// TestAccessLog: one line per request, with its id, method, path (never
// the query), status, duration, bytes, client address, and what GraphQL
// learned of it: audience, operation and cost.
func TestAccessLog(t *testing.T) {
	run(t, func(t *testing.T, e *env) {
		req := e.graphql(t, "owner", `query Dashboard { clients { edges { node { name } } } }`)
		req.Header.Set("X-Request-Id", "edge-7f3a.42")
		a := e.send(t, req)
		if got := a.header.Get("X-Request-Id"); got != "edge-7f3a.42" {
			t.Errorf("X-Request-Id %q: the caller's id is kept", got)
		}
		line := e.accessLine(t, "edge-7f3a.42")
		for key, want := range map[string]any{
			"level": "INFO", "method": "POST", "path": "/graphql", "status": float64(200), "bytes": float64(len(a.body)),
			"audience": "staff", "operationType": "query", "operation": "Dashboard", "clientAddr": "127.0.0.1",
		} {
			if line[key] != want {
				t.Errorf("%s = %v, want %v (line %v)", key, line[key], want, line)
			}
		}
		if cost, ok := line["cost"].(float64); !ok || cost < 1 {
			t.Errorf("cost = %v, want the operation's price", line["cost"])
		}
		if d, ok := line["durationMs"].(float64); !ok || d <= 0 {
			t.Errorf("durationMs = %v", line["durationMs"])
		}
		if id, ok := line["traceId"].(string); !ok || len(id) != 32 {
			t.Errorf("traceId = %v", line["traceId"])
		}

		// A download's path is logged without its token; the contact who
		// downloaded is its audience.
		link := e.uploadCSV(t, []byte("a,b\n"))
		a = do(t, e.srv.Client(), e.request(t, http.MethodGet, link, nil))
		if a.status != http.StatusOK {
			t.Fatalf("download: HTTP %d %s", a.status, a.body)
		}
		line = e.accessLine(t, a.header.Get("X-Request-Id"))
		if p, _ := line["path"].(string); !strings.HasPrefix(p, "/files/") || strings.Contains(p, "token") || line["audience"] != "portal" || line["bytes"] != float64(4) {
			t.Errorf("download line %v", line)
		}
		if strings.Contains(e.logs.String(), "token=") {
			t.Error("a download token reached the log")
		}

		// Probes are logged at debug level: a probe every few seconds
		// must not drown the log.
		a = do(t, e.srv.Client(), e.request(t, http.MethodGet, "/livez", nil))
		if line := e.accessLine(t, a.header.Get("X-Request-Id")); line["level"] != "DEBUG" {
			t.Errorf("probe line %v", line)
		}
	})
}
