package portal

import (
	"database/sql/driver"
	"fmt"
	"math/bits"
	"slices"
	"strings"
	"time"
)

// Action is what a permission of a kind of record allows.
type Action string

const (
	ActionView   Action = "VIEW"
	ActionCreate Action = "CREATE"
	ActionUpdate Action = "UPDATE"
	ActionDelete Action = "DELETE"
)

// Actions are the four actions every kind of record has a permission for.
func Actions() []Action { return []Action{ActionView, ActionCreate, ActionUpdate, ActionDelete} }

// PermissionTo is the permission of an action on a kind of record, named as
// the schema names it: records is the prefix, such as "PROJECTS".
func PermissionTo(a Action, records string) Permission {
	return Permission(records + "_" + string(a))
}

// Split reads a permission as an action on a kind of record; ok is false
// for the special permissions (budgets, publishing, portal management…).
func (perm Permission) Split() (records string, a Action, ok bool) {
	for _, a := range Actions() {
		if r, found := strings.CutSuffix(string(perm), "_"+string(a)); found {
			return r, a, true
		}
	}
	return "", "", false
}

// PermissionSet is a set of permissions, one bit per value of the schema's
// Permission enum (in AllPermission's order). It is comparable, so a
// Principal holding one stays comparable.
type PermissionSet struct{ bits [2]uint64 }

// permissionBit is the permission's position in AllPermission; -1 for a
// name the schema does not have.
func permissionBit(perm Permission) int {
	return slices.Index(AllPermission, perm)
}

// PermissionsOf is the set of the listed permissions; names the schema
// does not have are left out.
func PermissionsOf(perms ...Permission) PermissionSet {
	var s PermissionSet
	for _, perm := range perms {
		if i := permissionBit(perm); i >= 0 {
			s.bits[i/64] |= 1 << (i % 64)
		}
	}
	return s
}

// Has reports whether the set holds the permission.
func (s PermissionSet) Has(perm Permission) bool {
	i := permissionBit(perm)
	return i >= 0 && s.bits[i/64]&(1<<(i%64)) != 0
}

// List is the set's permissions in the schema's order.
func (s PermissionSet) List() []Permission {
	out := make([]Permission, 0, bits.OnesCount64(s.bits[0])+bits.OnesCount64(s.bits[1]))
	for _, perm := range AllPermission {
		if s.Has(perm) {
			out = append(out, perm)
		}
	}
	return out
}

// only keeps the permissions keep says yes to.
func (s PermissionSet) only(keep func(Permission) bool) PermissionSet {
	var out []Permission
	for _, perm := range s.List() {
		if keep(perm) {
			out = append(out, perm)
		}
	}
	return PermissionsOf(out...)
}

// contactOnly are the permissions no staff role holds: what a contact
// does as the client (staff record a decision on a contact's behalf with
// APPROVALS_DECIDE_ON_BEHALF).
func contactOnly(perm Permission) bool {
	return perm == PermissionApprovalsDecide || perm == PermissionRequestsCreate
}

// staffPermissions are every permission a staff role may hold.
func staffPermissions() PermissionSet {
	return PermissionsOf(AllPermission...).only(func(perm Permission) bool { return !contactOnly(perm) })
}

// views are the VIEW permissions of every kind of record.
func views(perm Permission) bool {
	_, a, ok := perm.Split()
	return ok && a == ActionView
}

// BuiltInPermissions is the grant of each built-in staff role: the matrix
// README prints. OWNER holds every staff permission, ADMIN all but
// transferring ownership. VIEWER reads everything staff may read but
// budgets, and changes nothing but asking for exports. The built-in rows
// of every workspace's roles are kept equal to it (sqlstore's
// syncBuiltInRoles), so a permission added here reaches them at the next
// start.
func BuiltInPermissions(r BuiltInRole) PermissionSet {
	all := staffPermissions()
	switch r {
	case BuiltInRoleOwner:
		return all
	case BuiltInRoleAdmin:
		return all.only(func(perm Permission) bool { return perm != PermissionOwnershipTransfer })
	case BuiltInRoleManager:
		return all.only(func(perm Permission) bool {
			if _, _, ok := perm.Split(); ok {
				return perm != PermissionContactsDelete
			}
			switch perm {
			case PermissionBudgetsRead, PermissionReportsPublish, PermissionApprovalsDecideOnBehalf:
				return true
			}
			return false
		})
	case BuiltInRoleMember:
		return all.only(func(perm Permission) bool {
			records, a, ok := perm.Split()
			if !ok {
				return false
			}
			switch records {
			case "NOTES", "FILES", "COMMENTS":
				return true
			case "CONTACTS", "DELIVERABLES", "APPROVALS":
				return a != ActionDelete
			case "REQUESTS":
				return a == ActionView || a == ActionUpdate
			case "EXPORTS":
				return a == ActionView || a == ActionCreate
			}
			return a == ActionView
		})
	case BuiltInRoleViewer:
		return all.only(func(perm Permission) bool {
			return views(perm) || perm == PermissionExportsCreate
		})
	}
	return PermissionSet{}
}

// ContactPermissions is what a client's portal contact holds: the views
// of what a portal shows, and what a contact does there: open requests,
// comment, upload, ask for exports and decide on approvals. A preview of
// the portal holds the views only. Which records they see is the row
// scope's to say.
func ContactPermissions(preview bool) PermissionSet {
	return PermissionsOf(AllPermission...).only(func(perm Permission) bool {
		records, a, ok := perm.Split()
		switch {
		case !ok:
			return perm == PermissionApprovalsDecide && !preview
		case records == "NOTES":
			return false // notes are internal
		case a == ActionView:
			return true
		case preview:
			return false
		}
		switch records {
		case "REQUESTS", "COMMENTS", "FILES", "EXPORTS":
			return a == ActionCreate
		}
		return false
	})
}

// Value stores a set as the comma-separated names of its permissions, in
// the schema's order.
func (s PermissionSet) Value() (driver.Value, error) {
	names := make([]string, 0, 64)
	for _, perm := range s.List() {
		names = append(names, string(perm))
	}
	return strings.Join(names, ","), nil
}

// Scan reads a stored set. A name the schema no longer has is left out,
// so a role stored by another version of the server still reads.
func (s *PermissionSet) Scan(src any) error {
	var text string
	switch v := src.(type) {
	case string:
		text = v
	case []byte:
		text = string(v)
	case nil:
	default:
		return fmt.Errorf("cannot scan %T into a PermissionSet", src)
	}
	var perms []Permission
	for _, name := range strings.Split(text, ",") {
		perms = append(perms, Permission(strings.TrimSpace(name)))
	}
	*s = PermissionsOf(perms...)
	return nil
}

// Role is a role of a workspace's staff: one of the five built-in roles,
// which every workspace has under the same IDs (BuiltInRoleID), or one the
// workspace defined itself (BuiltIn nil).
type Role struct {
	WorkspaceID string        `db:"workspace_id"`
	ID          string        `db:"id"`
	Name        string        `db:"name"`
	BuiltIn     *BuiltInRole  `db:"built_in"`
	Perms       PermissionSet `db:"permissions"`
	CreatedAt   time.Time     `db:"created_at"`
	UpdatedAt   time.Time     `db:"updated_at"`
}

// Permissions lists what the role grants (Role.permissions).
func (r *Role) Permissions() []Permission { return r.Perms.List() }

// IsOwner reports whether the role is the built-in OWNER.
func (r *Role) IsOwner() bool { return r.BuiltIn != nil && *r.BuiltIn == BuiltInRoleOwner }

// builtInRoleIDs are the IDs of the built-in roles in every workspace.
// Fixed IDs let data sets, the migration that introduced roles and the
// one-owner index name a built-in role without reading it; roles are
// keyed by workspace and ID, so the same ID in two workspaces names two
// rows.
var builtInRoleIDs = map[BuiltInRole]string{
	BuiltInRoleOwner:   PrefixRole + "_00000000000000000000000001",
	BuiltInRoleAdmin:   PrefixRole + "_00000000000000000000000002",
	BuiltInRoleManager: PrefixRole + "_00000000000000000000000003",
	BuiltInRoleMember:  PrefixRole + "_00000000000000000000000004",
	BuiltInRoleViewer:  PrefixRole + "_00000000000000000000000005",
}

// BuiltInRoleID is the ID of a built-in role, the same in every workspace.
func BuiltInRoleID(r BuiltInRole) string { return builtInRoleIDs[r] }

// BuiltInRoleOf is the built-in role with the ID, if it is one.
func BuiltInRoleOf(id string) (BuiltInRole, bool) {
	for r, rid := range builtInRoleIDs {
		if rid == id {
			return r, true
		}
	}
	return "", false
}

// BuiltInRoles are the rows of the five built-in roles of a workspace,
// as it is created.
func BuiltInRoles(workspaceID string, at time.Time) []*Role {
	out := make([]*Role, 0, len(AllBuiltInRole))
	for _, r := range AllBuiltInRole {
		out = append(out, &Role{
			WorkspaceID: workspaceID, ID: BuiltInRoleID(r), Name: BuiltInRoleName(r), BuiltIn: &r,
			Perms: BuiltInPermissions(r), CreatedAt: at, UpdatedAt: at,
		})
	}
	return out
}

// BuiltInRoleName is a built-in role's name: "Owner", "Admin"…
func BuiltInRoleName(r BuiltInRole) string {
	return string(r[:1]) + strings.ToLower(string(r[1:]))
}

// CheckRolePermissions is what a workspace's own role may hold: staff
// permissions, but transferring ownership, which stays the owner's; and
// any action on a kind of records with seeing them (PROJECTS_DELETE needs
// PROJECTS_VIEW): a role that changes what it cannot read would act
// blind. field names the input field in the error.
func CheckRolePermissions(field string, perms []Permission) (PermissionSet, error) {
	set := PermissionsOf(perms...)
	for _, perm := range perms {
		records, a, onRecords := perm.Split()
		switch {
		case perm.IsValid() && onRecords && a != ActionView && !set.Has(PermissionTo(ActionView, records)):
			return PermissionSet{}, InvalidField(field, fmt.Sprintf("%s needs %s", perm, PermissionTo(ActionView, records)))
		case !perm.IsValid():
			return PermissionSet{}, InvalidField(field, fmt.Sprintf("%q is not a permission", perm))
		case contactOnly(perm):
			return PermissionSet{}, InvalidField(field, fmt.Sprintf("%s is a portal contact's permission, not staff's", perm))
		case perm == PermissionOwnershipTransfer:
			return PermissionSet{}, InvalidField(field, "only the owner transfers ownership: OWNERSHIP_TRANSFER is not for other roles")
		}
	}
	return set, nil
}

// MayHandle refuses a staff change that would reach past the principal's
// own permissions: nobody makes, changes, deletes or hands out a role
// holding a permission they do not hold, nor changes the role of, or
// deactivates, a member whose role does. Without it, a role that may
// manage staff would be a way to every permission. what names the role
// in the refusal.
func (p Principal) MayHandle(what string, s PermissionSet) error {
	held := p.held()
	var beyond []string
	for _, perm := range s.List() {
		if !held.Has(perm) {
			beyond = append(beyond, string(perm))
		}
	}
	if len(beyond) > 0 {
		return Forbidden("%s holds permissions you do not: %s", what, strings.Join(beyond, ", "))
	}
	return nil
}
