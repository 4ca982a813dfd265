package telemetry

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
)

// Tracing is where spans go and how to stop sending them.
type Tracing struct {
	Provider trace.TracerProvider
	// Exporting names where spans go ("" when nowhere), for the log.
	Exporting string
	// Shutdown sends the spans not sent yet; call it as the server stops.
	Shutdown func(context.Context) error
}

// NewTracing sends spans over OTLP when the standard OpenTelemetry
// variables name a collector (OTEL_EXPORTER_OTLP_ENDPOINT or
// OTEL_EXPORTER_OTLP_TRACES_ENDPOINT), and nowhere otherwise, or when
// OTEL_SDK_DISABLED is true. The protocol is http/protobuf unless
// OTEL_EXPORTER_OTLP_(TRACES_)PROTOCOL says grpc. The exporter reads the
// other OTEL_EXPORTER_OTLP_* variables (headers, timeout, certificates)
// itself; the sampler follows OTEL_TRACES_SAMPLER (default: every trace,
// or as the caller's traceparent says); the service is OTEL_SERVICE_NAME
// (default portalgraph) with OTEL_RESOURCE_ATTRIBUTES.
//
// It reads the process's environment, as the exporter does.
func NewTracing(ctx context.Context) (Tracing, error) {
	off := Tracing{Provider: noop.NewTracerProvider(), Shutdown: func(context.Context) error { return nil }}
	if strings.EqualFold(os.Getenv("OTEL_SDK_DISABLED"), "true") {
		return off, nil
	}
	endpoint := firstSet("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT")
	if endpoint == "" {
		return off, nil
	}
	var exporter sdktrace.SpanExporter
	var err error
	switch protocol := firstSet("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL"); protocol {
	case "", "http/protobuf":
		exporter, err = otlptracehttp.New(ctx)
	case "grpc":
		exporter, err = otlptracegrpc.New(ctx)
	default:
		return off, fmt.Errorf("OTEL_EXPORTER_OTLP_PROTOCOL %q: use http/protobuf or grpc", protocol)
	}
	if err != nil {
		return off, fmt.Errorf("OTLP exporter: %w", err)
	}
	// The service is named unless the environment names it; the
	// environment's attributes come last, so they win.
	res, err := resource.New(ctx,
		resource.WithAttributes(semconv.ServiceName("portalgraph")),
		resource.WithTelemetrySDK(), resource.WithHost(), resource.WithProcessPID(),
		resource.WithFromEnv(),
	)
	if err != nil && !errors.Is(err, resource.ErrPartialResource) {
		return off, fmt.Errorf("OpenTelemetry resource: %w", err)
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exporter), sdktrace.WithResource(res))
	return Tracing{Provider: tp, Exporting: endpoint, Shutdown: tp.Shutdown}, nil
}

// firstSet is the value of the first of the variables that is set.
func firstSet(keys ...string) string {
	for _, k := range keys {
		if v := strings.TrimSpace(os.Getenv(k)); v != "" {
			return v
		}
	}
	return ""
}
