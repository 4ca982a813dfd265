package graph_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"portalgraph/internal/portal"
)

// A portal contact sees their own client and only what is shared with it,
// through every path: root lists, lists under records, and counts.
func TestPortalListsOnlySharedRecords(t *testing.T) {
	t.Parallel()
	run(t, func(t *testing.T, e *env) {
		f := e.f
		type project struct {
			idName
			Deliverables conn[struct {
				ID    string `json:"id"`
				Title string `json:"title"`
			}] `json:"deliverables"`
			Approvals conn[struct {
				ID string `json:"id"`
			}] `json:"approvals"`
			Owner *idName `json:"owner"`
		}
		var got struct {
			Viewer struct {
				Audience  string  `json:"audience"`
				Contact   idName  `json:"contact"`
				Workspace *idName `json:"workspace"`
				Client    struct {
					idName
					Owner    idName        `json:"owner"`
					Projects conn[project] `json:"projects"`
					Contacts conn[idName]  `json:"contacts"`
				} `json:"client"`
			} `json:"viewer"`
			Projects conn[idName] `json:"projects"`
			OfB      conn[idName] `json:"ofB"`
			OfX      conn[idName] `json:"ofX"`
		}
		e.as(t, "aActive", `query($b: ID!, $x: ID!) {
			viewer {
				audience
				contact { id name }
				workspace { id name }
				client {
					id name owner { id name }
					contacts { totalCount edges { node { id name } } }
					projects {
						totalCount
						edges { node {
							id name owner { id name }
							deliverables { totalCount edges { node { id title } } }
							approvals { totalCount edges { node { id } } }
						} }
					}
				}
			}
			projects { totalCount edges { node { id name } } }
			ofB: projects(filter: {clientId: $b}) { totalCount edges { node { id name } } }
			ofX: projects(filter: {clientId: $x}) { totalCount edges { node { id name } } }
		}`, vars{"b": f.B.ID, "x": f.X.ID}).decode(t, &got)

		v := got.Viewer
		equal(t, "audience", v.Audience, "PORTAL")
		equal(t, "contact", v.Contact, idName{f.AActive.ID, "Ann Active"})
		equal(t, "workspace", v.Workspace, &idName{f.W1.ID, "Northwind"})
		equal(t, "client", v.Client.idName, idName{f.A.ID, "Acme"})
		equal(t, "client owner", v.Client.Owner, idName{f.Manager.ID, "Mark Manager"})
		equal(t, "contacts", v.Client.Contacts.TotalCount, 3)
		equal(t, "contact IDs", ids(v.Client.Contacts.nodes()), []string{f.AActive.ID, f.ASuspended.ID, f.AInvited.ID})

		equal(t, "client projects totalCount", v.Client.Projects.TotalCount, 1)
		projects := v.Client.Projects.nodes()
		if len(projects) != 1 {
			t.Fatalf("client projects = %+v, want only %q", projects, f.AShared.Name)
		}
		p := projects[0]
		equal(t, "client project", p.idName, idName{f.AShared.ID, "Acme shared"})
		equal(t, "project owner", p.Owner, &idName{f.Manager.ID, "Mark Manager"})
		equal(t, "deliverables totalCount", p.Deliverables.TotalCount, 1)
		equal(t, "deliverables", p.Deliverables.nodes(), []map[string]string{{"id": f.DShared.ID, "title": "Shared deliverable"}})
		equal(t, "project approvals totalCount", p.Approvals.TotalCount, 1)
		equal(t, "project approvals", p.Approvals.nodes(), []map[string]string{{"id": f.ApprovalShared.ID}})

		equal(t, "projects totalCount", got.Projects.TotalCount, 1)
		equal(t, "projects", got.Projects.nodes(), []idName{{f.AShared.ID, "Acme shared"}})
		equal(t, "projects of B", got.OfB, conn[idName]{TotalCount: 0, Edges: nil})
		equal(t, "projects of X", got.OfX, conn[idName]{TotalCount: 0, Edges: nil})
		if len(got.OfB.Edges) != 0 || len(got.OfX.Edges) != 0 {
			t.Errorf("another client's projects listed: %+v %+v", got.OfB, got.OfX)
		}
	})
}

// Records reached through a visible record come with it.
func TestPortalNestedReads(t *testing.T) {
	t.Parallel()
	run(t, func(t *testing.T, e *env) {
		f := e.f
		var got struct {
			Deliverable struct {
				Title   string `json:"title"`
				Status  string `json:"status"`
				DueOn   string `json:"dueOn"`
				Project struct {
					Name   string `json:"name"`
					DueOn  string `json:"dueOn"`
					Client struct {
						Name string `json:"name"`
					} `json:"client"`
				} `json:"project"`
				Approvals conn[struct {
					ID        string `json:"id"`
					Title     string `json:"title"`
					Status    string `json:"status"`
					Approvers []struct {
						Name string `json:"name"`
					} `json:"approvers"`
					Decisions []struct {
						ID      string `json:"id"`
						Outcome string `json:"outcome"`
						Comment string `json:"comment"`
						Contact struct {
							Name string `json:"name"`
						} `json:"contact"`
					} `json:"decisions"`
				}] `json:"approvals"`
			} `json:"deliverable"`
		}
		e.as(t, "aActive", `query($id: ID!) {
			deliverable(id: $id) {
				title status dueOn
				project { name dueOn client { name } }
				approvals { totalCount edges { node {
					id title status
					approvers { name }
					decisions { id outcome comment contact { name } }
				} } }
			}
		}`, vars{"id": f.DShared.ID}).decode(t, &got)
		d := got.Deliverable
		equal(t, "deliverable", []string{d.Title, d.Status, d.DueOn}, []string{"Shared deliverable", "APPROVED", "2026-03-01"})
		equal(t, "project", []string{d.Project.Name, d.Project.DueOn, d.Project.Client.Name}, []string{"Acme shared", "2026-06-30", "Acme"})
		equal(t, "approvals totalCount", d.Approvals.TotalCount, 1)
		approvals := d.Approvals.nodes()
		if len(approvals) != 1 {
			t.Fatalf("approvals = %+v, want 1", approvals)
		}
		a := approvals[0]
		equal(t, "approval", []string{a.ID, a.Title, a.Status}, []string{f.ApprovalShared.ID, "Approve the shared deliverable", "APPROVED"})
		equal(t, "approvers", a.Approvers, []map[string]string{{"name": "Ann Active"}})
		if len(a.Decisions) != 1 {
			t.Fatalf("decisions = %+v, want 1", a.Decisions)
		}
		equal(t, "decision", []string{a.Decisions[0].ID, a.Decisions[0].Outcome, a.Decisions[0].Comment, a.Decisions[0].Contact.Name},
			[]string{f.DecisionShared.ID, "APPROVED", "fine", "Ann Active"})
	})
}

// lookup is a root field that finds one record by ID.
type lookup struct {
	field  string // project, deliverable, approval, client, node
	prefix string // the kind of ID it is asked for
}

// assertNotFound asks for id and for a well-formed ID of the same kind that
// does not exist, and requires the same answer for both: null, NOT_FOUND,
// and a message that differs only by the ID asked for. Anything else would
// tell a caller that the record exists.
func assertNotFound(t *testing.T, e *env, who string, l lookup, id string) {
	t.Helper()
	query := `query($id: ID!) { ` + l.field + `(id: $id) { id } }`
	missing := portal.NewID(l.prefix, time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC))
	hidden := e.as(t, who, query, vars{"id": id})
	absent := e.as(t, who, query, vars{"id": missing})
	for _, r := range []struct {
		res *response
		id  string
	}{{hidden, id}, {absent, missing}} {
		got := r.res.onlyErrorAt(t, l.field, "NOT_FOUND")
		if want := `no record with id "` + r.id + `"`; got.Message != want {
			t.Errorf("%s(%s) as %s: message %q, want %q", l.field, r.id, who, got.Message, want)
		}
		if string(r.res.Data) != `{"`+l.field+`":null}` {
			t.Errorf("%s(%s) as %s: data %s, want null", l.field, r.id, who, r.res.Data)
		}
		if r.res.Status != http.StatusOK {
			t.Errorf("%s(%s) as %s: HTTP %d", l.field, r.id, who, r.res.Status)
		}
	}
	if a, b := strings.ReplaceAll(string(hidden.Raw), id, "ID"), strings.ReplaceAll(string(absent.Raw), missing, "ID"); a != b {
		t.Errorf("%s of a hidden record and of a missing one differ as %s:\n%s\n%s", l.field, who, a, b)
	}
}

// assertFound requires the record to resolve, with its ID.
func assertFound(t *testing.T, e *env, who, field, id string) {
	t.Helper()
	var got map[string]*struct {
		ID string `json:"id"`
	}
	e.as(t, who, `query($id: ID!) { `+field+`(id: $id) { id } }`, vars{"id": id}).decode(t, &got)
	if got[field] == nil || got[field].ID != id {
		t.Errorf("%s(%s) as %s = %+v, want the record", field, id, who, got[field])
	}
}

func TestPortalLookupsOfHiddenRecordsAreNotFound(t *testing.T) {
	t.Parallel()
	run(t, func(t *testing.T, e *env) {
		f := e.f
		node := func(prefix string) lookup { return lookup{"node", prefix} }
		hidden := []struct {
			what string
			l    lookup
			id   string
		}{
			{"another client's project", lookup{"project", portal.PrefixProject}, f.BShared.ID},
			{"another workspace's project", lookup{"project", portal.PrefixProject}, f.XShared.ID},
			{"an internal project", lookup{"project", portal.PrefixProject}, f.AInternal.ID},
			{"another client's deliverable", lookup{"deliverable", portal.PrefixDeliverable}, f.BDeliverable.ID},
			{"another workspace's deliverable", lookup{"deliverable", portal.PrefixDeliverable}, f.XDeliv.ID},
			{"an internal deliverable", lookup{"deliverable", portal.PrefixDeliverable}, f.DInternal.ID},
			{"a shared deliverable of an internal project", lookup{"deliverable", portal.PrefixDeliverable}, f.DOfInternal.ID},
			{"another client's approval", lookup{"approval", portal.PrefixApproval}, f.BApproval.ID},
			{"another workspace's approval", lookup{"approval", portal.PrefixApproval}, f.XApprove.ID},
			{"the approval of an internal deliverable", lookup{"approval", portal.PrefixApproval}, f.ApprovalInternal.ID},
			{"another client", lookup{"client", portal.PrefixClient}, f.B.ID},
			{"a client without portal", lookup{"client", portal.PrefixClient}, f.C.ID},
			{"another workspace's client", lookup{"client", portal.PrefixClient}, f.X.ID},
			{"node: another client's project", node(portal.PrefixProject), f.BShared.ID},
			{"node: another workspace's project", node(portal.PrefixProject), f.XShared.ID},
			{"node: an internal project", node(portal.PrefixProject), f.AInternal.ID},
			{"node: an internal deliverable", node(portal.PrefixDeliverable), f.DInternal.ID},
			{"node: a shared deliverable of an internal project", node(portal.PrefixDeliverable), f.DOfInternal.ID},
			{"node: the approval of an internal deliverable", node(portal.PrefixApproval), f.ApprovalInternal.ID},
			{"node: another client", node(portal.PrefixClient), f.B.ID},
			{"node: another workspace's client", node(portal.PrefixClient), f.X.ID},
			{"node: another client's contact", node(portal.PrefixContact), f.BActive.ID},
			{"node: another workspace's contact", node(portal.PrefixContact), f.XActive.ID},
			{"node: a note on the own client", node(portal.PrefixNote), f.NoteA.ID},
			{"node: a note on a shared project", node(portal.PrefixNote), f.NoteAShared.ID},
			{"node: an activity event of the own client", node(portal.PrefixActivity), f.EventA.ID},
			{"node: a staff member owning nothing", node(portal.PrefixUser), f.Member.ID},
			{"node: a staff member owning only hidden records", node(portal.PrefixUser), f.Owner.ID},
			{"node: another workspace's staff member", node(portal.PrefixUser), f.Owner2.ID},
			{"node: another workspace", node(portal.PrefixWorkspace), f.W2.ID},
		}
		for _, c := range hidden {
			t.Run(c.what, func(t *testing.T) {
				assertNotFound(t, e, "aActive", c.l, c.id)
			})
		}
		// What the contact may see resolves through the same fields.
		for _, c := range []struct{ field, id string }{
			{"project", f.AShared.ID}, {"deliverable", f.DShared.ID}, {"approval", f.ApprovalShared.ID}, {"client", f.A.ID},
			{"node", f.AShared.ID}, {"node", f.DShared.ID}, {"node", f.ApprovalShared.ID}, {"node", f.DecisionShared.ID},
			{"node", f.A.ID}, {"node", f.AActive.ID}, {"node", f.ASuspended.ID}, {"node", f.Manager.ID}, {"node", f.W1.ID},
		} {
			t.Run("visible "+c.field+" "+c.id, func(t *testing.T) {
				assertFound(t, e, "aActive", c.field, c.id)
			})
		}
	})
}

// The client's portal settings decide which sections exist for its
// contacts; a hidden section hides its records everywhere, at once.
func TestPortalSectionsFollowSettings(t *testing.T) {
	t.Parallel()
	run(t, func(t *testing.T, e *env) {
		f := e.f
		const q = `{ viewer { client { projects { totalCount } } } projects { totalCount } }`
		var before struct {
			Viewer struct {
				Client struct {
					Projects conn[idName] `json:"projects"`
				} `json:"client"`
			} `json:"viewer"`
			Projects conn[idName] `json:"projects"`
		}
		e.as(t, "aActive", q, nil).decode(t, &before)
		equal(t, "projects before", []int{before.Viewer.Client.Projects.TotalCount, before.Projects.TotalCount}, []int{1, 1})

		e.exec(t, `UPDATE clients SET portal_projects = FALSE WHERE id = ?`, f.A.ID)
		var after = before
		e.as(t, "aActive", q, nil).decode(t, &after)
		equal(t, "projects after", []int{after.Viewer.Client.Projects.TotalCount, after.Projects.TotalCount}, []int{0, 0})
		assertNotFound(t, e, "aActive", lookup{"project", portal.PrefixProject}, f.AShared.ID)
		assertNotFound(t, e, "aActive", lookup{"deliverable", portal.PrefixDeliverable}, f.DShared.ID)
		assertNotFound(t, e, "aActive", lookup{"approval", portal.PrefixApproval}, f.ApprovalShared.ID)
		assertFound(t, e, "aActive", "client", f.A.ID)

		e.exec(t, `UPDATE clients SET portal_projects = TRUE, portal_deliverables = FALSE WHERE id = ?`, f.A.ID)
		assertFound(t, e, "aActive", "project", f.AShared.ID)
		assertNotFound(t, e, "aActive", lookup{"deliverable", portal.PrefixDeliverable}, f.DShared.ID)
		assertNotFound(t, e, "aActive", lookup{"approval", portal.PrefixApproval}, f.ApprovalShared.ID)
		var deliverables struct {
			Project struct {
				Deliverables conn[idName] `json:"deliverables"`
			} `json:"project"`
		}
		e.as(t, "aActive", `query($id: ID!) { project(id: $id) { deliverables { totalCount } } }`, vars{"id": f.AShared.ID}).decode(t, &deliverables)
		equal(t, "deliverables with the section hidden", deliverables.Project.Deliverables.TotalCount, 0)
	})
}

// Another contact of the same workspace sees their own client only.
func TestPortalOtherClientMirror(t *testing.T) {
	t.Parallel()
	run(t, func(t *testing.T, e *env) {
		f := e.f
		for _, c := range []struct {
			who     string
			client  *portal.Client
			project *portal.Project
			other   []string // projects of others
		}{
			{"bActive", f.B, f.BShared, []string{f.AShared.ID, f.AInternal.ID, f.XShared.ID}},
			{"xActive", f.X, f.XShared, []string{f.AShared.ID, f.BShared.ID}},
		} {
			var got struct {
				Viewer struct {
					Client idName `json:"client"`
				} `json:"viewer"`
				Projects conn[idName] `json:"projects"`
			}
			e.as(t, c.who, `{ viewer { client { id name } } projects { totalCount edges { node { id name } } } }`, nil).decode(t, &got)
			equal(t, c.who+" client", got.Viewer.Client, idName{c.client.ID, c.client.Name})
			equal(t, c.who+" projects", got.Projects.nodes(), []idName{{c.project.ID, c.project.Name}})
			equal(t, c.who+" projects totalCount", got.Projects.TotalCount, 1)
			for _, id := range c.other {
				assertNotFound(t, e, c.who, lookup{"project", portal.PrefixProject}, id)
				assertNotFound(t, e, c.who, lookup{"node", portal.PrefixProject}, id)
			}
			assertNotFound(t, e, c.who, lookup{"client", portal.PrefixClient}, f.A.ID)
		}
	})
}

type staffView struct {
	Clients  conn[idName] `json:"clients"`
	Projects conn[idName] `json:"projects"`
	Users    conn[idName] `json:"users"`
}

const staffViewQuery = `{
	clients { totalCount edges { node { id name } } }
	projects { totalCount edges { node { id name } } }
	users { totalCount edges { node { id name } } }
}`

// Staff see their whole workspace, internal records included, and nothing
// of another workspace.
func TestStaffSeesWholeWorkspaceOnly(t *testing.T) {
	t.Parallel()
	run(t, func(t *testing.T, e *env) {
		f := e.f
		var got staffView
		e.as(t, "owner", staffViewQuery, nil).decode(t, &got)
		equal(t, "clients totalCount", got.Clients.TotalCount, 3)
		equal(t, "clients", got.Clients.nodes(), []idName{{f.A.ID, "Acme"}, {f.B.ID, "Bolt"}, {f.C.ID, "Cobalt"}})
		equal(t, "projects totalCount", got.Projects.TotalCount, 3)
		equal(t, "projects", sorted(ids(got.Projects.nodes())), sorted([]string{f.AShared.ID, f.AInternal.ID, f.BShared.ID}))
		equal(t, "users totalCount", got.Users.TotalCount, 5)
		equal(t, "users", got.Users.nodes(), []idName{
			{f.Admin.ID, "Adam Admin"}, {f.Manager.ID, "Mark Manager"}, {f.Member.ID, "Mia Member"}, {f.Owner.ID, "Olivia Owner"}, {f.Viewer.ID, "Victor Viewer"},
		})

		var a struct {
			Client struct {
				InternalNotes string `json:"internalNotes"`
				Status        string `json:"status"`
				Notes         conn[struct {
					Body   string `json:"body"`
					Author idName `json:"author"`
				}] `json:"notes"`
				Activity conn[struct {
					ID        string `json:"id"`
					Summary   string `json:"summary"`
					ActorUser idName `json:"actorUser"`
				}] `json:"activity"`
				Projects conn[struct {
					idName
					Visibility   string       `json:"visibility"`
					Deliverables conn[idName] `json:"deliverables"`
				}] `json:"projects"`
				Contacts  conn[idName] `json:"contacts"`
				Suspended conn[idName] `json:"suspended"`
			} `json:"client"`
		}
		e.as(t, "owner", `query($id: ID!) { client(id: $id) {
			internalNotes status
			notes { totalCount edges { node { body author { id name } } } }
			activity { totalCount edges { node { id summary actorUser { id name } } } }
			projects { totalCount edges { node { id name visibility deliverables { totalCount } } } }
			contacts { totalCount }
			suspended: contacts(portalStatus: [SUSPENDED]) { totalCount edges { node { id name } } }
		} }`, vars{"id": f.A.ID}).decode(t, &a)
		c := a.Client
		equal(t, "internalNotes", c.InternalNotes, "acme internal")
		equal(t, "status", c.Status, "ACTIVE")
		equal(t, "notes totalCount", c.Notes.TotalCount, 2)
		equal(t, "notes, newest first", c.Notes.nodes(), []map[string]any{
			{"body": "note on acme shared", "author": idName{f.Owner.ID, "Olivia Owner"}},
			{"body": "note on acme", "author": idName{f.Manager.ID, "Mark Manager"}},
		})
		equal(t, "activity", c.Activity.nodes(), []map[string]any{
			{"id": f.EventA.ID, "summary": "Created client Acme", "actorUser": idName{f.Manager.ID, "Mark Manager"}},
		})
		equal(t, "projects totalCount", c.Projects.TotalCount, 2)
		equal(t, "projects", c.Projects.nodes(), []map[string]any{
			{"id": f.AShared.ID, "name": "Acme shared", "visibility": "SHARED", "deliverables": map[string]int{"totalCount": 2}},
			{"id": f.AInternal.ID, "name": "Acme internal", "visibility": "INTERNAL", "deliverables": map[string]int{"totalCount": 1}},
		})
		equal(t, "contacts totalCount", c.Contacts.TotalCount, 3)
		equal(t, "suspended contacts", c.Suspended.nodes(), []idName{{f.ASuspended.ID, "Sid Suspended"}})

		for _, c := range []struct{ field, id string }{
			{"project", f.AInternal.ID}, {"deliverable", f.DOfInternal.ID}, {"deliverable", f.DInternal.ID},
			{"approval", f.ApprovalInternal.ID}, {"client", f.C.ID}, {"node", f.NoteA.ID}, {"node", f.EventA.ID},
			{"node", f.Member.ID}, {"node", f.W1.ID}, {"node", f.DecisionShared.ID},
		} {
			assertFound(t, e, "owner", c.field, c.id)
		}
		var note struct {
			Node struct {
				Body    string  `json:"body"`
				Project *idName `json:"project"`
			} `json:"node"`
		}
		e.as(t, "owner", `query($id: ID!) { node(id: $id) { ... on Note { body project { id name } } } }`, vars{"id": f.NoteAShared.ID}).decode(t, &note)
		equal(t, "note", note.Node, map[string]any{"body": "note on acme shared", "project": idName{f.AShared.ID, "Acme shared"}})

		for _, c := range []struct {
			l  lookup
			id string
		}{
			{lookup{"client", portal.PrefixClient}, f.X.ID},
			{lookup{"project", portal.PrefixProject}, f.XShared.ID},
			{lookup{"deliverable", portal.PrefixDeliverable}, f.XDeliv.ID},
			{lookup{"approval", portal.PrefixApproval}, f.XApprove.ID},
			{lookup{"node", portal.PrefixClient}, f.X.ID},
			{lookup{"node", portal.PrefixProject}, f.XShared.ID},
			{lookup{"node", portal.PrefixContact}, f.XActive.ID},
			{lookup{"node", portal.PrefixUser}, f.Owner2.ID},
			{lookup{"node", portal.PrefixWorkspace}, f.W2.ID},
		} {
			assertNotFound(t, e, "owner", c.l, c.id)
		}
		var ofX struct {
			Projects conn[idName] `json:"projects"`
		}
		e.as(t, "owner", `query($x: ID!) { projects(filter: {clientId: $x}) { totalCount edges { node { id } } } }`, vars{"x": f.X.ID}).decode(t, &ofX)
		equal(t, "projects of another workspace's client", ofX.Projects.TotalCount, 0)
		equal(t, "projects of another workspace's client", len(ofX.Projects.Edges), 0)
	})
}

func TestStaffOfTheOtherWorkspaceMirror(t *testing.T) {
	t.Parallel()
	run(t, func(t *testing.T, e *env) {
		f := e.f
		var got staffView
		e.as(t, "owner2", staffViewQuery, nil).decode(t, &got)
		equal(t, "clients totalCount", got.Clients.TotalCount, 1)
		equal(t, "clients", got.Clients.nodes(), []idName{{f.X.ID, "Xeno"}})
		equal(t, "projects totalCount", got.Projects.TotalCount, 1)
		equal(t, "projects", got.Projects.nodes(), []idName{{f.XShared.ID, "Xeno shared"}})
		equal(t, "users totalCount", got.Users.TotalCount, 1)
		equal(t, "users", got.Users.nodes(), []idName{{f.Owner2.ID, "Oscar Other"}})
		for _, c := range []struct {
			l  lookup
			id string
		}{
			{lookup{"client", portal.PrefixClient}, f.A.ID},
			{lookup{"project", portal.PrefixProject}, f.AInternal.ID},
			{lookup{"deliverable", portal.PrefixDeliverable}, f.DShared.ID},
			{lookup{"approval", portal.PrefixApproval}, f.ApprovalShared.ID},
			{lookup{"node", portal.PrefixNote}, f.NoteA.ID},
			{lookup{"node", portal.PrefixActivity}, f.EventA.ID},
			{lookup{"node", portal.PrefixUser}, f.Owner.ID},
			{lookup{"node", portal.PrefixContact}, f.AActive.ID},
			{lookup{"node", portal.PrefixDecision}, f.DecisionShared.ID},
			{lookup{"node", portal.PrefixWorkspace}, f.W1.ID},
		} {
			assertNotFound(t, e, "owner2", c.l, c.id)
		}
		assertFound(t, e, "owner2", "node", f.XApprove.ID)
	})
}
