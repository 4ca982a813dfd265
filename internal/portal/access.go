package portal

import "time"

// AccessToken is a stored bearer token of a staff member or a portal
// contact. Only a hash of the token is kept.
type AccessToken struct {
	Hash        string    `db:"token_hash"`
	WorkspaceID string    `db:"workspace_id"`
	ID          string    `db:"id"`
	Kind        TokenKind `db:"kind"`
	UserID      *string   `db:"user_id"`
	ContactID   *string   `db:"contact_id"`
	// PreviewBy is the staff member a preview token belongs to.
	PreviewBy *string    `db:"preview_by"`
	CreatedAt time.Time  `db:"created_at"`
	ExpiresAt *time.Time `db:"expires_at"`
	RevokedAt *time.Time `db:"revoked_at"`
}

// TokenKind says how a token came to be.
type TokenKind string

const (
	// TokenAPI tokens are made by operators (portalgraph token create).
	TokenAPI TokenKind = "API"
	// TokenSession tokens come from signing in or accepting an invitation.
	TokenSession TokenKind = "SESSION"
	// TokenPreview tokens are a staff member's read-only view of the
	// portal as a contact.
	TokenPreview TokenKind = "PREVIEW"
)

// Invite is an invitation to choose a password and sign in: a contact's
// to the portal, or a staff member's (a new workspace's owner's). Single
// use, expiring, its token kept only as a hash.
type Invite struct {
	WorkspaceID string `db:"workspace_id"`
	ID          string `db:"id"`
	// Who is invited: a contact or a staff member.
	ContactID  *string    `db:"contact_id"`
	UserID     *string    `db:"user_id"`
	TokenHash  string     `db:"token_hash"`
	CreatedBy  *string    `db:"created_by"`
	CreatedAt  time.Time  `db:"created_at"`
	ExpiresAt  time.Time  `db:"expires_at"`
	AcceptedAt *time.Time `db:"accepted_at"`
	RevokedAt  *time.Time `db:"revoked_at"`
}

// TokenHolder is who a valid token belongs to, with the state that decides
// whether they may still sign in, read together at every request.
type TokenHolder struct {
	TokenID     string
	Kind        TokenKind
	WorkspaceID string
	UserID      *string
	// A staff member's role, which built-in role it is, what it grants,
	// and whether the member is deactivated.
	RoleID      *string
	BuiltIn     *BuiltInRole
	Perms       PermissionSet
	Deactivated bool
	ContactID   *string
	ClientID    *string
	// PreviewBy is the staff member of a preview, when they still exist.
	PreviewBy *string
	// Portal contacts only.
	PortalStatus   *PortalStatus
	PortalEnabled  *bool
	ClientArchived bool
	// PortalPersistedOnly is whether the workspace's portal runs only
	// its persisted operations.
	PortalPersistedOnly bool
	// NotInPlan are the feature keys the workspace's plan and add-ons
	// lack, read in the same statement.
	NotInPlan FeatureSet
}

// Principal is the principal the holder acts as. A deactivated staff
// member is refused, as a suspended contact is. A portal contact is
// refused as soon as their access is not ACTIVE or their client's portal is
// off or the client archived: checked at every request, not at sign-in.
//
// A preview needs its staff member and the client's portal, not the
// contact's own access: staff preview the portal before inviting anyone.
func (h TokenHolder) Principal() (Principal, error) {
	switch {
	case h.UserID != nil && h.RoleID != nil:
		if h.Deactivated {
			return Principal{}, Unauthenticated("this account is deactivated")
		}
		p := Principal{Audience: AudienceStaff, WorkspaceID: h.WorkspaceID, UserID: *h.UserID, RoleID: *h.RoleID, Perms: h.Perms, SessionID: h.TokenID, NotInPlan: h.NotInPlan}
		if h.BuiltIn != nil {
			p.BuiltIn = *h.BuiltIn
		}
		return p, nil
	case h.ContactID != nil && h.ClientID != nil:
		portalOn := h.PortalEnabled != nil && *h.PortalEnabled && !h.ClientArchived
		p := Principal{Audience: AudiencePortal, WorkspaceID: h.WorkspaceID, ContactID: *h.ContactID, ClientID: *h.ClientID, SessionID: h.TokenID,
			PersistedOnly: h.PortalPersistedOnly, NotInPlan: h.NotInPlan}
		if h.Kind == TokenPreview {
			if h.PreviewBy == nil || !portalOn {
				return Principal{}, Unauthenticated("this preview has ended")
			}
			p.Preview, p.PreviewBy = true, *h.PreviewBy
			return p, nil
		}
		if h.PortalStatus == nil || *h.PortalStatus != PortalStatusActive || !portalOn {
			return Principal{}, Unauthenticated("portal access for this account is not active")
		}
		return p, nil
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
	Reports      []*Report
	Activity     []*ActivityEvent
	Tokens       []*AccessToken
	Requests     []*ClientRequest
	Comments     []*RequestComment
	Files        []*File
	Exports      []*Export
	// Blobs are the bytes of Files by blob key, for whoever loads the
	// data set to put in blob storage.
	Blobs map[string][]byte
}

// Seen is when a contact last used the portal.
type Seen struct {
	WorkspaceID string
	ContactID   string
	At          time.Time
}

// LoginAccount is an account an email signs in to, with its password hash.
type LoginAccount struct {
	Account
	PasswordHash *string `db:"password_hash"`
}

// Invitation is what inviting a contact needs beyond the contact: the
// hash of the token its link carries, when it expires, and the mail.
type Invitation struct {
	TokenHash string
	ExpiresAt time.Time
	// Mail writes the invitation mail to the contact.
	Mail func(c *Contact, client *Client) (subject, body string)
}
