package sqlstore

import (
	"context"
	"errors"
	"fmt"
)

// ErrNotMigrated is Ready's answer for a database that answers but lacks
// migrations this server knows of.
var ErrNotMigrated = errors.New("the database lacks migrations")

// Ready checks, in one statement, that the database answers and has every
// migration this server knows of: what a server needs before it takes
// requests. A server migrates as it starts, but another process may have
// replaced the database since, or a newer one may not have migrated yet.
func (s *Store) Ready(ctx context.Context) error {
	all, err := loadMigrations(s.dialect.name)
	if err != nil {
		return err
	}
	q := &sqlBuf{}
	q.sql("SELECT COUNT(*) FROM schema_migrations WHERE version IN (")
	for i, m := range all {
		if i > 0 {
			q.sql(", ")
		}
		q.arg(m.version)
	}
	q.sql(")")
	var n int
	if err := s.db.GetContext(ctx, &n, s.db.Rebind(q.String()), q.args...); err != nil {
		return fmt.Errorf("read schema_migrations: %w", err)
	}
	if n < len(all) {
		return fmt.Errorf("%w: %d of %d applied", ErrNotMigrated, n, len(all))
	}
	return nil
}

// QueueDepths are how much background work waits in the database.
type QueueDepths struct {
	// Exports by status: QUEUED (waiting, or released for a retry) and
	// RUNNING (held by a worker).
	Exports map[string]int
	// MailPending is the outbox's messages still to send; MailFailed
	// those that failed every attempt and will not be tried again.
	MailPending, MailFailed int
}

// QueueDepths counts the export jobs not yet finished and the mail not
// yet sent, in two statements the queues' indexes answer (exports_queue,
// outbox_unsent), across every workspace: for metrics.
func (s *Store) QueueDepths(ctx context.Context) (QueueDepths, error) {
	out := QueueDepths{Exports: map[string]int{"QUEUED": 0, "RUNNING": 0}}
	var rows []struct {
		Status string `db:"status"`
		N      int    `db:"n"`
	}
	if err := s.db.SelectContext(ctx, &rows, `SELECT status, COUNT(*) AS n FROM exports WHERE status IN ('QUEUED', 'RUNNING') GROUP BY status`); err != nil {
		return out, fmt.Errorf("count exports: %w", err)
	}
	for _, r := range rows {
		out.Exports[r.Status] = r.N
	}
	var mail struct {
		Pending int `db:"pending"`
		Failed  int `db:"failed"`
	}
	q := s.db.Rebind(`SELECT COALESCE(SUM(CASE WHEN attempts < ? THEN 1 ELSE 0 END), 0) AS pending,
		COALESCE(SUM(CASE WHEN attempts >= ? THEN 1 ELSE 0 END), 0) AS failed
		FROM outbox WHERE sent_at IS NULL`)
	if err := s.db.GetContext(ctx, &mail, q, maxMailAttempts, maxMailAttempts); err != nil {
		return out, fmt.Errorf("count mail: %w", err)
	}
	out.MailPending, out.MailFailed = mail.Pending, mail.Failed
	return out, nil
}
