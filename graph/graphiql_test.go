package graph_test

import (
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"portalgraph/internal/graphiql"
)

// GraphiQL is served from the binary: the page names no other host, and
// every script and style it loads is served here.
func TestGraphiQLWorksOffline(t *testing.T) {
	t.Parallel()
	run(t, func(t *testing.T, e *env) {
		get := func(path, accept string) (*http.Response, string) {
			req, err := http.NewRequest(http.MethodGet, e.srv.URL+path, nil)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Accept", accept)
			res, err := e.srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			body, err := io.ReadAll(res.Body)
			if err != nil {
				t.Fatal(err)
			}
			return res, string(body)
		}
		res, page := get("/graphql", "text/html,application/xhtml+xml")
		equal(t, "page", []string{res.Status, res.Header.Get("Content-Type")}, []string{"200 OK", "text/html; charset=utf-8"})
		if strings.Contains(page, "//") && regexp.MustCompile(`(src|href)="(https?:)?//`).MatchString(page) {
			t.Errorf("the page loads from another host:\n%s", page)
		}
		if !strings.Contains(page, `\"Authorization\": \"Bearer pgt_…\"`) || !strings.Contains(page, "subscriptionUrl") {
			t.Errorf("the page lacks the Authorization header or subscriptions:\n%s", page)
		}
		assets := regexp.MustCompile(`(?:src|href)="(`+regexp.QuoteMeta(graphiql.AssetsPath)+`[^"]+)"`).FindAllStringSubmatch(page, -1)
		if len(assets) != 4 {
			t.Fatalf("the page loads %d assets, want 4: %v", len(assets), assets)
		}
		for _, a := range assets {
			res, body := get(a[1], "*/*")
			want := "text/javascript; charset=utf-8"
			if strings.HasSuffix(a[1], ".css") {
				want = "text/css; charset=utf-8"
			}
			equal(t, a[1], []string{res.Status, res.Header.Get("Content-Type"), res.Header.Get("Cache-Control")},
				[]string{"200 OK", want, "public, max-age=31536000, immutable"})
			if len(body) < 10_000 {
				t.Errorf("%s has %d bytes", a[1], len(body))
			}
		}
		// The licenses travel with the code.
		for _, name := range []string{"LICENSE.graphiql", "LICENSE.react", "LICENSE.react-dom"} {
			if res, body := get(graphiql.AssetsPath+name, "*/*"); res.StatusCode != http.StatusOK || !strings.Contains(body, "MIT License") {
				t.Errorf("%s: %s", name, res.Status)
			}
		}
		// A query by GET is still a query, not the page.
		res, body := get("/graphql?query="+"%7B+viewer+%7B+audience+%7D+%7D", "application/json")
		equal(t, "query by GET", []string{res.Status, body}, []string{"200 OK", `{"data":{"viewer":{"audience":"ANONYMOUS"}},"extensions":{"cost":{"budget":{"limit":20000,"remaining":19999,"resetSeconds":1},"maximum":1000,"requested":1}}}`})
	})
}
