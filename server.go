// Command portalgraph serves the GraphQL API of agency and CRM client
// portals.
//
//	portalgraph [serve]                      serve GraphQL at /graphql
//	portalgraph migrate                      apply database migrations
//	portalgraph seed --demo                  create the demo workspace, print tokens as JSON
//	portalgraph schema --audience AUDIENCE   print an audience's schema (staff, portal, anonymous)
//	portalgraph token create --email EMAIL   print a new token for a staff member or contact
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
	"os"
	"os/signal"
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
}

func loadConfig() (config, error) {
	cfg := config{
		addr:        envOr("PORTALGRAPH_ADDR", ":8080"),
		databaseURL: envOr("PORTALGRAPH_DATABASE_URL", "sqlite:"+sqlstore.DefaultSQLitePath),
		publicURL:   envOr("PORTALGRAPH_PUBLIC_URL", "http://localhost:8080"),
		apiURL:      os.Getenv("PORTALGRAPH_API_URL"),
		smtpURL:     os.Getenv("PORTALGRAPH_SMTP_URL"),
		blobURL:     envOr("PORTALGRAPH_BLOB_URL", "data/blobs"),
	}
	ttl, err := time.ParseDuration(envOr("PORTALGRAPH_SESSION_TTL", "24h"))
	if err != nil || ttl <= 0 {
		return cfg, fmt.Errorf("PORTALGRAPH_SESSION_TTL: %q is not a positive duration such as 12h", os.Getenv("PORTALGRAPH_SESSION_TTL"))
	}
	cfg.sessionTTL = ttl
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
	if cfg.limits, err = graph.ParseLimits(os.Getenv("PORTALGRAPH_LIMITS")); err != nil {
		return cfg, fmt.Errorf("PORTALGRAPH_LIMITS: %w", err)
	}
	return cfg, nil
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
	if err == nil {
		err = run(ctx, os.Args[1:], cfg, os.Stdout, logger)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "portalgraph:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, cfg config, stdout io.Writer, logger *slog.Logger) error {
	cmd := "serve"
	if len(args) > 0 {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		return serve(ctx, cfg, stdout, logger)
	case "migrate":
		store, err := openStore(ctx, cfg, logger)
		if err != nil {
			return err
		}
		return store.Close()
	case "seed":
		return seedCommand(ctx, cfg, args, stdout, logger)
	case "schema":
		return schemaCommand(args, stdout)
	case "token":
		return tokenCommand(ctx, cfg, args, stdout, logger)
	case "help", "-h", "--help":
		fmt.Fprintln(stdout, "usage: portalgraph [serve | migrate | seed --demo | schema --audience staff|portal|anonymous | token create --email EMAIL]")
		return nil
	}
	return fmt.Errorf("unknown command %q (try: portalgraph help)", cmd)
}

// openStore connects and applies pending migrations.
func openStore(ctx context.Context, cfg config, logger *slog.Logger, opts ...sqlstore.Option) (*sqlstore.Store, error) {
	store, err := sqlstore.Open(ctx, cfg.databaseURL, opts...)
	if err != nil {
		return nil, err
	}
	applied, err := store.Migrate(ctx)
	if err != nil {
		_ = store.Close()
		return nil, err
	}
	for _, m := range applied {
		logger.Info("applied migration", "migration", m, "database", store.Dialect())
	}
	return store, nil
}

func serve(ctx context.Context, cfg config, stdout io.Writer, logger *slog.Logger) error {
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
	store, err := openStore(ctx, cfg, logger, sqlstore.WithStatementObserver(tel))
	if err != nil {
		return err
	}
	defer store.Close()
	tel.WatchPool(store.DB().DB, store.Dialect())
	tel.WatchQueues(store, logger)
	authn := auth.New(store)
	blobs, err := blobstore.Open(ctx, cfg.blobURL)
	if err != nil {
		return err
	}
	defer blobs.Close()

	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return err
	}
	empty, err := store.Empty(ctx)
	if err != nil {
		return err
	}
	if empty {
		tokens, err := seedDemo(ctx, store, blobs, authn)
		if err != nil {
			return err
		}
		printWelcome(stdout, ln.Addr().String(), tokens)
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
	wg.Go(func() { blobs.RunRemovals(workers, store, time.Minute, logger) })
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
		ObserveBatch: tel.ObserveBatch,
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

// demoTokens is what seed --demo prints.
type demoTokens struct {
	WorkspaceID string `json:"workspaceId"`
	Tokens      struct {
		Staff  string `json:"staff"`
		Portal string `json:"portal"`
	} `json:"tokens"`
}

// seedDemo creates the demo workspace unless it exists, with the bytes of
// its files, and issues fresh tokens for its owner and its portal contact.
func seedDemo(ctx context.Context, store *sqlstore.Store, blobs *blobstore.Store, authn *auth.Authenticator) (demoTokens, error) {
	var out demoTokens
	ws, err := store.WorkspaceBySlug(ctx, demo.Slug)
	if err != nil {
		return out, err
	}
	if ws == nil {
		data := demo.New(time.Now().AddDate(0, 0, -30))
		// The bytes first: a file recorded without them could not be
		// downloaded, while bytes without a record are merely unused.
		for key, content := range data.Blobs {
			if _, err := blobs.Put(ctx, key, bytes.NewReader(content), int64(len(content))); err != nil {
				return out, fmt.Errorf("store demo files: %w", err)
			}
		}
		if err := store.Load(ctx, data); err != nil {
			return out, fmt.Errorf("load demo workspace: %w", err)
		}
		ws = data.Workspaces[0]
	}
	out.WorkspaceID = ws.ID
	for email, dst := range map[string]*string{demo.OwnerEmail: &out.Tokens.Staff, demo.PortalEmail: &out.Tokens.Portal} {
		token, err := issueToken(ctx, store, authn, email, demo.Slug, 0)
		if err != nil {
			return out, err
		}
		*dst = token
	}
	return out, nil
}

func printWelcome(w io.Writer, addr string, t demoTokens) {
	host := addr
	if h, port, err := net.SplitHostPort(addr); err == nil && (h == "::" || h == "0.0.0.0" || h == "") {
		host = "localhost:" + port
	}
	fmt.Fprintf(w, `Created the demo workspace %s.
  staff token  (Maya Chen, owner):           %s
  portal token (Dana Fields, Acme Outdoor):  %s
Both also sign in with logIn: %s or %s, password %q.
Try:
  curl -s http://%s/graphql -H 'Content-Type: application/json' \
    -H 'Authorization: Bearer %s' \
    -d '{"query":"{ viewer { client { name projects { edges { node { name deliverables { edges { node { title status } } } } } } } } }"}'
`, t.WorkspaceID, t.Tokens.Staff, t.Tokens.Portal, demo.OwnerEmail, demo.PortalEmail, demo.Password, host, t.Tokens.Portal)
}

func seedCommand(ctx context.Context, cfg config, args []string, stdout io.Writer, logger *slog.Logger) error {
	fs := flag.NewFlagSet("seed", flag.ContinueOnError)
	withDemo := fs.Bool("demo", false, "create the demo workspace if it does not exist and print fresh tokens")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if !*withDemo {
		return errors.New("seed: nothing to do; use seed --demo")
	}
	store, err := openStore(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer store.Close()
	blobs, err := blobstore.Open(ctx, cfg.blobURL)
	if err != nil {
		return err
	}
	defer blobs.Close()
	tokens, err := seedDemo(ctx, store, blobs, auth.New(store))
	if err != nil {
		return err
	}
	return json.NewEncoder(stdout).Encode(tokens)
}

func schemaCommand(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("schema", flag.ContinueOnError)
	aud := fs.String("audience", "staff", "staff, portal or anonymous")
	if err := fs.Parse(args); err != nil {
		return err
	}
	a := portal.Audience(strings.ToUpper(*aud))
	if a != portal.AudienceStaff && a != portal.AudiencePortal && a != portal.AudienceAnonymous {
		return fmt.Errorf("schema: unknown audience %q: use staff, portal or anonymous", *aud)
	}
	sdl, err := graph.SDL(a)
	if err != nil {
		return err
	}
	_, err = io.WriteString(stdout, sdl)
	return err
}

func tokenCommand(ctx context.Context, cfg config, args []string, stdout io.Writer, logger *slog.Logger) error {
	if len(args) == 0 || args[0] != "create" {
		return errors.New("usage: portalgraph token create --email EMAIL [--workspace SLUG] [--ttl DURATION]")
	}
	fs := flag.NewFlagSet("token create", flag.ContinueOnError)
	email := fs.String("email", "", "email of the staff member or portal contact")
	workspace := fs.String("workspace", "", "workspace slug, when the email exists in several")
	ttl := fs.Duration("ttl", 0, "lifetime of the token, e.g. 720h; 0 never expires")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if *email == "" {
		return errors.New("token create: --email is required")
	}
	store, err := openStore(ctx, cfg, logger)
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
