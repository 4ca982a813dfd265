package httpserver

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// CORS lets the listed origins — the agency's portal and dashboards on
// their own sites — call the API from a browser; any other origin gets no
// CORS header at all, so browsers keep its pages from reading responses or
// sending anything but simple requests.
//
// Uploads stay safe from forms on other sites: a multipart upload must
// carry GraphQL-Require-Preflight (graph/uploads.go), a header no form can
// send and a script on another site can only send after a preflight the
// edge grants to the listed origins alone. That holds as long as the list
// names only sites trusted to upload for their users, which is why it
// takes exact origins and refuses "*". The API authenticates with bearer
// tokens, never cookies, so credentialed requests are not allowed
// (no Access-Control-Allow-Credentials) and nothing rides along with a
// browser's ambient state.
type cors struct {
	origins map[string]bool
	next    http.Handler
}

const (
	corsMethods = "GET, POST, OPTIONS"
	// The headers a GraphQL client sends: credentials, JSON or multipart
	// bodies, the preflight headers uploads require, a request id to
	// correlate with.
	corsRequestHeaders = "Authorization, Content-Type, GraphQL-Require-Preflight, Apollo-Require-Preflight, X-Apollo-Operation-Name, X-Request-Id"
	// What a script may read of a response besides the CORS-safelisted
	// headers: the request id to report, the budget, and a download's
	// file name.
	corsExposedHeaders = "X-Request-Id, RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset, Retry-After, Content-Disposition"
	// corsMaxAge lets a browser reuse a preflight for 10 minutes.
	corsMaxAge = "600"
)

func (c cors) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	origin := r.Header.Get("Origin")
	allowed := origin != "" && c.origins[origin]
	if len(c.origins) > 0 {
		// Responses differ by origin: caches must keep them apart.
		w.Header().Add("Vary", "Origin")
	}
	if r.Method == http.MethodOptions {
		// OPTIONS is answered here, for every route: a CORS preflight,
		// or a plain question of what a route allows.
		if allowed && r.Header.Get("Access-Control-Request-Method") != "" {
			h := w.Header()
			h.Add("Vary", "Access-Control-Request-Method")
			h.Add("Vary", "Access-Control-Request-Headers")
			h.Set("Access-Control-Allow-Origin", origin)
			h.Set("Access-Control-Allow-Methods", corsMethods)
			h.Set("Access-Control-Allow-Headers", corsRequestHeaders)
			h.Set("Access-Control-Max-Age", corsMaxAge)
		}
		w.Header().Set("Allow", allowedMethods(r.URL.Path))
		w.WriteHeader(http.StatusNoContent)
		return
	}
	if allowed {
		w.Header().Set("Access-Control-Allow-Origin", origin)
		w.Header().Set("Access-Control-Expose-Headers", corsExposedHeaders)
	}
	c.next.ServeHTTP(w, r)
}

// allowedMethods are the methods a route answers.
func allowedMethods(path string) string {
	if path == "/graphql" {
		return "GET, POST, OPTIONS"
	}
	return "GET, HEAD, OPTIONS"
}

// ParseOrigins reads an allow list of origins, comma-separated entries
// or several arguments: each scheme://host[:port] exactly as browsers send
// it in Origin, http or https, nothing else. "*" is refused: granting
// every site would void the upload check's reasoning (see cors).
func ParseOrigins(lists ...string) (map[string]bool, error) {
	out := map[string]bool{}
	for _, list := range lists {
		for entry := range strings.SplitSeq(list, ",") {
			entry = strings.TrimSpace(entry)
			if entry == "" {
				continue
			}
			origin, err := parseOrigin(entry)
			if err != nil {
				return nil, err
			}
			out[origin] = true
		}
	}
	return out, nil
}

func parseOrigin(entry string) (string, error) {
	if entry == "*" || entry == "null" {
		return "", fmt.Errorf("CORS origin %q: list each origin allowed, e.g. https://portal.example.com", entry)
	}
	u, err := url.Parse(entry)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil ||
		(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || strings.Contains(u.Host, "*") {
		return "", fmt.Errorf("CORS origin %q: an origin is scheme://host[:port], e.g. https://portal.example.com", entry)
	}
	// Browsers send the scheme and host in lower case, and no default
	// port.
	host := strings.ToLower(u.Host)
	if (u.Scheme == "https" && strings.HasSuffix(host, ":443")) || (u.Scheme == "http" && strings.HasSuffix(host, ":80")) {
		host = host[:strings.LastIndex(host, ":")]
	}
	return u.Scheme + "://" + host, nil
}
