package sqlstore_test

import (
	"testing"
	"time"

	"portalgraph/internal/auth"
	"portalgraph/internal/portal"
	"portalgraph/internal/sqlstore"
	"portalgraph/internal/sqlstore/sqltest"
)

// Every workspace has the five built-in roles, with the permissions of the
// server's matrix: the fixture's workspaces (loaded), a workspace created
// by an operator, and rows a migration left behind, which the next
// migration rewrites.
func TestBuiltInRolesEqualTheMatrix(t *testing.T) {
	t.Parallel()
	sqltest.Run(t, func(t *testing.T, s *sqlstore.Store) {
		ctx := t.Context()
		f := sqltest.LoadFixture(t, s)
		ws, owner, err := s.CreateWorkspace(ctx, portal.NewWorkspace{Name: "Fresh", Slug: "fresh", OwnerEmail: "fay@fresh.example", OwnerName: "Fay"},
			portal.Invitation{TokenHash: auth.HashToken("fresh"), ExpiresAt: time.Now().Add(time.Hour)})
		noErr(t, err)
		check := func(when string) {
			t.Helper()
			for _, p := range []portal.Principal{sqltest.Staff(f.Owner), sqltest.Staff(f.Owner2), portal.BuiltInStaffMember(owner)} {
				roles, err := s.Roles(ctx, p)
				noErr(t, err)
				if len(roles) != len(portal.AllBuiltInRole) {
					t.Fatalf("%s: %d roles in %s, want the %d built-in ones", when, len(roles), p.WorkspaceID, len(portal.AllBuiltInRole))
				}
				for i, r := range roles {
					want := portal.AllBuiltInRole[i]
					if r.BuiltIn == nil || *r.BuiltIn != want || r.ID != portal.BuiltInRoleID(want) || r.Name != portal.BuiltInRoleName(want) {
						t.Errorf("%s: role %d of %s is %+v, want the built-in %s", when, i, p.WorkspaceID, r, want)
						continue
					}
					if r.Perms != portal.BuiltInPermissions(want) {
						t.Errorf("%s: %s of %s holds %v, want %v", when, want, p.WorkspaceID, r.Permissions(), portal.BuiltInPermissions(want).List())
					}
				}
			}
		}
		check("seeded")
		if owner.RoleID != portal.BuiltInRoleID(portal.BuiltInRoleOwner) || ws.ID != owner.WorkspaceID {
			t.Fatalf("the new workspace's owner holds %s", owner.RoleID)
		}

		// Rows as an older server left them, a name it no longer knows
		// among them.
		exec(t, s, `UPDATE roles SET permissions = 'CLIENTS_VIEW,NO_SUCH_PERMISSION' WHERE built_in IS NOT NULL`)
		roles, err := s.RolesByID(ctx, sqltest.Staff(f.Owner), []string{portal.BuiltInRoleID(portal.BuiltInRoleViewer)})
		noErr(t, err)
		if got := roles[0].Permissions(); len(got) != 1 || got[0] != portal.PermissionClientsView {
			t.Fatalf("an unknown permission read back as %v", got)
		}
		_, err = s.Migrate(ctx)
		noErr(t, err)
		check("after migrating again")
	})
}
