package graph

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"portalgraph/internal/httpserver/reqinfo"
	"portalgraph/internal/portal"
)

// errorPresenter maps every error to what a client sees: the one place
// error codes are decided. A *portal.Error shows its message and code;
// gqlgen's own errors (validation, coercion) keep theirs; a value an
// argument's type cannot hold is bad input; anything else is an INTERNAL
// error whose message is logged, not shown.
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
	field, at, isArgument := argumentAt(ctx, out.Path)
	var pe *portal.Error
	var ge *gqlerror.Error
	switch {
	case errors.As(err, &pe):
	case errors.As(err, &ge) && ge.Err == nil:
		return out // made by gqlgen or gqlparser from the request itself
	case isArgument:
		// A generated unmarshaler refused an argument's value in words
		// of its own: an enum's value in another case, say, which
		// gqlparser lets through variables. Bad input like any, in
		// words of ours.
		pe = portal.BadInput("is not a valid value")
	default:
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
	out.Message = pe.Message
	out.Extensions = map[string]any{"code": string(pe.Code)}
	fields := pe.Fields
	if isArgument && len(fields) == 0 && pe.Code == portal.CodeBadUserInput {
		// A value refused as an argument was read (by its scalar, say):
		// reported like any bad input, at the field, naming what was bad.
		out.Message, out.Path = "invalid input", at
		fields = []portal.FieldError{{Field: field, Message: pe.Message}}
	}
	if len(fields) > 0 {
		out.Extensions["fields"] = fields
	}
	for k, v := range pe.Details {
		out.Extensions[k] = v
	}
	return out
}

// argumentAt tells an error about an argument from one about a field: gqlgen
// reports a value its scalar refused at the field's path followed by the
// argument's (e.g. "input", "metrics", 0, "name"). It returns that argument
// path written as the input validator names fields ("input.metrics[0].name")
// and the field's own path.
func argumentAt(ctx context.Context, path ast.Path) (string, ast.Path, bool) {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil {
		return "", nil, false
	}
	at := fc.Path()
	if len(path) <= len(at) || path[:len(at)].String() != at.String() {
		return "", nil, false
	}
	var b strings.Builder
	for _, el := range path[len(at):] {
		switch el := el.(type) {
		case ast.PathName:
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(string(el))
		case ast.PathIndex:
			fmt.Fprintf(&b, "[%d]", int(el))
		}
	}
	return b.String(), at, true
}

// recover turns a panic in a resolver into an INTERNAL error, after logging
// where it happened.
func (e errorPresenter) recover(ctx context.Context, p any) error {
	e.log.ErrorContext(ctx, "panic", "requestId", reqinfo.ID(ctx), "panic", p, "stack", string(debug.Stack()))
	return fmt.Errorf("panic: %v", p)
}
