package portal

import (
	"math/bits"
	"slices"
	"strings"
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
// README prints. VIEWER reads everything staff may read but budgets, and
// changes nothing but asking for exports.
func BuiltInPermissions(r Role) PermissionSet {
	all := staffPermissions()
	switch r {
	case RoleOwner, RoleAdmin:
		return all
	case RoleManager:
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
	case RoleMember:
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
	case RoleViewer:
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
