package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"slices"
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
		if err := s.checkLimit(ctx, tx, p.WorkspaceID, portal.LimitKindExportsPerMonth, 1); err != nil {
			return err
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
//
// The export's error is shown to staff (Export.error), so it says what
// they can act on: a domain error's message, or that the server failed.
// The cause of a server's failure may name a file path, a host or a
// statement; it is the worker's to log, never the export's to show.
func (s *Store) FailExport(ctx context.Context, job *portal.Export, cause error) error {
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		held, err := s.heldExport(ctx, tx, job)
		if err != nil {
			return err
		}
		var domain *portal.Error
		final := errors.As(cause, &domain) && domain.Code != portal.CodeInternal
		switch {
		case final:
			// Its own message, without what wrapped it on the way.
			err = s.markExportFailed(ctx, tx, held, domain.Error())
		case held.Attempts >= portal.MaxExportAttempts:
			err = s.markExportFailed(ctx, tx, held, fmt.Sprintf(
				"the export failed on the server after %d attempts; the server log has the cause under export %s", held.Attempts, held.ID))
		default:
			message := fmt.Sprintf("attempt %d of %d failed on the server; the export is tried again shortly", held.Attempts, portal.MaxExportAttempts)
			held.Status, held.Error, held.LeaseUntil = portal.ExportStatusQueued, &message, ptr(s.now().Add(exportRetryDelay))
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
		var staff staffMember
		if staff, err = s.staffMember(ctx, s.db, p.WorkspaceID, *job.RequestedByID); err != nil {
			if portal.ErrorCode(err) == portal.CodeNotFound {
				return p, portal.Forbidden("whoever asked for the export no longer exists")
			}
			return p, err
		}
		if staff.deactivated {
			return p, portal.Forbidden("whoever asked for the export was deactivated")
		}
		p = staff.Principal
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
	// As of now, their workspace's plan too.
	if p.NotInPlan, err = s.NotInPlan(ctx, p.WorkspaceID); err != nil {
		return p, err
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
// the database, so an export of any size holds one row in memory. The
// columns are those whose fields the requester's schema has (has, built
// from the schemas the API serves), so a CSV shows exactly what its
// requester's API would.
func (s *Store) WriteExport(ctx context.Context, job *portal.Export, has portal.SchemaHas, write func(record []string) error) error {
	if has == nil {
		return errors.New("write export: no schema to choose its columns by")
	}
	p, err := s.requester(ctx, job)
	if err != nil {
		return err
	}
	k, ok := exportKindOf(job.Kind, p, job)
	if !ok {
		return portal.Forbidden("%q is not a kind of export", job.Kind)
	}
	columns := k.shownTo(p.Audience, has)
	if len(columns) == 0 {
		return portal.Forbidden("an export of %s shows nothing the %s schema has", strings.ToLower(string(job.Kind)), p.Audience)
	}
	header := make([]string, len(columns))
	dest := make([]any, len(columns))
	texts := make([]func() string, len(columns))
	q := &sqlBuf{}
	q.sql("SELECT ")
	for i, c := range columns {
		if i > 0 {
			q.sql(", ")
		}
		c.expr(q)
		header[i] = c.header
		dest[i], texts[i] = c.cell()
	}
	k.from(q)
	if err := write(header); err != nil {
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
	rows, err := db.QueryxContext(ctx, db.Rebind(q.String()), q.args...)
	if err != nil {
		return fmt.Errorf("read export rows: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return fmt.Errorf("scan export row: %w", err)
		}
		record := make([]string, len(columns)) // write may keep it
		for i, text := range texts {
			record[i] = text()
		}
		if err := write(record); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read export rows: %w", err)
	}
	return nil
}

// An export shows fields of the schema, so each column names the fields it
// shows, as paths from the type of a row through its relations
// ("Deliverable.updatedAt", "Deliverable.project.name"). A requester's CSV
// has the columns whose every field their audience's schema has: what is
// internal is said once, in the schema, never here. Tests in graph hold
// the paths to the schema and require every leaf field of a row's type to
// be a column or among the kind's omitted fields, so a new field is
// exported or left out on purpose, never forgotten.

// exportKind is one kind of export: the type of its rows, its columns in
// CSV order, and the statement they are read by.
type exportKind struct {
	typeName string
	columns  []exportColumn
	// omitted names the leaf fields of the type that are no column, each
	// with why.
	omitted map[string]string
	// from writes the statement after its select list: the tables, the
	// requester's scope, the range and the order.
	from func(q *sqlBuf)
}

// exportColumn is one column of an export's CSV.
type exportColumn struct {
	header string
	// fields are the schema fields the column shows (paths); it is shown
	// to an audience whose schema has all of them.
	fields []string
	expr   func(q *sqlBuf)
	cell   cell
}

// column is an exportColumn of one field read by a plain SQL expression.
func column(header, field, expr string, c cell) exportColumn {
	return exportColumn{header: header, fields: []string{field}, expr: func(q *sqlBuf) { q.sql(expr) }, cell: c}
}

// shownTo returns the columns an audience's schema has every field of, in
// order.
func (k exportKind) shownTo(aud portal.Audience, has portal.SchemaHas) []exportColumn {
	var out []exportColumn
	for _, c := range k.columns {
		if !slices.ContainsFunc(c.fields, func(f string) bool { return !has(aud, f) }) {
			out = append(out, c)
		}
	}
	return out
}

// exportKindOf builds a kind of export for a job and its requester.
func exportKindOf(kind portal.ExportKind, p portal.Principal, job *portal.Export) (exportKind, bool) {
	switch kind {
	case portal.ExportKindApprovals:
		return approvalsExport(p, job), true
	case portal.ExportKindDeliverables:
		return deliverablesExport(p, job), true
	case portal.ExportKindActivity:
		return activityExport(p, job), true
	case portal.ExportKindReads:
		return readsExport(p, job), true
	}
	return exportKind{}, false
}

// ExportColumn is a column of an export's CSV as the schema knows it: its
// header and the fields it shows, as paths ("Deliverable.project.name").
type ExportColumn struct {
	Header string
	Fields []string
}

// ExportLayout is what a kind of export shows of the schema, for the tests
// that hold it to the schema: the type of its rows, every column in CSV
// order, and the leaf fields of the type deliberately not exported, each
// with why.
type ExportLayout struct {
	Type    string
	Columns []ExportColumn
	Omitted map[string]string
}

// ExportLayoutOf describes a kind of export; false for no such kind.
func ExportLayoutOf(kind portal.ExportKind) (ExportLayout, bool) {
	k, ok := exportKindOf(kind, portal.Principal{}, &portal.Export{})
	if !ok {
		return ExportLayout{}, false
	}
	l := ExportLayout{Type: k.typeName, Omitted: maps.Clone(k.omitted)}
	for _, c := range k.columns {
		l.Columns = append(l.Columns, ExportColumn{Header: c.header, Fields: slices.Clone(c.fields)})
	}
	return l, true
}

// ExportHeader is the header of a kind's CSV for an audience whose schema
// is has: what WriteExport writes first.
func ExportHeader(kind portal.ExportKind, aud portal.Audience, has portal.SchemaHas) []string {
	k, _ := exportKindOf(kind, portal.Principal{}, &portal.Export{})
	var out []string
	for _, c := range k.shownTo(aud, has) {
		out = append(out, c.header)
	}
	return out
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
	decisions := exportColumn{
		header: "decisions",
		fields: []string{"Approval.decisions.contact.name", "Approval.decisions.outcome"},
		expr: func(q *sqlBuf) {
			// An erased contact's decision stays, by a former contact,
			// as ApprovalDecision.decidedBy shows it.
			name := "CASE WHEN c.erased_at IS NULL THEN c.name ELSE '" + portal.FormerContact + "' END"
			q.sql("(SELECT string_agg(" + name + " || ': ' || x.outcome, '; ' ORDER BY " + name + ", x.id) FROM approval_decisions x " +
				"JOIN contacts c ON c.workspace_id = x.workspace_id AND c.id = x.contact_id")
			w := q.where()
			w.next().sql("x.workspace_id = a.workspace_id AND x.approval_id = a.id AND x.superseded_at IS NULL")
			scope{p}.decisions().write(w, "x")
			scope{p}.contactsOwn().write(w, "c")
			q.sql(")")
		},
		cell: textCell,
	}
	return exportKind{
		typeName: "Approval",
		columns: []exportColumn{
			column("approval_id", "Approval.id", "a.id", textCell),
			column("project", "Approval.deliverable.project.name", "pr.name", textCell),
			column("deliverable", "Approval.deliverable.title", "d.title", textCell),
			column("title", "Approval.title", "a.title", textCell),
			column("status", "Approval.status", "a.status", textCell),
			column("round", "Approval.round", "a.round", intCell),
			column("due_on", "Approval.dueOn", "a.due_on", dateCell),
			column("requested_at", "Approval.createdAt", "a.created_at", timeCell),
			column("resolved_at", "Approval.resolvedAt", "a.resolved_at", timeCell),
			decisions,
		},
		omitted: map[string]string{
			"Approval.message":       "the note staff send the approvers with the request: prose for the portal, not a value to tabulate",
			"Approval.policy":        "how decisions add up; the status column holds the outcome",
			"Approval.internalNotes": "staff's working notes: prose, not a value to tabulate",
			"Approval.remindedAt":    "when staff last nudged the approvers: a step of the workflow, not of its outcome",
		},
		from: func(q *sqlBuf) {
			q.sql(" FROM approvals a JOIN deliverables d ON d.workspace_id = a.workspace_id AND d.id = a.deliverable_id" +
				" JOIN projects pr ON pr.workspace_id = a.workspace_id AND pr.id = a.project_id")
			w := q.where()
			w.next().sql("a.client_id = ").arg(job.ClientID)
			scope{p}.approvals().write(w, "a")
			due := w.next().sql("((")
			exportRange(due, "a.created_at", job)
			due.sql(") OR (a.due_on >= ").arg(job.From).sql(" AND a.due_on <= ").arg(job.To).sql("))")
			q.sql(" ORDER BY a.created_at, a.id")
		},
	}
}

// deliverablesExport: deliverables of the client's projects due or
// changed in the range.
func deliverablesExport(p portal.Principal, job *portal.Export) exportKind {
	return exportKind{
		typeName: "Deliverable",
		columns: []exportColumn{
			column("deliverable_id", "Deliverable.id", "a.id", textCell),
			column("project", "Deliverable.project.name", "pr.name", textCell),
			column("title", "Deliverable.title", "a.title", textCell),
			column("status", "Deliverable.status", "a.status", textCell),
			column("due_on", "Deliverable.dueOn", "a.due_on", dateCell),
			column("created_at", "Deliverable.createdAt", "a.created_at", timeCell),
			column("updated_at", "Deliverable.updatedAt", "a.updated_at", timeCell),
		},
		omitted: map[string]string{
			"Deliverable.description": "prose for the portal, not a value to tabulate",
			"Deliverable.visibility":  "whether it is shared: a contact's CSV holds shared deliverables only, and staff set sharing in the app",
		},
		from: func(q *sqlBuf) {
			q.sql(" FROM deliverables a JOIN projects pr ON pr.workspace_id = a.workspace_id AND pr.id = a.project_id")
			w := q.where()
			w.next().sql("pr.client_id = ").arg(job.ClientID)
			scope{p}.deliverables().write(w, "a")
			in := w.next().sql("((a.due_on >= ").arg(job.From).sql(" AND a.due_on <= ").arg(job.To).sql(") OR (")
			exportRange(in, "a.updated_at", job)
			in.sql("))")
			q.sql(" ORDER BY pr.name, a.created_at, a.id")
		},
	}
}

// activityExport: what happened on the client's records in the range, for
// staff (the activity rules show a contact nothing).
func activityExport(p portal.Principal, job *portal.Export) exportKind {
	return exportKind{
		typeName: "ActivityEvent",
		columns: []exportColumn{
			column("at", "ActivityEvent.createdAt", "a.created_at", timeCell),
			column("action", "ActivityEvent.action", "a.action", textCell),
			column("record_type", "ActivityEvent.recordType", "a.record_type", textCell),
			column("record_id", "ActivityEvent.recordId", "a.record_id", textCell),
			column("staff_member", "ActivityEvent.actorUser.name", "u.name", textCell),
			column("contact", "ActivityEvent.actorContact.name", "c.name", textCell),
			column("summary", "ActivityEvent.summary", "a.summary", textCell),
			column("changed_fields", "ActivityEvent.changedFields", "a.changed_fields", textCell),
			column("preview", "ActivityEvent.preview", "a.preview", boolCell),
		},
		omitted: map[string]string{
			"ActivityEvent.id": "an event is told by when, what and who; its ID serves only the API",
		},
		from: func(q *sqlBuf) {
			q.sql(" FROM activity_events a" +
				" LEFT JOIN users u ON u.workspace_id = a.workspace_id AND u.id = a.actor_user_id" +
				" LEFT JOIN contacts c ON c.workspace_id = a.workspace_id AND c.id = a.actor_contact_id")
			w := q.where()
			w.next().sql("a.client_id = ").arg(job.ClientID)
			scope{p}.activity().write(w, "a")
			exportRange(w.next(), "a.created_at", job)
			q.sql(" ORDER BY a.created_at, a.id")
		},
	}
}

// readsExport: what portal contacts and partner keys read of the client's
// records in the range, for staff whose role grants AUDIT_READ (the rules
// show anyone else nothing).
func readsExport(p portal.Principal, job *portal.Export) exportKind {
	return exportKind{
		typeName: "ReadEvent",
		columns: []exportColumn{
			column("at", "ReadEvent.at", "a.created_at", timeCell),
			column("contact", "ReadEvent.contact.name", "c.name", textCell),
			column("preview", "ReadEvent.preview", "a.preview_by IS NOT NULL", boolCell),
			column("partner_key_id", "ReadEvent.partnerKeyId", "a.partner_key_id", textCell),
			column("operation", "ReadEvent.operationName", "a.operation_name", textCell),
			column("record_type", "ReadEvent.recordType", "a.record_type", textCell),
			column("record_ids", "ReadEvent.recordIds", "a.record_ids", textCell),
		},
		omitted: map[string]string{
			"ReadEvent.id": "an event is told by when, who and what; its ID serves only the API",
		},
		from: func(q *sqlBuf) {
			q.sql(" FROM read_events a LEFT JOIN contacts c ON c.workspace_id = a.workspace_id AND c.id = a.contact_id")
			w := q.where()
			w.next().sql("a.client_id = ").arg(job.ClientID)
			scope{p}.readEvents().write(w, "a")
			exportRange(w.next(), "a.created_at", job)
			q.sql(" ORDER BY a.created_at, a.id")
		},
	}
}

// cell makes a column's scan destination and what writes its value as
// text; NULL is the empty cell.
type cell func() (dest any, text func() string)

func textCell() (any, func() string) {
	var v sql.NullString
	return &v, func() string { return v.String }
}

func intCell() (any, func() string) {
	var v sql.NullInt64
	return &v, func() string {
		if !v.Valid {
			return ""
		}
		return strconv.FormatInt(v.Int64, 10)
	}
}

func boolCell() (any, func() string) {
	var v sql.NullBool
	return &v, func() string {
		if !v.Valid {
			return ""
		}
		return strconv.FormatBool(v.Bool)
	}
}

func dateCell() (any, func() string) {
	var v *portal.Date
	return &v, func() string {
		if v == nil {
			return ""
		}
		return v.String()
	}
}

// timeCell writes times in UTC, RFC 3339.
func timeCell() (any, func() string) {
	var v *time.Time
	return &v, func() string {
		if v == nil {
			return ""
		}
		return v.UTC().Format(time.RFC3339)
	}
}
