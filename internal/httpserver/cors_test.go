package httpserver_test

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"

	"portalgraph/internal/httpserver"
)

var corsHeaders = []string{"Access-Control-Allow-Origin", "Access-Control-Allow-Methods", "Access-Control-Allow-Headers", "Access-Control-Expose-Headers", "Access-Control-Allow-Credentials"}

// noCORS fails if an answer carries any CORS header.
func noCORS(t *testing.T, what string, h http.Header) {
	t.Helper()
	for _, name := range corsHeaders {
		if v := h.Get(name); v != "" {
			t.Errorf("%s: %s: %q, want no CORS headers", what, name, v)
		}
	}
}

// preflight is the OPTIONS a browser sends before a cross-origin upload.
func (e *env) preflight(t *testing.T, from string) answer {
	t.Helper()
	req := e.request(t, http.MethodOptions, "/graphql", nil)
	req.Header.Set("Origin", from)
	req.Header.Set("Access-Control-Request-Method", "POST")
	req.Header.Set("Access-Control-Request-Headers", "authorization, content-type, graphql-require-preflight")
	return do(t, e.srv.Client(), req)
}

// TestCORS: the listed origin is granted its preflight and may read
// responses; any other origin gets no CORS header at all. OPTIONS is
// answered 204 either way, not refused by GraphQL.
func TestCORS(t *testing.T) {
	run(t, func(t *testing.T, e *env) {
		a := e.preflight(t, origin)
		if a.status != http.StatusNoContent || a.header.Get("Access-Control-Allow-Origin") != origin || a.header.Get("Access-Control-Allow-Credentials") != "" {
			t.Errorf("preflight from %s: HTTP %d, %v", origin, a.status, a.header)
		}
		for _, want := range []string{"Authorization", "Content-Type", "GraphQL-Require-Preflight"} {
			if !strings.Contains(a.header.Get("Access-Control-Allow-Headers"), want) {
				t.Errorf("the preflight does not allow %s: %q", want, a.header.Get("Access-Control-Allow-Headers"))
			}
		}
		if !strings.Contains(a.header.Get("Access-Control-Allow-Methods"), "POST") || a.header.Get("Access-Control-Max-Age") == "" {
			t.Errorf("preflight methods and age: %v", a.header)
		}

		for _, other := range []string{"https://evil.example", "https://portal.example.evil.example", "http://portal.example", "null"} {
			a := e.preflight(t, other)
			if a.status != http.StatusNoContent {
				t.Errorf("preflight from %s: HTTP %d, want 204", other, a.status)
			}
			noCORS(t, "preflight from "+other, a.header)
		}

		// A plain OPTIONS says what the route allows.
		a = do(t, e.srv.Client(), e.request(t, http.MethodOptions, "/graphql", nil))
		if a.status != http.StatusNoContent || a.header.Get("Allow") != "GET, POST, OPTIONS" {
			t.Errorf("OPTIONS /graphql: HTTP %d, Allow %q", a.status, a.header.Get("Allow"))
		}
		noCORS(t, "OPTIONS without an origin", a.header)

		// The request itself: readable by the listed origin, with the
		// request id and the budget exposed to its scripts.
		req := e.graphql(t, "aActive", `{ viewer { audience } }`)
		req.Header.Set("Origin", origin)
		a = e.send(t, req)
		if a.header.Get("Access-Control-Allow-Origin") != origin || !strings.Contains(a.header.Get("Access-Control-Expose-Headers"), "X-Request-Id") ||
			!strings.Contains(a.header.Get("Vary"), "Origin") {
			t.Errorf("a request from %s: %v", origin, a.header)
		}
		req = e.graphql(t, "aActive", `{ viewer { audience } }`)
		req.Header.Set("Origin", "https://evil.example")
		a = e.send(t, req)
		noCORS(t, "a request from another origin", a.header)
		if !strings.Contains(a.header.Get("Vary"), "Origin") {
			t.Errorf("a response that depends on Origin must vary by it: %v", a.header)
		}

		// Granting CORS to the listed origin does not lift the upload
		// check: a multipart request without the preflight header is
		// refused, from that origin too, before anything is read.
		var body bytes.Buffer
		w := multipart.NewWriter(&body)
		_ = w.WriteField("operations", `{"query":"mutation($f: Upload!) { uploadFile(input: {file: $f, projectId: \"`+e.f.AShared.ID+`\"}) { file { id } } }","variables":{"f":null}}`)
		_ = w.WriteField("map", `{"0":["variables.f"]}`)
		part, _ := w.CreateFormFile("0", "brief.pdf")
		_, _ = part.Write([]byte("%PDF-1.4 brief"))
		_ = w.Close()
		req = e.request(t, http.MethodPost, "/graphql", &body)
		req.Header.Set("Content-Type", w.FormDataContentType())
		req.Header.Set("Authorization", "Bearer "+e.f.Tokens["aActive"])
		req.Header.Set("Origin", origin)
		a = do(t, e.srv.Client(), req)
		if a.status != http.StatusBadRequest || !strings.Contains(string(a.body), "GraphQL-Require-Preflight") {
			t.Errorf("an upload without the preflight header from %s: HTTP %d %s", origin, a.status, a.body)
		}
	})
}

func TestParseOrigins(t *testing.T) {
	got, err := httpserver.ParseOrigins(" https://Portal.Example.com , http://localhost:5173,https://app.example:443/", "https://dash.example")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"https://portal.example.com", "http://localhost:5173", "https://app.example", "https://dash.example"} {
		if !got[want] {
			t.Errorf("%s is not allowed: %v", want, got)
		}
	}
	if len(got) != 4 {
		t.Errorf("origins %v, want 4", got)
	}
	if got, err := httpserver.ParseOrigins(""); err != nil || len(got) != 0 {
		t.Errorf("no origins: %v %v", got, err)
	}
	for _, bad := range []string{"*", "null", "portal.example.com", "ftp://portal.example.com", "https://portal.example.com/app", "https://*.example.com", "https://user@portal.example.com", "https://portal.example.com?x=1"} {
		if _, err := httpserver.ParseOrigins(bad); err == nil || !strings.Contains(err.Error(), "CORS origin") {
			t.Errorf("%q: error %v", bad, err)
		}
	}
}
