package telemetry

import (
	"fmt"
	"io"
	"log/slog"
)

// NewLogger writes the server's log to w in a format: "text" (the
// default, for people) or "json" (one object a line, for log pipelines).
func NewLogger(w io.Writer, format string) (*slog.Logger, error) {
	switch format {
	case "", "text":
		return slog.New(slog.NewTextHandler(w, nil)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, nil)), nil
	}
	return nil, fmt.Errorf("log format %q: use text or json", format)
}
