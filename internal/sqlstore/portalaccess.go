package sqlstore

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"portalgraph/internal/portal"
)

// Portal access: turning a client's portal on, inviting and suspending
// contacts, sessions and previews, and the overview staff audit it with.

// SetClientPortal turns a client's portal on or off and sets its sections.
func (s *Store) SetClientPortal(ctx context.Context, p portal.Principal, in portal.SetClientPortalInput) (*portal.Client, error) {
	if err := p.Require(portal.PermissionPortalManage); err != nil {
		return nil, err
	}
	var c *portal.Client
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		var err error
		if c, err = lockForUpdate(ctx, s, tx, s.t.clients, p, in.ClientID); err != nil {
			return err
		}
		var ch changes
		set(&ch, "enabled", &c.PortalEnabled, in.Enabled)
		if sec := in.Sections; sec != nil {
			set(&ch, "projects", &c.PortalProjects, sec.Projects)
			set(&ch, "deliverables", &c.PortalDeliverables, sec.Deliverables)
			set(&ch, "approvals", &c.PortalApprovals, sec.Approvals)
			set(&ch, "reports", &c.PortalReports, sec.Reports)
			set(&ch, "files", &c.PortalFiles, sec.Files)
			set(&ch, "exports", &c.PortalExports, sec.Exports)
			set(&ch, "requests", &c.PortalRequests, sec.Requests)
		}
		if in.Enabled != nil && *in.Enabled && c.ArchivedAt != nil {
			return portal.InvalidField("input.enabled", "an archived client has no portal")
		}
		if ch.none() {
			return nil
		}
		c.UpdatedAt = s.now()
		if err := update(ctx, tx, s.t.clients, p.WorkspaceID, c.ID, c); err != nil {
			return err
		}
		summary := "Changed the portal's sections"
		if in.Enabled != nil && ch[0] == "enabled" {
			summary = map[bool]string{true: "Turned the portal on", false: "Turned the portal off"}[c.PortalEnabled]
		}
		return s.record(ctx, tx, p, activity{
			action: portal.ActivityActionPortalUpdated, recordType: portal.RecordTypeClient, recordID: c.ID, clientID: &c.ID,
			summary: summary, changed: ch,
		})
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

// InviteContact invites a contact to their client's portal: any earlier
// invitation stops working, the contact is INVITED, and the mail is queued
// in the same transaction.
func (s *Store) InviteContact(ctx context.Context, p portal.Principal, contactID string, inv portal.Invitation) (*portal.Contact, error) {
	if err := p.Require(portal.PermissionPortalManage); err != nil {
		return nil, err
	}
	var c *portal.Contact
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		var err error
		if c, err = lockForUpdate(ctx, s, tx, s.t.contacts, p, contactID); err != nil {
			return err
		}
		switch c.PortalStatus {
		case portal.PortalStatusActive:
			return portal.Conflict("%s already has portal access", c.Name)
		case portal.PortalStatusSuspended:
			return portal.Conflict("%s's access is suspended: restore it instead", c.Name)
		}
		client, err := lockForUpdate(ctx, s, tx, s.t.clients, p, c.ClientID)
		if err != nil {
			return err
		}
		if !client.PortalEnabled || client.ArchivedAt != nil {
			return portal.Conflict("turn on %s's portal before inviting its contacts", client.Name)
		}
		if c.PortalStatus == portal.PortalStatusNone {
			// A contact invited again holds the place it had.
			if err := s.checkLimit(ctx, tx, p.WorkspaceID, portal.LimitKindPortalContacts, 1); err != nil {
				return err
			}
		}
		now := s.now()
		if err := s.revokeInvites(ctx, tx, p, c.ID, now); err != nil {
			return err
		}
		if err := insert(ctx, tx, s.t.invites, &portal.Invite{
			WorkspaceID: p.WorkspaceID, ID: portal.NewID(portal.PrefixInvite, now), ContactID: &c.ID,
			TokenHash: inv.TokenHash, CreatedBy: ptr(p.UserID), CreatedAt: now, ExpiresAt: inv.ExpiresAt,
		}); err != nil {
			return err
		}
		c.PortalStatus, c.UpdatedAt = portal.PortalStatusInvited, now
		if err := update(ctx, tx, s.t.contacts, p.WorkspaceID, c.ID, c); err != nil {
			return err
		}
		subject, body := inv.Mail(c, client)
		if err := s.enqueue(ctx, tx, p, "PORTAL_INVITATION", c.Email, subject, body); err != nil {
			return err
		}
		return s.record(ctx, tx, p, activity{
			action: portal.ActivityActionContactInvited, recordType: portal.RecordTypeContact, recordID: c.ID, clientID: &c.ClientID,
			summary: "Invited " + c.Name + " to the portal",
		})
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

func (s *Store) revokeInvites(ctx context.Context, tx *sqlx.Tx, p portal.Principal, contactID string, now time.Time) error {
	_, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE invites SET revoked_at = ?
		WHERE workspace_id = ? AND contact_id = ? AND accepted_at IS NULL AND revoked_at IS NULL`), now, p.WorkspaceID, contactID)
	if err != nil {
		return fmt.Errorf("revoke invitations: %w", err)
	}
	return nil
}

// InviteOpen reports whether a token is an invitation that can still be
// accepted: a cheap look before anything costly is done with it.
func (s *Store) InviteOpen(ctx context.Context, tokenHash string) (bool, error) {
	var n int
	err := s.db.GetContext(ctx, &n, s.db.Rebind(`SELECT COUNT(*) FROM invites
		WHERE token_hash = ? AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > ?`), tokenHash, s.now())
	if err != nil {
		return false, fmt.Errorf("read invitation: %w", err)
	}
	return n > 0, nil
}

var errInviteRefused = portal.Unauthenticated("this invitation is invalid or has expired")

// AcceptInvite redeems an invitation: the contact or staff member sets a
// password and is signed in with session, whose UserID or ContactID says
// which; a contact also gets portal access, and is returned. An unknown,
// used, revoked or expired invitation is refused alike.
func (s *Store) AcceptInvite(ctx context.Context, tokenHash, passwordHash string, session *portal.AccessToken) (*portal.Contact, error) {
	var c *portal.Contact
	refused := errInviteRefused
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		now := s.now()
		// The invitation names its contact, who is locked before the
		// invitation is, in the order inviting and suspending take them:
		// a race with either waits for it instead of deadlocking. The
		// invitation is read again under the lock, as either may have
		// revoked it meanwhile.
		inv, err := s.pendingInvite(ctx, tx, tokenHash, now, "")
		if err != nil {
			return err
		}
		if inv == nil {
			return refused
		}
		if inv.UserID != nil {
			return s.acceptStaffInvite(ctx, tx, *inv, passwordHash, session, now)
		}
		p := portal.Principal{Audience: portal.AudiencePortal, WorkspaceID: inv.WorkspaceID, ContactID: *inv.ContactID}
		if c, err = lockForUpdate(ctx, s, tx, s.t.contacts, p, p.ContactID); err != nil {
			return err
		}
		if inv, err = s.pendingInvite(ctx, tx, tokenHash, now, s.dialect.forUpdate()); err != nil {
			return err
		}
		if inv == nil || c.PortalStatus != portal.PortalStatusInvited {
			return refused
		}
		p.ClientID = c.ClientID
		inv.AcceptedAt = &now
		if err := update(ctx, tx, s.t.invites, inv.WorkspaceID, inv.ID, inv); err != nil {
			return err
		}
		c.PortalStatus, c.PasswordHash, c.UpdatedAt = portal.PortalStatusActive, &passwordHash, now
		if err := update(ctx, tx, s.t.contacts, c.WorkspaceID, c.ID, c); err != nil {
			return err
		}
		session.WorkspaceID, session.ContactID = c.WorkspaceID, &c.ID
		if err := insert(ctx, tx, s.t.tokens, session); err != nil {
			return err
		}
		return s.record(ctx, tx, p, activity{
			action: portal.ActivityActionInviteAccepted, recordType: portal.RecordTypeContact, recordID: c.ID, clientID: &c.ClientID,
			summary: c.Name + " accepted the portal invitation and signed in",
		})
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

// acceptStaffInvite redeems a staff member's invitation, taking the locks
// in the order a contact's takes them: the staff member, then the
// invitation again.
func (s *Store) acceptStaffInvite(ctx context.Context, tx *sqlx.Tx, inv portal.Invite, passwordHash string, session *portal.AccessToken, now time.Time) error {
	p := portal.Principal{Audience: portal.AudienceStaff, WorkspaceID: inv.WorkspaceID, UserID: *inv.UserID}
	u, err := lockForUpdate(ctx, s, tx, s.t.users, p, p.UserID)
	if err != nil {
		return err
	}
	if u.DeactivatedAt != nil {
		return errInviteRefused
	}
	locked, err := s.pendingInvite(ctx, tx, inv.TokenHash, now, s.dialect.forUpdate())
	if err != nil {
		return err
	}
	if locked == nil {
		return errInviteRefused
	}
	locked.AcceptedAt = &now
	if err := update(ctx, tx, s.t.invites, locked.WorkspaceID, locked.ID, locked); err != nil {
		return err
	}
	u.PasswordHash, u.UpdatedAt = &passwordHash, now
	if err := update(ctx, tx, s.t.users, u.WorkspaceID, u.ID, u); err != nil {
		return err
	}
	session.WorkspaceID, session.UserID = u.WorkspaceID, &u.ID
	if err := insert(ctx, tx, s.t.tokens, session); err != nil {
		return err
	}
	return s.record(ctx, tx, p, activity{
		action: portal.ActivityActionInviteAccepted, recordType: portal.RecordTypeUser, recordID: u.ID,
		summary: u.Name + " accepted the invitation and signed in",
	})
}

// CreateWorkspace creates a workspace with its built-in roles, its owner,
// who has no password yet, and the owner's invitation to choose one, in
// one transaction. It is
// for operators: no principal asks. A slug another workspace has is a
// CONFLICT.
func (s *Store) CreateWorkspace(ctx context.Context, in portal.NewWorkspace, inv portal.Invitation) (*portal.Workspace, *portal.User, error) {
	in, err := in.Checked()
	if err != nil {
		return nil, nil, err
	}
	now := s.now()
	ws := &portal.Workspace{ID: portal.NewID(portal.PrefixWorkspace, now), Name: in.Name, Slug: in.Slug, CreatedAt: now}
	owner := &portal.User{
		WorkspaceID: ws.ID, ID: portal.NewID(portal.PrefixUser, now), Name: in.OwnerName, Email: normalizeEmail(in.OwnerEmail),
		RoleID: portal.BuiltInRoleID(portal.BuiltInRoleOwner), CreatedAt: now, UpdatedAt: now,
	}
	err = s.inTx(ctx, func(tx *sqlx.Tx) error {
		if err := insert(ctx, tx, s.t.workspaces, ws); err != nil {
			if s.dialect.isUniqueViolation(err) {
				return portal.Conflict("a workspace with the slug %q exists already", ws.Slug)
			}
			return err
		}
		if err := insertMany(ctx, tx, s.t.roles, portal.BuiltInRoles(ws.ID, now)); err != nil {
			return err
		}
		if err := insert(ctx, tx, s.t.users, owner); err != nil {
			return err
		}
		if err := insert(ctx, tx, s.t.invites, &portal.Invite{
			WorkspaceID: ws.ID, ID: portal.NewID(portal.PrefixInvite, now), UserID: &owner.ID,
			TokenHash: inv.TokenHash, CreatedAt: now, ExpiresAt: inv.ExpiresAt,
		}); err != nil {
			return err
		}
		return s.record(ctx, tx, portal.Principal{WorkspaceID: ws.ID}, activity{
			action: portal.ActivityActionCreated, recordType: portal.RecordTypeUser, recordID: owner.ID,
			summary: "Created the workspace " + ws.Name + " with its owner " + owner.Name + ", invited to choose a password",
		})
	})
	if err != nil {
		return nil, nil, err
	}
	return ws, owner, nil
}

// pendingInvite reads the invitation a token hash names while it may
// still be accepted; nil when it may not.
func (s *Store) pendingInvite(ctx context.Context, tx *sqlx.Tx, tokenHash string, now time.Time, lock string) (*portal.Invite, error) {
	q := &sqlBuf{}
	q.sql("SELECT " + s.t.invites.selectList("a") + " FROM invites a WHERE a.token_hash = ").arg(tokenHash).
		sql(" AND a.accepted_at IS NULL AND a.revoked_at IS NULL AND a.expires_at > ").arg(now).sql(lock)
	var inv *portal.Invite
	err := selectRecords(ctx, tx, s.t.invites, q, nil, func(r *portal.Invite) { inv = r })
	return inv, err
}

// SuspendContact suspends a contact's portal access: their sessions and
// any pending invitation end in the same transaction.
func (s *Store) SuspendContact(ctx context.Context, p portal.Principal, contactID string) (*portal.Contact, error) {
	return s.setAccess(ctx, p, contactID, func(tx *sqlx.Tx, c *portal.Contact, now time.Time) (string, error) {
		if c.PortalStatus == portal.PortalStatusSuspended {
			return "", nil
		}
		if _, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE tokens SET revoked_at = ?
			WHERE workspace_id = ? AND contact_id = ? AND revoked_at IS NULL`), now, p.WorkspaceID, c.ID); err != nil {
			return "", fmt.Errorf("end sessions: %w", err)
		}
		if err := s.revokeInvites(ctx, tx, p, c.ID, now); err != nil {
			return "", err
		}
		c.PortalStatus = portal.PortalStatusSuspended
		return "Suspended " + c.Name + "'s portal access", nil
	}, portal.ActivityActionContactSuspended)
}

// RestoreContact gives a suspended contact their access back; one who
// never accepted an invitation goes back to having none, to be invited.
func (s *Store) RestoreContact(ctx context.Context, p portal.Principal, contactID string) (*portal.Contact, error) {
	return s.setAccess(ctx, p, contactID, func(tx *sqlx.Tx, c *portal.Contact, _ time.Time) (string, error) {
		if c.PortalStatus != portal.PortalStatusSuspended {
			return "", portal.Conflict("%s's access is not suspended", c.Name)
		}
		c.PortalStatus = portal.PortalStatusNone
		if c.PasswordHash != nil {
			if err := s.checkLimit(ctx, tx, p.WorkspaceID, portal.LimitKindPortalContacts, 1); err != nil {
				return "", err
			}
			c.PortalStatus = portal.PortalStatusActive
		}
		return "Restored " + c.Name + "'s portal access", nil
	}, portal.ActivityActionContactRestored)
}

// setAccess changes a contact's portal status; change says how, and what
// to record, or "" when nothing changes.
func (s *Store) setAccess(ctx context.Context, p portal.Principal, contactID string, change func(*sqlx.Tx, *portal.Contact, time.Time) (string, error), action portal.ActivityAction) (*portal.Contact, error) {
	if err := p.Require(portal.PermissionPortalManage); err != nil {
		return nil, err
	}
	var c *portal.Contact
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		var err error
		if c, err = lockForUpdate(ctx, s, tx, s.t.contacts, p, contactID); err != nil {
			return err
		}
		now := s.now()
		summary, err := change(tx, c, now)
		if err != nil || summary == "" {
			return err
		}
		c.UpdatedAt = now
		if err := update(ctx, tx, s.t.contacts, p.WorkspaceID, c.ID, c); err != nil {
			return err
		}
		return s.record(ctx, tx, p, activity{
			action: action, recordType: portal.RecordTypeContact, recordID: c.ID, clientID: &c.ClientID, summary: summary,
		})
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

// StartPreview stores a preview token for a staff member seeing the portal
// as a contact of a client whose portal is on.
func (s *Store) StartPreview(ctx context.Context, p portal.Principal, contactID string, token *portal.AccessToken) (*portal.Contact, error) {
	if err := p.Require(portal.PermissionPortalManage); err != nil {
		return nil, err
	}
	var c *portal.Contact
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		var err error
		if c, err = lockForUpdate(ctx, s, tx, s.t.contacts, p, contactID); err != nil {
			return err
		}
		client, err := lockForUpdate(ctx, s, tx, s.t.clients, p, c.ClientID)
		if err != nil {
			return err
		}
		if !client.PortalEnabled || client.ArchivedAt != nil {
			return portal.Conflict("turn on %s's portal to preview it", client.Name)
		}
		token.WorkspaceID, token.ContactID, token.PreviewBy = p.WorkspaceID, &c.ID, ptr(p.UserID)
		if err := insert(ctx, tx, s.t.tokens, token); err != nil {
			return err
		}
		return s.record(ctx, tx, p, activity{
			action: portal.ActivityActionPortalPreviewed, recordType: portal.RecordTypeContact, recordID: c.ID, clientID: &c.ClientID,
			summary: "Previewed the portal as " + c.Name,
		})
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

// LoginAccounts finds the staff members and contacts an email signs in to,
// in every workspace. A contact signs in only while they may use the
// portal: their access ACTIVE, their client's portal on and the client not
// archived. Any other contact is left out, so signing in as one fails just
// as an unknown email does.
func (s *Store) LoginAccounts(ctx context.Context, email string) ([]portal.LoginAccount, error) {
	var out []portal.LoginAccount
	err := s.db.SelectContext(ctx, &out, s.db.Rebind(`
		SELECT u.workspace_id, w.slug AS workspace_slug, u.id AS user_id, NULL AS contact_id, u.name, u.password_hash
		FROM users u JOIN workspaces w ON w.id = u.workspace_id WHERE u.email = ? AND u.deactivated_at IS NULL
		UNION ALL
		SELECT c.workspace_id, w.slug, NULL, c.id, c.name, c.password_hash
		FROM contacts c JOIN workspaces w ON w.id = c.workspace_id
		JOIN clients cl ON cl.workspace_id = c.workspace_id AND cl.id = c.client_id
		WHERE c.email = ? AND c.portal_status = 'ACTIVE' AND cl.portal_enabled = TRUE AND cl.archived_at IS NULL
		ORDER BY 2`), normalizeEmail(email), normalizeEmail(email))
	if err != nil {
		return nil, fmt.Errorf("find accounts: %w", err)
	}
	return out, nil
}

// StartSession stores a signed-in account's session and records the
// sign-in. A contact's access is checked again under a lock on the
// contact: suspending them while their password was being checked either
// comes first and refuses the session, or comes after and ends it.
func (s *Store) StartSession(ctx context.Context, a portal.Account, session *portal.AccessToken) error {
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		session.WorkspaceID, session.UserID, session.ContactID = a.WorkspaceID, a.UserID, a.ContactID
		if a.UserID != nil {
			if err := insert(ctx, tx, s.t.tokens, session); err != nil {
				return err
			}
			p := portal.Principal{Audience: portal.AudienceStaff, WorkspaceID: a.WorkspaceID, UserID: *a.UserID}
			return s.record(ctx, tx, p, activity{action: portal.ActivityActionLoggedIn, recordType: portal.RecordTypeUser, recordID: *a.UserID, summary: a.Name + " signed in"})
		}
		p := portal.Principal{Audience: portal.AudiencePortal, WorkspaceID: a.WorkspaceID, ContactID: *a.ContactID}
		c, err := lockForUpdate(ctx, s, tx, s.t.contacts, p, *a.ContactID)
		if err != nil {
			return err
		}
		var open int
		if err := tx.GetContext(ctx, &open, tx.Rebind(`SELECT COUNT(*) FROM clients WHERE workspace_id = ? AND id = ?
			AND portal_enabled = TRUE AND archived_at IS NULL`), c.WorkspaceID, c.ClientID); err != nil {
			return fmt.Errorf("read client: %w", err)
		}
		if c.PortalStatus != portal.PortalStatusActive || open == 0 {
			return portal.Unauthenticated("portal access for this account is not active")
		}
		if err := insert(ctx, tx, s.t.tokens, session); err != nil {
			return err
		}
		p.ClientID = c.ClientID
		return s.record(ctx, tx, p, activity{
			action: portal.ActivityActionLoggedIn, recordType: portal.RecordTypeContact, recordID: c.ID, clientID: &c.ClientID,
			summary: a.Name + " signed in to the portal",
		})
	})
}

// EndSession revokes the token a principal's request was made with.
func (s *Store) EndSession(ctx context.Context, p portal.Principal) (bool, error) {
	res, err := s.db.ExecContext(ctx, s.db.Rebind(`UPDATE tokens SET revoked_at = ? WHERE workspace_id = ? AND id = ? AND revoked_at IS NULL`),
		s.now(), p.WorkspaceID, p.SessionID)
	if err != nil {
		return false, fmt.Errorf("end session: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil || n == 0 {
		return false, err
	}
	// Subscriptions made with the session end with it, on every server.
	return true, s.AnnounceAccess(ctx, p.WorkspaceID)
}

// LoginFailures counts the failed sign-ins under each key since a time.
func (s *Store) LoginFailures(ctx context.Context, keys []string, since time.Time) (map[string]int, error) {
	q := &sqlBuf{}
	q.sql("SELECT key, COUNT(*) FROM login_failures a")
	w := q.where()
	s.dialect.inList(w.next(), "a.key", keys)
	w.next().sql("a.failed_at >= ").arg(since)
	q.sql(" GROUP BY key")
	rows, err := s.db.QueryxContext(ctx, s.db.Rebind(q.String()), q.args...)
	if err != nil {
		return nil, fmt.Errorf("count sign-in failures: %w", err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var key string
		var n int
		if err := rows.Scan(&key, &n); err != nil {
			return nil, err
		}
		out[key] = n
	}
	return out, rows.Err()
}

// RecordLoginFailure notes a failed sign-in under each key, and forgets
// failures older than a day.
func (s *Store) RecordLoginFailure(ctx context.Context, keys []string) error {
	now := s.now()
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		for _, k := range keys {
			if _, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO login_failures (key, failed_at) VALUES (?, ?)`), k, now); err != nil {
				return fmt.Errorf("record sign-in failure: %w", err)
			}
		}
		_, err := tx.ExecContext(ctx, tx.Rebind(`DELETE FROM login_failures WHERE failed_at < ?`), now.Add(-24*time.Hour))
		return err
	})
}

// ClearLoginFailures forgets the failures under a key, after a sign-in
// succeeds.
func (s *Store) ClearLoginFailures(ctx context.Context, key string) error {
	_, err := s.db.ExecContext(ctx, s.db.Rebind(`DELETE FROM login_failures WHERE key = ?`), key)
	return err
}

// portalStatusSQL is a client's portal status, computed from the client
// row (alias a) and its contacts: the one definition both the filter and
// the overview use.
const portalStatusSQL = `CASE
	WHEN a.portal_enabled = FALSE OR a.archived_at IS NOT NULL THEN 'DISABLED'
	WHEN EXISTS (SELECT 1 FROM contacts ps WHERE ps.workspace_id = a.workspace_id AND ps.client_id = a.id AND ps.portal_status = 'ACTIVE') THEN 'ACTIVE'
	WHEN EXISTS (SELECT 1 FROM contacts ps WHERE ps.workspace_id = a.workspace_id AND ps.client_id = a.id AND ps.portal_status = 'INVITED') THEN 'INVITED'
	ELSE 'ENABLED' END`

// PortalOverviewsOf returns each client's portal at a glance.
func (s *Store) PortalOverviewsOf(ctx context.Context, p portal.Principal, clientIDs []string) (map[string]*portal.ClientPortalOverview, error) {
	q := &sqlBuf{}
	q.sql("SELECT a.id, " + portalStatusSQL + `,
		(SELECT COUNT(*) FROM contacts c WHERE c.workspace_id = a.workspace_id AND c.client_id = a.id AND c.portal_status = 'ACTIVE'),
		(SELECT COUNT(*) FROM contacts c WHERE c.workspace_id = a.workspace_id AND c.client_id = a.id AND c.portal_status = 'INVITED'),
		(SELECT COUNT(*) FROM contacts c WHERE c.workspace_id = a.workspace_id AND c.client_id = a.id AND c.portal_status = 'SUSPENDED'),
		(SELECT MAX(c.last_seen_at) FROM contacts c WHERE c.workspace_id = a.workspace_id AND c.client_id = a.id),
		(SELECT COUNT(*) FROM approvals ap WHERE ap.workspace_id = a.workspace_id AND ap.client_id = a.id AND ap.status = 'PENDING' AND ap.deleted_at IS NULL)
		FROM clients a`)
	w := q.where()
	s.dialect.inList(w.next(), "a.id", clientIDs)
	scope{p}.clients().write(w, "a")
	rows, err := s.reads.QueryxContext(ctx, s.reads.Rebind(q.String()), q.args...)
	if err != nil {
		return nil, fmt.Errorf("read portal overviews: %w", err)
	}
	defer rows.Close()
	out := map[string]*portal.ClientPortalOverview{}
	for rows.Next() {
		var id string
		o := &portal.ClientPortalOverview{}
		var lastSeen sqlTime
		if err := rows.Scan(&id, &o.Status, &o.ActiveContacts, &o.InvitedContacts, &o.SuspendedContacts, &lastSeen, &o.PendingApprovals); err != nil {
			return nil, err
		}
		o.LastSeenAt = lastSeen.t
		out[id] = o
	}
	return out, rows.Err()
}

// PendingInviteExpiries returns when each contact's pending invitation
// expires.
func (s *Store) PendingInviteExpiries(ctx context.Context, p portal.Principal, contactIDs []string) (map[string]*time.Time, error) {
	q := &sqlBuf{}
	q.sql("SELECT a.contact_id, MAX(a.expires_at) FROM invites a")
	w := q.where()
	s.dialect.inList(w.next(), "a.contact_id", contactIDs)
	w.next().sql("a.accepted_at IS NULL AND a.revoked_at IS NULL")
	// An invitation is visible exactly when its contact is.
	w.next().sql("EXISTS (SELECT 1 FROM contacts ac WHERE ac.workspace_id = a.workspace_id AND ac.id = a.contact_id")
	scope{p}.contacts().write(&conds{q: q, count: 1}, "ac")
	q.sql(") GROUP BY a.contact_id")
	rows, err := s.reads.QueryxContext(ctx, s.reads.Rebind(q.String()), q.args...)
	if err != nil {
		return nil, fmt.Errorf("read invitations: %w", err)
	}
	defer rows.Close()
	out := map[string]*time.Time{}
	for rows.Next() {
		var id string
		var at sqlTime
		if err := rows.Scan(&id, &at); err != nil {
			return nil, err
		}
		out[id] = at.t
	}
	return out, rows.Err()
}

// TouchLastSeen records when contacts last used the portal, never moving
// the time back. The audit's flush hands it every contact seen since the
// last: one statement updates them all, where one each cost a round trip
// and a statement per contact (200 for the bench's first flush).
func (s *Store) TouchLastSeen(ctx context.Context, seen []portal.Seen) error {
	// One row per contact, at its latest time: a statement updating a row
	// from two rows would keep either.
	latest := map[[2]string]time.Time{}
	for _, v := range seen {
		k := [2]string{v.WorkspaceID, v.ContactID}
		if at, ok := latest[k]; !ok || v.At.After(at) {
			latest[k] = v.At
		}
	}
	if len(latest) == 0 {
		return nil
	}
	// In key order: the same contacts make the same statement.
	keys := slices.SortedFunc(maps.Keys(latest), func(a, b [2]string) int {
		return cmp.Or(strings.Compare(a[0], b[0]), strings.Compare(a[1], b[1]))
	})
	// PostgreSQL types a parameter by its use; SQLite stores times as the
	// text they are bound as, which a cast would turn into a number.
	atArg := func(q *sqlBuf, at time.Time) {
		if s.dialect.isPostgres() {
			q.sql("CAST(").arg(at).sql(" AS timestamptz)")
			return
		}
		q.arg(at)
	}
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		for chunk := range slices.Chunk(keys, 10000) {
			q := &sqlBuf{}
			q.sql("UPDATE contacts SET last_seen_at = v.at FROM (")
			for i, k := range chunk {
				if i > 0 {
					q.sql(" UNION ALL ")
				}
				q.sql("SELECT ").arg(k[0]).sql(" AS workspace_id, ").arg(k[1]).sql(" AS id, ")
				atArg(q, latest[k])
				q.sql(" AS at")
			}
			q.sql(`) AS v WHERE contacts.workspace_id = v.workspace_id AND contacts.id = v.id
				AND (contacts.last_seen_at IS NULL OR contacts.last_seen_at < v.at)`)
			if _, err := tx.ExecContext(ctx, tx.Rebind(q.String()), q.args...); err != nil {
				return fmt.Errorf("record last seen: %w", err)
			}
		}
		return nil
	})
}

// sqlTime scans a time an aggregate returns: SQLite gives the text it
// stores, PostgreSQL a time.
type sqlTime struct{ t *time.Time }

func (s *sqlTime) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		s.t = nil
	case time.Time:
		t := v.UTC()
		s.t = &t
	case string:
		return s.parse(v)
	case []byte:
		return s.parse(string(v))
	default:
		return fmt.Errorf("cannot scan %T into a time", src)
	}
	return nil
}

func (s *sqlTime) parse(v string) error {
	for _, layout := range []string{"2006-01-02 15:04:05.999999999-07:00", time.RFC3339Nano} {
		if t, err := time.Parse(layout, v); err == nil {
			t = t.UTC()
			s.t = &t
			return nil
		}
	}
	return fmt.Errorf("cannot read %q as a time", v)
}
