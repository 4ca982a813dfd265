// Command portalgraph serves the GraphQL API of agency and CRM client
// portals.
//
//	portalgraph [serve]                      serve GraphQL at /graphql
//	portalgraph migrate                      apply database migrations
//	portalgraph seed --demo                  create the demo workspace, print tokens as JSON
//	portalgraph workspace create --name NAME --owner-email EMAIL
//	                                         create a workspace and its owner, print the owner's invitation link
//	portalgraph workspace plan WORKSPACE [PLAN]
//	                                         put a workspace on a plan, or print its plan
//	portalgraph workspace addon add|remove WORKSPACE ADDON
//	                                         give a workspace an add-on, or take one away
//	portalgraph token create --email EMAIL   print a new token for a staff member or contact
//	portalgraph schema --audience AUDIENCE   print an audience's schema (staff, portal, anonymous)
//	portalgraph version                      print the version
//
// Every command takes --help.
package main

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"portalgraph/graph"
	"portalgraph/internal/audit"
	"portalgraph/internal/auth"
	"portalgraph/internal/blobstore"
	"portalgraph/internal/clientaddr"
	"portalgraph/internal/demo"
	"portalgraph/internal/exports"
	"portalgraph/internal/httpserver"
	"portalgraph/internal/mail"
	"portalgraph/internal/portal"
	"portalgraph/internal/ratelimit"
	"portalgraph/internal/signedurl"
	"portalgraph/internal/sqlstore"
	"portalgraph/internal/telemetry"
	"portalgraph/internal/webhook"
)

// config is read from the environment.
type config struct {
	addr        string
	databaseURL string
	publicURL   string
	// apiURL is where clients reach this server, for download links; the
	// portal frontend (publicURL) may live elsewhere.
	apiURL     string
	smtpURL    string
	sessionTTL time.Duration
	// blobURL is where file bytes are kept: a directory or a bucket URL.
	blobURL        string
	downloadKey    []byte // nil: a random key per process
	maxUploadBytes int64
	maxUploadFiles int
	// exportWorkers is how many CSV exports are built at once; 0 builds
	// none on this server (another one may).
	exportWorkers int
	// trustedProxies are the peers whose X-Forwarded-For is believed.
	trustedProxies []netip.Prefix
	// limits override the API's default limits per audience.
	limits map[portal.Audience]graph.Limits
	// modules are the modules installed (PORTALGRAPH_MODULES); nil: all.
	modules *portal.FeatureSet
	// demo loads the demo workspace into a database without workspaces at
	// start: by default only into the embedded SQLite database made when
	// no database is configured.
	demo bool
	// webhooksAllowPrivate lets webhook endpoints be http URLs on
	// loopback and private addresses (a receiver on the same network).
	webhooksAllowPrivate bool
	// invalid is what is wrong with the environment, if anything: the
	// commands that need the configuration report it; help, version and
	// schema do not need it.
	invalid error
}

func loadConfig() (config, error) {
	cfg := config{
		addr:        envOr("PORTALGRAPH_ADDR", ":8080"),
		databaseURL: envOr("PORTALGRAPH_DATABASE_URL", "sqlite:"+sqlstore.DefaultSQLitePath),
		publicURL:   os.Getenv("PORTALGRAPH_PUBLIC_URL"),
		apiURL:      os.Getenv("PORTALGRAPH_API_URL"),
		smtpURL:     os.Getenv("PORTALGRAPH_SMTP_URL"),
		blobURL:     envOr("PORTALGRAPH_BLOB_URL", "data/blobs"),
	}
	if err := sqlstore.CheckURL(cfg.databaseURL); err != nil {
		return cfg, fmt.Errorf("PORTALGRAPH_DATABASE_URL: %w", err)
	}
	cfg.demo = os.Getenv("PORTALGRAPH_DATABASE_URL") == ""
	if v := os.Getenv("PORTALGRAPH_DEMO"); v != "" {
		demo, err := strconv.ParseBool(v)
		if err != nil {
			return cfg, fmt.Errorf("PORTALGRAPH_DEMO: %q is neither 1 (load the demo workspace into an empty database) nor 0", v)
		}
		cfg.demo = demo
	}
	ttl, err := time.ParseDuration(envOr("PORTALGRAPH_SESSION_TTL", "24h"))
	if err != nil || ttl <= 0 {
		return cfg, fmt.Errorf("PORTALGRAPH_SESSION_TTL: %q is not a positive duration such as 12h", os.Getenv("PORTALGRAPH_SESSION_TTL"))
	}
	cfg.sessionTTL = ttl
	// Links the server hands out point where it listens unless told
	// otherwise.
	if cfg.publicURL == "" {
		if cfg.publicURL, err = listenURL(cfg.addr); err != nil {
			return cfg, fmt.Errorf("PORTALGRAPH_ADDR: %w", err)
		}
	}
	if cfg.apiURL == "" {
		cfg.apiURL = cfg.publicURL
	}
	if key := os.Getenv("PORTALGRAPH_DOWNLOAD_KEY"); key != "" {
		if len(key) < signedurl.MinKeyBytes {
			return cfg, fmt.Errorf("PORTALGRAPH_DOWNLOAD_KEY: must be at least %d characters", signedurl.MinKeyBytes)
		}
		cfg.downloadKey = []byte(key)
	}
	if cfg.maxUploadBytes, err = positiveInt("PORTALGRAPH_MAX_UPLOAD_BYTES", 50<<20); err != nil {
		return cfg, err
	}
	files, err := positiveInt("PORTALGRAPH_MAX_UPLOAD_FILES", 10)
	if err != nil {
		return cfg, err
	}
	cfg.maxUploadFiles = int(files)
	workers, err := strconv.Atoi(envOr("PORTALGRAPH_EXPORT_WORKERS", "2"))
	if err != nil || workers < 0 {
		return cfg, fmt.Errorf("PORTALGRAPH_EXPORT_WORKERS: %q is not a number of workers (0 builds no exports on this server)", os.Getenv("PORTALGRAPH_EXPORT_WORKERS"))
	}
	cfg.exportWorkers = workers
	if cfg.trustedProxies, err = clientaddr.ParseTrusted(os.Getenv("PORTALGRAPH_TRUSTED_PROXIES")); err != nil {
		return cfg, fmt.Errorf("PORTALGRAPH_TRUSTED_PROXIES: %w", err)
	}
	modules, err := installedModules()
	if err != nil {
		return cfg, err
	}
	cfg.modules = &modules
	if cfg.limits, err = graph.ParseLimits(os.Getenv("PORTALGRAPH_LIMITS")); err != nil {
		return cfg, fmt.Errorf("PORTALGRAPH_LIMITS: %w", err)
	}
	if v := os.Getenv("PORTALGRAPH_WEBHOOKS_ALLOW_PRIVATE"); v != "" {
		if cfg.webhooksAllowPrivate, err = strconv.ParseBool(v); err != nil {
			return cfg, fmt.Errorf("PORTALGRAPH_WEBHOOKS_ALLOW_PRIVATE: %q is neither 1 (allow endpoints on loopback and private addresses) nor 0", v)
		}
	}
	return cfg, nil
}

// installedModules reads PORTALGRAPH_MODULES: the feature keys of the
// modules installed, separated by commas ("approvals,reports,files");
// unset, every module.
func installedModules() (portal.FeatureSet, error) {
	v, ok := os.LookupEnv("PORTALGRAPH_MODULES")
	if !ok || strings.TrimSpace(v) == "" {
		return portal.AllFeatures(), nil
	}
	m, err := portal.ParseFeatures(v)
	if err != nil {
		return 0, fmt.Errorf("PORTALGRAPH_MODULES: %w", err)
	}
	return m, nil
}

func positiveInt(key string, fallback int64) (int64, error) {
	v := os.Getenv(key)
	if v == "" {
		return fallback, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("%s: %q is not a positive whole number", key, v)
	}
	return n, nil
}

func envOr(key, fallback string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return fallback
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	logger, err := newLogger(os.Stderr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "portalgraph:", err)
		os.Exit(1)
	}
	cfg, err := loadConfig()
	cfg.invalid = err // help, the version and the schema need no configuration
	if err := run(ctx, os.Args[1:], cfg, os.Stdout, logger); err != nil {
		fmt.Fprintln(os.Stderr, "portalgraph:", err)
		os.Exit(1)
	}
}

const usage = `usage: portalgraph [COMMAND] [FLAGS]

Commands:
  serve              serve GraphQL at /graphql (the command when none is given)
  migrate            apply database migrations and exit
  seed --demo        create the demo workspace if absent; print fresh tokens as JSON
  workspace create   create a workspace and its owner; print the owner's invitation link
  workspace plan     put a workspace on a plan, or print its plan and usage
  workspace addon    give a workspace an add-on, or take one away
  token create       print a new bearer token for a staff member or contact
  schema             print an audience's schema
  version            print the version

"portalgraph COMMAND --help" describes a command. The configuration is read
from PORTALGRAPH_* environment variables (see the README).
`

func run(ctx context.Context, args []string, cfg config, stdout io.Writer, logger *slog.Logger) error {
	cmd := "serve"
	if len(args) > 0 {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		return serve(ctx, cfg, args, stdout, logger)
	case "migrate":
		return migrateCommand(ctx, cfg, args, stdout, logger)
	case "seed":
		return seedCommand(ctx, cfg, args, stdout, logger)
	case "schema":
		return schemaCommand(args, stdout)
	case "token":
		return tokenCommand(ctx, cfg, args, stdout, logger)
	case "workspace":
		return workspaceCommand(ctx, cfg, args, stdout, logger)
	case "version", "-version", "--version":
		return versionCommand(args, stdout)
	case "help", "-h", "-help", "--help":
		if len(args) > 0 && args[0] != "help" && !strings.HasPrefix(args[0], "-") {
			return run(ctx, []string{args[0], "--help"}, cfg, stdout, logger) // help COMMAND
		}
		_, err := io.WriteString(stdout, usage)
		return err
	}
	return fmt.Errorf("unknown command %q (try: portalgraph help)", cmd)
}

// commandLine is the flags of one command and its --help.
type commandLine struct {
	*flag.FlagSet
	name, synopsis, about string
}

func newCommandLine(name, synopsis, about string) *commandLine {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard) // parse reports errors and prints help itself
	fs.Usage = func() {}
	return &commandLine{FlagSet: fs, name: name, synopsis: synopsis, about: about}
}

// parse reads a command's flags. Asked for help (-h, --help), it prints
// the command's usage to stdout and reports it, and the command does
// nothing else; a command line it cannot read is an error naming the
// command.
func (c *commandLine) parse(args []string, stdout io.Writer) (help bool, err error) {
	err = c.Parse(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		c.printUsage(stdout)
		return true, nil
	case err != nil:
		return false, fmt.Errorf("%s: %w (see portalgraph %s --help)", c.name, err, c.name)
	case c.NArg() > 0:
		return false, fmt.Errorf("%s: unexpected argument %q (see portalgraph %s --help)", c.name, c.Arg(0), c.name)
	}
	return false, nil
}

func (c *commandLine) printUsage(w io.Writer) {
	fmt.Fprintf(w, "usage: portalgraph %s\n\n%s\n", strings.TrimSpace(c.name+" "+c.synopsis), c.about)
	hasFlags := false
	c.VisitAll(func(*flag.Flag) { hasFlags = true })
	if hasFlags {
		fmt.Fprintln(w, "\nFlags:")
		c.SetOutput(w)
		c.PrintDefaults()
		c.SetOutput(io.Discard)
	}
}

// subcommand reads the subcommand of a command that has one, such as
// "token create", which cl describes. Without one the usage is the error;
// asked for help, it prints the usage.
func subcommand(cl *commandLine, args []string, stdout io.Writer) (rest []string, help bool, err error) {
	cmd, sub, _ := strings.Cut(cl.name, " ")
	switch {
	case len(args) == 0:
		return nil, false, fmt.Errorf("usage: portalgraph %s %s", cl.name, cl.synopsis)
	case args[0] == sub:
		return args[1:], false, nil
	case args[0] == "help" || args[0] == "-h" || args[0] == "-help" || args[0] == "--help":
		cl.printUsage(stdout)
		return nil, true, nil
	}
	return nil, false, fmt.Errorf("%s: unknown subcommand %q (see portalgraph %s --help)", cmd, args[0], cmd)
}

// openStore connects and, under the start-up lock, applies pending
// migrations and then runs seed, if not nil: of several processes starting
// at once, one migrates and seeds, the others wait and find it done.
func openStore(ctx context.Context, cfg config, logger *slog.Logger, seed func(context.Context, *sqlstore.Store) error, opts ...sqlstore.Option) (*sqlstore.Store, error) {
	if cfg.invalid != nil {
		return nil, cfg.invalid
	}
	store, err := sqlstore.Open(ctx, cfg.databaseURL, opts...)
	if err != nil {
		return nil, err
	}
	applied, err := store.MigrateAndSeed(ctx, func(ctx context.Context) error {
		if seed == nil {
			return nil
		}
		return seed(ctx, store)
	})
	for _, m := range applied {
		logger.Info("applied migration", "migration", m, "database", store.Dialect())
	}
	if err != nil {
		_ = store.Close()
		return nil, err
	}
	return store, nil
}

func migrateCommand(ctx context.Context, cfg config, args []string, stdout io.Writer, logger *slog.Logger) error {
	cl := newCommandLine("migrate", "", "Apply the database migrations not yet applied, and exit. Servers also migrate when they\nstart; any number of both may run at once.")
	if help, err := cl.parse(args, stdout); help || err != nil {
		return err
	}
	store, err := openStore(ctx, cfg, logger, nil)
	if err != nil {
		return err
	}
	return store.Close()
}

func versionCommand(args []string, stdout io.Writer) error {
	cl := newCommandLine("version", "", "Print the version of this build, the Go it was built with, and its commit when known.")
	if help, err := cl.parse(args, stdout); help || err != nil {
		return err
	}
	_, err := fmt.Fprintln(stdout, version())
	return err
}

// version is the module's version and the Go release of this build, and
// the commit it was built from when the build recorded it.
func version() string {
	v, goVersion, commit := "(devel)", runtime.Version(), ""
	if info, ok := debug.ReadBuildInfo(); ok {
		if info.Main.Version != "" {
			v = info.Main.Version
		}
		goVersion = info.GoVersion
		settings := map[string]string{}
		for _, s := range info.Settings {
			settings[s.Key] = s.Value
		}
		if rev := settings["vcs.revision"]; rev != "" {
			commit = " " + rev[:min(len(rev), 12)]
			if at := settings["vcs.time"]; at != "" {
				commit += " " + at
			}
			if settings["vcs.modified"] == "true" {
				commit += " (modified)"
			}
		}
	}
	return "portalgraph " + v + " " + goVersion + commit
}

func serve(ctx context.Context, cfg config, args []string, stdout io.Writer, logger *slog.Logger) error {
	cl := newCommandLine("serve", "", `Serve GraphQL at /graphql (probes at /livez and /readyz, metrics at /metrics) on PORTALGRAPH_ADDR. At start, apply pending
migrations; with the demo on (PORTALGRAPH_DEMO; by default only with the embedded
database), load the demo workspace into a database without workspaces and print
tokens for it. Any number of servers may start at once on one database.`)
	if help, err := cl.parse(args, stdout); help || err != nil {
		return err
	}
	if cfg.invalid != nil {
		return cfg.invalid
	}
	ops, err := loadOpsConfig()
	if err != nil {
		return err
	}
	tracing, err := telemetry.NewTracing(ctx)
	if err != nil {
		return err
	}
	defer func() {
		// Spans not sent yet go before the process does.
		flush, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := tracing.Shutdown(flush); err != nil {
			logger.Warn("sending the last spans failed", "error", err)
		}
	}()
	// Metrics and spans of every statement, request and batch.
	tel := telemetry.New(tracing.Provider)
	// The demo's file bytes are stored as it is seeded.
	blobs, err := blobstore.Open(ctx, cfg.blobURL)
	if err != nil {
		return err
	}
	defer blobs.Close()

	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return err
	}
	defer ln.Close()
	var welcome *demoTokens
	store, err := openStore(ctx, cfg, logger, func(ctx context.Context, store *sqlstore.Store) (err error) {
		welcome, err = seedAtStart(ctx, cfg, store, blobs, logger)
		return err
	}, sqlstore.WithStatementObserver(tel))
	if err != nil {
		return err
	}
	defer store.Close()
	tel.WatchPool(store.DB().DB, store.Dialect())
	tel.WatchQueues(store, logger)
	authn := auth.New(store)
	if welcome != nil {
		printWelcome(stdout, ln.Addr().String(), *welcome)
	}

	var sender mail.Sender = mail.Log{Logger: logger}
	if cfg.smtpURL != "" {
		if sender, err = mail.NewSMTP(cfg.smtpURL); err != nil {
			return err
		}
	}
	recorder := audit.New(store, logger)
	workers, stopWorkers := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	wg.Go(func() { recorder.Run(workers, 2*time.Second) })
	wg.Go(func() { mail.NewWorker(store, sender, logger).Run(workers, 5*time.Second) })
	wg.Go(func() {
		webhook.NewWorker(store, webhook.Client(10*time.Second, cfg.webhooksAllowPrivate), nil, logger).Run(workers, 5*time.Second)
	})
	wg.Go(func() { blobs.RunRemovals(workers, store, time.Minute, logger) })
	wg.Go(func() { purgeDeleted(workers, store, time.Hour, logger) })
	defer func() {
		stopWorkers()
		wg.Wait() // the recorder writes what it gathered; exports in hand finish or are released
	}()

	if cfg.downloadKey == nil {
		logger.Warn("PORTALGRAPH_DOWNLOAD_KEY is not set: download links last until this process stops and work only with it")
	}
	downloads, err := signedurl.New(cfg.downloadKey, 5*time.Minute, nil)
	if err != nil {
		return err
	}
	// Budgets hold across processes: on PostgreSQL, which several servers
	// share, they are kept there; the embedded SQLite serves one process,
	// which keeps them in memory.
	var budgets ratelimit.Limiter
	if store.Dialect() == "postgres" {
		b := store.Budgets(nil)
		budgets = b
		wg.Go(func() { pruneBudgets(workers, b, logger) })
	}
	api, err := graph.NewHandler(graph.Config{
		Store: store, Authenticate: authn.Authenticate, Session: authn.Session, Logger: logger, Audit: recorder,
		Blobs: blobs, Downloads: downloads, PublicURL: cfg.apiURL,
		MaxUploadBytes: cfg.maxUploadBytes, MaxUploadFiles: cfg.maxUploadFiles, TrustedProxies: cfg.trustedProxies,
		Limits: cfg.limits, Budgets: budgets, Unavailable: sqlstore.Unavailable,
		Access:       auth.NewAccess(store, auth.Options{PublicURL: cfg.publicURL, SessionTTL: cfg.sessionTTL}),
		ObserveBatch: tel.ObserveBatch, Modules: cfg.modules,
		// Pages allowed to call the API may open its WebSocket too.
		Live:                 graph.LiveConfig{Origins: ops.corsOrigins},
		WebhooksAllowPrivate: cfg.webhooksAllowPrivate,
	})
	if err != nil {
		return err
	}
	tel.CountBatches(api.BatchStats())
	// The edge: request ids, access log, metrics, spans, CORS,
	// compression and the probes, in front of the API.
	edge, err := httpserver.New(httpserver.Config{
		API: api.Mux(), Ready: store.Ready, Logger: logger, Registry: tel.Registry, Tracer: tracing.Provider,
		CORSOrigins: ops.corsOrigins, TrustedProxies: cfg.trustedProxies,
	})
	if err != nil {
		return err
	}
	if cfg.exportWorkers > 0 {
		// A CSV has the columns its requester's served schema has.
		wg.Go(func() {
			exports.NewPool(store, blobs, api.SchemaHas, logger, exports.Options{Workers: cfg.exportWorkers}).Run(workers)
		})
	}
	srv := &http.Server{
		Handler:           edge,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
		ReadHeaderTimeout: 10 * time.Second,
		// Long enough for a file at the upload limit, and its download,
		// over a slow connection; headers have their own short limit.
		ReadTimeout:    5 * time.Minute,
		WriteTimeout:   10 * time.Minute,
		IdleTimeout:    2 * time.Minute,
		MaxHeaderBytes: 64 << 10,
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	logger.Info("serving GraphQL", "addr", ln.Addr().String(), "path", "/graphql", "database", store.Dialect(),
		"metrics", "/metrics", "tracing", cmp.Or(tracing.Exporting, "off"), "corsOrigins", strings.Join(ops.corsOrigins, ","))
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// purgeDeleted removes for good, at start and then every interval, the
// records deleted more than 30 days ago; the bytes of their files join the
// queue the blob removals work through.
func purgeDeleted(ctx context.Context, store *sqlstore.Store, every time.Duration, logger *slog.Logger) {
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		n, err := store.PurgeDeleted(ctx, time.Now().Add(-portal.RestoreWindow))
		switch {
		case err != nil && ctx.Err() == nil:
			logger.Warn("purging deleted records failed", "error", err)
		case n > 0:
			logger.Info("purged deleted records", "deletions", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// pruneBudgets forgets, every few minutes, the budgets that are full again.
func pruneBudgets(ctx context.Context, b *sqlstore.Budgets, logger *slog.Logger) {
	tick := time.NewTicker(5 * time.Minute)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			if err := b.Prune(ctx); err != nil && ctx.Err() == nil {
				logger.Warn("pruning budgets failed", "error", err)
			}
		}
	}
}

// tokenTTL is how long the tokens commands print last, unless token
// create is told otherwise: as long as a session by default.
const tokenTTL = 24 * time.Hour

// demoTokens is what seed --demo prints.
type demoTokens struct {
	WorkspaceID string `json:"workspaceId"`
	Tokens      struct {
		Staff  string `json:"staff"`
		Portal string `json:"portal"`
	} `json:"tokens"`
	ExpiresAt time.Time `json:"expiresAt"`
}

// seedAtStart loads the demo workspace, when the demo is on, into a
// database without workspaces, and returns its tokens if it did. With the
// demo off, an empty database is left empty, and its operator pointed at
// workspace create.
func seedAtStart(ctx context.Context, cfg config, store *sqlstore.Store, blobs *blobstore.Store, logger *slog.Logger) (*demoTokens, error) {
	empty, err := store.Empty(ctx)
	if err != nil || !empty {
		return nil, err
	}
	if !cfg.demo {
		logger.Warn("the database has no workspace yet: create one with portalgraph workspace create --name NAME --owner-email EMAIL")
		return nil, nil
	}
	tokens, created, err := seedDemo(ctx, store, blobs, auth.New(store))
	if err != nil || !created {
		return nil, err
	}
	return &tokens, nil
}

// seedDemo creates the demo workspace unless it exists, with the bytes of
// its files, and issues fresh tokens for its owner and its portal contact.
// created says whether this call made the workspace.
func seedDemo(ctx context.Context, store *sqlstore.Store, blobs *blobstore.Store, authn *auth.Authenticator) (out demoTokens, created bool, err error) {
	ws, err := store.WorkspaceBySlug(ctx, demo.Slug)
	if err != nil {
		return out, false, err
	}
	if ws == nil {
		data := demo.New(time.Now().AddDate(0, 0, -30))
		// The bytes first: a file recorded without them could not be
		// downloaded, while bytes without a record are merely unused.
		for key, content := range data.Blobs {
			if _, err := blobs.Put(ctx, key, bytes.NewReader(content), int64(len(content))); err != nil {
				return out, false, fmt.Errorf("store demo files: %w", err)
			}
		}
		if created, err = store.Seed(ctx, data); err != nil {
			return out, false, fmt.Errorf("load demo workspace: %w", err)
		}
		ws = data.Workspaces[0]
		if !created {
			// Another process seeded it meanwhile (SQLite has no
			// start-up lock). Its bytes are under its workspace's ID:
			// built in the same second, the demo is this very one, and
			// the bytes are its; otherwise these are nobody's.
			if ws, err = store.WorkspaceBySlug(ctx, demo.Slug); err != nil || ws == nil {
				return out, false, cmp.Or(err, errors.New("the demo workspace is gone"))
			}
			if ws.ID != data.Workspaces[0].ID {
				for key := range data.Blobs {
					_ = blobs.Delete(ctx, key)
				}
			}
		}
	}
	out.WorkspaceID = ws.ID
	out.ExpiresAt = time.Now().UTC().Add(tokenTTL).Truncate(time.Second)
	for email, dst := range map[string]*string{demo.OwnerEmail: &out.Tokens.Staff, demo.PortalEmail: &out.Tokens.Portal} {
		token, err := issueToken(ctx, store, authn, email, demo.Slug, tokenTTL)
		if err != nil {
			return out, created, err
		}
		*dst = token
	}
	return out, created, nil
}

// listenURL is the URL of a server listening at addr ("host:port"): a
// server listening on every interface is reached at localhost.
func listenURL(addr string) (string, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("%q is not host:port, such as :8080", addr)
	}
	if host == "" || host == "::" || host == "0.0.0.0" {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port), nil
}

func printWelcome(w io.Writer, addr string, t demoTokens) {
	base, _ := listenURL(addr) // addr is the listener's own
	host := strings.TrimPrefix(base, "http://")
	fmt.Fprintf(w, `Created the demo workspace %s.
  staff token  (Maya Chen, owner):           %s
  portal token (Dana Fields, Acme Outdoor):  %s
The tokens last until %s; portalgraph seed --demo prints new ones.
Both also sign in with logIn: %s or %s, password %q.
Try:
  curl -s http://%s/graphql -H 'Content-Type: application/json' \
    -H 'Authorization: Bearer %s' \
    -d '{"query":"{ viewer { client { name projects { edges { node { name deliverables { edges { node { title status } } } } } } } } }"}'
`, t.WorkspaceID, t.Tokens.Staff, t.Tokens.Portal, t.ExpiresAt.Format(time.RFC3339), demo.OwnerEmail, demo.PortalEmail, demo.Password, host, t.Tokens.Portal)
}

func seedCommand(ctx context.Context, cfg config, args []string, stdout io.Writer, logger *slog.Logger) error {
	cl := newCommandLine("seed", "--demo", fmt.Sprintf(`Create the demo workspace ("Brightline Agency", slug %q) unless it exists, and print
fresh tokens for its owner and a portal contact as JSON. The tokens last %s. The demo's
owner and contact sign in with a published password: keep it out of production.`, demo.Slug, tokenTTL))
	withDemo := cl.Bool("demo", false, "create the demo workspace if it does not exist and print fresh tokens")
	if help, err := cl.parse(args, stdout); help || err != nil {
		return err
	}
	if !*withDemo {
		return errors.New("seed: nothing to do; use seed --demo")
	}
	if cfg.invalid != nil {
		return cfg.invalid
	}
	blobs, err := blobstore.Open(ctx, cfg.blobURL)
	if err != nil {
		return err
	}
	defer blobs.Close()
	var tokens demoTokens
	store, err := openStore(ctx, cfg, logger, func(ctx context.Context, store *sqlstore.Store) (err error) {
		tokens, _, err = seedDemo(ctx, store, blobs, auth.New(store))
		return err
	})
	if err != nil {
		return err
	}
	defer store.Close()
	return json.NewEncoder(stdout).Encode(tokens)
}

func schemaCommand(args []string, stdout io.Writer) error {
	cl := newCommandLine("schema", "[--audience staff|portal|partner|anonymous]", "Print the GraphQL schema (SDL) an audience is served, with the modules PORTALGRAPH_MODULES installs: what its frontend generates code from.")
	aud := cl.String("audience", "staff", "staff, portal, partner or anonymous")
	if help, err := cl.parse(args, stdout); help || err != nil {
		return err
	}
	a := portal.Audience(strings.ToUpper(*aud))
	if !a.IsValid() {
		return fmt.Errorf("schema: unknown audience %q: use staff, portal, partner or anonymous", *aud)
	}
	modules, err := installedModules()
	if err != nil {
		return err
	}
	sdl, err := graph.SDL(a, modules)
	if err != nil {
		return err
	}
	_, err = io.WriteString(stdout, sdl)
	return err
}

func tokenCommand(ctx context.Context, cfg config, args []string, stdout io.Writer, logger *slog.Logger) error {
	cl := newCommandLine("token create", "--email EMAIL [--workspace SLUG] [--ttl DURATION]",
		"Print a new bearer token for a staff member or portal contact.")
	email := cl.String("email", "", "email of the staff member or portal contact (required)")
	workspace := cl.String("workspace", "", "slug of the workspace, when the email has accounts in several")
	ttl := cl.Duration("ttl", tokenTTL, "how long the token lasts, e.g. 1h or 720h; 0 never expires")
	args, help, err := subcommand(cl, args, stdout)
	if help || err != nil {
		return err
	}
	if help, err := cl.parse(args, stdout); help || err != nil {
		return err
	}
	if *email == "" {
		return errors.New("token create: --email is required")
	}
	if *ttl < 0 {
		return errors.New("token create: --ttl must not be negative")
	}
	store, err := openStore(ctx, cfg, logger, nil)
	if err != nil {
		return err
	}
	defer store.Close()
	token, err := issueToken(ctx, store, auth.New(store), *email, *workspace, *ttl)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(stdout, token)
	return err
}

// issueToken makes a token for the one account with the email (in the
// workspace, if given).
func issueToken(ctx context.Context, store *sqlstore.Store, authn *auth.Authenticator, email, workspace string, ttl time.Duration) (string, error) {
	if workspace != "" {
		ws, err := store.WorkspaceBySlug(ctx, workspace)
		if err != nil {
			return "", err
		}
		if ws == nil {
			return "", fmt.Errorf("no workspace with slug %q", workspace)
		}
	}
	accounts, err := store.AccountsByEmail(ctx, email)
	if err != nil {
		return "", err
	}
	var match []portal.Account
	for _, a := range accounts {
		if workspace == "" || a.WorkspaceSlug == workspace {
			match = append(match, a)
		}
	}
	switch len(match) {
	case 0:
		if workspace != "" {
			return "", fmt.Errorf("no staff member or contact with email %q in workspace %q", email, workspace)
		}
		return "", fmt.Errorf("no staff member or contact with email %q", email)
	case 1:
		a := match[0]
		return authn.Issue(ctx, a.WorkspaceID, a.UserID, a.ContactID, ttl)
	}
	slugs := make([]string, len(match))
	for i, a := range match {
		slugs[i] = a.WorkspaceSlug
	}
	return "", fmt.Errorf("%q has accounts in workspaces %s: choose one with --workspace", email, strings.Join(slugs, ", "))
}

func workspaceCommand(ctx context.Context, cfg config, args []string, stdout io.Writer, logger *slog.Logger) error {
	if len(args) > 0 {
		switch args[0] {
		case "plan":
			return workspacePlanCommand(ctx, cfg, args[1:], stdout, logger)
		case "addon":
			return workspaceAddOnCommand(ctx, cfg, args[1:], stdout, logger)
		}
	}
	cl := newCommandLine("workspace create", "--name NAME --owner-email EMAIL [--owner-name NAME] [--slug SLUG] [--plan PLAN]",
		`Create a workspace with its owner, and print the link by which the owner chooses a
password and signs in (PORTALGRAPH_PUBLIC_URL/accept-invite?token=…, for the
acceptInvite mutation). The link works once, for 7 days; no mail is sent.`)
	name := cl.String("name", "", "the workspace's name (required)")
	slug := cl.String("slug", "", "its short name, for signing in: lowercase letters, digits and dashes (default: made from --name)")
	ownerEmail := cl.String("owner-email", "", "the owner's email (required)")
	ownerName := cl.String("owner-name", "", "the owner's name (default: the email's part before @)")
	plan := cl.String("plan", "", "the workspace's plan: free, pro or business (default business; see workspace plan)")
	args, help, err := subcommand(cl, args, stdout)
	if help || err != nil {
		return err
	}
	if help, err := cl.parse(args, stdout); help || err != nil {
		return err
	}
	if *name == "" || *ownerEmail == "" {
		return errors.New("workspace create: --name and --owner-email are required")
	}
	store, err := openStore(ctx, cfg, logger, nil)
	if err != nil {
		return err
	}
	defer store.Close()
	access := auth.NewAccess(store, auth.Options{PublicURL: cfg.publicURL, SessionTTL: cfg.sessionTTL})
	created, err := access.CreateWorkspace(ctx, portal.NewWorkspace{Name: *name, Slug: *slug, OwnerEmail: *ownerEmail, OwnerName: *ownerName})
	if err != nil {
		return fmt.Errorf("workspace create: %w", flagErrors(err))
	}
	ws, owner := created.Workspace, created.Owner
	if *plan != "" {
		if err := store.SetPlan(ctx, ws.Slug, *plan); err != nil {
			return fmt.Errorf("workspace create: the workspace %s was created on the business plan, but: %w", ws.Slug, err)
		}
	}
	token := ""
	if u, err := url.Parse(created.InviteLink); err == nil {
		token = u.Query().Get("token")
	}
	_, err = fmt.Fprintf(stdout, `Created the workspace %s (slug %s, %s).
Its owner, %s <%s>, chooses a password and signs in with this link,
which works once, until %s:

  %s

Without a frontend there, the owner accepts it with the API:

  curl -s %s/graphql -H 'Content-Type: application/json' \
    -d '{"query":"mutation { acceptInvite(input: {token: \"%s\", password: \"CHOOSE A PASSWORD\"}) { token expiresAt } }"}'
`, ws.Name, ws.Slug, ws.ID, owner.Name, owner.Email, created.ExpiresAt.Format(time.RFC3339), created.InviteLink,
		strings.TrimRight(cfg.apiURL, "/"), token)
	return err
}

// flagErrors names the flags of the fields an input error names.
func flagErrors(err error) error {
	var pe *portal.Error
	if !errors.As(err, &pe) || len(pe.Fields) == 0 {
		return err
	}
	flags := map[string]string{"name": "--name", "slug": "--slug", "ownerEmail": "--owner-email", "ownerName": "--owner-name"}
	parts := make([]string, len(pe.Fields))
	for i, f := range pe.Fields {
		parts[i] = cmp.Or(flags[f.Field], f.Field) + " " + f.Message
	}
	return errors.New(strings.Join(parts, "; "))
}
