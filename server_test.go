package main

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
	"strings"
	"testing"
	"time"

	"portalgraph/internal/auth"
	"portalgraph/internal/demo"
	"portalgraph/internal/portal"
	"portalgraph/internal/sqlstore"
	"portalgraph/internal/sqlstore/sqltest"
	"portalgraph/internal/testlog"
)

func TestMain(m *testing.M) { sqltest.Main(m) }

// command runs the binary's command line in-process.
func command(t *testing.T, dbURL string, args ...string) (string, error) {
	t.Helper()
	return commandWith(t, testConfig(t, dbURL), args...)
}

func testConfig(t *testing.T, dbURL string) config {
	return config{addr: ":0", databaseURL: dbURL, sessionTTL: time.Hour, blobURL: t.TempDir()}
}

func commandWith(t *testing.T, cfg config, args ...string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	err := run(context.Background(), args, cfg, &out, logger)
	return out.String(), err
}

func TestSchemaCommand(t *testing.T) {
	staff, err := command(t, "", "schema", "--audience", "staff")
	if err != nil {
		t.Fatal(err)
	}
	portalSDL, err := command(t, "", "schema", "--audience", "portal")
	if err != nil {
		t.Fatal(err)
	}
	anonymous, err := command(t, "", "schema", "--audience", "anonymous")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"budgetCents", "internalNotes", "type Note ", "createClient", "BUDGET_CENTS"} {
		if !strings.Contains(staff, name) {
			t.Errorf("staff schema lacks %q", name)
		}
		if strings.Contains(portalSDL, name) {
			t.Errorf("portal schema contains %q", name)
		}
	}
	for _, name := range []string{"@internal", "@hasPermission", "@goTag", "directive @internal", "directive @audience", "directive @validated"} {
		if strings.Contains(staff+portalSDL+anonymous, name) {
			t.Errorf("a printed schema contains %q", name)
		}
	}
	// The cost model's directives are public: clients may price their
	// requests as the server does.
	for _, name := range []string{"directive @cost(weight: Int!)", "directive @listSize(assumedSize: Int!)", "@listSize(assumedSize: 20)"} {
		if !strings.Contains(portalSDL, name) {
			t.Errorf("the portal schema lacks %q", name)
		}
	}
	if !strings.Contains(portalSDL, "deliverables(") || !strings.Contains(anonymous, "audience: Audience!") || strings.Contains(anonymous, "project") {
		t.Errorf("unexpected portal or anonymous schema:\n%s\n%s", portalSDL, anonymous)
	}
	if _, err := command(t, "", "schema", "--audience", "partners"); err == nil {
		t.Error("an unknown audience was accepted")
	}
}

func TestSeedAndTokenCommands(t *testing.T) {
	for _, dialect := range sqltest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			dbURL := sqltest.URL(t, dialect)
			var first, second struct {
				WorkspaceID string `json:"workspaceId"`
				Tokens      struct{ Staff, Portal string }
				ExpiresAt   time.Time `json:"expiresAt"`
			}
			out, err := command(t, dbURL, "seed", "--demo")
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal([]byte(out), &first); err != nil {
				t.Fatalf("seed printed %q: %v", out, err)
			}
			out, err = command(t, dbURL, "seed", "--demo")
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal([]byte(out), &second); err != nil {
				t.Fatal(err)
			}
			if first.WorkspaceID == "" || first.WorkspaceID != second.WorkspaceID {
				t.Errorf("workspace %q then %q: seeding twice must keep the one demo workspace", first.WorkspaceID, second.WorkspaceID)
			}
			if first.Tokens.Staff == second.Tokens.Staff || first.Tokens.Portal == second.Tokens.Portal {
				t.Error("seed must print fresh tokens each run")
			}

			store, err := sqlstore.Open(context.Background(), dbURL)
			if err != nil {
				t.Fatal(err)
			}
			defer store.Close()
			var workspaces, clients int
			_ = store.DB().Get(&workspaces, "SELECT COUNT(*) FROM workspaces")
			_ = store.DB().Get(&clients, "SELECT COUNT(*) FROM clients")
			if want := len(demo.New(time.Now()).Clients); workspaces != 1 || clients != want {
				t.Errorf("after two seeds: %d workspaces, %d clients; want 1 and %d", workspaces, clients, want)
			}

			// Every printed token authenticates as who it claims to be.
			authn := auth.New(store)
			for token, want := range map[string]portal.Audience{
				first.Tokens.Staff: portal.AudienceStaff, second.Tokens.Staff: portal.AudienceStaff,
				first.Tokens.Portal: portal.AudiencePortal, second.Tokens.Portal: portal.AudiencePortal,
			} {
				r := httptest.NewRequest("POST", "/graphql", nil)
				r.Header.Set("Authorization", "Bearer "+token)
				p, err := authn.Authenticate(r)
				if err != nil || p.Audience != want || p.WorkspaceID != first.WorkspaceID {
					t.Errorf("token authenticates as %+v, %v; want %s of %s", p, err, want, first.WorkspaceID)
				}
			}

			out, err = command(t, dbURL, "token", "create", "--email", "JONAS@brightline.example")
			if err != nil {
				t.Fatal(err)
			}
			r := httptest.NewRequest("POST", "/graphql", nil)
			r.Header.Set("Authorization", "Bearer "+strings.TrimSpace(out))
			if p, err := authn.Authenticate(r); err != nil || p.BuiltIn != portal.BuiltInRoleManager {
				t.Errorf("token create for a manager: %+v, %v", p, err)
			}
			if _, err := command(t, dbURL, "token", "create", "--email", "nobody@example.com"); err == nil {
				t.Error("a token was made for an unknown email")
			}
			_, err = command(t, dbURL, "token", "create", "--email", "jonas@brightline.example", "--workspace", "nope")
			if err == nil || err.Error() != `no workspace with slug "nope"` {
				t.Errorf("token create in an unknown workspace: %v", err)
			}

			// Printed tokens expire: a day by default, like a session,
			// unless token create is told otherwise; --ttl 0 never.
			day := time.Now().Add(tokenTTL)
			if first.ExpiresAt.Before(day.Add(-time.Minute)) || first.ExpiresAt.After(day.Add(time.Minute)) {
				t.Errorf("seed printed tokens expiring at %s, want about %s", first.ExpiresAt, day)
			}
			for name, c := range map[string]struct {
				token string
				want  time.Duration // 0: never expires
			}{
				"seed's staff token":  {first.Tokens.Staff, tokenTTL},
				"seed's portal token": {second.Tokens.Portal, tokenTTL},
				"token create":        {strings.TrimSpace(out), tokenTTL},
				"--ttl 90m":           {tokenOf(t, dbURL, "--ttl", "90m"), 90 * time.Minute},
				"--ttl 0":             {tokenOf(t, dbURL, "--ttl", "0"), 0},
			} {
				var expires *time.Time
				if err := store.DB().Get(&expires, store.DB().Rebind("SELECT expires_at FROM tokens WHERE token_hash = ?"), auth.HashToken(c.token)); err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				switch want := time.Now().Add(c.want); {
				case c.want == 0 && expires != nil:
					t.Errorf("%s expires at %s, want never", name, expires)
				case c.want != 0 && (expires == nil || expires.Before(want.Add(-time.Minute)) || expires.After(want.Add(time.Minute))):
					t.Errorf("%s expires at %v, want about %s", name, expires, want)
				}
			}
			if _, err := command(t, dbURL, "migrate"); err != nil {
				t.Errorf("migrate on a migrated database: %v", err)
			}
		})
	}
}

// tokenOf makes a token for a manager of the demo workspace with token
// create and further flags.
func tokenOf(t *testing.T, dbURL string, flags ...string) string {
	t.Helper()
	out, err := command(t, dbURL, append([]string{"token", "create", "--email", "jonas@brightline.example"}, flags...)...)
	if err != nil {
		t.Fatalf("token create %v: %v", flags, err)
	}
	return strings.TrimSpace(out)
}

// TestServeSeedsAnEmptyDatabase starts the server on an empty database and
// runs the curl line it prints.
func TestServeSeedsAnEmptyDatabase(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	out := &testlog.Buffer{}
	done := make(chan error, 1)
	cfg := config{addr: "127.0.0.1:0", databaseURL: sqltest.URL(t, "sqlite"), sessionTTL: time.Hour, blobURL: t.TempDir(), demo: true}
	go func() { done <- run(ctx, []string{"serve"}, cfg, out, slog.New(slog.NewTextHandler(io.Discard, nil))) }()

	curl := regexp.MustCompile(`curl -s (http://\S+/graphql) .*\n.*Authorization: Bearer (pgt_\S+)'.*\n.*-d '(.*)'`)
	var m []string
	for deadline := time.Now().Add(20 * time.Second); m == nil; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no curl line printed; output:\n%s", out.String())
		}
		m = curl.FindStringSubmatch(out.String())
	}
	resp, err := http.Post(m[1], "application/json", strings.NewReader(m[3]))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("without the token the query must fail validation (no client in the anonymous schema); status %d", resp.StatusCode)
	}
	resp = postWithToken(t, m[1], m[2], m[3])
	defer resp.Body.Close()
	var body struct {
		Data struct {
			Viewer struct {
				Client struct{ Name string }
			}
		}
		Errors []any
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || len(body.Errors) > 0 || body.Data.Viewer.Client.Name != "Acme Outdoor Co." {
		t.Fatalf("the printed query answered %+v (%v)", body, err)
	}

	// The demo's files are downloadable: their bytes were stored too.
	resp = postWithToken(t, m[1], m[2], `{"query":"{ viewer { client { files { edges { node { name size downloadUrl } } } } } }"}`)
	defer resp.Body.Close()
	var files struct {
		Data struct {
			Viewer struct {
				Client struct {
					Files struct {
						Edges []struct {
							Node struct {
								Name, DownloadURL string
								Size              int
							}
						}
					}
				}
			}
		}
	}
	if err := json.NewDecoder(resp.Body).Decode(&files); err != nil || len(files.Data.Viewer.Client.Files.Edges) == 0 {
		t.Fatalf("demo files: %+v (%v)", files, err)
	}
	for _, e := range files.Data.Viewer.Client.Files.Edges {
		link := strings.TrimSuffix(m[1], "/graphql") + e.Node.DownloadURL[strings.Index(e.Node.DownloadURL, "/files/"):]
		dl, err := http.Get(link)
		if err != nil {
			t.Fatal(err)
		}
		content, _ := io.ReadAll(dl.Body)
		dl.Body.Close()
		if dl.StatusCode != http.StatusOK || len(content) != e.Node.Size {
			t.Errorf("download of %s: HTTP %d, %d bytes, want %d", e.Node.Name, dl.StatusCode, len(content), e.Node.Size)
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("serve returned %v after shutdown", err)
	}
}

func TestExportWorkersConfig(t *testing.T) {
	for value, want := range map[string]int{"": 2, "0": 0, "5": 5} {
		t.Setenv("PORTALGRAPH_EXPORT_WORKERS", value)
		cfg, err := loadConfig()
		if err != nil || cfg.exportWorkers != want {
			t.Errorf("PORTALGRAPH_EXPORT_WORKERS=%q: %d workers, error %v; want %d", value, cfg.exportWorkers, err, want)
		}
	}
	for _, bad := range []string{"-1", "two"} {
		t.Setenv("PORTALGRAPH_EXPORT_WORKERS", bad)
		if _, err := loadConfig(); err == nil || !strings.Contains(err.Error(), "PORTALGRAPH_EXPORT_WORKERS") {
			t.Errorf("PORTALGRAPH_EXPORT_WORKERS=%q: error %v", bad, err)
		}
	}
}

// Private webhook addresses are refused unless the operator allows them.
func TestWebhooksAllowPrivateConfig(t *testing.T) {
	for value, want := range map[string]bool{"": false, "0": false, "1": true, "true": true} {
		t.Setenv("PORTALGRAPH_WEBHOOKS_ALLOW_PRIVATE", value)
		cfg, err := loadConfig()
		if err != nil || cfg.webhooksAllowPrivate != want {
			t.Errorf("PORTALGRAPH_WEBHOOKS_ALLOW_PRIVATE=%q: %v, error %v; want %v", value, cfg.webhooksAllowPrivate, err, want)
		}
	}
	t.Setenv("PORTALGRAPH_WEBHOOKS_ALLOW_PRIVATE", "sometimes")
	if _, err := loadConfig(); err == nil || !strings.Contains(err.Error(), "PORTALGRAPH_WEBHOOKS_ALLOW_PRIVATE") {
		t.Errorf("PORTALGRAPH_WEBHOOKS_ALLOW_PRIVATE=sometimes: error %v", err)
	}
}

// Trusted proxies are CIDRs; a bad one stops the server from starting,
// naming the variable and the entry, rather than trusting nobody (or
// everybody) quietly.
func TestTrustedProxiesConfig(t *testing.T) {
	for value, want := range map[string]string{"": "[]", "10.0.0.0/8, fd00::/8": "[10.0.0.0/8 fd00::/8]", "192.0.2.7": "[192.0.2.7/32]"} {
		t.Setenv("PORTALGRAPH_TRUSTED_PROXIES", value)
		cfg, err := loadConfig()
		if got := fmt.Sprint(cfg.trustedProxies); err != nil || got != want {
			t.Errorf("PORTALGRAPH_TRUSTED_PROXIES=%q: %s, error %v; want %s", value, got, err, want)
		}
	}
	for _, bad := range []string{"10.0.0.0/33", "10.0.0.0/8,load-balancer", "*"} {
		t.Setenv("PORTALGRAPH_TRUSTED_PROXIES", bad)
		_, err := loadConfig()
		if err == nil || !strings.Contains(err.Error(), "PORTALGRAPH_TRUSTED_PROXIES") || !strings.Contains(err.Error(), "CIDR") {
			t.Errorf("PORTALGRAPH_TRUSTED_PROXIES=%q: error %v", bad, err)
		}
	}
}

// postWithToken posts a JSON body to url with a bearer token.
func postWithToken(t *testing.T, url, token, body string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// The links the server hands out (invitations, downloads) point where it
// listens unless PORTALGRAPH_PUBLIC_URL or PORTALGRAPH_API_URL say
// otherwise.
func TestURLsFollowTheListenAddress(t *testing.T) {
	for _, c := range []struct{ addr, public, api, wantPublic, wantAPI string }{
		{"", "", "", "http://localhost:8080", "http://localhost:8080"},
		{":9090", "", "", "http://localhost:9090", "http://localhost:9090"},
		{"127.0.0.1:7000", "", "", "http://127.0.0.1:7000", "http://127.0.0.1:7000"},
		{"[::1]:7000", "", "", "http://[::1]:7000", "http://[::1]:7000"},
		{"0.0.0.0:7000", "https://portal.example", "", "https://portal.example", "https://portal.example"},
		{":7000", "https://portal.example", "https://api.example", "https://portal.example", "https://api.example"},
	} {
		t.Setenv("PORTALGRAPH_ADDR", c.addr)
		t.Setenv("PORTALGRAPH_PUBLIC_URL", c.public)
		t.Setenv("PORTALGRAPH_API_URL", c.api)
		cfg, err := loadConfig()
		if err != nil || cfg.publicURL != c.wantPublic || cfg.apiURL != c.wantAPI {
			t.Errorf("listening at %q: public %q, API %q, error %v; want %q and %q", c.addr, cfg.publicURL, cfg.apiURL, err, c.wantPublic, c.wantAPI)
		}
	}
	t.Setenv("PORTALGRAPH_ADDR", "8080")
	t.Setenv("PORTALGRAPH_PUBLIC_URL", "")
	if _, err := loadConfig(); err == nil || !strings.Contains(err.Error(), "PORTALGRAPH_ADDR") {
		t.Errorf("a bad listen address: %v", err)
	}
}
