package graph

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/executor"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	coderws "github.com/coder/websocket"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"portalgraph/internal/clientaddr"
	"portalgraph/internal/live"
	"portalgraph/internal/portal"
)

// LiveConfig configures subscriptions: graphql-transport-ws over a
// WebSocket at /graphql.
type LiveConfig struct {
	// Events subscribes to the committed changes of a workspace, made
	// through any server of the database (default: the store's, when it
	// has them). Without it no WebSocket is served.
	Events func(ctx context.Context, workspaceID string, buffer int) (*live.Subscription, error)
	// Origins are the pages, besides the server's own host, allowed to
	// open a WebSocket: "https://portal.example.com" (scheme and host) or a
	// host ("portal.example.com"). A browser's connection from any other
	// origin is refused (403) before it upgrades.
	Origins []string
	// MaxSubscriptionsPerConnection bounds the subscriptions one
	// connection holds at once (default 20).
	MaxSubscriptionsPerConnection int
	// MaxConnectionsPerPrincipal bounds the connections one staff member,
	// contact or partner's key holds at once on this server (default 10).
	MaxConnectionsPerPrincipal int
	// Recheck is how often each connection checks its credentials and the
	// sections its subscriptions read, besides at once whenever any
	// server announces a change of access in its workspace (default 5s).
	Recheck time.Duration
	// InitTimeout bounds the wait for connection_init (default 10s).
	InitTimeout time.Duration
}

func (c *LiveConfig) defaults(store Store) {
	if c.Events == nil {
		if s, ok := store.(interface {
			Subscribe(ctx context.Context, workspaceID string, buffer int) (*live.Subscription, error)
		}); ok {
			c.Events = s.Subscribe
		}
	}
	if c.MaxSubscriptionsPerConnection == 0 {
		c.MaxSubscriptionsPerConnection = 20
	}
	if c.MaxConnectionsPerPrincipal == 0 {
		c.MaxConnectionsPerPrincipal = 10
	}
	if c.Recheck == 0 {
		c.Recheck = 5 * time.Second
	}
	if c.InitTimeout == 0 {
		c.InitTimeout = 10 * time.Second
	}
}

// The close codes of graphql-transport-ws this server sends.
const (
	// closeForbidden: connection_init without valid credentials, or
	// credentials that stopped being valid (signed out, suspended,
	// revoked, expired).
	closeForbidden = 4403
	// closeTooMany: the principal holds as many connections as it may.
	closeTooMany = 4429
	// closeTryLater: the credentials could not be checked now.
	closeTryLater = 1013
)

// wsExecutor runs the operations of WebSocket connections: each with the
// executor of its connection's audience, which connection_init decided.
// Only subscriptions are served over a WebSocket; queries and mutations
// go by HTTP, where their limits, CSRF rules and status codes live.
type wsExecutor struct{ h *Handler }

func (x wsExecutor) CreateOperationContext(ctx context.Context, params *graphql.RawParams) (*graphql.OperationContext, gqlerror.List) {
	c := wsConnFrom(ctx)
	p := c.principal()
	exec := x.h.wsExecs[p.Audience]
	ctx = portal.WithPrincipal(ctx, p)
	ctx = context.WithValue(ctx, meterKey{}, &meter{header: http.Header{}, key: budgetKey(p, c.addr)})
	oc, errs := exec.CreateOperationContext(ctx, params)
	if errs != nil {
		return oc, errs
	}
	if oc.Operation.Operation != ast.Subscription {
		return oc, gqlerror.List{{Message: "only subscriptions are served over a WebSocket: send queries and mutations by HTTP",
			Extensions: map[string]any{"code": string(portal.CodeBadRequest)}}}
	}
	return oc, nil
}

func (x wsExecutor) DispatchOperation(ctx context.Context, oc *graphql.OperationContext) (graphql.ResponseHandler, context.Context) {
	c := wsConnFrom(ctx)
	p := c.principal()
	ctx = portal.WithPrincipal(ctx, p)
	ctx = withLoaders(ctx, newLoaders(x.h.cfg.BatchWait, &x.h.stats, x.h.cfg.ObserveBatch))
	responses, ctx := x.h.wsExecs[p.Audience].DispatchOperation(ctx, oc)
	return func(ctx context.Context) *graphql.Response {
		// Each event is read afresh, by the principal as it is now.
		ctx = portal.WithPrincipal(ctx, c.principal())
		ctx = withLoaders(ctx, newLoaders(x.h.cfg.BatchWait, &x.h.stats, x.h.cfg.ObserveBatch))
		return responses(ctx)
	}, ctx
}

func (x wsExecutor) DispatchError(ctx context.Context, list gqlerror.List) *graphql.Response {
	p := wsConnFrom(ctx).principal()
	return x.h.wsExecs[p.Audience].DispatchError(ctx, list)
}

// isWebSocket reports whether a request asks to upgrade to a WebSocket.
func isWebSocket(r *http.Request) bool {
	return strings.EqualFold(r.Header.Get("Upgrade"), "websocket")
}

// serveWebSocket serves one graphql-transport-ws connection until it ends.
func (h *Handler) serveWebSocket(w http.ResponseWriter, r *http.Request) {
	if h.cfg.Live.Events == nil {
		h.fail(r.Context(), w, http.StatusBadRequest, portal.BadRequest("subscriptions are not served by this server"))
		return
	}
	c := &wsConn{h: h, upgrade: r, addr: clientaddr.Of(r, h.cfg.TrustedProxies), subs: map[*liveSub]struct{}{}}
	ctx, cancel := context.WithCancel(context.WithValue(r.Context(), wsConnKey{}, c))
	defer cancel()
	c.stop = cancel
	h.ws.Do(w, r.WithContext(ctx), wsExecutor{h})
	c.finish()
}

type wsConnKey struct{}

func wsConnFrom(ctx context.Context) *wsConn {
	c, _ := ctx.Value(wsConnKey{}).(*wsConn)
	return c
}

// wsConn is one WebSocket connection: who it is, its subscriptions, and
// the socket, to close with a code of the protocol.
type wsConn struct {
	h       *Handler
	upgrade *http.Request
	addr    string
	stop    context.CancelFunc

	mu      sync.Mutex
	conn    transport.WebsocketConn
	p       portal.Principal
	auth    string // the Authorization the connection was made with
	counted string // the principal's key in the count of connections
	subs    map[*liveSub]struct{}
	closed  bool
}

// liveSub is one subscription of a connection: the section it reads, and
// how it is told to end.
type liveSub struct {
	section liveSection
	end     chan *portal.Error
	once    sync.Once
}

func (s *liveSub) stop(err *portal.Error) {
	s.once.Do(func() { s.end <- err; close(s.end) })
}

func (c *wsConn) principal() portal.Principal {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.p
}

// closeWith closes the socket with a code and reason the client sees.
func (c *wsConn) closeWith(code int, reason string) {
	c.mu.Lock()
	conn, closed := c.conn, c.closed
	c.closed = true
	c.mu.Unlock()
	if closed || conn == nil {
		return
	}
	_ = conn.WriteClose(code, reason)
	_ = conn.Close()
	c.stop()
}

func (c *wsConn) finish() {
	c.mu.Lock()
	key := c.counted
	c.counted = ""
	c.closed = true
	c.mu.Unlock()
	if key != "" {
		c.h.liveConns.release(key)
	}
}

// authenticate checks the connection's credentials as a request with them
// would be now.
func (c *wsConn) authenticate(ctx context.Context, authorization string) (portal.Principal, error) {
	r := c.upgrade.Clone(ctx)
	r.Header = r.Header.Clone()
	if authorization != "" {
		r.Header.Set("Authorization", authorization)
	}
	return c.h.cfg.Authenticate(r)
}

// wsInit authenticates connection_init: its payload's Authorization
// ("Bearer …"), or else the upgrade request's header.
func (h *Handler) wsInit(ctx context.Context, payload transport.InitPayload) (context.Context, *transport.InitPayload, error) {
	c := wsConnFrom(ctx)
	refuse := func(code int, reason string, err error) (context.Context, *transport.InitPayload, error) {
		return transport.AppendCloseReason(transport.WithWebsocketCloseCode(ctx, code), reason), nil, err
	}
	authorization := payload.Authorization()
	if headers, ok := payload["headers"].(map[string]any); ok && authorization == "" {
		for k, v := range headers {
			if s, ok := v.(string); ok && strings.EqualFold(k, "Authorization") {
				authorization = s
			}
		}
	}
	p, err := c.authenticate(ctx, authorization)
	switch {
	case err != nil && h.cfg.Unavailable(err):
		return refuse(closeTryLater, "Try again later", err)
	case err != nil:
		return refuse(closeForbidden, "Forbidden", err)
	case h.wsExecs[p.Audience] == nil:
		return refuse(closeForbidden, "Forbidden", portal.Unauthenticated("sign in to subscribe"))
	}
	key := budgetKey(p, c.addr)
	if !h.liveConns.acquire(key, h.cfg.Live.MaxConnectionsPerPrincipal) {
		return refuse(closeTooMany, "Too many connections",
			portal.LimitExceeded("maxConnectionsPerPrincipal", int64(h.cfg.Live.MaxConnectionsPerPrincipal), int64(h.cfg.Live.MaxConnectionsPerPrincipal)+1, "too many WebSocket connections"))
	}
	c.mu.Lock()
	c.p, c.auth, c.counted = p, authorization, key
	c.mu.Unlock()
	h.cfg.Audit.Seen(p)
	ctx = portal.WithPrincipal(ctx, p)
	ctx = context.WithValue(ctx, clientAddrKey{}, c.addr)
	go c.watch(ctx)
	return ctx, nil, nil
}

// watch checks the connection's credentials and its subscriptions'
// sections again, every Recheck and whenever a change of access in the
// workspace is announced, until the connection ends: a session signed out
// or expired, a contact suspended, a key revoked close the socket (4403);
// a portal turned off or a section hidden ends the subscriptions that
// read it.
func (c *wsConn) watch(ctx context.Context) {
	p := c.principal()
	var changes <-chan live.Event
	if sub, err := c.h.cfg.Live.Events(ctx, p.WorkspaceID, 16); err == nil {
		defer sub.Close()
		changes = sub.C
	}
	tick := time.NewTicker(c.h.cfg.Live.Recheck)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		case ev, ok := <-changes:
			if !ok {
				changes = nil
				continue
			}
			if !ev.AccessChange() {
				continue
			}
		}
		c.recheck(ctx)
	}
}

func (c *wsConn) recheck(ctx context.Context) {
	c.mu.Lock()
	was, authorization := c.p, c.auth
	c.mu.Unlock()
	p, err := c.authenticate(ctx, authorization)
	if err != nil {
		if c.h.cfg.Unavailable(err) || portal.ErrorCode(err) != portal.CodeUnauthenticated || ctx.Err() != nil {
			return // checked again later
		}
		c.closeWith(closeForbidden, "Forbidden")
		return
	}
	if p.Audience != was.Audience || p.WorkspaceID != was.WorkspaceID {
		c.closeWith(closeForbidden, "Forbidden")
		return
	}
	c.mu.Lock()
	c.p = p
	subs := make([]*liveSub, 0, len(c.subs))
	for s := range c.subs {
		subs = append(subs, s)
	}
	c.mu.Unlock()
	for _, s := range subs {
		shown, err := c.h.resolver.sectionShown(ctx, p, s.section)
		if err == nil && !shown {
			s.stop(portal.Forbidden("the %s are no longer shown to you", s.section))
		}
	}
}

// connCount counts each principal's connections on this server.
type connCount struct {
	mu sync.Mutex
	n  map[string]int
}

func (cc *connCount) acquire(key string, limit int) bool {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	if cc.n == nil {
		cc.n = map[string]int{}
	}
	if cc.n[key] >= limit {
		return false
	}
	cc.n[key]++
	return true
}

func (cc *connCount) release(key string) {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	if cc.n[key]--; cc.n[key] <= 0 {
		delete(cc.n, key)
	}
}

// wsAccept upgrades with coder/websocket, allowing the configured origins,
// and keeps the socket on its connection so it can be closed with a code.
type wsAccept struct{ origins []string }

func (a wsAccept) Accept(w http.ResponseWriter, r *http.Request, o transport.WebsocketAcceptOptions) (transport.WebsocketConn, error) {
	// A connection lasts longer than the server's read and write
	// timeouts, whose deadlines a hijacked connection keeps: pings find
	// a peer that is gone instead.
	rc := http.NewResponseController(w)
	_ = rc.SetReadDeadline(time.Time{})
	_ = rc.SetWriteDeadline(time.Time{})
	impl := transport.CoderWebsocketImplementation{AcceptOptions: coderws.AcceptOptions{OriginPatterns: a.origins}}
	conn, err := impl.Accept(w, r, o)
	if err != nil {
		return nil, err
	}
	if c := wsConnFrom(r.Context()); c != nil {
		c.mu.Lock()
		c.conn = conn
		c.mu.Unlock()
	}
	return conn, nil
}

// originPatterns turns configured origins into coder/websocket's patterns.
func originPatterns(origins []string) []string {
	out := make([]string, 0, len(origins))
	for _, o := range origins {
		out = append(out, strings.TrimSuffix(o, "/"))
	}
	return out
}

// newWebsocket is the transport of graphql-transport-ws connections.
func (h *Handler) newWebsocket() transport.Websocket {
	return transport.Websocket{
		Implementation:   wsAccept{origins: originPatterns(h.cfg.Live.Origins)},
		InitFunc:         h.wsInit,
		InitTimeout:      h.cfg.Live.InitTimeout,
		PingPongInterval: 30 * time.Second,
		ErrorFunc: func(ctx context.Context, err error) {
			if !errors.Is(err, context.Canceled) {
				h.cfg.Logger.DebugContext(ctx, "websocket", "error", err)
			}
		},
	}
}

// liveSection is what a subscription reads, and what hiding ends it.
type liveSection string

const (
	sectionApprovals liveSection = "approvals"
	sectionRequests  liveSection = "requests"
	sectionExports   liveSection = "exports"
	sectionActivity  liveSection = "activity"
)

// sectionShown reports whether the principal is shown a section now: a
// contact where their client's portal shows it (and is on, and their
// access active: the store reads their client only then), a partner's key
// that reads it, staff always (activity is staff's alone).
func (r *Resolver) sectionShown(ctx context.Context, p portal.Principal, s liveSection) (bool, error) {
	switch {
	case p.IsStaff():
		return true, nil
	case p.IsPartner():
		switch s {
		case sectionApprovals:
			return p.Reads(portal.PartnerScopeApprovals), nil
		case sectionRequests:
			return p.Reads(portal.PartnerScopeRequests), nil
		}
		return false, nil
	case p.IsPortal():
		clients, err := r.store.ClientsByID(ctx, p, []string{p.ClientID})
		if err != nil || len(clients) == 0 {
			return false, err
		}
		c := clients[0]
		switch s {
		case sectionApprovals:
			return c.PortalApprovals, nil
		case sectionRequests:
			return c.PortalRequests, nil
		case sectionExports:
			return c.PortalExports, nil
		}
	}
	return false, nil
}

// stream serves a subscription: the events of the subscriber's workspace
// that match, each read through the subscriber's scope as it is when the
// event arrives; one the subscriber may not see is not sent.
func stream[T any](ctx context.Context, r *Resolver, section liveSection, match func(live.Event) bool,
	read func(ctx context.Context, p portal.Principal, ev live.Event) (T, bool, error)) (<-chan T, error) {
	c := wsConnFrom(ctx)
	if c == nil || r.events == nil {
		return nil, portal.BadRequest("subscriptions are served over a WebSocket (graphql-transport-ws) at /graphql")
	}
	p := c.principal()
	if shown, err := r.sectionShown(ctx, p, section); err != nil {
		return nil, err
	} else if !shown {
		return nil, portal.Forbidden("the %s are not shown to you", section)
	}
	s := &liveSub{section: section, end: make(chan *portal.Error, 1)}
	c.mu.Lock()
	if len(c.subs) >= r.maxSubscriptions {
		c.mu.Unlock()
		return nil, portal.LimitExceeded("maxSubscriptionsPerConnection", int64(r.maxSubscriptions), int64(r.maxSubscriptions)+1,
			fmt.Sprintf("a connection holds at most %d subscriptions", r.maxSubscriptions))
	}
	c.subs[s] = struct{}{}
	c.mu.Unlock()
	sub, err := r.events(ctx, p.WorkspaceID, 64)
	if err != nil {
		c.mu.Lock()
		delete(c.subs, s)
		c.mu.Unlock()
		return nil, err
	}
	out := make(chan T, 1)
	go func() {
		defer func() {
			sub.Close()
			c.mu.Lock()
			delete(c.subs, s)
			c.mu.Unlock()
			close(out)
		}()
		for {
			select {
			case <-ctx.Done():
				return
			case err := <-s.end:
				if err != nil {
					transport.AddSubscriptionError(ctx, &gqlerror.Error{Message: err.Message, Extensions: map[string]any{"code": string(err.Code)}})
				}
				return
			case ev, ok := <-sub.C:
				if !ok {
					return
				}
				if ev.ActivityID == "" || !match(ev) {
					continue
				}
				v, ok, err := read(ctx, c.principal(), ev)
				if err != nil {
					if ctx.Err() == nil {
						r.log.ErrorContext(ctx, "live event", "activity", ev.ActivityID, "error", err)
					}
					continue
				}
				if !ok {
					continue
				}
				select {
				case out <- v:
				case <-ctx.Done():
					return
				}
			}
		}
	}()
	return out, nil
}

// forClient matches the events of one client, or of all when none is named.
func forClient(clientID *string, ev live.Event) bool {
	return clientID == nil || *clientID == ev.ClientID
}

var approvalChanges = map[portal.ActivityAction]portal.ApprovalChange{
	portal.ActivityActionApprovalRequested:   portal.ApprovalChangeRequested,
	portal.ActivityActionApprovalResubmitted: portal.ApprovalChangeResubmitted,
	portal.ActivityActionDecisionRecorded:    portal.ApprovalChangeDecided,
	portal.ActivityActionApprovalResolved:    portal.ApprovalChangeResolved,
	portal.ActivityActionApprovalCancelled:   portal.ApprovalChangeCancelled,
}

var requestChanges = map[portal.ActivityAction]portal.RequestChange{
	portal.ActivityActionRequestOpened: portal.RequestChangeOpened,
	portal.ActivityActionUpdated:       portal.RequestChangeUpdated,
	portal.ActivityActionCommented:     portal.RequestChangeCommented,
}

func (r *Resolver) approvalChanged(ctx context.Context, clientID *string) (<-chan *portal.ApprovalChangedEvent, error) {
	return stream(ctx, r, sectionApprovals, func(ev live.Event) bool {
		_, ok := approvalChanges[ev.Action]
		return ev.RecordType == portal.RecordTypeApproval && ok && forClient(clientID, ev)
	}, func(ctx context.Context, p portal.Principal, ev live.Event) (*portal.ApprovalChangedEvent, bool, error) {
		got, err := r.store.ApprovalsByID(ctx, p, []string{ev.RecordID})
		if err != nil || len(got) == 0 {
			return nil, false, err
		}
		return &portal.ApprovalChangedEvent{Change: approvalChanges[ev.Action], Approval: got[0]}, true, nil
	})
}

func (r *Resolver) requestChanged(ctx context.Context, clientID *string) (<-chan *portal.RequestChangedEvent, error) {
	return stream(ctx, r, sectionRequests, func(ev live.Event) bool {
		_, ok := requestChanges[ev.Action]
		return ev.RecordType == portal.RecordTypeRequest && ok && forClient(clientID, ev)
	}, func(ctx context.Context, p portal.Principal, ev live.Event) (*portal.RequestChangedEvent, bool, error) {
		out := &portal.RequestChangedEvent{Change: requestChanges[ev.Action]}
		if ev.Action == portal.ActivityActionCommented {
			// A comment the subscriber may not see (an internal one, for
			// a contact) changed nothing they see: nothing is sent.
			comments, err := r.store.CommentsByID(ctx, p, []string{ev.DetailID})
			if err != nil || len(comments) == 0 {
				return nil, false, err
			}
			out.Comment = comments[0]
		}
		got, err := r.store.RequestsByID(ctx, p, []string{ev.RecordID})
		if err != nil || len(got) == 0 {
			return nil, false, err
		}
		out.Request = got[0]
		return out, true, nil
	})
}

func (r *Resolver) exportFinished(ctx context.Context, clientID *string) (<-chan *portal.Export, error) {
	return stream(ctx, r, sectionExports, func(ev live.Event) bool {
		return ev.RecordType == portal.RecordTypeExport && forClient(clientID, ev) &&
			(ev.Action == portal.ActivityActionExportFinished || ev.Action == portal.ActivityActionExportFailed)
	}, func(ctx context.Context, p portal.Principal, ev live.Event) (*portal.Export, bool, error) {
		got, err := r.store.ExportsByID(ctx, p, []string{ev.RecordID})
		if err != nil || len(got) == 0 {
			return nil, false, err
		}
		e := got[0]
		// A failed attempt that will be tried again has not finished.
		return e, e.Status == portal.ExportStatusDone || e.Status == portal.ExportStatusFailed, nil
	})
}

func (r *Resolver) clientActivity(ctx context.Context, clientID *string) (<-chan *portal.ActivityEvent, error) {
	return stream(ctx, r, sectionActivity, func(ev live.Event) bool {
		return ev.ClientID != "" && forClient(clientID, ev)
	}, func(ctx context.Context, p portal.Principal, ev live.Event) (*portal.ActivityEvent, bool, error) {
		got, err := r.store.ActivityByID(ctx, p, []string{ev.ActivityID})
		if err != nil || len(got) == 0 {
			return nil, false, err
		}
		return got[0], true, nil
	})
}

// newWSExecutor is the executor of an audience's subscriptions.
func newWSExecutor(es graphql.ExecutableSchema) *executor.Executor { return executor.New(es) }
