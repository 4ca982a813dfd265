package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"portalgraph/internal/auth"
	"portalgraph/internal/demo"
	"portalgraph/internal/portal"
	"portalgraph/internal/sqlstore"
	"portalgraph/internal/sqlstore/sqltest"
	"portalgraph/internal/testlog"
)

// Every command's --help prints its usage and exits 0 having done
// nothing else: no database is made, no server started. Help needs no
// configuration, so a broken one does not stand in its way.
func TestHelpDoesNothingElse(t *testing.T) {
	for _, args := range [][]string{
		{"--help"}, {"-h"}, {"help"},
		{"serve", "--help"}, {"serve", "-h"}, {"migrate", "--help"}, {"seed", "--help"}, {"seed", "--demo", "--help"},
		{"schema", "--help"}, {"token", "--help"}, {"token", "create", "--help"}, {"token", "create", "--email", "x@y.example", "-help"},
		{"workspace", "--help"}, {"workspace", "create", "--help"}, {"workspace", "plan", "--help"}, {"workspace", "addon", "-h"}, {"version", "--help"}, {"help", "workspace"},
		{"help", "help"}, {"--help", "--help"}, {"help", "token", "create"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			dir := t.TempDir()
			cfg := testConfig(t, "sqlite:"+filepath.Join(dir, "db", "portalgraph.db"))
			cfg.blobURL = filepath.Join(dir, "blobs")
			cfg.demo = true
			cfg.invalid = errors.New("PORTALGRAPH_LIMITS: broken")
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			var out strings.Builder
			err := run(ctx, args, cfg, &out, slog.New(slog.NewTextHandler(io.Discard, nil)))
			if err != nil || ctx.Err() != nil {
				t.Fatalf("error %v (context %v)", err, ctx.Err())
			}
			if !strings.HasPrefix(out.String(), "usage: portalgraph") {
				t.Errorf("printed %q", out.String())
			}
			if entries, _ := os.ReadDir(dir); len(entries) > 0 {
				t.Errorf("help made %v", entries)
			}
		})
	}
	// Commands that need the configuration report what is wrong with it.
	cfg := testConfig(t, sqltest.URL(t, "sqlite"))
	cfg.invalid = errors.New("PORTALGRAPH_LIMITS: broken")
	for _, args := range [][]string{{"serve"}, {"migrate"}, {"seed", "--demo"}, {"token", "create", "--email", "x@y.example"}, {"workspace", "create", "--name", "A", "--owner-email", "a@b.example"}} {
		if _, err := commandWith(t, cfg, args...); err != cfg.invalid {
			t.Errorf("%v with a broken configuration: %v", args, err)
		}
	}
	// Mistakes are errors, naming the command.
	for args, want := range map[string]string{
		"serve extra":            `serve: unexpected argument "extra"`,
		"migrate --force":        "migrate: flag provided but not defined: -force",
		"token":                  "usage: portalgraph token create --email EMAIL",
		"token make":             `token: unknown subcommand "make"`,
		"workspace create":       "workspace create: --name and --owner-email are required",
		"seed":                   "seed: nothing to do",
		"schema --audience what": `schema: unknown audience "what"`,
		"bogus":                  `unknown command "bogus"`,
	} {
		_, err := commandWith(t, testConfig(t, sqltest.URL(t, "sqlite")), strings.Fields(args)...)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", args, err, want)
		}
	}
}

func TestVersion(t *testing.T) {
	want := regexp.MustCompile(`^portalgraph \S+ ` + regexp.QuoteMeta(runtime.Version()) + `( [0-9a-f]{12}.*)?\n$`)
	for _, args := range [][]string{{"version"}, {"--version"}, {"-version"}} {
		out, err := command(t, "", args...)
		if err != nil || !want.MatchString(out) {
			t.Errorf("%v: %q, %v", args, out, err)
		}
	}
}

// PORTALGRAPH_DATABASE_URL names PostgreSQL or an SQLite file; any other
// scheme, a typo included, stops the server at start instead of becoming
// a file named after the URL.
func TestDatabaseURLConfig(t *testing.T) {
	for _, good := range []string{"", "postgres://u@db.example/portal", "postgresql://u@db.example/portal", "sqlite:data/x.db", "file:data/x.db", "data/x.db"} {
		t.Setenv("PORTALGRAPH_DATABASE_URL", good)
		if _, err := loadConfig(); err != nil {
			t.Errorf("PORTALGRAPH_DATABASE_URL=%q: %v", good, err)
		}
	}
	for _, bad := range []string{"mysql://u:secret@db.example/portal", "postgress://u:secret@db.example/portal"} {
		t.Setenv("PORTALGRAPH_DATABASE_URL", bad)
		_, err := loadConfig()
		if err == nil || !strings.HasPrefix(err.Error(), "PORTALGRAPH_DATABASE_URL: ") || !strings.Contains(err.Error(), sqlstore.AcceptedURLs) ||
			strings.Contains(err.Error(), "secret") {
			t.Errorf("PORTALGRAPH_DATABASE_URL=%q: %v", bad, err)
		}
	}
}

// The demo is loaded only into the embedded database made when none is
// configured, unless PORTALGRAPH_DEMO says otherwise.
func TestDemoConfig(t *testing.T) {
	for _, c := range []struct {
		url, demo string
		want      bool
	}{
		{"", "", true},
		{"", "0", false},
		{"postgres://u@db.example/portal", "", false},
		{"postgres://u@db.example/portal", "1", true},
		{"sqlite:data/mine.db", "", false},
		{"sqlite:data/mine.db", "true", true},
	} {
		t.Setenv("PORTALGRAPH_DATABASE_URL", c.url)
		t.Setenv("PORTALGRAPH_DEMO", c.demo)
		cfg, err := loadConfig()
		if err != nil || cfg.demo != c.want {
			t.Errorf("PORTALGRAPH_DATABASE_URL=%q PORTALGRAPH_DEMO=%q: demo %v, %v; want %v", c.url, c.demo, cfg.demo, err, c.want)
		}
	}
	t.Setenv("PORTALGRAPH_DEMO", "maybe")
	if _, err := loadConfig(); err == nil || !strings.Contains(err.Error(), "PORTALGRAPH_DEMO") {
		t.Errorf("PORTALGRAPH_DEMO=maybe: %v", err)
	}
}

// workspace create makes a workspace and its owner, and prints the link by
// which the owner chooses a password; accepting it signs them in as the
// owner.
func TestWorkspaceCreateCommand(t *testing.T) {
	for _, dialect := range sqltest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			dbURL := sqltest.EmptyURL(t, dialect)
			cfg := testConfig(t, dbURL)
			cfg.publicURL, cfg.apiURL = "https://app.example", "https://api.example"
			out, err := commandWith(t, cfg, "workspace", "create", "--name", "Fresh Studio", "--owner-email", "Fay@Fresh.example", "--owner-name", "Fay Fresh")
			if err != nil {
				t.Fatal(err)
			}
			link := regexp.MustCompile(`(?m)^  (https://app\.example/accept-invite\?token=\S+)$`).FindStringSubmatch(out)
			if link == nil || !strings.Contains(out, "Created the workspace Fresh Studio (slug fresh-studio") ||
				!strings.Contains(out, "Fay Fresh <fay@fresh.example>") || !strings.Contains(out, "curl -s https://api.example/graphql") {
				t.Fatalf("printed:\n%s", out)
			}
			u, _ := url.Parse(link[1])
			if !strings.Contains(out, `token: \"`+u.Query().Get("token")+`\"`) {
				t.Errorf("the curl line does not carry the token:\n%s", out)
			}

			_, err = commandWith(t, cfg, "workspace", "create", "--name", "Again", "--slug", "fresh-studio", "--owner-email", "a@b.example")
			if err == nil || !strings.Contains(err.Error(), `a workspace with the slug "fresh-studio" exists already`) {
				t.Errorf("a taken slug: %v", err)
			}
			_, err = commandWith(t, cfg, "workspace", "create", "--name", "Bad", "--slug", "Bad Slug", "--owner-email", "nope")
			if err == nil || !strings.Contains(err.Error(), "--slug must be lowercase") || !strings.Contains(err.Error(), "--owner-email must be an email address") {
				t.Errorf("bad flags: %v", err)
			}

			store, err := sqlstore.Open(t.Context(), dbURL)
			if err != nil {
				t.Fatal(err)
			}
			defer store.Close()
			var slugs []string
			if err := store.DB().Select(&slugs, "SELECT slug FROM workspaces"); err != nil || len(slugs) != 1 || slugs[0] != "fresh-studio" {
				t.Errorf("workspaces %v (%v): want the one made, and no demo", slugs, err)
			}
			session, err := auth.NewAccess(store, auth.Options{}).AcceptInvite(t.Context(), u.Query().Get("token"), "fay's long password", "192.0.2.1")
			if err != nil || session.Audience != portal.AudienceStaff {
				t.Fatalf("accepting the owner's invitation: %+v, %v", session, err)
			}
			// The owner's account works with the other commands too.
			if _, err := commandWith(t, cfg, "token", "create", "--email", "fay@fresh.example", "--workspace", "fresh-studio"); err != nil {
				t.Errorf("token create for the owner: %v", err)
			}
		})
	}
}

// Servers started at once on a new PostgreSQL database all start: one
// migrates it and loads the demo, printing its tokens; the others wait
// for it and find both done.
func TestServersStartTogether(t *testing.T) {
	dbURL := sqltest.EmptyURL(t, "postgres")
	blobs := t.TempDir()
	const servers = 4
	var started []*server
	for range servers {
		cfg := testConfig(t, dbURL)
		cfg.addr, cfg.blobURL, cfg.demo = "127.0.0.1:0", blobs, true
		started = append(started, startServer(t, cfg))
	}
	welcomes := 0
	for _, s := range started {
		s.waitServing(t)
		if strings.Contains(s.out.String(), "Created the demo workspace") {
			welcomes++
		}
	}
	if welcomes != 1 {
		t.Errorf("%d servers printed the demo's tokens, want 1", welcomes)
	}
	store, err := sqlstore.Open(t.Context(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	var workspaces int
	_ = store.DB().Get(&workspaces, "SELECT COUNT(*) FROM workspaces")
	if applied, err := store.Migrate(t.Context()); workspaces != 1 || len(applied) > 0 || err != nil {
		t.Errorf("%d workspaces, want the demo's; migrating again applied %v (%v)", workspaces, applied, err)
	}
}

// seed --demo run several times at once, on either database, loads the
// demo once and leaves no file bytes but the demo's.
func TestSeedTogether(t *testing.T) {
	for _, dialect := range sqltest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			cfg := testConfig(t, sqltest.EmptyURL(t, dialect))
			const seeds = 4
			ids := make([]string, seeds)
			errs := make([]error, seeds)
			var wg sync.WaitGroup
			for i := range seeds {
				wg.Go(func() {
					var out string
					out, errs[i] = commandWith(t, cfg, "seed", "--demo")
					var printed demoTokens
					if errs[i] == nil {
						errs[i] = json.Unmarshal([]byte(out), &printed)
					}
					ids[i] = printed.WorkspaceID
				})
			}
			wg.Wait()
			for i := range seeds {
				if errs[i] != nil || ids[i] == "" || ids[i] != ids[0] {
					t.Errorf("seed %d: workspace %q, %v", i, ids[i], errs[i])
				}
			}
			files := 0
			_ = filepath.WalkDir(cfg.blobURL, func(_ string, d os.DirEntry, err error) error {
				if err == nil && !d.IsDir() && !strings.HasSuffix(d.Name(), ".attrs") {
					files++
				}
				return nil
			})
			if want := len(demo.New(time.Now()).Blobs); files != want {
				t.Errorf("%d files stored, want the demo's %d", files, want)
			}
		})
	}
}

// Without the demo, a server on a new database leaves it without
// workspaces and says how to make one.
func TestServeWithoutDemo(t *testing.T) {
	dbURL := sqltest.EmptyURL(t, "postgres")
	cfg := testConfig(t, dbURL)
	cfg.addr = "127.0.0.1:0"
	s := startServer(t, cfg)
	s.waitServing(t)
	out, logs := s.out, s.logs
	if out.String() != "" || !strings.Contains(logs.String(), "the database has no workspace yet: create one with portalgraph workspace create") {
		t.Errorf("printed %q, logged:\n%s", out, logs)
	}
	store, err := sqlstore.Open(t.Context(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	if ws, err := store.WorkspaceBySlug(t.Context(), demo.Slug); err != nil || ws != nil {
		t.Errorf("the demo workspace %+v (%v) in a database that did not ask for it", ws, err)
	}
}

// server is serve running in the test's process.
type server struct {
	out, logs *testlog.Buffer // what it printed and logged
	done      chan error
}

// startServer runs serve until the test ends.
func startServer(t *testing.T, cfg config) *server {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	s := &server{out: &testlog.Buffer{}, logs: &testlog.Buffer{}, done: make(chan error, 1)}
	go func() { s.done <- run(ctx, []string{"serve"}, cfg, s.out, slog.New(slog.NewTextHandler(s.logs, nil))) }()
	t.Cleanup(func() {
		cancel()
		if err := <-s.done; err != nil {
			t.Errorf("serve returned %v after shutdown", err)
		}
	})
	return s
}

// waitServing returns once the server serves, and fails the test if it
// stops or takes too long.
func (s *server) waitServing(t *testing.T) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); !strings.Contains(s.logs.String(), "serving GraphQL"); time.Sleep(20 * time.Millisecond) {
		select {
		case err := <-s.done:
			s.done <- err
			t.Fatalf("serve stopped: %v\n%s", err, s.logs)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("not serving after 30 s:\n%s", s.logs)
		}
	}
}

// workspace plan and workspace addon change a workspace's plan and
// add-ons, and print what it then has; a plan or add-on that does not
// exist is an error, and so is removing one the workspace lacks.
func TestWorkspacePlanCommands(t *testing.T) {
	for _, dialect := range sqltest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			cfg := testConfig(t, sqltest.EmptyURL(t, dialect))
			if _, err := commandWith(t, cfg, "workspace", "create", "--name", "Fresh Studio", "--owner-email", "fay@fresh.example"); err != nil {
				t.Fatal(err)
			}
			out, err := commandWith(t, cfg, "workspace", "plan", "fresh-studio")
			if err != nil || !strings.Contains(out, "Workspace fresh-studio is on the business plan.") ||
				!strings.Contains(out, "partner_api") || !strings.Contains(out, "Plans: free, pro, business") {
				t.Fatalf("a new workspace's plan (%v):\n%s", err, out)
			}
			out, err = commandWith(t, cfg, "workspace", "create", "--name", "Small Shop", "--owner-email", "sam@small.example", "--plan", "free")
			if err != nil {
				t.Fatal(err)
			}
			if out, err := commandWith(t, cfg, "workspace", "plan", "small-shop"); err != nil || !strings.Contains(out, "is on the free plan.") {
				t.Errorf("a workspace made on free (%v):\n%s", err, out)
			}
			out, err = commandWith(t, cfg, "workspace", "plan", "fresh-studio", "pro")
			if err != nil || !strings.Contains(out, "on the pro plan.") || strings.Contains(out, "partner_api") ||
				!strings.Contains(out, "partner_keys       0 of 2") {
				t.Fatalf("on pro (%v):\n%s", err, out)
			}
			out, err = commandWith(t, cfg, "workspace", "addon", "add", "fresh-studio", "partner-api")
			if err != nil || !strings.Contains(out, "on the pro plan with the add-ons partner-api.") || !strings.Contains(out, "partner_api") ||
				!strings.Contains(out, "partner_keys       0 of 7") {
				t.Fatalf("with partner-api (%v):\n%s", err, out)
			}
			for args, want := range map[string]string{
				"workspace plan fresh-studio gold":            `there is no plan "gold"`,
				"workspace plan nowhere pro":                  `there is no workspace with slug "nowhere"`,
				"workspace addon add fresh-studio gold":       `there is no add-on "gold"`,
				"workspace addon remove fresh-studio reports": `the workspace has no add-on "reports"`,
				"workspace addon fresh-studio reports":        "usage: portalgraph workspace addon add|remove WORKSPACE ADDON",
				"workspace plan":                              "usage: portalgraph workspace plan WORKSPACE [PLAN]",
			} {
				if _, err := commandWith(t, cfg, strings.Fields(args)...); err == nil || !strings.Contains(err.Error(), want) {
					t.Errorf("%s: %v, want %q", args, err, want)
				}
			}
			out, err = commandWith(t, cfg, "workspace", "addon", "remove", "fresh-studio", "partner-api")
			if err != nil || !strings.Contains(out, "on the pro plan.") || strings.Contains(out, "partner_api") {
				t.Fatalf("without partner-api (%v):\n%s", err, out)
			}
		})
	}
}

// portalgraph schema prints the schema of the modules PORTALGRAPH_MODULES
// installs; an unknown module is an error, not a module switched off.
func TestSchemaCommandOfModules(t *testing.T) {
	cfg := config{}
	t.Setenv("PORTALGRAPH_MODULES", "client_portals, files")
	out, err := commandWith(t, cfg, "schema", "--audience", "portal")
	if err != nil || !strings.Contains(out, "type File ") || strings.Contains(out, "Approval") || strings.Contains(out, "type Report ") {
		t.Errorf("portal schema with client portals and files (%v):\n%s", err, out)
	}
	t.Setenv("PORTALGRAPH_MODULES", "approvals,billing")
	if _, err := commandWith(t, cfg, "schema"); err == nil || !strings.Contains(err.Error(), `PORTALGRAPH_MODULES: unknown feature key "billing"`) {
		t.Errorf("an unknown module: %v", err)
	}
	if _, err := loadConfig(); err == nil || !strings.Contains(err.Error(), "PORTALGRAPH_MODULES") {
		t.Errorf("the server's configuration with an unknown module: %v", err)
	}
}
