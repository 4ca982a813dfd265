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

// Deleting records (README, "Deleting records"). Projects, deliverables,
// approvals, reports and requests are deleted softly: the record and what
// hangs below it get the same deleted_at, deleted_by and deleted_with (the
// ID of the record whose deletion it was) in one transaction, every read
// hides them from then on (notDeleted in scope.go), RestoreRecord brings
// back exactly what one deletion took for 30 days, and PurgeDeleted then
// removes them for good. Notes and comments are deleted at once, for good.
// A contact is erased: their personal data goes, the row stays as a
// tombstone for the foreign keys of what they did.

// softTable is a table whose rows a deletion marks.
type softTable struct {
	name       string
	recordType portal.RecordType
	// title is the column deletedRecords shows.
	title string
}

var (
	softProjects     = softTable{"projects", portal.RecordTypeProject, "name"}
	softDeliverables = softTable{"deliverables", portal.RecordTypeDeliverable, "title"}
	softApprovals    = softTable{"approvals", portal.RecordTypeApproval, "title"}
	softDecisions    = softTable{"approval_decisions", portal.RecordTypeDecision, ""}
	softFiles        = softTable{"files", portal.RecordTypeFile, ""}
	softReports      = softTable{"reports", portal.RecordTypeReport, "title"}
	softRequests     = softTable{"client_requests", portal.RecordTypeRequest, "title"}
	softComments     = softTable{"request_comments", portal.RecordTypeComment, ""}

	// softTables is every table a deletion marks, in the order a restore
	// takes them: approvals before deliverables before projects, the
	// order of the store's row locks.
	softTables = []softTable{softApprovals, softDecisions, softDeliverables, softProjects, softFiles, softReports, softRequests, softComments}

	// restorable are the types deletedRecords lists and RestoreRecord
	// takes: the roots of deletions.
	restorable = []softTable{softProjects, softDeliverables, softApprovals, softReports, softRequests}
)

func restorableOf(id string) (softTable, bool) {
	for _, t := range restorable {
		if portal.HasPrefix(id, prefixOf(t.recordType)) {
			return t, true
		}
	}
	return softTable{}, false
}

func prefixOf(rt portal.RecordType) string {
	switch rt {
	case portal.RecordTypeProject:
		return portal.PrefixProject
	case portal.RecordTypeDeliverable:
		return portal.PrefixDeliverable
	case portal.RecordTypeApproval:
		return portal.PrefixApproval
	case portal.RecordTypeReport:
		return portal.PrefixReport
	case portal.RecordTypeRequest:
		return portal.PrefixRequest
	}
	return ""
}

// takes is one step of a deletion: the rows of table that meet cond (SQL
// over the table's own columns, its arguments after it) are marked.
type takes struct {
	table softTable
	cond  string
	args  []any
}

// deletion marks a record and what it takes along, in the order of steps,
// within tx. Rows already deleted keep their own deletion. The root's step
// must mark its one row; when it marks none, the record was deleted by a
// concurrent request, and nothing of this deletion stands.
func (s *Store) deletion(ctx context.Context, tx *sqlx.Tx, p portal.Principal, root string, now time.Time, steps []takes) error {
	for _, st := range steps {
		args := append([]any{now, p.UserID, root, p.WorkspaceID}, st.args...)
		res, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE `+st.table.name+` SET deleted_at = ?, deleted_by = ?, deleted_with = ?
			WHERE workspace_id = ? AND deleted_at IS NULL AND `+st.cond), args...)
		if err != nil {
			return fmt.Errorf("delete %s: %w", st.table.name, err)
		}
		if st.cond == "id = ?" && st.args[0] == root {
			if n, err := res.RowsAffected(); err != nil {
				return fmt.Errorf("delete %s: %w", st.table.name, err)
			} else if n != 1 {
				return portal.NotFound(root)
			}
		}
	}
	return nil
}

// decisionsTaken are the decisions of the approvals a deletion took.
func decisionsTaken(workspaceID, root string) takes {
	return takes{softDecisions, "approval_id IN (SELECT id FROM approvals WHERE workspace_id = ? AND deleted_with = ?)", []any{workspaceID, root}}
}

// DeleteProject deletes a project with its deliverables, their approvals
// and decisions, and the project's files and reports.
func (s *Store) DeleteProject(ctx context.Context, p portal.Principal, id string) (*portal.DeleteProjectPayload, error) {
	if err := p.Require(portal.PermissionProjectsDelete); err != nil {
		return nil, err
	}
	now := s.now()
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		pr, err := readRecord(ctx, tx, s.t.projects, p.WorkspaceID, id)
		if err != nil {
			return err
		}
		if err := s.deletion(ctx, tx, p, pr.ID, now, []takes{
			{softApprovals, "project_id = ?", []any{pr.ID}},
			decisionsTaken(p.WorkspaceID, pr.ID),
			{softDeliverables, "project_id = ?", []any{pr.ID}},
			{softProjects, "id = ?", []any{pr.ID}},
			// A deliverable's files carry its project too.
			{softFiles, "project_id = ?", []any{pr.ID}},
			{softReports, "project_id = ?", []any{pr.ID}},
		}); err != nil {
			return err
		}
		return s.record(ctx, tx, p, activity{
			action: portal.ActivityActionDeleted, recordType: portal.RecordTypeProject, recordID: pr.ID, clientID: &pr.ClientID,
			summary: "Deleted project " + pr.Name + " with its deliverables, approvals, files and reports",
		})
	})
	if err != nil {
		return nil, err
	}
	return &portal.DeleteProjectPayload{DeletedProjectID: id, RestorableUntil: now.Add(portal.RestoreWindow)}, nil
}

// DeleteDeliverable deletes a deliverable with its approvals, their
// decisions, and its files.
func (s *Store) DeleteDeliverable(ctx context.Context, p portal.Principal, id string) (*portal.DeleteDeliverablePayload, error) {
	if err := p.Require(portal.PermissionDeliverablesDelete); err != nil {
		return nil, err
	}
	now := s.now()
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		d, err := readRecord(ctx, tx, s.t.deliverables, p.WorkspaceID, id)
		if err != nil {
			return err
		}
		if err := s.deletion(ctx, tx, p, d.ID, now, []takes{
			{softApprovals, "deliverable_id = ?", []any{d.ID}},
			decisionsTaken(p.WorkspaceID, d.ID),
			{softDeliverables, "id = ?", []any{d.ID}},
			{softFiles, "deliverable_id = ?", []any{d.ID}},
		}); err != nil {
			return err
		}
		client, err := s.projectClientAny(ctx, tx, p.WorkspaceID, d.ProjectID)
		if err != nil {
			return err
		}
		return s.record(ctx, tx, p, activity{
			action: portal.ActivityActionDeleted, recordType: portal.RecordTypeDeliverable, recordID: d.ID, clientID: &client,
			summary: "Deleted deliverable " + d.Title + " with its approvals and files",
		})
	})
	if err != nil {
		return nil, err
	}
	return &portal.DeleteDeliverablePayload{DeletedDeliverableID: id, RestorableUntil: now.Add(portal.RestoreWindow)}, nil
}

// DeleteApproval deletes an approval with its decisions. The deliverable's
// status is left as it is: cancelApproval is how a pending approval is
// withdrawn.
func (s *Store) DeleteApproval(ctx context.Context, p portal.Principal, id string) (*portal.DeleteApprovalPayload, error) {
	if err := p.Require(portal.PermissionApprovalsDelete); err != nil {
		return nil, err
	}
	now := s.now()
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		a, err := lockVisible(ctx, s, tx, s.t.approvals, scope{p}.approvals(), p, id)
		if err != nil {
			return err
		}
		if err := s.deletion(ctx, tx, p, a.ID, now, []takes{
			{softApprovals, "id = ?", []any{a.ID}},
			{softDecisions, "approval_id = ?", []any{a.ID}},
		}); err != nil {
			return err
		}
		return s.record(ctx, tx, p, activity{
			action: portal.ActivityActionDeleted, recordType: portal.RecordTypeApproval, recordID: a.ID, clientID: &a.ClientID,
			summary: "Deleted approval " + a.Title + " with its decisions",
		})
	})
	if err != nil {
		return nil, err
	}
	return &portal.DeleteApprovalPayload{DeletedApprovalID: id, RestorableUntil: now.Add(portal.RestoreWindow)}, nil
}

// DeleteReport deletes a report.
func (s *Store) DeleteReport(ctx context.Context, p portal.Principal, id string) (*portal.DeleteReportPayload, error) {
	if err := p.Require(portal.PermissionReportsDelete); err != nil {
		return nil, err
	}
	now := s.now()
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		r, err := lockVisible(ctx, s, tx, s.t.reports, scope{p}.reports(), p, id)
		if err != nil {
			return err
		}
		if err := s.deletion(ctx, tx, p, r.ID, now, []takes{{softReports, "id = ?", []any{r.ID}}}); err != nil {
			return err
		}
		return s.record(ctx, tx, p, activity{
			action: portal.ActivityActionDeleted, recordType: portal.RecordTypeReport, recordID: r.ID, clientID: &r.ClientID,
			summary: "Deleted report " + r.Title,
		})
	})
	if err != nil {
		return nil, err
	}
	return &portal.DeleteReportPayload{DeletedReportID: id, RestorableUntil: now.Add(portal.RestoreWindow)}, nil
}

// DeleteRequest deletes a client request with its comments and files.
func (s *Store) DeleteRequest(ctx context.Context, p portal.Principal, id string) (*portal.DeleteRequestPayload, error) {
	if err := p.Require(portal.PermissionRequestsDelete); err != nil {
		return nil, err
	}
	now := s.now()
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		r, err := lockVisible(ctx, s, tx, s.t.requests, scope{p}.requests(), p, id)
		if err != nil {
			return err
		}
		if err := s.deletion(ctx, tx, p, r.ID, now, []takes{
			{softRequests, "id = ?", []any{r.ID}},
			{softComments, "request_id = ?", []any{r.ID}},
			{softFiles, "request_id = ?", []any{r.ID}},
		}); err != nil {
			return err
		}
		return s.record(ctx, tx, p, activity{
			action: portal.ActivityActionDeleted, recordType: portal.RecordTypeRequest, recordID: r.ID, clientID: &r.ClientID,
			summary: "Deleted request " + r.Title + " with its comments and files",
		})
	})
	if err != nil {
		return nil, err
	}
	return &portal.DeleteRequestPayload{DeletedRequestID: id, RestorableUntil: now.Add(portal.RestoreWindow)}, nil
}

// projectClientAny is the client of a project, deleted or not.
func (s *Store) projectClientAny(ctx context.Context, tx *sqlx.Tx, workspaceID, projectID string) (string, error) {
	var client string
	if err := tx.GetContext(ctx, &client, tx.Rebind(`SELECT client_id FROM projects WHERE workspace_id = ? AND id = ?`), workspaceID, projectID); err != nil {
		return "", fmt.Errorf("read project: %w", err)
	}
	return client, nil
}

// deletedRow is what a restore reads of a deleted record.
type deletedRow struct {
	ClientID    string     `db:"client_id"`
	Title       string     `db:"title"`
	DeletedAt   *time.Time `db:"deleted_at"`
	DeletedWith *string    `db:"deleted_with"`
	// Parent is the record it belongs to that may be deleted on its own:
	// a deliverable's project, an approval's deliverable, a report's
	// project.
	Parent *string `db:"parent"`
}

// RestoreRecord brings back a soft-deleted record with exactly what its
// deletion took along, within 30 days of the deletion, and only while
// what it belongs to is not deleted itself.
func (s *Store) RestoreRecord(ctx context.Context, p portal.Principal, id string) (*portal.RestoreRecordPayload, error) {
	t, ok := restorableOf(id)
	if !ok {
		return nil, portal.InvalidField("input.id", "not the ID of a project, deliverable, approval, report or request")
	}
	if err := p.Require(portal.DeletePermission(t.recordType)); err != nil {
		return nil, err
	}
	parent := map[string]string{
		"projects": "NULL", "deliverables": "project_id", "approvals": "deliverable_id", "reports": "project_id", "client_requests": "NULL",
	}[t.name]
	parentTable := map[string]string{"deliverables": "projects", "approvals": "deliverables", "reports": "projects"}[t.name]
	client := "client_id"
	if t.name == "deliverables" {
		client = "(SELECT pr.client_id FROM projects pr WHERE pr.workspace_id = a.workspace_id AND pr.id = a.project_id)"
	}
	now := s.now()
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		var rows []deletedRow
		err := tx.SelectContext(ctx, &rows, tx.Rebind(`SELECT `+client+` AS client_id, a.`+t.title+` AS title, a.deleted_at, a.deleted_with, `+parent+` AS parent
			FROM `+t.name+` a WHERE a.workspace_id = ? AND a.id = ?`+s.dialect.forUpdate()), p.WorkspaceID, id)
		if err != nil {
			return fmt.Errorf("read %s: %w", t.name, err)
		}
		if len(rows) == 0 {
			return portal.NotFound(id)
		}
		r := rows[0]
		switch {
		case r.DeletedAt == nil:
			return portal.InvalidField("input.id", "the record is not deleted")
		case r.DeletedWith == nil || *r.DeletedWith != id:
			return portal.InvalidField("input.id", fmt.Sprintf("the record was deleted with %s: restore that instead", deref(r.DeletedWith)))
		case !now.Before(r.DeletedAt.Add(portal.RestoreWindow)):
			return portal.InvalidField("input.id", fmt.Sprintf("the record can no longer be restored: that ended at %s, 30 days after its deletion", r.DeletedAt.Add(portal.RestoreWindow).UTC().Format(time.RFC3339)))
		}
		if r.Parent != nil {
			var n int
			if err := tx.GetContext(ctx, &n, tx.Rebind(`SELECT COUNT(*) FROM `+parentTable+` WHERE workspace_id = ? AND id = ? AND deleted_at IS NOT NULL`), p.WorkspaceID, *r.Parent); err != nil {
				return fmt.Errorf("read %s: %w", parentTable, err)
			}
			if n > 0 {
				return portal.InvalidField("input.id", fmt.Sprintf("what the record belongs to, %s, is deleted: restore that first", *r.Parent))
			}
		}
		if t.name == "approvals" {
			// One pending approval per deliverable, as requestApproval keeps it.
			var deliverable string
			var status portal.ApprovalStatus
			if err := tx.QueryRowxContext(ctx, tx.Rebind(`SELECT deliverable_id, status FROM approvals WHERE workspace_id = ? AND id = ?`), p.WorkspaceID, id).Scan(&deliverable, &status); err != nil {
				return fmt.Errorf("read approval: %w", err)
			}
			if status == portal.ApprovalStatusPending {
				if err := s.noPendingApproval(ctx, tx, p, deliverable); err != nil {
					return err
				}
			}
		}
		for _, st := range softTables {
			if _, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE `+st.name+` SET deleted_at = NULL, deleted_by = NULL, deleted_with = NULL
				WHERE workspace_id = ? AND deleted_with = ?`), p.WorkspaceID, id); err != nil {
				return fmt.Errorf("restore %s: %w", st.name, err)
			}
		}
		return s.record(ctx, tx, p, activity{
			action: portal.ActivityActionRestored, recordType: t.recordType, recordID: id, clientID: &r.ClientID,
			summary: "Restored " + strings.ToLower(string(t.recordType)) + " " + r.Title + " with what its deletion took along",
		})
	})
	if err != nil {
		return nil, err
	}
	out := &portal.RestoreRecordPayload{RecordType: t.recordType, RestoredID: id}
	out.Record, err = s.restored(ctx, p, t, id)
	return out, err
}

// restored reads a restored record for the payload.
func (s *Store) restored(ctx context.Context, p portal.Principal, t softTable, id string) (portal.Node, error) {
	ids := []string{id}
	first := func(n int, at func(int) portal.Node) portal.Node {
		if n == 0 {
			return nil
		}
		return at(0)
	}
	switch t.recordType {
	case portal.RecordTypeProject:
		recs, err := s.ProjectsByID(ctx, p, ids)
		return first(len(recs), func(i int) portal.Node { return recs[i] }), err
	case portal.RecordTypeDeliverable:
		recs, err := s.DeliverablesByID(ctx, p, ids)
		return first(len(recs), func(i int) portal.Node { return recs[i] }), err
	case portal.RecordTypeApproval:
		recs, err := s.ApprovalsByID(ctx, p, ids)
		return first(len(recs), func(i int) portal.Node { return recs[i] }), err
	case portal.RecordTypeReport:
		recs, err := s.ReportsByID(ctx, p, ids)
		return first(len(recs), func(i int) portal.Node { return recs[i] }), err
	case portal.RecordTypeRequest:
		recs, err := s.RequestsByID(ctx, p, ids)
		return first(len(recs), func(i int) portal.Node { return recs[i] }), err
	}
	return nil, nil
}

// deletedRecordsTable is the roots of the deletions of every restorable
// type, as one table for a list to page through.
var deletedRecordsTable = func() table[portal.DeletedRecord] {
	var parts []string
	for _, t := range restorable {
		parts = append(parts, "SELECT '"+string(t.recordType)+"' AS record_type, workspace_id, id, "+t.title+
			" AS title, deleted_at, deleted_by FROM "+t.name+" WHERE deleted_with = id")
	}
	return newTable[portal.DeletedRecord]("("+strings.Join(parts, " UNION ALL ")+")", "")
}()

// DeletedRecords lists the deletions that can still be restored, of the
// types the staff member may delete, most recent first.
func (s *Store) DeletedRecords(ctx context.Context, p portal.Principal, page portal.PageArgs) (*portal.DeletedRecordConnection, error) {
	var types []string
	for _, t := range restorable {
		if p.Can(portal.DeletePermission(t.recordType)) {
			types = append(types, string(t.recordType))
		}
	}
	if !p.IsStaff() || (len(types) == 0 && !p.Can(portal.PermissionContactsDelete) && !p.Can(portal.PermissionNotesDelete) && !p.Can(portal.PermissionCommentsDelete)) {
		return nil, portal.Forbidden("a permission to delete records is required")
	}
	since := s.now().Add(-portal.RestoreWindow)
	rules := ruleSet{rules: []rule{scope{p}.inWorkspace(),
		{name: "of a type the staff member may delete", cond: func(q *sqlBuf, a string) {
			if len(types) == 0 {
				q.sql("1 = 0")
				return
			}
			q.sql(a + ".record_type IN (" + placeholders(q, types) + ")")
		}},
		{name: "still restorable", cond: func(q *sqlBuf, a string) { q.sql(a + ".deleted_at > ").arg(since) }},
	}}
	return fetchPage(ctx, s, list[portal.DeletedRecord]{
		table: deletedRecordsTable, rules: rules, page: page,
		order: order[portal.DeletedRecord]{expr: "a.deleted_at", kind: keyInstant, desc: true, key: func(d *portal.DeletedRecord) any { return d.DeletedAt }},
		id:    func(d *portal.DeletedRecord) string { return d.ID },
	})
}

// DeleteNote deletes a note at once, for good.
func (s *Store) DeleteNote(ctx context.Context, p portal.Principal, id string) (*portal.DeleteNotePayload, error) {
	if err := p.Require(portal.PermissionNotesDelete); err != nil {
		return nil, err
	}
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		n, err := lockForUpdate(ctx, s, tx, s.t.notes, p, id)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, tx.Rebind(`DELETE FROM notes WHERE workspace_id = ? AND id = ?`), p.WorkspaceID, n.ID); err != nil {
			return fmt.Errorf("delete note: %w", err)
		}
		return s.record(ctx, tx, p, activity{
			action: portal.ActivityActionDeleted, recordType: portal.RecordTypeNote, recordID: n.ID, clientID: &n.ClientID,
			summary: "Deleted a note",
		})
	})
	if err != nil {
		return nil, err
	}
	return &portal.DeleteNotePayload{DeletedNoteID: id}, nil
}

// DeleteComment deletes a comment on a request at once, for good.
func (s *Store) DeleteComment(ctx context.Context, p portal.Principal, id string) (*portal.DeleteCommentPayload, error) {
	if err := p.Require(portal.PermissionCommentsDelete); err != nil {
		return nil, err
	}
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		c, err := lockVisible(ctx, s, tx, s.t.comments, scope{p}.comments(), p, id)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, tx.Rebind(`DELETE FROM request_comments WHERE workspace_id = ? AND id = ?`), p.WorkspaceID, c.ID); err != nil {
			return fmt.Errorf("delete comment: %w", err)
		}
		// The request's event, as a comment's is: its live subscribers
		// hear of the change.
		return s.record(ctx, tx, p, activity{
			action: portal.ActivityActionDeleted, recordType: portal.RecordTypeComment, recordID: c.ID, clientID: &c.ClientID,
			summary: "Deleted a comment on a request",
		})
	})
	if err != nil {
		return nil, err
	}
	return &portal.DeleteCommentPayload{DeletedCommentID: id}, nil
}

// EraseContact erases a contact, irreversibly: their personal fields are
// cleared, or replaced where the column requires a value (the name reads
// "a former contact", the email a unique address of the reserved .invalid
// domain that reaches nobody); their portal access, sessions and pending
// invitations end; their uploads no longer name them; they are taken off
// the approvers of pending approvals they have not decided. Their name
// and email are replaced in the summaries of their client's activity
// about them (see below), in mail not yet sent and in webhook bodies not
// yet delivered, and mail to them not yet sent is dropped. The row stays, erased_at set, so decisions,
// comments, requests and activity that point to it keep their foreign
// keys; every read hides it.
func (s *Store) EraseContact(ctx context.Context, p portal.Principal, id string) (*portal.EraseContactPayload, error) {
	if err := p.Require(portal.PermissionContactsDelete); err != nil {
		return nil, err
	}
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		c, err := lockForUpdate(ctx, s, tx, s.t.contacts, p, id)
		if err != nil {
			return err
		}
		now := s.now()
		exec := func(what, stmt string, args ...any) error {
			if _, err := tx.ExecContext(ctx, tx.Rebind(stmt), args...); err != nil {
				return fmt.Errorf("erase contact: %s: %w", what, err)
			}
			return nil
		}
		if err := exec("end sessions", `UPDATE tokens SET revoked_at = ? WHERE workspace_id = ? AND contact_id = ? AND revoked_at IS NULL`, now, p.WorkspaceID, c.ID); err != nil {
			return err
		}
		if err := s.revokeInvites(ctx, tx, p, c.ID, now); err != nil {
			return err
		}
		if err := exec("uploads", `UPDATE files SET uploaded_by_contact = NULL WHERE workspace_id = ? AND uploaded_by_contact = ?`, p.WorkspaceID, c.ID); err != nil {
			return err
		}
		if err := exec("mail to them", `DELETE FROM outbox WHERE workspace_id = ? AND recipient = ? AND sent_at IS NULL`, p.WorkspaceID, c.Email); err != nil {
			return err
		}
		for _, personal := range slices.Compact([]string{c.Name, c.Email}) {
			if strings.TrimSpace(personal) == "" {
				continue
			}
			// The events that can name them are their client's about them:
			// their own record, what they did, and the approvals they were
			// asked to decide (reminders name the approvers). Other events
			// keep their text, so a short name does not change other words.
			if err := exec("activity", `UPDATE activity_events SET summary = REPLACE(summary, ?, ?)
				WHERE workspace_id = ? AND client_id = ? AND summary <> REPLACE(summary, ?, ?)
				AND (record_id = ? OR actor_contact_id = ? OR record_id IN
					(SELECT aa.approval_id FROM approval_approvers aa WHERE aa.workspace_id = ? AND aa.contact_id = ?))`,
				personal, portal.FormerContact, p.WorkspaceID, c.ClientID, personal, portal.FormerContact,
				c.ID, c.ID, p.WorkspaceID, c.ID); err != nil {
				return err
			}
			if err := exec("mail", `UPDATE outbox SET subject = REPLACE(subject, ?, ?), body = REPLACE(body, ?, ?) WHERE workspace_id = ? AND sent_at IS NULL`,
				personal, portal.FormerContact, personal, portal.FormerContact, p.WorkspaceID); err != nil {
				return err
			}
			if err := exec("webhooks", `UPDATE webhook_deliveries SET payload = REPLACE(payload, ?, ?) WHERE workspace_id = ? AND delivered_at IS NULL`,
				personal, portal.FormerContact, p.WorkspaceID); err != nil {
				return err
			}
		}
		if err := exec("approvers", `DELETE FROM approval_approvers WHERE workspace_id = ? AND contact_id = ?
			AND approval_id IN (SELECT id FROM approvals WHERE workspace_id = ? AND status = 'PENDING')
			AND NOT EXISTS (SELECT 1 FROM approval_decisions d WHERE d.workspace_id = approval_approvers.workspace_id
				AND d.approval_id = approval_approvers.approval_id AND d.contact_id = approval_approvers.contact_id)`,
			p.WorkspaceID, c.ID, p.WorkspaceID); err != nil {
			return err
		}
		if err := exec("contact", `UPDATE contacts SET name = ?, email = ?, phone = NULL, title = NULL, portal_status = 'NONE',
			password_hash = NULL, last_seen_at = NULL, updated_at = ?, erased_at = ? WHERE workspace_id = ? AND id = ?`,
			portal.FormerContact, "erased-"+strings.ToLower(c.ID)+"@erased.invalid", now, now, p.WorkspaceID, c.ID); err != nil {
			return err
		}
		return s.record(ctx, tx, p, activity{
			action: portal.ActivityActionErased, recordType: portal.RecordTypeContact, recordID: c.ID, clientID: &c.ClientID,
			summary: "Erased a contact's personal data",
		})
	})
	if err != nil {
		return nil, err
	}
	return &portal.EraseContactPayload{ErasedContactID: id}, nil
}

// PurgeDeleted removes for good what was deleted before before (the
// server passes 30 days ago), across workspaces, in one transaction: each
// purged deletion is recorded as a PURGED event of its record, and the
// bytes of purged files are queued for removal as deleteFile queues them.
// What a deletion took along carries its deleted_at, so it goes in the
// same run as its root; a record deleted on its own before its parent was
// deleted goes first. Notes and requests keep living without a purged
// project; a later round no longer names a purged round before it.
func (s *Store) PurgeDeleted(ctx context.Context, before time.Time) (int, error) {
	var purged int
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		type root struct {
			WorkspaceID string            `db:"workspace_id"`
			ID          string            `db:"id"`
			RecordType  portal.RecordType `db:"record_type"`
			Title       string            `db:"title"`
			ClientID    string            `db:"client_id"`
		}
		// What is due: deleted before before, or below a parent that is
		// (a record deleted on its own after its parent, which only a
		// clock set back makes, goes with the parent).
		dueProjects := "SELECT id FROM projects WHERE deleted_at < ?"
		dueRequests := "SELECT id FROM client_requests WHERE deleted_at < ?"
		dueDeliverables := "SELECT id FROM deliverables WHERE deleted_at IS NOT NULL AND (deleted_at < ? OR project_id IN (" + dueProjects + "))"
		dueApprovals := "SELECT id FROM approvals WHERE deleted_at IS NOT NULL AND (deleted_at < ? OR deliverable_id IN (" + dueDeliverables + ") OR project_id IN (" + dueProjects + "))"
		due := map[string]string{
			"projects":           "deleted_at < ?",
			"client_requests":    "deleted_at < ?",
			"deliverables":       "id IN (" + dueDeliverables + ")",
			"approvals":          "id IN (" + dueApprovals + ")",
			"approval_decisions": "deleted_at IS NOT NULL AND (deleted_at < ? OR approval_id IN (" + dueApprovals + "))",
			"files": "deleted_at IS NOT NULL AND (deleted_at < ? OR project_id IN (" + dueProjects + ") OR deliverable_id IN (" +
				dueDeliverables + ") OR request_id IN (" + dueRequests + "))",
			"reports":          "deleted_at IS NOT NULL AND (deleted_at < ? OR project_id IN (" + dueProjects + "))",
			"request_comments": "deleted_at IS NOT NULL AND (deleted_at < ? OR request_id IN (" + dueRequests + "))",
		}
		// args binds before to every placeholder of stmt.
		args := func(stmt string) []any {
			out := make([]any, strings.Count(stmt, "?"))
			for i := range out {
				out[i] = before
			}
			return out
		}
		var parts []string
		for _, t := range restorable {
			client := "client_id"
			if t.name == "deliverables" {
				client = "(SELECT pr.client_id FROM projects pr WHERE pr.workspace_id = a.workspace_id AND pr.id = a.project_id)"
			}
			parts = append(parts, "SELECT a.workspace_id, a.id, '"+string(t.recordType)+"' AS record_type, a."+t.title+" AS title, "+client+" AS client_id FROM "+
				t.name+" a WHERE a.deleted_with = a.id AND a.id IN (SELECT id FROM "+t.name+" WHERE "+due[t.name]+")")
		}
		find := strings.Join(parts, " UNION ALL ")
		var roots []root
		if err := tx.SelectContext(ctx, &roots, tx.Rebind(find), args(find)...); err != nil {
			return fmt.Errorf("find what to purge: %w", err)
		}
		if len(roots) == 0 {
			return nil
		}
		var keys []string
		files := `SELECT blob_key FROM files WHERE ` + due["files"]
		if err := tx.SelectContext(ctx, &keys, tx.Rebind(files), args(files)...); err != nil {
			return fmt.Errorf("read purged files: %w", err)
		}
		now := s.now()
		for _, k := range keys {
			if _, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO blob_removals (blob_key, queued_at) VALUES (?, ?)`), k, now); err != nil {
				return fmt.Errorf("queue blob removal: %w", err)
			}
		}
		// Children first; each step's due rows are found while their
		// parents are still there. IDs are ULIDs, unique across
		// workspaces, so the subqueries need no workspace of their own.
		steps := []struct{ what, stmt string }{
			{"decisions", `DELETE FROM approval_decisions WHERE ` + due["approval_decisions"]},
			{"approvers", `DELETE FROM approval_approvers WHERE approval_id IN (` + dueApprovals + `)`},
			{"rounds", `UPDATE approvals SET previous_round_id = NULL WHERE previous_round_id IN (` + dueApprovals + `)`},
			{"approvals", `DELETE FROM approvals WHERE ` + due["approvals"]},
			{"comments", `DELETE FROM request_comments WHERE ` + due["request_comments"]},
			{"files", `DELETE FROM files WHERE ` + due["files"]},
			{"deliverables", `DELETE FROM deliverables WHERE ` + due["deliverables"]},
			{"reports", `DELETE FROM reports WHERE ` + due["reports"]},
			{"notes", `UPDATE notes SET project_id = NULL WHERE project_id IN (` + dueProjects + `)`},
			{"requests' projects", `UPDATE client_requests SET project_id = NULL WHERE project_id IN (` + dueProjects + `)`},
			{"requests", `DELETE FROM client_requests WHERE ` + due["client_requests"]},
			{"projects", `DELETE FROM projects WHERE ` + due["projects"]},
		}
		for _, st := range steps {
			if _, err := tx.ExecContext(ctx, tx.Rebind(st.stmt), args(st.stmt)...); err != nil {
				return fmt.Errorf("purge %s: %w", st.what, err)
			}
		}
		for _, r := range roots {
			if err := s.record(ctx, tx, portal.Principal{WorkspaceID: r.WorkspaceID}, activity{
				action: portal.ActivityActionPurged, recordType: r.RecordType, recordID: r.ID, clientID: &r.ClientID,
				summary: "Removed for good " + strings.ToLower(string(r.RecordType)) + " " + r.Title + ", deleted 30 days before",
			}); err != nil {
				return err
			}
		}
		purged = len(roots)
		return nil
	})
	if err != nil {
		return 0, err
	}
	return purged, nil
}
