package sqlstore

import (
	"context"
	"fmt"

	"portalgraph/internal/portal"
)

// Access explained: "why can't this contact see X?". The answer is the
// rule set the principal's own reads of the record's kind apply, evaluated
// rule by rule (ruleSet.unmet): the same rules, never a copy of them.

// recordKinds are, by ID prefix, the table of each kind of record and the
// rule set of a principal's reads of it.
var recordKinds = map[string]struct {
	table string
	rules func(scope) ruleSet
}{
	portal.PrefixWorkspace:   {"workspaces", scope.workspaces},
	portal.PrefixUser:        {"users", scope.users},
	portal.PrefixClient:      {"clients", scope.clients},
	portal.PrefixContact:     {"contacts", scope.contacts},
	portal.PrefixProject:     {"projects", scope.projects},
	portal.PrefixDeliverable: {"deliverables", scope.deliverables},
	portal.PrefixApproval:    {"approvals", scope.approvals},
	portal.PrefixDecision:    {"approval_decisions", scope.decisions},
	portal.PrefixNote:        {"notes", scope.notes},
	portal.PrefixActivity:    {"activity_events", scope.activity},
	portal.PrefixFile:        {"files", scope.files},
	portal.PrefixReport:      {"reports", scope.reports},
	portal.PrefixExport:      {"exports", scope.exports},
	portal.PrefixRequest:     {"client_requests", scope.requests},
	portal.PrefixComment:     {"request_comments", scope.comments},
	portal.PrefixPartnerKey:  {"partner_keys", scope.partnerKeys},
	portal.PrefixRole:        {"roles", scope.roles},
}

// PrincipalOf returns the principal a staff member, a portal contact or a
// partner's key of the asker's workspace reads as, with the workspace's
// plan and the asker's installed modules; and why it could not sign in
// now, if it could not (a key expired or revoked). A contact's own
// access state is not judged here: the rules of every portal read are.
func (s *Store) PrincipalOf(ctx context.Context, asker portal.Principal, principalID string) (portal.Principal, []string, error) {
	ws := asker.WorkspaceID
	notInPlan, err := s.NotInPlan(ctx, ws)
	if err != nil {
		return portal.Principal{}, nil, err
	}
	p := portal.Principal{WorkspaceID: ws, NotInstalled: asker.NotInstalled, NotInPlan: notInPlan}
	var refused []string
	switch portal.IDPrefix(principalID) {
	case portal.PrefixUser:
		staff, err := s.staffMember(ctx, s.db, ws, principalID)
		if err != nil {
			return p, nil, err
		}
		if staff.deactivated {
			refused = append(refused, "staff member signs in (not deactivated)")
		}
		p.Audience, p.UserID, p.RoleID, p.BuiltIn, p.Perms = staff.Audience, staff.UserID, staff.RoleID, staff.BuiltIn, staff.Perms
	case portal.PrefixContact:
		// An erased contact is no principal any more, and is hidden
		// like any erased contact.
		contacts, err := byIDs(ctx, s, s.t.contacts, notDeleted("contact", "erased_at", inWorkspace(ws)), []string{principalID})
		if err != nil || len(contacts) == 0 {
			return p, nil, notFoundOr(err, principalID)
		}
		p.Audience, p.ContactID, p.ClientID = portal.AudiencePortal, contacts[0].ID, contacts[0].ClientID
	case portal.PrefixPartnerKey:
		keys, err := byIDs(ctx, s, s.t.partnerKeys, inWorkspace(ws), []string{principalID})
		if err != nil || len(keys) == 0 {
			return p, nil, notFoundOr(err, principalID)
		}
		k := keys[0]
		k.NotInPlan = notInPlan
		if _, err := k.Principal(s.now(), true); err != nil {
			refused = append(refused, "partner key signs in (not revoked, not expired)")
		}
		p.Audience, p.SessionID = portal.AudiencePartner, k.ID
		p.Key = &portal.PartnerGrant{KeyID: k.ID, Scopes: k.Scopes(), ClientIDs: []string(k.ClientIDs), IncludeInternal: k.IncludeInternal}
	default:
		return p, nil, portal.InvalidField("principalId", "must be the ID of a staff member, a contact or a partner's key")
	}
	return p, refused, nil
}

func notFoundOr(err error, id string) error {
	if err != nil {
		return err
	}
	return portal.NotFound(id)
}

// ExplainAccess answers, for a staff member, whether a principal of their
// workspace sees a record and, if not, every rule it does not meet.
func (s *Store) ExplainAccess(ctx context.Context, asker portal.Principal, principalID, recordID string) (*portal.AccessExplanation, error) {
	if !asker.IsStaff() {
		return nil, portal.Forbidden("not available")
	}
	kind, ok := recordKinds[portal.IDPrefix(recordID)]
	if !ok {
		return nil, portal.InvalidField("recordId", fmt.Sprintf("no record with id %q", recordID))
	}
	p, refused, err := s.PrincipalOf(ctx, asker, principalID)
	if err != nil {
		return nil, err
	}
	unmet, err := kind.rules(scope{p}).unmet(ctx, s.reads, kind.table, asker.WorkspaceID, recordID)
	if err != nil {
		return nil, err
	}
	reasons := append(refused, unmet...)
	if reasons == nil {
		reasons = []string{}
	}
	return &portal.AccessExplanation{Visible: len(reasons) == 0, Reasons: reasons}, nil
}
