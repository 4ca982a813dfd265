package portal

import (
	"context"
	"slices"
)

// Principal is who makes a request. Exactly one principal is attached to
// every request's context; the zero value is an anonymous caller.
//
// The GraphQL type Viewer is bound to Principal: the viewer is the principal
// as the API shows it.
type Principal struct {
	Audience    Audience
	WorkspaceID string

	// Staff members: their role, which built-in role it is (empty for a
	// workspace's own), and the permissions it grants, read with the
	// token at every request.
	UserID  string
	RoleID  string
	BuiltIn BuiltInRole
	Perms   PermissionSet

	// Portal contacts.
	ContactID string
	ClientID  string
	// Preview marks a staff member's read-only preview of the portal as
	// the contact; PreviewBy is that staff member.
	Preview   bool
	PreviewBy string

	// Partners' API keys: what the key reads (Grant reads it safely). A
	// pointer keeps Principal comparable.
	Key *PartnerGrant

	// NotInstalled are the feature keys whose modules this server does
	// not have; NotInPlan those the workspace's plan and add-ons lack
	// (read with the principal at every request). Zero: every feature,
	// which is what code acting for the server itself (jobs, mail) has.
	NotInstalled FeatureSet
	NotInPlan    FeatureSet

	// SessionID is the token the request was made with, for signing out;
	// a partner's key ID.
	SessionID string

	// PersistedOnly locks the principal to the workspace's persisted
	// operations (a locked partner key, a contact of a locked portal):
	// any other operation is refused before it is parsed.
	PersistedOnly bool
}

// BuiltInStaffMember is the principal of a member of a built-in role, as
// data sets (the demo, the fixtures, the benchmark) make them: the role's
// permissions are the Go matrix, which the stored rows equal. Requests
// read a member's role with their token instead (TokenHolder).
func BuiltInStaffMember(u *User) Principal {
	r, _ := BuiltInRoleOf(u.RoleID)
	return Principal{Audience: AudienceStaff, WorkspaceID: u.WorkspaceID, UserID: u.ID, RoleID: u.RoleID, BuiltIn: r, Perms: BuiltInPermissions(r)}
}

// Anonymous is the principal of a request without credentials.
func Anonymous() Principal { return Principal{Audience: AudienceAnonymous} }

// IsStaff reports whether the principal is a workspace staff member.
func (p Principal) IsStaff() bool { return p.Audience == AudienceStaff }

// IsPortal reports whether the principal is a client's portal contact.
func (p Principal) IsPortal() bool { return p.Audience == AudiencePortal }

// IsPartner reports whether the principal is a partner's API key.
func (p Principal) IsPartner() bool { return p.Audience == AudiencePartner }

// PartnerGrant is what a partner's key reads: the sections, the clients
// it is restricted to (none: every client) and whether records whose
// visibility is INTERNAL too. It is never changed once made.
type PartnerGrant struct {
	KeyID           string
	Scopes          []PartnerScope
	ClientIDs       []string
	IncludeInternal bool
}

// Grant is what the principal's key reads; nothing for anyone but a
// partner.
func (p Principal) Grant() PartnerGrant {
	if !p.IsPartner() || p.Key == nil {
		return PartnerGrant{}
	}
	return *p.Key
}

// Reads reports whether a partner's key reads a section.
func (p Principal) Reads(s PartnerScope) bool {
	return slices.Contains(p.Grant().Scopes, s)
}

// Writable reports whether the principal may change anything: a preview
// may not.
func (p Principal) Writable() error {
	if p.Preview {
		return Forbidden("a preview of the portal is read-only")
	}
	return nil
}

// Permissions lists what the principal holds (Viewer.permissions).
func (p Principal) Permissions() []Permission { return p.held().List() }

// held is what the principal holds: a staff member's role's, a portal
// contact's fixed set (ContactPermissions); nothing for anyone else. A
// preview, whoever it is marked on, holds views only.
func (p Principal) held() PermissionSet {
	var s PermissionSet
	switch {
	case p.IsStaff():
		s = p.Perms
	case p.IsPortal():
		s = ContactPermissions(p.Preview)
	}
	if p.Preview {
		s = s.only(views)
	}
	return s
}

// Can reports whether the principal holds the permission.
func (p Principal) Can(perm Permission) bool {
	return p.held().Has(perm)
}

// Require is the one rule of permissions: the @hasPermission directive,
// the planner and every write of the store ask it. A preview, which holds
// views only, is told it is read-only.
func (p Principal) Require(perm Permission) error {
	if p.Can(perm) {
		return nil
	}
	if p.Preview {
		return p.Writable()
	}
	return Forbidden("the %s permission is required", perm)
}

type principalKey struct{}

// WithPrincipal returns a context that carries the principal.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// PrincipalFrom returns the request's principal; anonymous when none is set.
func PrincipalFrom(ctx context.Context) Principal {
	if p, ok := ctx.Value(principalKey{}).(Principal); ok {
		return p
	}
	return Anonymous()
}
