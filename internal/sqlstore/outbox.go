package sqlstore

import (
	"context"
	"fmt"
	"strings"
	"time"

	"portalgraph/internal/portal"
)

// maxMailAttempts bounds the retries of a message that keeps failing.
const maxMailAttempts = 5

// ClaimOutbox leases up to limit waiting messages to the caller. The
// messages are picked, oldest first, in a materialized CTE that locks them
// and passes over those another worker holds, so two claims neither wait
// on each other nor take the same message. Picking them in a subquery of
// the UPDATE instead deadlocked: each claim locked some of the other's
// messages in the join's order, and PostgreSQL failed one; and a subquery
// with SKIP LOCKED may run again and pick more than limit. The conditions
// are repeated in the UPDATE, re-checked against the locked rows.
func (s *Store) ClaimOutbox(ctx context.Context, limit int, lease time.Duration) ([]*portal.OutboxMessage, error) {
	now := s.now()
	q := &sqlBuf{}
	q.sql("WITH picked AS MATERIALIZED (SELECT workspace_id, id FROM outbox WHERE sent_at IS NULL AND attempts < ").arg(maxMailAttempts).
		sql(" AND (claimed_until IS NULL OR claimed_until < ").arg(now).sql(") ORDER BY created_at LIMIT ").arg(limit).sql(s.dialect.skipLocked() + ")").
		sql(" UPDATE outbox SET claimed_until = ").arg(now.Add(lease)).sql(", attempts = attempts + 1").
		sql(" WHERE sent_at IS NULL AND attempts < ").arg(maxMailAttempts).
		sql(" AND (claimed_until IS NULL OR claimed_until < ").arg(now).sql(")").
		sql(" AND (workspace_id, id) IN (SELECT workspace_id, id FROM picked)").
		sql(" RETURNING " + strings.Join(s.t.outbox.columns, ", "))
	var out []*portal.OutboxMessage
	err := selectRecords(ctx, s.db, s.t.outbox, q, nil, func(m *portal.OutboxMessage) { out = append(out, m) })
	return out, err
}

// MarkSent records a message as sent.
func (s *Store) MarkSent(ctx context.Context, m *portal.OutboxMessage) error {
	_, err := s.db.ExecContext(ctx, s.db.Rebind(`UPDATE outbox SET sent_at = ?, claimed_until = NULL, last_error = NULL WHERE workspace_id = ? AND id = ?`),
		s.now(), m.WorkspaceID, m.ID)
	if err != nil {
		return fmt.Errorf("mark mail sent: %w", err)
	}
	return nil
}

// MarkFailed releases a message that failed to send, for a later attempt.
func (s *Store) MarkFailed(ctx context.Context, m *portal.OutboxMessage, cause error) error {
	_, err := s.db.ExecContext(ctx, s.db.Rebind(`UPDATE outbox SET claimed_until = NULL, last_error = ? WHERE workspace_id = ? AND id = ?`),
		cause.Error(), m.WorkspaceID, m.ID)
	if err != nil {
		return fmt.Errorf("mark mail failed: %w", err)
	}
	return nil
}
