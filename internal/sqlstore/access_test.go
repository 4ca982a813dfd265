package sqlstore_test

import (
	"reflect"
	"testing"
	"time"

	"portalgraph/internal/auth"
	"portalgraph/internal/dataset"
	"portalgraph/internal/portal"
	"portalgraph/internal/sqlstore"
	"portalgraph/internal/sqlstore/sqltest"
)

// holderOf looks a fixture token up as authentication does.
func holderOf(t *testing.T, s *sqlstore.Store, token string) (portal.TokenHolder, bool) {
	t.Helper()
	h, ok, err := s.TokenHolder(t.Context(), auth.HashToken(token))
	noErr(t, err)
	return h, ok
}

// tokenID is the ID of the fixture's token of a principal.
func tokenID(t *testing.T, f *sqltest.Fixture, name string) string {
	t.Helper()
	hash := auth.HashToken(f.Tokens[name])
	for _, tok := range f.Data.Tokens {
		if tok.Hash == hash {
			return tok.ID
		}
	}
	t.Fatalf("the fixture has no token %q", name)
	return ""
}

func TestTokenHolders(t *testing.T) {
	t.Parallel()
	sqltest.Run(t, func(t *testing.T, s *sqlstore.Store) {
		f := sqltest.LoadFixture(t, s)
		// The fixture's tokens are operators' API tokens.
		staff := func(u *portal.User) portal.TokenHolder {
			r, _ := portal.BuiltInRoleOf(u.RoleID)
			return portal.TokenHolder{Kind: portal.TokenAPI, WorkspaceID: u.WorkspaceID, UserID: &u.ID, RoleID: &u.RoleID, BuiltIn: &r, Perms: portal.BuiltInPermissions(r)}
		}
		contact := func(c *portal.Contact, portalOn bool) portal.TokenHolder {
			return portal.TokenHolder{Kind: portal.TokenAPI, WorkspaceID: c.WorkspaceID, ContactID: &c.ID, ClientID: &c.ClientID, PortalStatus: &c.PortalStatus, PortalEnabled: &portalOn}
		}
		cases := []struct {
			token  string
			holder portal.TokenHolder
			as     *portal.Principal // nil: refused
		}{
			{"owner", staff(f.Owner), ptr(sqltest.Staff(f.Owner))},
			{"manager", staff(f.Manager), ptr(sqltest.Staff(f.Manager))},
			{"member", staff(f.Member), ptr(sqltest.Staff(f.Member))},
			{"viewer", staff(f.Viewer), ptr(sqltest.Staff(f.Viewer))},
			{"owner2", staff(f.Owner2), ptr(sqltest.Staff(f.Owner2))},
			{"aActive", contact(f.AActive, true), ptr(sqltest.Portal(f.AActive))},
			{"bActive", contact(f.BActive, true), ptr(sqltest.Portal(f.BActive))},
			{"xActive", contact(f.XActive, true), ptr(sqltest.Portal(f.XActive))},
			{"aSuspended", contact(f.ASuspended, true), nil}, // access suspended
			{"cActive", contact(f.CActive, false), nil},      // C's portal is off
		}
		for _, c := range cases {
			t.Run(c.token, func(t *testing.T) {
				h, ok := holderOf(t, s, f.Tokens[c.token])
				c.holder.TokenID = tokenID(t, f, c.token)
				if !ok || !reflect.DeepEqual(h, c.holder) {
					t.Fatalf("holder %+v (ok %v), want %+v", h, ok, c.holder)
				}
				// Found by its session's ID, the token has the same holder,
				// and only in its own workspace.
				bySession, ok, err := s.SessionHolder(t.Context(), c.holder.WorkspaceID, c.holder.TokenID)
				noErr(t, err)
				if !ok || !reflect.DeepEqual(bySession, c.holder) {
					t.Errorf("session holder %+v (ok %v), want %+v", bySession, ok, c.holder)
				}
				other := f.W2.ID
				if c.holder.WorkspaceID == other {
					other = f.W1.ID
				}
				if _, ok, err := s.SessionHolder(t.Context(), other, c.holder.TokenID); err != nil || ok {
					t.Errorf("found in another workspace: %v, %v", ok, err)
				}
				p, err := h.Principal()
				if c.as == nil {
					wantCode(t, err, portal.CodeUnauthenticated)
					return
				}
				noErr(t, err)
				// The principal knows its token, to sign out with.
				c.as.SessionID = c.holder.TokenID
				if p != *c.as {
					t.Errorf("principal %+v, want %+v", p, *c.as)
				}
			})
		}
		t.Run("unknown", func(t *testing.T) {
			if h, ok := holderOf(t, s, "pgt_unknown"); ok {
				t.Errorf("an unknown token is held by %+v", h)
			}
		})
	})
}

// Expiry is compared as an instant, whatever zone the expiry was given in.
func TestExpiredAndRevokedTokens(t *testing.T) {
	t.Parallel()
	sqltest.Run(t, func(t *testing.T, s *sqlstore.Store) {
		f := sqltest.LoadFixture(t, s)
		now := time.Now().UTC().Truncate(time.Microsecond)
		east, west := time.FixedZone("east", 5*3600), time.FixedZone("west", -7*3600)
		cases := []struct {
			name    string
			expires *time.Time
			valid   bool
		}{
			{"no expiry", nil, true},
			{"expires in an hour", ptr(now.Add(time.Hour)), true},
			{"expired a minute ago", ptr(now.Add(-time.Minute)), false},
			{"expired a minute ago, east of UTC", ptr(now.Add(-time.Minute).In(east)), false},
			{"expires in an hour, west of UTC", ptr(now.Add(time.Hour).In(west)), true},
			{"expired a day ago, west of UTC", ptr(now.Add(-24 * time.Hour).In(west)), false},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				token, hash := auth.NewToken()
				id := portal.NewID(portal.PrefixToken, now)
				noErr(t, s.CreateToken(t.Context(), &portal.AccessToken{
					Hash: hash, Kind: portal.TokenSession, WorkspaceID: f.W1.ID, ID: id,
					ContactID: &f.AActive.ID, CreatedAt: now.Add(-48 * time.Hour), ExpiresAt: c.expires,
				}))
				if _, ok := holderOf(t, s, token); ok != c.valid {
					t.Errorf("token valid: %v, want %v", ok, c.valid)
				}
				if _, ok, err := s.SessionHolder(t.Context(), f.W1.ID, id); err != nil || ok != c.valid {
					t.Errorf("session valid: %v (%v), want %v", ok, err, c.valid)
				}
			})
		}
		t.Run("revoked", func(t *testing.T) {
			token := f.Tokens["manager"]
			if _, ok := holderOf(t, s, token); !ok {
				t.Fatal("manager's token invalid before revocation")
			}
			exec(t, s, "UPDATE tokens SET revoked_at = ? WHERE token_hash = ?", now, auth.HashToken(token))
			if h, ok := holderOf(t, s, token); ok {
				t.Errorf("revoked token still held by %+v", h)
			}
			if h, ok, err := s.SessionHolder(t.Context(), f.W1.ID, tokenID(t, f, "manager")); err != nil || ok {
				t.Errorf("revoked session still held by %+v (%v)", h, err)
			}
			// Other tokens are unaffected.
			if _, ok := holderOf(t, s, f.Tokens["owner"]); !ok {
				t.Error("owner's token invalid after revoking the manager's")
			}
		})
	})
}

// A contact's access is checked at every request: suspending them, closing
// their client's portal or archiving the client refuses their very next one.
func TestPortalAccessEndsAtOnce(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		change   func(t *testing.T, s *sqlstore.Store, f *sqltest.Fixture)
		archived bool
	}{
		{"contact suspended", func(t *testing.T, s *sqlstore.Store, f *sqltest.Fixture) {
			exec(t, s, "UPDATE contacts SET portal_status = 'SUSPENDED' WHERE id = ?", f.AActive.ID)
		}, false},
		{"portal disabled", func(t *testing.T, s *sqlstore.Store, f *sqltest.Fixture) {
			exec(t, s, "UPDATE clients SET portal_enabled = FALSE WHERE id = ?", f.A.ID)
		}, false},
		{"client archived", func(t *testing.T, s *sqlstore.Store, f *sqltest.Fixture) {
			_, err := s.ArchiveClient(t.Context(), sqltest.Staff(f.Owner), f.A.ID)
			noErr(t, err)
		}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			sqltest.Run(t, func(t *testing.T, s *sqlstore.Store) {
				f := sqltest.LoadFixture(t, s)
				h, ok := holderOf(t, s, f.Tokens["aActive"])
				if _, err := h.Principal(); !ok || err != nil {
					t.Fatalf("before: ok %v, %v", ok, err)
				}
				c.change(t, s, f)
				h, ok = holderOf(t, s, f.Tokens["aActive"])
				if !ok || h.ClientArchived != c.archived {
					t.Fatalf("after: holder %+v ok %v, want archived %v", h, ok, c.archived)
				}
				_, err := h.Principal()
				wantCode(t, err, portal.CodeUnauthenticated)
				// Staff of the workspace are not affected.
				h, _ = holderOf(t, s, f.Tokens["owner"])
				if _, err := h.Principal(); err != nil {
					t.Errorf("owner refused: %v", err)
				}
			})
		})
	}
}

func TestAccountsByEmail(t *testing.T) {
	t.Parallel()
	sqltest.Run(t, func(t *testing.T, s *sqlstore.Store) {
		f := sqltest.LoadFixture(t, s)
		// Ann's email is also a staff member's in W2.
		b := dataset.New(time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC), 31)
		annStaff := b.User(f.W2, "Ann Staff", "ann@acme.example", portal.BuiltInRoleMember)
		noErr(t, s.Load(t.Context(), &b.Data))

		cases := []struct {
			email string
			want  []portal.Account
		}{
			{"owner@w1.example", []portal.Account{{WorkspaceID: f.W1.ID, WorkspaceSlug: "w1", UserID: &f.Owner.ID, Name: "Olivia Owner"}}},
			{"  Owner@W1.Example ", []portal.Account{{WorkspaceID: f.W1.ID, WorkspaceSlug: "w1", UserID: &f.Owner.ID, Name: "Olivia Owner"}}},
			{"XIA@xeno.example", []portal.Account{{WorkspaceID: f.W2.ID, WorkspaceSlug: "w2", ContactID: &f.XActive.ID, Name: "Xia Xeno"}}},
			{"Ann@Acme.Example", []portal.Account{
				{WorkspaceID: f.W1.ID, WorkspaceSlug: "w1", ContactID: &f.AActive.ID, Name: "Ann Active"},
				{WorkspaceID: f.W2.ID, WorkspaceSlug: "w2", UserID: &annStaff.ID, Name: "Ann Staff"},
			}},
			{"nobody@w1.example", nil},
		}
		for _, c := range cases {
			got, err := s.AccountsByEmail(t.Context(), c.email)
			noErr(t, err)
			if len(got) != len(c.want) || (len(got) > 0 && !reflect.DeepEqual(got, c.want)) {
				t.Errorf("%q: accounts %+v, want %+v", c.email, got, c.want)
			}
		}
	})
}

func TestEmptyAndWorkspaceBySlug(t *testing.T) {
	t.Parallel()
	sqltest.Run(t, func(t *testing.T, s *sqlstore.Store) {
		ctx := t.Context()
		empty, err := s.Empty(ctx)
		noErr(t, err)
		if !empty {
			t.Error("a new database is not empty")
		}
		w, err := s.WorkspaceBySlug(ctx, "w1")
		if err != nil || w != nil {
			t.Errorf("workspace w1 of an empty database: %+v, %v", w, err)
		}

		f := sqltest.LoadFixture(t, s)
		empty, err = s.Empty(ctx)
		noErr(t, err)
		if empty {
			t.Error("the database is empty after loading the fixture")
		}
		for _, want := range []*portal.Workspace{f.W1, f.W2} {
			got, err := s.WorkspaceBySlug(ctx, want.Slug)
			noErr(t, err)
			if got == nil || got.ID != want.ID || got.Name != want.Name || got.Slug != want.Slug || !got.CreatedAt.Equal(want.CreatedAt) {
				t.Errorf("workspace %q: %+v, want %+v", want.Slug, got, want)
			}
		}
		for _, slug := range []string{"w3", "W1", ""} {
			if got, err := s.WorkspaceBySlug(ctx, slug); err != nil || got != nil {
				t.Errorf("workspace %q: %+v, %v; want none", slug, got, err)
			}
		}
	})
}
