package telemetry

import (
	"context"
	"strings"
	"time"
	"unicode"

	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"

	"portalgraph/internal/sqlstore"
)

var _ sqlstore.StatementObserver = (*Telemetry)(nil)

// Statement measures one SQL statement, and makes it a span when it runs
// under a span being recorded: a request's, a batch's. The background
// workers' statements (a queue polled every second) have none, and would
// otherwise make a trace each.
func (t *Telemetry) Statement(ctx context.Context, s sqlstore.Statement) func(error) {
	start := time.Now()
	var span trace.Span
	if trace.SpanFromContext(ctx).IsRecording() {
		_, span = t.tracer.Start(ctx, statementName(s), trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(statementAttributes(s)...))
	}
	seconds, errs := t.sqlSeconds[s.Kind], t.sqlErrors[s.Kind]
	return func(err error) {
		if seconds != nil {
			seconds.Observe(time.Since(start).Seconds())
		}
		if err != nil && errs != nil {
			errs.Inc()
		}
		if span != nil {
			if err != nil {
				span.RecordError(err)
				span.SetStatus(codes.Error, "statement failed")
			}
			span.End()
		}
	}
}

// statementName names a statement's span by its first keyword (SELECT,
// INSERT, WITH, BEGIN…), a low-cardinality name as span names should be;
// the text is an attribute.
func statementName(s sqlstore.Statement) string {
	if s.Query == "" {
		return strings.ToUpper(string(s.Kind))
	}
	word := strings.TrimSpace(s.Query)
	if end := strings.IndexFunc(word, unicode.IsSpace); end > 0 {
		word = word[:end]
	}
	return strings.ToUpper(word)
}

func statementAttributes(s sqlstore.Statement) []attribute.KeyValue {
	system := semconv.DBSystemNameSQLite
	if s.Dialect == "postgres" {
		system = semconv.DBSystemNamePostgreSQL
	}
	out := []attribute.KeyValue{system, semconv.DBOperationName(statementName(s))}
	if s.Query != "" {
		// The text has placeholders, never values: the arguments are
		// not recorded.
		out = append(out, semconv.DBQueryText(s.Query))
	}
	return out
}

// ObserveBatch is graph.Config.ObserveBatch: it measures the batch's size
// and, under a recorded span, makes the batch a span, under which its
// statements' spans go.
func (t *Telemetry) ObserveBatch(ctx context.Context, executor, field string, size int) (context.Context, func(error)) {
	t.batchSize.WithLabelValues(executor, field).Observe(float64(size))
	if !trace.SpanFromContext(ctx).IsRecording() {
		return ctx, nil
	}
	ctx, span := t.tracer.Start(ctx, "batch "+field, trace.WithAttributes(
		attribute.String("graphql.field", field),
		attribute.String("portalgraph.batch.executor", executor),
		attribute.Int("portalgraph.batch.size", size),
	))
	return ctx, func(err error) {
		if err != nil {
			span.RecordError(err)
			span.SetStatus(codes.Error, "batch failed")
		}
		span.End()
	}
}

// BatchCounts is graph's BatchStats: how many loader batches were sent, and
// how many of them the wait sent before every expected object had asked.
type BatchCounts interface {
	Counts() (batches, early int64)
}

// CountBatches reports stats, read at every scrape.
func (t *Telemetry) CountBatches(stats BatchCounts) {
	t.Registry.MustRegister(
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "portalgraph_graphql_loader_batches_total",
			Help: "Batches the GraphQL loaders sent.",
		}, func() float64 { n, _ := stats.Counts(); return float64(n) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "portalgraph_graphql_loader_batches_early_total",
			Help: "Loader batches the batch wait sent before every object expected to ask had asked: how well batching works under the load at hand.",
		}, func() float64 { _, n := stats.Counts(); return float64(n) }),
	)
}
