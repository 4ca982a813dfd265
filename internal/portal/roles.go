package portal

import "slices"

// rolePermissions is the fixed grant of each staff role. VIEWER reads
// everything staff may read (but budgets) and changes nothing.
func rolePermissions(r Role) []Permission {
	switch r {
	case RoleOwner, RoleAdmin:
		return AllPermission
	case RoleManager:
		return []Permission{
			PermissionClientsWrite, PermissionClientsArchive, PermissionContactsWrite,
			PermissionProjectsWrite, PermissionDeliverablesWrite, PermissionNotesWrite,
			PermissionBudgetsRead, PermissionApprovalsManage, PermissionApprovalsDecideOnBehalf,
			PermissionFilesManage, PermissionReportsWrite, PermissionRequestsManage,
			// Every deletion but a contact's erasure, which is irreversible.
			PermissionProjectsDelete, PermissionDeliverablesDelete, PermissionApprovalsDelete,
			PermissionNotesDelete, PermissionReportsDelete, PermissionRequestsDelete, PermissionCommentsDelete,
		}
	case RoleMember:
		return []Permission{
			PermissionContactsWrite, PermissionDeliverablesWrite, PermissionNotesWrite, PermissionApprovalsManage,
			PermissionFilesManage, PermissionRequestsManage,
			PermissionNotesDelete, PermissionCommentsDelete,
		}
	default:
		return nil
	}
}

// Permissions lists what the role allows.
func (r Role) Permissions() []Permission {
	return slices.Clone(rolePermissions(r))
}

// Grants reports whether the role allows the permission.
func (r Role) Grants(p Permission) bool {
	return slices.Contains(rolePermissions(r), p)
}
