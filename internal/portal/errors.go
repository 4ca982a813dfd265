package portal

import (
	"errors"
	"fmt"
	"strings"
)

// Code classifies an error for API clients (GraphQL extensions.code).
type Code string

const (
	CodeUnauthenticated Code = "UNAUTHENTICATED"
	CodeForbidden       Code = "FORBIDDEN"
	CodeNotFound        Code = "NOT_FOUND"
	CodeBadUserInput    Code = "BAD_USER_INPUT"
	CodeConflict        Code = "CONFLICT"
	CodeFeatureDisabled Code = "FEATURE_DISABLED"
	CodeRateLimited     Code = "RATE_LIMITED"
	CodeInternal        Code = "INTERNAL"
	// CodeLimitExceeded refuses a request larger than a limit allows: its
	// body, tokens, fields, depth, aliases, cost or files.
	CodeLimitExceeded Code = "LIMIT_EXCEEDED"
	// CodeBadRequest refuses a request that is not GraphQL over HTTP at
	// all: a body that is not a JSON object, a batch, no query.
	CodeBadRequest Code = "BAD_REQUEST"
	// CodeUnavailable says the server cannot do its work now (its
	// database is unreachable) and the request may be retried shortly.
	CodeUnavailable Code = "UNAVAILABLE"
	// CodePersistedQueryNotAllowed refuses an operation that is not in the
	// workspace's allow list, asked for by a principal locked to it.
	CodePersistedQueryNotAllowed Code = "PERSISTED_QUERY_NOT_ALLOWED"
)

// FieldError names one bad input field, by its path in the GraphQL input
// (e.g. "input.email").
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// Error is the one error type the domain, the store and the API share. Every
// error that reaches a client is an *Error; anything else is INTERNAL and its
// message is not shown.
type Error struct {
	Code    Code
	Message string
	Fields  []FieldError
	// Details are further facts a client may act on (the limit exceeded
	// and by how much, when to retry), shown beside the code.
	Details map[string]any
}

func (e *Error) Error() string {
	if len(e.Fields) == 0 {
		return e.Message
	}
	parts := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		parts[i] = f.Field + ": " + f.Message
	}
	return e.Message + " (" + strings.Join(parts, "; ") + ")"
}

// ErrorCode returns the code of err, INTERNAL when err is not an *Error.
func ErrorCode(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeInternal
}

// NotFound is the answer for a record that does not exist and for one the
// principal may not see alike, so the two cannot be told apart.
func NotFound(id string) *Error {
	return &Error{Code: CodeNotFound, Message: fmt.Sprintf("no record with id %q", id)}
}

func Forbidden(format string, args ...any) *Error {
	return &Error{Code: CodeForbidden, Message: fmt.Sprintf(format, args...)}
}

func Unauthenticated(format string, args ...any) *Error {
	return &Error{Code: CodeUnauthenticated, Message: fmt.Sprintf(format, args...)}
}

func Conflict(format string, args ...any) *Error {
	return &Error{Code: CodeConflict, Message: fmt.Sprintf(format, args...)}
}

// BadInput reports bad input not tied to a field where it is found: a
// scalar that cannot hold the value, say. The API names the argument or
// input field the value was read from.
func BadInput(format string, args ...any) *Error {
	return &Error{Code: CodeBadUserInput, Message: fmt.Sprintf(format, args...)}
}

// Invalid reports bad input, one entry per bad field.
func Invalid(fields ...FieldError) *Error {
	return &Error{Code: CodeBadUserInput, Message: "invalid input", Fields: fields}
}

// LimitExceeded refuses a request over a limit, naming the limit, its
// maximum and what the request came to.
func LimitExceeded(limit string, maximum, actual int64, message string) *Error {
	return &Error{Code: CodeLimitExceeded, Message: message, Details: map[string]any{"limit": limit, "maximum": maximum, "actual": actual}}
}

// BadRequest refuses a request that is not GraphQL over HTTP.
func BadRequest(format string, args ...any) *Error {
	return &Error{Code: CodeBadRequest, Message: fmt.Sprintf(format, args...)}
}

// InvalidField reports one bad input field.
func InvalidField(field, message string) *Error {
	return Invalid(FieldError{Field: field, Message: message})
}
