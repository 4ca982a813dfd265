package httpserver_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"portalgraph/internal/httpserver"
	"portalgraph/internal/testlog"
)

// TestPanicsAreRecovered: a handler's panic is a 500 naming the request
// id, whose log line has the panic and its stack; the access log and the
// metrics count it.
func TestPanicsAreRecovered(t *testing.T) {
	t.Parallel()
	var logs testlog.Buffer
	api := http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("the unexpected") })
	edge, err := httpserver.New(httpserver.Config{
		API: api, Ready: func(context.Context) error { return nil }, Logger: slog.New(slog.NewJSONHandler(&logs, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(edge)
	defer srv.Close()
	res, err := srv.Client().Post(srv.URL+"/graphql", "application/json", strings.NewReader(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	id := res.Header.Get("X-Request-Id")
	if res.StatusCode != http.StatusInternalServerError || id == "" || !bytes.Contains(body, []byte("request id "+id)) || bytes.Contains(body, []byte("unexpected")) {
		t.Errorf("a panic answered HTTP %d, X-Request-Id %q: %q", res.StatusCode, id, body)
	}
	log := logs.String()
	for _, want := range []string{`"msg":"panic","requestId":"` + id, "the unexpected", "goroutine", `"msg":"request","requestId":"` + id + `","method":"POST","path":"/graphql","status":500`} {
		if !strings.Contains(log, want) {
			t.Errorf("the log lacks %q:\n%s", want, log)
		}
	}
}

func TestNewRequiresAnAPIAndReadiness(t *testing.T) {
	if _, err := httpserver.New(httpserver.Config{API: http.NotFoundHandler()}); err == nil {
		t.Error("an edge without a readiness check was made")
	}
	if _, err := httpserver.New(httpserver.Config{API: http.NotFoundHandler(), Ready: func(context.Context) error { return nil }, CORSOrigins: []string{"*"}}); err == nil {
		t.Error("an edge granting CORS to every origin was made")
	}
}
