package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"portalgraph/internal/portal"
)

// Exports: CSVs of a client's approvals, deliverables or activity over a
// date range, asked for through the API and built in the background.
//
// The exports table is the workers' queue. A worker claims a job with a
// lease (RUNNING, lease_until, attempts counted), builds the CSV into blob
// storage and finishes the job in one transaction that also writes the
// file's row, so a job is never DONE without its file. A worker that dies
// leaves the job RUNNING until its lease runs out; then another claims it
// and builds it again from scratch. The attempt count identifies a claim:
// a worker whose lease ran out and whose job was claimed again can no
// longer finish or fail it.
//
// Jobs span workspaces, so the worker side takes no principal: an export
// is read with the view of whoever asked for it, rebuilt from the job.

// exportRetryDelay is how long a failed attempt waits before the next one.
// lease_until of a QUEUED job is the time before which it is not claimed.
const exportRetryDelay = 30 * time.Second

// exportStatementTimeout bounds the read of an export's rows on
// PostgreSQL: within the workers' default lease of five minutes.
const exportStatementTimeout = 4 * time.Minute

// RequestExport queues an export of a client's records.
func (s *Store) RequestExport(ctx context.Context, p portal.Principal, in portal.RequestExportInput) (*portal.Export, error) {
	if err := portal.MayRequestExport(p, in); err != nil {
		return nil, err
	}
	clientID := p.ClientID
	if in.ClientID != nil {
		clientID = *in.ClientID
	}
	var e *portal.Export
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		// The row is locked so the portal's exports section cannot be
		// hidden meanwhile.
		client, err := lockVisible(ctx, s, tx, s.t.clients, scope{p}.clients(), p, clientID)
		switch {
		case portal.ErrorCode(err) == portal.CodeNotFound && in.ClientID != nil:
			return portal.InvalidField("input.clientId", fmt.Sprintf("no record with id %q", clientID))
		case portal.ErrorCode(err) == portal.CodeNotFound:
			return portal.Forbidden("portal access for this account is not active")
		case err != nil:
			return err
		}
		if p.IsPortal() && !client.PortalExports {
			return portal.Forbidden("this portal does not offer exports")
		}
		now := s.now()
		e = &portal.Export{
			WorkspaceID: p.WorkspaceID, ID: portal.NewID(portal.PrefixExport, now), ClientID: client.ID,
			Kind: in.Kind, From: in.From, To: in.To, Status: portal.ExportStatusQueued, CreatedAt: now,
		}
		if p.IsStaff() {
			e.RequestedByID = ptr(p.UserID)
		} else {
			e.RequestedByContactID = ptr(p.ContactID)
		}
		if err := insert(ctx, tx, s.t.exports, e); err != nil {
			return err
		}
		return s.record(ctx, tx, p, activity{
			action: portal.ActivityActionExportRequested, recordType: portal.RecordTypeExport, recordID: e.ID, clientID: &e.ClientID,
			summary: fmt.Sprintf("Requested an export of %s from %s to %s", strings.ToLower(string(e.Kind)), e.From, e.To),
		})
	})
	if err != nil {
		return nil, err
	}
	return e, nil
}

// ExportsOfClients lists each client's exports, newest first.
func (s *Store) ExportsOfClients(ctx context.Context, p portal.Principal, clientIDs []string, page portal.PageArgs) (map[string]*portal.ExportConnection, error) {
	return fetchPages(ctx, s, list[portal.Export]{
		table: s.t.exports, rules: scope{p}.exports(), order: byCreation[portal.Export](true), id: exportID, page: page,
		parentColumn: "client_id", parentIDs: clientIDs, parentOf: func(e *portal.Export) string { return e.ClientID },
	})
}

func exportID(e *portal.Export) string { return e.ID }

// exportClaimable is the condition of a job a worker may take: queued and
// due, or running under a lease that ran out, with attempts left.
func exportClaimable(q *sqlBuf, now time.Time) {
	q.sql("((status = 'QUEUED' AND (lease_until IS NULL OR lease_until < ").arg(now).
		sql(")) OR (status = 'RUNNING' AND lease_until < ").arg(now).
		sql(")) AND attempts < ").arg(portal.MaxExportAttempts)
}

// ClaimExport leases the oldest claimable job to the caller for lease, or
// returns nil when none waits. Jobs whose last attempt's lease ran out fail
// first. On PostgreSQL, SKIP LOCKED lets servers claim side by side without
// waiting on each other or taking the same job; SQLite runs one write
// transaction at a time.
func (s *Store) ClaimExport(ctx context.Context, lease time.Duration) (*portal.Export, error) {
	var job *portal.Export
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		now := s.now()
		if err := s.failAbandonedExports(ctx, tx, now); err != nil {
			return err
		}
		q := &sqlBuf{}
		q.sql("SELECT workspace_id, id FROM exports WHERE ")
		exportClaimable(q, now)
		q.sql(" ORDER BY created_at LIMIT 1" + s.dialect.skipLocked())
		var key struct {
			WorkspaceID string `db:"workspace_id"`
			ID          string `db:"id"`
		}
		if err := tx.GetContext(ctx, &key, tx.Rebind(q.String()), q.args...); err != nil {
			if errNoRows(err) {
				return nil
			}
			return fmt.Errorf("claim export: %w", err)
		}
		u := &sqlBuf{}
		u.sql("UPDATE exports SET status = 'RUNNING', attempts = attempts + 1, lease_until = ").arg(now.Add(lease)).
			sql(" WHERE workspace_id = ").arg(key.WorkspaceID).sql(" AND id = ").arg(key.ID).
			sql(" RETURNING " + strings.Join(s.t.exports.columns, ", "))
		return selectRecords(ctx, tx, s.t.exports, u, nil, func(e *portal.Export) { job = e })
	})
	return job, err
}

// failAbandonedExports fails the jobs whose last attempt's worker stopped
// without a word: running, lease run out, no attempt left.
func (s *Store) failAbandonedExports(ctx context.Context, tx *sqlx.Tx, now time.Time) error {
	q := &sqlBuf{}
	q.sql("SELECT " + s.t.exports.selectList("a") + " FROM exports a WHERE a.status = 'RUNNING' AND a.lease_until < ").arg(now).
		sql(" AND a.attempts >= ").arg(portal.MaxExportAttempts).sql(" LIMIT 10" + s.dialect.skipLocked())
	var jobs []*portal.Export
	if err := selectRecords(ctx, tx, s.t.exports, q, nil, func(e *portal.Export) { jobs = append(jobs, e) }); err != nil {
		return err
	}
	for _, job := range jobs {
		cause := fmt.Sprintf("stopped without finishing after %d attempts", job.Attempts)
		if err := s.markExportFailed(ctx, tx, job, cause); err != nil {
			return err
		}
	}
	return nil
}

// heldExport reads a job for its worker to finish or fail, locked. A
// worker whose claim is lost — the job was claimed again after the lease
// ran out, or failed — gets CONFLICT.
func (s *Store) heldExport(ctx context.Context, tx *sqlx.Tx, job *portal.Export) (*portal.Export, error) {
	q := &sqlBuf{}
	q.sql("SELECT " + s.t.exports.selectList("a") + " FROM exports a WHERE a.workspace_id = ").arg(job.WorkspaceID).
		sql(" AND a.id = ").arg(job.ID).sql(" AND a.status = 'RUNNING' AND a.attempts = ").arg(job.Attempts).
		sql(s.dialect.forUpdate())
	var held *portal.Export
	if err := selectRecords(ctx, tx, s.t.exports, q, nil, func(e *portal.Export) { held = e }); err != nil {
		return nil, err
	}
	if held == nil {
		return nil, portal.Conflict("export %s is no longer held by this attempt", job.ID)
	}
	return held, nil
}

// FinishExport records the CSV of a claimed job and marks it DONE, in one
// transaction: the file's row and the job's status exist together or not
// at all. The caller gives the file's ID, name and what blob storage
// stored; who owns it comes from the job. A CSV asked for through the
// portal is shared with the client; one a staff member asked for is
// internal, as it may hold what the portal does not show. A worker that
// lost its claim gets CONFLICT and must drop the bytes it wrote.
func (s *Store) FinishExport(ctx context.Context, job *portal.Export, f *portal.File) error {
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		held, err := s.heldExport(ctx, tx, job)
		if err != nil {
			return err
		}
		now := s.now()
		f.WorkspaceID, f.ClientID, f.ExportID, f.SeriesID, f.Version, f.CreatedAt = held.WorkspaceID, held.ClientID, &held.ID, f.ID, 1, now
		f.ProjectID, f.DeliverableID, f.RequestID = nil, nil, nil
		f.UploadedByID, f.UploadedByContactID = held.RequestedByID, held.RequestedByContactID
		f.Visibility = portal.VisibilityInternal
		if held.RequestedByContactID != nil {
			f.Visibility = portal.VisibilityShared
		}
		if err := insert(ctx, tx, s.t.files, f); err != nil {
			return err
		}
		held.Status, held.FileID, held.Error, held.LeaseUntil, held.FinishedAt = portal.ExportStatusDone, &f.ID, nil, nil, &now
		if err := update(ctx, tx, s.t.exports, held.WorkspaceID, held.ID, held); err != nil {
			return err
		}
		*job = *held
		return s.record(ctx, tx, portal.Principal{WorkspaceID: held.WorkspaceID}, activity{
			action: portal.ActivityActionExportFinished, recordType: portal.RecordTypeExport, recordID: held.ID, clientID: &held.ClientID,
			summary: fmt.Sprintf("Finished the export of %s from %s to %s", strings.ToLower(string(held.Kind)), held.From, held.To),
		})
	})
}

// FailExport records a failed attempt. A domain error (a *portal.Error:
// the requester can no longer see the client, the CSV is too large) is
// final, since trying again changes nothing; any other cause — the
// database, blob storage — is released for another attempt after a delay,
// until the attempts run out. A worker that lost its claim gets CONFLICT.
func (s *Store) FailExport(ctx context.Context, job *portal.Export, cause error) error {
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		held, err := s.heldExport(ctx, tx, job)
		if err != nil {
			return err
		}
		final := portal.ErrorCode(cause) != portal.CodeInternal
		if final || held.Attempts >= portal.MaxExportAttempts {
			err = s.markExportFailed(ctx, tx, held, cause.Error())
		} else {
			held.Status, held.Error, held.LeaseUntil = portal.ExportStatusQueued, ptr(cause.Error()), ptr(s.now().Add(exportRetryDelay))
			err = update(ctx, tx, s.t.exports, held.WorkspaceID, held.ID, held)
		}
		*job = *held
		return err
	})
}

// markExportFailed ends a job as FAILED, with why, and records it.
func (s *Store) markExportFailed(ctx context.Context, tx *sqlx.Tx, job *portal.Export, cause string) error {
	now := s.now()
	job.Status, job.Error, job.LeaseUntil, job.FinishedAt = portal.ExportStatusFailed, &cause, nil, &now
	if err := update(ctx, tx, s.t.exports, job.WorkspaceID, job.ID, job); err != nil {
		return err
	}
	return s.record(ctx, tx, portal.Principal{WorkspaceID: job.WorkspaceID}, activity{
		action: portal.ActivityActionExportFailed, recordType: portal.RecordTypeExport, recordID: job.ID, clientID: &job.ClientID,
		summary: fmt.Sprintf("The export of %s from %s to %s failed", strings.ToLower(string(job.Kind)), job.From, job.To),
	})
}

// requester rebuilds the principal of whoever asked for an export, as they
// are now: a staff member with their current role, or a contact of the
// client. An export they can no longer see — a contact whose access was
// suspended or whose portal stopped showing exports — is refused, with a
// final error.
func (s *Store) requester(ctx context.Context, job *portal.Export) (portal.Principal, error) {
	p := portal.Principal{WorkspaceID: job.WorkspaceID}
	var err error
	switch {
	case job.RequestedByID != nil:
		p.Audience, p.UserID = portal.AudienceStaff, *job.RequestedByID
		err = s.db.GetContext(ctx, &p.Role, s.db.Rebind("SELECT role FROM users WHERE workspace_id = ? AND id = ?"), p.WorkspaceID, p.UserID)
	case job.RequestedByContactID != nil:
		p.Audience, p.ContactID = portal.AudiencePortal, *job.RequestedByContactID
		err = s.db.GetContext(ctx, &p.ClientID, s.db.Rebind("SELECT client_id FROM contacts WHERE workspace_id = ? AND id = ?"), p.WorkspaceID, p.ContactID)
	default:
		return p, portal.Forbidden("the export names no requester")
	}
	if errNoRows(err) {
		return p, portal.Forbidden("whoever asked for the export no longer exists")
	}
	if err != nil {
		return p, fmt.Errorf("read export requester: %w", err)
	}
	seen, err := byIDs(ctx, s, s.t.exports, scope{p}.exports(), []string{job.ID})
	if err != nil {
		return p, err
	}
	if len(seen) == 0 {
		return p, portal.Forbidden("whoever asked for the export can no longer see it")
	}
	return p, nil
}

// WriteExport reads the rows of a job's CSV with its requester's view and
// hands them to write one at a time, the header first: rows stream from
// the database, so an export of any size holds one row in memory.
func (s *Store) WriteExport(ctx context.Context, job *portal.Export, write func(record []string) error) error {
	p, err := s.requester(ctx, job)
	if err != nil {
		return err
	}
	var k exportKind
	switch job.Kind {
	case portal.ExportKindApprovals:
		k = approvalsExport(p, job)
	case portal.ExportKindDeliverables:
		k = deliverablesExport(p, job)
	case portal.ExportKindActivity:
		k = activityExport(p, job)
	default:
		return portal.Forbidden("%q is not a kind of export", job.Kind)
	}
	if err := write(k.header); err != nil {
		return err
	}
	var db queryer = s.reads
	if s.dialect.isPostgres() {
		// A whole client's records may take longer to read than any
		// request may (the connection's statement timeout), and are read
		// from one snapshot. SQLite reads one statement from one snapshot
		// already, and a transaction there would hold the write lock.
		tx, err := s.db.BeginTxx(ctx, &sql.TxOptions{ReadOnly: true, Isolation: sql.LevelRepeatableRead})
		if err != nil {
			return fmt.Errorf("begin export read: %w", err)
		}
		defer func() { _ = tx.Rollback() }()
		if _, err := tx.ExecContext(ctx, fmt.Sprintf("SET LOCAL statement_timeout = %d", exportStatementTimeout.Milliseconds())); err != nil {
			return fmt.Errorf("begin export read: %w", err)
		}
		db = tx
	}
	rows, err := db.QueryxContext(ctx, db.Rebind(k.query.String()), k.query.args...)
	if err != nil {
		return fmt.Errorf("read export rows: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		dest, record := k.row()
		if err := rows.Scan(dest...); err != nil {
			return fmt.Errorf("scan export row: %w", err)
		}
		if err := write(record()); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read export rows: %w", err)
	}
	return nil
}

// exportKind is what one kind of export reads: its columns, the scoped
// statement, and how one row is scanned and written.
type exportKind struct {
	header []string
	query  *sqlBuf
	// row returns the scan destinations of one row and what makes its
	// record once scanned.
	row func() ([]any, func() []string)
}

// exportRange bounds times to the job's dates: from the start of the
// first day to the end of the last, in UTC. A range to the last date there
// is has no end: the day after it is a time neither database stores alike,
// and no stored time comes after it.
func exportRange(q *sqlBuf, column string, job *portal.Export) {
	q.sql(column + " >= ").arg(job.From.Time())
	if end := job.To.AddDays(1); end.Check() == nil {
		q.sql(" AND " + column + " < ").arg(end.Time())
	}
}

// approvalsExport: the client's approvals created or due in the range,
// each with its deliverable and project and the current decisions.
func approvalsExport(p portal.Principal, job *portal.Export) exportKind {
	q := &sqlBuf{}
	q.sql("SELECT a.id, pr.name, d.title, a.title, a.status, a.round, a.due_on, a.created_at, a.resolved_at, " +
		"(SELECT string_agg(c.name || ': ' || x.outcome, '; ' ORDER BY c.name, x.id) FROM approval_decisions x " +
		"JOIN contacts c ON c.workspace_id = x.workspace_id AND c.id = x.contact_id")
	w := q.where()
	w.next().sql("x.workspace_id = a.workspace_id AND x.approval_id = a.id AND x.superseded_at IS NULL")
	scope{p}.decisions().write(w, "x")
	scope{p}.contacts().write(w, "c")
	q.sql(") FROM approvals a JOIN deliverables d ON d.workspace_id = a.workspace_id AND d.id = a.deliverable_id" +
		" JOIN projects pr ON pr.workspace_id = a.workspace_id AND pr.id = a.project_id")
	w = q.where()
	w.next().sql("a.client_id = ").arg(job.ClientID)
	scope{p}.approvals().write(w, "a")
	due := w.next().sql("((")
	exportRange(due, "a.created_at", job)
	due.sql(") OR (a.due_on >= ").arg(job.From).sql(" AND a.due_on <= ").arg(job.To).sql("))")
	q.sql(" ORDER BY a.created_at, a.id")
	return exportKind{
		header: []string{"approval_id", "project", "deliverable", "title", "status", "round", "due_on", "requested_at", "resolved_at", "decisions"},
		query:  q,
		row: func() ([]any, func() []string) {
			var id, project, deliverable, title, status string
			var round int
			var due *portal.Date
			var created time.Time
			var resolved *time.Time
			var decisions sql.NullString
			return []any{&id, &project, &deliverable, &title, &status, &round, &due, &created, &resolved, &decisions}, func() []string {
				return []string{id, project, deliverable, title, status, strconv.Itoa(round), dateCell(due), timeCell(&created), timeCell(resolved), decisions.String}
			}
		},
	}
}

// deliverablesExport: deliverables of the client's projects due or
// changed in the range.
func deliverablesExport(p portal.Principal, job *portal.Export) exportKind {
	q := &sqlBuf{}
	q.sql("SELECT a.id, pr.name, a.title, a.status, a.due_on, a.created_at, a.updated_at FROM deliverables a" +
		" JOIN projects pr ON pr.workspace_id = a.workspace_id AND pr.id = a.project_id")
	w := q.where()
	w.next().sql("pr.client_id = ").arg(job.ClientID)
	scope{p}.deliverables().write(w, "a")
	in := w.next().sql("((a.due_on >= ").arg(job.From).sql(" AND a.due_on <= ").arg(job.To).sql(") OR (")
	exportRange(in, "a.updated_at", job)
	in.sql("))")
	q.sql(" ORDER BY pr.name, a.created_at, a.id")
	return exportKind{
		header: []string{"deliverable_id", "project", "title", "status", "due_on", "created_at", "updated_at"},
		query:  q,
		row: func() ([]any, func() []string) {
			var id, project, title, status string
			var due *portal.Date
			var created, updated time.Time
			return []any{&id, &project, &title, &status, &due, &created, &updated}, func() []string {
				return []string{id, project, title, status, dateCell(due), timeCell(&created), timeCell(&updated)}
			}
		},
	}
}

// activityExport: what happened on the client's records in the range, for
// staff (the activity rules show a contact nothing).
func activityExport(p portal.Principal, job *portal.Export) exportKind {
	q := &sqlBuf{}
	q.sql("SELECT a.created_at, a.action, a.record_type, a.record_id, u.name, c.name, a.summary, a.changed_fields, a.preview" +
		" FROM activity_events a" +
		" LEFT JOIN users u ON u.workspace_id = a.workspace_id AND u.id = a.actor_user_id" +
		" LEFT JOIN contacts c ON c.workspace_id = a.workspace_id AND c.id = a.actor_contact_id")
	w := q.where()
	w.next().sql("a.client_id = ").arg(job.ClientID)
	scope{p}.activity().write(w, "a")
	exportRange(w.next(), "a.created_at", job)
	q.sql(" ORDER BY a.created_at, a.id")
	return exportKind{
		header: []string{"at", "action", "record_type", "record_id", "staff_member", "contact", "summary", "changed_fields", "preview"},
		query:  q,
		row: func() ([]any, func() []string) {
			var at time.Time
			var action, recordType, recordID, summary, changed string
			var user, contact sql.NullString
			var preview bool
			return []any{&at, &action, &recordType, &recordID, &user, &contact, &summary, &changed, &preview}, func() []string {
				return []string{timeCell(&at), action, recordType, recordID, user.String, contact.String, summary, changed, strconv.FormatBool(preview)}
			}
		},
	}
}

func dateCell(d *portal.Date) string {
	if d == nil {
		return ""
	}
	return d.String()
}

func timeCell(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}
