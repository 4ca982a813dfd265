package graph_test

import (
	"maps"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"portalgraph/internal/portal"
)

// Roles and staff management over HTTP: a workspace's own roles, read
// with the token at every request of every server, and the staff's
// invitations, role changes, deactivations and the transfer of ownership.

const createRoleDoc = `mutation($in: CreateRoleInput!) { createRole(input: $in) { role { id name builtIn permissions memberCount } } }`
const updateRoleDoc = `mutation($in: UpdateRoleInput!) { updateRole(input: $in) { role { id name permissions } } }`
const changeRoleDoc = `mutation($in: ChangeStaffRoleInput!) { changeStaffRole(input: $in) { user { id role { id name } } } }`

type roleOut struct {
	ID          string   `json:"id"`
	Name        string   `json:"name"`
	BuiltIn     *string  `json:"builtIn"`
	Permissions []string `json:"permissions"`
	MemberCount int      `json:"memberCount"`
}

// createRole creates a role as the owner and returns its ID.
func (e *env) createRole(t *testing.T, name string, perms ...portal.Permission) string {
	t.Helper()
	var out struct {
		CreateRole struct {
			Role roleOut `json:"role"`
		} `json:"createRole"`
	}
	e.as(t, "owner", createRoleDoc, vars{"in": vars{"name": name, "permissions": perms}}).decode(t, &out)
	return out.CreateRole.Role.ID
}

func (e *env) activityActions(t *testing.T, recordID string) []string {
	t.Helper()
	var got []string
	rows, err := e.store.DB().QueryContext(t.Context(), e.store.DB().Rebind(`SELECT action FROM activity_events WHERE record_id = ? ORDER BY id`), recordID)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var a string
		if err := rows.Scan(&a); err != nil {
			t.Fatal(err)
		}
		got = append(got, a)
	}
	return got
}

// A custom role reads only the kinds of records it may view: empty lists,
// NOT_FOUND by ID, zero counts; a change of its permissions counts from
// the next request, on every server.
func TestCustomRolesScopeReadsFromTheNextRequest(t *testing.T) {
	t.Parallel()
	run(t, func(t *testing.T, e *env) {
		f := e.f
		second := e.secondServer(t)
		reader := e.createRole(t, "Client reader", portal.PermissionClientsView)
		e.as(t, "owner", changeRoleDoc, vars{"in": vars{"userId": f.Member.ID, "roleId": reader}}).decode(t, &struct{}{})

		const q = `query($id: ID!) {
			clients(first: 10) { totalCount }
			projects(first: 10) { totalCount edges { node { id } } }
			deliverables(first: 10) { totalCount }
			client(id: "` + "CLIENT" + `") { name projects(first: 10) { totalCount } }
			node(id: $id) { id }
			viewer { permissions user { role { name builtIn permissions } } }
		}`
		query := strings.Replace(q, "CLIENT", f.A.ID, 1)
		type counts struct {
			Clients  struct{ TotalCount int } `json:"clients"`
			Projects struct {
				TotalCount int `json:"totalCount"`
			} `json:"projects"`
			Deliverables struct{ TotalCount int } `json:"deliverables"`
			Client       *struct {
				Name     string                   `json:"name"`
				Projects struct{ TotalCount int } `json:"projects"`
			} `json:"client"`
			Viewer struct {
				Permissions []string `json:"permissions"`
				User        struct {
					Role roleOut `json:"role"`
				} `json:"user"`
			} `json:"viewer"`
		}
		for _, url := range []string{e.srv.URL, second} {
			r := e.sendVia(t, http.DefaultClient, newPost(t, url, f.Tokens["member"], query, vars{"id": f.AShared.ID}))
			equal(t, "the project by ID", r.onlyErrorAt(t, "node", "NOT_FOUND").Extensions.Code, "NOT_FOUND")
			var got counts
			r.decodeData(t, &got)
			equal(t, "clients", got.Clients.TotalCount, 3)
			equal(t, "projects", got.Projects.TotalCount, 0)
			equal(t, "deliverables", got.Deliverables.TotalCount, 0)
			equal(t, "client's projects", got.Client.Projects.TotalCount, 0)
			equal(t, "permissions", got.Viewer.Permissions, []string{"CLIENTS_VIEW"})
			equal(t, "role", got.Viewer.User.Role.Name, "Client reader")
			equal(t, "custom role's builtIn", got.Viewer.User.Role.BuiltIn, (*string)(nil))
		}

		// Viewing projects too, from the next request of either server.
		e.as(t, "owner", updateRoleDoc, vars{"in": vars{"id": reader, "permissions": []string{"CLIENTS_VIEW", "PROJECTS_VIEW"}}}).decode(t, &struct{}{})
		for _, url := range []string{second, e.srv.URL} {
			var got counts
			e.sendVia(t, http.DefaultClient, newPost(t, url, f.Tokens["member"], query, vars{"id": f.AShared.ID})).decode(t, &got)
			equal(t, "projects", got.Projects.TotalCount, 3)
			equal(t, "client's projects", got.Client.Projects.TotalCount, 2)
			equal(t, "deliverables", got.Deliverables.TotalCount, 0)
		}

		// The role lists with its members.
		var roles struct {
			Roles []roleOut `json:"roles"`
		}
		e.as(t, "viewer", `{ roles { id name builtIn permissions memberCount } }`, nil).decode(t, &roles)
		var names []string
		for _, r := range roles.Roles {
			names = append(names, r.Name)
		}
		equal(t, "roles", names, []string{"Owner", "Admin", "Manager", "Member", "Viewer", "Client reader"})
		equal(t, "owners", roles.Roles[0].MemberCount, 1)
		equal(t, "members of the built-in MEMBER", roles.Roles[3].MemberCount, 0)
		equal(t, "members of the custom role", roles.Roles[5].MemberCount, 1)
		equal(t, "activity of the role", e.activityActions(t, reader), []string{"ROLE_CREATED", "ROLE_UPDATED"})
		equal(t, "activity of the member", e.activityActions(t, f.Member.ID), []string{"STAFF_ROLE_CHANGED"})
	})
}

// What a role may hold and which roles may change: bad input names its
// field and changes nothing.
func TestRolesRefuseWhatTheyMayNotBe(t *testing.T) {
	t.Parallel()
	run(t, func(t *testing.T, e *env) {
		f := e.f
		before := e.tableState(t)
		for _, perm := range []string{"APPROVALS_DECIDE", "REQUESTS_CREATE", "OWNERSHIP_TRANSFER"} {
			r := e.as(t, "owner", createRoleDoc, vars{"in": vars{"name": "Bad", "permissions": []string{"CLIENTS_VIEW", perm}}})
			got := r.onlyErrorAt(t, "createRole", "BAD_USER_INPUT").fields()
			if len(got) != 1 || !strings.HasPrefix(got[0], "input.permissions: ") {
				t.Errorf("a role with %s: fields %v", perm, got)
			}
		}
		r := e.as(t, "owner", createRoleDoc, vars{"in": vars{"name": " ", "permissions": []string{}}})
		equal(t, "blank name", r.onlyErrorAt(t, "createRole", "BAD_USER_INPUT").fields(), []string{"input.name: must not be blank"})
		r = e.as(t, "owner", createRoleDoc, vars{"in": vars{"name": "Member", "permissions": []string{}}})
		r.onlyErrorAt(t, "createRole", "CONFLICT")
		for _, doc := range []struct{ field, doc string }{
			{"updateRole", updateRoleDoc},
			{"deleteRole", `mutation($in: DeleteRoleInput!) { deleteRole(input: $in) { deletedRoleId } }`},
		} {
			r := e.as(t, "owner", doc.doc, vars{"in": vars{"id": portal.BuiltInRoleID(portal.BuiltInRoleViewer)}})
			equal(t, doc.field+" of a built-in role", r.onlyErrorAt(t, doc.field, "BAD_USER_INPUT").fields(),
				[]string{"input.id: Viewer is a built-in role: built-in roles cannot be changed or deleted"})
		}
		equal(t, "rows after the refusals", e.tableState(t), before)

		// A held role is not deleted; a role nobody holds is.
		id := e.createRole(t, "Temporary", portal.PermissionClientsView)
		e.as(t, "admin", changeRoleDoc, vars{"in": vars{"userId": f.Viewer.ID, "roleId": id}}).decode(t, &struct{}{})
		del := `mutation($in: DeleteRoleInput!) { deleteRole(input: $in) { deletedRoleId } }`
		e.as(t, "owner", del, vars{"in": vars{"id": id}}).onlyErrorAt(t, "deleteRole", "CONFLICT")
		e.as(t, "admin", changeRoleDoc, vars{"in": vars{"userId": f.Viewer.ID, "roleId": portal.BuiltInRoleID(portal.BuiltInRoleViewer)}}).decode(t, &struct{}{})
		var deleted struct {
			DeleteRole struct {
				DeletedRoleID string `json:"deletedRoleId"`
			} `json:"deleteRole"`
		}
		e.as(t, "admin", del, vars{"in": vars{"id": id}}).decode(t, &deleted)
		equal(t, "deleted", deleted.DeleteRole.DeletedRoleID, id)
		e.as(t, "owner", `query($id: ID!) { node(id: $id) { id } }`, vars{"id": id}).onlyErrorAt(t, "node", "NOT_FOUND")
		equal(t, "activity of the role", e.activityActions(t, id), []string{"ROLE_CREATED", "ROLE_DELETED"})
	})
}

// Staff are invited by a single-use link, change roles, are deactivated
// (their tokens fail from the next request, on every server, and they
// cannot sign in) and reactivated; the owner transfers ownership, and a
// workspace keeps exactly one owner whatever is asked.
func TestStaffManagement(t *testing.T) {
	t.Parallel()
	run(t, func(t *testing.T, e *env) {
		f := e.f
		second := e.secondServer(t)
		invite := `mutation($in: InviteStaffInput!) { inviteStaff(input: $in) { user { id email role { builtIn } deactivatedAt } inviteLink expiresAt } }`
		var invited struct {
			InviteStaff struct {
				User struct {
					ID   string `json:"id"`
					Role struct {
						BuiltIn string `json:"builtIn"`
					} `json:"role"`
				} `json:"user"`
				InviteLink string `json:"inviteLink"`
			} `json:"inviteStaff"`
		}
		memberRole := portal.BuiltInRoleID(portal.BuiltInRoleMember)
		e.as(t, "admin", invite, vars{"in": vars{"name": "Nina New", "email": "Nina@W1.example", "roleId": memberRole}}).decode(t, &invited)
		equal(t, "invited role", invited.InviteStaff.User.Role.BuiltIn, "MEMBER")
		link, err := url.Parse(invited.InviteStaff.InviteLink)
		if err != nil {
			t.Fatal(err)
		}
		s := e.accept(t, link.Query().Get("token"), aPassword).session(t, "acceptInvite", 24*time.Hour)
		equal(t, "accepted as", e.staffUser(t, s.Token), idName{invited.InviteStaff.User.ID, "Nina New"})

		before := e.tableState(t)
		refusals := []struct {
			what, who, doc string
			in             vars
			code           string
			fields         []string
		}{
			{"the same email", "owner", invite, vars{"name": "Nina", "email": "nina@w1.example", "roleId": memberRole}, "CONFLICT", nil},
			{"into OWNER", "owner", invite, vars{"name": "Otto", "email": "otto@w1.example", "roleId": portal.BuiltInRoleID(portal.BuiltInRoleOwner)}, "BAD_USER_INPUT",
				[]string{"input.roleId: nobody is invited as the owner: invite them into another role, then transfer ownership"}},
			{"into an unknown role", "owner", invite, vars{"name": "Otto", "email": "otto@w1.example", "roleId": "rol_01JH0000000000000000000000"}, "BAD_USER_INPUT",
				[]string{`input.roleId: no role with id "rol_01JH0000000000000000000000"`}},
			{"one's own role", "admin", changeRoleDoc, vars{"userId": f.Admin.ID, "roleId": memberRole}, "BAD_USER_INPUT",
				[]string{"input.userId: you cannot change your own role or deactivate yourself"}},
			{"the owner's role", "admin", changeRoleDoc, vars{"userId": f.Owner.ID, "roleId": memberRole}, "BAD_USER_INPUT",
				[]string{"input.userId: Olivia Owner is the owner: transfer ownership to change that"}},
			{"to OWNER", "owner", changeRoleDoc, vars{"userId": f.Member.ID, "roleId": portal.BuiltInRoleID(portal.BuiltInRoleOwner)}, "BAD_USER_INPUT",
				[]string{"input.roleId: ownership is transferred (transferOwnership), not given as a role"}},
			{"another workspace's member", "owner", changeRoleDoc, vars{"userId": f.Owner2.ID, "roleId": memberRole}, "NOT_FOUND", nil},
			{"deactivating the owner", "admin", `mutation($in: DeactivateStaffInput!) { deactivateStaff(input: $in) { user { id } } }`, vars{"userId": f.Owner.ID}, "BAD_USER_INPUT",
				[]string{"input.userId: Olivia Owner is the owner: transfer ownership before deactivating them"}},
			{"deactivating oneself", "owner", `mutation($in: DeactivateStaffInput!) { deactivateStaff(input: $in) { user { id } } }`, vars{"userId": f.Owner.ID}, "BAD_USER_INPUT",
				[]string{"input.userId: you cannot change your own role or deactivate yourself"}},
			{"reactivating an active member", "owner", `mutation($in: ReactivateStaffInput!) { reactivateStaff(input: $in) { user { id } } }`, vars{"userId": f.Member.ID}, "CONFLICT", nil},
			{"transferring as an admin", "admin", `mutation($in: TransferOwnershipInput!) { transferOwnership(input: $in) { user { id } } }`, vars{"userId": f.Admin.ID}, "FORBIDDEN", nil},
			{"transferring to oneself", "owner", `mutation($in: TransferOwnershipInput!) { transferOwnership(input: $in) { user { id } } }`, vars{"userId": f.Owner.ID}, "BAD_USER_INPUT",
				[]string{"input.userId: you are the owner already"}},
			{"managing staff as a manager", "manager", changeRoleDoc, vars{"userId": f.Member.ID, "roleId": memberRole}, "FORBIDDEN", nil},
		}
		for _, c := range refusals {
			r := e.as(t, c.who, c.doc, vars{"in": c.in})
			if len(r.Errors) != 1 || r.Errors[0].Extensions.Code != c.code || !slices.Equal(r.Errors[0].fields(), c.fields) {
				t.Errorf("%s: want %s %v, got %s", c.what, c.code, c.fields, r.Raw)
			}
		}
		equal(t, "rows after the refusals", e.tableState(t), before)

		// A deactivated member's token fails from the next request on
		// every server, and they cannot sign in.
		member := f.Tokens["member"]
		e.post(t, member, `{ viewer { audience } }`, nil).decode(t, &struct{}{})
		deactivate := `mutation($in: DeactivateStaffInput!) { deactivateStaff(input: $in) { user { id deactivatedAt } } }`
		e.as(t, "admin", deactivate, vars{"in": vars{"userId": f.Member.ID}}).decode(t, &struct{}{})
		e.as(t, "admin", deactivate, vars{"in": vars{"userId": invited.InviteStaff.User.ID}}).decode(t, &struct{}{})
		for _, url := range []string{e.srv.URL, second} {
			for _, token := range []string{member, s.Token} {
				r := e.sendVia(t, http.DefaultClient, newPost(t, url, token, `{ viewer { audience } }`, nil))
				equal(t, "a deactivated member's request", r.only(t).Extensions.Code, "UNAUTHENTICATED")
			}
		}
		equal(t, "signing in deactivated", e.logIn(t, "nina@w1.example", aPassword).onlyErrorAt(t, "logIn", "UNAUTHENTICATED").Message, badLogIn)
		var users struct {
			Users struct {
				TotalCount int `json:"totalCount"`
			} `json:"users"`
		}
		e.as(t, "viewer", `{ users { totalCount } }`, nil).decode(t, &users)
		equal(t, "deactivated staff are still listed", users.Users.TotalCount, 6)

		// An invitation is not accepted while its member is deactivated,
		// and is again once they are reactivated.
		var pending struct {
			InviteStaff struct {
				User       struct{ ID string } `json:"user"`
				InviteLink string              `json:"inviteLink"`
			} `json:"inviteStaff"`
		}
		e.as(t, "owner", invite, vars{"in": vars{"name": "Pat Pending", "email": "pat@w1.example", "roleId": portal.BuiltInRoleID(portal.BuiltInRoleViewer)}}).decode(t, &pending)
		e.as(t, "owner", deactivate, vars{"in": vars{"userId": pending.InviteStaff.User.ID}}).decode(t, &struct{}{})
		patLink, err := url.Parse(pending.InviteStaff.InviteLink)
		if err != nil {
			t.Fatal(err)
		}
		equal(t, "accepting deactivated", e.accept(t, patLink.Query().Get("token"), aPassword).onlyErrorAt(t, "acceptInvite", "UNAUTHENTICATED").Message, badInvite)
		e.as(t, "owner", `mutation($in: ReactivateStaffInput!) { reactivateStaff(input: $in) { user { id } } }`, vars{"in": vars{"userId": pending.InviteStaff.User.ID}}).decode(t, &struct{}{})
		equal(t, "accepting reactivated", e.accept(t, patLink.Query().Get("token"), aPassword).session(t, "acceptInvite", 24*time.Hour).Audience, "STAFF")

		// Reactivated, they sign in again; the sessions that ended stay
		// ended.
		e.as(t, "owner", `mutation($in: ReactivateStaffInput!) { reactivateStaff(input: $in) { user { id } } }`, vars{"in": vars{"userId": invited.InviteStaff.User.ID}}).decode(t, &struct{}{})
		e.post(t, s.Token, `{ viewer { audience } }`, nil).only(t)
		equal(t, "signing in reactivated", e.logIn(t, "nina@w1.example", aPassword).session(t, "logIn", 24*time.Hour).Audience, "STAFF")

		// The owner hands the workspace to the manager and becomes an
		// admin: one owner before and after.
		var moved struct {
			TransferOwnership struct {
				User          struct{ Role struct{ BuiltIn string } } `json:"user"`
				PreviousOwner struct{ Role struct{ BuiltIn string } } `json:"previousOwner"`
			} `json:"transferOwnership"`
		}
		transfer := `mutation($in: TransferOwnershipInput!) { transferOwnership(input: $in) { user { role { builtIn } } previousOwner { role { builtIn } } } }`
		e.as(t, "owner", transfer, vars{"in": vars{"userId": f.Member.ID}}).onlyErrorAt(t, "transferOwnership", "BAD_USER_INPUT")
		e.as(t, "owner", transfer, vars{"in": vars{"userId": f.Manager.ID}}).decode(t, &moved)
		equal(t, "new owner", moved.TransferOwnership.User.Role.BuiltIn, "OWNER")
		equal(t, "previous owner", moved.TransferOwnership.PreviousOwner.Role.BuiltIn, "ADMIN")
		var owners int
		if err := e.store.DB().GetContext(t.Context(), &owners, e.store.DB().Rebind(`SELECT COUNT(*) FROM users WHERE workspace_id = ? AND role_id = ?`),
			f.W1.ID, portal.BuiltInRoleID(portal.BuiltInRoleOwner)); err != nil {
			t.Fatal(err)
		}
		equal(t, "owners", owners, 1)
		// The former owner holds ADMIN's permissions from the next
		// request: no more transfers.
		e.as(t, "owner", transfer, vars{"in": vars{"userId": f.Owner.ID}}).onlyErrorAt(t, "transferOwnership", "FORBIDDEN")
		e.as(t, "manager", transfer, vars{"in": vars{"userId": f.Owner.ID}}).decode(t, &moved)
		equal(t, "activity of the manager", e.activityActions(t, f.Manager.ID), []string{"OWNERSHIP_TRANSFERRED"})
		equal(t, "activity of the invited member", e.activityActions(t, invited.InviteStaff.User.ID),
			[]string{"STAFF_INVITED", "INVITE_ACCEPTED", "STAFF_DEACTIVATED", "STAFF_REACTIVATED", "LOGGED_IN"})
	})
}

// No sequence of staff changes leaves a workspace without an owner, or
// with two, or with a deactivated one: random changes of roles,
// deactivations, reactivations and transfers, by random members (some of
// whom lose the right to make them on the way), each followed by a count.
func TestAWorkspaceKeepsOneOwner(t *testing.T) {
	t.Parallel()
	run(t, func(t *testing.T, e *env) {
		f := e.f
		custom := e.createRole(t, "Everything but ownership", portal.PermissionStaffManage, portal.PermissionClientsView)
		users := []*portal.User{f.Owner, f.Admin, f.Manager, f.Member, f.Viewer}
		roles := []string{custom}
		for _, r := range portal.AllBuiltInRole {
			roles = append(roles, portal.BuiltInRoleID(r))
		}
		docs := map[string]string{
			"changeStaffRole":   changeRoleDoc,
			"deactivateStaff":   `mutation($in: DeactivateStaffInput!) { deactivateStaff(input: $in) { user { id } } }`,
			"reactivateStaff":   `mutation($in: ReactivateStaffInput!) { reactivateStaff(input: $in) { user { id } } }`,
			"transferOwnership": `mutation($in: TransferOwnershipInput!) { transferOwnership(input: $in) { user { id } } }`,
		}
		names := slices.Sorted(maps.Keys(docs))
		rng := rand.New(rand.NewPCG(1, 2))
		changed := 0
		for step := range 150 {
			name := names[rng.IntN(len(names))]
			who := []string{"owner", "admin", "manager", "member", "viewer"}[rng.IntN(5)]
			in := vars{"userId": users[rng.IntN(len(users))].ID}
			if name == "changeStaffRole" {
				in["roleId"] = roles[rng.IntN(len(roles))]
			}
			if r := e.as(t, who, docs[name], vars{"in": in}); len(r.Errors) == 0 {
				changed++
			}
			var owners []struct {
				Active bool `db:"active"`
			}
			if err := e.store.DB().SelectContext(t.Context(), &owners, e.store.DB().Rebind(`SELECT deactivated_at IS NULL AS active FROM users
				WHERE workspace_id = ? AND role_id = ?`), f.W1.ID, portal.BuiltInRoleID(portal.BuiltInRoleOwner)); err != nil {
				t.Fatal(err)
			}
			if len(owners) != 1 || !owners[0].Active {
				t.Fatalf("after step %d (%s %v as %s): owners %+v, want one, active", step, name, in, who, owners)
			}
		}
		t.Logf("%d changes went through", changed)
		if changed < 10 {
			t.Errorf("only %d of the changes went through: the sequence hardly tests anything", changed)
		}
	})
}

// A role that manages staff or roles reaches no further than its own
// permissions: it neither hands out, creates nor changes a role holding
// more, nor changes or deactivates a member holding more. Otherwise
// STAFF_MANAGE alone would lead to every permission.
func TestStaffChangesReachNoFurtherThanOnesOwnPermissions(t *testing.T) {
	t.Parallel()
	run(t, func(t *testing.T, e *env) {
		f := e.f
		// People: the VIEWER's permissions and managing staff and roles.
		people := append(portal.BuiltInPermissions(portal.BuiltInRoleViewer).List(), portal.PermissionStaffManage, portal.PermissionRolesManage)
		hr := e.createRole(t, "People", people...)
		e.as(t, "owner", changeRoleDoc, vars{"in": vars{"userId": f.Viewer.ID, "roleId": hr}}).decode(t, &struct{}{})
		// A custom role within the owner's reach but beyond People's.
		budgets := e.createRole(t, "Budgets", portal.PermissionProjectsView, portal.PermissionBudgetsRead)

		invite := `mutation($in: InviteStaffInput!) { inviteStaff(input: $in) { user { id } } }`
		deactivate := `mutation($in: DeactivateStaffInput!) { deactivateStaff(input: $in) { user { id } } }`
		del := `mutation($in: DeleteRoleInput!) { deleteRole(input: $in) { deletedRoleId } }`
		admin, member := portal.BuiltInRoleID(portal.BuiltInRoleAdmin), portal.BuiltInRoleID(portal.BuiltInRoleMember)
		before := e.tableState(t)
		for _, c := range []struct {
			what, doc, field string
			in               vars
			message          string
		}{
			{"invite as an admin", invite, "inviteStaff", vars{"name": "Ada", "email": "ada@w1.example", "roleId": admin},
				"Admin holds permissions you do not: CLIENTS_CREATE"},
			{"make a member an admin", changeRoleDoc, "changeStaffRole", vars{"userId": f.Member.ID, "roleId": admin},
				"Mia Member's role, Member, holds permissions you do not: CONTACTS_CREATE"},
			{"demote the admin", changeRoleDoc, "changeStaffRole", vars{"userId": f.Admin.ID, "roleId": hr},
				"Adam Admin's role, Admin, holds permissions you do not: CLIENTS_CREATE"},
			{"deactivate the manager", deactivate, "deactivateStaff", vars{"userId": f.Manager.ID},
				"Mark Manager's role, Manager, holds permissions you do not: CLIENTS_CREATE"},
			{"create a role with budgets", createRoleDoc, "createRole", vars{"name": "Mine", "permissions": []string{"PROJECTS_VIEW", "BUDGETS_READ"}},
				"the role holds permissions you do not: BUDGETS_READ"},
			{"widen its own role", updateRoleDoc, "updateRole", vars{"id": hr, "permissions": append(people, portal.PermissionBudgetsRead)},
				"the role holds permissions you do not: BUDGETS_READ"},
			{"change a role beyond it", updateRoleDoc, "updateRole", vars{"id": budgets, "name": "Money"},
				"Budgets holds permissions you do not: BUDGETS_READ"},
			{"delete a role beyond it", del, "deleteRole", vars{"id": budgets},
				"Budgets holds permissions you do not: BUDGETS_READ"},
		} {
			got := e.as(t, "viewer", c.doc, vars{"in": c.in}).onlyErrorAt(t, c.field, "FORBIDDEN")
			if !strings.HasPrefix(got.Message, c.message) {
				t.Errorf("%s: %q, want it to begin %q", c.what, got.Message, c.message)
			}
		}
		equal(t, "rows after the refusals", e.tableState(t), before)

		// Within its reach it works: a new viewer, and a role of views.
		e.as(t, "viewer", invite, vars{"in": vars{"name": "Vic", "email": "vic@w1.example", "roleId": portal.BuiltInRoleID(portal.BuiltInRoleViewer)}}).decode(t, &struct{}{})
		e.as(t, "viewer", createRoleDoc, vars{"in": vars{"name": "Readers", "permissions": []string{"CLIENTS_VIEW", "PROJECTS_VIEW"}}}).decode(t, &struct{}{})
		// A member's role is beyond it, but the owner may do all of this.
		e.as(t, "owner", changeRoleDoc, vars{"in": vars{"userId": f.Member.ID, "roleId": budgets}}).decode(t, &struct{}{})
		e.as(t, "owner", changeRoleDoc, vars{"in": vars{"userId": f.Member.ID, "roleId": member}}).decode(t, &struct{}{})
	})
}

// A staff member who never chose a password is invited again: the links
// before stop working, the new one works once. Whoever has a password, or
// is deactivated, is not.
func TestReinvitingStaff(t *testing.T) {
	t.Parallel()
	run(t, func(t *testing.T, e *env) {
		f := e.f
		invite := `mutation($in: InviteStaffInput!) { inviteStaff(input: $in) { user { id } inviteLink } }`
		reinvite := `mutation($in: ReinviteStaffInput!) { reinviteStaff(input: $in) { user { id } inviteLink expiresAt } }`
		tokenOf := func(link string) string {
			t.Helper()
			u, err := url.Parse(link)
			if err != nil {
				t.Fatal(err)
			}
			return u.Query().Get("token")
		}
		var first struct {
			InviteStaff struct {
				User       idName `json:"user"`
				InviteLink string `json:"inviteLink"`
			} `json:"inviteStaff"`
		}
		e.as(t, "owner", invite, vars{"in": vars{"name": "Rita Late", "email": "rita@w1.example", "roleId": portal.BuiltInRoleID(portal.BuiltInRoleMember)}}).decode(t, &first)
		id := first.InviteStaff.User.ID
		var again struct {
			ReinviteStaff struct {
				User       idName `json:"user"`
				InviteLink string `json:"inviteLink"`
			} `json:"reinviteStaff"`
		}
		e.as(t, "admin", reinvite, vars{"in": vars{"userId": id}}).decode(t, &again)
		equal(t, "reinvited", again.ReinviteStaff.User.ID, id)
		if again.ReinviteStaff.InviteLink == first.InviteStaff.InviteLink {
			t.Fatal("the same link twice")
		}
		e.accept(t, tokenOf(first.InviteStaff.InviteLink), aPassword).onlyErrorAt(t, "acceptInvite", "UNAUTHENTICATED")
		s := e.accept(t, tokenOf(again.ReinviteStaff.InviteLink), aPassword).session(t, "acceptInvite", 24*time.Hour)
		equal(t, "accepted as", e.staffUser(t, s.Token).ID, id)

		var dee struct {
			InviteStaff struct {
				User idName `json:"user"`
			} `json:"inviteStaff"`
		}
		e.as(t, "owner", invite, vars{"in": vars{"name": "Dee Parted", "email": "dee@w1.example", "roleId": portal.BuiltInRoleID(portal.BuiltInRoleViewer)}}).decode(t, &dee)
		e.as(t, "owner", `mutation($in: DeactivateStaffInput!) { deactivateStaff(input: $in) { user { id } } }`,
			vars{"in": vars{"userId": dee.InviteStaff.User.ID}}).decode(t, &struct{}{})

		before := e.tableState(t)
		for _, c := range []struct {
			what, who, userID, code, message string
		}{
			{"one who chose a password", "owner", id, "BAD_USER_INPUT", "input.userId: Rita Late has chosen a password already and signs in with it"},
			{"one deactivated", "owner", dee.InviteStaff.User.ID, "BAD_USER_INPUT", "input.userId: Dee Parted is deactivated: reactivate them first"},
			{"oneself", "admin", f.Admin.ID, "BAD_USER_INPUT", "input.userId: you cannot change your own role or deactivate yourself"},
			{"without STAFF_MANAGE", "manager", id, "FORBIDDEN", "the STAFF_MANAGE permission is required"},
			{"another workspace's", "owner", f.Owner2.ID, "NOT_FOUND", ""},
		} {
			got := e.as(t, c.who, reinvite, vars{"in": vars{"userId": c.userID}}).onlyErrorAt(t, "reinviteStaff", c.code)
			if c.message != "" && got.Message != c.message && !slices.Contains(got.fields(), c.message) {
				t.Errorf("%s: %q %v, want %q", c.what, got.Message, got.fields(), c.message)
			}
		}
		equal(t, "rows after the refusals", e.tableState(t), before)
		equal(t, "activity of the member", e.activityActions(t, id), []string{"STAFF_INVITED", "STAFF_INVITED", "INVITE_ACCEPTED"})
	})
}
