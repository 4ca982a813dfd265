package portal

import "time"

// AccessToken is a stored bearer token of a staff member or a portal
// contact. Only a hash of the token is kept.
type AccessToken struct {
	Hash        string     `db:"token_hash"`
	WorkspaceID string     `db:"workspace_id"`
	ID          string     `db:"id"`
	UserID      *string    `db:"user_id"`
	ContactID   *string    `db:"contact_id"`
	CreatedAt   time.Time  `db:"created_at"`
	ExpiresAt   *time.Time `db:"expires_at"`
	RevokedAt   *time.Time `db:"revoked_at"`
}

// TokenHolder is who a valid token belongs to, with the state that decides
// whether they may still sign in, read together at every request.
type TokenHolder struct {
	WorkspaceID string
	UserID      *string
	Role        *Role
	ContactID   *string
	ClientID    *string
	// Portal contacts only.
	PortalStatus   *PortalStatus
	PortalEnabled  *bool
	ClientArchived bool
}

// Principal is the principal the holder acts as. A portal contact is
// refused as soon as their access is not ACTIVE or their client's portal is
// off or the client archived: checked at every request, not at sign-in.
func (h TokenHolder) Principal() (Principal, error) {
	switch {
	case h.UserID != nil && h.Role != nil:
		return Principal{Audience: AudienceStaff, WorkspaceID: h.WorkspaceID, UserID: *h.UserID, Role: *h.Role}, nil
	case h.ContactID != nil && h.ClientID != nil:
		if h.PortalStatus == nil || *h.PortalStatus != PortalStatusActive ||
			h.PortalEnabled == nil || !*h.PortalEnabled || h.ClientArchived {
			return Principal{}, Unauthenticated("portal access for this account is not active")
		}
		return Principal{Audience: AudiencePortal, WorkspaceID: h.WorkspaceID, ContactID: *h.ContactID, ClientID: *h.ClientID}, nil
	}
	return Principal{}, Unauthenticated("invalid or expired token")
}

// Account is a staff member or contact found by email, for issuing tokens.
type Account struct {
	WorkspaceID   string  `db:"workspace_id"`
	WorkspaceSlug string  `db:"workspace_slug"`
	UserID        *string `db:"user_id"`
	ContactID     *string `db:"contact_id"`
	Name          string  `db:"name"`
}

// Approver lists a contact as a decider of an approval.
type Approver struct {
	WorkspaceID string `db:"workspace_id"`
	ApprovalID  string `db:"approval_id"`
	ContactID   string `db:"contact_id"`
}

// Dataset is a set of records loaded together: the demo workspace, test
// fixtures and benchmark data.
type Dataset struct {
	Workspaces   []*Workspace
	Users        []*User
	Clients      []*Client
	Contacts     []*Contact
	Projects     []*Project
	Deliverables []*Deliverable
	Approvals    []*Approval
	Approvers    []*Approver
	Decisions    []*ApprovalDecision
	Notes        []*Note
	Activity     []*ActivityEvent
	Tokens       []*AccessToken
}
