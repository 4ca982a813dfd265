package sqlstore

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"portalgraph/internal/portal"
)

// Roles and staff management: the workspace's roles (the five built-in
// ones and its own), and inviting, changing, deactivating and
// reactivating staff members and transferring ownership. The permissions
// a staff member holds are read from their role's row with their token
// (tokenHolder), so every change here counts from the next request.

// syncBuiltInRoles rewrites the built-in rows of every workspace from
// portal.BuiltInPermissions where they differ: the matrix is code, the
// rows are what requests read.
func (s *Store) syncBuiltInRoles(ctx context.Context) error {
	for _, r := range portal.AllBuiltInRole {
		perms, _ := portal.BuiltInPermissions(r).Value()
		if _, err := s.db.ExecContext(ctx, s.db.Rebind(`UPDATE roles SET permissions = ? WHERE built_in = ? AND permissions <> ?`),
			perms, string(r), perms); err != nil {
			return fmt.Errorf("update the built-in roles: %w", err)
		}
	}
	return nil
}

// roles: staff see their workspace's roles, whatever their own; nobody
// else sees any.
func (sc scope) roles() ruleSet {
	if sc.p.IsStaff() {
		return ruleSet{rules: []rule{sc.inWorkspace()}}
	}
	return nobody(sc.p.Audience)
}

// Roles lists the workspace's roles: the built-in ones in the matrix's
// order (their IDs'), then its own by name.
func (s *Store) Roles(ctx context.Context, p portal.Principal) ([]*portal.Role, error) {
	q := &sqlBuf{}
	q.sql("SELECT " + s.t.roles.selectList("a") + " FROM roles a")
	scope{p}.roles().write(q.where(), "a")
	var out []*portal.Role
	err := selectRecords(ctx, s.reads, s.t.roles, q, nil, func(r *portal.Role) { out = append(out, r) })
	if err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b *portal.Role) int {
		switch {
		case (a.BuiltIn == nil) != (b.BuiltIn == nil):
			if a.BuiltIn != nil {
				return -1
			}
			return 1
		case a.BuiltIn != nil:
			return strings.Compare(a.ID, b.ID)
		}
		return cmp.Or(strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)), strings.Compare(a.ID, b.ID))
	})
	return out, nil
}

func (s *Store) RolesByID(ctx context.Context, p portal.Principal, ids []string) ([]*portal.Role, error) {
	return byIDs(ctx, s, s.t.roles, scope{p}.roles(), ids)
}

// RoleMemberCounts counts the staff members holding each role, in one
// statement.
func (s *Store) RoleMemberCounts(ctx context.Context, p portal.Principal, ids []string) (map[string]int, error) {
	out := make(map[string]int, len(ids))
	if len(ids) == 0 || !p.IsStaff() {
		return out, nil
	}
	q := &sqlBuf{}
	q.sql("SELECT a.role_id, COUNT(*) FROM users a")
	w := q.where()
	s.dialect.inList(w.next(), "a.role_id", ids)
	scope{p}.users().write(w, "a")
	q.sql(" GROUP BY a.role_id")
	rows, err := s.reads.QueryxContext(ctx, s.reads.Rebind(q.String()), q.args...)
	if err != nil {
		return nil, fmt.Errorf("count role members: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			return nil, fmt.Errorf("count role members: %w", err)
		}
		out[id] = n
	}
	return out, rows.Err()
}

// staffMember is a staff member as a principal, with their role as it is
// now, for what judges a member other than by their token: the
// explanation of access, the export worker.
type staffMember struct {
	portal.Principal
	deactivated bool
}

func (s *Store) staffMember(ctx context.Context, db sqlx.QueryerContext, workspaceID, userID string) (staffMember, error) {
	var row struct {
		RoleID      string               `db:"role_id"`
		BuiltIn     *portal.BuiltInRole  `db:"built_in"`
		Perms       portal.PermissionSet `db:"permissions"`
		Deactivated bool                 `db:"deactivated"`
	}
	err := sqlx.GetContext(ctx, db, &row, s.db.Rebind(`SELECT u.role_id, r.built_in, r.permissions, u.deactivated_at IS NOT NULL AS deactivated
		FROM users u JOIN roles r ON r.workspace_id = u.workspace_id AND r.id = u.role_id
		WHERE u.workspace_id = ? AND u.id = ?`), workspaceID, userID)
	if errNoRows(err) {
		return staffMember{}, portal.NotFound(userID)
	}
	if err != nil {
		return staffMember{}, fmt.Errorf("read staff member: %w", err)
	}
	m := staffMember{Principal: portal.Principal{
		Audience: portal.AudienceStaff, WorkspaceID: workspaceID, UserID: userID, RoleID: row.RoleID, Perms: row.Perms,
	}, deactivated: row.Deactivated}
	if row.BuiltIn != nil {
		m.BuiltIn = *row.BuiltIn
	}
	return m, nil
}

// roleFor reads the role a staff change names, within the workspace;
// an unknown one is bad input of field.
func (s *Store) roleFor(ctx context.Context, tx *sqlx.Tx, p portal.Principal, id, field string) (*portal.Role, error) {
	r, err := oneRecord(ctx, tx, s.t.roles, inWorkspace(p.WorkspaceID), id, "")
	if portal.ErrorCode(err) == portal.CodeNotFound {
		return nil, portal.InvalidField(field, fmt.Sprintf("no role with id %q", id))
	}
	return r, err
}

// roleNameTaken turns the unique name of a role into a CONFLICT.
func (s *Store) roleNameTaken(err error, name string) error {
	if s.dialect.isUniqueViolation(err) {
		return portal.Conflict("a role named %q exists already", name)
	}
	return err
}

// CreateRole defines a role of the workspace's own.
func (s *Store) CreateRole(ctx context.Context, p portal.Principal, in portal.CreateRoleInput) (*portal.Role, error) {
	if err := p.Require(portal.PermissionRolesManage); err != nil {
		return nil, err
	}
	perms, err := portal.CheckRolePermissions("input.permissions", in.Permissions)
	if err != nil {
		return nil, err
	}
	if err := p.MayHandle("the role", perms); err != nil {
		return nil, err
	}
	now := s.now()
	r := &portal.Role{WorkspaceID: p.WorkspaceID, ID: portal.NewID(portal.PrefixRole, now), Name: strings.TrimSpace(in.Name), Perms: perms, CreatedAt: now, UpdatedAt: now}
	err = s.inTx(ctx, func(tx *sqlx.Tx) error {
		if err := insert(ctx, tx, s.t.roles, r); err != nil {
			return s.roleNameTaken(err, r.Name)
		}
		return s.record(ctx, tx, p, activity{
			action: portal.ActivityActionRoleCreated, recordType: portal.RecordTypeRole, recordID: r.ID,
			summary: fmt.Sprintf("Created the role %s with %d permissions", r.Name, len(r.Permissions())),
		})
	})
	if err != nil {
		return nil, err
	}
	return r, nil
}

// lockCustomRole locks a role to change it: built-in roles are refused,
// and so is a role holding more than the principal.
func (s *Store) lockCustomRole(ctx context.Context, tx *sqlx.Tx, p portal.Principal, id string) (*portal.Role, error) {
	r, err := lockVisible(ctx, s, tx, s.t.roles, scope{p}.roles(), p, id)
	if err != nil {
		return nil, err
	}
	if r.BuiltIn != nil {
		return nil, portal.InvalidField("input.id", fmt.Sprintf("%s is a built-in role: built-in roles cannot be changed or deleted", r.Name))
	}
	if err := p.MayHandle(r.Name, r.Perms); err != nil {
		return nil, err
	}
	return r, nil
}

// UpdateRole renames a role of the workspace's own or changes its
// permissions; its members hold them from their next request.
func (s *Store) UpdateRole(ctx context.Context, p portal.Principal, in portal.UpdateRoleInput) (*portal.Role, error) {
	if err := p.Require(portal.PermissionRolesManage); err != nil {
		return nil, err
	}
	var perms *portal.PermissionSet
	if in.Permissions != nil {
		set, err := portal.CheckRolePermissions("input.permissions", in.Permissions)
		if err != nil {
			return nil, err
		}
		perms = &set
	}
	var r *portal.Role
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		var err error
		if r, err = s.lockCustomRole(ctx, tx, p, in.ID); err != nil {
			return err
		}
		if perms != nil {
			if err := p.MayHandle("the role", *perms); err != nil {
				return err
			}
		}
		var ch changes
		setTrimmed(&ch, "name", &r.Name, in.Name)
		set(&ch, "permissions", &r.Perms, perms)
		if ch.none() {
			return nil
		}
		r.UpdatedAt = s.now()
		if err := update(ctx, tx, s.t.roles, p.WorkspaceID, r.ID, r); err != nil {
			return s.roleNameTaken(err, r.Name)
		}
		return s.record(ctx, tx, p, activity{
			action: portal.ActivityActionRoleUpdated, recordType: portal.RecordTypeRole, recordID: r.ID,
			summary: "Changed the role " + r.Name, changed: ch,
		})
	})
	if err != nil {
		return nil, err
	}
	return r, nil
}

// DeleteRole deletes a role of the workspace's own that nobody holds,
// deactivated members included.
func (s *Store) DeleteRole(ctx context.Context, p portal.Principal, id string) error {
	if err := p.Require(portal.PermissionRolesManage); err != nil {
		return err
	}
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		r, err := s.lockCustomRole(ctx, tx, p, id)
		if err != nil {
			return err
		}
		var held int
		if err := tx.GetContext(ctx, &held, tx.Rebind(`SELECT COUNT(*) FROM users WHERE workspace_id = ? AND role_id = ?`), p.WorkspaceID, r.ID); err != nil {
			return fmt.Errorf("count role members: %w", err)
		}
		if held > 0 {
			return portal.Conflict("%d staff members hold the role %s: give them another role first", held, r.Name)
		}
		if _, err := tx.ExecContext(ctx, tx.Rebind(`DELETE FROM roles WHERE workspace_id = ? AND id = ?`), p.WorkspaceID, r.ID); err != nil {
			return fmt.Errorf("delete role: %w", err)
		}
		return s.record(ctx, tx, p, activity{
			action: portal.ActivityActionRoleDeleted, recordType: portal.RecordTypeRole, recordID: r.ID,
			summary: "Deleted the role " + r.Name,
		})
	})
}

// InviteStaff adds a staff member without a password and their
// single-use invitation to choose one, as a new workspace's owner is
// invited; the mail is queued in the same transaction. Nobody is invited
// into the OWNER role: ownership is transferred.
func (s *Store) InviteStaff(ctx context.Context, p portal.Principal, in portal.InviteStaffInput, inv portal.Invitation, mail func(u *portal.User) (subject, body string)) (*portal.User, error) {
	if err := p.Require(portal.PermissionStaffManage); err != nil {
		return nil, err
	}
	now := s.now()
	u := &portal.User{
		WorkspaceID: p.WorkspaceID, ID: portal.NewID(portal.PrefixUser, now), Name: strings.TrimSpace(in.Name),
		Email: normalizeEmail(in.Email), RoleID: in.RoleID, CreatedAt: now, UpdatedAt: now,
	}
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		r, err := s.roleFor(ctx, tx, p, in.RoleID, "input.roleId")
		if err != nil {
			return err
		}
		if r.IsOwner() {
			return portal.InvalidField("input.roleId", "nobody is invited as the owner: invite them into another role, then transfer ownership")
		}
		if err := p.MayHandle(r.Name, r.Perms); err != nil {
			return err
		}
		if err := insert(ctx, tx, s.t.users, u); err != nil {
			if s.dialect.isUniqueViolation(err) {
				return portal.Conflict("a staff member with the email %s exists already", u.Email)
			}
			return err
		}
		return s.sendStaffInvitation(ctx, tx, p, u, inv, now, mail, "Invited "+u.Name+" to the staff as "+r.Name)
	})
	if err != nil {
		return nil, err
	}
	return u, nil
}

// ReinviteStaff sends a staff member who has not chosen a password yet a
// new invitation, ending the open ones before: an invitation that expired
// unused leaves no other way in. The mail is queued in the same
// transaction.
func (s *Store) ReinviteStaff(ctx context.Context, p portal.Principal, userID string, inv portal.Invitation, mail func(u *portal.User) (subject, body string)) (*portal.User, error) {
	if err := p.Require(portal.PermissionStaffManage); err != nil {
		return nil, err
	}
	var u *portal.User
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		var err error
		if u, err = s.lockStaff(ctx, tx, p, userID); err != nil {
			return err
		}
		switch {
		case u.PasswordHash != nil:
			return portal.InvalidField("input.userId", u.Name+" has chosen a password already and signs in with it")
		case u.DeactivatedAt != nil:
			return portal.InvalidField("input.userId", u.Name+" is deactivated: reactivate them first")
		}
		now := s.now()
		if _, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE invites SET revoked_at = ?
			WHERE workspace_id = ? AND user_id = ? AND accepted_at IS NULL AND revoked_at IS NULL`), now, p.WorkspaceID, u.ID); err != nil {
			return fmt.Errorf("revoke invitations: %w", err)
		}
		return s.sendStaffInvitation(ctx, tx, p, u, inv, now, mail, "Invited "+u.Name+" to the staff again")
	})
	if err != nil {
		return nil, err
	}
	return u, nil
}

// sendStaffInvitation writes a staff member's invitation, queues its
// mail and records the invitation, in the caller's transaction.
func (s *Store) sendStaffInvitation(ctx context.Context, tx *sqlx.Tx, p portal.Principal, u *portal.User, inv portal.Invitation, now time.Time,
	mail func(u *portal.User) (subject, body string), summary string) error {
	if err := insert(ctx, tx, s.t.invites, &portal.Invite{
		WorkspaceID: p.WorkspaceID, ID: portal.NewID(portal.PrefixInvite, now), UserID: &u.ID,
		TokenHash: inv.TokenHash, CreatedBy: ptr(p.UserID), CreatedAt: now, ExpiresAt: inv.ExpiresAt,
	}); err != nil {
		return err
	}
	if mail != nil {
		subject, body := mail(u)
		if err := s.enqueue(ctx, tx, p, "STAFF_INVITATION", u.Email, subject, body); err != nil {
			return err
		}
	}
	return s.record(ctx, tx, p, activity{
		action: portal.ActivityActionStaffInvited, recordType: portal.RecordTypeUser, recordID: u.ID, summary: summary,
	})
}

// lockStaff locks a staff member another staff member changes: nobody
// changes themselves this way, nor a member whose role holds more than
// they do.
func (s *Store) lockStaff(ctx context.Context, tx *sqlx.Tx, p portal.Principal, userID string) (*portal.User, error) {
	if userID == p.UserID {
		return nil, portal.InvalidField("input.userId", "you cannot change your own role or deactivate yourself")
	}
	u, err := lockVisible(ctx, s, tx, s.t.users, scope{p}.users(), p, userID)
	if err != nil {
		return nil, err
	}
	if u.RoleID == portal.BuiltInRoleID(portal.BuiltInRoleOwner) {
		// Every change of the owner is refused, with its own reason, by
		// the caller.
		return u, nil
	}
	current, err := s.roleFor(ctx, tx, p, u.RoleID, "input.userId")
	if err != nil {
		return nil, err
	}
	if err := p.MayHandle(u.Name+"'s role, "+current.Name+",", current.Perms); err != nil {
		return nil, err
	}
	return u, nil
}

// ChangeStaffRole gives a staff member another role, neither to nor from
// OWNER: a workspace keeps its one owner, whom only a transfer changes.
func (s *Store) ChangeStaffRole(ctx context.Context, p portal.Principal, in portal.ChangeStaffRoleInput) (*portal.User, error) {
	if err := p.Require(portal.PermissionStaffManage); err != nil {
		return nil, err
	}
	var u *portal.User
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		var err error
		if u, err = s.lockStaff(ctx, tx, p, in.UserID); err != nil {
			return err
		}
		r, err := s.roleFor(ctx, tx, p, in.RoleID, "input.roleId")
		if err != nil {
			return err
		}
		owner := portal.BuiltInRoleID(portal.BuiltInRoleOwner)
		switch {
		case u.RoleID == owner:
			return portal.InvalidField("input.userId", u.Name+" is the owner: transfer ownership to change that")
		case r.IsOwner():
			return portal.InvalidField("input.roleId", "ownership is transferred (transferOwnership), not given as a role")
		case u.RoleID == r.ID:
			return nil
		}
		if err := p.MayHandle(r.Name, r.Perms); err != nil {
			return err
		}
		u.RoleID, u.UpdatedAt = r.ID, s.now()
		if err := update(ctx, tx, s.t.users, p.WorkspaceID, u.ID, u); err != nil {
			return err
		}
		return s.record(ctx, tx, p, activity{
			action: portal.ActivityActionStaffRoleChanged, recordType: portal.RecordTypeUser, recordID: u.ID,
			summary: u.Name + " is now " + r.Name, changed: changes{"role"},
		})
	})
	if err != nil {
		return nil, err
	}
	return u, nil
}

// DeactivateStaff deactivates a staff member: they cannot sign in nor
// accept a pending invitation, and every token of theirs, their previews
// of the portal included, is refused from the next request (the token's
// statement reads deactivated_at; the tokens are revoked too, so they
// stay ended after a reactivation). The owner is never deactivated.
func (s *Store) DeactivateStaff(ctx context.Context, p portal.Principal, userID string) (*portal.User, error) {
	return s.setActive(ctx, p, userID, func(tx *sqlx.Tx, u *portal.User, now time.Time) (portal.ActivityAction, string, error) {
		if u.RoleID == portal.BuiltInRoleID(portal.BuiltInRoleOwner) {
			return "", "", portal.InvalidField("input.userId", u.Name+" is the owner: transfer ownership before deactivating them")
		}
		if u.DeactivatedAt != nil {
			return "", "", nil
		}
		if _, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE tokens SET revoked_at = ?
			WHERE workspace_id = ? AND (user_id = ? OR preview_by = ?) AND revoked_at IS NULL`), now, p.WorkspaceID, u.ID, u.ID); err != nil {
			return "", "", fmt.Errorf("end sessions: %w", err)
		}
		u.DeactivatedAt = &now
		return portal.ActivityActionStaffDeactivated, "Deactivated " + u.Name, nil
	})
}

// ReactivateStaff lets a deactivated staff member sign in again with
// their password, or accept their invitation if it is still open.
func (s *Store) ReactivateStaff(ctx context.Context, p portal.Principal, userID string) (*portal.User, error) {
	return s.setActive(ctx, p, userID, func(_ *sqlx.Tx, u *portal.User, _ time.Time) (portal.ActivityAction, string, error) {
		if u.DeactivatedAt == nil {
			return "", "", portal.Conflict("%s is not deactivated", u.Name)
		}
		u.DeactivatedAt = nil
		return portal.ActivityActionStaffReactivated, "Reactivated " + u.Name, nil
	})
}

// setActive changes whether a staff member is active; change says how and
// what to record, or nothing (an empty action) when nothing changes.
func (s *Store) setActive(ctx context.Context, p portal.Principal, userID string,
	change func(tx *sqlx.Tx, u *portal.User, now time.Time) (portal.ActivityAction, string, error)) (*portal.User, error) {
	if err := p.Require(portal.PermissionStaffManage); err != nil {
		return nil, err
	}
	var u *portal.User
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		var err error
		if u, err = s.lockStaff(ctx, tx, p, userID); err != nil {
			return err
		}
		now := s.now()
		action, summary, err := change(tx, u, now)
		if err != nil || action == "" {
			return err
		}
		u.UpdatedAt = now
		if err := update(ctx, tx, s.t.users, p.WorkspaceID, u.ID, u); err != nil {
			return err
		}
		// A USER event is a change of access (live.Event.AccessChange):
		// a deactivated member's subscriptions close on every server.
		return s.record(ctx, tx, p, activity{action: action, recordType: portal.RecordTypeUser, recordID: u.ID, summary: summary})
	})
	if err != nil {
		return nil, err
	}
	return u, nil
}

// TransferOwnership makes an active staff member the owner and the owner
// an ADMIN, in one transaction: the workspace has one owner before and
// after. Only the owner holds OWNERSHIP_TRANSFER.
func (s *Store) TransferOwnership(ctx context.Context, p portal.Principal, userID string) (newOwner, previous *portal.User, err error) {
	if err := p.Require(portal.PermissionOwnershipTransfer); err != nil {
		return nil, nil, err
	}
	owner := portal.BuiltInRoleID(portal.BuiltInRoleOwner)
	err = s.inTx(ctx, func(tx *sqlx.Tx) error {
		var err error
		if previous, err = lockForUpdate(ctx, s, tx, s.t.users, p, p.UserID); err != nil {
			return err
		}
		if previous.RoleID != owner {
			// The permission is the owner's; a workspace's own role may
			// not hold it. This holds should that ever change.
			return portal.Forbidden("only the owner transfers ownership")
		}
		if userID == p.UserID {
			return portal.InvalidField("input.userId", "you are the owner already")
		}
		if newOwner, err = lockVisible(ctx, s, tx, s.t.users, scope{p}.users(), p, userID); err != nil {
			return err
		}
		if newOwner.DeactivatedAt != nil {
			return portal.InvalidField("input.userId", newOwner.Name+" is deactivated: reactivate them first")
		}
		now := s.now()
		// The former owner first: the index of owners allows one.
		previous.RoleID, previous.UpdatedAt = portal.BuiltInRoleID(portal.BuiltInRoleAdmin), now
		if err := update(ctx, tx, s.t.users, p.WorkspaceID, previous.ID, previous); err != nil {
			return err
		}
		newOwner.RoleID, newOwner.UpdatedAt = owner, now
		if err := update(ctx, tx, s.t.users, p.WorkspaceID, newOwner.ID, newOwner); err != nil {
			return err
		}
		return s.record(ctx, tx, p, activity{
			action: portal.ActivityActionOwnershipTransferred, recordType: portal.RecordTypeUser, recordID: newOwner.ID,
			summary: previous.Name + " made " + newOwner.Name + " the owner, and is now an admin", changed: changes{"role"},
		})
	})
	if err != nil {
		return nil, nil, err
	}
	return newOwner, previous, nil
}
