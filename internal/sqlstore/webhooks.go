package sqlstore

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"portalgraph/internal/portal"
)

// Webhooks: staff with WEBHOOKS_MANAGE register endpoints; every write's
// activity event becomes a delivery to each enabled endpoint subscribed to
// its action, written in the transaction of the write (record), and a
// worker sends the deliveries (ClaimWebhookDeliveries and what follows).

// webhooks: staff of the workspace see its endpoints and deliveries (the
// permission is checked by each method); nobody else does.
func (sc scope) webhooks() ruleSet {
	if sc.p.IsStaff() {
		return ruleSet{rules: []rule{sc.inWorkspace()}}
	}
	return nobody(sc.p.Audience)
}

// WebhookEndpoints lists the workspace's endpoints, newest first.
func (s *Store) WebhookEndpoints(ctx context.Context, p portal.Principal, page portal.PageArgs) (*portal.WebhookEndpointConnection, error) {
	if err := p.Require(portal.PermissionWebhooksManage); err != nil {
		return nil, err
	}
	return fetchPage(ctx, s, list[portal.WebhookEndpoint]{
		table: s.t.webhookEndpoints, rules: scope{p}.webhooks(), order: byCreation[portal.WebhookEndpoint](true), page: page,
		id: func(e *portal.WebhookEndpoint) string { return e.ID },
	})
}

// DeliveriesOfEndpoints lists each endpoint's deliveries, newest first.
func (s *Store) DeliveriesOfEndpoints(ctx context.Context, p portal.Principal, endpointIDs []string, page portal.PageArgs) (map[string]*portal.WebhookDeliveryConnection, error) {
	if err := p.Require(portal.PermissionWebhooksManage); err != nil {
		return nil, err
	}
	return fetchPages(ctx, s, list[portal.WebhookDelivery]{
		table: s.t.webhookDeliveries, rules: scope{p}.webhooks(), order: byCreation[portal.WebhookDelivery](true), page: page,
		id:           func(d *portal.WebhookDelivery) string { return d.ID },
		parentColumn: "endpoint_id", parentIDs: endpointIDs, parentOf: func(d *portal.WebhookDelivery) string { return d.EndpointID },
	})
}

// CreateWebhookEndpoint stores an endpoint with its secret, and records
// it. The URL is checked by the caller (webhook.CheckURL), which may
// resolve its host.
func (s *Store) CreateWebhookEndpoint(ctx context.Context, p portal.Principal, in portal.CreateWebhookEndpointInput, secret string) (*portal.WebhookEndpoint, error) {
	if err := p.Require(portal.PermissionWebhooksManage); err != nil {
		return nil, err
	}
	now := s.now()
	e := &portal.WebhookEndpoint{
		WorkspaceID: p.WorkspaceID, ID: portal.NewID(portal.PrefixWebhook, now), URL: strings.TrimSpace(in.URL),
		EventList: portal.FieldList{}, Secret: secret, CreatedByID: ptr(p.UserID), CreatedAt: now,
	}
	for _, a := range portal.AllActivityAction {
		if slices.Contains(in.Events, a) {
			e.EventList = append(e.EventList, string(a))
		}
	}
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		var n int
		if err := tx.GetContext(ctx, &n, tx.Rebind(`SELECT COUNT(*) FROM webhook_endpoints WHERE workspace_id = ?`), p.WorkspaceID); err != nil {
			return fmt.Errorf("count webhook endpoints: %w", err)
		}
		if n >= portal.MaxWebhookEndpoints {
			return portal.Conflict("the workspace has %d webhook endpoints, the most it may have: delete one first", n)
		}
		if err := insert(ctx, tx, s.t.webhookEndpoints, e); err != nil {
			return err
		}
		return s.record(ctx, tx, p, activity{
			action: portal.ActivityActionCreated, recordType: portal.RecordTypeWebhookEndpoint, recordID: e.ID,
			summary: fmt.Sprintf("Registered webhook endpoint %s for %s", e.URL, strings.ToLower(strings.Join(e.EventList, ", "))),
		})
	})
	if err != nil {
		return nil, err
	}
	return e, nil
}

// DeleteWebhookEndpoint removes an endpoint and its deliveries.
func (s *Store) DeleteWebhookEndpoint(ctx context.Context, p portal.Principal, id string) error {
	if err := p.Require(portal.PermissionWebhooksManage); err != nil {
		return err
	}
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		e, err := lockVisible(ctx, s, tx, s.t.webhookEndpoints, scope{p}.webhooks(), p, id)
		if err != nil {
			return err
		}
		for _, table := range []string{"webhook_deliveries WHERE workspace_id = ? AND endpoint_id = ?", "webhook_endpoints WHERE workspace_id = ? AND id = ?"} {
			if _, err := tx.ExecContext(ctx, tx.Rebind("DELETE FROM "+table), p.WorkspaceID, e.ID); err != nil {
				return fmt.Errorf("delete webhook endpoint: %w", err)
			}
		}
		return s.record(ctx, tx, p, activity{
			action: portal.ActivityActionArchived, recordType: portal.RecordTypeWebhookEndpoint, recordID: e.ID,
			summary: fmt.Sprintf("Deleted webhook endpoint %s", e.URL),
		})
	})
}

// EnableWebhookEndpoint clears an endpoint's disabling and its count of
// failures. Enabling an enabled endpoint changes nothing.
func (s *Store) EnableWebhookEndpoint(ctx context.Context, p portal.Principal, id string) (*portal.WebhookEndpoint, error) {
	if err := p.Require(portal.PermissionWebhooksManage); err != nil {
		return nil, err
	}
	var e *portal.WebhookEndpoint
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		var err error
		if e, err = lockVisible(ctx, s, tx, s.t.webhookEndpoints, scope{p}.webhooks(), p, id); err != nil {
			return err
		}
		if e.DisabledAt == nil {
			return nil
		}
		e.DisabledAt, e.DisabledReason, e.Failures = nil, nil, 0
		if err := update(ctx, tx, s.t.webhookEndpoints, p.WorkspaceID, e.ID, e); err != nil {
			return err
		}
		return s.record(ctx, tx, p, activity{
			action: portal.ActivityActionUpdated, recordType: portal.RecordTypeWebhookEndpoint, recordID: e.ID, changed: changes{"disabledAt"},
			summary: fmt.Sprintf("Enabled webhook endpoint %s", e.URL),
		})
	})
	if err != nil {
		return nil, err
	}
	return e, nil
}

// RedeliverWebhook copies a delivery's body into a new delivery, due now.
func (s *Store) RedeliverWebhook(ctx context.Context, p portal.Principal, deliveryID string) (*portal.WebhookDelivery, error) {
	if err := p.Require(portal.PermissionWebhooksManage); err != nil {
		return nil, err
	}
	var d *portal.WebhookDelivery
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		old, err := oneRecord(ctx, tx, s.t.webhookDeliveries, scope{p}.webhooks(), deliveryID, "")
		if err != nil {
			return err
		}
		now := s.now()
		d = &portal.WebhookDelivery{
			WorkspaceID: old.WorkspaceID, ID: portal.NewID(portal.PrefixDelivery, now), EndpointID: old.EndpointID,
			Event: old.Event, ActivityID: old.ActivityID, Payload: old.Payload, NextAttemptAt: &now, CreatedAt: now,
		}
		return insert(ctx, tx, s.t.webhookDeliveries, d)
	})
	if err != nil {
		return nil, err
	}
	return d, nil
}

// enqueueWebhooks writes a delivery of ev to every enabled endpoint of its
// workspace subscribed to its action, in db's transaction.
func (s *Store) enqueueWebhooks(ctx context.Context, db execer, ev *portal.ActivityEvent) error {
	qdb, ok := db.(queryer)
	if !ok {
		return fmt.Errorf("enqueue webhooks: %T cannot read", db)
	}
	q := &sqlBuf{}
	q.sql("SELECT " + s.t.webhookEndpoints.selectList("a") + " FROM webhook_endpoints a WHERE a.workspace_id = ").arg(ev.WorkspaceID).
		sql(" AND a.disabled_at IS NULL AND (',' || a.events || ',') LIKE ").arg("%," + string(ev.Action) + ",%")
	var endpoints []*portal.WebhookEndpoint
	if err := selectRecords(ctx, qdb, s.t.webhookEndpoints, q, nil, func(e *portal.WebhookEndpoint) { endpoints = append(endpoints, e) }); err != nil {
		return err
	}
	if len(endpoints) == 0 {
		return nil
	}
	body, err := portal.NewWebhookPayload(ev)
	if err != nil {
		return err
	}
	deliveries := make([]*portal.WebhookDelivery, len(endpoints))
	for i, e := range endpoints {
		deliveries[i] = &portal.WebhookDelivery{
			WorkspaceID: ev.WorkspaceID, ID: portal.NewID(portal.PrefixDelivery, ev.CreatedAt), EndpointID: e.ID,
			Event: ev.Action, ActivityID: ev.ID, Payload: string(body), NextAttemptAt: &ev.CreatedAt, CreatedAt: ev.CreatedAt,
		}
	}
	return insertMany(ctx, db, s.t.webhookDeliveries, deliveries)
}

// DueWebhook is a claimed delivery with where and how it is sent.
type DueWebhook struct {
	Delivery *portal.WebhookDelivery
	URL      string
	Secret   string
}

// ClaimWebhookDeliveries leases up to limit deliveries due at now, of
// enabled endpoints, to the caller: each attempt is counted and the
// delivery is not due again until the lease ends. As with the mail
// outbox (ClaimOutbox), the deliveries are picked in a materialized CTE
// that locks them and passes over those another worker holds, so claims
// on several servers neither deadlock nor take the same delivery, and the
// conditions are repeated in the UPDATE, re-checked against the locked
// rows.
func (s *Store) ClaimWebhookDeliveries(ctx context.Context, now time.Time, limit int, lease time.Duration) ([]DueWebhook, error) {
	now = now.UTC().Truncate(time.Microsecond)
	due := func(q *sqlBuf) {
		q.sql("d.delivered_at IS NULL AND d.next_attempt_at <= ").arg(now).
			sql(" AND EXISTS (SELECT 1 FROM webhook_endpoints e WHERE e.workspace_id = d.workspace_id AND e.id = d.endpoint_id AND e.disabled_at IS NULL)")
	}
	q := &sqlBuf{}
	q.sql("WITH picked AS MATERIALIZED (SELECT d.workspace_id, d.id FROM webhook_deliveries d WHERE ")
	due(q)
	q.sql(" ORDER BY d.next_attempt_at LIMIT ").arg(limit).sql(s.dialect.skipLocked() + ")")
	q.sql(" UPDATE webhook_deliveries AS d SET next_attempt_at = ").arg(now.Add(lease)).sql(", attempts = attempts + 1 WHERE ")
	due(q)
	q.sql(" AND (d.workspace_id, d.id) IN (SELECT workspace_id, id FROM picked)")
	q.sql(" RETURNING " + strings.Join(s.t.webhookDeliveries.columns, ", "))
	var claimed []*portal.WebhookDelivery
	if err := selectRecords(ctx, s.db, s.t.webhookDeliveries, q, nil, func(d *portal.WebhookDelivery) { claimed = append(claimed, d) }); err != nil {
		return nil, err
	}
	out := make([]DueWebhook, 0, len(claimed))
	for _, d := range claimed {
		var e struct {
			URL    string `db:"url"`
			Secret string `db:"secret"`
		}
		if err := s.db.GetContext(ctx, &e, s.db.Rebind(`SELECT url, secret FROM webhook_endpoints WHERE workspace_id = ? AND id = ?`), d.WorkspaceID, d.EndpointID); err != nil {
			return nil, fmt.Errorf("read webhook endpoint: %w", err)
		}
		out = append(out, DueWebhook{Delivery: d, URL: e.URL, Secret: e.Secret})
	}
	return out, nil
}

// MarkWebhookDelivered records a delivery's success, and clears its
// endpoint's count of failures.
func (s *Store) MarkWebhookDelivered(ctx context.Context, d *portal.WebhookDelivery, now time.Time, status int) error {
	now = now.UTC().Truncate(time.Microsecond)
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE webhook_deliveries SET delivered_at = ?, next_attempt_at = NULL, last_status = ?, last_error = NULL WHERE workspace_id = ? AND id = ?`),
			now, status, d.WorkspaceID, d.ID); err != nil {
			return fmt.Errorf("mark webhook delivered: %w", err)
		}
		if _, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE webhook_endpoints SET failures = 0 WHERE workspace_id = ? AND id = ?`), d.WorkspaceID, d.EndpointID); err != nil {
			return fmt.Errorf("mark webhook delivered: %w", err)
		}
		return nil
	})
}

// MarkWebhookFailed records a failed attempt: the delivery is due again at
// next, or given up when next is nil. The endpoint's failures count up,
// and reaching disableAfter disables it with the reason.
func (s *Store) MarkWebhookFailed(ctx context.Context, d *portal.WebhookDelivery, now time.Time, status *int, cause string, next *time.Time, disableAfter int) error {
	now = now.UTC().Truncate(time.Microsecond)
	if next != nil {
		n := next.UTC().Truncate(time.Microsecond)
		next = &n
	}
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE webhook_deliveries SET next_attempt_at = ?, last_status = ?, last_error = ? WHERE workspace_id = ? AND id = ?`),
			next, status, cause, d.WorkspaceID, d.ID); err != nil {
			return fmt.Errorf("mark webhook failed: %w", err)
		}
		reason := fmt.Sprintf("%d attempts in a row failed; the last, of delivery %s: %s", disableAfter, d.ID, cause)
		if _, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE webhook_endpoints SET failures = failures + 1,
			disabled_at = CASE WHEN disabled_at IS NULL AND failures + 1 >= ? THEN ? ELSE disabled_at END,
			disabled_reason = CASE WHEN disabled_at IS NULL AND failures + 1 >= ? THEN ? ELSE disabled_reason END
			WHERE workspace_id = ? AND id = ?`),
			disableAfter, now, disableAfter, reason, d.WorkspaceID, d.EndpointID); err != nil {
			return fmt.Errorf("mark webhook failed: %w", err)
		}
		return nil
	})
}
