package sqlstore_test

import (
	"cmp"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"portalgraph/internal/auth"
	"portalgraph/internal/dataset"
	"portalgraph/internal/portal"
	"portalgraph/internal/sqlstore"
	"portalgraph/internal/sqlstore/sqltest"
)

// Portal access: turning portals on and setting their sections, inviting,
// accepting, suspending and restoring contacts, previews, sessions, sign-in
// throttling counts, and the overview and activity staff review it with.

// auditEvent is an activity event as the portal access tests compare it:
// actors and client by ID, "" when none.
type auditEvent struct {
	Action     portal.ActivityAction
	RecordType portal.RecordType
	RecordID   string
	ClientID   string
	User       string
	Contact    string
	Changed    string
	Preview    bool
}

// auditEvents returns the W1 events written since before (the IDs of
// activity_events then), oldest first, read through the store.
func auditEvents(t *testing.T, s *sqlstore.Store, f *sqltest.Fixture, before []string) []auditEvent {
	t.Helper()
	var ids []string
	for _, id := range allIDs(t, s, "activity_events") {
		if !slices.Contains(before, id) {
			ids = append(ids, id)
		}
	}
	evs, err := s.ActivityByID(t.Context(), sqltest.Staff(f.Owner), ids)
	noErr(t, err)
	if len(evs) != len(ids) {
		t.Fatalf("%d new events, %d readable by W1's owner", len(ids), len(evs))
	}
	slices.SortFunc(evs, func(a, b *portal.ActivityEvent) int { return cmp.Compare(a.ID, b.ID) })
	out := []auditEvent{}
	for _, e := range evs {
		if e.Summary == "" {
			t.Errorf("event %s has no summary", e.ID)
		}
		out = append(out, auditEvent{e.Action, e.RecordType, e.RecordID, deref(e.ClientID), deref(e.ActorUserID), deref(e.ActorContactID),
			strings.Join(e.ChangedFields(), ","), e.Preview})
	}
	return out
}

func wantAudit(t *testing.T, s *sqlstore.Store, f *sqltest.Fixture, before []string, want ...auditEvent) {
	t.Helper()
	if want == nil {
		want = []auditEvent{}
	}
	if got := auditEvents(t, s, f, before); !reflect.DeepEqual(got, want) {
		t.Errorf("events written\n %+v\nwant\n %+v", got, want)
	}
}

// staffDid and contactDid are the events of a staff member's or a
// contact's change to a record of client.
func staffDid(u *portal.User, action portal.ActivityAction, rt portal.RecordType, recordID, clientID string) auditEvent {
	return auditEvent{Action: action, RecordType: rt, RecordID: recordID, ClientID: clientID, User: u.ID}
}

func contactDid(c *portal.Contact, action portal.ActivityAction) auditEvent {
	return auditEvent{Action: action, RecordType: portal.RecordTypeContact, RecordID: c.ID, ClientID: c.ClientID, Contact: c.ID}
}

// pendingInvite is an invitation about to be sent: the token its link
// carries, and what the store is given.
type pendingInvite struct {
	token string
	inv   portal.Invitation
}

func newInvite(expires time.Time) pendingInvite {
	token, hash := auth.NewToken()
	return pendingInvite{token: token, inv: portal.Invitation{
		TokenHash: hash, ExpiresAt: expires,
		Mail: func(c *portal.Contact, cl *portal.Client) (string, string) {
			return "Join the " + cl.Name + " portal", "Hello " + c.Name + ",\nhttps://portal.example/accept?token=" + token + "\n"
		},
	}}
}

func inAWeek() time.Time { return time.Now().UTC().Truncate(time.Microsecond).Add(7 * 24 * time.Hour) }

// invite invites a contact as the owner and returns the invitation.
func invite(t *testing.T, s *sqlstore.Store, f *sqltest.Fixture, c *portal.Contact) pendingInvite {
	t.Helper()
	pi := newInvite(inAWeek())
	_, err := s.InviteContact(t.Context(), sqltest.Staff(f.Owner), c.ID, pi.inv)
	noErr(t, err)
	return pi
}

// newToken is a token of a kind, not yet stored, valid for ttl.
func newToken(kind portal.TokenKind, ttl time.Duration) (string, *portal.AccessToken) {
	token, hash := auth.NewToken()
	now := time.Now().UTC().Truncate(time.Microsecond)
	exp := now.Add(ttl)
	return token, &portal.AccessToken{Hash: hash, Kind: kind, ID: portal.NewID(portal.PrefixToken, now), CreatedAt: now, ExpiresAt: &exp}
}

// acceptInvite redeems an invitation token and returns the session token.
func acceptInvite(t *testing.T, s *sqlstore.Store, inviteToken string) (*portal.Contact, string, error) {
	t.Helper()
	token, session := newToken(portal.TokenSession, time.Hour)
	c, err := s.AcceptInvite(t.Context(), auth.HashToken(inviteToken), "argon2id-hash-of-the-password", session)
	return c, token, err
}

// activeContact adds a contact to a client and takes them through an
// invitation to ACTIVE; it returns them with their session token.
func activeContact(t *testing.T, s *sqlstore.Store, f *sqltest.Fixture, clientID, name string) (*portal.Contact, string) {
	t.Helper()
	c := newContact(t, s, f, clientID, name)
	pi := invite(t, s, f, c)
	c, token, err := acceptInvite(t, s, pi.token)
	noErr(t, err)
	return c, token
}

// newContact adds a contact without portal access (NONE) to a client.
func newContact(t *testing.T, s *sqlstore.Store, f *sqltest.Fixture, clientID, name string) *portal.Contact {
	t.Helper()
	c, err := s.CreateContact(t.Context(), sqltest.Staff(f.Owner), portal.CreateContactInput{
		ClientID: clientID, Name: name, Email: strings.ReplaceAll(strings.ToLower(name), " ", ".") + "@contacts.example",
	})
	noErr(t, err)
	if c.PortalStatus != portal.PortalStatusNone {
		t.Fatalf("a new contact has portal status %s", c.PortalStatus)
	}
	return c
}

// principalOf authenticates a token as a request would: the holder the
// store reads, and the principal it acts as (or why not).
func principalOf(t *testing.T, s *sqlstore.Store, token string) (portal.Principal, error) {
	t.Helper()
	h, ok := holderOf(t, s, token)
	if !ok {
		return portal.Principal{}, portal.Unauthenticated("invalid or expired token")
	}
	return h.Principal()
}

// contactRow reads a contact past any scope.
func contactRow(t *testing.T, s *sqlstore.Store, f *sqltest.Fixture, id string) *portal.Contact {
	t.Helper()
	return reread(t, f, id, s.ContactsByID)
}

// inviteRow is a row of invites.
type inviteRow struct {
	ID         string     `db:"id"`
	ContactID  string     `db:"contact_id"`
	TokenHash  string     `db:"token_hash"`
	CreatedBy  *string    `db:"created_by"`
	ExpiresAt  time.Time  `db:"expires_at"`
	AcceptedAt *time.Time `db:"accepted_at"`
	RevokedAt  *time.Time `db:"revoked_at"`
}

func invitesOf(t *testing.T, s *sqlstore.Store, contactID string) []inviteRow {
	t.Helper()
	var rows []inviteRow
	db := s.DB()
	noErr(t, db.SelectContext(t.Context(), &rows, db.Rebind(`SELECT id, contact_id, token_hash, created_by, expires_at, accepted_at, revoked_at
		FROM invites WHERE contact_id = ? ORDER BY id`), contactID))
	return rows
}

func bools(v bool) *bool { return &v }

func TestPortalManagePermission(t *testing.T) {
	// PORTAL_MANAGE belongs to owners and admins only: a MANAGER, who
	// otherwise runs clients, does not hold it.
	for role, want := range map[portal.BuiltInRole]bool{
		portal.BuiltInRoleOwner: true, portal.BuiltInRoleAdmin: true, portal.BuiltInRoleManager: false, portal.BuiltInRoleMember: false, portal.BuiltInRoleViewer: false,
	} {
		if got := portal.BuiltInPermissions(role).Has(portal.PermissionPortalManage); got != want {
			t.Errorf("%s grants %s: %v, want %v", role, portal.PermissionPortalManage, got, want)
		}
	}
	withFixture(t, func(t *testing.T, s *sqlstore.Store, f *sqltest.Fixture) {
		ctx := t.Context()
		fresh := newContact(t, s, f, f.A.ID, "Nora None")
		for _, p := range []portal.Principal{
			sqltest.Staff(f.Manager), sqltest.Staff(f.Member), sqltest.Staff(f.Viewer), sqltest.Portal(f.AActive), portal.Anonymous(),
		} {
			name := string(p.BuiltIn)
			if name == "" {
				name = string(p.Audience)
			}
			t.Run(name, func(t *testing.T) {
				unchanged(t, s, portal.CodeForbidden, func() error {
					_, err := s.SetClientPortal(ctx, p, portal.SetClientPortalInput{ClientID: f.C.ID, Enabled: bools(true)})
					return err
				})
				unchanged(t, s, portal.CodeForbidden, func() error {
					_, err := s.InviteContact(ctx, p, fresh.ID, newInvite(inAWeek()).inv)
					return err
				})
				unchanged(t, s, portal.CodeForbidden, func() error { _, err := s.SuspendContact(ctx, p, f.AActive.ID); return err })
				unchanged(t, s, portal.CodeForbidden, func() error { _, err := s.RestoreContact(ctx, p, f.ASuspended.ID); return err })
				unchanged(t, s, portal.CodeForbidden, func() error {
					_, tok := newToken(portal.TokenPreview, time.Hour)
					_, err := s.StartPreview(ctx, p, f.AActive.ID, tok)
					return err
				})
			})
		}
		// An admin may.
		b := dataset.New(time.Date(2026, 2, 3, 9, 0, 0, 0, time.UTC), 41)
		admin := b.User(f.W1, "Ada Admin", "ada@w1.example", portal.BuiltInRoleAdmin)
		noErr(t, s.Load(ctx, &b.Data))
		c, err := s.SetClientPortal(ctx, sqltest.Staff(admin), portal.SetClientPortalInput{ClientID: f.C.ID, Enabled: bools(true)})
		noErr(t, err)
		if !c.PortalEnabled {
			t.Error("the admin did not turn C's portal on")
		}
		_, err = s.InviteContact(ctx, sqltest.Staff(admin), fresh.ID, newInvite(inAWeek()).inv)
		noErr(t, err)
		// Staff of another workspace find nothing to manage.
		unchanged(t, s, portal.CodeNotFound, func() error {
			_, err := s.SetClientPortal(ctx, sqltest.Staff(f.Owner2), portal.SetClientPortalInput{ClientID: f.A.ID, Enabled: bools(false)})
			return err
		})
		unchanged(t, s, portal.CodeNotFound, func() error { _, err := s.SuspendContact(ctx, sqltest.Staff(f.Owner2), f.AActive.ID); return err })
	})
}

func TestSetClientPortal(t *testing.T) {
	withFixture(t, func(t *testing.T, s *sqlstore.Store, f *sqltest.Fixture) {
		ctx := t.Context()
		owner := sqltest.Staff(f.Owner)
		ann := sqltest.Portal(f.AActive)
		seen := func() []string {
			t.Helper()
			p, err := s.ProjectsByID(ctx, ann, []string{f.AShared.ID})
			noErr(t, err)
			d, err := s.DeliverablesByID(ctx, ann, []string{f.DShared.ID})
			noErr(t, err)
			return append(idsOf(p), idsOf(d)...)
		}
		if got := seen(); !slices.Equal(got, []string{f.AShared.ID, f.DShared.ID}) {
			t.Fatalf("before: Ann sees %v", got)
		}

		// Hiding a section hides it on the very next read.
		before := allIDs(t, s, "activity_events")
		c, err := s.SetClientPortal(ctx, owner, portal.SetClientPortalInput{ClientID: f.A.ID, Sections: &portal.PortalSectionsInput{
			Projects: bools(false), Deliverables: bools(true), Exports: bools(true),
		}})
		noErr(t, err)
		want := portal.DefaultPortalSettings()
		want.Projects, want.Exports = false, true
		if !c.PortalEnabled || *c.PortalSettings() != want {
			t.Errorf("portal %v with %+v, want on with %+v", c.PortalEnabled, *c.PortalSettings(), want)
		}
		stored(t, c, reread(t, f, f.A.ID, s.ClientsByID))
		wantAudit(t, s, f, before, auditEvent{portal.ActivityActionPortalUpdated, portal.RecordTypeClient, f.A.ID, f.A.ID, f.Owner.ID, "", "projects,exports", false})
		if got := seen(); len(got) != 0 {
			t.Errorf("with projects hidden, Ann sees %v", got)
		}

		// Setting what is already set changes nothing and records nothing.
		unchangedOK := func(in portal.SetClientPortalInput) {
			t.Helper()
			snapshot := dump(t, s)
			_, err := s.SetClientPortal(ctx, owner, in)
			noErr(t, err)
			if dump(t, s) != snapshot {
				t.Errorf("setting %+v again changed the database", in)
			}
		}
		unchangedOK(portal.SetClientPortalInput{ClientID: f.A.ID, Enabled: bools(true), Sections: &portal.PortalSectionsInput{Projects: bools(false), Exports: bools(true)}})
		unchangedOK(portal.SetClientPortalInput{ClientID: f.A.ID})

		// Turning the portal off ends Ann's access at her next request;
		// turning it on with a section shown brings it back.
		before = allIDs(t, s, "activity_events")
		c, err = s.SetClientPortal(ctx, owner, portal.SetClientPortalInput{ClientID: f.A.ID, Enabled: bools(false)})
		noErr(t, err)
		if c.PortalEnabled {
			t.Error("the portal is still on")
		}
		wantAudit(t, s, f, before, auditEvent{portal.ActivityActionPortalUpdated, portal.RecordTypeClient, f.A.ID, f.A.ID, f.Owner.ID, "", "enabled", false})
		_, err = principalOf(t, s, f.Tokens["aActive"])
		wantCode(t, err, portal.CodeUnauthenticated)
		if got := seen(); len(got) != 0 {
			t.Errorf("with the portal off, Ann sees %v", got)
		}
		before = allIDs(t, s, "activity_events")
		_, err = s.SetClientPortal(ctx, owner, portal.SetClientPortalInput{ClientID: f.A.ID, Enabled: bools(true), Sections: &portal.PortalSectionsInput{Projects: bools(true)}})
		noErr(t, err)
		wantAudit(t, s, f, before, auditEvent{portal.ActivityActionPortalUpdated, portal.RecordTypeClient, f.A.ID, f.A.ID, f.Owner.ID, "", "enabled,projects", false})
		if _, err := principalOf(t, s, f.Tokens["aActive"]); err != nil {
			t.Errorf("with the portal back on, Ann is refused: %v", err)
		}
		if got := seen(); !slices.Equal(got, []string{f.AShared.ID, f.DShared.ID}) {
			t.Errorf("with the portal back on, Ann sees %v", got)
		}

		// C's portal was off: its contact gets in once it is on.
		_, err = principalOf(t, s, f.Tokens["cActive"])
		wantCode(t, err, portal.CodeUnauthenticated)
		_, err = s.SetClientPortal(ctx, owner, portal.SetClientPortalInput{ClientID: f.C.ID, Enabled: bools(true)})
		noErr(t, err)
		if p, err := principalOf(t, s, f.Tokens["cActive"]); err != nil || p.ContactID != f.CActive.ID {
			t.Errorf("with C's portal on, Cal is %+v, %v", p, err)
		}

		// An archived client has no portal: it cannot be turned on, nor
		// stay on by being left as it was, but it can be turned off.
		_, err = s.SetClientPortal(ctx, owner, portal.SetClientPortalInput{ClientID: f.C.ID, Enabled: bools(false)})
		noErr(t, err)
		for _, id := range []string{f.B.ID, f.C.ID} {
			_, err = s.ArchiveClient(ctx, owner, id)
			noErr(t, err)
		}
		unchanged(t, s, portal.CodeBadUserInput, func() error {
			_, err := s.SetClientPortal(ctx, owner, portal.SetClientPortalInput{ClientID: f.C.ID, Enabled: bools(true)})
			return err
		}, "input.enabled")
		unchanged(t, s, portal.CodeBadUserInput, func() error { // B's portal was on when it was archived
			_, err := s.SetClientPortal(ctx, owner, portal.SetClientPortalInput{ClientID: f.B.ID, Enabled: bools(true)})
			return err
		}, "input.enabled")
		c, err = s.SetClientPortal(ctx, owner, portal.SetClientPortalInput{ClientID: f.B.ID, Enabled: bools(false)})
		noErr(t, err)
		if c.PortalEnabled {
			t.Error("B's portal is still on")
		}
		unchanged(t, s, portal.CodeNotFound, func() error {
			_, err := s.SetClientPortal(ctx, owner, portal.SetClientPortalInput{ClientID: "cli_missing", Enabled: bools(true)})
			return err
		})
	})
}

func TestInviteContact(t *testing.T) {
	withFixture(t, func(t *testing.T, s *sqlstore.Store, f *sqltest.Fixture) {
		ctx := t.Context()
		owner := sqltest.Staff(f.Owner)
		nora := newContact(t, s, f, f.A.ID, "Nora None")
		before := allIDs(t, s, "activity_events")
		mailBefore := allIDs(t, s, "outbox")

		first := newInvite(inAWeek())
		var mailedTo, mailedAbout string
		writeMail := first.inv.Mail
		first.inv.Mail = func(c *portal.Contact, cl *portal.Client) (string, string) {
			mailedTo, mailedAbout = c.ID, cl.ID
			return writeMail(c, cl)
		}
		c, err := s.InviteContact(ctx, owner, nora.ID, first.inv)
		noErr(t, err)
		if c.PortalStatus != portal.PortalStatusInvited || mailedTo != nora.ID || mailedAbout != f.A.ID {
			t.Errorf("invited contact %s (mail about %s of %s)", c.PortalStatus, mailedTo, mailedAbout)
		}
		stored(t, c, contactRow(t, s, f, nora.ID))
		inv := invitesOf(t, s, nora.ID)
		if len(inv) != 1 || !portal.HasPrefix(inv[0].ID, portal.PrefixInvite) || inv[0].TokenHash != first.inv.TokenHash ||
			deref(inv[0].CreatedBy) != f.Owner.ID || !inv[0].ExpiresAt.Equal(first.inv.ExpiresAt) || inv[0].AcceptedAt != nil || inv[0].RevokedAt != nil {
			t.Errorf("invites %+v", inv)
		}
		if inv[0].TokenHash == first.token || !strings.Contains(dump(t, s), first.inv.TokenHash) {
			t.Error("the invitation is not stored as the token's hash")
		}
		// The mail, in the same transaction, carries the link.
		if got := mailSince(t, s, mailBefore); !reflect.DeepEqual(got, []mail{{"PORTAL_INVITATION", nora.Email}}) {
			t.Errorf("mail %+v", got)
		}
		wantSubject, wantBody := writeMail(nora, f.A)
		var msg struct {
			Subject string `db:"subject"`
			Body    string `db:"body"`
		}
		noErr(t, s.DB().GetContext(ctx, &msg, s.DB().Rebind("SELECT subject, body FROM outbox WHERE recipient = ?"), nora.Email))
		if msg.Subject != wantSubject || msg.Body != wantBody || !strings.Contains(msg.Body, "token="+first.token) {
			t.Errorf("mail %q %q, want %q %q", msg.Subject, msg.Body, wantSubject, wantBody)
		}
		wantAudit(t, s, f, before, staffDid(f.Owner, portal.ActivityActionContactInvited, portal.RecordTypeContact, nora.ID, f.A.ID))

		// Inviting again replaces the invitation: the first link stops
		// working, the second works.
		before = allIDs(t, s, "activity_events")
		second := newInvite(inAWeek())
		_, err = s.InviteContact(ctx, owner, nora.ID, second.inv)
		noErr(t, err)
		inv = invitesOf(t, s, nora.ID)
		if len(inv) != 2 || inv[0].TokenHash != first.inv.TokenHash || inv[0].RevokedAt == nil ||
			inv[1].TokenHash != second.inv.TokenHash || inv[1].RevokedAt != nil {
			t.Errorf("invites after resending %+v", inv)
		}
		if got := mailSince(t, s, mailBefore); len(got) != 2 {
			t.Errorf("mail after resending %+v", got)
		}
		wantAudit(t, s, f, before, staffDid(f.Owner, portal.ActivityActionContactInvited, portal.RecordTypeContact, nora.ID, f.A.ID))
		unchanged(t, s, portal.CodeUnauthenticated, func() error { _, _, err := acceptInvite(t, s, first.token); return err })
		if c, _, err := acceptInvite(t, s, second.token); err != nil || c.PortalStatus != portal.PortalStatusActive {
			t.Errorf("accepting the second invitation: %+v, %v", c, err)
		}

		// Contacts with access, or whose access is suspended, are not
		// invited; nor are the contacts of a client whose portal is off.
		for _, c := range []*portal.Contact{f.AActive, f.ASuspended, nora} {
			unchanged(t, s, portal.CodeConflict, func() error { _, err := s.InviteContact(ctx, owner, c.ID, newInvite(inAWeek()).inv); return err })
		}
		carl := newContact(t, s, f, f.C.ID, "Carl Cobalt")
		unchanged(t, s, portal.CodeConflict, func() error { _, err := s.InviteContact(ctx, owner, carl.ID, newInvite(inAWeek()).inv); return err })
		bea := newContact(t, s, f, f.B.ID, "Bea Bolt")
		_, err = s.ArchiveClient(ctx, owner, f.B.ID) // B's portal setting stays on
		noErr(t, err)
		unchanged(t, s, portal.CodeConflict, func() error { _, err := s.InviteContact(ctx, owner, bea.ID, newInvite(inAWeek()).inv); return err })
		unchanged(t, s, portal.CodeNotFound, func() error {
			_, err := s.InviteContact(ctx, owner, f.XActive.ID, newInvite(inAWeek()).inv)
			return err
		})
		unchanged(t, s, portal.CodeNotFound, func() error {
			_, err := s.InviteContact(ctx, owner, "con_missing", newInvite(inAWeek()).inv)
			return err
		})
	})
}

func TestAcceptInvite(t *testing.T) {
	withFixture(t, func(t *testing.T, s *sqlstore.Store, f *sqltest.Fixture) {
		ctx := t.Context()
		nora := newContact(t, s, f, f.A.ID, "Nora None")
		pi := invite(t, s, f, nora)
		before := allIDs(t, s, "activity_events")

		token, session := newToken(portal.TokenSession, time.Hour)
		c, err := s.AcceptInvite(ctx, auth.HashToken(pi.token), "the-password-hash", session)
		noErr(t, err)
		if c.PortalStatus != portal.PortalStatusActive || deref(c.PasswordHash) != "the-password-hash" {
			t.Errorf("accepted contact %s with password hash %v", c.PortalStatus, c.PasswordHash)
		}
		stored(t, c, contactRow(t, s, f, nora.ID))
		if inv := invitesOf(t, s, nora.ID); len(inv) != 1 || inv[0].AcceptedAt == nil || inv[0].RevokedAt != nil {
			t.Errorf("invites %+v", inv)
		}
		// The session is a SESSION token of the contact, and signs them in.
		h, ok := holderOf(t, s, token)
		if !ok || h.Kind != portal.TokenSession || deref(h.ContactID) != nora.ID || h.TokenID != session.ID || h.UserID != nil {
			t.Errorf("session holder %+v (ok %v)", h, ok)
		}
		p, err := h.Principal()
		noErr(t, err)
		if want := sqltest.Portal(nora); p.ContactID != want.ContactID || p.ClientID != want.ClientID || p.Audience != portal.AudiencePortal || p.Preview {
			t.Errorf("principal %+v", p)
		}
		wantAudit(t, s, f, before, contactDid(nora, portal.ActivityActionInviteAccepted))

		// Used, expired, revoked and unknown invitations are refused alike.
		ivy := newContact(t, s, f, f.A.ID, "Ivo Expired")
		expired := invite(t, s, f, ivy)
		exec(t, s, "UPDATE invites SET expires_at = ? WHERE token_hash = ?", time.Now().UTC().Add(-time.Minute), expired.inv.TokenHash)
		rex := newContact(t, s, f, f.A.ID, "Rex Resent")
		replaced := invite(t, s, f, rex)
		invite(t, s, f, rex)
		messages := map[string]string{}
		for name, tok := range map[string]string{"used": pi.token, "expired": expired.token, "replaced": replaced.token, "unknown": "pgt_unknown"} {
			unchanged(t, s, portal.CodeUnauthenticated, func() error {
				_, _, err := acceptInvite(t, s, tok)
				if err != nil {
					messages[name] = err.Error()
				}
				return err
			})
		}
		if len(messages) != 4 || messages["used"] != messages["expired"] || messages["used"] != messages["replaced"] || messages["used"] != messages["unknown"] {
			t.Errorf("refusals differ: %v", messages)
		}
		if got := contactRow(t, s, f, ivy.ID).PortalStatus; got != portal.PortalStatusInvited {
			t.Errorf("the contact of the expired invitation is %s", got)
		}
	})
}

// Every state a contact's access can be in, reached through the store, as
// authentication sees it at the next request.
func TestContactAccessStates(t *testing.T) {
	withFixture(t, func(t *testing.T, s *sqlstore.Store, f *sqltest.Fixture) {
		ctx := t.Context()
		owner := sqltest.Staff(f.Owner)
		none := newContact(t, s, f, f.A.ID, "Nora None")
		invited := newContact(t, s, f, f.A.ID, "Ina Invited")
		invite(t, s, f, invited)
		expired := newContact(t, s, f, f.A.ID, "Ivo Expired")
		expiredInvite := invite(t, s, f, expired)
		exec(t, s, "UPDATE invites SET expires_at = ? WHERE token_hash = ?", time.Now().UTC().Add(-time.Minute), expiredInvite.inv.TokenHash)
		active, _ := activeContact(t, s, f, f.A.ID, "Ada Active")
		suspended, _ := activeContact(t, s, f, f.A.ID, "Sue Suspended")
		_, err := s.SuspendContact(ctx, owner, suspended.ID)
		noErr(t, err)

		cases := []struct {
			c      *portal.Contact
			status portal.PortalStatus
			// pending is whether an invitation is still to be accepted,
			// and expired whether it has expired.
			pending, expired bool
		}{
			{none, portal.PortalStatusNone, false, false},
			{invited, portal.PortalStatusInvited, true, false},
			{expired, portal.PortalStatusInvited, true, true},
			{active, portal.PortalStatusActive, false, false},
			{suspended, portal.PortalStatusSuspended, false, false},
		}
		ids := make([]string, len(cases))
		for i, c := range cases {
			ids[i] = c.c.ID
		}
		expiries, err := s.PendingInviteExpiries(ctx, owner, ids)
		noErr(t, err)
		now := time.Now()
		for _, c := range cases {
			t.Run(c.c.Name, func(t *testing.T) {
				if got := contactRow(t, s, f, c.c.ID).PortalStatus; got != c.status {
					t.Fatalf("status %s, want %s", got, c.status)
				}
				// A token of the contact, whatever made it, works only
				// while their access is ACTIVE.
				token, tok := newToken(portal.TokenSession, time.Hour)
				tok.WorkspaceID, tok.ContactID = f.W1.ID, &c.c.ID
				noErr(t, s.CreateToken(ctx, tok))
				h, ok := holderOf(t, s, token)
				if !ok || h.PortalStatus == nil || *h.PortalStatus != c.status {
					t.Fatalf("holder %+v (ok %v)", h, ok)
				}
				p, err := h.Principal()
				if c.status == portal.PortalStatusActive {
					noErr(t, err)
					if p.ContactID != c.c.ID || p.ClientID != f.A.ID {
						t.Errorf("principal %+v", p)
					}
				} else {
					wantCode(t, err, portal.CodeUnauthenticated)
				}
				exp, has := expiries[c.c.ID]
				if has != c.pending || (has && exp.Before(now) != c.expired) {
					t.Errorf("pending invitation expiry %v (listed %v), want pending %v expired %v", exp, has, c.pending, c.expired)
				}
				// Only the one valid invitation can still be accepted.
				if c.c == invited {
					return
				}
				for _, inv := range invitesOf(t, s, c.c.ID) {
					if inv.AcceptedAt != nil {
						continue
					}
					unchanged(t, s, portal.CodeUnauthenticated, func() error {
						_, err := s.AcceptInvite(ctx, inv.TokenHash, "hash", &portal.AccessToken{Hash: "h", Kind: portal.TokenSession, ID: "tok_x", CreatedAt: now})
						return err
					})
				}
			})
		}
	})
}

func TestSuspendAndRestoreContact(t *testing.T) {
	withFixture(t, func(t *testing.T, s *sqlstore.Store, f *sqltest.Fixture) {
		ctx := t.Context()
		owner := sqltest.Staff(f.Owner)
		ada, session := activeContact(t, s, f, f.A.ID, "Ada Active")
		second, tok := newToken(portal.TokenSession, time.Hour)
		noErr(t, s.StartSession(ctx, portal.Account{WorkspaceID: f.W1.ID, ContactID: &ada.ID, Name: ada.Name}, tok))
		preview, tok := newToken(portal.TokenPreview, time.Hour)
		_, err := s.StartPreview(ctx, owner, ada.ID, tok)
		noErr(t, err)
		for _, token := range []string{session, second, preview} {
			if _, err := principalOf(t, s, token); err != nil {
				t.Fatalf("before suspension: %v", err)
			}
		}

		before := allIDs(t, s, "activity_events")
		c, err := s.SuspendContact(ctx, owner, ada.ID)
		noErr(t, err)
		if c.PortalStatus != portal.PortalStatusSuspended {
			t.Errorf("suspended contact is %s", c.PortalStatus)
		}
		stored(t, c, contactRow(t, s, f, ada.ID))
		wantAudit(t, s, f, before, staffDid(f.Owner, portal.ActivityActionContactSuspended, portal.RecordTypeContact, ada.ID, f.A.ID))
		// Every token of hers ends at once; others' do not.
		for _, token := range []string{session, second, preview} {
			if h, ok := holderOf(t, s, token); ok {
				t.Errorf("a token of the suspended contact is still held by %+v", h)
			}
		}
		if _, err := principalOf(t, s, f.Tokens["aActive"]); err != nil {
			t.Errorf("Ann's token ended with Ada's: %v", err)
		}
		// Suspending again changes nothing.
		snapshot := dump(t, s)
		c, err = s.SuspendContact(ctx, owner, ada.ID)
		noErr(t, err)
		if c.PortalStatus != portal.PortalStatusSuspended || dump(t, s) != snapshot {
			t.Error("suspending a suspended contact changed something")
		}

		// Restoring gives back access (she has a password), not the
		// tokens that ended.
		before = allIDs(t, s, "activity_events")
		c, err = s.RestoreContact(ctx, owner, ada.ID)
		noErr(t, err)
		if c.PortalStatus != portal.PortalStatusActive {
			t.Errorf("restored contact is %s", c.PortalStatus)
		}
		stored(t, c, contactRow(t, s, f, ada.ID))
		wantAudit(t, s, f, before, staffDid(f.Owner, portal.ActivityActionContactRestored, portal.RecordTypeContact, ada.ID, f.A.ID))
		for _, token := range []string{session, second, preview} {
			if _, ok := holderOf(t, s, token); ok {
				t.Error("restoring a contact revived an ended token")
			}
		}
		unchanged(t, s, portal.CodeConflict, func() error { _, err := s.RestoreContact(ctx, owner, ada.ID); return err })

		// An invited contact's invitation ends with the suspension; without
		// a password, restoring leaves them to be invited again.
		ina := newContact(t, s, f, f.A.ID, "Ina Invited")
		pi := invite(t, s, f, ina)
		_, err = s.SuspendContact(ctx, owner, ina.ID)
		noErr(t, err)
		if inv := invitesOf(t, s, ina.ID); len(inv) != 1 || inv[0].RevokedAt == nil {
			t.Errorf("invites of the suspended contact %+v", inv)
		}
		unchanged(t, s, portal.CodeUnauthenticated, func() error { _, _, err := acceptInvite(t, s, pi.token); return err })
		c, err = s.RestoreContact(ctx, owner, ina.ID)
		noErr(t, err)
		if c.PortalStatus != portal.PortalStatusNone {
			t.Errorf("restored contact without a password is %s", c.PortalStatus)
		}
		unchanged(t, s, portal.CodeUnauthenticated, func() error { _, _, err := acceptInvite(t, s, pi.token); return err })
		invite(t, s, f, ina)

		// The fixture's suspended contact never set a password either.
		c, err = s.RestoreContact(ctx, owner, f.ASuspended.ID)
		noErr(t, err)
		if c.PortalStatus != portal.PortalStatusNone {
			t.Errorf("restored fixture contact is %s", c.PortalStatus)
		}
		for _, id := range []string{f.AActive.ID, f.AInvited.ID} {
			unchanged(t, s, portal.CodeConflict, func() error { _, err := s.RestoreContact(ctx, owner, id); return err })
		}
		unchanged(t, s, portal.CodeNotFound, func() error { _, err := s.RestoreContact(ctx, owner, "con_missing"); return err })
	})
}

func TestStartPreview(t *testing.T) {
	withFixture(t, func(t *testing.T, s *sqlstore.Store, f *sqltest.Fixture) {
		ctx := t.Context()
		owner := sqltest.Staff(f.Owner)
		before := allIDs(t, s, "activity_events")
		token, tok := newToken(portal.TokenPreview, 30*time.Minute)
		c, err := s.StartPreview(ctx, owner, f.AInvited.ID, tok)
		noErr(t, err)
		if c.ID != f.AInvited.ID || c.PortalStatus != portal.PortalStatusInvited {
			t.Errorf("previewed contact %+v", c)
		}
		wantAudit(t, s, f, before, staffDid(f.Owner, portal.ActivityActionPortalPreviewed, portal.RecordTypeContact, f.AInvited.ID, f.A.ID))
		h, ok := holderOf(t, s, token)
		if !ok || h.Kind != portal.TokenPreview || deref(h.PreviewBy) != f.Owner.ID || deref(h.ContactID) != f.AInvited.ID || h.UserID != nil || h.TokenID != tok.ID {
			t.Fatalf("preview holder %+v (ok %v)", h, ok)
		}
		p, err := h.Principal()
		noErr(t, err)
		want := sqltest.Portal(f.AInvited)
		want.Preview, want.PreviewBy, want.SessionID = true, f.Owner.ID, tok.ID
		if p != want {
			t.Errorf("preview principal %+v, want %+v", p, want)
		}
		if err := p.Writable(); portal.ErrorCode(err) != portal.CodeForbidden {
			t.Errorf("a preview is writable: %v", err)
		}

		// A preview ends with its staff member: a token whose staff member
		// is gone is refused.
		exec(t, s, "UPDATE tokens SET preview_by = ? WHERE token_hash = ?", "usr_gone", tok.Hash)
		h, ok = holderOf(t, s, token)
		if !ok || h.PreviewBy != nil {
			t.Fatalf("holder of a preview by a missing user %+v (ok %v)", h, ok)
		}
		_, err = h.Principal()
		wantCode(t, err, portal.CodeUnauthenticated)
		exec(t, s, "UPDATE tokens SET preview_by = NULL WHERE token_hash = ?", tok.Hash)
		if h, _ = holderOf(t, s, token); h.PreviewBy != nil {
			t.Fatal("preview_by still set")
		}
		_, err = h.Principal()
		wantCode(t, err, portal.CodeUnauthenticated)

		// Not while the client's portal is off, nor without the permission.
		unchanged(t, s, portal.CodeConflict, func() error {
			_, tok := newToken(portal.TokenPreview, time.Hour)
			_, err := s.StartPreview(ctx, owner, f.CActive.ID, tok)
			return err
		})
		unchanged(t, s, portal.CodeForbidden, func() error {
			_, tok := newToken(portal.TokenPreview, time.Hour)
			_, err := s.StartPreview(ctx, sqltest.Staff(f.Manager), f.AActive.ID, tok)
			return err
		})
		unchanged(t, s, portal.CodeNotFound, func() error {
			_, tok := newToken(portal.TokenPreview, time.Hour)
			_, err := s.StartPreview(ctx, owner, f.XActive.ID, tok)
			return err
		})
	})
}

// A preview sees exactly what the contact sees (or would, once their access
// is ACTIVE), nothing once the portal is off, and changes nothing.
func TestPreviewSeesWhatTheContactSees(t *testing.T) {
	t.Parallel()
	sqltest.Run(t, func(t *testing.T, s *sqlstore.Store) {
		f, lab := scopeFixture(t, s)
		ctx := t.Context()
		owner := sqltest.Staff(f.Owner)
		nora := newContact(t, s, f, f.A.ID, "Nora None")
		lab[nora.ID] = "Nora"
		preview := func(c *portal.Contact) (string, portal.Principal) {
			t.Helper()
			token, tok := newToken(portal.TokenPreview, time.Hour)
			_, err := s.StartPreview(ctx, owner, c.ID, tok)
			noErr(t, err)
			p, err := principalOf(t, s, token)
			noErr(t, err)
			if !p.Preview || p.ContactID != c.ID {
				t.Fatalf("preview principal %+v", p)
			}
			return token, p
		}
		ann := viewOf(t, s, sqltest.Portal(f.AActive), lab)
		if len(ann.Projects) == 0 || len(ann.Deliverables) == 0 || len(ann.Approvals) == 0 {
			t.Fatalf("Ann sees too little to compare: %+v", ann)
		}
		tokens := map[string]string{}
		for _, c := range []*portal.Contact{f.AActive, f.AInvited, nora, f.ASuspended} {
			token, p := preview(c)
			tokens[c.ID] = token
			if got := viewOf(t, s, p, lab); !reflect.DeepEqual(got, ann) {
				t.Errorf("preview as %s (%s) sees\n %+v\nAnn sees\n %+v", c.Name, c.PortalStatus, got, ann)
			}
		}
		// B's contact, previewed, sees B's portal, not A's.
		_, pb := preview(f.BActive)
		if got, want := viewOf(t, s, pb, lab), viewOf(t, s, sqltest.Portal(f.BActive), lab); !reflect.DeepEqual(got, want) {
			t.Errorf("preview as Ben sees\n %+v\nBen sees\n %+v", got, want)
		}

		// A preview decides nothing, even where the contact may.
		d := sharedDeliverable(t, s, f, f.AShared.ID, "Previewed")
		a := requestApproval(t, s, f, d.ID, portal.ApprovalPolicyAny, f.AActive)
		p, err := principalOf(t, s, tokens[f.AActive.ID])
		noErr(t, err)
		if got, err := s.ApprovalsByID(ctx, p, []string{a.ID}); err != nil || len(got) != 1 {
			t.Fatalf("the preview does not see the approval: %v, %v", got, err)
		}
		unchanged(t, s, portal.CodeForbidden, func() error {
			_, _, err := s.DecideApproval(ctx, p, portal.DecideApprovalInput{ApprovalID: a.ID, Outcome: portal.DecisionOutcomeApproved, IdempotencyKey: "k1"})
			return err
		})
		if got := mustDecide(t, s, f.AActive, a.ID, portal.DecisionOutcomeApproved, "k1"); got.Status != portal.ApprovalStatusApproved {
			t.Errorf("Ann's own decision left the approval %s", got.Status)
		}
		// A preview writes nothing a staff member could write either.
		unchanged(t, s, portal.CodeForbidden, func() error {
			_, err := s.UpdateDeliverable(ctx, p, portal.UpdateDeliverableInput{ID: d.ID, Title: ptr("renamed")})
			return err
		})

		// With the portal off, the preview ends, and its principal sees
		// nothing.
		_, err = s.SetClientPortal(ctx, owner, portal.SetClientPortalInput{ClientID: f.A.ID, Enabled: bools(false)})
		noErr(t, err)
		_, err = principalOf(t, s, tokens[nora.ID])
		wantCode(t, err, portal.CodeUnauthenticated)
		if got := viewOf(t, s, p, lab); !reflect.DeepEqual(got, view{
			Workspace: []string{}, Clients: []string{}, Contacts: []string{}, Projects: []string{}, Deliverables: []string{}, Approvals: []string{},
			Decisions: []string{}, Approvers: []string{}, Users: []string{}, Notes: []string{}, Activity: []string{},
		}) {
			t.Errorf("a preview of a closed portal sees %+v", got)
		}
	})
}

func TestSessions(t *testing.T) {
	withFixture(t, func(t *testing.T, s *sqlstore.Store, f *sqltest.Fixture) {
		ctx := t.Context()
		before := allIDs(t, s, "activity_events")
		staffToken, staffTok := newToken(portal.TokenSession, time.Hour)
		noErr(t, s.StartSession(ctx, portal.Account{WorkspaceID: f.W1.ID, WorkspaceSlug: "w1", UserID: &f.Owner.ID, Name: f.Owner.Name}, staffTok))
		annToken, annTok := newToken(portal.TokenSession, time.Hour)
		noErr(t, s.StartSession(ctx, portal.Account{WorkspaceID: f.W1.ID, WorkspaceSlug: "w1", ContactID: &f.AActive.ID, Name: f.AActive.Name}, annTok))
		wantAudit(t, s, f, before,
			auditEvent{Action: portal.ActivityActionLoggedIn, RecordType: portal.RecordTypeUser, RecordID: f.Owner.ID, User: f.Owner.ID},
			contactDid(f.AActive, portal.ActivityActionLoggedIn))

		owner, err := principalOf(t, s, staffToken)
		noErr(t, err)
		if want := sqltest.Staff(f.Owner); owner.UserID != want.UserID || owner.BuiltIn != want.BuiltIn || owner.SessionID != staffTok.ID {
			t.Errorf("staff session principal %+v", owner)
		}
		ann, err := principalOf(t, s, annToken)
		noErr(t, err)
		if ann.ContactID != f.AActive.ID || ann.SessionID != annTok.ID {
			t.Errorf("contact session principal %+v", ann)
		}

		// A contact whose access is not ACTIVE gets no session, even when
		// their access ended after the password was checked.
		for _, c := range []*portal.Contact{f.ASuspended, f.AInvited, f.CActive} {
			unchanged(t, s, portal.CodeUnauthenticated, func() error {
				_, tok := newToken(portal.TokenSession, time.Hour)
				return s.StartSession(ctx, portal.Account{WorkspaceID: f.W1.ID, ContactID: &c.ID, Name: c.Name}, tok)
			})
		}

		// Signing out ends that session only.
		ended, err := s.EndSession(ctx, ann)
		noErr(t, err)
		if !ended {
			t.Error("EndSession ended nothing")
		}
		if _, ok := holderOf(t, s, annToken); ok {
			t.Error("the ended session still works")
		}
		for _, token := range []string{staffToken, f.Tokens["aActive"]} {
			if _, err := principalOf(t, s, token); err != nil {
				t.Errorf("another session ended too: %v", err)
			}
		}
		snapshot := dump(t, s)
		for _, p := range []portal.Principal{ann, {Audience: portal.AudienceStaff, WorkspaceID: f.W2.ID, SessionID: staffTok.ID}, sqltest.Staff(f.Owner)} {
			ended, err := s.EndSession(ctx, p)
			noErr(t, err)
			if ended {
				t.Errorf("EndSession of %+v ended something", p)
			}
		}
		if dump(t, s) != snapshot {
			t.Error("ending no session changed the database")
		}
	})
}

func TestLoginAccounts(t *testing.T) {
	withFixture(t, func(t *testing.T, s *sqlstore.Store, f *sqltest.Fixture) {
		ctx := t.Context()
		exec(t, s, "UPDATE users SET password_hash = 'owner-hash' WHERE id = ?", f.Owner.ID)
		exec(t, s, "UPDATE contacts SET password_hash = 'contact-hash'")
		// Ann's email is also a staff member's in W2.
		b := dataset.New(time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC), 31)
		annStaff := b.User(f.W2, "Ann Staff", "ann@acme.example", portal.BuiltInRoleMember)
		noErr(t, s.Load(ctx, &b.Data))

		cases := []struct {
			email string
			want  []portal.LoginAccount
		}{
			{" Owner@W1.example ", []portal.LoginAccount{{Account: portal.Account{WorkspaceID: f.W1.ID, WorkspaceSlug: "w1", UserID: &f.Owner.ID, Name: f.Owner.Name}, PasswordHash: ptr("owner-hash")}}},
			{"manager@w1.example", []portal.LoginAccount{{Account: portal.Account{WorkspaceID: f.W1.ID, WorkspaceSlug: "w1", UserID: &f.Manager.ID, Name: f.Manager.Name}}}},
			{"ann@acme.example", []portal.LoginAccount{
				{Account: portal.Account{WorkspaceID: f.W1.ID, WorkspaceSlug: "w1", ContactID: &f.AActive.ID, Name: f.AActive.Name}, PasswordHash: ptr("contact-hash")},
				{Account: portal.Account{WorkspaceID: f.W2.ID, WorkspaceSlug: "w2", UserID: &annStaff.ID, Name: annStaff.Name}},
			}},
			// Contacts sign in only while they may use the portal.
			{f.ASuspended.Email, nil},
			{f.AInvited.Email, nil},
			{f.CActive.Email, nil}, // C's portal is off
			{"nobody@w1.example", nil},
		}
		for _, c := range cases {
			got, err := s.LoginAccounts(ctx, c.email)
			noErr(t, err)
			if len(got) != len(c.want) || (len(got) > 0 && !reflect.DeepEqual(got, c.want)) {
				t.Errorf("%q: accounts %+v, want %+v", c.email, got, c.want)
			}
		}
	})
}

func TestLoginFailures(t *testing.T) {
	t.Parallel()
	sqltest.Run(t, func(t *testing.T, s *sqlstore.Store) {
		ctx := t.Context()
		now := time.Now().UTC()
		count := func(since time.Time, keys ...string) map[string]int {
			t.Helper()
			n, err := s.LoginFailures(ctx, keys, since)
			noErr(t, err)
			return n
		}
		for range 3 {
			noErr(t, s.RecordLoginFailure(ctx, []string{"email:a@x", "addr:10.0.0.1"}))
		}
		noErr(t, s.RecordLoginFailure(ctx, []string{"email:b@x"}))
		exec(t, s, "INSERT INTO login_failures (key, failed_at) VALUES (?, ?)", "email:a@x", now.Add(-2*time.Hour))
		keys := []string{"email:a@x", "addr:10.0.0.1", "email:c@x"}
		if got, want := count(now.Add(-time.Minute), keys...), map[string]int{"email:a@x": 3, "addr:10.0.0.1": 3}; !reflect.DeepEqual(got, want) {
			t.Errorf("failures in the last minute %v, want %v", got, want)
		}
		if got, want := count(now.Add(-3*time.Hour), keys...), map[string]int{"email:a@x": 4, "addr:10.0.0.1": 3}; !reflect.DeepEqual(got, want) {
			t.Errorf("failures in the last 3 hours %v, want %v", got, want)
		}
		if got := count(now.Add(time.Minute), keys...); len(got) != 0 {
			t.Errorf("failures in the future %v", got)
		}
		// Failures older than a day are forgotten at the next failure.
		exec(t, s, "INSERT INTO login_failures (key, failed_at) VALUES (?, ?)", "email:old@x", now.Add(-25*time.Hour))
		if got := count(now.Add(-48*time.Hour), "email:old@x"); got["email:old@x"] != 1 {
			t.Fatalf("old failure %v", got)
		}
		noErr(t, s.RecordLoginFailure(ctx, []string{"email:b@x"}))
		if got := count(now.Add(-48*time.Hour), "email:old@x", "email:a@x"); !reflect.DeepEqual(got, map[string]int{"email:a@x": 4}) {
			t.Errorf("after forgetting, failures %v", got)
		}
		// A success clears one key only.
		noErr(t, s.ClearLoginFailures(ctx, "email:a@x"))
		if got, want := count(now.Add(-3*time.Hour), append(keys, "email:b@x")...), map[string]int{"addr:10.0.0.1": 3, "email:b@x": 2}; !reflect.DeepEqual(got, want) {
			t.Errorf("after clearing, failures %v, want %v", got, want)
		}
	})
}

// The overview and the clients filter agree on every client's portal
// status, as the fixture has them and as set up here.
func TestPortalOverviews(t *testing.T) {
	withFixture(t, func(t *testing.T, s *sqlstore.Store, f *sqltest.Fixture) {
		ctx := t.Context()
		owner := sqltest.Staff(f.Owner)
		client := func(name string) *portal.Client {
			t.Helper()
			c, err := s.CreateClient(ctx, owner, portal.CreateClientInput{Name: name, Status: ptr(portal.ClientStatusActive)})
			noErr(t, err)
			_, err = s.SetClientPortal(ctx, owner, portal.SetClientPortalInput{ClientID: c.ID, Enabled: bools(true)})
			noErr(t, err)
			return c
		}
		d := client("Delta") // on, nobody invited
		e := client("Echo")  // on, one invited
		invite(t, s, f, newContact(t, s, f, e.ID, "Eve Echo"))
		g := client("Golf") // on, its one contact suspended
		_, err := s.SuspendContact(ctx, owner, newContact(t, s, f, g.ID, "Gus Golf").ID)
		noErr(t, err)
		h := client("Hotel") // on, one active, archived
		activeContact(t, s, f, h.ID, "Hal Hotel")
		_, err = s.ArchiveClient(ctx, owner, h.ID)
		noErr(t, err)

		t1 := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
		t2 := t1.Add(90 * time.Minute)
		noErr(t, s.TouchLastSeen(ctx, []portal.Seen{{WorkspaceID: f.W1.ID, ContactID: f.AActive.ID, At: t1}, {WorkspaceID: f.W1.ID, ContactID: f.AInvited.ID, At: t2}}))

		want := map[string]portal.ClientPortalOverview{
			f.A.ID: {Status: portal.ClientPortalStatusActive, ActiveContacts: 1, InvitedContacts: 1, SuspendedContacts: 1, LastSeenAt: &t2, PendingApprovals: 1},
			f.B.ID: {Status: portal.ClientPortalStatusActive, ActiveContacts: 1, PendingApprovals: 1},
			f.C.ID: {Status: portal.ClientPortalStatusDisabled, ActiveContacts: 1},
			d.ID:   {Status: portal.ClientPortalStatusEnabled},
			e.ID:   {Status: portal.ClientPortalStatusInvited, InvitedContacts: 1},
			g.ID:   {Status: portal.ClientPortalStatusEnabled, SuspendedContacts: 1},
			h.ID:   {Status: portal.ClientPortalStatusDisabled, ActiveContacts: 1},
		}
		ids := allIDs(t, s, "clients") // X of W2 included
		got, err := s.PortalOverviewsOf(ctx, owner, ids)
		noErr(t, err)
		if len(got) != len(want) {
			t.Errorf("%d overviews, want %d", len(got), len(want))
		}
		byStatus := map[portal.ClientPortalStatus][]string{}
		for id, w := range want {
			o := got[id]
			if o == nil {
				t.Errorf("no overview of %s", id)
				continue
			}
			lastSeen := o.LastSeenAt
			w2, o2 := w, *o
			w2.LastSeenAt, o2.LastSeenAt = nil, nil
			if o2 != w2 || (lastSeen == nil) != (w.LastSeenAt == nil) || (lastSeen != nil && !lastSeen.Equal(*w.LastSeenAt)) {
				t.Errorf("overview of %s: %+v (last seen %v), want %+v (last seen %v)", id, o2, lastSeen, w2, w.LastSeenAt)
			}
			byStatus[w.Status] = append(byStatus[w.Status], id)
		}
		// The filter lists exactly the clients of each status.
		for _, st := range portal.AllClientPortalStatus {
			c, err := s.Clients(ctx, owner, portal.ClientFilter{PortalStatus: []portal.ClientPortalStatus{st}}, nil, all)
			noErr(t, err)
			got, want := edgeIDs(c), byStatus[st]
			slices.Sort(got)
			slices.Sort(want)
			if !slices.Equal(got, want) || c.TotalCount != len(want) {
				t.Errorf("clients of portal status %s: %v (count %d), want %v", st, got, c.TotalCount, want)
			}
		}
		c, err := s.Clients(ctx, owner, portal.ClientFilter{PortalStatus: []portal.ClientPortalStatus{portal.ClientPortalStatusInvited, portal.ClientPortalStatusEnabled}}, nil, all)
		noErr(t, err)
		if got := edgeIDs(c); len(got) != 3 || !slices.Contains(got, d.ID) || !slices.Contains(got, e.ID) || !slices.Contains(got, g.ID) {
			t.Errorf("clients INVITED or ENABLED: %v", got)
		}

		// Other workspaces' staff see no overview of W1's clients; a
		// contact sees their own client's only.
		if got, err := s.PortalOverviewsOf(ctx, sqltest.Staff(f.Owner2), ids); err != nil || len(got) != 1 || got[f.X.ID] == nil {
			t.Errorf("W2's owner reads overviews %v, %v", got, err)
		}
		if got, err := s.PortalOverviewsOf(ctx, sqltest.Portal(f.AActive), ids); err != nil || len(got) != 1 || got[f.A.ID] == nil {
			t.Errorf("Ann reads overviews %v, %v", got, err)
		}
	})
}

func TestPendingInviteExpiries(t *testing.T) {
	withFixture(t, func(t *testing.T, s *sqlstore.Store, f *sqltest.Fixture) {
		ctx := t.Context()
		owner := sqltest.Staff(f.Owner)
		ina := newContact(t, s, f, f.A.ID, "Ina Invited")
		first := invite(t, s, f, ina)
		second := newInvite(inAWeek().Add(time.Hour))
		_, err := s.InviteContact(ctx, owner, ina.ID, second.inv)
		noErr(t, err)
		exec(t, s, "UPDATE invites SET expires_at = ? WHERE token_hash = ?", second.inv.ExpiresAt.Add(24*time.Hour), first.inv.TokenHash)
		ada, _ := activeContact(t, s, f, f.A.ID, "Ada Active")
		nora := newContact(t, s, f, f.A.ID, "Nora None")
		ids := []string{ina.ID, ada.ID, nora.ID, f.AInvited.ID, "con_missing"}

		got, err := s.PendingInviteExpiries(ctx, owner, ids)
		noErr(t, err)
		// The revoked first invitation, though later, does not count.
		if len(got) != 1 || got[ina.ID] == nil || !got[ina.ID].Equal(second.inv.ExpiresAt) {
			t.Errorf("expiries %v, want only Ina's at %v", got, second.inv.ExpiresAt)
		}
		if got, err := s.PendingInviteExpiries(ctx, sqltest.Staff(f.Owner2), ids); err != nil || len(got) != 0 {
			t.Errorf("W2's owner reads expiries %v, %v", got, err)
		}
	})
}

// ActivityOfClients with each filter, on events made to differ in one way
// each; no client's list holds another's events.
func TestActivityOfClientsFilters(t *testing.T) {
	withFixture(t, func(t *testing.T, s *sqlstore.Store, f *sqltest.Fixture) {
		ctx := t.Context()
		owner := sqltest.Staff(f.Owner)
		t0 := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
		ev := func(c *portal.Client, hours int, action portal.ActivityAction, rt portal.RecordType, user *portal.User, contact *portal.Contact, preview bool) *portal.ActivityEvent {
			at := t0.Add(time.Duration(hours) * time.Hour)
			e := &portal.ActivityEvent{
				WorkspaceID: c.WorkspaceID, ID: portal.NewID(portal.PrefixActivity, at), Action: action, RecordType: rt, RecordID: "rec",
				ClientID: &c.ID, Summary: "s", Changed: portal.FieldList{}, Preview: preview, CreatedAt: at,
			}
			if user != nil {
				e.ActorUserID = &user.ID
			}
			if contact != nil {
				e.ActorContactID = &contact.ID
			}
			return e
		}
		annViewed := ev(f.A, 1, portal.ActivityActionViewed, portal.RecordTypeProject, nil, f.AActive, false)
		previewViewed := ev(f.A, 2, portal.ActivityActionViewed, portal.RecordTypeDeliverable, f.Owner, f.AActive, true)
		ivyLoggedIn := ev(f.A, 3, portal.ActivityActionLoggedIn, portal.RecordTypeContact, nil, f.AInvited, false)
		managerUpdated := ev(f.A, 4, portal.ActivityActionUpdated, portal.RecordTypeProject, f.Manager, nil, false)
		annDecided := ev(f.A, 5, portal.ActivityActionDecisionRecorded, portal.RecordTypeApproval, nil, f.AActive, false)
		benViewed := ev(f.B, 2, portal.ActivityActionViewed, portal.RecordTypeProject, nil, f.BActive, false)
		xiaViewed := ev(f.X, 2, portal.ActivityActionViewed, portal.RecordTypeProject, nil, f.XActive, false)
		noErr(t, s.RecordActivity(ctx, []*portal.ActivityEvent{annViewed, previewViewed, ivyLoggedIn, managerUpdated, annDecided, benViewed, xiaViewed}))
		lab := labels{
			annViewed.ID: "annViewed", previewViewed.ID: "previewViewed", ivyLoggedIn.ID: "ivyLoggedIn", managerUpdated.ID: "managerUpdated",
			annDecided.ID: "annDecided", benViewed.ID: "benViewed", xiaViewed.ID: "xiaViewed", f.EventA.ID: "EventA",
		}
		at := func(hours int) *time.Time { return ptr(t0.Add(time.Duration(hours) * time.Hour)) }
		east := time.FixedZone("east", 3*3600)

		cases := []struct {
			name   string
			filter portal.ActivityFilter
			a, b   []string // newest first
		}{
			{"all", portal.ActivityFilter{},
				[]string{"annDecided", "managerUpdated", "ivyLoggedIn", "previewViewed", "annViewed", "EventA"}, []string{"benViewed"}},
			// What the contact did: not what staff did previewing as them.
			{"contact", portal.ActivityFilter{ContactID: &f.AActive.ID}, []string{"annDecided", "annViewed"}, []string{}},
			{"portal only", portal.ActivityFilter{PortalOnly: bools(true)}, []string{"annDecided", "ivyLoggedIn", "annViewed"}, []string{"benViewed"}},
			{"not only portal", portal.ActivityFilter{PortalOnly: bools(false)},
				[]string{"annDecided", "managerUpdated", "ivyLoggedIn", "previewViewed", "annViewed", "EventA"}, []string{"benViewed"}},
			{"actions", portal.ActivityFilter{Actions: []portal.ActivityAction{portal.ActivityActionViewed, portal.ActivityActionLoggedIn}},
				[]string{"ivyLoggedIn", "previewViewed", "annViewed"}, []string{"benViewed"}},
			{"record types", portal.ActivityFilter{RecordTypes: []portal.RecordType{portal.RecordTypeProject, portal.RecordTypeClient}},
				[]string{"managerUpdated", "annViewed", "EventA"}, []string{"benViewed"}},
			{"since, inclusive", portal.ActivityFilter{Since: at(2)}, []string{"annDecided", "managerUpdated", "ivyLoggedIn", "previewViewed"}, []string{"benViewed"}},
			{"until, exclusive", portal.ActivityFilter{Until: at(2)}, []string{"annViewed", "EventA"}, []string{}},
			{"range, in another zone", portal.ActivityFilter{Since: ptr(at(2).In(east)), Until: ptr(at(4).In(east))}, []string{"ivyLoggedIn", "previewViewed"}, []string{"benViewed"}},
			{"everything at once", portal.ActivityFilter{
				ContactID: &f.AActive.ID, PortalOnly: bools(true), Actions: []portal.ActivityAction{portal.ActivityActionViewed},
				RecordTypes: []portal.RecordType{portal.RecordTypeProject}, Since: at(0), Until: at(5),
			}, []string{"annViewed"}, []string{}},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				pages, err := s.ActivityOfClients(ctx, owner, []string{f.A.ID, f.B.ID, f.X.ID}, c.filter, all)
				noErr(t, err)
				for clientID, want := range map[string][]string{f.A.ID: c.a, f.B.ID: c.b, f.X.ID: {}} {
					page := pages[clientID]
					if page == nil {
						t.Fatalf("no page for %s", clientID)
					}
					if got := lab.inOrder(edgeIDs(page)); !slices.Equal(got, want) || page.TotalCount != len(want) {
						t.Errorf("client %s: %v (count %d), want %v", clientID, got, page.TotalCount, want)
					}
					for _, e := range page.Edges {
						if deref(e.Node.ClientID) != clientID {
							t.Errorf("event %s of client %s listed under %s", e.Node.ID, deref(e.Node.ClientID), clientID)
						}
					}
				}
			})
		}
		// Paginated: two at a time, newest first, through all of A's.
		var paged []string
		args := portal.PageArgs{First: 2, Count: true}
		for range 10 {
			pages, err := s.ActivityOfClients(ctx, owner, []string{f.A.ID}, portal.ActivityFilter{}, args)
			noErr(t, err)
			page := pages[f.A.ID]
			paged = append(paged, lab.inOrder(edgeIDs(page))...)
			if page.TotalCount != 6 || !page.PageInfo.HasNextPage {
				break
			}
			args.After = page.PageInfo.EndCursor
		}
		if want := cases[0].a; !slices.Equal(paged, want) {
			t.Errorf("paged %v, want %v", paged, want)
		}
		// W2's owner sees X's events only; contacts see no activity.
		pages, err := s.ActivityOfClients(ctx, sqltest.Staff(f.Owner2), []string{f.A.ID, f.X.ID}, portal.ActivityFilter{}, all)
		noErr(t, err)
		if got := lab.inOrder(edgeIDs(pages[f.A.ID])); len(got) != 0 {
			t.Errorf("W2's owner reads A's activity %v", got)
		}
		if got := lab.inOrder(edgeIDs(pages[f.X.ID])); !slices.Equal(got, []string{"xiaViewed"}) {
			t.Errorf("W2's owner reads X's activity %v", got)
		}
		pages, err = s.ActivityOfClients(ctx, sqltest.Portal(f.AActive), []string{f.A.ID}, portal.ActivityFilter{}, all)
		noErr(t, err)
		if got := edgeIDs(pages[f.A.ID]); len(got) != 0 {
			t.Errorf("Ann reads activity %v", got)
		}
	})
}

func TestTouchLastSeen(t *testing.T) {
	withFixture(t, func(t *testing.T, s *sqlstore.Store, f *sqltest.Fixture) {
		ctx := t.Context()
		t0 := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
		seen := func(c *portal.Contact) *time.Time {
			t.Helper()
			return contactRow(t, s, f, c.ID).LastSeenAt
		}
		at := func(c *portal.Contact, t time.Time) portal.Seen {
			return portal.Seen{WorkspaceID: c.WorkspaceID, ContactID: c.ID, At: t}
		}
		noErr(t, s.TouchLastSeen(ctx, nil))
		if got := seen(f.AActive); got != nil {
			t.Fatalf("last seen %v before any request", got)
		}
		noErr(t, s.TouchLastSeen(ctx, []portal.Seen{at(f.AActive, t0), at(f.BActive, t0.Add(time.Minute))}))
		noErr(t, s.TouchLastSeen(ctx, []portal.Seen{at(f.AActive, t0.Add(-time.Hour)), at(f.BActive, t0.Add(time.Hour))}))
		if got := seen(f.AActive); got == nil || !got.Equal(t0) {
			t.Errorf("Ann last seen %v, want %v: never moved back", got, t0)
		}
		if got := seen(f.BActive); got == nil || !got.Equal(t0.Add(time.Hour)) {
			t.Errorf("Ben last seen %v, want %v", got, t0.Add(time.Hour))
		}
		// Microseconds count; another workspace's ID matches nothing.
		noErr(t, s.TouchLastSeen(ctx, []portal.Seen{at(f.AActive, t0.Add(time.Microsecond)), {WorkspaceID: f.W2.ID, ContactID: f.BActive.ID, At: t0.Add(2 * time.Hour)}}))
		if got := seen(f.AActive); got == nil || !got.Equal(t0.Add(time.Microsecond)) {
			t.Errorf("Ann last seen %v, want a microsecond later", got)
		}
		if got := seen(f.BActive); got == nil || !got.Equal(t0.Add(time.Hour)) {
			t.Errorf("Ben last seen %v after a W2 principal's touch", got)
		}
		// Seen twice in one flush: the later time counts, whichever comes
		// first.
		noErr(t, s.TouchLastSeen(ctx, []portal.Seen{at(f.BActive, t0.Add(3*time.Hour)), at(f.BActive, t0.Add(2*time.Hour))}))
		if got := seen(f.BActive); got == nil || !got.Equal(t0.Add(3*time.Hour)) {
			t.Errorf("Ben last seen %v, want the later of two times in one flush", got)
		}
	})
}

// Accepting an invitation while staff suspend the contact or resend the
// invitation: whichever comes first, the other sees it, and neither fails
// for any other reason (such as a deadlock between the two).
func TestAcceptInviteRaces(t *testing.T) {
	withFixture(t, func(t *testing.T, s *sqlstore.Store, f *sqltest.Fixture) {
		ctx := t.Context()
		owner := sqltest.Staff(f.Owner)
		for i := range 12 {
			c := newContact(t, s, f, f.A.ID, "Racer "+string(rune('A'+i)))
			pi := invite(t, s, f, c)
			resend := i%2 == 1
			var session string
			var acceptErr, staffErr error
			var wg sync.WaitGroup
			wg.Go(func() { _, session, acceptErr = acceptInvite(t, s, pi.token) })
			wg.Go(func() {
				if resend {
					_, staffErr = s.InviteContact(ctx, owner, c.ID, newInvite(inAWeek()).inv)
				} else {
					_, staffErr = s.SuspendContact(ctx, owner, c.ID)
				}
			})
			wg.Wait()
			after := contactRow(t, s, f, c.ID)
			switch {
			case acceptErr != nil && portal.ErrorCode(acceptErr) != portal.CodeUnauthenticated:
				t.Fatalf("accepting failed: %v", acceptErr)
			case resend && acceptErr == nil:
				// Accepted first: the resend finds an ACTIVE contact.
				wantCode(t, staffErr, portal.CodeConflict)
				if after.PortalStatus != portal.PortalStatusActive {
					t.Errorf("accepted, then resent: %s", after.PortalStatus)
				}
			case resend:
				noErr(t, staffErr)
				if after.PortalStatus != portal.PortalStatusInvited {
					t.Errorf("resent, then refused: %s", after.PortalStatus)
				}
			default:
				noErr(t, staffErr)
				if after.PortalStatus != portal.PortalStatusSuspended {
					t.Errorf("suspended: %s", after.PortalStatus)
				}
				if acceptErr == nil {
					if _, ok := holderOf(t, s, session); ok {
						t.Error("the session of an accepted invitation outlived the suspension")
					}
				}
			}
		}
	})
}

// Signing in while staff suspend the contact: a session either is refused
// or ends with the suspension, and restoring the contact does not bring a
// session started meanwhile back.
func TestStartSessionRacesSuspension(t *testing.T) {
	withFixture(t, func(t *testing.T, s *sqlstore.Store, f *sqltest.Fixture) {
		ctx := t.Context()
		owner := sqltest.Staff(f.Owner)
		for i := range 12 {
			c, _ := activeContact(t, s, f, f.A.ID, "Racer "+string(rune('A'+i)))
			token, tok := newToken(portal.TokenSession, time.Hour)
			var sessionErr, suspendErr error
			var wg sync.WaitGroup
			wg.Go(func() {
				sessionErr = s.StartSession(ctx, portal.Account{WorkspaceID: f.W1.ID, ContactID: &c.ID, Name: c.Name}, tok)
			})
			wg.Go(func() { _, suspendErr = s.SuspendContact(ctx, owner, c.ID) })
			wg.Wait()
			noErr(t, suspendErr)
			if sessionErr != nil {
				wantCode(t, sessionErr, portal.CodeUnauthenticated)
			}
			_, err := s.RestoreContact(ctx, owner, c.ID)
			noErr(t, err)
			if h, ok := holderOf(t, s, token); ok {
				t.Fatalf("a session started during the suspension works after it: %+v", h)
			}
		}
	})
}
