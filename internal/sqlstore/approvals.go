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

// The approval workflow. Every change locks the approval row first, so
// concurrent decisions on one approval are applied one after another, each
// against the decisions before it; the rules themselves are pure
// (portal.RollUp, portal.DeliverableAfter).

// RequestApproval asks contacts of a deliverable's client to approve it;
// the deliverable goes into review and each approver is sent mail.
func (s *Store) RequestApproval(ctx context.Context, p portal.Principal, in portal.RequestApprovalInput) (*portal.Approval, error) {
	if err := p.Require(portal.PermissionApprovalsCreate); err != nil {
		return nil, err
	}
	var a *portal.Approval
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		d, err := lockForUpdate(ctx, s, tx, s.t.deliverables, p, in.DeliverableID)
		if portal.ErrorCode(err) == portal.CodeNotFound {
			return portal.InvalidField("input.deliverableId", fmt.Sprintf("no record with id %q", in.DeliverableID))
		}
		if err != nil {
			return err
		}
		project, err := s.sharedProjectOf(ctx, tx, p, d, "input.deliverableId")
		if err != nil {
			return err
		}
		if err := s.noPendingApproval(ctx, tx, p, d.ID); err != nil {
			return err
		}
		now := s.now()
		a = &portal.Approval{
			WorkspaceID: p.WorkspaceID, ID: portal.NewID(portal.PrefixApproval, now),
			DeliverableID: d.ID, ProjectID: project.ID, ClientID: project.ClientID,
			Title: strings.TrimSpace(in.Title), Status: portal.ApprovalStatusPending, Policy: portal.ApprovalPolicyAny,
			Round: 1, RequestedByID: ptr(p.UserID), CreatedAt: now,
		}
		if in.Policy != nil {
			a.Policy = *in.Policy
		}
		var ch changes
		setOpt(&ch, "message", &a.Message, in.Message)
		setOpt(&ch, "internalNotes", &a.InternalNotes, in.InternalNotes)
		if a.DueOn, err = s.dueOn(in.DueOn); err != nil {
			return err
		}
		return s.openRound(ctx, tx, p, a, d, in.ApproverIds, portal.ActivityActionApprovalRequested, "Requested approval of "+d.Title)
	})
	if err != nil {
		return nil, err
	}
	return a, nil
}

// ResubmitApproval opens the next round of an approval that asked for
// changes or was rejected, linked to it so the history stays readable.
func (s *Store) ResubmitApproval(ctx context.Context, p portal.Principal, in portal.ResubmitApprovalInput) (*portal.Approval, error) {
	if err := p.Require(portal.PermissionApprovalsUpdate); err != nil {
		return nil, err
	}
	var next *portal.Approval
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		prev, err := lockForUpdate(ctx, s, tx, s.t.approvals, p, in.ApprovalID)
		if err != nil {
			return err
		}
		if !prev.Status.CanResubmit() {
			return portal.Conflict("only an approval that asked for changes or was rejected can be resubmitted; this one is %s", prev.Status)
		}
		if err := s.notResubmitted(ctx, tx, p, prev.ID); err != nil {
			return err
		}
		d, err := lockForUpdate(ctx, s, tx, s.t.deliverables, p, prev.DeliverableID)
		if err != nil {
			return err
		}
		if _, err := s.sharedProjectOf(ctx, tx, p, d, "input.approvalId"); err != nil {
			return err
		}
		if err := s.noPendingApproval(ctx, tx, p, d.ID); err != nil {
			return err
		}
		approvers := in.ApproverIds
		if approvers == nil {
			if err := tx.SelectContext(ctx, &approvers, tx.Rebind(
				`SELECT contact_id FROM approval_approvers WHERE workspace_id = ? AND approval_id = ? ORDER BY contact_id`),
				p.WorkspaceID, prev.ID); err != nil {
				return fmt.Errorf("read approvers: %w", err)
			}
		}
		now := s.now()
		next = &portal.Approval{
			WorkspaceID: p.WorkspaceID, ID: portal.NewID(portal.PrefixApproval, now),
			DeliverableID: prev.DeliverableID, ProjectID: prev.ProjectID, ClientID: prev.ClientID,
			Title: prev.Title, Message: prev.Message, Status: portal.ApprovalStatusPending, Policy: prev.Policy,
			Round: prev.Round + 1, PreviousRoundID: &prev.ID, RequestedByID: ptr(p.UserID),
			InternalNotes: prev.InternalNotes, CreatedAt: now,
		}
		var ch changes
		setOpt(&ch, "message", &next.Message, in.Message)
		if next.DueOn, err = s.dueOn(in.DueOn); err != nil {
			return err
		}
		return s.openRound(ctx, tx, p, next, d, approvers, portal.ActivityActionApprovalResubmitted,
			fmt.Sprintf("Resubmitted %s for approval (round %d)", d.Title, next.Round))
	})
	if err != nil {
		return nil, err
	}
	return next, nil
}

// openRound writes a new approval round: its approvers (contacts of the
// client with portal access), the deliverable in review, the activity and
// the mail to each approver.
func (s *Store) openRound(ctx context.Context, tx *sqlx.Tx, p portal.Principal, a *portal.Approval, d *portal.Deliverable, approverIDs []string, action portal.ActivityAction, summary string) error {
	approvers, err := s.approversFor(ctx, tx, p, a.ClientID, d.ID, approverIDs)
	if err != nil {
		return err
	}
	if err := insert(ctx, tx, s.t.approvals, a); err != nil {
		return err
	}
	if err := refreshApprovalsShown(ctx, tx, a.WorkspaceID, "id = ?", a.ID); err != nil {
		return err
	}
	rows := make([]*portal.Approver, len(approvers))
	for i, c := range approvers {
		rows[i] = &portal.Approver{WorkspaceID: a.WorkspaceID, ApprovalID: a.ID, ContactID: c.ID}
	}
	if err := insertMany(ctx, tx, s.t.approvers, rows); err != nil {
		return err
	}
	if err := s.moveDeliverable(ctx, tx, p, d, portal.ApprovalStatusPending); err != nil {
		return err
	}
	for _, c := range approvers {
		if err := s.enqueue(ctx, tx, p, "APPROVAL_REQUESTED", c.Email, "Approval requested: "+a.Title,
			fmt.Sprintf("Hello %s,\n\nYou are asked to approve %q (%s).%s\nOpen your client portal to review it and decide.\n",
				c.Name, d.Title, a.Title, dueLine(a.DueOn))); err != nil {
			return err
		}
	}
	return s.record(ctx, tx, p, activity{action: action, recordType: portal.RecordTypeApproval, recordID: a.ID, clientID: &a.ClientID, summary: summary})
}

// CancelApproval withdraws a pending approval; the deliverable goes back in
// progress.
func (s *Store) CancelApproval(ctx context.Context, p portal.Principal, id string) (*portal.Approval, error) {
	if err := p.Require(portal.PermissionApprovalsUpdate); err != nil {
		return nil, err
	}
	var a *portal.Approval
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		var err error
		if a, err = lockForUpdate(ctx, s, tx, s.t.approvals, p, id); err != nil {
			return err
		}
		if a.Status.Resolved() {
			return portal.Conflict("only a pending approval can be cancelled; this one is %s", a.Status)
		}
		return s.resolve(ctx, tx, p, a, portal.ApprovalStatusCancelled, portal.ActivityActionApprovalCancelled, "Cancelled approval "+a.Title)
	})
	if err != nil {
		return nil, err
	}
	return a, nil
}

// RemindApprovers sends mail to the approvers of a pending approval who
// have not decided and can open it in their portal now, and returns them.
// An approver whose portal does not show the approval (the client's portal
// is off or hides approvals, their access is suspended or not yet
// accepted, the deliverable is no longer shared) is not mailed: the
// activity names them with the rule they do not meet. When nobody can be
// reminded the call is a CONFLICT that says why, and changes nothing, so
// staff are never told that a reminder went out when none did.
func (s *Store) RemindApprovers(ctx context.Context, p portal.Principal, id string) (*portal.Approval, []*portal.Contact, error) {
	if err := p.Require(portal.PermissionApprovalsUpdate); err != nil {
		return nil, nil, err
	}
	var a *portal.Approval
	var reminded []*portal.Contact
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		var err error
		if a, err = lockForUpdate(ctx, s, tx, s.t.approvals, p, id); err != nil {
			return err
		}
		if a.Status.Resolved() {
			return portal.Conflict("only a pending approval's approvers can be reminded; this one is %s", a.Status)
		}
		waiting, err := s.undecidedApprovers(ctx, tx, a)
		if err != nil {
			return err
		}
		if len(waiting) == 0 {
			return portal.Conflict("nobody is left to remind: every approver has decided")
		}
		var names, skipped []string
		for _, c := range waiting {
			unmet, err := scope{portalOf(c)}.approvals().unmet(ctx, tx, "approvals", a.WorkspaceID, a.ID)
			if err != nil {
				return err
			}
			if len(unmet) > 0 {
				skipped = append(skipped, fmt.Sprintf("%s (not met: %s)", c.Name, strings.Join(unmet, ", ")))
				continue
			}
			reminded = append(reminded, c)
			names = append(names, c.Name)
		}
		if len(reminded) == 0 {
			return portal.Conflict("nobody was reminded: no approver who has not decided can open the approval in their portal now: %s",
				strings.Join(skipped, "; "))
		}
		now := s.now()
		a.RemindedAt = &now
		if err := update(ctx, tx, s.t.approvals, p.WorkspaceID, a.ID, a); err != nil {
			return err
		}
		for _, c := range reminded {
			if err := s.enqueue(ctx, tx, p, "APPROVAL_REMINDER", c.Email, "Reminder: approval requested: "+a.Title,
				fmt.Sprintf("Hello %s,\n\nA reminder that %q is waiting for your decision.%s\nOpen your client portal to review it and decide.\n",
					c.Name, a.Title, dueLine(a.DueOn))); err != nil {
				return err
			}
		}
		summary := "Reminded " + strings.Join(names, ", ") + " about " + a.Title
		if len(skipped) > 0 {
			summary += "; not reminded, as their portal does not show it now: " + strings.Join(skipped, "; ")
		}
		return s.record(ctx, tx, p, activity{
			action: portal.ActivityActionApproversReminded, recordType: portal.RecordTypeApproval, recordID: a.ID, clientID: &a.ClientID,
			summary: summary,
		})
	})
	if err != nil {
		return nil, nil, err
	}
	return a, reminded, nil
}

// undecidedApprovers returns the approvers of an approval without a
// current decision, by name.
func (s *Store) undecidedApprovers(ctx context.Context, tx *sqlx.Tx, a *portal.Approval) ([]*portal.Contact, error) {
	q := &sqlBuf{}
	q.sql("SELECT " + s.t.contacts.selectList("a") + " FROM approval_approvers aa JOIN contacts a ON a.workspace_id = aa.workspace_id AND a.id = aa.contact_id" +
		" WHERE aa.workspace_id = ").arg(a.WorkspaceID).sql(" AND aa.approval_id = ").arg(a.ID).
		sql(" AND NOT EXISTS (SELECT 1 FROM approval_decisions ad WHERE ad.workspace_id = aa.workspace_id AND ad.approval_id = aa.approval_id" +
			" AND ad.contact_id = aa.contact_id AND ad.superseded_at IS NULL) ORDER BY a.name, a.id")
	var out []*portal.Contact
	err := selectRecords(ctx, tx, s.t.contacts, q, nil, func(c *portal.Contact) { out = append(out, c) })
	return out, err
}

// portalOf is the principal a contact acts as in their portal: what their
// portal shows is what the portal rules admit for it.
func portalOf(c *portal.Contact) portal.Principal {
	return portal.Principal{Audience: portal.AudiencePortal, WorkspaceID: c.WorkspaceID, ContactID: c.ID, ClientID: c.ClientID}
}

// DecideApproval records a portal contact's decision on an approval they
// are asked to decide.
func (s *Store) DecideApproval(ctx context.Context, p portal.Principal, in portal.DecideApprovalInput) (*portal.ApprovalDecision, *portal.Approval, error) {
	if !p.IsPortal() {
		return nil, nil, portal.Forbidden("only a portal contact decides for themself; staff record decisions on a contact's behalf")
	}
	if err := p.Require(portal.PermissionApprovalsDecide); err != nil {
		return nil, nil, err
	}
	return s.decide(ctx, p, decision{
		approvalID: in.ApprovalID, contactID: p.ContactID, outcome: in.Outcome, comment: in.Comment, key: in.IdempotencyKey,
	})
}

// RecordApprovalDecision records, for a contact, a decision given outside
// the portal; it is marked as recorded on their behalf.
func (s *Store) RecordApprovalDecision(ctx context.Context, p portal.Principal, in portal.RecordApprovalDecisionInput) (*portal.ApprovalDecision, *portal.Approval, error) {
	if err := p.Require(portal.PermissionApprovalsDecideOnBehalf); err != nil {
		return nil, nil, err
	}
	return s.decide(ctx, p, decision{
		approvalID: in.ApprovalID, contactID: in.ContactID, outcome: in.Outcome, comment: in.Comment,
		internalNote: in.InternalNote, key: in.IdempotencyKey, recordedBy: &p.UserID,
	})
}

type decision struct {
	approvalID, contactID string
	outcome               portal.DecisionOutcome
	comment, internalNote *string
	key                   string
	recordedBy            *string
}

func (s *Store) decide(ctx context.Context, p portal.Principal, in decision) (*portal.ApprovalDecision, *portal.Approval, error) {
	if strings.TrimSpace(in.key) == "" {
		return nil, nil, portal.InvalidField("input.idempotencyKey", "is required")
	}
	var a *portal.Approval
	var d *portal.ApprovalDecision
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		var err error
		// The approval is read under the principal's scope: a contact
		// decides only what their portal shows them.
		if a, err = lockVisible(ctx, s, tx, s.t.approvals, scope{p}.approvals(), p, in.approvalID); err != nil {
			return err
		}
		// A retried request finds the decision it made: it is answered
		// again, even after that decision resolved the approval.
		if d, err = s.decisionByKey(ctx, tx, p, a.ID, in.key); err != nil || d != nil {
			if err == nil && (d.ContactID != in.contactID || d.Outcome != in.outcome || deref(d.Comment) != strings.TrimSpace(deref(in.comment)) ||
				deref(d.RecordedByID) != deref(in.recordedBy)) {
				return portal.Conflict("this idempotency key was used for a different decision")
			}
			return err
		}
		if a.Status.Resolved() {
			return portal.Conflict("the approval is already %s", a.Status)
		}
		approvers, err := s.approverIDs(ctx, tx, p, a.ID)
		if err != nil {
			return err
		}
		if !slices.Contains(approvers, in.contactID) {
			if in.recordedBy != nil {
				return portal.InvalidField("input.contactId", "is not an approver of this approval")
			}
			return portal.Forbidden("you are not an approver of this approval")
		}
		now := s.now()
		if _, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE approval_decisions SET superseded_at = ?
			WHERE workspace_id = ? AND approval_id = ? AND contact_id = ? AND superseded_at IS NULL`),
			now, p.WorkspaceID, a.ID, in.contactID); err != nil {
			return fmt.Errorf("supersede decision: %w", err)
		}
		d = &portal.ApprovalDecision{
			WorkspaceID: p.WorkspaceID, ID: portal.NewID(portal.PrefixDecision, now), ApprovalID: a.ID, ContactID: in.contactID,
			Outcome: in.outcome, RecordedByID: in.recordedBy, IdempotencyKey: &in.key, DecidedAt: now,
		}
		var ch changes
		setOpt(&ch, "comment", &d.Comment, in.comment)
		setOpt(&ch, "internalNote", &d.InternalNote, in.internalNote)
		if err := insert(ctx, tx, s.t.decisions, d); err != nil {
			return err
		}
		if err := refreshDecisionsShown(ctx, tx, p.WorkspaceID, "id = ?", d.ID); err != nil {
			return err
		}
		summary := fmt.Sprintf("Decided %s on %s", d.Outcome, a.Title)
		if in.recordedBy != nil {
			summary = fmt.Sprintf("Recorded %s on %s on the contact's behalf", d.Outcome, a.Title)
		}
		if err := s.record(ctx, tx, p, activity{
			action: portal.ActivityActionDecisionRecorded, recordType: portal.RecordTypeApproval, recordID: a.ID, clientID: &a.ClientID, summary: summary,
		}); err != nil {
			return err
		}
		current, err := s.currentOutcomes(ctx, tx, p, a.ID)
		if err != nil {
			return err
		}
		if status := portal.RollUp(a.Policy, approvers, current); status != a.Status {
			return s.resolve(ctx, tx, p, a, status, portal.ActivityActionApprovalResolved, fmt.Sprintf("%s: %s", a.Title, status))
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	return d, a, nil
}

// resolve closes an approval with a status and moves its deliverable on.
func (s *Store) resolve(ctx context.Context, tx *sqlx.Tx, p portal.Principal, a *portal.Approval, status portal.ApprovalStatus, action portal.ActivityAction, summary string) error {
	now := s.now()
	a.Status, a.ResolvedAt = status, &now
	if err := update(ctx, tx, s.t.approvals, p.WorkspaceID, a.ID, a); err != nil {
		return err
	}
	d, err := lockForUpdate(ctx, s, tx, s.t.deliverables, p, a.DeliverableID)
	if err != nil {
		return err
	}
	if err := s.moveDeliverable(ctx, tx, p, d, status); err != nil {
		return err
	}
	return s.record(ctx, tx, p, activity{action: action, recordType: portal.RecordTypeApproval, recordID: a.ID, clientID: &a.ClientID, summary: summary})
}

// moveDeliverable sets the status a deliverable takes when its approval
// reaches status.
func (s *Store) moveDeliverable(ctx context.Context, tx *sqlx.Tx, p portal.Principal, d *portal.Deliverable, status portal.ApprovalStatus) error {
	next, ok := portal.DeliverableAfter(status)
	if !ok || next == d.Status {
		return nil
	}
	d.Status, d.UpdatedAt = next, s.now()
	return update(ctx, tx, s.t.deliverables, p.WorkspaceID, d.ID, d)
}

// sharedProjectOf returns a deliverable's project, requiring both to be
// shared: approvers could not see anything else. field names the input
// field that leads to the deliverable.
func (s *Store) sharedProjectOf(ctx context.Context, tx *sqlx.Tx, p portal.Principal, d *portal.Deliverable, field string) (*portal.Project, error) {
	project, err := lockForUpdate(ctx, s, tx, s.t.projects, p, d.ProjectID)
	if err != nil {
		return nil, err
	}
	if d.Visibility != portal.VisibilityShared || project.Visibility != portal.VisibilityShared {
		return nil, portal.InvalidField(field, "share the deliverable and its project with the client before asking for approval")
	}
	return project, nil
}

func (s *Store) noPendingApproval(ctx context.Context, tx *sqlx.Tx, p portal.Principal, deliverableID string) error {
	var n int
	if err := tx.GetContext(ctx, &n, tx.Rebind(`SELECT COUNT(*) FROM approvals WHERE workspace_id = ? AND deliverable_id = ? AND status = 'PENDING' AND deleted_at IS NULL`),
		p.WorkspaceID, deliverableID); err != nil {
		return fmt.Errorf("read approvals: %w", err)
	}
	if n > 0 {
		return portal.Conflict("the deliverable already has a pending approval")
	}
	return nil
}

func (s *Store) notResubmitted(ctx context.Context, tx *sqlx.Tx, p portal.Principal, approvalID string) error {
	var n int
	if err := tx.GetContext(ctx, &n, tx.Rebind(`SELECT COUNT(*) FROM approvals WHERE workspace_id = ? AND previous_round_id = ?`),
		p.WorkspaceID, approvalID); err != nil {
		return fmt.Errorf("read approvals: %w", err)
	}
	if n > 0 {
		return portal.Conflict("this round was already resubmitted")
	}
	return nil
}

// approversFor checks that every ID names a contact of the client whose
// portal shows them the deliverable's approvals, and returns them.
func (s *Store) approversFor(ctx context.Context, tx *sqlx.Tx, p portal.Principal, clientID, deliverableID string, ids []string) ([]*portal.Contact, error) {
	if len(ids) == 0 {
		return nil, portal.InvalidField("input.approverIds", "name at least one approver")
	}
	q := &sqlBuf{}
	q.sql("SELECT " + s.t.contacts.selectList("a") + " FROM contacts a")
	w := q.where()
	s.dialect.inList(w.next(), "a.id", ids)
	w.next().sql("a.workspace_id = ").arg(p.WorkspaceID)
	w.next().sql("a.client_id = ").arg(clientID)
	w.next().sql("a.erased_at IS NULL")
	found := map[string]*portal.Contact{}
	if err := selectRecords(ctx, tx, s.t.contacts, q, nil, func(c *portal.Contact) { found[c.ID] = c }); err != nil {
		return nil, err
	}
	out := make([]*portal.Contact, 0, len(ids))
	for i, id := range ids {
		c, ok := found[id]
		switch {
		case slices.Contains(ids[:i], id):
			// A contact is asked once: a second approver row would break
			// the table's key and fail as an internal error.
			return nil, portal.InvalidField("input.approverIds", fmt.Sprintf("%q is named twice", id))
		case !ok:
			return nil, portal.InvalidField("input.approverIds", fmt.Sprintf("%q is not a contact of the deliverable's client", id))
		case c.PortalStatus != portal.PortalStatusActive:
			return nil, portal.InvalidField("input.approverIds", fmt.Sprintf("%s has no active portal access", c.Name))
		}
		sees, err := s.portalShowsApprovals(ctx, tx, c, deliverableID)
		if err != nil {
			return nil, err
		}
		if !sees {
			return nil, portal.InvalidField("input.approverIds", fmt.Sprintf("%s's portal does not show this deliverable's approvals: check the client's portal and its settings", c.Name))
		}
		out = append(out, c)
	}
	return out, nil
}

// portalShowsApprovals evaluates, for a contact, the same named rules that
// scope their portal: whether it would show them the deliverable and its
// approvals.
func (s *Store) portalShowsApprovals(ctx context.Context, tx *sqlx.Tx, c *portal.Contact, deliverableID string) (bool, error) {
	sc := scope{portalOf(c)}
	q := &sqlBuf{}
	q.sql("SELECT COUNT(*) FROM deliverables a")
	w := q.where()
	w.next().sql("a.id = ").arg(deliverableID)
	sc.deliverables().write(w, "a")
	w.next().sql("(")
	sc.sectionShown("approvals").cond(q, "a")
	q.sql(")")
	var n int
	if err := tx.GetContext(ctx, &n, tx.Rebind(q.String()), q.args...); err != nil {
		return false, fmt.Errorf("check approver's portal: %w", err)
	}
	return n > 0, nil
}

// dueOn checks an approval's due date is not in the past.
func (s *Store) dueOn(d *portal.Date) (*portal.Date, error) {
	if d != nil && d.Before(portal.DateOf(s.now())) {
		return nil, portal.InvalidField("input.dueOn", "must be today or later")
	}
	return d, nil
}

func (s *Store) approverIDs(ctx context.Context, tx *sqlx.Tx, p portal.Principal, approvalID string) ([]string, error) {
	var ids []string
	err := tx.SelectContext(ctx, &ids, tx.Rebind(`SELECT contact_id FROM approval_approvers WHERE workspace_id = ? AND approval_id = ?`), p.WorkspaceID, approvalID)
	if err != nil {
		return nil, fmt.Errorf("read approvers: %w", err)
	}
	return ids, nil
}

func (s *Store) currentOutcomes(ctx context.Context, tx *sqlx.Tx, p portal.Principal, approvalID string) (map[string]portal.DecisionOutcome, error) {
	rows, err := tx.QueryxContext(ctx, tx.Rebind(`SELECT contact_id, outcome FROM approval_decisions
		WHERE workspace_id = ? AND approval_id = ? AND superseded_at IS NULL`), p.WorkspaceID, approvalID)
	if err != nil {
		return nil, fmt.Errorf("read decisions: %w", err)
	}
	defer rows.Close()
	out := map[string]portal.DecisionOutcome{}
	for rows.Next() {
		var contact string
		var outcome portal.DecisionOutcome
		if err := rows.Scan(&contact, &outcome); err != nil {
			return nil, err
		}
		out[contact] = outcome
	}
	return out, rows.Err()
}

func (s *Store) decisionByKey(ctx context.Context, tx *sqlx.Tx, p portal.Principal, approvalID, key string) (*portal.ApprovalDecision, error) {
	q := &sqlBuf{}
	q.sql("SELECT " + s.t.decisions.selectList("a") + " FROM approval_decisions a WHERE a.workspace_id = ").arg(p.WorkspaceID).
		sql(" AND a.approval_id = ").arg(approvalID).sql(" AND a.idempotency_key = ").arg(key)
	var d *portal.ApprovalDecision
	err := selectRecords(ctx, tx, s.t.decisions, q, nil, func(r *portal.ApprovalDecision) { d = r })
	return d, err
}

// enqueue puts mail in the outbox, in the transaction of the change it
// tells about.
func (s *Store) enqueue(ctx context.Context, tx *sqlx.Tx, p portal.Principal, kind, to, subject, body string) error {
	now := s.now()
	return insert(ctx, tx, s.t.outbox, &portal.OutboxMessage{
		WorkspaceID: p.WorkspaceID, ID: portal.NewID(portal.PrefixMessage, now), Kind: kind,
		Recipient: to, Subject: subject, Body: body, CreatedAt: now,
	})
}

func dueLine(d *portal.Date) string {
	if d == nil {
		return ""
	}
	return " It is due on " + d.Time().Format(time.DateOnly) + "."
}
