package graph

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/executor"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/ast"

	"portalgraph/graph/audience"
	"portalgraph/graph/generated"
	"portalgraph/internal/clientaddr"
	"portalgraph/internal/graphiql"
	"portalgraph/internal/httpserver/reqinfo"
	"portalgraph/internal/portal"
	"portalgraph/internal/ratelimit"
	"portalgraph/internal/signedurl"
)

// Config wires the API to its store and authentication and sets the limits
// that protect the server. Zero limits take the defaults.
type Config struct {
	Store        Store
	Authenticate func(*http.Request) (portal.Principal, error)
	// Session returns the principal of a session by its token's ID, as a
	// request with that token would have it now: download links are
	// checked against it when used. Without it, links are refused.
	Session func(ctx context.Context, workspaceID, sessionID string) (portal.Principal, error)
	// Access signs people in; without it, signing in is unavailable.
	Access Access
	// Audit records portal views; without it, nothing is recorded.
	Audit  Audit
	Logger *slog.Logger
	// Blobs keeps file bytes; without it, files cannot be uploaded or
	// downloaded.
	Blobs Blobs
	// Downloads signs download links (default: a random key and links
	// that last five minutes).
	Downloads *signedurl.Signer
	// PublicURL is where clients reach the server, for download links.
	PublicURL string
	// TrustedProxies are the peers whose X-Forwarded-For is believed when
	// finding a request's client address, by which sign-in failures are
	// counted (default none: the peer's address).
	TrustedProxies []netip.Prefix

	// BatchWait bounds how long a batch waits for objects expected to ask
	// that have not (default 100ms). A batch is sent the moment every
	// object that will ask has asked, so the wait is never spent on a
	// complete batch; it only keeps an incomplete one from waiting forever.
	BatchWait      time.Duration
	RequestTimeout time.Duration // default 30s
	// Limits per audience; a limit left zero takes DefaultLimits.
	Limits map[portal.Audience]Limits
	// Unavailable tells errors of a database that cannot be reached now
	// (sqlstore.Unavailable), answered UNAVAILABLE and, before anything
	// ran, 503 with Retry-After (default: none is).
	Unavailable func(error) bool
	// Budgets keeps principals' budgets of request cost (default: in this
	// process's memory, which is right only for a single process).
	Budgets        ratelimit.Limiter
	MaxUploadBytes int64 // per file, default 50 MiB
	MaxUploadFiles int   // per request, default 10

	// Live configures subscriptions over WebSocket.
	Live LiveConfig
	// Modules are the modules installed on this server (default: all).
	// What belongs to another is removed from every served schema, and
	// principals have its feature off.
	Modules *portal.FeatureSet

	// WebhooksAllowPrivate lets webhook endpoints be http URLs, and ones
	// whose host resolves to a loopback or private address (tests, local
	// receivers). The worker's client must be made to allow them too.
	WebhooksAllowPrivate bool

	// WithoutPlanner leaves every field to gqlgen's executor, as a
	// comparison for the planner's results and speed.
	WithoutPlanner bool

	// ObserveBatch, if set, is told of every batch of reads a request
	// sends to the store as it starts: which executor sent it ("loader" or
	// "planner"), the field it resolves ("Client.projects") and how many
	// objects it resolves it for. The store call runs in the context it
	// returns, and end (if not nil) is called with the call's error: the
	// hook of the batches' spans and metrics, which graph knows nothing of.
	ObserveBatch func(ctx context.Context, executor, field string, size int) (_ context.Context, end func(error))
}

func (c *Config) defaults() {
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Audit == nil {
		c.Audit = noAudit{}
	}
	if c.Access == nil {
		c.Access = noAccess{}
	}
	if c.BatchWait == 0 {
		c.BatchWait = 100 * time.Millisecond
	}
	if c.RequestTimeout == 0 {
		c.RequestTimeout = 30 * time.Second
	}
	if c.Unavailable == nil {
		c.Unavailable = func(error) bool { return false }
	}
	if c.Budgets == nil {
		c.Budgets = ratelimit.NewMemory(nil)
	}
	if c.MaxUploadBytes == 0 {
		c.MaxUploadBytes = 50 << 20
	}
	if c.MaxUploadFiles == 0 {
		c.MaxUploadFiles = 10
	}
	if c.Blobs == nil {
		c.Blobs = noBlobs{}
	}
	if c.Session == nil {
		c.Session = func(context.Context, string, string) (portal.Principal, error) {
			return portal.Principal{}, portal.Unauthenticated("download links are not available on this server")
		}
	}
	if c.Downloads == nil {
		c.Downloads, _ = signedurl.New(nil, 5*time.Minute, nil)
	}
	c.Live.defaults(c.Store)
	if c.ObserveBatch == nil {
		c.ObserveBatch = func(ctx context.Context, _, _ string, _ int) (context.Context, func(error)) { return ctx, nil }
	}
}

// maxMultipartBytes bounds a multipart request: its files at their limit,
// and the operation.
func (c *Config) maxMultipartBytes(l Limits) int64 {
	return c.MaxUploadBytes*int64(c.MaxUploadFiles) + int64(l.MaxBodyBytes)
}

// audienceFeature is the feature every request of an audience needs.
var audienceFeature = map[portal.Audience]portal.FeatureKey{
	portal.AudiencePortal:  portal.FeatureKeyClientPortals,
	portal.AudiencePartner: portal.FeatureKeyPartnerAPI,
}

// servedAudiences are the audiences with a schema and a server of their own.
var servedAudiences = []portal.Audience{portal.AudienceStaff, portal.AudiencePortal, portal.AudiencePartner, portal.AudienceAnonymous}

// sourceSchema is the full schema the code was generated from. Its source
// is what every audience's schema is derived from, so the served schemas
// can never drift from the generated code.
func sourceSchema() *ast.Schema {
	return generated.NewExecutableSchema(generated.Config{}).Schema()
}

// SDL prints the schema an audience is served by a server with these
// modules installed.
func SDL(a portal.Audience, modules portal.FeatureSet) (string, error) {
	s, err := audience.Derive(sourceSchema().Query.Position.Src, a, audience.Modules(modules))
	if err != nil {
		return "", err
	}
	return audience.SDL(s), nil
}

// Handler serves GraphQL at /graphql: each audience has its own schema and
// its own gqlgen server (own caches, own limits), chosen per request by who
// is asking.
type Handler struct {
	cfg      Config
	stats    BatchStats
	exec     ExecStats
	servers  map[portal.Audience]*handler.Server
	limits   map[portal.Audience]Limits
	schemas  Schemas
	budgets  *budgets
	graphiQL http.Handler

	// Subscriptions: the WebSocket transport, each audience's executor
	// of them (an audience served none has none), the resolvers and each
	// principal's connections.
	ws        transport.Websocket
	wsExecs   map[portal.Audience]*executor.Executor
	resolver  *Resolver
	liveConns connCount
}

func NewHandler(cfg Config) (*Handler, error) {
	cfg.defaults()
	source := sourceSchema()
	schemas, err := ServedSchemas(cfg.installed())
	if err != nil {
		return nil, err
	}
	h := &Handler{
		cfg: cfg, servers: map[portal.Audience]*handler.Server{}, limits: map[portal.Audience]Limits{}, schemas: schemas,
		budgets: newBudgets(cfg.Budgets, cfg.Logger), graphiQL: graphiql.Page("/graphql"),
	}
	resolver := &Resolver{
		store: cfg.Store, access: cfg.Access, audit: cfg.Audit,
		blobs: cfg.Blobs, downloads: cfg.Downloads, publicURL: strings.TrimSuffix(cfg.PublicURL, "/"), maxUploadBytes: cfg.MaxUploadBytes,
		events: cfg.Live.Events, maxSubscriptions: cfg.Live.MaxSubscriptionsPerConnection, log: cfg.Logger,
		webhooksAllowPrivate: cfg.WebhooksAllowPrivate,
	}
	resolver.fields = resolver.readFields()
	h.resolver, h.wsExecs = resolver, map[portal.Audience]*executor.Executor{}
	h.ws = h.newWebsocket()
	presenter := errorPresenter{log: cfg.Logger, unavailable: cfg.Unavailable}
	validate := newInputValidator(source)
	bound, leaves, goTypes := generated.BoundFields(), generated.ResolvedLeaves(), generated.ObjectGoTypes()
	for a, schema := range schemas {
		es := generated.NewExecutableSchema(generated.Config{Schema: schema, Resolvers: resolver, Directives: directives(validate)})
		limits := DefaultLimits(a).over(cfg.Limits[a])
		queries := lru.New[*ast.QueryDocument](1000)
		apq := lru.New[string](1000)
		srv := handler.New(es)
		answer := newResponder()
		srv.AddTransport(httpTransport{answer})
		srv.AddTransport(multipartTransport{responder: answer, maxFileBytes: cfg.MaxUploadBytes, maxFiles: cfg.MaxUploadFiles, maxMemory: 8 << 20})
		costs := newCostCheck(schema, limits, h.budgets)
		configure := func(x executorConfig) {
			x.SetQueryCache(queries)
			x.SetParserTokenLimit(limits.MaxTokens)
			x.SetDisableSuggestion(true)
			x.SetErrorPresenter(presenter.present)
			x.SetRecoverFunc(presenter.recover)
			// Each schema holds only what its audience may see, so
			// introspection shows nothing beyond it.
			x.Use(extension.Introspection{})
			// The checks run in this order, cheapest first: a principal
			// locked to the allow list runs only registered operations
			// (allowlist.go), a persisted query is looked up, the
			// document's shape is measured before it is validated, and
			// the validated operation is priced and paid for before it
			// runs.
			x.Use(allowList{store: cfg.Store, apq: apq})
			x.Use(extension.AutomaticPersistedQuery{Cache: apq})
			x.Use(shapeCheck{limits: limits, cache: queries})
			x.Use(costs)
		}
		configure(srv)
		if !cfg.WithoutPlanner {
			pl := &planner{schema: schema, source: source, es: es, bound: bound, goTypes: goTypes, fields: resolver.fields, leaves: leaves, stats: &h.exec, observe: cfg.ObserveBatch}
			pl.prepare()
			srv.AroundRootFields(pl.aroundRootField)
		}
		// Subscriptions run on gqlgen's executor: one per audience served
		// any, with the same checks, reached through WebSocket connections
		// once connection_init has told who is asking.
		if schema.Subscription != nil {
			wsExec := newWSExecutor(es)
			configure(wsExec)
			h.wsExecs[a] = wsExec
		}
		h.servers[a], h.limits[a] = srv, limits
	}
	return h, nil
}

// executorConfig is what configures gqlgen's HTTP servers and executors
// alike.
type executorConfig interface {
	SetQueryCache(graphql.Cache[*ast.QueryDocument])
	SetParserTokenLimit(int)
	SetDisableSuggestion(bool)
	SetErrorPresenter(graphql.ErrorPresenterFunc)
	SetRecoverFunc(graphql.RecoverFunc)
	Use(graphql.HandlerExtension)
}

// Schemas are the schemas served, one per audience.
type Schemas map[portal.Audience]*ast.Schema

// installed are the modules installed.
func (c *Config) installed() portal.FeatureSet {
	if c.Modules == nil {
		return portal.AllFeatures()
	}
	return *c.Modules
}

// ServedSchemas derives the schema of each served audience from the
// source the code was generated from, with these modules installed: what
// NewHandler serves.
func ServedSchemas(modules portal.FeatureSet) (Schemas, error) {
	src := sourceSchema().Query.Position.Src
	out := Schemas{}
	for _, a := range servedAudiences {
		s, err := audience.Derive(src, a, audience.Modules(modules))
		if err != nil {
			return nil, err
		}
		out[a] = s
	}
	return out, nil
}

// Has reports whether the schema served to an audience has a field, named
// by a path (audience.HasPath); an audience served nothing has none. It is
// a portal.SchemaHas: export workers choose each CSV's columns with it, so
// a CSV shows its requester the fields their API does and no other.
func (s Schemas) Has(aud portal.Audience, path string) bool {
	schema := s[aud]
	return schema != nil && audience.HasPath(schema, path)
}

// SchemaHas is Has of the schemas the handler serves.
func (h *Handler) SchemaHas(aud portal.Audience, path string) bool { return h.schemas.Has(aud, path) }

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// The edge (internal/httpserver) gave the request its id; a handler
	// served on its own gives it one here.
	r, info := reqinfo.Start(w, r)
	if isWebSocket(r) {
		h.serveWebSocket(w, r)
		return
	}
	m := &meter{header: w.Header()}
	ctx := context.WithValue(r.Context(), meterKey{}, m)

	if r.Method == http.MethodGet && r.URL.RawQuery == "" && strings.Contains(r.Header.Get("Accept"), "text/html") {
		h.graphiQL.ServeHTTP(w, r)
		return
	}
	p, err := h.cfg.Authenticate(r)
	if err != nil {
		// Credentials that could not be checked are not refused: a 401
		// would tell clients to drop a token that may well be valid. An
		// unreachable database is a 503 to retry.
		status := http.StatusUnauthorized
		switch {
		case h.cfg.Unavailable(err):
			status = http.StatusServiceUnavailable
			w.Header().Set("Retry-After", strconv.Itoa(unavailableRetrySeconds))
		case portal.ErrorCode(err) != portal.CodeUnauthenticated:
			status = http.StatusInternalServerError
		}
		h.fail(ctx, w, status, err)
		return
	}
	p.NotInstalled = portal.AllFeatures() &^ h.cfg.installed()
	info.SetAudience(string(p.Audience))
	srv, ok := h.servers[p.Audience]
	if !ok {
		h.fail(ctx, w, http.StatusForbidden, portal.Forbidden("no API is served to %s principals", p.Audience))
		return
	}
	// A contact's requests are the client portals feature, a partner's
	// key's the partner API: without it, refused whole (every read would
	// be empty anyway, by the same rule in the store).
	if key, ok := audienceFeature[p.Audience]; ok {
		if err := featureEnabled(p, key); err != nil {
			h.fail(ctx, w, http.StatusForbidden, err)
			return
		}
	}
	ctx, cancel := context.WithTimeout(ctx, h.cfg.RequestTimeout)
	defer cancel()
	addr := clientaddr.Of(r, h.cfg.TrustedProxies)
	m.key = budgetKey(p, addr)
	// A principal whose budget is known to be empty is refused before its
	// request is read.
	if wait := h.budgets.emptyFor(m.key); wait > 0 {
		w.Header().Set("Retry-After", strconv.FormatInt(retrySeconds(wait), 10))
		h.fail(ctx, w, http.StatusTooManyRequests, rateLimited(wait, "the budget of request cost is spent"))
		return
	}
	h.cfg.Audit.Seen(p)
	ctx = portal.WithPrincipal(ctx, p)
	ctx = context.WithValue(ctx, clientAddrKey{}, addr)
	ctx = withLoaders(ctx, newLoaders(h.cfg.BatchWait, &h.stats, h.cfg.ObserveBatch))
	limits := h.limits[p.Audience]
	limit := int64(limits.MaxBodyBytes)
	if isMultipart(r) {
		if status, err := h.checkMultipart(r, p); err != nil {
			h.fail(ctx, w, status, err)
			return
		}
		limit = h.cfg.maxMultipartBytes(limits)
	}
	r.Body = http.MaxBytesReader(w, r.Body, limit)
	srv.ServeHTTP(w, r.WithContext(ctx))
}

// BatchStats reports how the loaders of all requests so far batched.
func (h *Handler) BatchStats() *BatchStats { return &h.stats }

// ExecStats reports how many root fields of queries the planner executed
// and how many it left to gqlgen.
func (h *Handler) ExecStats() *ExecStats { return &h.exec }

// fail answers a request refused before GraphQL runs, in GraphQL's shape.
func (h *Handler) fail(ctx context.Context, w http.ResponseWriter, status int, err error) {
	body := map[string]any{"errors": []any{errorPresenter{log: h.cfg.Logger, unavailable: h.cfg.Unavailable}.present(ctx, err)}}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

type clientAddrKey struct{}

func clientAddrFrom(ctx context.Context) string {
	addr, _ := ctx.Value(clientAddrKey{}).(string)
	return addr
}

// Mux serves the API: GraphQL at /graphql and downloads at /files/{id}.
// The HTTP edge (internal/httpserver) serves it with the probes, metrics
// and the rest of what every route shares.
func (h *Handler) Mux() *http.ServeMux {
	mux := http.NewServeMux()
	mux.Handle("/graphql", h)
	mux.Handle("GET "+graphiql.AssetsPath, graphiql.Assets())
	mux.HandleFunc("GET /files/{id}", h.serveDownload)
	return mux
}
