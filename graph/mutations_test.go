package graph_test

import (
	"net/http"
	"strings"
	"testing"
)

// mutationCase is one mutation with an input that would succeed for a
// staff member allowed to run it.
type mutationCase struct {
	name, permission string
	query            string
	input            map[string]any
	invalid          map[string]any // an input that also breaks the schema's rules
}

func mutationCases(e *env) []mutationCase {
	f := e.f
	m := func(name, payload string) string {
		return `mutation($input: ` + strings.ToUpper(name[:1]) + name[1:] + `Input!) { ` + name + `(input: $input) { ` + payload + ` { id } } }`
	}
	return []mutationCase{
		{"createClient", "CLIENTS_WRITE", m("createClient", "client"),
			map[string]any{"name": "Delta"}, map[string]any{"name": " ", "email": "nope"}},
		{"updateClient", "CLIENTS_WRITE", m("updateClient", "client"),
			map[string]any{"id": f.A.ID, "name": "Acme Corp"}, map[string]any{"id": f.A.ID, "name": "", "website": "nope"}},
		{"archiveClient", "CLIENTS_ARCHIVE", m("archiveClient", "client"),
			map[string]any{"id": f.A.ID}, nil},
		{"createContact", "CONTACTS_WRITE", m("createContact", "contact"),
			map[string]any{"clientId": f.A.ID, "name": "Nia New", "email": "nia@acme.example"},
			map[string]any{"clientId": f.A.ID, "name": "", "email": "nope"}},
		{"updateContact", "CONTACTS_WRITE", m("updateContact", "contact"),
			map[string]any{"id": f.AActive.ID, "title": "CEO"}, map[string]any{"id": f.AActive.ID, "email": "nope"}},
		{"createProject", "PROJECTS_WRITE", m("createProject", "project"),
			map[string]any{"clientId": f.A.ID, "name": "Relaunch"}, map[string]any{"clientId": f.A.ID, "name": " "}},
		{"updateProject", "PROJECTS_WRITE", m("updateProject", "project"),
			map[string]any{"id": f.AShared.ID, "name": "Renamed"}, map[string]any{"id": f.AShared.ID, "name": " "}},
		{"createDeliverable", "DELIVERABLES_WRITE", m("createDeliverable", "deliverable"),
			map[string]any{"projectId": f.AShared.ID, "title": "Mockups"}, map[string]any{"projectId": f.AShared.ID, "title": ""}},
		{"updateDeliverable", "DELIVERABLES_WRITE", m("updateDeliverable", "deliverable"),
			map[string]any{"id": f.DShared.ID, "status": "DELIVERED"}, map[string]any{"id": f.DShared.ID, "title": " "}},
		{"addNote", "NOTES_WRITE", m("addNote", "note"),
			map[string]any{"subjectId": f.A.ID, "body": "hello"}, map[string]any{"subjectId": f.A.ID, "body": " "}},
	}
}

// tableState is every table a mutation writes, by content, so "nothing
// written" also covers updates.
func (e *env) tableState(t *testing.T) map[string]any {
	t.Helper()
	out := map[string]any{}
	for _, table := range writtenTables {
		rows, err := e.store.DB().Queryx("SELECT * FROM " + table.name + " ORDER BY " + table.key)
		if err != nil {
			t.Fatalf("read %s: %v", table.name, err)
		}
		var recs []map[string]any
		for rows.Next() {
			rec := map[string]any{}
			if err := rows.MapScan(rec); err != nil {
				t.Fatal(err)
			}
			for k, v := range rec {
				if b, ok := v.([]byte); ok {
					rec[k] = string(b)
				}
			}
			recs = append(recs, rec)
		}
		if err := rows.Close(); err != nil {
			t.Fatal(err)
		}
		out[table.name] = recs
	}
	return out
}

// A VIEWER may read but change nothing: every mutation is FORBIDDEN at its
// own path, with or without valid input (the permission is checked before
// the input, so the input's rules are not disclosed), and nothing is written.
func TestViewerCannotMutate(t *testing.T) {
	t.Parallel()
	run(t, func(t *testing.T, e *env) {
		before := e.tableState(t)
		counts := e.rowCounts(t)
		for _, c := range mutationCases(e) {
			inputs := []map[string]any{c.input}
			if c.invalid != nil {
				inputs = append(inputs, c.invalid)
			}
			for _, input := range inputs {
				r := e.as(t, "viewer", c.query, vars{"input": input})
				got := r.onlyErrorAt(t, c.name, "FORBIDDEN")
				if want := "the " + c.permission + " permission is required"; got.Message != want {
					t.Errorf("%s: message %q, want %q", c.name, got.Message, want)
				}
				if len(got.Extensions.Fields) != 0 {
					t.Errorf("%s: FORBIDDEN discloses fields: %s", c.name, got)
				}
				if !r.dataIsNull() {
					t.Errorf("%s: data = %s, want null", c.name, r.Data)
				}
			}
		}
		equal(t, "row counts", e.rowCounts(t), counts)
		equal(t, "tables", e.tableState(t), before)
	})
}

// The same mutations succeed for the owner, so the VIEWER test above
// proves the role, not a broken input.
func TestOwnerCanRunEveryMutation(t *testing.T) {
	t.Parallel()
	run(t, func(t *testing.T, e *env) {
		events := e.count(t, "activity_events")
		for _, c := range mutationCases(e) {
			var got map[string]map[string]*struct {
				ID string `json:"id"`
			}
			e.as(t, "owner", c.query, vars{"input": c.input}).decode(t, &got)
			for _, payload := range got[c.name] {
				if payload == nil || payload.ID == "" {
					t.Errorf("%s: payload %+v", c.name, got)
				}
			}
		}
		equal(t, "activity events written", e.count(t, "activity_events")-events, len(mutationCases(e)))
	})
}

func TestRolePermissions(t *testing.T) {
	t.Parallel()
	run(t, func(t *testing.T, e *env) {
		f := e.f
		const q = `query($id: ID!) { project(id: $id) { id name status dueOn budgetCents internalNotes client { name } } }`
		type project struct {
			Project map[string]any `json:"project"`
		}
		want := map[string]any{
			"id": f.AShared.ID, "name": "Acme shared", "status": "ACTIVE", "dueOn": "2026-06-30",
			"internalNotes": "acme project internal", "client": map[string]string{"name": "Acme"},
		}

		// MEMBER and VIEWER lack BUDGETS_READ: that one field is null with
		// FORBIDDEN, the rest of the project is there.
		for _, who := range []string{"member", "viewer"} {
			r := e.as(t, who, q, vars{"id": f.AShared.ID})
			got := r.onlyErrorAt(t, "project.budgetCents", "FORBIDDEN")
			equal(t, who+" error", got.Message, "the BUDGETS_READ permission is required")
			var p project
			r.decodeData(t, &p)
			w := map[string]any{"budgetCents": nil}
			for k, v := range want {
				w[k] = v
			}
			equal(t, who+" project", p.Project, w)
		}
		for _, who := range []string{"manager", "owner"} {
			var p project
			e.as(t, who, q, vars{"id": f.AShared.ID}).decode(t, &p)
			equal(t, who+" budget", p.Project["budgetCents"], 100_000)
		}

		for who, perms := range map[string][]string{
			"viewer": {},
			"member": {"CONTACTS_WRITE", "DELIVERABLES_WRITE", "NOTES_WRITE", "APPROVALS_MANAGE", "FILES_MANAGE", "REQUESTS_MANAGE",
				"NOTES_DELETE", "COMMENTS_DELETE"},
			"manager": {"CLIENTS_WRITE", "CLIENTS_ARCHIVE", "CONTACTS_WRITE", "PROJECTS_WRITE", "DELIVERABLES_WRITE",
				"NOTES_WRITE", "BUDGETS_READ", "APPROVALS_MANAGE", "APPROVALS_DECIDE_ON_BEHALF", "FILES_MANAGE", "REPORTS_WRITE", "REQUESTS_MANAGE",
				"PROJECTS_DELETE", "DELIVERABLES_DELETE", "APPROVALS_DELETE", "NOTES_DELETE", "REPORTS_DELETE", "REQUESTS_DELETE", "COMMENTS_DELETE"},
		} {
			var v struct {
				Viewer struct {
					Permissions []string `json:"permissions"`
					User        struct {
						Role string `json:"role"`
					} `json:"user"`
				} `json:"viewer"`
			}
			e.as(t, who, `{ viewer { permissions user { role } } }`, nil).decode(t, &v)
			equal(t, who+" permissions", v.Viewer.Permissions, perms)
			equal(t, who+" role", v.Viewer.User.Role, strings.ToUpper(who))
		}

		// Ordering by budget would tell budgets apart.
		r := e.as(t, "member", `{ projects(orderBy: {field: BUDGET_CENTS, direction: DESC}) { totalCount } }`, nil)
		got := r.onlyErrorAt(t, "projects", "FORBIDDEN")
		equal(t, "order by budget", got.Message, "ordering by budget needs the BUDGETS_READ permission")
		var ordered struct {
			Projects conn[idName] `json:"projects"`
		}
		e.as(t, "manager", `{ projects(orderBy: {field: BUDGET_CENTS, direction: DESC}) { edges { node { id name } } } }`, nil).decode(t, &ordered)
		equal(t, "by budget, highest first", ordered.Projects.nodes()[0], idName{f.AShared.ID, "Acme shared"})

		// MEMBER: deliverables yes, projects no.
		before := e.rowCounts(t)
		var created struct {
			CreateDeliverable struct {
				Deliverable struct {
					ID         string `json:"id"`
					Title      string `json:"title"`
					Status     string `json:"status"`
					Visibility string `json:"visibility"`
					Project    idName `json:"project"`
				} `json:"deliverable"`
			} `json:"createDeliverable"`
		}
		e.as(t, "member", `mutation($p: ID!) { createDeliverable(input: {projectId: $p, title: "  Wireframes "}) {
			deliverable { id title status visibility project { id name } } } }`, vars{"p": f.AShared.ID}).decode(t, &created)
		d := created.CreateDeliverable.Deliverable
		equal(t, "created deliverable", []any{d.Title, d.Status, d.Visibility, d.Project},
			[]any{"Wireframes", "NOT_STARTED", "INTERNAL", idName{f.AShared.ID, "Acme shared"}})
		r = e.as(t, "member", `mutation($c: ID!) { createProject(input: {clientId: $c, name: "Not mine"}) { project { id } } }`, vars{"c": f.A.ID})
		got = r.onlyErrorAt(t, "createProject", "FORBIDDEN")
		equal(t, "member createProject", got.Message, "the PROJECTS_WRITE permission is required")
		after := e.rowCounts(t)
		equal(t, "deliverables written", after["deliverables"]-before["deliverables"], 1)
		equal(t, "projects written", after["projects"]-before["projects"], 0)
		equal(t, "events written", after["activity_events"]-before["activity_events"], 1)

		// Setting a budget is reading it: a MANAGER may, a MEMBER may not
		// even reach the mutation.
		r = e.as(t, "member", `mutation($id: ID!) { updateProject(input: {id: $id, budgetCents: 1}) { project { id } } }`, vars{"id": f.AShared.ID})
		r.onlyErrorAt(t, "updateProject", "FORBIDDEN")
	})
}

func TestInvalidInput(t *testing.T) {
	t.Parallel()
	run(t, func(t *testing.T, e *env) {
		f := e.f
		cases := []struct {
			name   string
			query  string
			vars   vars
			path   string
			fields []string
		}{
			{"createClient breaking every rule", `mutation($in: CreateClientInput!) { createClient(input: $in) { client { id } } }`,
				vars{"in": map[string]any{
					"name": "   ", "email": "not-an-email", "website": "ftp://files.example",
					"address": map[string]any{"city": "Berlin", "country": "XX"},
				}}, "createClient", []string{
					"input.address.country: must be a two-letter ISO 3166 country code",
					"input.email: must be an email address",
					"input.name: must not be blank",
					"input.website: must be an http or https URL",
				}},
			{"createClient with an overlong name", `mutation($in: CreateClientInput!) { createClient(input: $in) { client { id } } }`,
				vars{"in": map[string]any{"name": strings.Repeat("n", 201)}}, "createClient",
				[]string{"input.name: must be at most 200 characters long"}},
			{"createClient with another workspace's owner", `mutation($in: CreateClientInput!) { createClient(input: $in) { client { id } } }`,
				vars{"in": map[string]any{"name": "Delta", "ownerId": f.Owner2.ID}}, "createClient",
				[]string{`input.ownerId: no record with id "` + f.Owner2.ID + `"`}},
			{"updateProject due before it starts", `mutation($id: ID!) { updateProject(input: {id: $id, startsOn: "2026-05-01", dueOn: "2026-04-30"}) { project { id } } }`,
				vars{"id": f.AShared.ID}, "updateProject", []string{"input.dueOn: must not be before startsOn"}},
			{"updateProject starting after the due date it keeps", `mutation($id: ID!) { updateProject(input: {id: $id, startsOn: "2026-07-01"}) { project { id } } }`,
				vars{"id": f.AShared.ID}, "updateProject", []string{"input.dueOn: must not be before startsOn"}},
			{"updateProject negative budget", `mutation($id: ID!) { updateProject(input: {id: $id, budgetCents: -1}) { project { id } } }`,
				vars{"id": f.AShared.ID}, "updateProject", []string{"input.budgetCents: must be at least 0"}},
			{"createProject for another workspace's client", `mutation($c: ID!) { createProject(input: {clientId: $c, name: "Sneaky"}) { project { id } } }`,
				vars{"c": f.X.ID}, "createProject", []string{`input.clientId: no record with id "` + f.X.ID + `"`}},
			{"createDeliverable in another workspace's project", `mutation($p: ID!) { createDeliverable(input: {projectId: $p, title: "Sneaky"}) { deliverable { id } } }`,
				vars{"p": f.XShared.ID}, "createDeliverable", []string{`input.projectId: no record with id "` + f.XShared.ID + `"`}},
			{"addNote on another workspace's client", `mutation($s: ID!) { addNote(input: {subjectId: $s, body: "psst"}) { note { id } } }`,
				vars{"s": f.X.ID}, "addNote", []string{`input.subjectId: no record with id "` + f.X.ID + `"`}},
			{"addNote on a deliverable", `mutation($s: ID!) { addNote(input: {subjectId: $s, body: "psst"}) { note { id } } }`,
				vars{"s": f.DShared.ID}, "addNote", []string{"input.subjectId: must be the ID of a client or a project"}},
			{"createContact with a taken email", `mutation($c: ID!) { createContact(input: {clientId: $c, name: "Ann Again", email: "ANN@acme.example"}) { contact { id } } }`,
				vars{"c": f.B.ID}, "createContact", []string{"input.email: another contact already uses this email"}},
			{"a page over 100", `{ projects(first: 101) { totalCount } }`, nil,
				"projects", []string{"first: must be between 0 and 100"}},
			{"a negative page", `query($id: ID!) { client(id: $id) { projects(first: -1) { totalCount } } }`, vars{"id": f.A.ID},
				"client.projects", []string{"first: must be between 0 and 100"}},
			{"a query filter breaking its rule", `query($t: String) { clients(filter: {text: $t}) { totalCount } }`,
				vars{"t": strings.Repeat("a", 201)}, "clients", []string{"filter.text: must be at most 200 characters long"}},
			{"a cursor of nothing", `{ projects(after: "garbage") { totalCount } }`, nil,
				"projects", []string{"after: not a cursor of this list"}},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				// Sequential: each case checks that nothing was written.
				before := e.tableState(t)
				r := e.post(t, e.f.Tokens["owner"], c.query, c.vars)
				got := r.onlyErrorAt(t, c.path, "BAD_USER_INPUT")
				equal(t, "message", got.Message, "invalid input")
				equal(t, "fields", got.fields(), c.fields)
				if r.Status != http.StatusOK {
					t.Errorf("HTTP %d", r.Status)
				}
				equal(t, "tables", e.tableState(t), before)
			})
		}
	})
}

// A malformed Date is refused as bad input at the field, naming the
// argument or input field, before anything runs; never as INTERNAL.
func TestMalformedDate(t *testing.T) {
	t.Parallel()
	run(t, func(t *testing.T, e *env) {
		f := e.f
		before := e.tableState(t)
		cases := []struct {
			name, query string
			vars        vars
			path        string
			field       string
		}{
			{"literal", `mutation($id: ID!) { updateProject(input: {id: $id, dueOn: "2026-13-45"}) { project { id } } }`,
				vars{"id": f.AShared.ID}, "updateProject", `input.dueOn: "2026-13-45" is not a date (YYYY-MM-DD)`},
			{"literal of another type", `mutation($id: ID!) { updateProject(input: {id: $id, dueOn: 20260430}) { project { id } } }`,
				vars{"id": f.AShared.ID}, "updateProject", "input.dueOn: a date must be a string written YYYY-MM-DD"},
			{"variable", `mutation($id: ID!, $d: Date) { updateProject(input: {id: $id, dueOn: $d}) { project { id } } }`,
				vars{"id": f.AShared.ID, "d": "30.04.2026"}, "updateProject", `input.dueOn: "30.04.2026" is not a date (YYYY-MM-DD)`},
			{"year 0", `mutation($id: ID!, $d: Date) { updateProject(input: {id: $id, dueOn: $d}) { project { id } } }`,
				vars{"id": f.AShared.ID, "d": "0000-12-31"}, "updateProject", "input.dueOn: 0000-12-31 is not a date between 0001-01-01 and 9999-12-31"},
			{"query filter", `query($id: ID!) { project(id: $id) { deliverables(filter: {dueAfter: "soon"}) { totalCount } } }`,
				vars{"id": f.AShared.ID}, "project.deliverables", `filter.dueAfter: "soon" is not a date (YYYY-MM-DD)`},
		}
		for _, c := range cases {
			r := e.as(t, "owner", c.query, c.vars)
			got := r.onlyErrorAt(t, c.path, "BAD_USER_INPUT")
			equal(t, c.name+" message", got.Message, "invalid input")
			equal(t, c.name+" fields", got.fields(), []string{c.field})
		}
		equal(t, "tables", e.tableState(t), before)
	})
}

// A staff member's changes through the API, and the activity each records
// in the same transaction, newest first.
func TestMutationsWriteAndAudit(t *testing.T) {
	t.Parallel()
	run(t, func(t *testing.T, e *env) {
		f := e.f
		var client struct {
			CreateClient struct {
				Client struct {
					ID            string          `json:"id"`
					Name          string          `json:"name"`
					Email         string          `json:"email"`
					Website       string          `json:"website"`
					Status        string          `json:"status"`
					PortalEnabled bool            `json:"portalEnabled"`
					Address       map[string]any  `json:"address"`
					Owner         idName          `json:"owner"`
					InternalNotes string          `json:"internalNotes"`
					Settings      map[string]bool `json:"portalSettings"`
				} `json:"client"`
			} `json:"createClient"`
		}
		e.as(t, "manager", `mutation($in: CreateClientInput!) { createClient(input: $in) { client {
			id name email website status portalEnabled internalNotes
			address { line1 city postalCode country }
			owner { id name }
			portalSettings { projects deliverables approvals }
		} } }`, vars{"in": map[string]any{
			"name": "  Delta  ", "email": "Hello@Delta.Example", "website": "https://delta.example",
			"address": map[string]any{"line1": "Hauptstr. 1", "city": "Berlin", "postalCode": "10115", "country": "DE"},
			"ownerId": f.Member.ID, "internalNotes": "met at a fair",
		}}).decode(t, &client)
		c := client.CreateClient.Client
		equal(t, "created client", c, map[string]any{
			"id": c.ID, "name": "Delta", "email": "hello@delta.example", "website": "https://delta.example", "status": "LEAD",
			"portalEnabled": false, "internalNotes": "met at a fair",
			"address": map[string]any{"line1": "Hauptstr. 1", "city": "Berlin", "postalCode": "10115", "country": "DE"},
			"owner":   idName{f.Member.ID, "Mia Member"}, "portalSettings": map[string]bool{"projects": true, "deliverables": true, "approvals": true},
		})

		var contact struct {
			CreateContact struct {
				Contact struct {
					ID           string `json:"id"`
					Email        string `json:"email"`
					PortalStatus string `json:"portalStatus"`
					Client       idName `json:"client"`
				} `json:"contact"`
			} `json:"createContact"`
		}
		e.as(t, "manager", `mutation($c: ID!) { createContact(input: {clientId: $c, name: "Dana Delta", email: "DANA@delta.example", title: "COO"}) {
			contact { id email portalStatus client { id name } } } }`, vars{"c": c.ID}).decode(t, &contact)
		equal(t, "contact", []any{contact.CreateContact.Contact.Email, contact.CreateContact.Contact.PortalStatus, contact.CreateContact.Contact.Client},
			[]any{"dana@delta.example", "NONE", idName{c.ID, "Delta"}})

		var project struct {
			CreateProject struct {
				Project map[string]any `json:"project"`
			} `json:"createProject"`
		}
		e.as(t, "manager", `mutation($c: ID!) { createProject(input: {clientId: $c, name: "Delta launch", visibility: SHARED,
			startsOn: "2026-02-01", dueOn: "2026-05-31", budgetCents: 500000}) {
			project { id name status visibility startsOn dueOn budgetCents } } }`, vars{"c": c.ID}).decode(t, &project)
		p := project.CreateProject.Project
		projectID, _ := p["id"].(string)
		equal(t, "project", p, map[string]any{
			"id": projectID, "name": "Delta launch", "status": "PLANNED", "visibility": "SHARED",
			"startsOn": "2026-02-01", "dueOn": "2026-05-31", "budgetCents": 500000,
		})

		var deliverable struct {
			CreateDeliverable struct {
				Deliverable idName `json:"deliverable"`
			} `json:"createDeliverable"`
		}
		e.as(t, "manager", `mutation($p: ID!) { createDeliverable(input: {projectId: $p, title: "Launch plan"}) { deliverable { id name: title } } }`,
			vars{"p": projectID}).decode(t, &deliverable)
		deliverableID := deliverable.CreateDeliverable.Deliverable.ID

		var updated struct {
			UpdateDeliverable struct {
				Deliverable map[string]any `json:"deliverable"`
			} `json:"updateDeliverable"`
		}
		e.as(t, "manager", `mutation($id: ID!) { updateDeliverable(input: {id: $id, status: IN_REVIEW, visibility: SHARED, dueOn: "2026-04-01", title: "Launch plan"}) {
			deliverable { id title status visibility dueOn } } }`, vars{"id": deliverableID}).decode(t, &updated)
		equal(t, "updated deliverable", updated.UpdateDeliverable.Deliverable, map[string]any{
			"id": deliverableID, "title": "Launch plan", "status": "IN_REVIEW", "visibility": "SHARED", "dueOn": "2026-04-01",
		})

		var note struct {
			AddNote struct {
				Note map[string]any `json:"note"`
			} `json:"addNote"`
		}
		e.as(t, "manager", `mutation($s: ID!) { addNote(input: {subjectId: $s, body: " Kick-off went well. "}) {
			note { body author { name } client { name } project { name } } } }`, vars{"s": projectID}).decode(t, &note)
		equal(t, "note", note.AddNote.Note, map[string]any{
			"body": "Kick-off went well.", "author": map[string]string{"name": "Mark Manager"},
			"client": map[string]string{"name": "Delta"}, "project": map[string]string{"name": "Delta launch"},
		})

		var audit struct {
			Client struct {
				Activity conn[map[string]any] `json:"activity"`
				Notes    conn[map[string]any] `json:"notes"`
				Projects conn[idName]         `json:"projects"`
				Contacts conn[idName]         `json:"contacts"`
			} `json:"client"`
		}
		e.as(t, "owner", `query($id: ID!) { client(id: $id) {
			activity { totalCount edges { node { action recordType recordId summary changedFields actorUser { name } actorContact { name } } } }
			notes { totalCount edges { node { body } } }
			projects { totalCount edges { node { id name } } }
			contacts { totalCount edges { node { id name } } }
		} }`, vars{"id": c.ID}).decode(t, &audit)
		event := func(action, recordType, recordID, summary string, changed ...string) map[string]any {
			if changed == nil {
				changed = []string{}
			}
			return map[string]any{
				"action": action, "recordType": recordType, "recordId": recordID, "summary": summary,
				"changedFields": changed, "actorUser": map[string]string{"name": "Mark Manager"}, "actorContact": nil,
			}
		}
		a := audit.Client
		equal(t, "activity totalCount", a.Activity.TotalCount, 6)
		equal(t, "activity, newest first", a.Activity.nodes(), []map[string]any{
			event("NOTE_ADDED", "PROJECT", projectID, "Added a note to the project"),
			event("UPDATED", "DELIVERABLE", deliverableID, "Updated deliverable Launch plan", "status", "visibility", "dueOn"),
			event("CREATED", "DELIVERABLE", deliverableID, "Created deliverable Launch plan"),
			event("CREATED", "PROJECT", projectID, "Created project Delta launch"),
			event("CREATED", "CONTACT", contact.CreateContact.Contact.ID, "Added contact Dana Delta"),
			event("CREATED", "CLIENT", c.ID, "Created client Delta"),
		})
		equal(t, "notes", a.Notes.nodes(), []map[string]any{{"body": "Kick-off went well."}})
		equal(t, "projects", a.Projects.nodes(), []idName{{projectID, "Delta launch"}})
		equal(t, "contacts", a.Contacts.nodes(), []idName{{contact.CreateContact.Contact.ID, "Dana Delta"}})

		// An update that changes nothing records nothing.
		e.as(t, "manager", `mutation($id: ID!) { updateDeliverable(input: {id: $id, status: IN_REVIEW}) { deliverable { id } } }`,
			vars{"id": deliverableID}).decode(t, &updated)
		equal(t, "events after a no-op update", e.count(t, "activity_events"), len(f.Data.Activity)+6)

		// The activity of a record points back to it.
		var record struct {
			Node struct {
				Record map[string]any `json:"record"`
			} `json:"node"`
		}
		var first struct {
			Client struct {
				Activity conn[struct {
					ID string `json:"id"`
				}] `json:"activity"`
			} `json:"client"`
		}
		e.as(t, "owner", `query($id: ID!) { client(id: $id) { activity(first: 2) { edges { node { id } } } } }`, vars{"id": c.ID}).decode(t, &first)
		e.as(t, "owner", `query($id: ID!) { node(id: $id) { ... on ActivityEvent { record { __typename ... on Deliverable { title status } } } } }`,
			vars{"id": first.Client.Activity.nodes()[1].ID}).decode(t, &record)
		equal(t, "record of the update event", record.Node.Record, map[string]any{"__typename": "Deliverable", "title": "Launch plan", "status": "IN_REVIEW"})
	})
}
