package graph_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// A name a principal's schema does not contain fails validation exactly
// like a typo: one error naming only what was asked, no suggestions, no
// data, nothing executed.
func TestHiddenNamesFailLikeTypos(t *testing.T) {
	t.Parallel()
	run(t, func(t *testing.T, e *env) {
		f := e.f
		cases := []struct {
			name, who, query string
			vars             vars
			message          string
		}{
			{"internal field", "aActive", `query($id: ID!) { project(id: $id) { name budgetCents } }`, vars{"id": f.AShared.ID},
				`Cannot query field "budgetCents" on type "Project".`},
			{"typo", "aActive", `query($id: ID!) { project(id: $id) { nmae } }`, vars{"id": f.AShared.ID},
				`Cannot query field "nmae" on type "Project".`},
			{"typo next to an internal name", "aActive", `query($id: ID!) { project(id: $id) { budgetCent } }`, vars{"id": f.AShared.ID},
				`Cannot query field "budgetCent" on type "Project".`},
			{"staff typo gets no suggestion either", "owner", `query($id: ID!) { project(id: $id) { budgetCent } }`, vars{"id": f.AShared.ID},
				`Cannot query field "budgetCent" on type "Project".`},
			{"internal root field", "aActive", `{ clients { totalCount } }`, nil,
				`Cannot query field "clients" on type "Query".`},
			{"internal root field users", "aActive", `{ users { totalCount } }`, nil,
				`Cannot query field "users" on type "Query".`},
			{"internal client field", "aActive", `query($id: ID!) { client(id: $id) { name internalNotes } }`, vars{"id": f.A.ID},
				`Cannot query field "internalNotes" on type "Client".`},
			{"internal connection", "aActive", `query($id: ID!) { client(id: $id) { notes { totalCount } } }`, vars{"id": f.A.ID},
				`Cannot query field "notes" on type "Client".`},
			{"internal viewer field", "aActive", `{ viewer { permissions } }`, nil,
				`Cannot query field "permissions" on type "Viewer".`},
			{"internal argument", "aActive", `query($id: ID!) { client(id: $id) { contacts(portalStatus: [ACTIVE]) { totalCount } } }`, vars{"id": f.A.ID},
				`Unknown argument "portalStatus" on field "Client.contacts".`},
			{"internal enum value", "aActive", `{ projects(orderBy: {field: BUDGET_CENTS}) { totalCount } }`, nil,
				`Value "BUDGET_CENTS" does not exist in "ProjectOrderField!" enum.`},
			{"internal input field", "aActive", `{ projects(filter: {visibility: INTERNAL}) { totalCount } }`, nil,
				`Field "visibility" is not defined by type "ProjectFilter".`},
			{"internal type", "aActive", `query($id: ID!) { node(id: $id) { ... on Note { body } } }`, vars{"id": f.NoteA.ID},
				`Unknown type "Note".`},
			{"staff mutation", "aActive", `mutation { createClient(input: {name: "Evil"}) { client { id } } }`, nil,
				`Cannot query field "createClient" on type "Mutation".`},
			{"anonymous record", "", `query($id: ID!) { project(id: $id) { id } }`, vars{"id": f.AShared.ID},
				`Cannot query field "project" on type "Query".`},
			{"anonymous workspace", "", `{ viewer { workspace { name } } }`, nil,
				`Cannot query field "workspace" on type "Viewer".`},
			{"anonymous staff mutation", "", `mutation { createClient(input: {name: "Evil"}) { client { id } } }`, nil,
				`Cannot query field "createClient" on type "Mutation".`},
			{"anonymous logOut", "", `mutation { logOut { ok } }`, nil,
				`Cannot query field "logOut" on type "Mutation".`},
			{"anonymous invitation of a contact", "", `mutation($id: ID!) { inviteContact(input: {contactId: $id}) { inviteLink } }`, vars{"id": f.AInvited.ID},
				`Cannot query field "inviteContact" on type "Mutation".`},
		}
		before := e.rowCounts(t)
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				r := e.as(t, c.who, c.query, c.vars)
				got := r.only(t)
				if got.Message != c.message {
					t.Errorf("message = %q, want %q", got.Message, c.message)
				}
				if got.Extensions.Code != "GRAPHQL_VALIDATION_FAILED" {
					t.Errorf("code = %q, want GRAPHQL_VALIDATION_FAILED", got.Extensions.Code)
				}
				if strings.Contains(string(r.Raw), "Did you mean") {
					t.Errorf("the error suggests names: %s", r.Raw)
				}
				if !r.dataIsNull() {
					t.Errorf("data = %s, want null", r.Data)
				}
				if r.Status != http.StatusUnprocessableEntity {
					t.Errorf("HTTP %d, want 422", r.Status)
				}
			})
		}
		t.Cleanup(func() { equal(t, "row counts", e.rowCounts(t), before) })
	})
}

// Each audience's server keeps its own caches: a query persisted by staff
// is unknown to a portal contact, so a cache can never carry a document
// validated against one schema to another audience.
func TestPersistedQueriesPerAudience(t *testing.T) {
	t.Parallel()
	run(t, func(t *testing.T, e *env) {
		const query = `{ clients { totalCount } }`
		sum := sha256.Sum256([]byte(query))
		persisted := map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": hex.EncodeToString(sum[:])}}
		send := func(who string, body map[string]any) *response {
			b, err := json.Marshal(body)
			if err != nil {
				t.Fatal(err)
			}
			req, err := http.NewRequest(http.MethodPost, e.srv.URL+"/graphql", bytes.NewReader(b))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+e.f.Tokens[who])
			return e.send(t, req)
		}
		var got struct {
			Clients struct {
				TotalCount int `json:"totalCount"`
			} `json:"clients"`
		}
		send("owner", map[string]any{"query": query, "extensions": persisted}).decode(t, &got)
		equal(t, "clients", got.Clients.TotalCount, 3)
		send("manager", map[string]any{"extensions": persisted}).decode(t, &got) // the staff cache has it
		equal(t, "clients by hash", got.Clients.TotalCount, 3)

		r := send("aActive", map[string]any{"extensions": persisted})
		got2 := r.only(t)
		equal(t, "portal by hash", []string{got2.Message, got2.Extensions.Code}, []string{"PersistedQueryNotFound", "PERSISTED_QUERY_NOT_FOUND"})
		if !r.dataIsNull() {
			t.Errorf("data = %s", r.Data)
		}
	})
}
