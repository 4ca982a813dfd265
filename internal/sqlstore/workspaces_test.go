package sqlstore_test

import (
	"cmp"
	"slices"
	"testing"
	"time"

	"portalgraph/internal/auth"
	"portalgraph/internal/portal"
	"portalgraph/internal/sqlstore"
	"portalgraph/internal/sqlstore/sqltest"
)

// A workspace is created with its owner, who has no password until they
// accept their invitation: then they are signed in as staff, and sign in
// with the password from then on.
func TestCreateWorkspaceAndAcceptTheOwnersInvite(t *testing.T) {
	withFixture(t, func(t *testing.T, s *sqlstore.Store, f *sqltest.Fixture) {
		ctx := t.Context()
		pi := newInvite(inAWeek())
		ws, owner, err := s.CreateWorkspace(ctx, portal.NewWorkspace{Name: "New Agency", OwnerEmail: " Olga@New.Example "}, pi.inv)
		noErr(t, err)
		if ws.Slug != "new-agency" || ws.Name != "New Agency" || owner.WorkspaceID != ws.ID || owner.RoleID != portal.BuiltInRoleID(portal.BuiltInRoleOwner) ||
			owner.Email != "olga@new.example" || owner.Name != "olga" || owner.PasswordHash != nil {
			t.Errorf("created %+v with owner %+v", ws, owner)
		}
		if got, err := s.WorkspaceBySlug(ctx, "new-agency"); err != nil || got == nil || got.ID != ws.ID {
			t.Errorf("WorkspaceBySlug: %+v, %v", got, err)
		}
		var invites []struct {
			UserID    *string   `db:"user_id"`
			ContactID *string   `db:"contact_id"`
			ExpiresAt time.Time `db:"expires_at"`
		}
		db := s.DB()
		noErr(t, db.SelectContext(ctx, &invites, db.Rebind(`SELECT user_id, contact_id, expires_at FROM invites WHERE workspace_id = ?`), ws.ID))
		if len(invites) != 1 || deref(invites[0].UserID) != owner.ID || invites[0].ContactID != nil || !invites[0].ExpiresAt.Equal(pi.inv.ExpiresAt) {
			t.Errorf("invites of the new workspace: %+v", invites)
		}
		// Until they accept, the owner cannot sign in.
		accounts, err := s.LoginAccounts(ctx, "olga@new.example")
		noErr(t, err)
		if len(accounts) != 1 || accounts[0].PasswordHash != nil {
			t.Errorf("accounts before accepting: %+v", accounts)
		}

		// The same slug again is a conflict and writes nothing; so is
		// invalid input.
		unchanged(t, s, portal.CodeConflict, func() error {
			_, _, err := s.CreateWorkspace(ctx, portal.NewWorkspace{Name: "Other", Slug: "new-agency", OwnerEmail: "x@y.example"}, newInvite(inAWeek()).inv)
			return err
		})
		unchanged(t, s, portal.CodeBadUserInput, func() error {
			_, _, err := s.CreateWorkspace(ctx, portal.NewWorkspace{Name: "Other", Slug: "No Slug", OwnerEmail: "x"}, newInvite(inAWeek()).inv)
			return err
		}, "slug", "ownerEmail")

		token, session := newToken(portal.TokenSession, time.Hour)
		c, err := s.AcceptInvite(ctx, auth.HashToken(pi.token), "the-password-hash", session)
		noErr(t, err)
		if c != nil || deref(session.UserID) != owner.ID || session.ContactID != nil || session.WorkspaceID != ws.ID {
			t.Errorf("accepted as contact %+v, session %+v", c, session)
		}
		p, err := principalOf(t, s, token)
		noErr(t, err)
		if p.Audience != portal.AudienceStaff || p.UserID != owner.ID || p.BuiltIn != portal.BuiltInRoleOwner || p.WorkspaceID != ws.ID {
			t.Errorf("signed in as %+v", p)
		}
		accounts, err = s.LoginAccounts(ctx, "olga@new.example")
		noErr(t, err)
		if len(accounts) != 1 || deref(accounts[0].PasswordHash) != "the-password-hash" {
			t.Errorf("accounts after accepting: %+v", accounts)
		}
		// What happened is in the new workspace's activity, for its owner.
		var ids []string
		noErr(t, db.SelectContext(ctx, &ids, db.Rebind(`SELECT id FROM activity_events WHERE workspace_id = ? ORDER BY id`), ws.ID))
		events, err := s.ActivityByID(ctx, p, ids)
		noErr(t, err)
		slices.SortFunc(events, func(a, b *portal.ActivityEvent) int { return cmp.Compare(a.ID, b.ID) })
		var got []string
		for _, e := range events {
			got = append(got, string(e.Action)+" "+string(e.RecordType)+" "+e.RecordID+": "+e.Summary+" (by "+deref(e.ActorUserID)+")")
		}
		want := []string{
			"CREATED USER " + owner.ID + ": Created the workspace New Agency with its owner olga, invited to choose a password (by )",
			"INVITE_ACCEPTED USER " + owner.ID + ": olga accepted the invitation and signed in (by " + owner.ID + ")",
		}
		if !slices.Equal(got, want) {
			t.Errorf("activity of the new workspace\n %q\nwant\n %q", got, want)
		}

		// The link works once.
		unchanged(t, s, portal.CodeUnauthenticated, func() error {
			_, err := s.AcceptInvite(ctx, auth.HashToken(pi.token), "another-hash", &portal.AccessToken{Hash: "h", Kind: portal.TokenSession, ID: "tok_x", CreatedAt: time.Now()})
			return err
		})
		// The fixture's workspaces saw nothing of it.
		if c, err := s.WorkspaceBySlug(ctx, f.W1.Slug); err != nil || c.ID != f.W1.ID {
			t.Errorf("w1: %+v, %v", c, err)
		}
	})
}
