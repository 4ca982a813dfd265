package graph_test

import (
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"portalgraph/graph"
	"portalgraph/internal/auth"
	"portalgraph/internal/portal"
)

// Portal access over HTTP: staff turn a client's portal on and choose its
// sections, invite contacts, suspend and restore them and preview the
// portal as one of them; people sign in and out; and every portal view
// lands, once, in the client's audit and nobody else's.

const (
	setPortalDoc = `mutation($in: SetClientPortalInput!) { setClientPortal(input: $in) { client {
		id portalEnabled portalStatus portalSettings { projects deliverables approvals reports files exports requests } } } }`
	inviteDoc = `mutation($id: ID!) { inviteContact(input: {contactId: $id}) {
		contact { id portalStatus inviteExpiresAt } inviteLink expiresAt } }`
	acceptDoc    = `mutation($token: String!, $password: String!) { acceptInvite(input: {token: $token, password: $password}) { token expiresAt audience } }`
	logInDoc     = `mutation($email: String!, $password: String!) { logIn(input: {email: $email, password: $password}) { token expiresAt audience } }`
	logOutDoc    = `mutation { logOut { ok } }`
	suspendDoc   = `mutation($id: ID!) { suspendContact(input: {contactId: $id}) { contact { id portalStatus } } }`
	restoreDoc   = `mutation($id: ID!) { restoreContact(input: {contactId: $id}) { contact { id portalStatus } } }`
	previewDoc   = `mutation($id: ID!) { previewPortal(input: {contactId: $id}) { token expiresAt contact { id name portalStatus } } }`
	contactDoc   = `query($id: ID!) { node(id: $id) { ... on Contact { id portalStatus lastSeenAt inviteExpiresAt } } }`
	portalWho    = `{ viewer { audience preview contact { id name } client { id name } } }`
	staffWho     = `{ viewer { audience user { id name } } }`
	badLogIn     = "the email or password is incorrect"
	badInvite    = "this invitation is invalid or has expired"
	badToken     = "invalid or expired token"
	aPassword    = "correct horse battery staple"
	portalManage = "the PORTAL_MANAGE permission is required"
)

// session is the payload of logIn and acceptInvite.
type session struct {
	Token     string `json:"token"`
	ExpiresAt string `json:"expiresAt"`
	Audience  string `json:"audience"`
}

// session decodes the session a logIn or acceptInvite answered with, and
// checks it looks like one: a portalgraph token that expires in about ttl.
func (r *response) session(t *testing.T, field string, ttl time.Duration) session {
	t.Helper()
	var got map[string]session
	r.decode(t, &got)
	s := got[field]
	if !strings.HasPrefix(s.Token, "pgt_") {
		t.Fatalf("%s token = %q", field, s.Token)
	}
	assertAbout(t, field+" expiresAt", s.ExpiresAt, ttl)
	return s
}

// assertAbout checks that an RFC 3339 time is about d from now.
func assertAbout(t *testing.T, what, at string, d time.Duration) time.Time {
	t.Helper()
	got, err := time.Parse(time.RFC3339Nano, at)
	if err != nil {
		t.Fatalf("%s = %q: %v", what, at, err)
	}
	if want := time.Now().Add(d); got.Before(want.Add(-time.Minute)) || got.After(want.Add(time.Minute)) {
		t.Errorf("%s = %s, want about %s", what, got, want)
	}
	return got
}

func (e *env) logIn(t *testing.T, email, password string) *response {
	t.Helper()
	return e.post(t, "", logInDoc, vars{"email": email, "password": password})
}

// setPassword gives a fixture account a password, reaching past the API.
func (e *env) setPassword(t *testing.T, table, id, password string) {
	t.Helper()
	e.exec(t, `UPDATE `+table+` SET password_hash = ? WHERE id = ?`, auth.HashPassword(password), id)
}

// newContact adds a contact, without portal access, to a client as the
// owner and returns its ID.
func (e *env) newContact(t *testing.T, clientID, name, email string) string {
	t.Helper()
	var got struct {
		CreateContact struct {
			Contact struct {
				ID           string `json:"id"`
				PortalStatus string `json:"portalStatus"`
			} `json:"contact"`
		} `json:"createContact"`
	}
	e.as(t, "owner", `mutation($c: ID!, $n: String!, $e: String!) { createContact(input: {clientId: $c, name: $n, email: $e}) {
		contact { id portalStatus } } }`, vars{"c": clientID, "n": name, "e": email}).decode(t, &got)
	if got.CreateContact.Contact.PortalStatus != "NONE" {
		t.Fatalf("new contact = %+v", got.CreateContact.Contact)
	}
	return got.CreateContact.Contact.ID
}

// invitation is what inviteContact answered.
type invitation struct {
	Contact struct {
		ID              string  `json:"id"`
		PortalStatus    string  `json:"portalStatus"`
		InviteExpiresAt *string `json:"inviteExpiresAt"`
	} `json:"contact"`
	InviteLink string `json:"inviteLink"`
	ExpiresAt  string `json:"expiresAt"`
}

// token is the invitation token the link carries.
func (i invitation) token(t *testing.T) string {
	t.Helper()
	u, err := url.Parse(i.InviteLink)
	if err != nil {
		t.Fatalf("invite link %q: %v", i.InviteLink, err)
	}
	token := u.Query().Get("token")
	if token == "" {
		t.Fatalf("invite link %q carries no token", i.InviteLink)
	}
	return token
}

// invite invites a contact as the owner.
func (e *env) invite(t *testing.T, contactID string) invitation {
	t.Helper()
	var got struct {
		InviteContact invitation `json:"inviteContact"`
	}
	e.as(t, "owner", inviteDoc, vars{"id": contactID}).decode(t, &got)
	return got.InviteContact
}

func (e *env) accept(t *testing.T, token, password string) *response {
	t.Helper()
	return e.post(t, "", acceptDoc, vars{"token": token, "password": password})
}

// contactState is a contact as staff see its portal access.
type contactState struct {
	ID              string  `json:"id"`
	PortalStatus    string  `json:"portalStatus"`
	LastSeenAt      *string `json:"lastSeenAt"`
	InviteExpiresAt *string `json:"inviteExpiresAt"`
}

func (e *env) contact(t *testing.T, id string) contactState {
	t.Helper()
	var got struct {
		Node contactState `json:"node"`
	}
	e.as(t, "owner", contactDoc, vars{"id": id}).decode(t, &got)
	return got.Node
}

// portalViewer is who a portal token acts as.
type portalViewer struct {
	Audience string `json:"audience"`
	Preview  bool   `json:"preview"`
	Contact  idName `json:"contact"`
	Client   idName `json:"client"`
}

func (e *env) portalViewer(t *testing.T, token string) portalViewer {
	t.Helper()
	var got struct {
		Viewer portalViewer `json:"viewer"`
	}
	e.post(t, token, portalWho, nil).decode(t, &got)
	return got.Viewer
}

// staffUser is the staff member a token acts as.
func (e *env) staffUser(t *testing.T, token string) idName {
	t.Helper()
	var got struct {
		Viewer struct {
			Audience string `json:"audience"`
			User     idName `json:"user"`
		} `json:"viewer"`
	}
	e.post(t, token, staffWho, nil).decode(t, &got)
	if got.Viewer.Audience != "STAFF" {
		t.Fatalf("audience = %q, want STAFF", got.Viewer.Audience)
	}
	return got.Viewer.User
}

// assertSignedOut requires a token to be refused as no longer valid.
func (e *env) assertSignedOut(t *testing.T, token, message string) {
	t.Helper()
	assertRefused(t, e.post(t, token, viewerQuery, nil), http.StatusUnauthorized, "UNAUTHENTICATED", message)
}

// event is an activity event as staff review it.
type event struct {
	ID           string  `json:"id"`
	Action       string  `json:"action"`
	RecordType   string  `json:"recordType"`
	RecordID     string  `json:"recordId"`
	Summary      string  `json:"summary"`
	Preview      bool    `json:"preview"`
	CreatedAt    string  `json:"createdAt"`
	ActorUser    *idName `json:"actorUser"`
	ActorContact *idName `json:"actorContact"`
	Client       *idName `json:"client"`
}

type activityPage struct {
	TotalCount int `json:"totalCount"`
	PageInfo   struct {
		HasNextPage bool   `json:"hasNextPage"`
		EndCursor   string `json:"endCursor"`
	} `json:"pageInfo"`
	Edges []struct {
		Cursor string `json:"cursor"`
		Node   event  `json:"node"`
	} `json:"edges"`
}

func (p activityPage) events() []event {
	out := make([]event, len(p.Edges))
	for i, e := range p.Edges {
		out[i] = e.Node
	}
	return out
}

const activityDoc = `query($id: ID!, $filter: ActivityFilter, $first: Int, $after: String) { client(id: $id) {
	activity(filter: $filter, first: $first, after: $after) {
		totalCount pageInfo { hasNextPage endCursor }
		edges { cursor node { id action recordType recordId summary preview createdAt actorUser { id name } actorContact { id name } client { id name } } }
	} } }`

// activityPage reads one page of a client's activity as the owner.
func (e *env) activityPage(t *testing.T, clientID string, filter map[string]any, first int, after string) activityPage {
	t.Helper()
	v := vars{"id": clientID, "filter": filter, "first": first}
	if after != "" {
		v["after"] = after
	}
	var got struct {
		Client struct {
			Activity activityPage `json:"activity"`
		} `json:"client"`
	}
	e.as(t, "owner", activityDoc, v).decode(t, &got)
	return got.Client.Activity
}

// activity is a client's activity matching the filter, newest first (at
// most 100 events, which the tests never exceed).
func (e *env) activity(t *testing.T, clientID string, filter map[string]any) []event {
	t.Helper()
	p := e.activityPage(t, clientID, filter, 100, "")
	if p.PageInfo.HasNextPage || p.TotalCount != len(p.Edges) {
		t.Fatalf("activity of %s has more than one page: %d events", clientID, p.TotalCount)
	}
	return p.events()
}

// actions lists the events' actions and record IDs as "ACTION recordId".
func actions(events []event) []string {
	out := make([]string, len(events))
	for i, ev := range events {
		out[i] = ev.Action + " " + ev.RecordID
	}
	return out
}

// mail is a message waiting in the outbox.
type mail struct {
	Kind    string `db:"kind"`
	Subject string `db:"subject"`
	Body    string `db:"body"`
}

// mailTo lists the mail waiting for a recipient, oldest first.
func (e *env) mailTo(t *testing.T, recipient string) []mail {
	t.Helper()
	var out []mail
	if err := e.store.DB().Select(&out, e.store.DB().Rebind("SELECT kind, subject, body FROM outbox WHERE recipient = ? ORDER BY id"), recipient); err != nil {
		t.Fatalf("read outbox: %v", err)
	}
	return out
}

// inviteHashes lists what is stored of a contact's pending invitations.
func (e *env) inviteHashes(t *testing.T, contactID string) []string {
	t.Helper()
	var out []string
	if err := e.store.DB().Select(&out, e.store.DB().Rebind(
		"SELECT token_hash FROM invites WHERE contact_id = ? AND accepted_at IS NULL AND revoked_at IS NULL ORDER BY id"), contactID); err != nil {
		t.Fatalf("read invites: %v", err)
	}
	return out
}

// portalManageMutations are the mutations PORTAL_MANAGE gates, with inputs
// that succeed for the owner.
func portalManageMutations(e *env) []struct {
	name, query string
	vars        vars
} {
	f := e.f
	return []struct {
		name, query string
		vars        vars
	}{
		{"setClientPortal", setPortalDoc, vars{"in": map[string]any{"clientId": f.A.ID, "sections": map[string]any{"reports": false}}}},
		{"inviteContact", inviteDoc, vars{"id": f.AInvited.ID}},
		{"suspendContact", suspendDoc, vars{"id": f.AActive.ID}},
		{"restoreContact", restoreDoc, vars{"id": f.ASuspended.ID}},
		{"previewPortal", previewDoc, vars{"id": f.AActive.ID}},
	}
}

// Only OWNER and ADMIN hold PORTAL_MANAGE (internal/portal/roles.go): a
// MANAGER, MEMBER or VIEWER runs none of the portal-managing mutations and
// writes nothing trying; the owner runs each of them with the same inputs.
func TestPortalManagePermission(t *testing.T) {
	t.Parallel()
	run(t, func(t *testing.T, e *env) {
		for who, want := range map[string]bool{"owner": true, "manager": false, "member": false, "viewer": false} {
			var v struct {
				Viewer struct {
					Permissions []string `json:"permissions"`
				} `json:"viewer"`
			}
			e.as(t, who, `{ viewer { permissions } }`, nil).decode(t, &v)
			equal(t, who+" holds PORTAL_MANAGE", slices.Contains(v.Viewer.Permissions, "PORTAL_MANAGE"), want)
		}

		before := e.tableState(t)
		for _, m := range portalManageMutations(e) {
			for _, who := range []string{"manager", "member", "viewer"} {
				r := e.as(t, who, m.query, m.vars)
				got := r.onlyErrorAt(t, m.name, "FORBIDDEN")
				equal(t, who+" "+m.name, got.Message, portalManage)
				if !r.dataIsNull() {
					t.Errorf("%s %s: data = %s, want null", who, m.name, r.Data)
				}
			}
		}
		equal(t, "tables after the refusals", e.tableState(t), before)

		for _, m := range portalManageMutations(e) {
			var got map[string]map[string]any
			e.as(t, "owner", m.query, m.vars).decode(t, &got)
			if len(got[m.name]) == 0 {
				t.Errorf("owner %s: %v", m.name, got)
			}
		}
	})
}

// Turning a client's portal off, or one of its sections, takes effect on
// the portal's very next request; sections left out keep their setting;
// each change is in the client's activity.
func TestSetClientPortal(t *testing.T) {
	t.Parallel()
	run(t, func(t *testing.T, e *env) {
		f := e.f
		set := func(in map[string]any) map[string]any {
			t.Helper()
			in["clientId"] = f.A.ID
			var got struct {
				SetClientPortal struct {
					Client map[string]any `json:"client"`
				} `json:"setClientPortal"`
			}
			e.as(t, "owner", setPortalDoc, vars{"in": in}).decode(t, &got)
			return got.SetClientPortal.Client
		}
		settings := func(deliverables bool) map[string]bool {
			// The fixture's settings: every section but exports.
			return map[string]bool{"projects": true, "deliverables": deliverables, "approvals": true, "reports": true,
				"files": true, "exports": false, "requests": true}
		}
		assertFound(t, e, "aActive", "deliverable", f.DShared.ID)

		equal(t, "portal off", set(map[string]any{"enabled": false}), map[string]any{
			"id": f.A.ID, "portalEnabled": false, "portalStatus": "DISABLED", "portalSettings": settings(true),
		})
		assertRefused(t, e.as(t, "aActive", viewerQuery, nil), http.StatusUnauthorized, "UNAUTHENTICATED", notActive)
		assertAudience(t, e, "bActive", "PORTAL") // another client's portal is untouched

		equal(t, "portal on", set(map[string]any{"enabled": true}), map[string]any{
			"id": f.A.ID, "portalEnabled": true, "portalStatus": "ACTIVE", "portalSettings": settings(true),
		})
		assertAudience(t, e, "aActive", "PORTAL")

		equal(t, "deliverables hidden", set(map[string]any{"sections": map[string]any{"deliverables": false}}), map[string]any{
			"id": f.A.ID, "portalEnabled": true, "portalStatus": "ACTIVE", "portalSettings": settings(false),
		})
		assertNotFound(t, e, "aActive", lookup{"deliverable", portal.PrefixDeliverable}, f.DShared.ID)
		var lists struct {
			Deliverables conn[idName] `json:"deliverables"`
			Projects     conn[idName] `json:"projects"`
		}
		e.as(t, "aActive", `{ deliverables { totalCount } projects { totalCount } }`, nil).decode(t, &lists)
		equal(t, "portal lists with deliverables hidden", []int{lists.Deliverables.TotalCount, lists.Projects.TotalCount}, []int{0, 1})

		equal(t, "deliverables shown", set(map[string]any{"sections": map[string]any{"deliverables": true}})["portalSettings"], settings(true))
		assertFound(t, e, "aActive", "deliverable", f.DShared.ID)

		// Setting what is already set changes nothing and records nothing.
		events := e.count(t, "activity_events")
		set(map[string]any{"enabled": true, "sections": map[string]any{"projects": true}})
		equal(t, "events after a no-op", e.count(t, "activity_events"), events)

		var updates []string
		for _, ev := range e.activity(t, f.A.ID, map[string]any{"actions": []string{"PORTAL_UPDATED"}}) {
			if ev.ActorUser == nil || ev.ActorUser.ID != f.Owner.ID || ev.RecordID != f.A.ID || ev.RecordType != "CLIENT" {
				t.Errorf("portal update event %+v", ev)
			}
			updates = append(updates, ev.Summary)
		}
		equal(t, "portal updates, newest first", updates, []string{
			"Changed the portal's sections", "Changed the portal's sections", "Turned the portal on", "Turned the portal off",
		})

		// An unknown client, or one of another workspace, is not found.
		for _, id := range []string{f.X.ID, "cli_nope"} {
			r := e.as(t, "owner", setPortalDoc, vars{"in": map[string]any{"clientId": id, "enabled": true}})
			r.onlyErrorAt(t, "setClientPortal", "NOT_FOUND")
		}
	})
}

// A client's portal status is one value: Client.portalStatus,
// portalOverview.status and the clients filter agree, for every status.
func TestClientPortalStatus(t *testing.T) {
	t.Parallel()
	run(t, func(t *testing.T, e *env) {
		type overview struct {
			Status            string  `json:"status"`
			ActiveContacts    int     `json:"activeContacts"`
			InvitedContacts   int     `json:"invitedContacts"`
			SuspendedContacts int     `json:"suspendedContacts"`
			LastSeenAt        *string `json:"lastSeenAt"`
			PendingApprovals  int     `json:"pendingApprovals"`
		}
		type client struct {
			Name           string   `json:"name"`
			PortalStatus   string   `json:"portalStatus"`
			PortalOverview overview `json:"portalOverview"`
		}
		all := func() map[string]client {
			t.Helper()
			var got struct {
				Clients conn[client] `json:"clients"`
			}
			e.as(t, "owner", `{ clients(orderBy: {field: NAME}) { edges { node { name portalStatus portalOverview {
				status activeContacts invitedContacts suspendedContacts lastSeenAt pendingApprovals } } } } }`, nil).decode(t, &got)
			out := map[string]client{}
			for _, c := range got.Clients.nodes() {
				if c.PortalStatus != c.PortalOverview.Status {
					t.Errorf("%s: portalStatus %s, portalOverview.status %s", c.Name, c.PortalStatus, c.PortalOverview.Status)
				}
				out[c.Name] = c
			}
			return out
		}
		filtered := func(statuses ...string) []string {
			t.Helper()
			var got struct {
				Clients conn[idName] `json:"clients"`
			}
			e.as(t, "owner", `query($s: [ClientPortalStatus!]) { clients(filter: {portalStatus: $s}, orderBy: {field: NAME}) {
				totalCount edges { node { id name } } } }`, vars{"s": statuses}).decode(t, &got)
			var names []string
			for _, c := range got.Clients.nodes() {
				names = append(names, c.Name)
			}
			if got.Clients.TotalCount != len(names) {
				t.Errorf("filter %v: totalCount %d, %d edges", statuses, got.Clients.TotalCount, len(names))
			}
			return names
		}
		// Every client is in exactly the filter of its status.
		agree := func(want map[string]string) {
			t.Helper()
			got := all()
			byStatus := map[string][]string{}
			for name, c := range got {
				equal(t, name+" status", c.PortalStatus, want[name])
				byStatus[c.PortalStatus] = append(byStatus[c.PortalStatus], name)
			}
			for _, s := range []string{"DISABLED", "ENABLED", "INVITED", "ACTIVE"} {
				equal(t, "clients "+s, filtered(s), sorted(byStatus[s]))
			}
		}

		got := all()
		equal(t, "Acme", got["Acme"].PortalOverview, overview{"ACTIVE", 1, 1, 1, nil, 1})
		equal(t, "Bolt", got["Bolt"].PortalOverview, overview{"ACTIVE", 1, 0, 0, nil, 1})
		// Cobalt's contact has access, but the portal is off.
		equal(t, "Cobalt", got["Cobalt"].PortalOverview, overview{"DISABLED", 1, 0, 0, nil, 0})
		agree(map[string]string{"Acme": "ACTIVE", "Bolt": "ACTIVE", "Cobalt": "DISABLED"})
		equal(t, "ACTIVE or DISABLED", filtered("ACTIVE", "DISABLED"), []string{"Acme", "Bolt", "Cobalt"})
		equal(t, "no filter value", filtered(), []string{"Acme", "Bolt", "Cobalt"})

		var created struct {
			CreateClient struct {
				Client idName `json:"client"`
			} `json:"createClient"`
		}
		e.as(t, "owner", `mutation { createClient(input: {name: "Delta"}) { client { id name } } }`, nil).decode(t, &created)
		delta := created.CreateClient.Client.ID
		agree(map[string]string{"Acme": "ACTIVE", "Bolt": "ACTIVE", "Cobalt": "DISABLED", "Delta": "DISABLED"})

		e.as(t, "owner", setPortalDoc, vars{"in": map[string]any{"clientId": delta, "enabled": true}}).decode(t, &map[string]any{})
		dana := e.newContact(t, delta, "Dana Delta", "dana@delta.example")
		agree(map[string]string{"Acme": "ACTIVE", "Bolt": "ACTIVE", "Cobalt": "DISABLED", "Delta": "ENABLED"})
		equal(t, "Delta enabled", all()["Delta"].PortalOverview, overview{"ENABLED", 0, 0, 0, nil, 0})

		e.invite(t, dana)
		agree(map[string]string{"Acme": "ACTIVE", "Bolt": "ACTIVE", "Cobalt": "DISABLED", "Delta": "INVITED"})
		equal(t, "Delta invited", all()["Delta"].PortalOverview, overview{"INVITED", 0, 1, 0, nil, 0})
		equal(t, "INVITED or ENABLED", filtered("INVITED", "ENABLED"), []string{"Delta"})

		// The filter composes with the others.
		var both struct {
			Clients conn[idName] `json:"clients"`
		}
		e.as(t, "owner", `{ clients(filter: {portalStatus: [ACTIVE, INVITED], status: [LEAD]}) { totalCount edges { node { id name } } } }`, nil).decode(t, &both)
		equal(t, "INVITED leads", both.Clients.nodes(), []idName{{delta, "Delta"}})

		// Turning the portal off disables it whoever was invited.
		e.as(t, "owner", setPortalDoc, vars{"in": map[string]any{"clientId": delta, "enabled": false}}).decode(t, &map[string]any{})
		agree(map[string]string{"Acme": "ACTIVE", "Bolt": "ACTIVE", "Cobalt": "DISABLED", "Delta": "DISABLED"})
		equal(t, "Delta disabled", all()["Delta"].PortalOverview, overview{"DISABLED", 0, 1, 0, nil, 0})
	})
}

// The invitation as the people involved live it: staff add a contact and
// invite them, the mail waits in the outbox with the link, the contact
// opens it and chooses a password, and is signed in to their client's
// portal. A link works once; inviting again replaces it; an expired one is
// refused like any other bad link; a contact with access is not invited.
func TestInviteJourney(t *testing.T) {
	t.Parallel()
	run(t, func(t *testing.T, e *env) {
		f := e.f
		nora := e.newContact(t, f.A.ID, "Nora New", "nora@acme.example")
		equal(t, "before the invitation", e.contact(t, nora), contactState{ID: nora, PortalStatus: "NONE"})
		outboxBefore := len(e.outbox(t))

		inv := e.invite(t, nora)
		if !strings.HasPrefix(inv.InviteLink, "http://localhost:8080/portal/accept-invite?token=") {
			t.Errorf("invite link = %q", inv.InviteLink)
		}
		expires := assertAbout(t, "expiresAt", inv.ExpiresAt, 7*24*time.Hour)
		equal(t, "invited contact", inv.Contact, map[string]any{"id": nora, "portalStatus": "INVITED", "inviteExpiresAt": inv.ExpiresAt})
		equal(t, "contact after the invitation", e.contact(t, nora), contactState{ID: nora, PortalStatus: "INVITED", InviteExpiresAt: &inv.ExpiresAt})
		if !expires.After(time.Now()) {
			t.Errorf("expiresAt %s is not in the future", expires)
		}

		// One mail, to the contact, carrying the link; the token is kept
		// only as its hash.
		mail := e.mailTo(t, "nora@acme.example")
		equal(t, "outbox rows", len(e.outbox(t))-outboxBefore, 1)
		equal(t, "invitation mail", []string{mail[0].Kind, mail[0].Subject}, []string{"PORTAL_INVITATION", "You are invited to the Acme portal"})
		if !strings.Contains(mail[0].Body, inv.InviteLink) {
			t.Errorf("the mail does not carry the link %q:\n%s", inv.InviteLink, mail[0].Body)
		}
		equal(t, "stored invitation", e.inviteHashes(t, nora), []string{auth.HashToken(inv.token(t))})

		// An invalid password is refused before the invitation is used.
		r := e.accept(t, inv.token(t), "short")
		equal(t, "short password", r.onlyErrorAt(t, "acceptInvite", "BAD_USER_INPUT").fields(), []string{"input.password: must be at least 10 characters long"})

		// Inviting again before acceptance replaces the link.
		again := e.invite(t, nora)
		if again.InviteLink == inv.InviteLink {
			t.Fatal("inviting again kept the link")
		}
		equal(t, "mail after inviting again", len(e.mailTo(t, "nora@acme.example")), 2)
		equal(t, "contact after inviting again", e.contact(t, nora).InviteExpiresAt, &again.ExpiresAt)
		r = e.accept(t, inv.token(t), aPassword)
		equal(t, "the replaced link", r.onlyErrorAt(t, "acceptInvite", "UNAUTHENTICATED").Message, badInvite)

		s := e.accept(t, again.token(t), aPassword).session(t, "acceptInvite", 24*time.Hour)
		equal(t, "audience", s.Audience, "PORTAL")
		equal(t, "signed in as", e.portalViewer(t, s.Token), portalViewer{
			Audience: "PORTAL", Contact: idName{nora, "Nora New"}, Client: idName{f.A.ID, "Acme"},
		})
		var projects struct {
			Projects conn[idName] `json:"projects"`
		}
		e.post(t, s.Token, `{ projects { edges { node { id name } } } }`, nil).decode(t, &projects)
		equal(t, "Nora's projects", projects.Projects.nodes(), []idName{{f.AShared.ID, "Acme shared"}})
		equal(t, "contact after accepting", e.contact(t, nora), contactState{ID: nora, PortalStatus: "ACTIVE"})

		// The link worked once.
		r = e.accept(t, again.token(t), aPassword+"!")
		equal(t, "the used link", r.onlyErrorAt(t, "acceptInvite", "UNAUTHENTICATED").Message, badInvite)
		r = e.accept(t, "not-a-token", aPassword)
		equal(t, "a made-up link", r.onlyErrorAt(t, "acceptInvite", "UNAUTHENTICATED").Message, badInvite)

		// The password chosen signs Nora in from now on.
		equal(t, "logIn after accepting", e.logIn(t, "nora@acme.example", aPassword).session(t, "logIn", 24*time.Hour).Audience, "PORTAL")

		// A contact with access, or a suspended one, is not invited; nor is
		// one of a client whose portal is off.
		cleo := e.newContact(t, f.C.ID, "Cleo Cobalt", "cleo@cobalt.example")
		before := e.tableState(t)
		for _, c := range []struct{ id, message string }{
			{nora, "Nora New already has portal access"},
			{f.AActive.ID, "Ann Active already has portal access"},
			{f.ASuspended.ID, "Sid Suspended's access is suspended: restore it instead"},
			{cleo, "turn on Cobalt's portal before inviting its contacts"},
		} {
			r := e.as(t, "owner", inviteDoc, vars{"id": c.id})
			equal(t, "invite "+c.id, r.onlyErrorAt(t, "inviteContact", "CONFLICT").Message, c.message)
		}
		equal(t, "tables after the conflicts", e.tableState(t), before)

		var invited []string
		for _, ev := range e.activity(t, f.A.ID, map[string]any{"actions": []string{"CONTACT_INVITED", "INVITE_ACCEPTED", "LOGGED_IN"}}) {
			who := ""
			if ev.ActorUser != nil {
				who = ev.ActorUser.Name
			}
			if ev.ActorContact != nil {
				who = ev.ActorContact.Name
			}
			invited = append(invited, ev.Action+" by "+who)
		}
		equal(t, "invitation activity, newest first", invited, []string{
			"LOGGED_IN by Nora New", "INVITE_ACCEPTED by Nora New", "CONTACT_INVITED by Olivia Owner", "CONTACT_INVITED by Olivia Owner",
		})
	})
}

// An expired invitation is refused exactly like a used or made-up one,
// and leaves the contact invited, to be invited again.
func TestExpiredInvite(t *testing.T) {
	t.Parallel()
	run(t, func(t *testing.T, e *env) {
		f := e.f
		eve := e.newContact(t, f.A.ID, "Eve Expired", "eve@acme.example")
		inv := e.invite(t, eve)
		past := time.Now().UTC().Add(-time.Minute).Truncate(time.Second)
		e.exec(t, `UPDATE invites SET expires_at = ? WHERE contact_id = ?`, past, eve)

		// Staff see the invitation has expired.
		st := e.contact(t, eve)
		equal(t, "expired invitation's contact", st.PortalStatus, "INVITED")
		if st.InviteExpiresAt == nil || assertAbout(t, "inviteExpiresAt", *st.InviteExpiresAt, -time.Minute).After(time.Now()) {
			t.Errorf("inviteExpiresAt = %v, want a time past", st.InviteExpiresAt)
		}

		before := e.tableState(t)
		r := e.accept(t, inv.token(t), aPassword)
		got := r.onlyErrorAt(t, "acceptInvite", "UNAUTHENTICATED")
		equal(t, "expired link", got.Message, badInvite)
		if !r.dataIsNull() {
			t.Errorf("data = %s", r.Data)
		}
		// The only trace is the failed attempt, counted for throttling
		// guesses from the caller's address.
		after := e.tableState(t)
		failures, _ := after["login_failures"].([]map[string]any)
		if len(failures) != 1 || failures[0]["key"] != "invite-addr:127.0.0.1" {
			t.Errorf("login failures after the expired link = %v, want one for the address", after["login_failures"])
		}
		delete(after, "login_failures")
		delete(before, "login_failures")
		equal(t, "tables after the expired link", after, before)

		again := e.invite(t, eve)
		s := e.accept(t, again.token(t), aPassword).session(t, "acceptInvite", 24*time.Hour)
		equal(t, "Eve signed in", e.portalViewer(t, s.Token).Contact, idName{eve, "Eve Expired"})
	})
}

// Every portal access state of a contact, and what it allows: whether
// they may sign in, be invited, be previewed, be suspended or restored.
func TestContactStates(t *testing.T) {
	t.Parallel()
	run(t, func(t *testing.T, e *env) {
		f := e.f
		none := e.newContact(t, f.A.ID, "Nell None", "nell@acme.example")
		invited := e.newContact(t, f.A.ID, "Ian Invited", "ian@acme.example")
		e.invite(t, invited)
		expired := e.newContact(t, f.A.ID, "Eve Expired", "eve@acme.example")
		e.invite(t, expired)
		e.exec(t, `UPDATE invites SET expires_at = ? WHERE contact_id = ?`, time.Now().UTC().Add(-time.Minute), expired)
		e.setPassword(t, "contacts", f.AActive.ID, aPassword)
		e.setPassword(t, "contacts", f.ASuspended.ID, aPassword)

		for _, c := range []struct {
			state, id, email, status string
			invite                   string // "" when inviting succeeds, else the CONFLICT
		}{
			{"none", none, "nell@acme.example", "NONE", ""},
			{"invited", invited, "ian@acme.example", "INVITED", ""},
			{"expired invite", expired, "eve@acme.example", "INVITED", ""},
			{"active", f.AActive.ID, "ann@acme.example", "ACTIVE", "Ann Active already has portal access"},
			{"suspended", f.ASuspended.ID, "sid@acme.example", "SUSPENDED", "Sid Suspended's access is suspended: restore it instead"},
		} {
			t.Run(c.state, func(t *testing.T) {
				equal(t, "portalStatus", e.contact(t, c.id).PortalStatus, c.status)

				// Only an active contact signs in; the others get the one
				// message a wrong password gets.
				r := e.logIn(t, c.email, aPassword)
				if c.status == "ACTIVE" {
					equal(t, "signed in", e.portalViewer(t, r.session(t, "logIn", 24*time.Hour).Token).Contact.ID, c.id)
				} else {
					equal(t, "logIn", r.onlyErrorAt(t, "logIn", "UNAUTHENTICATED").Message, badLogIn)
				}

				// A preview needs the contact, not their access.
				var p struct {
					PreviewPortal struct {
						Contact map[string]any `json:"contact"`
					} `json:"previewPortal"`
				}
				e.as(t, "owner", previewDoc, vars{"id": c.id}).decode(t, &p)
				equal(t, "previewed contact's status", p.PreviewPortal.Contact["portalStatus"], c.status)

				// Restoring is for suspended contacts only.
				if c.status != "SUSPENDED" {
					r := e.as(t, "owner", restoreDoc, vars{"id": c.id})
					r.onlyErrorAt(t, "restoreContact", "CONFLICT")
				}

				if c.invite != "" {
					r := e.as(t, "owner", inviteDoc, vars{"id": c.id})
					equal(t, "invite", r.onlyErrorAt(t, "inviteContact", "CONFLICT").Message, c.invite)
				} else {
					equal(t, "invited", e.invite(t, c.id).Contact.PortalStatus, "INVITED")
				}
			})
		}
	})
}

// Staff and contacts sign in with email and password; a wrong password and
// an unknown email are answered alike; signing out ends that session only;
// signing in is for callers without credentials.
func TestLogInAndOut(t *testing.T) {
	t.Parallel()
	run(t, func(t *testing.T, e *env) {
		f := e.f
		e.setPassword(t, "users", f.Owner.ID, aPassword)
		e.setPassword(t, "contacts", f.AActive.ID, aPassword)

		staff := e.logIn(t, "  Owner@W1.example ", aPassword).session(t, "logIn", 24*time.Hour)
		equal(t, "staff audience", staff.Audience, "STAFF")
		equal(t, "staff session", e.staffUser(t, staff.Token), idName{f.Owner.ID, "Olivia Owner"})
		ann := e.logIn(t, "ann@acme.example", aPassword).session(t, "logIn", 24*time.Hour)
		equal(t, "portal audience", ann.Audience, "PORTAL")
		equal(t, "portal session", e.portalViewer(t, ann.Token), portalViewer{
			Audience: "PORTAL", Contact: idName{f.AActive.ID, "Ann Active"}, Client: idName{f.A.ID, "Acme"},
		})

		// A sign-in is portal activity of the contact's client; a staff
		// member's belongs to no client.
		logins := e.activity(t, f.A.ID, map[string]any{"actions": []string{"LOGGED_IN"}})
		equal(t, "sign-ins in Acme's activity", actions(logins), []string{"LOGGED_IN " + f.AActive.ID})
		equal(t, "sign-in actor", logins[0].ActorContact, &idName{f.AActive.ID, "Ann Active"})

		// Wrong password, unknown email, an account without a password, a
		// contact whose client's portal is off: one answer.
		e.setPassword(t, "contacts", f.CActive.ID, aPassword)
		for _, c := range []struct{ email, password string }{
			{"owner@w1.example", "wrong password"}, {"ann@acme.example", "wrong password"},
			{"nobody@w1.example", aPassword}, {"manager@w1.example", aPassword}, {"cal@cobalt.example", aPassword},
		} {
			r := e.logIn(t, c.email, c.password)
			got := r.onlyErrorAt(t, "logIn", "UNAUTHENTICATED")
			equal(t, c.email+" message", got.Message, badLogIn)
			if !r.dataIsNull() || r.Status != http.StatusOK {
				t.Errorf("%s: HTTP %d, data %s", c.email, r.Status, r.Data)
			}
		}

		// Not a byte tells an unknown email from a wrong password.
		wrong, unknown := e.logIn(t, "owner@w1.example", "wrong password"), e.logIn(t, "nobody@w1.example", "wrong password")
		equal(t, "unknown email vs wrong password", string(unknown.Raw), string(wrong.Raw))

		// An email with accounts in two workspaces names the workspace.
		e.exec(t, `UPDATE users SET email = 'owner@w1.example' WHERE id = ?`, f.Owner2.ID)
		e.setPassword(t, "users", f.Owner2.ID, aPassword)
		r := e.logIn(t, "owner@w1.example", aPassword)
		equal(t, "two workspaces", r.onlyErrorAt(t, "logIn", "BAD_USER_INPUT").fields(),
			[]string{"input.workspace: this email signs in to several workspaces: name one by its slug"})
		const logInTo = `mutation($w: String!) { logIn(input: {email: "owner@w1.example", password: "` + aPassword + `", workspace: $w}) { token expiresAt audience } }`
		for slug, want := range map[string]idName{"w1": {f.Owner.ID, "Olivia Owner"}, "w2": {f.Owner2.ID, "Oscar Other"}} {
			s := e.post(t, "", logInTo, vars{"w": slug}).session(t, "logIn", 24*time.Hour)
			equal(t, "signed in to "+slug, e.staffUser(t, s.Token), want)
		}
		r = e.post(t, "", logInTo, vars{"w": "w3"})
		equal(t, "unknown workspace", r.onlyErrorAt(t, "logIn", "UNAUTHENTICATED").Message, badLogIn)
		e.exec(t, `UPDATE users SET email = 'oscar@w2.example' WHERE id = ?`, f.Owner2.ID)

		// Signing out ends that session only.
		staff2 := e.logIn(t, "owner@w1.example", aPassword).session(t, "logIn", 24*time.Hour)
		ann2 := e.logIn(t, "ann@acme.example", aPassword).session(t, "logIn", 24*time.Hour)
		for _, s := range []struct{ ended, other session }{{staff, staff2}, {ann, ann2}} {
			var out struct {
				LogOut struct {
					Ok bool `json:"ok"`
				} `json:"logOut"`
			}
			e.post(t, s.ended.Token, logOutDoc, nil).decode(t, &out)
			equal(t, s.ended.Audience+" logOut", out.LogOut.Ok, true)
			e.assertSignedOut(t, s.ended.Token, badToken)
			assertAudienceOf(t, e, s.other.Token, s.other.Audience)
		}
		assertAudience(t, e, "owner", "STAFF")
		assertAudience(t, e, "aActive", "PORTAL")

		// A session expires.
		e.exec(t, `UPDATE tokens SET expires_at = ? WHERE kind = 'SESSION' AND user_id = ?`, time.Now().UTC().Add(-time.Second), f.Owner.ID)
		e.assertSignedOut(t, staff2.Token, badToken)

		// Signing in and accepting invitations exist for callers without
		// credentials only.
		for _, c := range []struct{ who, query, message string }{
			{"owner", logInDoc, `Cannot query field "logIn" on type "Mutation".`},
			{"aActive", logInDoc, `Cannot query field "logIn" on type "Mutation".`},
			{"owner", acceptDoc, `Cannot query field "acceptInvite" on type "Mutation".`},
			{"aActive", acceptDoc, `Cannot query field "acceptInvite" on type "Mutation".`},
		} {
			r := e.as(t, c.who, c.query, vars{"email": "owner@w1.example", "token": "x", "password": aPassword})
			got := r.only(t)
			equal(t, c.who+" error", []string{got.Extensions.Code, got.Message}, []string{"GRAPHQL_VALIDATION_FAILED", c.message})
			equal(t, c.who+" status", r.Status, http.StatusUnprocessableEntity)
		}
	})
}

func assertAudienceOf(t *testing.T, e *env, token, want string) {
	t.Helper()
	var got struct {
		Viewer struct {
			Audience string `json:"audience"`
		} `json:"viewer"`
	}
	e.post(t, token, viewerQuery, nil).decode(t, &got)
	equal(t, "audience", got.Viewer.Audience, want)
}

// from returns an HTTP client whose connections come from a loopback
// address of the test's choosing, so throttling by address can be told
// from throttling by email.
func from(t *testing.T, addr string) *http.Client {
	t.Helper()
	local := &net.TCPAddr{IP: net.ParseIP(addr)}
	if l, err := net.ListenTCP("tcp", local); err != nil {
		t.Skipf("cannot use loopback address %s here: %v", addr, err)
	} else {
		l.Close()
	}
	dialer := &net.Dialer{LocalAddr: local}
	transport := &http.Transport{DialContext: dialer.DialContext}
	t.Cleanup(transport.CloseIdleConnections)
	return &http.Client{Transport: transport}
}

func (e *env) logInFrom(t *testing.T, client *http.Client, email, password string) *response {
	t.Helper()
	return e.postVia(t, client, "", logInDoc, vars{"email": email, "password": password})
}

// throttled are the holds of ten failed sign-ins in a row for one account
// from one address: none for the first three, then doubling from a
// quarter second up to four seconds.
var throttled = []time.Duration{
	0, 0, 0, 250 * time.Millisecond, 500 * time.Millisecond, time.Second, 2 * time.Second, 4 * time.Second, 4 * time.Second, 4 * time.Second,
}

// spread are the holds of ten failed sign-ins for one account, each from
// a new address: none for the first five, then doubling up to two
// seconds, which is as long as an account's failures ever hold anyone.
var spread = []time.Duration{
	0, 0, 0, 0, 0, 250 * time.Millisecond, 500 * time.Millisecond, time.Second, 2 * time.Second, 2 * time.Second,
}

// signInChecks are the checks of the throttling tests, over HTTP, each
// attempt made with a client of the test's choosing.
type signInChecks struct {
	t *testing.T
	e *env
}

// fail makes n attempts with a wrong password, all refused as a bad
// password would be, and returns their holds.
func (c signInChecks) fail(client *http.Client, email string, n int) []time.Duration {
	c.t.Helper()
	for i := range n {
		r := c.e.logInFrom(c.t, client, email, "wrong password")
		equal(c.t, fmt.Sprintf("%s attempt %d", email, i+1), r.onlyErrorAt(c.t, "logIn", "UNAUTHENTICATED").Message, badLogIn)
	}
	return c.e.holds.take()
}

// refused checks that an attempt is refused at once: no password check,
// so no hold.
func (c signInChecks) refused(r *response, what string) {
	c.t.Helper()
	got := r.onlyErrorAt(c.t, "logIn", "RATE_LIMITED")
	equal(c.t, what+" refused", got.Message, "too many failed attempts: try again in 15 minutes")
	equal(c.t, what+" holds when refused", c.e.holds.take(), []time.Duration(nil))
}

// signedIn checks that an attempt signed in, held as long as want.
func (c signInChecks) signedIn(r *response, what string, want time.Duration) session {
	c.t.Helper()
	s := r.session(c.t, "logIn", 24*time.Hour)
	equal(c.t, what+" held", c.e.holds.take(), []time.Duration{want})
	return s
}

// The attack of the bug report, over HTTP: wrong passwords for a known
// email from many addresses slow the owner, but never stop them signing
// in from an address that has not failed. What is refused is an address
// guessing one account, or spraying many; an email without an account
// answers and is held exactly alike (no oracle).
func TestLogInThrottling(t *testing.T) {
	t.Parallel()
	run(t, func(t *testing.T, e *env) {
		f := e.f
		e.setPassword(t, "users", f.Owner.ID, aPassword)
		e.setPassword(t, "users", f.Manager.ID, aPassword)
		e.setPassword(t, "contacts", f.AActive.ID, aPassword)
		e.holds.take()
		c := signInChecks{t, e}

		// Ten wrong passwords for the owner, each from a new address;
		// then the owner, from an address of their own.
		var known []time.Duration
		for i := range 10 {
			known = append(known, c.fail(from(t, fmt.Sprintf("127.0.1.%d", i+1)), "owner@w1.example", 1)...)
		}
		equal(t, "holds for a known email", known, spread)
		c.signedIn(e.logInFrom(t, from(t, "127.0.2.1"), "owner@w1.example", aPassword), "the owner", 2*time.Second)

		// An email without an account: the same answers, the same holds.
		var unknown []time.Duration
		for i := range 10 {
			unknown = append(unknown, c.fail(from(t, fmt.Sprintf("127.0.3.%d", i+1)), "nobody@w1.example", 1)...)
		}
		equal(t, "holds for an unknown email", unknown, spread)
		equal(t, "an unknown email from a new address", c.fail(from(t, "127.0.2.2"), "nobody@w1.example", 1), []time.Duration{2 * time.Second})

		// One address guessing one account is refused there, the right
		// password too; the manager signs in from elsewhere.
		guesser := from(t, "127.0.4.1")
		equal(t, "holds for one address", c.fail(guesser, "manager@w1.example", 10), throttled)
		c.refused(e.logInFrom(t, guesser, "manager@w1.example", aPassword), "the manager at the guesser's address")
		c.signedIn(e.logInFrom(t, from(t, "127.0.4.2"), "manager@w1.example", aPassword), "the manager elsewhere", 2*time.Second)

		// One address at many accounts (spraying) is slowed from 20
		// failures and refused from 50, for any account; Ann, from
		// elsewhere, is not held up.
		sprayer := from(t, "127.0.5.1")
		var sprayed []time.Duration
		for i := range 50 {
			sprayed = append(sprayed, c.fail(sprayer, fmt.Sprintf("guess%d@w1.example", i), 1)...)
		}
		wantSprayed := append(make([]time.Duration, 20), 250*time.Millisecond, 500*time.Millisecond, time.Second, 2*time.Second)
		for len(wantSprayed) < 50 {
			wantSprayed = append(wantSprayed, 4*time.Second)
		}
		equal(t, "holds for a sprayer", sprayed, wantSprayed)
		c.refused(e.logInFrom(t, sprayer, "ann@acme.example", aPassword), "Ann at the sprayer's address")
		c.signedIn(e.logInFrom(t, from(t, "127.0.5.2"), "ann@acme.example", aPassword), "Ann elsewhere", 0)

		// A successful sign-in forgets the account's failures from that
		// address.
		ann := from(t, "127.0.6.1")
		equal(t, "Ann's failures", c.fail(ann, "ann@acme.example", 4), throttled[:4])
		c.signedIn(e.logInFrom(t, ann, "ann@acme.example", aPassword), "Ann after her failures", throttled[4])
		equal(t, "after the success", c.fail(ann, "ann@acme.example", 1), []time.Duration{0})
	})
}

// Failures count per workspace: failures for one workspace's account do
// not hold or refuse another workspace's account of the same email,
// named or found without a slug, from anywhere, the guesser's address
// too.
func TestLogInThrottlingPerWorkspace(t *testing.T) {
	t.Parallel()
	run(t, func(t *testing.T, e *env) {
		f := e.f
		const otherPassword = "oscar's other password"
		e.setPassword(t, "users", f.Owner.ID, aPassword)
		e.exec(t, `UPDATE users SET email = 'owner@w1.example' WHERE id = ?`, f.Owner2.ID)
		e.setPassword(t, "users", f.Owner2.ID, otherPassword)
		e.holds.take()
		c := signInChecks{t, e}
		const logInTo = `mutation($email: String!, $password: String!, $w: String) {
			logIn(input: {email: $email, password: $password, workspace: $w}) { token expiresAt audience } }`
		attempt := func(client *http.Client, password, workspace string) *response {
			t.Helper()
			return e.postVia(t, client, "", logInTo, vars{"email": "owner@w1.example", "password": password, "w": workspace})
		}

		// w1's account, from many addresses.
		var held []time.Duration
		for i := range 10 {
			r := attempt(from(t, fmt.Sprintf("127.0.7.%d", i+1)), "wrong password", "w1")
			equal(t, "w1 attempt", r.onlyErrorAt(t, "logIn", "UNAUTHENTICATED").Message, badLogIn)
			held = append(held, e.holds.take()...)
		}
		equal(t, "holds for w1's account", held, spread)
		s := c.signedIn(attempt(from(t, "127.0.8.1"), otherPassword, "w2"), "w2's account", 0)
		equal(t, "signed in to w2", e.staffUser(t, s.Token), idName{f.Owner2.ID, "Oscar Other"})
		s = c.signedIn(attempt(from(t, "127.0.8.2"), otherPassword, ""), "w2's account without a slug", 0)
		equal(t, "signed in without a slug", e.staffUser(t, s.Token), idName{f.Owner2.ID, "Oscar Other"})
		s = c.signedIn(attempt(from(t, "127.0.8.3"), aPassword, "w1"), "w1's account", 2*time.Second)
		equal(t, "signed in to w1", e.staffUser(t, s.Token), idName{f.Owner.ID, "Olivia Owner"})

		// w1's account from one address, until refused there; w2's
		// account is not held there.
		guesser := from(t, "127.0.9.1")
		for range 10 {
			r := attempt(guesser, "wrong password", "w1")
			equal(t, "w1 attempt", r.onlyErrorAt(t, "logIn", "UNAUTHENTICATED").Message, badLogIn)
		}
		e.holds.take()
		c.refused(attempt(guesser, aPassword, "w1"), "w1's account at the guesser's address")
		c.signedIn(attempt(guesser, otherPassword, "w2"), "w2's account at the guesser's address", 0)
	})
}

// Suspending a contact ends every session of theirs at once; restoring
// brings access back for new sign-ins, never for the ended sessions.
func TestSuspendAndRestore(t *testing.T) {
	t.Parallel()
	run(t, func(t *testing.T, e *env) {
		f := e.f
		e.setPassword(t, "contacts", f.AActive.ID, aPassword)
		s1 := e.logIn(t, "ann@acme.example", aPassword).session(t, "logIn", 24*time.Hour)
		s2 := e.logIn(t, "ann@acme.example", aPassword).session(t, "logIn", 24*time.Hour)
		tokens := []string{s1.Token, s2.Token, f.Tokens["aActive"]}
		for _, tok := range tokens {
			assertAudienceOf(t, e, tok, "PORTAL")
		}

		var got struct {
			SuspendContact struct {
				Contact map[string]any `json:"contact"`
			} `json:"suspendContact"`
		}
		e.as(t, "owner", suspendDoc, vars{"id": f.AActive.ID}).decode(t, &got)
		equal(t, "suspended", got.SuspendContact.Contact, map[string]any{"id": f.AActive.ID, "portalStatus": "SUSPENDED"})
		for _, tok := range tokens {
			e.assertSignedOut(t, tok, badToken)
		}
		var live int
		if err := e.store.DB().Get(&live, e.store.DB().Rebind(`SELECT COUNT(*) FROM tokens WHERE contact_id = ? AND revoked_at IS NULL`), f.AActive.ID); err != nil {
			t.Fatal(err)
		}
		equal(t, "Ann's unrevoked tokens", live, 0)
		assertAudience(t, e, "bActive", "PORTAL")

		// Suspending again changes nothing.
		events := e.count(t, "activity_events")
		e.as(t, "owner", suspendDoc, vars{"id": f.AActive.ID}).decode(t, &got)
		equal(t, "events after suspending again", e.count(t, "activity_events"), events)

		// A suspended contact does not sign in, with the right password.
		r := e.logIn(t, "ann@acme.example", aPassword)
		equal(t, "suspended sign-in", r.onlyErrorAt(t, "logIn", "UNAUTHENTICATED").Message, badLogIn)

		var restored struct {
			RestoreContact struct {
				Contact map[string]any `json:"contact"`
			} `json:"restoreContact"`
		}
		e.as(t, "owner", restoreDoc, vars{"id": f.AActive.ID}).decode(t, &restored)
		equal(t, "restored", restored.RestoreContact.Contact, map[string]any{"id": f.AActive.ID, "portalStatus": "ACTIVE"})
		for _, tok := range tokens {
			e.assertSignedOut(t, tok, badToken)
		}
		s3 := e.logIn(t, "ann@acme.example", aPassword).session(t, "logIn", 24*time.Hour)
		equal(t, "signed in again", e.portalViewer(t, s3.Token).Contact, idName{f.AActive.ID, "Ann Active"})
		r = e.as(t, "owner", restoreDoc, vars{"id": f.AActive.ID})
		equal(t, "restore an active contact", r.onlyErrorAt(t, "restoreContact", "CONFLICT").Message, "Ann Active's access is not suspended")

		// Suspending an invited contact ends the invitation too; restored,
		// they have no access until invited again.
		ian := e.newContact(t, f.A.ID, "Ian Invited", "ian@acme.example")
		inv := e.invite(t, ian)
		e.as(t, "owner", suspendDoc, vars{"id": ian}).decode(t, &got)
		r = e.accept(t, inv.token(t), aPassword)
		equal(t, "suspended contact's link", r.onlyErrorAt(t, "acceptInvite", "UNAUTHENTICATED").Message, badInvite)
		e.as(t, "owner", restoreDoc, vars{"id": ian}).decode(t, &restored)
		equal(t, "restored without ever accepting", restored.RestoreContact.Contact["portalStatus"], "NONE")
		r = e.accept(t, inv.token(t), aPassword)
		equal(t, "the link after restoring", r.onlyErrorAt(t, "acceptInvite", "UNAUTHENTICATED").Message, badInvite)

		var trail []string
		for _, ev := range e.activity(t, f.A.ID, map[string]any{"actions": []string{"CONTACT_SUSPENDED", "CONTACT_RESTORED"}}) {
			trail = append(trail, ev.Summary)
		}
		equal(t, "suspensions, newest first", trail, []string{
			"Restored Ian Invited's portal access", "Suspended Ian Invited's portal access",
			"Restored Ann Active's portal access", "Suspended Ann Active's portal access",
		})
	})
}

// The portal reads the preview and the contact's own session compare.
const portalSnapshot = `{
	viewer { audience contact { id name } client { id name portalSettings { projects deliverables approvals } } }
	projects { totalCount edges { node { id name status deliverables { totalCount edges { node { id title status } } } } } }
	deliverables { totalCount edges { node { id title project { id } } } }
	approvals { totalCount edges { node { id title status decisions { outcome contact { name } } } } }
}`

// A staff member previews the portal as a contact, even one never invited:
// the preview sees what the client's contacts see, writes nothing, and is
// marked as a preview in the client's activity.
func TestPreviewPortal(t *testing.T) {
	t.Parallel()
	run(t, func(t *testing.T, e *env) {
		f := e.f
		pete := e.newContact(t, f.A.ID, "Pete Preview", "pete@acme.example")
		var got struct {
			PreviewPortal struct {
				Token     string         `json:"token"`
				ExpiresAt string         `json:"expiresAt"`
				Contact   map[string]any `json:"contact"`
			} `json:"previewPortal"`
		}
		e.as(t, "owner", previewDoc, vars{"id": pete}).decode(t, &got)
		preview := got.PreviewPortal
		assertAbout(t, "preview expiresAt", preview.ExpiresAt, 30*time.Minute)
		equal(t, "previewed contact", preview.Contact, map[string]any{"id": pete, "name": "Pete Preview", "portalStatus": "NONE"})
		equal(t, "preview viewer", e.portalViewer(t, preview.Token), portalViewer{
			Audience: "PORTAL", Preview: true, Contact: idName{pete, "Pete Preview"}, Client: idName{f.A.ID, "Acme"},
		})
		equal(t, "Ann is no preview", e.portalViewer(t, f.Tokens["aActive"]).Preview, false)

		// Exactly what Ann sees, but for who is asking.
		var asPreview, asAnn map[string]any
		e.post(t, preview.Token, portalSnapshot, nil).decode(t, &asPreview)
		e.as(t, "aActive", portalSnapshot, nil).decode(t, &asAnn)
		for _, m := range []map[string]any{asPreview, asAnn} {
			delete(m["viewer"].(map[string]any), "contact")
		}
		equal(t, "the preview's portal", asPreview, asAnn)
		for _, id := range []string{f.AInternal.ID, f.DInternal.ID, f.DOfInternal.ID, f.BShared.ID, f.XShared.ID} {
			r := e.post(t, preview.Token, `query($id: ID!) { node(id: $id) { id } }`, vars{"id": id})
			r.onlyErrorAt(t, "node", "NOT_FOUND")
		}
		// Staff reads do not exist in a preview.
		r := e.post(t, preview.Token, `{ clients { totalCount } }`, nil)
		equal(t, "staff query in a preview", r.only(t).Message, `Cannot query field "clients" on type "Query".`)

		// A preview decides nothing, even as an approver of a pending
		// approval; the same decision in Ann's own session goes through.
		pending := e.requestApproval(t, "manager", e.sharedDeliverable(t, "Preview me"), f.AActive.ID)
		var asAnnPreview struct {
			PreviewPortal struct {
				Token string `json:"token"`
			} `json:"previewPortal"`
		}
		e.as(t, "owner", previewDoc, vars{"id": f.AActive.ID}).decode(t, &asAnnPreview)
		e.flush(t)
		before := e.tableState(t)
		for _, tok := range []string{preview.Token, asAnnPreview.PreviewPortal.Token} {
			r := e.post(t, tok, decideDoc, vars{"in": map[string]any{"approvalId": pending, "outcome": "APPROVED", "idempotencyKey": "preview-decides"}})
			equal(t, "preview decides", r.onlyErrorAt(t, "decideApproval", "FORBIDDEN").Message, "a preview of the portal is read-only")
			if !r.dataIsNull() {
				t.Errorf("data = %s", r.Data)
			}
		}
		equal(t, "tables after the preview's decisions", e.tableState(t), before)
		equal(t, "Ann decides", e.decide(t, "aActive", pending, "APPROVED", "", "preview-decides").decided(t).Approval.Status, "APPROVED")

		// What the preview opens is audited as the preview it is; the
		// previewed contact was not seen.
		since := time.Now().UTC().Add(-time.Second).Format(time.RFC3339Nano)
		assertFound(t, e, "aActive", "project", f.AShared.ID) // Ann's own view, for contrast
		var opened struct {
			Project idName `json:"project"`
		}
		e.post(t, preview.Token, `query($id: ID!) { project(id: $id) { id name } }`, vars{"id": f.AShared.ID}).decode(t, &opened)
		equal(t, "opened in the preview", opened.Project, idName{f.AShared.ID, "Acme shared"})
		if views := e.activity(t, f.A.ID, map[string]any{"actions": []string{"VIEWED"}, "since": since}); len(views) != 0 {
			t.Errorf("views before the flush: %v", actions(views))
		}
		e.flush(t)
		views := e.activity(t, f.A.ID, map[string]any{"actions": []string{"VIEWED"}, "since": since})
		equal(t, "views after the flush", len(views), 2)
		byPreview := map[bool]event{}
		for _, v := range views {
			v.ID, v.CreatedAt = "", ""
			byPreview[v.Preview] = v
		}
		equal(t, "the preview's view", byPreview[true], event{
			Action: "VIEWED", RecordType: "PROJECT", RecordID: f.AShared.ID, Summary: "Viewed PROJECT (preview)", Preview: true,
			ActorUser: &idName{f.Owner.ID, "Olivia Owner"}, ActorContact: &idName{pete, "Pete Preview"}, Client: &idName{f.A.ID, "Acme"},
		})
		equal(t, "Ann's view", byPreview[false], event{
			Action: "VIEWED", RecordType: "PROJECT", RecordID: f.AShared.ID, Summary: "Viewed PROJECT",
			ActorContact: &idName{f.AActive.ID, "Ann Active"}, Client: &idName{f.A.ID, "Acme"},
		})
		equal(t, "Pete's lastSeenAt", e.contact(t, pete).LastSeenAt, (*string)(nil))
		// A preview is staff at work, not the contact: it is not what the
		// contact, or any contact, did.
		equal(t, "what Pete did", e.activity(t, f.A.ID, map[string]any{"contactId": pete}), []event{})
		equal(t, "portal views", actions(e.activity(t, f.A.ID, map[string]any{"portalOnly": true, "actions": []string{"VIEWED"}, "since": since})),
			[]string{"VIEWED " + f.AShared.ID})

		var previewed []string
		for _, ev := range e.activity(t, f.A.ID, map[string]any{"actions": []string{"PORTAL_PREVIEWED"}}) {
			if ev.ActorUser == nil || ev.ActorUser.ID != f.Owner.ID || ev.Preview {
				t.Errorf("preview event %+v", ev)
			}
			previewed = append(previewed, ev.Summary)
		}
		equal(t, "previews, newest first", previewed, []string{"Previewed the portal as Ann Active", "Previewed the portal as Pete Preview"})

		// A client whose portal is off has nothing to preview; nor is a
		// contact of another workspace found.
		before = e.tableState(t)
		r = e.as(t, "owner", previewDoc, vars{"id": f.CActive.ID})
		equal(t, "preview of Cobalt", r.onlyErrorAt(t, "previewPortal", "CONFLICT").Message, "turn on Cobalt's portal to preview it")
		e.as(t, "owner", previewDoc, vars{"id": f.XActive.ID}).onlyErrorAt(t, "previewPortal", "NOT_FOUND")
		equal(t, "tables after the refused previews", e.tableState(t), before)

		// Turning the portal off ends the preview; it is short-lived too.
		e.as(t, "owner", setPortalDoc, vars{"in": map[string]any{"clientId": f.A.ID, "enabled": false}}).decode(t, &map[string]any{})
		e.assertSignedOut(t, preview.Token, "this preview has ended")
		e.as(t, "owner", setPortalDoc, vars{"in": map[string]any{"clientId": f.A.ID, "enabled": true}}).decode(t, &map[string]any{})
		equal(t, "preview again", e.portalViewer(t, preview.Token).Preview, true)
		e.exec(t, `UPDATE tokens SET expires_at = ? WHERE kind = 'PREVIEW' AND contact_id = ?`, time.Now().UTC().Add(-time.Second), pete)
		e.assertSignedOut(t, preview.Token, badToken)

		// Signing out of a preview ends it, and only it.
		var out struct {
			LogOut struct {
				Ok bool `json:"ok"`
			} `json:"logOut"`
		}
		annPreview := asAnnPreview.PreviewPortal.Token
		e.post(t, annPreview, logOutDoc, nil).decode(t, &out)
		equal(t, "preview logOut", out.LogOut.Ok, true)
		e.assertSignedOut(t, annPreview, badToken)
		assertAudience(t, e, "aActive", "PORTAL")
		assertAudience(t, e, "owner", "STAFF")
	})
}

// Portal views are audited once per contact and record, list reads not at
// all; the contact's last-seen time follows without a write per request;
// staff filter and page through a client's activity, which never holds
// another client's events, and which the portal cannot ask for.
func TestPortalAudit(t *testing.T) {
	t.Parallel()
	run(t, func(t *testing.T, e *env) {
		f := e.f
		start := time.Now().UTC().Add(-time.Second)
		equal(t, "Ann before", e.contact(t, f.AActive.ID).LastSeenAt, (*string)(nil))
		before := e.count(t, "activity_events")

		const openDoc = `query($p: ID!, $d: ID!, $a: ID!) {
			project(id: $p) { id } deliverable(id: $d) { id } approval(id: $a) { id }
			pn: node(id: $p) { id } dn: node(id: $d) { id } an: node(id: $a) { id } }`
		for range 3 {
			var got map[string]idName
			e.as(t, "aActive", openDoc, vars{"p": f.AShared.ID, "d": f.DShared.ID, "a": f.ApprovalShared.ID}).decode(t, &got)
			equal(t, "opened", len(got), 6)
		}
		e.as(t, "aActive", `{ projects { edges { node { id client { id } deliverables { edges { node { id approvals { edges { node { id } } } } } } } } }
			deliverables { totalCount edges { node { id project { id } } } } approvals { totalCount edges { node { id deliverable { id } } } }
			viewer { client { contacts { edges { node { id } } } } pendingApprovals { totalCount } } }`, nil).decode(t, &map[string]any{})
		// A record Ann may not see is not found, and not audited.
		assertNotFound(t, e, "aActive", lookup{"project", portal.PrefixProject}, f.AInternal.ID)
		// Staff opening records is not portal activity.
		e.as(t, "owner", openDoc, vars{"p": f.AShared.ID, "d": f.DShared.ID, "a": f.ApprovalShared.ID}).decode(t, &map[string]any{})
		// Ben opens his client's project.
		assertFound(t, e, "bActive", "project", f.BShared.ID)

		// Nothing is written per request.
		equal(t, "events before the flush", e.count(t, "activity_events"), before)
		equal(t, "Ann's lastSeenAt before the flush", e.contact(t, f.AActive.ID).LastSeenAt, (*string)(nil))

		e.flush(t)
		end := time.Now().UTC().Add(time.Second)
		equal(t, "events written by the flush", e.count(t, "activity_events")-before, 4)

		views := e.activity(t, f.A.ID, map[string]any{"actions": []string{"VIEWED"}})
		equal(t, "Acme's views", sorted(actions(views)), sorted([]string{
			"VIEWED " + f.AShared.ID, "VIEWED " + f.DShared.ID, "VIEWED " + f.ApprovalShared.ID,
		}))
		types := map[string]string{}
		for _, v := range views {
			if v.ActorContact == nil || v.ActorContact.ID != f.AActive.ID || v.ActorUser != nil || v.Preview || v.Client == nil || v.Client.ID != f.A.ID {
				t.Errorf("Acme's view %+v", v)
			}
			types[v.RecordID] = v.RecordType
		}
		equal(t, "record types", types, map[string]string{f.AShared.ID: "PROJECT", f.DShared.ID: "DELIVERABLE", f.ApprovalShared.ID: "APPROVAL"})

		// Ann was seen; the overview shows it.
		seen := e.contact(t, f.AActive.ID).LastSeenAt
		if seen == nil {
			t.Fatal("Ann's lastSeenAt is not set after the flush")
		}
		if at := assertAbout(t, "Ann's lastSeenAt", *seen, 0); at.Before(start) || at.After(end) {
			t.Errorf("lastSeenAt %s is not between %s and %s", at, start, end)
		}
		var ov struct {
			Client struct {
				PortalOverview struct {
					LastSeenAt *string `json:"lastSeenAt"`
				} `json:"portalOverview"`
			} `json:"client"`
		}
		e.as(t, "owner", `query($id: ID!) { client(id: $id) { portalOverview { lastSeenAt } } }`, vars{"id": f.A.ID}).decode(t, &ov)
		equal(t, "overview lastSeenAt", ov.Client.PortalOverview.LastSeenAt, seen)
		// More requests within the interval write nothing more.
		assertAudience(t, e, "aActive", "PORTAL")
		e.flush(t)
		equal(t, "lastSeenAt after another request", e.contact(t, f.AActive.ID).LastSeenAt, seen)

		// Each client's activity is its own.
		for _, c := range []struct {
			id, other string
		}{{f.A.ID, f.B.ID}, {f.B.ID, f.A.ID}, {f.C.ID, ""}} {
			for _, ev := range e.activity(t, c.id, nil) {
				if ev.Client == nil || ev.Client.ID != c.id {
					t.Errorf("activity of %s holds %+v", c.id, ev)
				}
			}
		}
		equal(t, "Bolt's views", actions(e.activity(t, f.B.ID, map[string]any{"actions": []string{"VIEWED"}})), []string{"VIEWED " + f.BShared.ID})
		equal(t, "Acme's activity by Ben", e.activity(t, f.A.ID, map[string]any{"contactId": f.BActive.ID}), []event{})
		equal(t, "Bolt's activity by Ann", e.activity(t, f.B.ID, map[string]any{"contactId": f.AActive.ID}), []event{})
		var both struct {
			A struct {
				Activity activityPage `json:"activity"`
			} `json:"a"`
			B struct {
				Activity activityPage `json:"activity"`
			} `json:"b"`
		}
		e.as(t, "owner", `query($a: ID!, $b: ID!) {
			a: client(id: $a) { activity(first: 100) { edges { node { client { id } } } } }
			b: client(id: $b) { activity(first: 100) { edges { node { client { id } } } } } }`, vars{"a": f.A.ID, "b": f.B.ID}).decode(t, &both)
		for name, c := range map[string]struct {
			events []event
			id     string
		}{"A": {both.A.Activity.events(), f.A.ID}, "B": {both.B.Activity.events(), f.B.ID}} {
			if len(c.events) == 0 {
				t.Errorf("batched activity of %s is empty", name)
			}
			for _, ev := range c.events {
				if ev.Client == nil || ev.Client.ID != c.id {
					t.Errorf("batched activity of %s holds an event of %+v", name, ev.Client)
				}
			}
		}

		// The filters, each on its own and together.
		window := map[string]any{"since": start.Format(time.RFC3339Nano), "until": end.Format(time.RFC3339Nano)}
		with := func(m map[string]any) map[string]any {
			out := map[string]any{}
			for k, v := range window {
				out[k] = v
			}
			for k, v := range m {
				out[k] = v
			}
			return out
		}
		equal(t, "every filter", actions(e.activity(t, f.A.ID, with(map[string]any{
			"contactId": f.AActive.ID, "portalOnly": true, "actions": []string{"VIEWED"}, "recordTypes": []string{"PROJECT"},
		}))), []string{"VIEWED " + f.AShared.ID})
		equal(t, "record types DELIVERABLE, APPROVAL", sorted(actions(e.activity(t, f.A.ID, map[string]any{"recordTypes": []string{"DELIVERABLE", "APPROVAL"}, "actions": []string{"VIEWED"}}))),
			sorted([]string{"VIEWED " + f.DShared.ID, "VIEWED " + f.ApprovalShared.ID}))
		equal(t, "the window", len(e.activity(t, f.A.ID, window)), 3)
		equal(t, "since the end", e.activity(t, f.A.ID, map[string]any{"since": end.Format(time.RFC3339Nano)}), []event{})
		equal(t, "until the start", actions(e.activity(t, f.A.ID, map[string]any{"until": start.Format(time.RFC3339Nano)})), []string{"CREATED " + f.A.ID})
		staffOnly := e.activity(t, f.A.ID, map[string]any{"portalOnly": false})
		portalOnly := e.activity(t, f.A.ID, map[string]any{"portalOnly": true})
		equal(t, "portalOnly", len(portalOnly), 3)
		equal(t, "portalOnly false is no filter", len(staffOnly), 4)
		equal(t, "Ann's activity", len(e.activity(t, f.A.ID, map[string]any{"contactId": f.AActive.ID})), 3)

		// Paging: newest first, two at a time, each event once.
		all := e.activity(t, f.A.ID, nil)
		var paged []event
		after := ""
		for range 10 {
			p := e.activityPage(t, f.A.ID, nil, 2, after)
			equal(t, "totalCount on every page", p.TotalCount, len(all))
			paged = append(paged, p.events()...)
			if !p.PageInfo.HasNextPage {
				break
			}
			if len(p.Edges) != 2 {
				t.Fatalf("a page before the last has %d events", len(p.Edges))
			}
			after = p.PageInfo.EndCursor
		}
		equal(t, "paged activity", paged, all)
		for i := 1; i < len(all); i++ {
			newer, errN := time.Parse(time.RFC3339Nano, all[i-1].CreatedAt)
			older, errO := time.Parse(time.RFC3339Nano, all[i].CreatedAt)
			if errN != nil || errO != nil || newer.Before(older) {
				t.Errorf("activity not newest first: %s before %s", all[i-1].CreatedAt, all[i].CreatedAt)
			}
		}
		filteredPage := e.activityPage(t, f.A.ID, map[string]any{"actions": []string{"VIEWED"}}, 2, "")
		equal(t, "filtered page", []any{filteredPage.TotalCount, len(filteredPage.Edges), filteredPage.PageInfo.HasNextPage}, []any{3, 2, true})
		rest := e.activityPage(t, f.A.ID, map[string]any{"actions": []string{"VIEWED"}}, 2, filteredPage.PageInfo.EndCursor)
		equal(t, "filtered rest", []any{rest.TotalCount, len(rest.Edges), rest.PageInfo.HasNextPage}, []any{3, 1, false})
		equal(t, "filtered pages", sorted(actions(append(filteredPage.events(), rest.events()...))), sorted(actions(views)))

		// The audit is not the portal's: it fails validation like a typo.
		for _, c := range []struct{ query, message string }{
			{`query($id: ID!) { client(id: $id) { activity { totalCount } } }`, `Cannot query field "activity" on type "Client".`},
			{`query($id: ID!) { client(id: $id) { portalOverview { lastSeenAt } } }`, `Cannot query field "portalOverview" on type "Client".`},
			{`query($id: ID!) { client(id: $id) { portalStatus } }`, `Cannot query field "portalStatus" on type "Client".`},
			{`query($id: ID!) { node(id: $id) { ... on Contact { lastSeenAt } } }`, `Cannot query field "lastSeenAt" on type "Contact".`},
			{`query($id: ID!) { node(id: $id) { ... on Contact { inviteExpiresAt } } }`, `Cannot query field "inviteExpiresAt" on type "Contact".`},
			{`query($id: ID!) { node(id: $id) { ... on ActivityEvent { id } } }`, `Unknown type "ActivityEvent".`},
		} {
			r := e.as(t, "aActive", c.query, vars{"id": f.A.ID})
			got := r.only(t)
			equal(t, "portal asks: "+c.message, []string{got.Extensions.Code, got.Message}, []string{"GRAPHQL_VALIDATION_FAILED", c.message})
		}
		// Nor can a portal contact reach an event by its ID.
		r := e.as(t, "aActive", `query($id: ID!) { node(id: $id) { id } }`, vars{"id": views[0].ID})
		r.onlyErrorAt(t, "node", "NOT_FOUND")
	})
}

// A server run without sign-in (Config.Access unset) says so; nothing
// panics.
func TestWithoutAccess(t *testing.T) {
	t.Parallel()
	run(t, func(t *testing.T, e *env) {
		f := e.f
		for _, c := range []struct {
			name, who, query string
			vars             vars
		}{
			{"logIn", "", logInDoc, vars{"email": "owner@w1.example", "password": aPassword}},
			{"acceptInvite", "", acceptDoc, vars{"token": "x", "password": aPassword}},
			{"logOut", "owner", logOutDoc, nil},
			{"inviteContact", "owner", inviteDoc, vars{"id": f.AInvited.ID}},
			{"previewPortal", "owner", previewDoc, vars{"id": f.AActive.ID}},
		} {
			r := e.as(t, c.who, c.query, c.vars)
			got := r.onlyErrorAt(t, c.name, "FORBIDDEN")
			equal(t, c.name+" message", got.Message, "signing in is not available on this server")
		}
		if strings.Contains(e.logs.String(), "panic") {
			t.Errorf("the server panicked:\n%s", e.logs.String())
		}
		// What needs no sign-in still works.
		assertAudience(t, e, "aActive", "PORTAL")
	}, func(c *graph.Config) { c.Access = nil })
}
