// Package reqinfo is what the HTTP edge (internal/httpserver) and the
// handlers behind it know of one request as it is served: its id, made or
// taken from the caller once, and what the GraphQL boundary learns of it —
// who asked, which operation, what it cost, which errors it met. The
// handlers fill it in through the request's context; the edge reads it
// when the request ends, for the access log, the metrics and the trace.
//
// It is a package of its own, with no dependencies, so that graph can fill
// it in without depending on the edge's libraries.
package reqinfo

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"maps"
	"net/http"
	"strings"
	"sync"
)

// Header is the header a request id arrives and is answered in.
const Header = "X-Request-Id"

// Info is one request's record. Its methods are safe for concurrent use
// (resolvers report errors from their own goroutines) and do nothing on a
// nil *Info.
type Info struct {
	// ID identifies the request in the log, in error responses and in
	// the X-Request-Id header.
	ID string

	mu     sync.Mutex
	report Report
}

// Report is what the handlers reported of a request.
type Report struct {
	// Audience is the principal's audience ("STAFF", "PORTAL",
	// "ANONYMOUS"); "" when no principal was found.
	Audience string
	// Operation is set once a GraphQL operation was validated and priced.
	Operation *Operation
	// Errors counts the GraphQL errors of the response by code.
	Errors map[string]int
}

// Operation is a validated GraphQL operation.
type Operation struct {
	Type string // query, mutation or subscription
	Name string // "" for an anonymous operation
	Cost int    // its price in the cost model (graph/cost.go)
}

type key struct{}

// From returns the request's record; nil when none was started.
func From(ctx context.Context) *Info {
	i, _ := ctx.Value(key{}).(*Info)
	return i
}

// ID is the request id; "" when no record was started.
func ID(ctx context.Context) string {
	if i := From(ctx); i != nil {
		return i.ID
	}
	return ""
}

// Start returns r with a record of its own, and the record: the edge's
// when it started one, else a new one whose id is answered in the
// X-Request-Id header. Starting twice is harmless, so a handler served
// without the edge (tests, the benchmark) still has request ids.
func Start(w http.ResponseWriter, r *http.Request) (*http.Request, *Info) {
	if i := From(r.Context()); i != nil {
		return r, i
	}
	i := &Info{ID: idFor(r)}
	w.Header().Set(Header, i.ID)
	return r.WithContext(context.WithValue(r.Context(), key{}, i)), i
}

// idFor keeps a caller's X-Request-Id when it is a sane token, so logs
// correlate across services, and makes one otherwise.
func idFor(r *http.Request) string {
	if id := r.Header.Get(Header); len(id) > 0 && len(id) <= 64 && !strings.ContainsFunc(id, func(c rune) bool {
		return c <= ' ' || c > '~'
	}) {
		return id
	}
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// SetAudience records who asked.
func (i *Info) SetAudience(audience string) {
	if i == nil {
		return
	}
	i.mu.Lock()
	defer i.mu.Unlock()
	i.report.Audience = audience
}

// SetOperation records the validated operation and its cost.
func (i *Info) SetOperation(op Operation) {
	if i == nil {
		return
	}
	i.mu.Lock()
	defer i.mu.Unlock()
	i.report.Operation = &op
}

// AddError counts an error of the response by its code.
func (i *Info) AddError(code string) {
	if i == nil {
		return
	}
	i.mu.Lock()
	defer i.mu.Unlock()
	if i.report.Errors == nil {
		i.report.Errors = map[string]int{}
	}
	i.report.Errors[code]++
}

// Report is a copy of what was reported so far.
func (i *Info) Report() Report {
	if i == nil {
		return Report{}
	}
	i.mu.Lock()
	defer i.mu.Unlock()
	out := i.report
	if out.Operation != nil {
		op := *out.Operation
		out.Operation = &op
	}
	out.Errors = maps.Clone(out.Errors)
	return out
}
