package graph_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"portalgraph/graph"
	"portalgraph/internal/auth"
	"portalgraph/internal/portal"
	"portalgraph/internal/sqlstore"
	"portalgraph/internal/sqlstore/sqltest"
)

// Subscriptions over graphql-transport-ws, through a real WebSocket client
// against the real handler.

// wsMessage is one message of graphql-transport-ws.
type wsMessage struct {
	ID      string          `json:"id,omitempty"`
	Type    string          `json:"type"`
	Payload json.RawMessage `json:"payload,omitempty"`
}

type wsClient struct {
	t    *testing.T
	conn *websocket.Conn
	in   chan wsMessage
	// closed receives the close status the server sent, when it closes.
	closed chan websocket.StatusCode
}

// dialWS opens a graphql-transport-ws connection to a server's /graphql;
// header adds to the upgrade request.
func dialWS(t *testing.T, baseURL string, header http.Header) (*wsClient, *http.Response, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, resp, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(baseURL, "http")+"/graphql", &websocket.DialOptions{
		Subprotocols: []string{"graphql-transport-ws"}, HTTPHeader: header,
	})
	if err != nil {
		return nil, resp, err
	}
	c := &wsClient{t: t, conn: conn, in: make(chan wsMessage, 100), closed: make(chan websocket.StatusCode, 1)}
	t.Cleanup(func() { _ = conn.CloseNow() })
	go func() {
		for {
			_, b, err := conn.Read(context.Background())
			if err != nil {
				c.closed <- websocket.CloseStatus(err)
				close(c.in)
				return
			}
			var m wsMessage
			if json.Unmarshal(b, &m) != nil {
				continue
			}
			switch m.Type {
			case "ping":
				_ = conn.Write(context.Background(), websocket.MessageText, []byte(`{"type":"pong"}`))
			case "pong":
			default:
				c.in <- m
			}
		}
	}()
	return c, resp, nil
}

func (c *wsClient) send(m any) {
	c.t.Helper()
	b, _ := json.Marshal(m)
	if err := c.conn.Write(context.Background(), websocket.MessageText, b); err != nil {
		c.t.Fatalf("websocket write: %v", err)
	}
}

// connect opens a connection and sends connection_init with the token.
func (e *env) connect(t *testing.T, baseURL, token string) *wsClient {
	t.Helper()
	c, _, err := dialWS(t, baseURL, nil)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	c.send(map[string]any{"type": "connection_init", "payload": map[string]any{"Authorization": "Bearer " + token}})
	if m := c.next(5 * time.Second); m.Type != "connection_ack" {
		t.Fatalf("after connection_init: %+v, want connection_ack", m)
	}
	return c
}

// subscribe starts a subscription with the id.
func (c *wsClient) subscribe(id, query string, variables map[string]any) {
	c.t.Helper()
	c.send(map[string]any{"id": id, "type": "subscribe", "payload": map[string]any{"query": query, "variables": variables}})
}

// next is the next message, failing the test after the wait.
func (c *wsClient) next(wait time.Duration) wsMessage {
	c.t.Helper()
	select {
	case m, ok := <-c.in:
		if !ok {
			c.t.Fatalf("the connection closed (%v), want a message", c.closeStatus())
		}
		return m
	case <-time.After(wait):
		c.t.Fatalf("no message within %s", wait)
	}
	return wsMessage{}
}

// nextFor is the next message of a subscription, skipping others'.
func (c *wsClient) nextFor(id string, wait time.Duration) wsMessage {
	c.t.Helper()
	for {
		if m := c.next(wait); m.ID == id {
			return m
		}
	}
}

// quiet fails the test if a message arrives within the wait.
func (c *wsClient) quiet(wait time.Duration) {
	c.t.Helper()
	select {
	case m, ok := <-c.in:
		if ok {
			c.t.Fatalf("got %s %s, want nothing", m.Type, m.Payload)
		}
	case <-time.After(wait):
	}
}

func (c *wsClient) closeStatus() websocket.StatusCode {
	select {
	case s := <-c.closed:
		c.closed <- s
		return s
	default:
		return -1
	}
}

// closedWith waits for the server to close the connection and returns its
// status, skipping messages before.
func (c *wsClient) closedWith(wait time.Duration) websocket.StatusCode {
	c.t.Helper()
	deadline := time.After(wait)
	for {
		select {
		case _, ok := <-c.in:
			if !ok {
				return c.closeStatus()
			}
		case <-deadline:
			c.t.Fatalf("the connection is still open after %s", wait)
		}
	}
}

// data decodes a next message's data.
func (m wsMessage) data(t *testing.T, dst any) {
	t.Helper()
	if m.Type != "next" {
		t.Fatalf("got %s %s, want next", m.Type, m.Payload)
	}
	var body struct {
		Data   json.RawMessage `json:"data"`
		Errors []gqlError      `json:"errors"`
	}
	if err := json.Unmarshal(m.Payload, &body); err != nil {
		t.Fatal(err)
	}
	if len(body.Errors) > 0 {
		t.Fatalf("errors: %v", body.Errors)
	}
	if err := json.Unmarshal(body.Data, dst); err != nil {
		t.Fatal(err)
	}
}

const approvalChangedDoc = `subscription { approvalChanged { change approval { id title status deliverable { title } } } }`

type approvalChanged struct {
	ApprovalChanged struct {
		Change   string `json:"change"`
		Approval struct {
			ID          string `json:"id"`
			Title       string `json:"title"`
			Status      string `json:"status"`
			Deliverable struct {
				Title string `json:"title"`
			} `json:"deliverable"`
		} `json:"approval"`
	} `json:"approvalChanged"`
}

// liveEnv is a server whose connections check their access often, as
// tests cannot wait the default's seconds.
func liveEnv(c *graph.Config) { c.Live.Recheck = 200 * time.Millisecond }

func TestSubscriptionsSendWhatTheSubscriberSees(t *testing.T) {
	run(t, func(t *testing.T, e *env) {
		ann := e.connect(t, e.srv.URL, e.f.Tokens["aActive"])
		ann.subscribe("1", approvalChangedDoc, nil)
		ben := e.connect(t, e.srv.URL, e.f.Tokens["bActive"])
		ben.subscribe("1", approvalChangedDoc, nil)
		owner := e.connect(t, e.srv.URL, e.f.Tokens["owner"])
		owner.subscribe("a", `subscription($c: ID) { clientActivity(clientId: $c) { action recordType summary client { name } } }`, map[string]any{"c": e.f.A.ID})
		time.Sleep(200 * time.Millisecond) // the subscriptions are running

		// An approval of Ann's client is Ann's, not Ben's.
		id := e.requestApproval(t, "manager", e.sharedDeliverable(t, "Storyboard"), e.f.AActive.ID)

		var got approvalChanged
		ann.next(5*time.Second).data(t, &got)
		equal(t, "Ann's event", got.ApprovalChanged.Change+" "+got.ApprovalChanged.Approval.ID+" "+got.ApprovalChanged.Approval.Deliverable.Title,
			"REQUESTED "+id+" Storyboard")
		ann.quiet(300 * time.Millisecond)
		ben.quiet(300 * time.Millisecond)

		// Staff see the client's activity: both requests, the new
		// deliverable and each of its changes.
		var act struct {
			ClientActivity struct {
				Action string `json:"action"`
				Client struct {
					Name string `json:"name"`
				} `json:"client"`
			} `json:"clientActivity"`
		}
		owner.next(5*time.Second).data(t, &act)
		equal(t, "activity client", act.ClientActivity.Client.Name, e.f.A.Name)

		// Ann decides; staff subscribed to approvals see it.
		staff := e.connect(t, e.srv.URL, e.f.Tokens["manager"])
		staff.subscribe("s", approvalChangedDoc, nil)
		time.Sleep(200 * time.Millisecond)
		e.as(t, "aActive", decideDoc, vars{"in": map[string]any{"approvalId": id, "outcome": "APPROVED", "idempotencyKey": "live-decide-1"}})
		changes := map[string]bool{}
		for range 2 {
			var got approvalChanged
			staff.next(5*time.Second).data(t, &got)
			changes[got.ApprovalChanged.Change] = true
		}
		equal(t, "staff's events", changes, map[string]bool{"DECIDED": true, "RESOLVED": true})
	}, liveEnv)
}

func TestSubscriptionsNeverSendInternalComments(t *testing.T) {
	run(t, func(t *testing.T, e *env) {
		var opened struct {
			OpenRequest struct {
				Request struct {
					ID string `json:"id"`
				} `json:"request"`
			} `json:"openRequest"`
		}
		e.as(t, "aActive", `mutation { openRequest(input: {title: "Spanish", body: "Please"}) { request { id } } }`, nil).decode(t, &opened)
		reqID := opened.OpenRequest.Request.ID

		ann := e.connect(t, e.srv.URL, e.f.Tokens["aActive"])
		ann.subscribe("r", `subscription { requestChanged { change request { id title } comment { body } } }`, nil)
		time.Sleep(200 * time.Millisecond)
		comment := `mutation($r: ID!, $b: String!, $i: Boolean) { commentOnRequest(input: {requestId: $r, body: $b, internal: $i}) { comment { id } } }`
		e.as(t, "manager", comment, vars{"r": reqID, "b": "check the budget", "i": true}).decode(t, &map[string]any{})
		e.as(t, "manager", comment, vars{"r": reqID, "b": "on it", "i": false}).decode(t, &map[string]any{})

		var got struct {
			RequestChanged struct {
				Change  string `json:"change"`
				Comment struct {
					Body string `json:"body"`
				} `json:"comment"`
			} `json:"requestChanged"`
		}
		ann.next(5*time.Second).data(t, &got)
		equal(t, "Ann's event", got.RequestChanged.Change+": "+got.RequestChanged.Comment.Body, "COMMENTED: on it")
		ann.quiet(300 * time.Millisecond)
	}, liveEnv)
}

func TestWebSocketAuthentication(t *testing.T) {
	run(t, func(t *testing.T, e *env) {
		for name, payload := range map[string]map[string]any{
			"unknown token": {"Authorization": "Bearer pgt_nope"},
			"no token":      {},
			"suspended":     {"Authorization": "Bearer " + e.f.Tokens["aSuspended"]},
		} {
			c, _, err := dialWS(t, e.srv.URL, nil)
			if err != nil {
				t.Fatal(err)
			}
			c.send(map[string]any{"type": "connection_init", "payload": payload})
			if got := c.closedWith(5 * time.Second); got != 4403 {
				t.Errorf("%s: closed with %d, want 4403", name, got)
			}
		}

		// Queries and mutations go by HTTP.
		c := e.connect(t, e.srv.URL, e.f.Tokens["aActive"])
		c.subscribe("q", `{ viewer { audience } }`, nil)
		if m := c.nextFor("q", 5*time.Second); !strings.Contains(string(m.Payload), "only subscriptions") {
			t.Errorf("a query over the socket: %s %s", m.Type, m.Payload)
		}
		// A field of staff's is not in the portal's schema.
		c.subscribe("s", `subscription { clientActivity { id } }`, nil)
		if m := c.nextFor("s", 5*time.Second); !strings.Contains(string(m.Payload), `Cannot query field \"clientActivity\"`) {
			t.Errorf("staff's subscription as a contact: %s %s", m.Type, m.Payload)
		}

		// A subscription over HTTP is refused.
		r := e.as(t, "aActive", approvalChangedDoc, nil)
		if len(r.Errors) == 0 {
			t.Errorf("a subscription by POST answered %s", r.Raw)
		}

		// A page of another site may not open a socket.
		_, resp, err := dialWS(t, e.srv.URL, http.Header{"Origin": {"https://evil.example"}})
		if err == nil || resp == nil || resp.StatusCode != http.StatusForbidden {
			t.Errorf("a foreign origin: %v %v", err, resp)
		}
	}, liveEnv)
}

func TestWebSocketLimits(t *testing.T) {
	run(t, func(t *testing.T, e *env) {
		c := e.connect(t, e.srv.URL, e.f.Tokens["aActive"])
		c.subscribe("1", approvalChangedDoc, nil)
		time.Sleep(200 * time.Millisecond)
		c.subscribe("2", approvalChangedDoc, nil)
		if m := c.nextFor("2", 5*time.Second); !strings.Contains(string(m.Payload), "maxSubscriptionsPerConnection") {
			t.Errorf("a third subscription: %s %s", m.Type, m.Payload)
		}
		e.connect(t, e.srv.URL, e.f.Tokens["aActive"])
		third, _, err := dialWS(t, e.srv.URL, nil)
		if err != nil {
			t.Fatal(err)
		}
		third.send(map[string]any{"type": "connection_init", "payload": map[string]any{"Authorization": "Bearer " + e.f.Tokens["aActive"]}})
		if got := third.closedWith(5 * time.Second); got != 4429 {
			t.Errorf("a third connection: closed with %d, want 4429", got)
		}
	}, liveEnv, func(c *graph.Config) {
		c.Live.MaxSubscriptionsPerConnection = 1
		c.Live.MaxConnectionsPerPrincipal = 2
	})
}

func TestSubscriptionsEndWhenAccessEnds(t *testing.T) {
	run(t, func(t *testing.T, e *env) {
		// Signing out closes the socket.
		_, token := contactSession(t, e)
		c := e.connect(t, e.srv.URL, token)
		c.subscribe("1", approvalChangedDoc, nil)
		time.Sleep(100 * time.Millisecond)
		e.post(t, token, `mutation { logOut { ok } }`, nil).decode(t, &map[string]any{})
		if got := c.closedWith(5 * time.Second); got != 4403 {
			t.Errorf("signed out: closed with %d, want 4403", got)
		}

		// Hiding approvals ends the approvals subscription, not the
		// connection.
		ann := e.connect(t, e.srv.URL, e.f.Tokens["aActive"])
		ann.subscribe("1", approvalChangedDoc, nil)
		time.Sleep(100 * time.Millisecond)
		e.as(t, "owner", setPortalDoc, vars{"in": map[string]any{"clientId": e.f.A.ID, "sections": map[string]any{"approvals": false}}}).decode(t, &map[string]any{})
		if m := ann.nextFor("1", 5*time.Second); m.Type != "error" || !strings.Contains(string(m.Payload), "FORBIDDEN") {
			t.Errorf("approvals hidden: %s %s %s", m.ID, m.Type, m.Payload)
		}
		// Suspending Ann closes her socket.
		e.as(t, "owner", `mutation($id: ID!) { suspendContact(input: {contactId: $id}) { contact { id } } }`, vars{"id": e.f.AActive.ID}).decode(t, &map[string]any{})
		if got := ann.closedWith(5 * time.Second); got != 4403 {
			t.Errorf("suspended: closed with %d, want 4403", got)
		}
	}, liveEnv)
}

// contactSession signs Ann in with a session of her own, and returns its
// ID and token.
func contactSession(t *testing.T, e *env) (string, string) {
	t.Helper()
	token, hash := auth.NewToken()
	tok := &portal.AccessToken{Hash: hash, Kind: portal.TokenAPI, WorkspaceID: e.f.W1.ID, ID: portal.NewID(portal.PrefixToken, time.Now()),
		CreatedAt: time.Now().UTC(), ContactID: &e.f.AActive.ID}
	if err := e.store.CreateToken(context.Background(), tok); err != nil {
		t.Fatal(err)
	}
	return tok.ID, token
}

// Two server processes on one PostgreSQL database: a change written
// through one reaches subscribers of the other, by LISTEN/NOTIFY.
func TestSubscriptionsAcrossServers(t *testing.T) {
	t.Parallel()
	if !strings.Contains(strings.Join(sqltest.Available(), ","), "postgres") {
		t.Skip("PostgreSQL is off")
	}
	url := sqltest.URL(t, "postgres")
	ctx := context.Background()
	// Two processes' pools of two connections, and one listening: within
	// a test database's bound but for the listener.
	open := func() *sqlstore.Store {
		s, err := sqlstore.Open(ctx, url, sqlstore.WithMaxConns(2))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = s.Close() })
		return s
	}
	writer, reader := open(), open()
	e := newEnv(t, writer, liveEnv)
	second := newEnv2(t, e, reader)

	ann := e.connect(t, second, e.f.Tokens["aActive"])
	ann.subscribe("1", approvalChangedDoc, nil)
	time.Sleep(300 * time.Millisecond)
	id := e.requestApproval(t, "manager", e.sharedDeliverable(t, "Across"), e.f.AActive.ID)
	var got approvalChanged
	ann.next(5*time.Second).data(t, &got)
	equal(t, "event on the other server", got.ApprovalChanged.Approval.ID, id)

	// Signing out through the first server closes the socket on the other.
	_, token := contactSession(t, e)
	c := e.connect(t, second, token)
	c.subscribe("1", approvalChangedDoc, nil)
	time.Sleep(100 * time.Millisecond)
	e.post(t, token, `mutation { logOut { ok } }`, nil).decode(t, &map[string]any{})
	if got := c.closedWith(5 * time.Second); got != 4403 {
		t.Errorf("signed out on the other server: closed with %d, want 4403", got)
	}
}

// newEnv2 serves another store of the same database with e's
// configuration, as a second server process; it returns its URL.
func newEnv2(t *testing.T, e *env, store *sqlstore.Store) string {
	t.Helper()
	cfg := e.cfg
	authn := auth.New(store, auth.WithClock(e.clock.Now))
	cfg.Store, cfg.Authenticate, cfg.Session = store, authn.Authenticate, authn.Session
	cfg.Access = auth.NewAccess(store, auth.Options{Hold: e.holds.hold})
	cfg.Live.Events = nil
	h, err := graph.NewHandler(cfg)
	if err != nil {
		t.Fatalf("NewHandler: %v", err)
	}
	srv := httptest.NewServer(h.Mux())
	t.Cleanup(srv.Close)
	return srv.URL
}
