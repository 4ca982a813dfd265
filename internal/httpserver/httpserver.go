// Package httpserver is the server's HTTP edge: what every route shares,
// kept out of graph so that graph stays the GraphQL boundary. Every
// request gets an id (X-Request-Id, taken from the caller when sane), a
// span, one access-log line and its metrics, and panics are recovered into
// a 500 naming the id. The edge answers CORS for the origins it is given,
// compresses large GraphQL responses, and serves the probes (/livez,
// /readyz, /healthz) and /metrics itself; everything else goes to the API
// (graph's Mux: /graphql, /files/{id}).
package httpserver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"

	"portalgraph/internal/httpserver/reqinfo"
)

// Config is what the edge serves and reports to.
type Config struct {
	// API serves every path the edge does not: graph's Mux.
	API http.Handler
	// Ready reports whether this server can take requests: its database
	// answers and has its migrations (sqlstore.Store.Ready).
	Ready func(context.Context) error
	// Logger receives the access log and the edge's errors.
	Logger *slog.Logger
	// Registry receives the request metrics and is what /metrics serves
	// (nil: a registry of the edge's own).
	Registry *prometheus.Registry
	// Tracer makes the requests' spans (nil: none).
	Tracer trace.TracerProvider
	// CORSOrigins may call the API from a browser (ParseOrigins); none
	// gets no CORS headers.
	CORSOrigins []string
	// TrustedProxies are the peers whose X-Forwarded-For is believed for
	// the client address the access log names (clientaddr).
	TrustedProxies []netip.Prefix
	// ReadyTimeout bounds the readiness check (default 2s): a database
	// that takes longer is not ready.
	ReadyTimeout time.Duration
}

// New makes the edge in front of cfg.API.
func New(cfg Config) (http.Handler, error) {
	if cfg.API == nil || cfg.Ready == nil {
		return nil, errors.New("httpserver: API and Ready are required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Registry == nil {
		cfg.Registry = prometheus.NewRegistry()
	}
	if cfg.Tracer == nil {
		cfg.Tracer = noop.NewTracerProvider()
	}
	if cfg.ReadyTimeout == 0 {
		cfg.ReadyTimeout = 2 * time.Second
	}
	origins, err := ParseOrigins(cfg.CORSOrigins...)
	if err != nil {
		return nil, err
	}
	m, err := newMetrics(cfg.Registry)
	if err != nil {
		return nil, err
	}
	compress, err := newCompression()
	if err != nil {
		return nil, err
	}
	p := probes{ready: cfg.Ready, timeout: cfg.ReadyTimeout, log: cfg.Logger}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /livez", p.live)
	mux.HandleFunc("GET /readyz", p.readiness)
	// The health check older deployments probe: readiness by another name.
	mux.HandleFunc("GET /healthz", p.readiness)
	mux.Handle("GET /metrics", metricsHandler(cfg.Registry, cfg.Logger))
	// Downloads are sent as stored: see compression.go.
	mux.Handle("/files/", cfg.API)
	mux.Handle("/", compress(cfg.API))

	return &edge{
		next:       cors{origins: origins, next: mux},
		log:        cfg.Logger,
		metrics:    m,
		tracer:     cfg.Tracer.Tracer("portalgraph/httpserver"),
		propagator: propagation.TraceContext{},
		proxies:    cfg.TrustedProxies,
	}, nil
}

// route names a request's route for metrics, spans and the log: a bounded
// set of names, whatever the path.
func route(path string) string {
	switch path {
	case "/graphql", "/livez", "/readyz", "/healthz", "/metrics":
		return path
	}
	if id, ok := strings.CutPrefix(path, "/files/"); ok && id != "" {
		return "/files/{id}"
	}
	return "other"
}

// operational reports whether a route is for operators' machines (probes,
// scrapes), whose successes are logged at debug level and not traced: a
// probe every few seconds would drown the log and the traces.
func operational(route string) bool {
	switch route {
	case "/livez", "/readyz", "/healthz", "/metrics":
		return true
	}
	return false
}

// internalError answers a failure of the server's own with the request id
// that finds it in the log, and nothing of its cause.
func internalError(w http.ResponseWriter, r *http.Request, status int, message string) {
	w.Header().Set("Cache-Control", "no-store")
	http.Error(w, fmt.Sprintf("%s (request id %s)", message, reqinfo.ID(r.Context())), status)
}
