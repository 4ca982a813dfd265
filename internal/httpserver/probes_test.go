package httpserver_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
)

// TestProbes: /livez answers while the process runs; /readyz, and
// /healthz with it, only while the database answers with its migrations.
// Not ready is a 503 naming the request id, and nothing of the cause.
func TestProbes(t *testing.T) {
	run(t, func(t *testing.T, e *env) {
		for _, path := range []string{"/livez", "/readyz", "/healthz"} {
			if a := do(t, e.srv.Client(), e.request(t, http.MethodGet, path, nil)); a.status != http.StatusOK || string(a.body) != "ok\n" {
				t.Errorf("%s: HTTP %d %q", path, a.status, a.body)
			}
		}
		// A migration goes missing: a newer server's database, say.
		if _, err := e.store.DB().Exec("DELETE FROM schema_migrations WHERE version = (SELECT MAX(version) FROM schema_migrations)"); err != nil {
			t.Fatal(err)
		}
		if a := do(t, e.srv.Client(), e.request(t, http.MethodGet, "/readyz", nil)); a.status != http.StatusServiceUnavailable {
			t.Errorf("/readyz without a migration: HTTP %d %q", a.status, a.body)
		}

		if err := e.store.Close(); err != nil {
			t.Fatal(err)
		}
		for _, path := range []string{"/readyz", "/healthz"} {
			a := do(t, e.srv.Client(), e.request(t, http.MethodGet, path, nil))
			id := a.header.Get("X-Request-Id")
			if a.status != http.StatusServiceUnavailable || id == "" || !strings.Contains(string(a.body), "request id "+id) || strings.Contains(string(a.body), "closed") {
				t.Errorf("%s with the database closed: HTTP %d, X-Request-Id %q, %q", path, a.status, id, a.body)
			}
			if !regexp.MustCompile(`"msg":"not ready","requestId":"` + id + `","error":"[^"]*closed`).MatchString(e.logs.String()) {
				t.Errorf("%s: the log lacks why, under the request id %s", path, id)
			}
		}
		if a := do(t, e.srv.Client(), e.request(t, http.MethodGet, "/livez", nil)); a.status != http.StatusOK {
			t.Errorf("/livez with the database closed: HTTP %d: the process is up", a.status)
		}
	})
}
