package graph

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"portalgraph/internal/httpserver/reqinfo"
	"portalgraph/internal/portal"
)

// errorPresenter maps every error to what a client sees: the one place
// error codes are decided. A *portal.Error shows its message and code;
// gqlgen's own errors (validation, coercion) keep theirs; anything else is
// an INTERNAL error whose message is logged, not shown.
type errorPresenter struct {
	log         *slog.Logger
	unavailable func(error) bool // nil: none is
}

// unavailableRetrySeconds is when a client should try again after the
// database was unreachable.
const unavailableRetrySeconds = 5

func (e errorPresenter) present(ctx context.Context, err error) *gqlerror.Error {
	out := e.presentError(ctx, err)
	// The edge counts errors by code, per operation, in its metrics.
	code, _ := out.Extensions["code"].(string)
	if code == "" {
		code = "UNKNOWN"
	}
	reqinfo.From(ctx).AddError(code)
	return out
}

func (e errorPresenter) presentError(ctx context.Context, err error) *gqlerror.Error {
	out := graphql.DefaultErrorPresenter(ctx, err)
	var pe *portal.Error
	if errors.As(err, &pe) {
		out.Message = pe.Message
		out.Extensions = map[string]any{"code": string(pe.Code)}
		if len(pe.Fields) > 0 {
			out.Extensions["fields"] = pe.Fields
		}
		for k, v := range pe.Details {
			out.Extensions[k] = v
		}
		return out
	}
	var ge *gqlerror.Error
	if errors.As(err, &ge) && ge.Err == nil {
		return out // made by gqlgen or gqlparser from the request itself
	}
	id := reqinfo.ID(ctx)
	e.log.ErrorContext(ctx, "request failed", "requestId", id, "path", out.Path.String(), "error", err)
	if e.unavailable != nil && e.unavailable(err) {
		return &gqlerror.Error{
			Message: "the service is unavailable for a moment; retry shortly", Path: out.Path, Locations: out.Locations,
			Extensions: map[string]any{"code": string(portal.CodeUnavailable), "requestId": id, "retryAfterSeconds": unavailableRetrySeconds},
		}
	}
	return &gqlerror.Error{
		Message:    "internal error; the request id identifies it in the server log",
		Path:       out.Path,
		Locations:  out.Locations,
		Extensions: map[string]any{"code": string(portal.CodeInternal), "requestId": id},
	}
}

// recover turns a panic in a resolver into an INTERNAL error, after logging
// where it happened.
func (e errorPresenter) recover(ctx context.Context, p any) error {
	e.log.ErrorContext(ctx, "panic", "requestId", reqinfo.ID(ctx), "panic", p, "stack", string(debug.Stack()))
	return fmt.Errorf("panic: %v", p)
}
