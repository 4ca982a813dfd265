package main

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"

	"portalgraph/internal/httpserver"
	"portalgraph/internal/telemetry"
)

// opsConfig is the configuration of the HTTP edge, read from the
// environment when serving, the one command that uses it. Tracing is
// configured by the standard OTEL_* variables, which telemetry.NewTracing
// and the exporter read themselves.
type opsConfig struct {
	// corsOrigins may call the API from a browser; none gets no CORS
	// headers.
	corsOrigins []string
}

func loadOpsConfig() (opsConfig, error) {
	var cfg opsConfig
	origins, err := httpserver.ParseOrigins(os.Getenv("PORTALGRAPH_CORS_ORIGINS"))
	if err != nil {
		return cfg, fmt.Errorf("PORTALGRAPH_CORS_ORIGINS: %w", err)
	}
	for o := range origins {
		cfg.corsOrigins = append(cfg.corsOrigins, o)
	}
	slices.Sort(cfg.corsOrigins)
	return cfg, nil
}

// newLogger is the server's log, in the format PORTALGRAPH_LOG_FORMAT
// names: text (the default) or json.
func newLogger(w io.Writer) (*slog.Logger, error) {
	logger, err := telemetry.NewLogger(w, os.Getenv("PORTALGRAPH_LOG_FORMAT"))
	if err != nil {
		return nil, fmt.Errorf("PORTALGRAPH_LOG_FORMAT: %w", err)
	}
	return logger, nil
}
