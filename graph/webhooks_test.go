package graph_test

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"portalgraph/graph"
	"portalgraph/internal/webhook"
)

// Webhooks over HTTP: staff register an endpoint, a change is delivered to
// it signed, a failed attempt is retried after its backoff, repeated
// failure disables the endpoint with a reason staff see, and staff enable
// it and redeliver.

const (
	webhookFields      = `id url events createdBy { id } createdAt disabledAt disabledReason failures deliveries(first: 50) { totalCount edges { node { id event activityId payload attempts nextAttemptAt deliveredAt lastStatus lastError createdAt } } }`
	createWebhookDoc   = `mutation($in: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $in) { secret webhookEndpoint { ` + webhookFields + ` } } }`
	listWebhooksDoc    = `query { webhookEndpoints { totalCount edges { node { ` + webhookFields + ` } } } }`
	enableWebhookDoc   = `mutation($id: ID!) { enableWebhookEndpoint(input: {id: $id}) { webhookEndpoint { id disabledAt disabledReason failures } } }`
	deleteWebhookDoc   = `mutation($id: ID!) { deleteWebhookEndpoint(input: {id: $id}) { deletedWebhookEndpointId } }`
	redeliverDoc       = `mutation($id: ID!) { redeliverWebhook(input: {deliveryId: $id}) { delivery { id activityId payload attempts deliveredAt } } }`
	renameClientDoc    = `mutation($id: ID!, $name: String!) { updateClient(input: {id: $id, name: $name}) { client { id } } }`
	allowPrivateHooks  = true
	signatureTolerance = 5 * time.Minute
)

type webhookDelivery struct {
	ID            string  `json:"id"`
	Event         string  `json:"event"`
	ActivityID    string  `json:"activityId"`
	Payload       string  `json:"payload"`
	Attempts      int     `json:"attempts"`
	NextAttemptAt *string `json:"nextAttemptAt"`
	DeliveredAt   *string `json:"deliveredAt"`
	LastStatus    *int    `json:"lastStatus"`
	LastError     *string `json:"lastError"`
}

type webhookEndpoint struct {
	ID             string                `json:"id"`
	URL            string                `json:"url"`
	Events         []string              `json:"events"`
	CreatedBy      *idName               `json:"createdBy"`
	DisabledAt     *string               `json:"disabledAt"`
	DisabledReason *string               `json:"disabledReason"`
	Failures       int                   `json:"failures"`
	Deliveries     conn[webhookDelivery] `json:"deliveries"`
}

// receiver is an endpoint that keeps what it receives and answers with
// the status it is set to.
type receiver struct {
	*httptest.Server
	mu     sync.Mutex
	status int
	got    []received
}

type received struct {
	signature, event, delivery string
	body                       []byte
}

func newReceiver(t *testing.T) *receiver {
	r := &receiver{status: http.StatusOK}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		defer r.mu.Unlock()
		r.got = append(r.got, received{req.Header.Get(webhook.SignatureHeader), req.Header.Get("Portalgraph-Event"), req.Header.Get("Portalgraph-Delivery"), body})
		w.WriteHeader(r.status)
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *receiver) answer(status int) {
	r.mu.Lock()
	r.status = status
	r.mu.Unlock()
}

func (r *receiver) received() []received {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]received(nil), r.got...)
}

func (e *env) webhooks(t *testing.T) []webhookEndpoint {
	t.Helper()
	var got struct {
		WebhookEndpoints conn[webhookEndpoint] `json:"webhookEndpoints"`
	}
	e.as(t, "owner", listWebhooksDoc, nil).decode(t, &got)
	return got.WebhookEndpoints.nodes()
}

func (e *env) rename(t *testing.T, name string) {
	t.Helper()
	var got any
	e.as(t, "owner", renameClientDoc, vars{"id": e.f.A.ID, "name": name}).decode(t, &got)
}

func (e *env) sendWebhooks(t *testing.T, w *webhook.Worker) int {
	t.Helper()
	n, err := w.SendDue(t.Context())
	if err != nil {
		t.Fatalf("SendDue: %v", err)
	}
	return n
}

func TestWebhookDeliveries(t *testing.T) {
	t.Parallel()
	run(t, func(t *testing.T, e *env) {
		rcv := newReceiver(t)
		worker := webhook.NewWorker(e.store, webhook.Client(5*time.Second, allowPrivateHooks), e.clock.Now, slog.New(slog.NewTextHandler(io.Discard, nil)))

		var created struct {
			CreateWebhookEndpoint struct {
				Secret          string          `json:"secret"`
				WebhookEndpoint webhookEndpoint `json:"webhookEndpoint"`
			} `json:"createWebhookEndpoint"`
		}
		e.as(t, "owner", createWebhookDoc, vars{"in": map[string]any{"url": rcv.URL + "/hook", "events": []string{"UPDATED"}}}).decode(t, &created)
		secret, ep := created.CreateWebhookEndpoint.Secret, created.CreateWebhookEndpoint.WebhookEndpoint
		if !strings.HasPrefix(secret, "whsec_") || ep.URL != rcv.URL+"/hook" || ep.CreatedBy == nil || ep.CreatedBy.ID != e.f.Owner.ID {
			t.Fatalf("created %+v with secret %q", ep, secret)
		}
		equal(t, "events", ep.Events, []string{"UPDATED"})

		// A change is delivered, signed over the time and the body.
		e.clock.Advance(time.Minute)
		e.rename(t, "Acme renamed")
		if n := e.sendWebhooks(t, worker); n != 1 {
			t.Fatalf("delivered %d, want 1", n)
		}
		got := rcv.received()
		if len(got) != 1 {
			t.Fatalf("received %d requests, want 1", len(got))
		}
		if err := webhook.Verify([]byte(secret), got[0].signature, got[0].body, e.clock.Now(), signatureTolerance); err != nil {
			t.Fatalf("Verify: %v (header %q)", err, got[0].signature)
		}
		if err := webhook.Verify([]byte("whsec_other"), got[0].signature, got[0].body, e.clock.Now(), signatureTolerance); err == nil {
			t.Fatal("another secret verified the signature")
		}
		var payload struct {
			ID, Event, WorkspaceID, RecordType, RecordID, Summary string
			ClientID                                              *string
			OccurredAt                                            time.Time
		}
		if err := json.Unmarshal(got[0].body, &payload); err != nil {
			t.Fatal(err)
		}
		if payload.Event != "UPDATED" || payload.RecordType != "CLIENT" || payload.RecordID != e.f.A.ID || payload.WorkspaceID != e.f.W1.ID ||
			payload.ClientID == nil || *payload.ClientID != e.f.A.ID || !strings.HasPrefix(payload.ID, "act_") || got[0].event != "UPDATED" {
			t.Fatalf("payload %s, event header %q", got[0].body, got[0].event)
		}
		// Nothing is sent twice.
		if n := e.sendWebhooks(t, worker); n != 0 || len(rcv.received()) != 1 {
			t.Fatalf("a second run delivered %d", n)
		}
		d := e.webhooks(t)[0].Deliveries.nodes()
		if len(d) != 1 || d[0].DeliveredAt == nil || d[0].Attempts != 1 || d[0].LastStatus == nil || *d[0].LastStatus != 200 ||
			d[0].Payload != string(got[0].body) || d[0].ID != got[0].delivery || d[0].NextAttemptAt != nil {
			t.Fatalf("deliveries %+v", d)
		}

		// A 500 is retried after the backoff, not before.
		rcv.answer(http.StatusInternalServerError)
		e.rename(t, "Acme again")
		if n := e.sendWebhooks(t, worker); n != 0 {
			t.Fatalf("delivered %d to a failing endpoint", n)
		}
		d = e.webhooks(t)[0].Deliveries.nodes()
		if d[0].Attempts != 1 || d[0].DeliveredAt != nil || d[0].LastStatus == nil || *d[0].LastStatus != 500 || d[0].LastError == nil || d[0].NextAttemptAt == nil {
			t.Fatalf("failed delivery %+v", d[0])
		}
		if next, _ := time.Parse(time.RFC3339Nano, *d[0].NextAttemptAt); !next.Equal(e.clock.Now().Truncate(time.Microsecond).Add(webhook.Backoff(1))) {
			t.Fatalf("next attempt at %s, want %s after %s", *d[0].NextAttemptAt, webhook.Backoff(1), e.clock.Now())
		}
		rcv.answer(http.StatusOK)
		e.clock.Advance(webhook.Backoff(1) - time.Second)
		if n := e.sendWebhooks(t, worker); n != 0 || len(rcv.received()) != 2 {
			t.Fatalf("retried before the backoff: %d delivered, %d received", n, len(rcv.received()))
		}
		e.clock.Advance(time.Second)
		if n := e.sendWebhooks(t, worker); n != 1 || len(rcv.received()) != 3 {
			t.Fatalf("the retry delivered %d", n)
		}
		d = e.webhooks(t)[0].Deliveries.nodes()
		if d[0].Attempts != 2 || d[0].DeliveredAt == nil || d[0].LastError != nil {
			t.Fatalf("retried delivery %+v", d[0])
		}

		// Repeated failure disables the endpoint, with the reason.
		rcv.answer(http.StatusServiceUnavailable)
		for _, name := range []string{"A1", "A2", "A3"} {
			e.rename(t, name)
		}
		for range 30 {
			e.sendWebhooks(t, worker)
			e.clock.Advance(7 * time.Hour)
		}
		ep = e.webhooks(t)[0]
		if ep.DisabledAt == nil || ep.DisabledReason == nil || !strings.Contains(*ep.DisabledReason, "20 attempts in a row failed") ||
			!strings.Contains(*ep.DisabledReason, "503") || ep.Failures < webhook.DisableAfter {
			t.Fatalf("endpoint after repeated failure: %+v", ep)
		}
		// A disabled endpoint receives nothing, and no new deliveries.
		sent := len(rcv.received())
		before := e.count(t, "webhook_deliveries")
		e.rename(t, "A4")
		e.sendWebhooks(t, worker)
		if len(rcv.received()) != sent || e.count(t, "webhook_deliveries") != before {
			t.Fatal("a disabled endpoint was sent to")
		}

		// Enabled again, it receives what was still due; a redelivery is a
		// new delivery of the same body.
		rcv.answer(http.StatusOK)
		var enabled struct {
			EnableWebhookEndpoint struct {
				WebhookEndpoint webhookEndpoint `json:"webhookEndpoint"`
			} `json:"enableWebhookEndpoint"`
		}
		e.as(t, "owner", enableWebhookDoc, vars{"id": ep.ID}).decode(t, &enabled)
		if w := enabled.EnableWebhookEndpoint.WebhookEndpoint; w.DisabledAt != nil || w.DisabledReason != nil || w.Failures != 0 {
			t.Fatalf("enabled %+v", w)
		}
		first := d[len(d)-1]
		var redelivered struct {
			RedeliverWebhook struct {
				Delivery webhookDelivery `json:"delivery"`
			} `json:"redeliverWebhook"`
		}
		e.as(t, "owner", redeliverDoc, vars{"id": first.ID}).decode(t, &redelivered)
		r := redelivered.RedeliverWebhook.Delivery
		if r.ID == first.ID || r.Payload != first.Payload || r.ActivityID != first.ActivityID || r.Attempts != 0 || r.DeliveredAt != nil {
			t.Fatalf("redelivered %+v of %+v", r, first)
		}
		e.clock.Advance(time.Minute)
		e.sendWebhooks(t, worker)
		var found bool
		for _, g := range rcv.received()[sent:] {
			if g.delivery == r.ID {
				found = string(g.body) == first.Payload && webhook.Verify([]byte(secret), g.signature, g.body, e.clock.Now(), signatureTolerance) == nil
			}
		}
		if !found {
			t.Fatal("the redelivery was not received, signed")
		}

		// Deleted, the endpoint and its deliveries are gone.
		var deleted any
		e.as(t, "owner", deleteWebhookDoc, vars{"id": ep.ID}).decode(t, &deleted)
		if len(e.webhooks(t)) != 0 || e.count(t, "webhook_deliveries") != 0 {
			t.Fatal("a deleted endpoint remains")
		}
	}, func(c *graph.Config) { c.WebhooksAllowPrivate = allowPrivateHooks })
}

// Endpoints on loopback or private addresses are refused unless the
// operator allows them; only OWNER and ADMIN manage webhooks.
func TestWebhookEndpointRules(t *testing.T) {
	t.Parallel()
	run(t, func(t *testing.T, e *env) {
		for _, url := range []string{"http://127.0.0.1:8080/hook", "https://127.0.0.1/hook", "https://localhost/hook", "https://10.1.2.3/hook", "https://[::1]/hook", "ftp://example.com/x"} {
			r := e.as(t, "owner", createWebhookDoc, vars{"in": map[string]any{"url": url, "events": []string{"UPDATED"}}})
			got := r.onlyErrorAt(t, "createWebhookEndpoint", "BAD_USER_INPUT")
			if fs := got.fields(); len(fs) != 1 || !strings.HasPrefix(fs[0], "input.url: ") {
				t.Errorf("%s: fields %v", url, fs)
			}
		}
		in := map[string]any{"url": "https://hooks.example.com/x", "events": []string{"UPDATED"}}
		for _, who := range []string{"manager", "member", "viewer"} {
			e.as(t, who, createWebhookDoc, vars{"in": in}).onlyErrorAt(t, "createWebhookEndpoint", "FORBIDDEN")
			e.as(t, who, listWebhooksDoc, nil).onlyErrorAt(t, "webhookEndpoints", "FORBIDDEN")
			e.as(t, who, enableWebhookDoc, vars{"id": "whk_01J0000000000000000000000A"}).onlyErrorAt(t, "enableWebhookEndpoint", "FORBIDDEN")
			e.as(t, who, redeliverDoc, vars{"id": "whd_01J0000000000000000000000A"}).onlyErrorAt(t, "redeliverWebhook", "FORBIDDEN")
		}
		if n := e.count(t, "webhook_endpoints"); n != 0 {
			t.Fatalf("%d endpoints stored", n)
		}
	})
}
