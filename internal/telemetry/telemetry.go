// Package telemetry is what the server tells operators of itself, below
// the HTTP edge: Prometheus metrics, kept in a registry of the server's own
// (never the library's global one, so tests and several servers in one
// process never share counters), and OpenTelemetry spans. It measures what
// runs under a request — SQL statements at the driver, the GraphQL batches
// — and what runs beside it: the connection pool and the queues of
// background work. The edge (internal/httpserver) measures the requests
// themselves into the same registry.
package telemetry

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"

	"portalgraph/internal/sqlstore"
)

// Telemetry holds the server's metrics registry and tracer. It observes
// the store's statements (sqlstore.WithStatementObserver) and graph's
// batches (graph.Config.ObserveBatch).
type Telemetry struct {
	// Registry is what /metrics serves.
	Registry *prometheus.Registry

	tracer trace.Tracer
	// Per statement kind, resolved once: a statement's cost is counted
	// without looking a label up.
	sqlSeconds map[sqlstore.StatementKind]prometheus.Observer
	sqlErrors  map[sqlstore.StatementKind]prometheus.Counter
	batchSize  *prometheus.HistogramVec
}

// New makes a registry holding the Go runtime's, the process's and the
// build's metrics and those of statements and batches; spans go to tp
// (nil: nowhere).
func New(tp trace.TracerProvider) *Telemetry {
	if tp == nil {
		tp = noop.NewTracerProvider()
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		collectors.NewBuildInfoCollector(),
	)
	sqlSeconds := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "portalgraph_sql_statement_duration_seconds",
		Help: "SQL statements sent to the database, by kind (query, exec, begin, commit, rollback; prepare for the store's prepared reads, once per text and connection), and how long each took; a query until its rows were read. _count counts the statements.",
		// Statements take from tens of microseconds (SQLite, a prepared
		// read) to the statement timeout (15 s).
		Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 15},
	}, []string{"kind"})
	sqlErrors := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "portalgraph_sql_statement_errors_total",
		Help: "SQL statements that failed, by kind.",
	}, []string{"kind"})
	batchSize := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "portalgraph_graphql_batch_size",
		Help: "Batches of reads GraphQL requests sent to the store, by executor (loader, planner) and field, and how many objects each resolved the field for.",
		// A batch is every object at one place in a response: up to a
		// page of 100 under each of up to 100 parents.
		Buckets: []float64{1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000},
	}, []string{"executor", "field"})
	reg.MustRegister(sqlSeconds, sqlErrors, batchSize)

	t := &Telemetry{
		Registry: reg, tracer: tp.Tracer("portalgraph"),
		sqlSeconds: map[sqlstore.StatementKind]prometheus.Observer{},
		sqlErrors:  map[sqlstore.StatementKind]prometheus.Counter{},
		batchSize:  batchSize,
	}
	for _, k := range []sqlstore.StatementKind{sqlstore.StatementQuery, sqlstore.StatementExec, sqlstore.StatementBegin, sqlstore.StatementCommit, sqlstore.StatementRollback, sqlstore.StatementPrepare} {
		t.sqlSeconds[k] = sqlSeconds.WithLabelValues(string(k))
		t.sqlErrors[k] = sqlErrors.WithLabelValues(string(k))
	}
	return t
}
