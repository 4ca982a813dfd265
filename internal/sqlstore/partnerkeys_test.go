package sqlstore_test

import (
	"slices"
	"testing"
	"time"

	"portalgraph/internal/auth"
	"portalgraph/internal/portal"
	"portalgraph/internal/sqlstore"
	"portalgraph/internal/sqlstore/sqltest"
)

func newKey(t *testing.T, s *sqlstore.Store, p portal.Principal, in portal.CreatePartnerKeyInput) (*portal.PartnerKey, string) {
	t.Helper()
	secret, stored := auth.NewPartnerSecret()
	k, err := s.CreatePartnerKey(t.Context(), p, in, stored)
	noErr(t, err)
	return k, secret
}

func TestPartnerKeySecrets(t *testing.T) {
	sqltest.Run(t, func(t *testing.T, s *sqlstore.Store) {
		f := sqltest.LoadFixture(t, s)
		ctx := t.Context()
		owner := sqltest.Staff(f.Owner)
		k, first := newKey(t, s, owner, portal.CreatePartnerKeyInput{Name: " Dash ", Scopes: []portal.PartnerScope{portal.PartnerScopeProjects, portal.PartnerScopeClients}})
		if k.Name != "Dash" || k.Prefix != first[:12] || k.SecretHash != auth.HashToken(first) {
			t.Fatalf("key %+v", k)
		}
		found := func(secret string) (string, bool) {
			t.Helper()
			got, current, err := s.PartnerKeyBySecret(ctx, auth.HashToken(secret))
			noErr(t, err)
			if got == nil {
				return "", false
			}
			equal := got.ID == k.ID && got.Scopes()[0] == portal.PartnerScopeClients && len(got.Scopes()) == 2
			if !equal {
				t.Fatalf("found %+v", got)
			}
			return map[bool]string{true: "current", false: "previous"}[current], true
		}
		if which, ok := found(first); !ok || which != "current" {
			t.Fatalf("first secret: %q %v", which, ok)
		}
		_, stored := auth.NewPartnerSecret()
		rotated, err := s.RotatePartnerKey(ctx, owner, k.ID, stored)
		noErr(t, err)
		if rotated.PreviousSecretExpiresAt == nil || rotated.PreviousSecretExpiresAt.Sub(*rotated.RotatedAt) != portal.PartnerKeyGrace {
			t.Fatalf("rotated %+v", rotated)
		}
		if which, _ := found(first); which != "previous" {
			t.Fatalf("first secret after a rotation: %q", which)
		}
		if got, current, err := s.PartnerKeyBySecret(ctx, stored.Hash); err != nil || got == nil || !current {
			t.Fatalf("second secret: %v %v %v", got, current, err)
		}
		// A second rotation ends the first secret at once.
		_, third := auth.NewPartnerSecret()
		_, err = s.RotatePartnerKey(ctx, owner, k.ID, third)
		noErr(t, err)
		if _, ok := found(first); ok {
			t.Fatal("the first secret still names the key after two rotations")
		}
		if got, current, _ := s.PartnerKeyBySecret(ctx, stored.Hash); got == nil || current {
			t.Fatal("the second secret is not the previous one")
		}

		// lastUsedAt is written once a minute at most.
		at := time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)
		lastUsed := func() time.Time {
			t.Helper()
			got, err := s.PartnerKeyByID(ctx, f.W1.ID, k.ID)
			noErr(t, err)
			return got.LastUsedAt.UTC()
		}
		noErr(t, s.TouchPartnerKey(ctx, f.W1.ID, k.ID, at))
		noErr(t, s.TouchPartnerKey(ctx, f.W1.ID, k.ID, at.Add(59*time.Second)))
		if got := lastUsed(); !got.Equal(at) {
			t.Fatalf("lastUsedAt %v, want %v", got, at)
		}
		noErr(t, s.TouchPartnerKey(ctx, f.W1.ID, k.ID, at.Add(time.Minute)))
		if got := lastUsed(); !got.Equal(at.Add(time.Minute)) {
			t.Fatalf("lastUsedAt %v a minute later", got)
		}
		if other, err := s.PartnerKeyByID(ctx, f.W2.ID, k.ID); err != nil || other != nil {
			t.Fatalf("another workspace's key by ID: %v %v", other, err)
		}
	})
}

// Managing keys needs PARTNER_KEYS_MANAGE; a failed change writes nothing.
func TestPartnerKeyWrites(t *testing.T) {
	sqltest.Run(t, func(t *testing.T, s *sqlstore.Store) {
		f := sqltest.LoadFixture(t, s)
		ctx := t.Context()
		owner := sqltest.Staff(f.Owner)
		k, _ := newKey(t, s, owner, portal.CreatePartnerKeyInput{Name: "Dash", Scopes: []portal.PartnerScope{portal.PartnerScopeClients}})
		before := dump(t, s)
		_, stored := auth.NewPartnerSecret()
		clients := portal.CreatePartnerKeyInput{Name: "x", Scopes: []portal.PartnerScope{portal.PartnerScopeClients}}
		for _, p := range []portal.Principal{sqltest.Staff(f.Manager), sqltest.Staff(f.Viewer), sqltest.Portal(f.AActive)} {
			_, err := s.CreatePartnerKey(ctx, p, clients, stored)
			wantCode(t, err, portal.CodeForbidden)
			_, err = s.RotatePartnerKey(ctx, p, k.ID, stored)
			wantCode(t, err, portal.CodeForbidden)
			_, err = s.RevokePartnerKey(ctx, p, k.ID)
			wantCode(t, err, portal.CodeForbidden)
			_, err = s.PartnerKeys(ctx, p, true, all)
			wantCode(t, err, portal.CodeForbidden)
		}
		_, err := s.CreatePartnerKey(ctx, owner, portal.CreatePartnerKeyInput{Name: "x", Scopes: clients.Scopes, ClientIds: []string{f.A.ID, f.X.ID}}, stored)
		wantCode(t, err, portal.CodeBadUserInput, "input.clientIds")
		_, err = s.CreatePartnerKey(ctx, owner, portal.CreatePartnerKeyInput{Name: "x", Scopes: []portal.PartnerScope{portal.PartnerScopeApprovals}}, stored)
		wantCode(t, err, portal.CodeBadUserInput, "input.scopes")
		_, err = s.CreatePartnerKey(ctx, owner, portal.CreatePartnerKeyInput{Name: "x", Scopes: clients.Scopes, ExpiresAt: ptr(time.Now().Add(-time.Second))}, stored)
		wantCode(t, err, portal.CodeBadUserInput, "input.expiresAt")
		_, err = s.RotatePartnerKey(ctx, sqltest.Staff(f.Owner2), k.ID, stored)
		wantCode(t, err, portal.CodeNotFound)
		if after := dump(t, s); after != before {
			t.Fatalf("a refused change wrote:\n%s\nbefore:\n%s", after, before)
		}
		// Revoked: listed only when asked for, and it cannot be rotated.
		_, err = s.RevokePartnerKey(ctx, owner, k.ID)
		noErr(t, err)
		_, err = s.RotatePartnerKey(ctx, owner, k.ID, stored)
		wantCode(t, err, portal.CodeConflict)
		listed, err := s.PartnerKeys(ctx, owner, false, all)
		noErr(t, err)
		withRevoked, err := s.PartnerKeys(ctx, owner, true, all)
		noErr(t, err)
		if listed.TotalCount != 0 || withRevoked.TotalCount != 1 {
			t.Fatalf("listed %d, with the revoked %d", listed.TotalCount, withRevoked.TotalCount)
		}
	})
}

// A key reads in SQL what its sections, clients and choice of internal
// records allow, and nothing once revoked, whatever principal it made.
func TestPartnerScope(t *testing.T) {
	sqltest.Run(t, func(t *testing.T, s *sqlstore.Store) {
		f := sqltest.LoadFixture(t, s)
		l := labelsOf(f)
		ctx := t.Context()
		owner := sqltest.Staff(f.Owner)
		every := []portal.PartnerScope{portal.PartnerScopeClients, portal.PartnerScopeProjects, portal.PartnerScopeDeliverables, portal.PartnerScopeApprovals}
		principal := func(in portal.CreatePartnerKeyInput) (portal.Principal, *portal.PartnerKey) {
			k, _ := newKey(t, s, owner, in)
			p, err := k.Principal(time.Now(), true)
			noErr(t, err)
			return p, k
		}
		projectIDs := []string{f.AShared.ID, f.AInternal.ID, f.BShared.ID, f.XShared.ID}
		deliverableIDs := []string{f.DShared.ID, f.DInternal.ID, f.DOfInternal.ID, f.BDeliverable.ID, f.XDeliv.ID}
		approvalIDs := []string{f.ApprovalShared.ID, f.ApprovalInternal.ID, f.BApproval.ID, f.XApprove.ID}
		sees := func(p portal.Principal) map[string][]string {
			t.Helper()
			clients, err := s.ClientsByID(ctx, p, []string{f.A.ID, f.B.ID, f.C.ID, f.X.ID})
			noErr(t, err)
			projects, err := s.ProjectsByID(ctx, p, projectIDs)
			noErr(t, err)
			deliverables, err := s.DeliverablesByID(ctx, p, deliverableIDs)
			noErr(t, err)
			approvals, err := s.ApprovalsByID(ctx, p, approvalIDs)
			noErr(t, err)
			decisions, err := s.DecisionsByID(ctx, p, []string{f.DecisionShared.ID})
			noErr(t, err)
			notes, err := s.NotesByID(ctx, p, []string{f.NoteA.ID})
			noErr(t, err)
			events, err := s.ActivityByID(ctx, p, []string{f.EventA.ID})
			noErr(t, err)
			under, err := s.DeliverablesOfProjects(ctx, p, projectIDs, portal.ProjectDeliverableFilter{}, nil, all)
			noErr(t, err)
			return map[string][]string{
				"clients": l.of(idsOf(clients)), "projects": l.of(idsOf(projects)), "deliverables": l.of(idsOf(deliverables)),
				"approvals": l.of(idsOf(approvals)), "decisions": l.of(idsOf(decisions)), "internal": l.of(append(idsOf(notes), idsOf(events)...)),
				"under projects": l.of(unionOfPages(t, "deliverables", under, projectIDs)),
			}
		}
		check := func(name string, p portal.Principal, want map[string][]string) {
			t.Helper()
			got := sees(p)
			for k, w := range want {
				if w == nil {
					w = []string{}
				}
				if g := got[k]; len(g) != len(w) || (len(w) > 0 && !slices.Equal(g, w)) {
					t.Errorf("%s: %s = %v, want %v", name, k, g, w)
				}
			}
		}
		shared, _ := principal(portal.CreatePartnerKeyInput{Name: "shared", Scopes: every})
		check("every section, shared", shared, map[string][]string{
			"clients": {"A", "B", "C"}, "projects": {"AShared", "BShared"}, "deliverables": {"BDeliverable", "DShared"},
			"approvals": {"ApprovalShared", "BApproval"}, "decisions": {"DecisionShared"}, "internal": nil,
			"under projects": {"BDeliverable", "DShared"},
		})
		internal, _ := principal(portal.CreatePartnerKeyInput{Name: "internal", Scopes: every, IncludeInternal: ptr(true), ClientIds: []string{f.A.ID}})
		check("every section of A, internal too", internal, map[string][]string{
			"clients": {"A"}, "projects": {"AInternal", "AShared"}, "deliverables": {"DInternal", "DOfInternal", "DShared"},
			"approvals": {"ApprovalInternal", "ApprovalShared"}, "decisions": {"DecisionShared"}, "internal": nil,
			"under projects": {"DInternal", "DOfInternal", "DShared"},
		})
		projectsOnly, _ := principal(portal.CreatePartnerKeyInput{Name: "projects", Scopes: every[:2], IncludeInternal: ptr(true)})
		check("clients and projects", projectsOnly, map[string][]string{
			"clients": {"A", "B", "C"}, "projects": {"AInternal", "AShared", "BShared"}, "deliverables": nil,
			"approvals": nil, "decisions": nil, "under projects": nil,
		})
		// Revoked, the principal it made reads nothing.
		p, k := principal(portal.CreatePartnerKeyInput{Name: "revoked", Scopes: every})
		_, err := s.RevokePartnerKey(ctx, owner, k.ID)
		noErr(t, err)
		check("revoked", p, map[string][]string{
			"clients": nil, "projects": nil, "deliverables": nil, "approvals": nil, "decisions": nil, "under projects": nil,
		})
		if ws, err := s.Workspace(ctx, p); err != nil || ws != nil {
			t.Errorf("a revoked key's workspace: %v %v", ws, err)
		}
	})
}
