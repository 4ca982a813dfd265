package graph

import (
	"context"
	"time"

	"portalgraph/internal/portal"
)

// roleStore keeps the workspace's roles and manages its staff; part of
// Store.
type roleStore interface {
	Roles(ctx context.Context, p portal.Principal) ([]*portal.Role, error)
	RolesByID(ctx context.Context, p portal.Principal, ids []string) ([]*portal.Role, error)
	RoleMemberCounts(ctx context.Context, p portal.Principal, ids []string) (map[string]int, error)
	CreateRole(ctx context.Context, p portal.Principal, in portal.CreateRoleInput) (*portal.Role, error)
	UpdateRole(ctx context.Context, p portal.Principal, in portal.UpdateRoleInput) (*portal.Role, error)
	DeleteRole(ctx context.Context, p portal.Principal, id string) error
	ChangeStaffRole(ctx context.Context, p portal.Principal, in portal.ChangeStaffRoleInput) (*portal.User, error)
	DeactivateStaff(ctx context.Context, p portal.Principal, userID string) (*portal.User, error)
	ReactivateStaff(ctx context.Context, p portal.Principal, userID string) (*portal.User, error)
	TransferOwnership(ctx context.Context, p portal.Principal, userID string) (newOwner, previous *portal.User, err error)
}

// staffInviter invites staff members (auth.Access): the invitation's
// token is made there, like a contact's; part of Access.
type staffInviter interface {
	InviteStaff(ctx context.Context, p portal.Principal, in portal.InviteStaffInput) (*portal.User, string, time.Time, error)
	ReinviteStaff(ctx context.Context, p portal.Principal, userID string) (*portal.User, string, time.Time, error)
}

func (noAccess) InviteStaff(context.Context, portal.Principal, portal.InviteStaffInput) (*portal.User, string, time.Time, error) {
	return nil, "", time.Time{}, errNoAccess
}

func (noAccess) ReinviteStaff(context.Context, portal.Principal, string) (*portal.User, string, time.Time, error) {
	return nil, "", time.Time{}, errNoAccess
}
