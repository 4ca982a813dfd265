package graph

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
	lru "github.com/hashicorp/golang-lru/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"portalgraph/internal/clientaddr"
	"portalgraph/internal/httpserver/reqinfo"
	"portalgraph/internal/portal"
	"portalgraph/internal/ratelimit"
)

// meter is a request's account of its cost: filled in as the request is
// checked, reported in the response's extensions and headers.
type meter struct {
	header  http.Header
	key     string // whose budget the request spends
	cost    int    // 0 until the operation is priced
	maxCost int
	budget  *ratelimit.Result // nil when no budget applies
}

type meterKey struct{}

func meterFrom(ctx context.Context) *meter {
	m, _ := ctx.Value(meterKey{}).(*meter)
	return m
}

// budgetKey names the budget a principal spends: a staff member's, a
// contact's, a partner's key's, or an anonymous caller's address. A preview spends the
// budget of the staff member previewing, never the contact's, so nobody
// spends a budget that is not theirs.
func budgetKey(p portal.Principal, addr string) string {
	switch {
	case p.Preview:
		return "staff:" + p.WorkspaceID + ":" + p.PreviewBy
	case p.IsStaff():
		return "staff:" + p.WorkspaceID + ":" + p.UserID
	case p.IsPortal():
		return "contact:" + p.WorkspaceID + ":" + p.ContactID
	case p.IsPartner():
		return "partnerkey:" + p.WorkspaceID + ":" + p.Grant().KeyID
	}
	return "address:" + clientaddr.Holder(addr)
}

// budgets spends request cost from principals' budgets. A budget found
// empty is remembered until it holds a point again, so that this process
// refuses that principal's requests before reading them.
type budgets struct {
	limiter ratelimit.Limiter
	log     *slog.Logger
	now     func() time.Time
	mu      sync.Mutex
	empty   map[string]time.Time
	swept   time.Time
}

func newBudgets(l ratelimit.Limiter, log *slog.Logger) *budgets {
	return &budgets{limiter: l, log: log, now: time.Now, empty: map[string]time.Time{}}
}

// emptyFor is how long key's budget is known to stay empty; 0 if it is
// not known to be.
func (b *budgets) emptyFor(key string) time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	until, ok := b.empty[key]
	if !ok {
		return 0
	}
	if left := until.Sub(b.now()); left > 0 {
		return left
	}
	delete(b.empty, key)
	return 0
}

// spend takes cost from the meter's budget. A limiter that fails lets the
// request through: the budget protects the server, and a request that
// cannot reach the database fails on its own anyway.
func (b *budgets) spend(ctx context.Context, m *meter, perMinute int) error {
	r, err := b.limiter.Take(ctx, m.key, int64(max(m.cost, 1)), int64(perMinute))
	if err != nil {
		b.log.WarnContext(ctx, "budget unavailable", "requestId", reqinfo.ID(ctx), "error", err)
		return nil
	}
	m.budget = &r
	b.mu.Lock()
	now := b.now()
	if r.EmptyFor == 0 {
		delete(b.empty, m.key)
	} else {
		b.empty[m.key] = now.Add(r.EmptyFor)
	}
	// Forget, now and then, the budgets that have refilled since, so the
	// map holds only those empty now.
	if now.Sub(b.swept) > ratelimit.Window {
		b.swept = now
		for key, until := range b.empty {
			if until.Before(now) {
				delete(b.empty, key)
			}
		}
	}
	b.mu.Unlock()
	m.setHeaders()
	if !r.Allowed {
		return rateLimited(r.RetryAfter, fmt.Sprintf("the operation costs %d points and the budget holds %d of %d per minute", m.cost, r.Remaining, r.Limit))
	}
	return nil
}

// rateLimited refuses a request whose principal's budget is spent.
func rateLimited(retry time.Duration, message string) *portal.Error {
	return &portal.Error{Code: portal.CodeRateLimited, Message: message + fmt.Sprintf("; retry in %d s", retrySeconds(retry)),
		Details: map[string]any{"retryAfterSeconds": retrySeconds(retry)}}
}

func retrySeconds(d time.Duration) int64 { return int64((d + time.Second - 1) / time.Second) }

// setHeaders reports the budget in the RateLimit-* headers (and
// Retry-After on a refusal).
func (m *meter) setHeaders() {
	r := m.budget
	m.header.Set("RateLimit-Limit", strconv.FormatInt(r.Limit, 10))
	m.header.Set("RateLimit-Remaining", strconv.FormatInt(r.Remaining, 10))
	m.header.Set("RateLimit-Reset", strconv.FormatInt(retrySeconds(r.ResetAfter), 10))
	if !r.Allowed {
		m.header.Set("Retry-After", strconv.FormatInt(retrySeconds(r.RetryAfter), 10))
	}
}

// costReport is what extensions.cost says. Every response carries it, so
// it is a struct, which encoding/json writes without the maps' allocations
// and key sorting; its fields are in the order the maps it replaced were
// written in (by key).
type costReport struct {
	Budget    *budgetReport `json:"budget,omitempty"`
	Maximum   int           `json:"maximum"`
	Requested int           `json:"requested"`
}

type budgetReport struct {
	Limit        int64 `json:"limit"`
	Remaining    int64 `json:"remaining"`
	ResetSeconds int64 `json:"resetSeconds"`
}

func (m *meter) report() *costReport {
	out := &costReport{Requested: m.cost, Maximum: m.maxCost}
	if r := m.budget; r != nil {
		out.Budget = &budgetReport{Limit: r.Limit, Remaining: r.Remaining, ResetSeconds: retrySeconds(r.ResetAfter)}
	}
	return out
}

// costCheck prices a validated operation against the audience's schema,
// refuses it over the cost limit, then spends its cost from the
// principal's budget: all before anything runs.
type costCheck struct {
	schema  *ast.Schema
	limits  Limits
	budgets *budgets
	// prices keeps the cost of operations whose cost no variable
	// changes, by their parsed operation: gqlgen's query cache hands
	// back the same document for the same text.
	prices *lru.Cache[*ast.OperationDefinition, int]
}

func newCostCheck(schema *ast.Schema, limits Limits, b *budgets) costCheck {
	prices, _ := lru.New[*ast.OperationDefinition, int](maxCompiled) // fails only for a size below 1
	return costCheck{schema: schema, limits: limits, budgets: b, prices: prices}
}

// price is the operation's cost, computed once for an operation whose
// cost no variable changes.
func (c costCheck) price(oc *graphql.OperationContext) int {
	if cost, ok := c.prices.Get(oc.Operation); ok {
		return cost
	}
	cost, varies := costOf(c.schema, oc.Doc, oc.Operation, oc.Variables)
	if !varies {
		c.prices.Add(oc.Operation, cost)
	}
	return cost
}

var (
	_ graphql.OperationContextMutator = costCheck{}
	_ graphql.ResponseInterceptor     = costCheck{}
)

func (costCheck) ExtensionName() string                   { return "CostCheck" }
func (costCheck) Validate(graphql.ExecutableSchema) error { return nil }

func (c costCheck) MutateOperationContext(ctx context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	m := meterFrom(ctx)
	m.cost, m.maxCost = c.price(oc), c.limits.MaxCost
	// The edge logs and measures requests by their operation and cost.
	reqinfo.From(ctx).SetOperation(reqinfo.Operation{Type: string(oc.Operation.Operation), Name: oc.Operation.Name, Cost: m.cost})
	if m.cost > c.limits.MaxCost {
		return limitError("maxCost", c.limits.MaxCost, m.cost, fmt.Sprintf("the operation costs %d points; at most %d are allowed", m.cost, c.limits.MaxCost))
	}
	if c.limits.BudgetPerMinute <= 0 {
		return nil
	}
	if err := c.budgets.spend(ctx, m, c.limits.BudgetPerMinute); err != nil {
		return &gqlerror.Error{Message: err.Error(), Err: err}
	}
	return nil
}

// InterceptResponse reports the cost in every response to a priced
// operation, refusals included.
func (costCheck) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	if m := meterFrom(ctx); m != nil && m.maxCost > 0 {
		graphql.RegisterExtension(ctx, "cost", m.report())
	}
	return next(ctx)
}
