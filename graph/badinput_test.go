package graph_test

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"testing"
)

// forgedCursor is a cursor as the server writes them: a key and an ID, in
// JSON, in unpadded URL-safe base64.
func forgedCursor(json string) string { return base64.RawURLEncoding.EncodeToString([]byte(json)) }

// Each attack of the bug report, and its kin, on both databases: bad input
// answers BAD_USER_INPUT at the field, naming the argument or input field,
// alike on PostgreSQL and SQLite (which once answered INTERNAL and
// accepted, respectively); a refused mutation writes nothing.
func TestBadInputIsBadUserInputOnEveryDatabase(t *testing.T) {
	t.Parallel()
	run(t, func(t *testing.T, e *env) {
		f := e.f
		var page struct {
			Projects struct {
				PageInfo struct {
					EndCursor string `json:"endCursor"`
				} `json:"pageInfo"`
			} `json:"projects"`
		}
		e.as(t, "owner", `{ projects(first: 1) { pageInfo { endCursor } } }`, nil).decode(t, &page)
		projectCursor := page.Projects.PageInfo.EndCursor

		const (
			byDue         = `query($a: String) { deliverables(first: 5, after: $a, orderBy: {field: DUE_ON}) { totalCount } }`
			underProject  = `query($id: ID!, $a: String) { project(id: $id) { deliverables(first: 5, after: $a, orderBy: {field: DUE_ON}) { totalCount } } }`
			clientsByText = `query($t: String) { clients(filter: {text: $t}) { totalCount } }`
			dueAfter      = `query($d: Date) { deliverables(filter: {dueAfter: $d}) { totalCount } }`
			firstOf       = `query($n: Int) { deliverables(first: $n) { totalCount } }`
			retitle       = `mutation($id: ID!, $t: String) { updateDeliverable(input: {id: $id, title: $t}) { deliverable { id } } }`
			notACursor    = "after: not a cursor of this list"
			nul           = "text must not contain NUL characters"
			notInt        = "must be a whole number from -2147483648 to 2147483647"
		)
		cases := []struct {
			name, who, query string
			vars             vars
			path             string
			fields           []string
		}{
			// Forged and mismatched cursors.
			{"a cursor holding not-a-date", "owner", byDue, vars{"a": forgedCursor(`["not-a-date","` + f.DShared.ID + `"]`)},
				"deliverables", []string{notACursor}},
			{"a cursor holding not-a-date, for a contact", "aActive", byDue, vars{"a": forgedCursor(`["not-a-date","` + f.DShared.ID + `"]`)},
				"deliverables", []string{notACursor}},
			{"a cursor holding not-a-date, per parent", "aActive", underProject, vars{"id": f.AShared.ID, "a": forgedCursor(`["not-a-date","` + f.DShared.ID + `"]`)},
				"project.deliverables", []string{notACursor}},
			{"a cursor holding year 0", "owner", byDue, vars{"a": forgedCursor(`["0000-01-01","` + f.DShared.ID + `"]`)},
				"deliverables", []string{notACursor}},
			{"a cursor of another list", "owner", `query($a: String) { deliverables(after: $a) { totalCount } }`, vars{"a": projectCursor},
				"deliverables", []string{notACursor}},
			{"a cursor of another ordering", "owner", byDue, vars{"a": projectCursor},
				"deliverables", []string{notACursor}},
			{"a truncated cursor", "owner", `query($a: String) { projects(after: $a) { totalCount } }`, vars{"a": projectCursor[:len(projectCursor)-4]},
				"projects", []string{notACursor}},
			{"a cursor that is not base64", "aActive", `query($a: String) { projects(after: $a) { totalCount } }`, vars{"a": "%%%not base64%%%"},
				"projects", []string{notACursor}},
			{"a cursor with NUL in its ID", "owner", `query($a: String) { projects(after: $a) { totalCount } }`, vars{"a": forgedCursor(`[null,"prj_01JH000000000000000000000\u0000"]`)},
				"projects", []string{notACursor}},

			// NUL in any String or ID.
			{"NUL in a filter", "owner", clientsByText, vars{"t": "acme\x00"}, "clients", []string{"filter.text: " + nul}},
			{"NUL in a filter, written in the query", "owner", `{ clients(filter: {text: "acme\u0000"}) { totalCount } }`, nil,
				"clients", []string{"filter.text: " + nul}},
			{"NUL in an ID filter, for a contact", "aActive", `query($c: ID) { projects(filter: {clientId: $c}) { totalCount } }`, vars{"c": f.A.ID + "\x00"},
				"projects", []string{"filter.clientId: " + nul}},
			{"NUL in an ID", "aActive", `query($id: ID!) { node(id: $id) { id } }`, vars{"id": "prj_01JH000000000000000000000\x00"},
				"node", []string{"id: " + nul}},
			{"NUL in a cursor argument", "owner", `query($a: String) { projects(after: $a) { totalCount } }`, vars{"a": "\x00"},
				"projects", []string{"after: " + nul}},

			// Dates and times outside the years 0001 to 9999.
			{"dueAfter 0000-01-01", "owner", dueAfter, vars{"d": "0000-01-01"},
				"deliverables", []string{"filter.dueAfter: 0000-01-01 is not a date between 0001-01-01 and 9999-12-31"}},
			{"dueAfter 0000-01-01, for a contact", "aActive", dueAfter, vars{"d": "0000-01-01"},
				"deliverables", []string{"filter.dueAfter: 0000-01-01 is not a date between 0001-01-01 and 9999-12-31"}},
			{"dueAfter in year 10000", "owner", dueAfter, vars{"d": "10000-01-01"},
				"deliverables", []string{`filter.dueAfter: "10000-01-01" is not a date (YYYY-MM-DD)`}},
			{"activity since year 0", "owner", `query($id: ID!, $s: Time) { client(id: $id) { activity(filter: {since: $s}) { totalCount } } }`,
				vars{"id": f.A.ID, "s": "0000-06-01T00:00:00Z"}, "client.activity", []string{"filter.since: a time must be in the years 0001 to 9999 (UTC)"}},
			{"activity since not a time", "owner", `query($id: ID!, $s: Time) { client(id: $id) { activity(filter: {since: $s}) { totalCount } } }`,
				vars{"id": f.A.ID, "s": "yesterday"}, "client.activity", []string{"filter.since: must be a time written RFC 3339, e.g. 2026-01-31T09:00:00Z"}},

			// An enum's value in another case (variables only: literals
			// are checked against the schema).
			{"an enum value in another case", "aActive", `query($o: ProjectOrder) { projects(orderBy: $o) { totalCount } }`, vars{"o": map[string]any{"field": "NaME"}},
				"projects", []string{"orderBy.field: is not a valid value"}},
			{"an enum value in another case, in a list", "owner", `query($s: [ApprovalStatus!]) { approvals(filter: {status: $s}) { totalCount } }`, vars{"s": []string{"PENDING", "pending"}},
				"approvals", []string{"filter.status[1]: is not a valid value"}},

			// Int is 32 bits; a page is 0 to 100.
			{"first past 32 bits, written in the query", "owner", `{ deliverables(first: 2147483648) { totalCount } }`, nil,
				"deliverables", []string{"first: " + notInt}},
			{"first past 32 bits", "aActive", firstOf, vars{"n": 2147483648}, "deliverables", []string{"first: " + notInt}},
			{"first below 32 bits", "owner", firstOf, vars{"n": -2147483649}, "deliverables", []string{"first: " + notInt}},
			{"a huge first", "owner", firstOf, vars{"n": 2147483647}, "deliverables", []string{"first: must be between 0 and 100"}},
			{"a huge first per parent", "owner", `query($id: ID!) { project(id: $id) { deliverables(first: 1000000) { totalCount } } }`, vars{"id": f.AShared.ID},
				"project.deliverables", []string{"first: must be between 0 and 100"}},
			{"a negative first", "aActive", firstOf, vars{"n": -1}, "deliverables", []string{"first: must be between 0 and 100"}},
		}
		for _, c := range cases {
			// One after another: the database is held by the test above.
			t.Run(c.name, func(t *testing.T) {
				r := e.as(t, c.who, c.query, c.vars)
				got := r.onlyErrorAt(t, c.path, "BAD_USER_INPUT")
				equal(t, "message", got.Message, "invalid input")
				equal(t, "fields", got.fields(), c.fields)
				if r.Status != http.StatusOK {
					t.Errorf("HTTP %d", r.Status)
				}
			})
		}

		mutations := []struct {
			name, who, query string
			vars             vars
			path             string
			fields           []string
		}{
			{"NUL in a title", "owner", retitle, vars{"id": f.DShared.ID, "t": "Final\x00cut"},
				"updateDeliverable", []string{"input.title: " + nul}},
			{"NUL in a title, written in the query", "owner", `mutation($id: ID!) { updateDeliverable(input: {id: $id, title: "Final\u0000cut"}) { deliverable { id } } }`,
				vars{"id": f.DShared.ID}, "updateDeliverable", []string{"input.title: " + nul}},
			{"NUL in a name", "owner", `mutation($in: CreateClientInput!) { createClient(input: $in) { client { id } } }`,
				vars{"in": map[string]any{"name": "Delta\x00"}}, "createClient", []string{"input.name: " + nul}},
			{"NUL in an address", "owner", `mutation($in: CreateClientInput!) { createClient(input: $in) { client { id } } }`,
				vars{"in": map[string]any{"name": "Delta", "address": map[string]any{"city": "\x00"}}}, "createClient", []string{"input.address.city: " + nul}},
			{"NUL in a list of IDs", "owner", `mutation($in: RequestApprovalInput!) { requestApproval(input: $in) { approval { id } } }`,
				vars{"in": map[string]any{"deliverableId": f.DShared.ID, "title": "Again", "approverIds": []string{f.AActive.ID, "con_\x00"}}},
				"requestApproval", []string{"input.approverIds[1]: " + nul}},
			{"NUL in a report's metric", "owner", `mutation($in: CreateReportInput!) { createReport(input: $in) { report { id } } }`,
				vars{"in": map[string]any{"clientId": f.A.ID, "title": "May", "periodStart": "2026-05-01", "periodEnd": "2026-05-31",
					"metrics": []map[string]any{{"name": "visits", "value": 1}, {"name": "\x00", "value": 2}}}},
				"createReport", []string{"input.metrics[1].name: " + nul}},
			{"NUL in a contact's request", "aActive", `mutation($in: OpenRequestInput!) { openRequest(input: $in) { request { id } } }`,
				vars{"in": map[string]any{"title": "Help", "body": "please\x00"}}, "openRequest", []string{"input.body: " + nul}},
			{"NUL in a comment", "aActive", `mutation($id: ID!) { commentOnRequest(input: {requestId: $id, body: "hi\u0000"}) { comment { id } } }`,
				vars{"id": "req_01JH0000000000000000000000"}, "commentOnRequest", []string{"input.body: " + nul}},
			{"NUL in a password", "", `mutation { logIn(input: {email: "owner@w1.example", password: "\u0000"}) { token } }`, nil,
				"logIn", []string{"input.password: " + nul}},
			{"a due date in year 0", "owner", `mutation($id: ID!) { updateDeliverable(input: {id: $id, dueOn: "0000-01-01"}) { deliverable { id } } }`,
				vars{"id": f.DShared.ID}, "updateDeliverable", []string{"input.dueOn: 0000-01-01 is not a date between 0001-01-01 and 9999-12-31"}},
			{"an export from year 0", "aActive", `mutation { requestExport(input: {kind: APPROVALS, from: "0000-01-01", to: "0000-12-31"}) { export { id } } }`, nil,
				"requestExport", []string{"input.from: 0000-01-01 is not a date between 0001-01-01 and 9999-12-31"}},
			{"a budget past 32 bits", "owner", `mutation($id: ID!, $b: Int) { updateProject(input: {id: $id, budgetCents: $b}) { project { id } } }`,
				vars{"id": f.AShared.ID, "b": 99999999999}, "updateProject", []string{"input.budgetCents: " + notInt}},
		}
		for _, c := range mutations {
			t.Run(c.name, func(t *testing.T) {
				// Sequential: each checks that nothing was written.
				before := e.tableState(t)
				r := e.as(t, c.who, c.query, c.vars)
				got := r.onlyErrorAt(t, c.path, "BAD_USER_INPUT")
				equal(t, "message", got.Message, "invalid input")
				equal(t, "fields", got.fields(), c.fields)
				if r.Status != http.StatusOK {
					t.Errorf("HTTP %d", r.Status)
				}
				equal(t, "tables", e.tableState(t), before)
			})
		}

		// A JSON decoder replaces invalid UTF-8; a query sent by GET keeps
		// it, and its scalar refuses it.
		t.Run("invalid UTF-8 in a query sent by GET", func(t *testing.T) {
			q := url.Values{"query": {"{ clients(filter: {text: \"caf\xe9\"}) { totalCount } }"}}
			req, err := http.NewRequest(http.MethodGet, e.srv.URL+"/graphql?"+q.Encode(), nil)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Authorization", "Bearer "+f.Tokens["owner"])
			got := e.send(t, req).onlyErrorAt(t, "clients", "BAD_USER_INPUT")
			equal(t, "fields", got.fields(), []string{"filter.text: text must be valid UTF-8"})
		})

		// An uploaded file's own name comes from the multipart headers,
		// past every scalar; the store checks it.
		t.Run("an uploaded file named in invalid UTF-8", func(t *testing.T) {
			before := e.tableState(t)
			r := e.uploadAs(t, "owner", map[string]any{"clientId": f.A.ID}, upload{"r\xe9sum\xe9.pdf", []byte("%PDF-1.4")})
			got := r.onlyErrorAt(t, "uploadFile", "BAD_USER_INPUT")
			equal(t, "fields", got.fields(), []string{"input.name: text must be valid UTF-8"})
			equal(t, "tables", e.tableState(t), before)
		})
	})
}
