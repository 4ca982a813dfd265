package httpserver

import (
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"portalgraph/internal/httpserver/reqinfo"
)

// Label values are bounded whatever clients send: routes are a fixed set
// (route), audiences are the four there are, and operation names are
// those of validated operations — the first maxOperationNames distinct
// ones, then "other".
const (
	maxOperationNames  = 200
	maxOperationLength = 100
	// anonymous is the operation label of an unnamed operation; none that
	// of a request without a validated operation (probes, downloads,
	// requests refused before validation).
	anonymous = "anonymous"
	none      = "none"
	other     = "other"
)

// metrics are the requests' metrics.
type metrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	errors   *prometheus.CounterVec
	inFlight prometheus.Gauge

	mu         sync.Mutex
	operations map[string]bool // the names given labels of their own
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "portalgraph_http_requests_total",
			Help: "HTTP requests answered, by route, status code, audience and GraphQL operation name.",
		}, []string{"route", "code", "audience", "operation"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "portalgraph_http_request_duration_seconds",
			Help: "How long HTTP requests took to answer, by route, audience and GraphQL operation name.",
			// Requests time out at 30 s.
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"route", "audience", "operation"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "portalgraph_graphql_errors_total",
			Help: "Errors in GraphQL responses, by audience, operation name and code (extensions.code).",
		}, []string{"audience", "operation", "code"}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "portalgraph_http_requests_in_flight",
			Help: "HTTP requests being answered.",
		}),
		operations: map[string]bool{},
	}
	for _, c := range []prometheus.Collector{m.requests, m.duration, m.errors, m.inFlight} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// observe counts a finished request.
func (m *metrics) observe(rt string, status int, rep reqinfo.Report, took time.Duration) {
	aud, op := audienceLabel(rep.Audience), m.operationLabel(rep.Operation)
	m.requests.WithLabelValues(rt, strconv.Itoa(status), aud, op).Inc()
	m.duration.WithLabelValues(rt, aud, op).Observe(took.Seconds())
	for code, n := range rep.Errors {
		m.errors.WithLabelValues(aud, op, codeLabel(code)).Add(float64(n))
	}
}

func audienceLabel(a string) string {
	switch a {
	case "":
		return none
	case "STAFF", "PORTAL", "PARTNER", "ANONYMOUS":
		return strings.ToLower(a)
	}
	return other
}

// operationLabel is the operation's name while names are few; a client
// naming every request differently gets "other" once the names run out.
func (m *metrics) operationLabel(op *reqinfo.Operation) string {
	switch {
	case op == nil:
		return none
	case op.Name == "":
		return anonymous
	case len(op.Name) > maxOperationLength:
		return other
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.operations[op.Name] {
		return op.Name
	}
	if len(m.operations) >= maxOperationNames {
		return other
	}
	m.operations[op.Name] = true
	return op.Name
}

// codeLabel bounds error codes: graph's codes and gqlgen's are upper-case
// words; anything else is counted as other.
func codeLabel(code string) string {
	if code == "" || len(code) > 40 || strings.ContainsFunc(code, func(c rune) bool { return (c < 'A' || c > 'Z') && c != '_' }) {
		return other
	}
	return code
}

// metricsHandler serves the registry, logging what it cannot collect and
// serving the rest rather than failing the scrape.
func metricsHandler(reg *prometheus.Registry, log *slog.Logger) http.Handler {
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{
		ErrorLog:      promLogger{log},
		ErrorHandling: promhttp.ContinueOnError,
		Registry:      reg,
	})
}

// promLogger passes promhttp's errors to the server's log.
type promLogger struct{ log *slog.Logger }

func (l promLogger) Println(v ...any) {
	l.log.Warn("metrics", "error", strings.TrimSpace(fmt.Sprintln(v...)))
}
