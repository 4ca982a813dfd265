package webhook

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"portalgraph/internal/portal"
	"portalgraph/internal/sqlstore"
)

// Store is the store's side of sending: deliveries are leased while
// being sent, so several servers never send one at once.
type Store interface {
	ClaimWebhookDeliveries(ctx context.Context, now time.Time, limit int, lease time.Duration) ([]sqlstore.DueWebhook, error)
	MarkWebhookDelivered(ctx context.Context, d *portal.WebhookDelivery, now time.Time, status int) error
	MarkWebhookFailed(ctx context.Context, d *portal.WebhookDelivery, now time.Time, status *int, cause string, next *time.Time, disableAfter int) error
}

// Worker sends the deliveries that are due.
type Worker struct {
	store  Store
	client *http.Client
	now    func() time.Time
	log    *slog.Logger
}

// NewWorker sends with client (Client), at the times now tells (nil: the
// system's clock).
func NewWorker(store Store, client *http.Client, now func() time.Time, log *slog.Logger) *Worker {
	if now == nil {
		now = time.Now
	}
	return &Worker{store: store, client: client, now: now, log: log}
}

// lease is how long a claimed delivery is left to its worker: longer than
// the client's timeout.
const lease = 2 * time.Minute

// SendDue sends a batch of due deliveries and reports how many were
// delivered. A delivery is delivered when the endpoint answers 2xx;
// anything else is retried after Backoff, up to MaxAttempts.
func (w *Worker) SendDue(ctx context.Context) (int, error) {
	due, err := w.store.ClaimWebhookDeliveries(ctx, w.now(), 50, lease)
	if err != nil {
		return 0, err
	}
	delivered := 0
	for _, d := range due {
		status, err := w.send(ctx, d)
		now := w.now()
		if err == nil {
			if err := w.store.MarkWebhookDelivered(ctx, d.Delivery, now, status); err != nil {
				return delivered, err
			}
			delivered++
			continue
		}
		var next *time.Time
		if d.Delivery.Attempts < MaxAttempts {
			t := now.Add(Backoff(d.Delivery.Attempts))
			next = &t
		}
		var st *int
		if status != 0 {
			st = &status
		}
		w.log.WarnContext(ctx, "webhook delivery failed", "delivery", d.Delivery.ID, "attempt", d.Delivery.Attempts, "error", err)
		if err := w.store.MarkWebhookFailed(ctx, d.Delivery, now, st, err.Error(), next, DisableAfter); err != nil {
			return delivered, err
		}
	}
	return delivered, nil
}

// send posts the delivery's body, signed, and returns the status of the
// answer (0 when there was none).
func (w *Worker) send(ctx context.Context, d sqlstore.DueWebhook) (int, error) {
	body := []byte(d.Delivery.Payload)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.URL, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "portalgraph-webhooks")
	req.Header.Set("Portalgraph-Delivery", d.Delivery.ID)
	req.Header.Set("Portalgraph-Event", string(d.Delivery.Event))
	req.Header.Set(SignatureHeader, Sign([]byte(d.Secret), w.now(), body))
	resp, err := w.client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return resp.StatusCode, fmt.Errorf("the endpoint answered %s", resp.Status)
	}
	return resp.StatusCode, nil
}

// Run sends due deliveries every interval until ctx ends.
func (w *Worker) Run(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			if _, err := w.SendDue(ctx); err != nil && ctx.Err() == nil {
				w.log.ErrorContext(ctx, "webhook worker", "error", err)
			}
		case <-ctx.Done():
			return
		}
	}
}
