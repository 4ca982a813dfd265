package httpserver

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"portalgraph/internal/httpserver/reqinfo"
)

// probes answer whether the process is up (/livez: restart it if not) and
// whether it can take requests (/readyz: send it none while not).
type probes struct {
	ready   func(context.Context) error
	timeout time.Duration
	log     *slog.Logger
}

func (p probes) live(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write([]byte("ok\n"))
}

// readiness checks the database answers, with its migrations, within the
// timeout. Why it is not ready goes to the log; the answer says only that
// it is not, with the request id.
func (p probes) readiness(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), p.timeout)
	defer cancel()
	if err := p.ready(ctx); err != nil {
		p.log.WarnContext(ctx, "not ready", "requestId", reqinfo.ID(r.Context()), "error", err)
		internalError(w, r, http.StatusServiceUnavailable, "not ready")
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write([]byte("ok\n"))
}
