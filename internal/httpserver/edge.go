package httpserver

import (
	"context"
	"log/slog"
	"net/http"
	"net/netip"
	"runtime/debug"
	"strings"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"

	"portalgraph/internal/clientaddr"
	"portalgraph/internal/httpserver/reqinfo"
)

// edge is what every request goes through first: its id, its span, its
// recovery from panics, and, when it ends, its access-log line and its
// metrics.
type edge struct {
	next    http.Handler
	log     *slog.Logger
	metrics *metrics
	tracer  trace.Tracer
	// propagator reads a caller's W3C traceparent, so that a request's
	// span joins the trace its caller started.
	propagator propagation.TextMapPropagator
	proxies    []netip.Prefix
}

func (e *edge) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	r, info := reqinfo.Start(w, r)
	rt := route(r.URL.Path)
	ctx := r.Context()
	var span trace.Span
	if !operational(rt) {
		ctx = e.propagator.Extract(ctx, propagation.HeaderCarrier(r.Header))
		ctx, span = e.tracer.Start(ctx, r.Method+" "+rt, trace.WithSpanKind(trace.SpanKindServer), trace.WithAttributes(
			semconv.HTTPRequestMethodKey.String(r.Method), semconv.HTTPRoute(rt), semconv.URLPath(r.URL.Path),
			attribute.String("portalgraph.request_id", info.ID),
		))
	}
	rec := &recorder{ResponseWriter: w}
	e.metrics.inFlight.Inc()
	defer func() {
		e.metrics.inFlight.Dec()
		p := recover()
		if p != nil && p != http.ErrAbortHandler {
			// A handler's panic is a 500 naming the request id, unless
			// the response had begun; gqlgen recovers resolvers' own.
			e.log.ErrorContext(ctx, "panic", "requestId", info.ID, "path", r.URL.Path, "panic", p, "stack", string(debug.Stack()))
			if !rec.wroteHeader {
				internalError(rec, r, http.StatusInternalServerError, "internal error")
			}
		}
		e.finish(ctx, r, rt, rec, info, span, time.Since(start))
		if p == http.ErrAbortHandler {
			panic(p) // the server aborts the response, as the handler asked
		}
	}()
	e.next.ServeHTTP(rec, r.WithContext(ctx))
}

// finish logs, measures and ends a request.
func (e *edge) finish(ctx context.Context, r *http.Request, rt string, rec *recorder, info *reqinfo.Info, span trace.Span, took time.Duration) {
	status := rec.statusCode()
	rep := info.Report()
	e.metrics.observe(rt, status, rep, took)

	attrs := []slog.Attr{
		slog.String("requestId", info.ID),
		slog.String("method", r.Method),
		slog.String("path", r.URL.Path), // never the query: a download's holds its token
		slog.Int("status", status),
		slog.Float64("durationMs", float64(took.Microseconds())/1000),
		slog.Int64("bytes", rec.bytes),
		slog.String("clientAddr", clientaddr.Of(r, e.proxies)),
	}
	if rep.Audience != "" {
		attrs = append(attrs, slog.String("audience", strings.ToLower(rep.Audience)))
	}
	if op := rep.Operation; op != nil {
		attrs = append(attrs, slog.String("operationType", op.Type), slog.String("operation", op.Name), slog.Int("cost", op.Cost))
	}
	if n := errorCount(rep); n > 0 {
		attrs = append(attrs, slog.Int("errors", n))
	}
	if sc := trace.SpanContextFromContext(ctx); sc.IsValid() && sc.IsSampled() {
		attrs = append(attrs, slog.String("traceId", sc.TraceID().String()))
	}
	level := slog.LevelInfo
	switch {
	case status >= 500:
		level = slog.LevelWarn
	case operational(rt) && status < 400:
		level = slog.LevelDebug
	}
	e.log.LogAttrs(ctx, level, "request", attrs...)

	if span == nil {
		return
	}
	span.SetAttributes(semconv.HTTPResponseStatusCode(status))
	if rep.Audience != "" {
		span.SetAttributes(attribute.String("portalgraph.audience", strings.ToLower(rep.Audience)))
	}
	if op := rep.Operation; op != nil {
		span.SetAttributes(semconv.GraphQLOperationTypeKey.String(op.Type), attribute.Int("portalgraph.cost", op.Cost))
		if op.Name != "" {
			span.SetAttributes(semconv.GraphQLOperationName(op.Name))
		}
	}
	if status >= 500 {
		span.SetStatus(codes.Error, http.StatusText(status))
	}
	span.End()
}

func errorCount(rep reqinfo.Report) int {
	n := 0
	for _, c := range rep.Errors {
		n += c
	}
	return n
}

// recorder notes a response's status and the bytes of its body as they
// are sent (after compression). It unwraps for http.ResponseController,
// and flushes for handlers that ask an http.Flusher.
type recorder struct {
	http.ResponseWriter
	status      int
	wroteHeader bool
	bytes       int64
}

func (r *recorder) WriteHeader(code int) {
	if !r.wroteHeader && code >= 200 { // 1xx are interim
		r.status, r.wroteHeader = code, true
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	if !r.wroteHeader {
		r.WriteHeader(http.StatusOK)
	}
	n, err := r.ResponseWriter.Write(b)
	r.bytes += int64(n)
	return n, err
}

func (r *recorder) Flush() { _ = http.NewResponseController(r.ResponseWriter).Flush() }

func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// statusCode is the status sent; 200 for a handler that wrote nothing.
func (r *recorder) statusCode() int {
	if r.status == 0 {
		return http.StatusOK
	}
	return r.status
}
