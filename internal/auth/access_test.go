package auth_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"net/url"
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

// Signing in and out, throttling, invitations and previews, through the
// real store on both databases. Every password check costs an argon2id
// hash (tens of milliseconds), so the tests keep their number modest.

func TestMain(m *testing.M) { sqltest.Main(m) }

const (
	ownerPassword = "owner's long password"
	annPassword   = "ann's long password"
)

// hashes of the tests' passwords, made once: each costs a password check.
var hashes = sync.OnceValue(func() map[string]string {
	return map[string]string{ownerPassword: auth.HashPassword(ownerPassword), annPassword: auth.HashPassword(annPassword)}
})

// holds records the delays sign-in attempts were held for, instead of
// sleeping them.
type holds struct {
	mu sync.Mutex
	d  []time.Duration
}

func (h *holds) hold(_ context.Context, d time.Duration) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.d = append(h.d, d)
	return nil
}

// take returns the delays recorded since the last take.
func (h *holds) take() []time.Duration {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := h.d
	h.d = nil
	return out
}

// world is the fixture with passwords for its owner and Ann, and an Access
// whose holds are recorded.
type world struct {
	s      *sqlstore.Store
	f      *sqltest.Fixture
	access *auth.Access
	holds  *holds
}

func newWorld(t *testing.T, s *sqlstore.Store) *world {
	t.Helper()
	f := sqltest.LoadFixture(t, s)
	h := hashes()
	exec(t, s, "UPDATE users SET password_hash = ? WHERE id = ?", h[ownerPassword], f.Owner.ID)
	exec(t, s, "UPDATE contacts SET password_hash = ? WHERE id = ?", h[annPassword], f.AActive.ID)
	w := &world{s: s, f: f, holds: &holds{}}
	w.access = auth.NewAccess(s, auth.Options{PublicURL: "https://portal.example/", Hold: w.holds.hold})
	return w
}

func exec(t *testing.T, s *sqlstore.Store, query string, args ...any) {
	t.Helper()
	db := s.DB()
	if _, err := db.ExecContext(t.Context(), db.Rebind(query), args...); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

func count(t *testing.T, s *sqlstore.Store, query string, args ...any) int {
	t.Helper()
	var n int
	db := s.DB()
	if err := db.GetContext(t.Context(), &n, db.Rebind(query), args...); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// authenticate authenticates a request bearing the token, as the server does.
func authenticate(s *sqlstore.Store, token string) (portal.Principal, error) {
	r := httptest.NewRequest("POST", "/graphql", nil)
	r.Header.Set("Authorization", "Bearer "+token)
	return auth.New(s).Authenticate(r)
}

func wantCode(t *testing.T, err error, code portal.Code, fields ...string) {
	t.Helper()
	if got := portal.ErrorCode(err); err == nil || got != code {
		t.Fatalf("got error %v (code %s), want %s", err, got, code)
	}
	if len(fields) == 0 {
		return
	}
	pe, _ := err.(*portal.Error)
	if pe == nil || len(pe.Fields) != len(fields) {
		t.Fatalf("error %v does not name the fields %v", err, fields)
	}
	for i, f := range pe.Fields {
		if f.Field != fields[i] {
			t.Fatalf("error %v names %s, want %s", err, f.Field, fields[i])
		}
	}
}

func noErr(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("unexpected error: %v", err)
	}
}

func TestLogIn(t *testing.T) {
	t.Parallel()
	hashes()
	sqltest.Run(t, func(t *testing.T, s *sqlstore.Store) {
		w := newWorld(t, s)
		ctx := t.Context()
		f := w.f

		// A staff member and a contact sign in; each session token
		// authenticates as them.
		for _, c := range []struct {
			email, password string
			want            portal.Principal
		}{
			{"  Owner@W1.example ", ownerPassword, sqltest.Staff(f.Owner)},
			{"ann@acme.example", annPassword, sqltest.Portal(f.AActive)},
		} {
			before := time.Now()
			session, err := w.access.LogIn(ctx, c.email, c.password, "", "192.0.2.1")
			noErr(t, err)
			if session.Audience != c.want.Audience || !strings.HasPrefix(session.Token, "pgt_") ||
				session.ExpiresAt.Before(before.Add(23*time.Hour)) || session.ExpiresAt.After(time.Now().Add(24*time.Hour)) {
				t.Errorf("session %+v", session)
			}
			p, err := authenticate(s, session.Token)
			noErr(t, err)
			if p.SessionID == "" {
				t.Error("a session principal without its session")
			}
			c.want.SessionID = p.SessionID
			if p != c.want {
				t.Errorf("signed in as %+v, want %+v", p, c.want)
			}
			if n := count(t, s, "SELECT COUNT(*) FROM tokens WHERE id = ? AND kind = 'SESSION' AND expires_at IS NOT NULL", p.SessionID); n != 1 {
				t.Errorf("%d SESSION tokens with the session's ID", n)
			}
		}
		if got := w.holds.take(); len(got) != 2 || got[0] != 0 || got[1] != 0 {
			t.Errorf("first attempts held %v", got)
		}

		// A wrong password, an unknown email, and contacts who may not use
		// the portal (suspended; their client's portal off), even with
		// the right password: all refused with the one message.
		exec(t, s, "UPDATE contacts SET password_hash = ? WHERE id IN (?, ?)", hashes()[annPassword], f.ASuspended.ID, f.CActive.ID)
		var first *portal.Error
		for _, c := range []struct{ email, password string }{
			{"owner@w1.example", "not the password"},
			{"nobody@w1.example", ownerPassword},
			{f.ASuspended.Email, annPassword},
			{f.CActive.Email, annPassword},
		} {
			_, err := w.access.LogIn(ctx, c.email, c.password, "", "")
			wantCode(t, err, portal.CodeUnauthenticated)
			pe := err.(*portal.Error)
			if first == nil {
				first = pe
			} else if pe.Message != first.Message || pe.Code != first.Code || len(pe.Fields) != 0 {
				t.Errorf("%s: %+v, unlike %+v", c.email, pe, first)
			}
		}
		if n := count(t, s, "SELECT COUNT(*) FROM tokens WHERE contact_id IN (?, ?)", f.ASuspended.ID, f.CActive.ID); n != 2 {
			t.Errorf("%d tokens of the refused contacts, want only the fixture's 2", n)
		}

		// An email with accounts in two workspaces needs the workspace's
		// slug, once the password is right.
		b := dataset.New(time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC), 31)
		annStaff := b.User(f.W2, "Ann Staff", "ann@acme.example", portal.BuiltInRoleMember)
		noErr(t, s.Load(ctx, &b.Data))
		exec(t, s, "UPDATE users SET password_hash = ? WHERE id = ?", hashes()[annPassword], annStaff.ID)
		_, err := w.access.LogIn(ctx, "ann@acme.example", annPassword, "", "")
		wantCode(t, err, portal.CodeBadUserInput, "input.workspace")
		session, err := w.access.LogIn(ctx, "ann@acme.example", annPassword, "w2", "")
		noErr(t, err)
		if p, err := authenticate(s, session.Token); err != nil || p.UserID != annStaff.ID || p.WorkspaceID != f.W2.ID {
			t.Errorf("signed in to w2 as %+v, %v", p, err)
		}
		_, err = w.access.LogIn(ctx, "ann@acme.example", annPassword, "w3", "")
		wantCode(t, err, portal.CodeUnauthenticated)

		// Signing out ends the session, once.
		p, err := authenticate(s, session.Token)
		noErr(t, err)
		ended, err := w.access.LogOut(ctx, p)
		noErr(t, err)
		if !ended {
			t.Error("signing out ended nothing")
		}
		_, err = authenticate(s, session.Token)
		wantCode(t, err, portal.CodeUnauthenticated)
		if ended, err := w.access.LogOut(ctx, p); err != nil || ended {
			t.Errorf("signing out again: %v, %v", ended, err)
		}
		if ended, err := w.access.LogOut(ctx, portal.Anonymous()); err != nil || ended {
			t.Errorf("signing out anonymously: %v, %v", ended, err)
		}

		// Sessions expire.
		token, hash := auth.NewToken()
		past := time.Now().UTC().Add(-time.Minute)
		noErr(t, s.CreateToken(ctx, &portal.AccessToken{
			Hash: hash, Kind: portal.TokenSession, WorkspaceID: f.W1.ID, ID: portal.NewID(portal.PrefixToken, past),
			UserID: &f.Owner.ID, CreatedAt: past.Add(-24 * time.Hour), ExpiresAt: &past,
		}))
		_, err = authenticate(s, token)
		wantCode(t, err, portal.CodeUnauthenticated)
	})
}

// signIn drives sign-in attempts for the throttling tests: each attempt
// names an email, a workspace's slug ("" for none) and an address, and
// checks its answer.
type signIn struct {
	t *testing.T
	w *world
	// refusals are the messages of refused attempts, which must not
	// differ.
	refusals []string
}

func (w *world) signIn(t *testing.T) *signIn { return &signIn{t: t, w: w} }

func (s *signIn) fail(email, workspace, addr string) {
	s.t.Helper()
	_, err := s.w.access.LogIn(s.t.Context(), email, "wrong password", workspace, addr)
	wantCode(s.t, err, portal.CodeUnauthenticated)
}

func (s *signIn) ok(email, password, workspace, addr string) {
	s.t.Helper()
	_, err := s.w.access.LogIn(s.t.Context(), email, password, workspace, addr)
	noErr(s.t, err)
}

// refused checks that an attempt is refused at once, without a password
// check, and so without a hold.
func (s *signIn) refused(email, password, workspace, addr string) {
	s.t.Helper()
	_, err := s.w.access.LogIn(s.t.Context(), email, password, workspace, addr)
	wantCode(s.t, err, portal.CodeRateLimited)
	s.refusals = append(s.refusals, err.Error())
	if s.refusals[0] != err.Error() {
		s.t.Errorf("refusals differ: %q and %q", err, s.refusals[0])
	}
	s.holds(nil)
}

// holds checks the holds of the attempts since the last check.
func (s *signIn) holds(want []time.Duration) {
	s.t.Helper()
	if got := s.w.holds.take(); !slices.Equal(got, want) {
		s.t.Fatalf("held %v, want %v", got, want)
	}
}

const ms = time.Millisecond

// The holds of ten failures in a row for one account from one address:
// none for the first three, then doubling up to four seconds.
var growing = []time.Duration{0, 0, 0, 250 * ms, 500 * ms, 1000 * ms, 2000 * ms, 4000 * ms, 4000 * ms, 4000 * ms}

// The holds of failures for one account from a new address each: none for
// the first five, then doubling up to two seconds, and never more.
var spread = []time.Duration{0, 0, 0, 0, 0, 250 * ms, 500 * ms, 1000 * ms, 2000 * ms, 2000 * ms, 2000 * ms, 2000 * ms}

// Failed sign-ins for an account from one address are slowed with growing
// delays, then refused from that address alone; the email's existence
// makes no difference.
func TestLogInThrottling(t *testing.T) {
	t.Parallel()
	hashes()
	sqltest.Run(t, func(t *testing.T, s *sqlstore.Store) {
		w := newWorld(t, s)
		in := w.signIn(t)

		// Known and unknown emails alike; the right password does not
		// help once refused.
		for i, email := range []string{"owner@w1.example", "nobody@w1.example"} {
			addr := fmt.Sprintf("192.0.2.%d", i+1)
			for range 10 {
				in.fail(email, "", addr)
			}
			in.holds(growing)
			in.refused(email, ownerPassword, "", addr)
			in.refused(strings.ToUpper(email), ownerPassword, "", addr)
		}
		// From that address, another account is not affected; from
		// another address, the owner signs in, held for the account's
		// failures but not refused.
		in.ok("ann@acme.example", annPassword, "", "192.0.2.1")
		in.holds([]time.Duration{0})
		in.ok("owner@w1.example", ownerPassword, "", "192.0.2.3")
		in.holds([]time.Duration{2 * time.Second})

		// An unknown address (no client address known) is one address.
		for range 10 {
			in.fail("ann@acme.example", "", "")
		}
		in.holds(growing)
		in.refused("ann@acme.example", annPassword, "", "")

		// A success forgets the failures of that account from that
		// address: the next failure there is not held.
		exec(t, s, "UPDATE users SET password_hash = ? WHERE id = ?", hashes()[ownerPassword], w.f.Manager.ID)
		for range 4 {
			in.fail("manager@w1.example", "", "192.0.2.9")
		}
		in.holds(growing[:4])
		in.ok("manager@w1.example", ownerPassword, "", "192.0.2.9")
		in.holds(growing[4:5])
		in.fail("manager@w1.example", "", "192.0.2.9")
		in.holds([]time.Duration{0})
	})
}

// The attack of the bug report: wrong passwords for a known email from
// many addresses. They slow the owner, by two seconds at most however
// long the flood, and never stop them signing in from an address of
// their own; each guessing address is refused.
func TestLogInFloodFromManyAddresses(t *testing.T) {
	t.Parallel()
	hashes()
	sqltest.Run(t, func(t *testing.T, s *sqlstore.Store) {
		w := newWorld(t, s)
		in := w.signIn(t)
		for i := range 12 {
			in.fail("owner@w1.example", "", fmt.Sprintf("198.51.100.%d", i+1))
		}
		in.holds(spread)
		in.ok("owner@w1.example", ownerPassword, "", "203.0.113.1")
		in.holds([]time.Duration{2 * time.Second})

		// A far longer flood: every failure so far, many times over.
		for range 6 {
			exec(t, s, "INSERT INTO login_failures (key, failed_at) SELECT key, failed_at FROM login_failures")
		}
		if n := count(t, s, "SELECT COUNT(*) FROM login_failures"); n < 12*64 {
			t.Fatalf("%d failures recorded", n)
		}
		in.ok("owner@w1.example", ownerPassword, "", "203.0.113.2")
		in.holds([]time.Duration{2 * time.Second})
		in.refused("owner@w1.example", ownerPassword, "", "198.51.100.1")
		// Another account is not held for the owner's.
		in.ok("ann@acme.example", annPassword, "", "203.0.113.3")
		in.holds([]time.Duration{0})
	})
}

// Failures count per workspace: those for one workspace's account of an
// email do not throttle another workspace's account of the same email,
// whether it is named or found without a slug, nor from the same address.
func TestLogInThrottlingPerWorkspace(t *testing.T) {
	t.Parallel()
	hashes()
	sqltest.Run(t, func(t *testing.T, s *sqlstore.Store) {
		w := newWorld(t, s)
		in := w.signIn(t)
		// Ann is a contact in w1 and a staff member in w2, with another
		// password there.
		b := dataset.New(time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC), 31)
		annStaff := b.User(w.f.W2, "Ann Staff", "ann@acme.example", portal.BuiltInRoleMember)
		noErr(t, s.Load(t.Context(), &b.Data))
		exec(t, s, "UPDATE users SET password_hash = ? WHERE id = ?", hashes()[ownerPassword], annStaff.ID)

		// w1's account, from one address and then from many, where
		// the account's failures so far hold each attempt.
		for range 10 {
			in.fail("ann@acme.example", "w1", "192.0.2.50")
		}
		in.holds(growing)
		in.refused("ann@acme.example", annPassword, "w1", "192.0.2.50")
		for i := range 10 {
			in.fail("ann@acme.example", "w1", fmt.Sprintf("198.51.100.%d", i+1))
		}
		in.holds(slices.Repeat([]time.Duration{2 * time.Second}, 10))

		// w2's account: not held, from anywhere, named or not.
		in.ok("ann@acme.example", ownerPassword, "w2", "203.0.113.1")
		in.ok("ann@acme.example", ownerPassword, "w2", "192.0.2.50")
		in.ok("ann@acme.example", ownerPassword, "", "203.0.113.2")
		in.holds([]time.Duration{0, 0, 0})

		// w1's account itself is slowed from elsewhere, not refused.
		in.ok("ann@acme.example", annPassword, "w1", "203.0.113.3")
		in.holds([]time.Duration{2 * time.Second})

		// Without a slug, a guess is at every workspace's account at
		// once, and counts against them together: w2's named account is
		// not held for it.
		for range 10 {
			in.fail("ann@acme.example", "", "192.0.2.60")
		}
		in.holds(growing)
		in.refused("ann@acme.example", ownerPassword, "", "192.0.2.60")
		in.ok("ann@acme.example", ownerPassword, "w2", "192.0.2.60")
		in.holds([]time.Duration{0})
	})
}

// An address guessing at many accounts (password spraying) is slowed,
// then refused for every account, the right password too; an IPv6
// address counts as its /64, from which a host picks addresses at will.
func TestPasswordSprayingIsRefused(t *testing.T) {
	t.Parallel()
	hashes()
	sqltest.Run(t, func(t *testing.T, s *sqlstore.Store) {
		w := newWorld(t, s)
		in := w.signIn(t)
		for i := range 50 {
			in.fail(fmt.Sprintf("guess%d@w1.example", i), "", fmt.Sprintf("2001:db8:1:2::%x", i+1))
		}
		want := make([]time.Duration, 20)
		for _, d := range []time.Duration{250 * ms, 500 * ms, 1000 * ms, 2000 * ms} {
			want = append(want, d)
		}
		for len(want) < 50 {
			want = append(want, 4*time.Second)
		}
		in.holds(want)
		in.refused("ann@acme.example", annPassword, "", "2001:db8:1:2:ffff::1")
		in.refused("owner@w1.example", ownerPassword, "w1", "2001:db8:1:2::1")
		// The next /64, and IPv4, are other addresses.
		in.ok("ann@acme.example", annPassword, "", "2001:db8:1:3::1")
		in.ok("ann@acme.example", annPassword, "", "192.0.2.1")
		in.holds([]time.Duration{0, 0})
	})
}

func TestInviteAndAccept(t *testing.T) {
	t.Parallel()
	hashes()
	sqltest.Run(t, func(t *testing.T, s *sqlstore.Store) {
		w := newWorld(t, s)
		ctx := t.Context()
		f := w.f
		owner := sqltest.Staff(f.Owner)
		nora, err := s.CreateContact(ctx, owner, portal.CreateContactInput{ClientID: f.A.ID, Name: "Nora New", Email: "nora@acme.example"})
		noErr(t, err)

		// The link carries the token; the mail carries the link.
		before := time.Now()
		c, link, expires, err := w.access.Invite(ctx, owner, nora.ID)
		noErr(t, err)
		if c.PortalStatus != portal.PortalStatusInvited || expires.Before(before.Add(7*24*time.Hour-time.Minute)) {
			t.Errorf("invited %s until %v", c.PortalStatus, expires)
		}
		u, err := url.Parse(link)
		noErr(t, err)
		token := u.Query().Get("token")
		if u.Scheme != "https" || u.Host != "portal.example" || u.Path != "/portal/accept-invite" || len(token) < 40 {
			t.Errorf("invitation link %q", link)
		}
		var body string
		noErr(t, s.DB().GetContext(ctx, &body, s.DB().Rebind("SELECT body FROM outbox WHERE recipient = ? AND kind = 'PORTAL_INVITATION'"), nora.Email))
		if !strings.Contains(body, link) || !strings.Contains(body, "Nora New") {
			t.Errorf("invitation mail %q does not carry the link %q", body, link)
		}
		if n := count(t, s, "SELECT COUNT(*) FROM invites WHERE token_hash = ?", auth.HashToken(token)); n != 1 {
			t.Errorf("%d invitations stored under the token's hash", n)
		}

		// A short password is refused before anything else.
		_, err = w.access.AcceptInvite(ctx, token, "short", "192.0.2.1")
		wantCode(t, err, portal.CodeBadUserInput, "input.password")
		if n := count(t, s, "SELECT COUNT(*) FROM invites WHERE accepted_at IS NOT NULL"); n != 0 {
			t.Error("a refused password accepted the invitation")
		}

		// Accepting signs the contact in, with the password set.
		const password = "nora's new password"
		session, err := w.access.AcceptInvite(ctx, " "+token+" ", password, "192.0.2.1")
		noErr(t, err)
		if session.Audience != portal.AudiencePortal {
			t.Errorf("session %+v", session)
		}
		p, err := authenticate(s, session.Token)
		noErr(t, err)
		if p.ContactID != nora.ID || p.ClientID != f.A.ID || p.Preview {
			t.Errorf("signed in as %+v", p)
		}
		_, err = w.access.AcceptInvite(ctx, token, password, "192.0.2.1")
		wantCode(t, err, portal.CodeUnauthenticated)
		if _, err := w.access.LogIn(ctx, "nora@acme.example", password, "", ""); err != nil {
			t.Errorf("signing in with the chosen password: %v", err)
		}

		// A preview token authenticates as a read-only portal principal.
		token, expires, c, err = w.access.Preview(ctx, owner, f.AInvited.ID)
		noErr(t, err)
		if c.ID != f.AInvited.ID || expires.After(time.Now().Add(30*time.Minute)) || expires.Before(time.Now().Add(29*time.Minute)) {
			t.Errorf("preview of %s until %v", c.ID, expires)
		}
		p, err = authenticate(s, token)
		noErr(t, err)
		if !p.Preview || p.PreviewBy != f.Owner.ID || p.ContactID != f.AInvited.ID || p.Audience != portal.AudiencePortal {
			t.Errorf("preview principal %+v", p)
		}
		wantCode(t, p.Writable(), portal.CodeForbidden)
		_, _, _, err = w.access.Preview(ctx, sqltest.Staff(f.Manager), f.AActive.ID)
		wantCode(t, err, portal.CodeForbidden)
	})
}

// Guessing invitation tokens is throttled by address like signing in, and
// a wrong token never costs a password hash: the held delays show each
// attempt was looked at before anything else was done.
func TestInviteGuessingIsThrottled(t *testing.T) {
	t.Parallel()
	sqltest.Run(t, func(t *testing.T, s *sqlstore.Store) {
		w := newWorld(t, s)
		ctx := t.Context()
		for i := range 10 {
			_, err := w.access.AcceptInvite(ctx, "guess-"+strings.Repeat("x", i), "a long enough password", "192.0.2.7")
			wantCode(t, err, portal.CodeUnauthenticated)
		}
		_, err := w.access.AcceptInvite(ctx, "one-more-guess", "a long enough password", "192.0.2.7")
		wantCode(t, err, portal.CodeRateLimited)
		if n := count(t, s, "SELECT COUNT(*) FROM login_failures WHERE key = ?", "invite-addr:192.0.2.7"); n != 10 {
			t.Errorf("%d failures recorded for the address, want 10", n)
		}
		// Another address is not held back, and a real invitation still works there.
		_, link, _, err := w.access.Invite(ctx, sqltest.Staff(w.f.Owner), w.f.AInvited.ID)
		noErr(t, err)
		u, err := url.Parse(link)
		noErr(t, err)
		session, err := w.access.AcceptInvite(ctx, u.Query().Get("token"), "a long enough password", "192.0.2.8")
		noErr(t, err)
		if p, err := authenticate(s, session.Token); err != nil || p.ContactID != w.f.AInvited.ID {
			t.Errorf("the accepted invitation signs in as %+v, %v", p, err)
		}
	})
}

// A new workspace's owner is invited as a contact is, by a link to the
// frontend carrying a token; accepting it signs them in as staff, and the
// password they chose signs them in from then on.
func TestCreateWorkspaceInvitesItsOwner(t *testing.T) {
	t.Parallel()
	sqltest.Run(t, func(t *testing.T, s *sqlstore.Store) {
		w := newWorld(t, s)
		ctx := t.Context()
		before := time.Now()
		created, err := w.access.CreateWorkspace(ctx, portal.NewWorkspace{Name: "Fresh Studio", Slug: "fresh", OwnerEmail: "fay@fresh.example", OwnerName: "Fay Fresh"})
		noErr(t, err)
		if created.Workspace.Slug != "fresh" || created.Owner.Name != "Fay Fresh" || created.Owner.RoleID != portal.BuiltInRoleID(portal.BuiltInRoleOwner) ||
			created.ExpiresAt.Before(before.Add(7*24*time.Hour-time.Minute)) || created.ExpiresAt.After(time.Now().Add(7*24*time.Hour)) {
			t.Errorf("created %+v", created)
		}
		u, err := url.Parse(created.InviteLink)
		noErr(t, err)
		token := u.Query().Get("token")
		if u.Scheme != "https" || u.Host != "portal.example" || u.Path != "/accept-invite" || len(token) < 40 {
			t.Errorf("invitation link %q", created.InviteLink)
		}
		if n := count(t, s, "SELECT COUNT(*) FROM outbox WHERE recipient = ?", "fay@fresh.example"); n != 0 {
			t.Errorf("%d mails to the owner; the link is handed over by whoever made the workspace", n)
		}
		// No password yet: signing in fails as for an unknown email.
		_, err = w.access.LogIn(ctx, "fay@fresh.example", "fay's long password", "", "192.0.2.1")
		wantCode(t, err, portal.CodeUnauthenticated)

		session, err := w.access.AcceptInvite(ctx, token, "fay's long password", "192.0.2.1")
		noErr(t, err)
		if session.Audience != portal.AudienceStaff || session.ExpiresAt.Before(time.Now().Add(23*time.Hour)) {
			t.Errorf("session %+v", session)
		}
		p, err := authenticate(s, session.Token)
		noErr(t, err)
		if p.Audience != portal.AudienceStaff || p.UserID != created.Owner.ID || p.WorkspaceID != created.Workspace.ID || p.BuiltIn != portal.BuiltInRoleOwner {
			t.Errorf("signed in as %+v", p)
		}
		_, err = w.access.AcceptInvite(ctx, token, "another long password", "192.0.2.1")
		wantCode(t, err, portal.CodeUnauthenticated)
		session, err = w.access.LogIn(ctx, "fay@fresh.example", "fay's long password", "fresh", "192.0.2.1")
		noErr(t, err)
		if session.Audience != portal.AudienceStaff {
			t.Errorf("signed in with the chosen password: %+v", session)
		}

		// A slug taken is a conflict.
		_, err = w.access.CreateWorkspace(ctx, portal.NewWorkspace{Name: "Fresh again", Slug: "fresh", OwnerEmail: "x@fresh.example"})
		wantCode(t, err, portal.CodeConflict)
	})
}
