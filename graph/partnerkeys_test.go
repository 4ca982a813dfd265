package graph_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"portalgraph/graph"
	"portalgraph/internal/portal"
	"portalgraph/internal/ratelimit"
	"portalgraph/internal/ratelimit/ratelimittest"
)

// Partners' API keys over HTTP: staff manage them, and a key reads the
// PARTNER schema, scoped by its sections and clients.

const (
	partnerKeyFields = `id name prefix scopes clients { id } includeInternal expiresAt createdBy { id } createdAt lastUsedAt rotatedAt previousSecretExpiresAt revokedAt`
	createKeyDoc     = `mutation($in: CreatePartnerKeyInput!) { createPartnerKey(input: $in) { secret partnerKey { ` + partnerKeyFields + ` } } }`
	rotateKeyDoc     = `mutation($id: ID!) { rotatePartnerKey(input: {id: $id}) { secret partnerKey { ` + partnerKeyFields + ` } } }`
	revokeKeyDoc     = `mutation($id: ID!) { revokePartnerKey(input: {id: $id}) { partnerKey { ` + partnerKeyFields + ` } } }`
	listKeysDoc      = `query($revoked: Boolean) { partnerKeys(includeRevoked: $revoked) { totalCount edges { node { ` + partnerKeyFields + ` } } } }`
)

var allScopes = []string{"CLIENTS", "PROJECTS", "DELIVERABLES", "APPROVALS", "REPORTS", "FILES", "REQUESTS"}

type partnerKey struct {
	ID                      string   `json:"id"`
	Name                    string   `json:"name"`
	Prefix                  string   `json:"prefix"`
	Scopes                  []string `json:"scopes"`
	Clients                 []idName `json:"clients"`
	IncludeInternal         bool     `json:"includeInternal"`
	ExpiresAt               *string  `json:"expiresAt"`
	CreatedBy               *idName  `json:"createdBy"`
	CreatedAt               string   `json:"createdAt"`
	LastUsedAt              *string  `json:"lastUsedAt"`
	RotatedAt               *string  `json:"rotatedAt"`
	PreviousSecretExpiresAt *string  `json:"previousSecretExpiresAt"`
	RevokedAt               *string  `json:"revokedAt"`
}

// partnerKey creates a key as the owner and keeps its secret among the
// fixture's tokens under name, so e.as(t, name, …) sends it.
func (e *env) partnerKey(t *testing.T, name string, in map[string]any) partnerKey {
	t.Helper()
	if _, ok := in["name"]; !ok {
		in["name"] = name
	}
	var got struct {
		CreatePartnerKey struct {
			Secret     string     `json:"secret"`
			PartnerKey partnerKey `json:"partnerKey"`
		} `json:"createPartnerKey"`
	}
	e.as(t, "owner", createKeyDoc, vars{"in": in}).decode(t, &got)
	k := got.CreatePartnerKey
	if !strings.HasPrefix(k.Secret, "pgk_") || !strings.HasPrefix(k.Secret, k.PartnerKey.Prefix) || len(k.PartnerKey.Prefix) != 12 {
		t.Fatalf("secret %q with prefix %q", k.Secret, k.PartnerKey.Prefix)
	}
	e.f.Tokens[name] = k.Secret
	return k.PartnerKey
}

// listKeys lists the workspace's keys as the owner.
func (e *env) listKeys(t *testing.T, revoked bool) []partnerKey {
	t.Helper()
	var got struct {
		PartnerKeys conn[partnerKey] `json:"partnerKeys"`
	}
	e.as(t, "owner", listKeysDoc, vars{"revoked": revoked}).decode(t, &got)
	return got.PartnerKeys.nodes()
}

// keyEvents are the actions recorded on a key, oldest first, with their
// staff actor.
func (e *env) keyEvents(t *testing.T, keyID string) []string {
	t.Helper()
	var rows []struct {
		Action string  `db:"action"`
		Actor  *string `db:"actor_user_id"`
	}
	if err := e.store.DB().Select(&rows, e.store.DB().Rebind(`SELECT action, actor_user_id FROM activity_events WHERE record_type = 'PARTNER_KEY' AND record_id = ? ORDER BY id`), keyID); err != nil {
		t.Fatal(err)
	}
	out := make([]string, len(rows))
	for i, r := range rows {
		actor := ""
		if r.Actor != nil {
			actor = *r.Actor
		}
		out[i] = r.Action + " by " + actor
	}
	return out
}

// assertKeyRefused requires a request with the key to be refused as
// unauthenticated, before GraphQL runs.
func assertKeyRefused(t *testing.T, e *env, who string) {
	t.Helper()
	assertRefused(t, e.as(t, who, viewerQuery, nil), http.StatusUnauthorized, "UNAUTHENTICATED", "invalid, expired or revoked API key")
}

func TestPartnerKeyLifecycle(t *testing.T) {
	t.Parallel()
	run(t, func(t *testing.T, e *env) {
		f := e.f
		k := e.partnerKey(t, "partner", map[string]any{"scopes": []string{"PROJECTS", "CLIENTS"}, "clientIds": []string{f.A.ID}})
		equal(t, "new key", []any{k.Name, k.Scopes, ids(k.Clients), k.IncludeInternal, k.ExpiresAt, k.CreatedBy.ID, k.LastUsedAt, k.RevokedAt},
			[]any{"partner", []string{"CLIENTS", "PROJECTS"}, []string{f.A.ID}, false, nil, f.Owner.ID, nil, nil})
		assertAudience(t, e, "partner", "PARTNER")

		// lastUsedAt is written at most once a minute.
		used := func() string {
			for _, key := range e.listKeys(t, false) {
				if key.ID == k.ID && key.LastUsedAt != nil {
					return *key.LastUsedAt
				}
			}
			t.Fatal("the key has no lastUsedAt")
			return ""
		}
		first := used()
		e.clock.Advance(30 * time.Second)
		assertAudience(t, e, "partner", "PARTNER")
		equal(t, "lastUsedAt within the minute", used(), first)
		e.clock.Advance(31 * time.Second)
		assertAudience(t, e, "partner", "PARTNER")
		if again := used(); again == first {
			t.Errorf("lastUsedAt still %s a minute later", again)
		}

		// Rotating: the new secret works at once, the old one for 24 hours.
		old := f.Tokens["partner"]
		var rotated struct {
			RotatePartnerKey struct {
				Secret     string     `json:"secret"`
				PartnerKey partnerKey `json:"partnerKey"`
			} `json:"rotatePartnerKey"`
		}
		e.as(t, "owner", rotateKeyDoc, vars{"id": k.ID}).decode(t, &rotated)
		r := rotated.RotatePartnerKey
		if r.Secret == old || !strings.HasPrefix(r.Secret, r.PartnerKey.Prefix) || r.PartnerKey.Prefix == k.Prefix || r.PartnerKey.RotatedAt == nil {
			t.Fatalf("rotated key %+v with secret %q", r.PartnerKey, r.Secret)
		}
		rotatedAt, _ := time.Parse(time.RFC3339, *r.PartnerKey.RotatedAt)
		graceEnd, _ := time.Parse(time.RFC3339, *r.PartnerKey.PreviousSecretExpiresAt)
		equal(t, "grace period", graceEnd.Sub(rotatedAt), portal.PartnerKeyGrace)
		f.Tokens["new"] = r.Secret
		assertAudience(t, e, "new", "PARTNER")
		assertAudience(t, e, "partner", "PARTNER")
		e.clock.Advance(23 * time.Hour)
		assertAudience(t, e, "partner", "PARTNER")
		e.clock.Advance(2 * time.Hour)
		assertKeyRefused(t, e, "partner")
		assertAudience(t, e, "new", "PARTNER")

		// Revoking ends the key on its next request; again changes nothing.
		e.as(t, "owner", revokeKeyDoc, vars{"id": k.ID}).decode(t, &map[string]any{})
		assertKeyRefused(t, e, "new")
		e.as(t, "owner", revokeKeyDoc, vars{"id": k.ID}).decode(t, &map[string]any{})
		equal(t, "keys listed", len(e.listKeys(t, false)), 0)
		equal(t, "keys listed with the revoked", ids(keyIDs(e.listKeys(t, true))), []string{k.ID})
		// A revoked key cannot be rotated back to life.
		e.as(t, "owner", rotateKeyDoc, vars{"id": k.ID}).onlyErrorAt(t, "rotatePartnerKey", "CONFLICT")

		equal(t, "events", e.keyEvents(t, k.ID), []string{"CREATED by " + f.Owner.ID, "KEY_ROTATED by " + f.Owner.ID, "KEY_REVOKED by " + f.Owner.ID})
	})
}

func keyIDs(keys []partnerKey) []idName {
	out := make([]idName, len(keys))
	for i, k := range keys {
		out[i] = idName{ID: k.ID, Name: k.Name}
	}
	return out
}

func TestPartnerKeyExpires(t *testing.T) {
	t.Parallel()
	run(t, func(t *testing.T, e *env) {
		expires := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
		k := e.partnerKey(t, "partner", map[string]any{"scopes": []string{"CLIENTS"}, "expiresAt": expires})
		equal(t, "expiresAt", *k.ExpiresAt, expires)
		assertAudience(t, e, "partner", "PARTNER")
		e.clock.Advance(2 * time.Hour)
		assertKeyRefused(t, e, "partner")
	})
}

// Only staff whose role grants PARTNER_KEYS_MANAGE (OWNER and ADMIN)
// manage keys; bad input names its field; a failed mutation writes
// nothing; another workspace's key is NOT_FOUND.
func TestPartnerKeyManagement(t *testing.T) {
	t.Parallel()
	run(t, func(t *testing.T, e *env) {
		f := e.f
		k := e.partnerKey(t, "partner", map[string]any{"scopes": []string{"CLIENTS"}})
		before := e.tableState(t)
		valid := map[string]any{"name": "Dash", "scopes": []string{"CLIENTS"}}
		for _, who := range []string{"manager", "member", "viewer"} {
			e.as(t, who, createKeyDoc, vars{"in": valid}).onlyErrorAt(t, "createPartnerKey", "FORBIDDEN")
			e.as(t, who, rotateKeyDoc, vars{"id": k.ID}).onlyErrorAt(t, "rotatePartnerKey", "FORBIDDEN")
			e.as(t, who, revokeKeyDoc, vars{"id": k.ID}).onlyErrorAt(t, "revokePartnerKey", "FORBIDDEN")
			r := e.as(t, who, listKeysDoc, nil)
			r.onlyErrorAt(t, "partnerKeys", "FORBIDDEN")
		}
		for _, c := range []struct {
			name string
			in   map[string]any
			want []string
		}{
			{"blank name", map[string]any{"name": " ", "scopes": []string{"CLIENTS"}}, []string{"input.name: must not be blank"}},
			{"no scopes", map[string]any{"name": "x", "scopes": []string{}}, []string{"input.scopes: must have at least 1 item"}},
			{"a section without the one above it", map[string]any{"name": "x", "scopes": []string{"CLIENTS", "DELIVERABLES"}}, []string{"input.scopes: DELIVERABLES needs PROJECTS"}},
			{"another workspace's client", map[string]any{"name": "x", "scopes": []string{"CLIENTS"}, "clientIds": []string{f.A.ID, f.X.ID}}, []string{`input.clientIds: no client with id "` + f.X.ID + `"`}},
			{"an expiry in the past", map[string]any{"name": "x", "scopes": []string{"CLIENTS"}, "expiresAt": "2020-01-01T00:00:00Z"}, []string{"input.expiresAt: must be in the future"}},
		} {
			got := e.as(t, "owner", createKeyDoc, vars{"in": c.in}).onlyErrorAt(t, "createPartnerKey", "BAD_USER_INPUT")
			equal(t, c.name, got.fields(), c.want)
		}
		e.as(t, "owner2", rotateKeyDoc, vars{"id": k.ID}).onlyErrorAt(t, "rotatePartnerKey", "NOT_FOUND")
		e.as(t, "owner2", revokeKeyDoc, vars{"id": k.ID}).onlyErrorAt(t, "revokePartnerKey", "NOT_FOUND")
		var other struct {
			PartnerKeys conn[partnerKey] `json:"partnerKeys"`
		}
		e.as(t, "owner2", listKeysDoc, nil).decode(t, &other)
		equal(t, "the other workspace's keys", other.PartnerKeys.TotalCount, 0)
		equal(t, "tables", e.tableState(t), before)
		assertAudience(t, e, "partner", "PARTNER")

		// A partner's key changes nothing: its schema has no mutation.
		r := e.as(t, "partner", `mutation { logOut { ok } }`, nil)
		if r.only(t).Extensions.Code != "GRAPHQL_VALIDATION_FAILED" || !r.dataIsNull() {
			t.Errorf("a partner's mutation: %s", r.Raw)
		}
		e.as(t, "partner", `mutation($id: ID!) { revokePartnerKey(input: {id: $id}) { partnerKey { id } } }`, vars{"id": k.ID}).only(t)
		assertAudience(t, e, "partner", "PARTNER")
	})
}

func TestIntrospectionPartner(t *testing.T) {
	t.Parallel()
	run(t, func(t *testing.T, e *env) {
		e.partnerKey(t, "partner", map[string]any{"scopes": allScopes, "includeInternal": true})
		ix := introspect(t, e, "partner")
		// A partner lists clients, which a contact does not.
		// A partner lists clients and reads activity, which a contact
		// does not; the actions and record types are named as staff's.
		assertNoInternalNames(t, ix, "clients", "ClientConnection", "ClientEdge", "ClientOrder", "ClientOrderField",
			"activity", "ActivityEvent", "ActivityEventConnection", "ActivityEventEdge", "ActivityFilter", "ActivityAction", "RecordType",
			"actions", "portalOnly", "recordTypes", "KEY_REVOKED", "KEY_ROTATED", "LOGGED_IN", "PORTAL_PREVIEWED", "VIEWED", "PARTNER_KEY",
			"activeContacts")
		for _, path := range slices.Sorted(func(yield func(string) bool) {
			for p := range ix.leaves {
				if !yield(p) {
					return
				}
			}
		}) {
			if slices.Contains(signInNames, ix.leaves[path]) {
				t.Errorf("sign-in name %q served to partners as %s", ix.leaves[path], path)
			}
		}
		equal(t, "mutationType", ix.mutation, (*named)(nil))
		equal(t, "Mutation fields", ix.fields["Mutation"], []string(nil))
		equal(t, "queryType", ix.query, "Query")
		equal(t, "directives", ix.directives, servedDirectives)
		equal(t, "Query fields", ix.fields["Query"], []string{"viewer", "node", "client", "clients", "project", "projects", "deliverable", "deliverables", "approval", "approvals", "file", "report", "reports", "request", "requests", "dashboard"})
		equal(t, "Dashboard fields", ix.fields["Dashboard"], []string{"approvalsByStatus", "approvalTurnaround", "overdueApprovals", "overdueDeliverables", "deliverablesByStatus", "requests", "engagement"})
		equal(t, "Viewer fields", ix.fields["Viewer"], []string{"audience", "workspace"})
		equal(t, "Query.clients args", []bool{ix.elements["Query.clients(orderBy)"], ix.elements["Query.clients(filter)"]}, []bool{true, false})
		equal(t, "Project fields", ix.fields["Project"], []string{
			"id", "client", "name", "description", "status", "startsOn", "dueOn", "owner", "deliverables", "approvals", "files", "reports", "createdAt",
		})
		equal(t, "Client fields", ix.fields["Client"], []string{
			"id", "name", "organization", "owner", "email", "phone", "website", "address", "portalEnabled",
			"portalSettings", "contacts", "projects", "activity", "approvals", "files", "reports", "requests", "createdAt",
		})
		equal(t, "ActivityEvent fields", ix.fields["ActivityEvent"], []string{
			"id", "action", "recordType", "recordId", "record", "actorUser", "actorContact", "client", "createdAt",
		})
		for _, absent := range []string{"Upload", "UploadFileInput", "ExportConnection", "PartnerKey", "Mutation"} {
			if ix.elements[absent] {
				t.Errorf("the partner schema serves %s", absent)
			}
		}
		// An internal field is unknown, exactly like a typo, even to a key
		// that reads internal records.
		got := e.as(t, "partner", `{ projects { edges { node { budgetCents } } } }`, nil).only(t)
		equal(t, "internal field", got.Message, `Cannot query field "budgetCents" on type "Project".`)
	})
}

// partnerView is what a key sees of the workspace through every path:
// root lists, lookups by ID and node(id), relations and counts.
type partnerView struct {
	Clients      conn[idName] `json:"clients"`
	Projects     conn[idName] `json:"projects"`
	Deliverables conn[struct {
		ID string `json:"id"`
	}] `json:"deliverables"`
	Approvals conn[struct {
		ID        string `json:"id"`
		Decisions []struct {
			ID      string `json:"id"`
			Contact idName `json:"contact"`
		} `json:"decisions"`
	}] `json:"approvals"`
	Reports  conn[struct{ ID string }] `json:"reports"`
	Requests conn[struct {
		ID       string                    `json:"id"`
		Comments conn[struct{ ID string }] `json:"comments"`
	}] `json:"requests"`
	A *struct {
		ID       string       `json:"id"`
		Contacts conn[idName] `json:"contacts"`
		Projects conn[struct {
			ID           string                    `json:"id"`
			Deliverables conn[struct{ ID string }] `json:"deliverables"`
			Approvals    conn[struct{ ID string }] `json:"approvals"`
			Files        conn[struct{ ID string }] `json:"files"`
		}] `json:"projects"`
		Files    conn[struct{ ID string }] `json:"files"`
		Reports  conn[struct{ ID string }] `json:"reports"`
		Requests conn[struct{ ID string }] `json:"requests"`
	} `json:"a"`
}

const partnerViewDoc = `query($a: ID!) {
	clients(first: 100) { totalCount edges { node { id name } } }
	projects(first: 100) { totalCount edges { node { id name } } }
	deliverables(first: 100) { totalCount edges { node { id } } }
	approvals(first: 100) { totalCount edges { node { id decisions { id contact { id name } } } } }
	reports(first: 100) { totalCount edges { node { id } } }
	requests(first: 100) { totalCount edges { node { id comments { totalCount edges { node { id } } } } } }
	a: client(id: $a) {
		id
		contacts { totalCount edges { node { id name } } }
		projects { totalCount edges { node { id deliverables { totalCount edges { node { id } } } approvals { totalCount edges { node { id } } } files { totalCount edges { node { id } } } } } }
		files { totalCount edges { node { id } } }
		reports { totalCount edges { node { id } } }
		requests { totalCount edges { node { id } } }
	}
}`

// partnerRecords adds to the fixture what it lacks for partners: a
// published report, a request with a staff and an internal comment, and
// a shared and an internal file on A's shared project, and on B's.
type partnerRecords struct {
	reportA, reportB, requestA, requestB, sharedFile, internalFile, fileB string
}

func (e *env) partnerRecords(t *testing.T) partnerRecords {
	t.Helper()
	f := e.f
	var out partnerRecords
	report := func(clientID string) string {
		var got struct {
			CreateReport struct{ Report struct{ ID string } } `json:"createReport"`
		}
		e.as(t, "owner", `mutation($c: ID!) { createReport(input: {clientId: $c, title: "Q1", periodStart: "2026-01-01", periodEnd: "2026-03-31"}) { report { id } } }`, vars{"c": clientID}).decode(t, &got)
		id := got.CreateReport.Report.ID
		e.as(t, "owner", `mutation($id: ID!) { publishReport(input: {id: $id}) { report { id } } }`, vars{"id": id}).decode(t, &map[string]any{})
		return id
	}
	out.reportA, out.reportB = report(f.A.ID), report(f.B.ID)
	// A draft, which no partner sees.
	e.as(t, "owner", `mutation($c: ID!) { createReport(input: {clientId: $c, title: "Draft", periodStart: "2026-01-01", periodEnd: "2026-03-31"}) { report { id } } }`, vars{"c": f.A.ID}).decode(t, &map[string]any{})
	request := func(who string) string {
		var got struct {
			OpenRequest struct{ Request struct{ ID string } } `json:"openRequest"`
		}
		e.as(t, who, `mutation { openRequest(input: {title: "Help", body: "Please"}) { request { id } } }`, nil).decode(t, &got)
		id := got.OpenRequest.Request.ID
		for _, internal := range []bool{false, true} {
			e.as(t, "owner", `mutation($id: ID!, $i: Boolean) { commentOnRequest(input: {requestId: $id, body: "On it", internal: $i}) { comment { id } } }`,
				vars{"id": id, "i": internal}).decode(t, &map[string]any{})
		}
		return id
	}
	out.requestA, out.requestB = request("aActive"), request("bActive")
	out.sharedFile = e.mustUpload(t, "owner", map[string]any{"projectId": f.AShared.ID, "visibility": "SHARED"}, upload{"brief.png", pngBytes}).ID
	out.internalFile = e.mustUpload(t, "owner", map[string]any{"projectId": f.AShared.ID}, upload{"draft.png", pngBytes}).ID
	out.fileB = e.mustUpload(t, "owner", map[string]any{"projectId": f.BShared.ID, "visibility": "SHARED"}, upload{"bolt.png", pngBytes}).ID
	return out
}

func connIDs[T any](c conn[T], id func(T) string) []string {
	out := []string{}
	for _, n := range c.nodes() {
		out = append(out, id(n))
	}
	slices.Sort(out)
	return out
}

func (v partnerView) summary() map[string]any {
	id := func(r idName) string { return r.ID }
	out := map[string]any{
		"clients":  connIDs(v.Clients, id),
		"projects": connIDs(v.Projects, id),
		"deliverables": connIDs(v.Deliverables, func(r struct {
			ID string `json:"id"`
		}) string {
			return r.ID
		}),
		"reports": connIDs(v.Reports, func(r struct{ ID string }) string { return r.ID }),
		"counts": []int{v.Clients.TotalCount, v.Projects.TotalCount, v.Deliverables.TotalCount, v.Approvals.TotalCount,
			v.Reports.TotalCount, v.Requests.TotalCount},
	}
	var approvals, decisions, requests, comments []string
	for _, a := range v.Approvals.nodes() {
		approvals = append(approvals, a.ID)
		for _, d := range a.Decisions {
			decisions = append(decisions, d.ID+" by "+d.Contact.ID)
		}
	}
	for _, r := range v.Requests.nodes() {
		requests = append(requests, r.ID)
		for _, c := range r.Comments.nodes() {
			comments = append(comments, c.ID)
		}
	}
	for k, l := range map[string][]string{"approvals": approvals, "decisions": decisions, "requests": requests, "comments": comments} {
		slices.Sort(l)
		if l == nil {
			l = []string{}
		}
		out[k] = l
	}
	if v.A != nil {
		var deliverables, files []string
		for _, p := range v.A.Projects.nodes() {
			for _, d := range p.Deliverables.nodes() {
				deliverables = append(deliverables, d.ID)
			}
			for _, fl := range p.Files.nodes() {
				files = append(files, fl.ID)
			}
		}
		slices.Sort(deliverables)
		slices.Sort(files)
		out["a"] = map[string]any{
			"contacts": v.A.Contacts.TotalCount, "projects": v.A.Projects.TotalCount, "projectDeliverables": deliverables,
			"projectFiles": files, "files": v.A.Files.TotalCount, "reports": v.A.Reports.TotalCount, "requests": v.A.Requests.TotalCount,
		}
	}
	return out
}

func TestPartnerReadsOnlyItsSectionsAndClients(t *testing.T) {
	t.Parallel()
	run(t, func(t *testing.T, e *env) {
		f := e.f
		rec := e.partnerRecords(t)
		e.partnerKey(t, "all", map[string]any{"scopes": allScopes})
		e.partnerKey(t, "internal", map[string]any{"scopes": allScopes, "includeInternal": true})
		e.partnerKey(t, "onlyA", map[string]any{"scopes": allScopes, "clientIds": []string{f.A.ID}})
		e.partnerKey(t, "onlyB", map[string]any{"scopes": allScopes, "clientIds": []string{f.B.ID}, "includeInternal": true})
		e.partnerKey(t, "clients", map[string]any{"scopes": []string{"CLIENTS"}})
		e.partnerKey(t, "projects", map[string]any{"scopes": []string{"CLIENTS", "PROJECTS", "REPORTS"}})

		view := func(who string) map[string]any {
			t.Helper()
			var v partnerView
			e.as(t, who, partnerViewDoc, vars{"a": f.A.ID}).decode(t, &v)
			return v.summary()
		}
		sortedIDs := func(ids ...string) []string { return sorted(ids) }
		none := []string{}
		// Shared records of every client of the workspace (C's too: a
		// partner reads clients whatever their portal), never X's.
		equal(t, "all sections, shared", view("all"), map[string]any{
			"clients": sortedIDs(f.A.ID, f.B.ID, f.C.ID), "projects": sortedIDs(f.AShared.ID, f.BShared.ID),
			"deliverables": sortedIDs(f.DShared.ID, f.BDeliverable.ID), "approvals": sortedIDs(f.ApprovalShared.ID, f.BApproval.ID),
			"decisions": []string{f.DecisionShared.ID + " by " + f.AActive.ID}, "reports": sortedIDs(rec.reportA, rec.reportB),
			"requests": sortedIDs(rec.requestA, rec.requestB), "comments": commentsOf(t, e, rec.requestA, rec.requestB),
			"counts": []int{3, 2, 2, 2, 2, 2},
			"a": map[string]any{"contacts": 3, "projects": 1, "projectDeliverables": []string{f.DShared.ID},
				"projectFiles": []string{rec.sharedFile}, "files": 1, "reports": 1, "requests": 1},
		})
		equal(t, "all sections, internal records too", view("internal"), map[string]any{
			"clients": sortedIDs(f.A.ID, f.B.ID, f.C.ID), "projects": sortedIDs(f.AShared.ID, f.AInternal.ID, f.BShared.ID),
			"deliverables": sortedIDs(f.DShared.ID, f.DInternal.ID, f.DOfInternal.ID, f.BDeliverable.ID),
			"approvals":    sortedIDs(f.ApprovalShared.ID, f.ApprovalInternal.ID, f.BApproval.ID),
			"decisions":    []string{f.DecisionShared.ID + " by " + f.AActive.ID}, "reports": sortedIDs(rec.reportA, rec.reportB),
			"requests": sortedIDs(rec.requestA, rec.requestB), "comments": commentsOf(t, e, rec.requestA, rec.requestB),
			"counts": []int{3, 3, 4, 3, 2, 2},
			"a": map[string]any{"contacts": 3, "projects": 2, "projectDeliverables": sortedIDs(f.DShared.ID, f.DInternal.ID, f.DOfInternal.ID),
				"projectFiles": sortedIDs(rec.sharedFile, rec.internalFile), "files": 2, "reports": 1, "requests": 1},
		})
		equal(t, "restricted to A", view("onlyA"), map[string]any{
			"clients": []string{f.A.ID}, "projects": []string{f.AShared.ID}, "deliverables": []string{f.DShared.ID},
			"approvals": []string{f.ApprovalShared.ID}, "decisions": []string{f.DecisionShared.ID + " by " + f.AActive.ID},
			"reports": []string{rec.reportA}, "requests": []string{rec.requestA}, "comments": commentsOf(t, e, rec.requestA),
			"counts": []int{1, 1, 1, 1, 1, 1},
			"a": map[string]any{"contacts": 3, "projects": 1, "projectDeliverables": []string{f.DShared.ID},
				"projectFiles": []string{rec.sharedFile}, "files": 1, "reports": 1, "requests": 1},
		})
		// Restricted to B, client A is NOT_FOUND, and nothing of it shows.
		r := e.as(t, "onlyB", partnerViewDoc, vars{"a": f.A.ID})
		r.onlyErrorAt(t, "a", "NOT_FOUND")
		var v partnerView
		r.decodeData(t, &v)
		equal(t, "restricted to B", v.summary(), map[string]any{
			"clients": []string{f.B.ID}, "projects": []string{f.BShared.ID}, "deliverables": []string{f.BDeliverable.ID},
			"approvals": []string{f.BApproval.ID}, "decisions": none, "reports": []string{rec.reportB},
			"requests": []string{rec.requestB}, "comments": commentsOf(t, e, rec.requestB), "counts": []int{1, 1, 1, 1, 1, 1},
		})
		// A key without a section gets empty lists, as a hidden portal
		// section does.
		equal(t, "clients only", view("clients"), map[string]any{
			"clients": sortedIDs(f.A.ID, f.B.ID, f.C.ID), "projects": none, "deliverables": none, "approvals": none,
			"decisions": none, "reports": none, "requests": none, "comments": none, "counts": []int{3, 0, 0, 0, 0, 0},
			"a": map[string]any{"contacts": 3, "projects": 0, "projectDeliverables": nil, "projectFiles": nil, "files": 0, "reports": 0, "requests": 0},
		})
		equal(t, "clients, projects and reports", view("projects"), map[string]any{
			"clients": sortedIDs(f.A.ID, f.B.ID, f.C.ID), "projects": sortedIDs(f.AShared.ID, f.BShared.ID), "deliverables": none,
			"approvals": none, "decisions": none, "reports": sortedIDs(rec.reportA, rec.reportB), "requests": none, "comments": none,
			"counts": []int{3, 2, 0, 0, 2, 0},
			"a":      map[string]any{"contacts": 3, "projects": 1, "projectDeliverables": nil, "projectFiles": nil, "files": 0, "reports": 1, "requests": 0},
		})

		// Lookups by ID and node(id) of what a key does not read are
		// NOT_FOUND, exactly like records that do not exist.
		lookups := map[string]string{
			"client": f.B.ID, "project": f.BShared.ID, "deliverable": f.DInternal.ID, "approval": f.ApprovalInternal.ID,
			"report": rec.reportB, "request": rec.requestB, "file": rec.internalFile,
		}
		for who, visible := range map[string][]string{
			"all":      {f.B.ID, f.BShared.ID, rec.reportB, rec.requestB},
			"internal": {f.B.ID, f.BShared.ID, f.DInternal.ID, f.ApprovalInternal.ID, rec.reportB, rec.requestB, rec.internalFile},
			"onlyA":    {},
			"clients":  {f.B.ID},
		} {
			for field, id := range lookups {
				for _, q := range []string{`query($id: ID!) { r: ` + field + `(id: $id) { id } }`, `query($id: ID!) { r: node(id: $id) { id } }`} {
					r := e.as(t, who, q, vars{"id": id})
					if slices.Contains(visible, id) {
						var got struct{ R idName }
						r.decode(t, &got)
						equal(t, who+" "+q, got.R.ID, id)
					} else {
						r.onlyErrorAt(t, "r", "NOT_FOUND")
					}
				}
			}
		}
		// Nothing of another workspace, ever.
		for _, id := range []string{f.X.ID, f.XShared.ID, f.XDeliv.ID, f.XApprove.ID, f.Owner2.ID, f.XActive.ID, f.NoteA.ID, f.EventA.ID} {
			e.as(t, "internal", `query($id: ID!) { node(id: $id) { id } }`, vars{"id": id}).onlyErrorAt(t, "node", "NOT_FOUND")
		}
		// Staff users show as the owners of what the key reads.
		var owners struct {
			Project struct {
				Owner *idName `json:"owner"`
			} `json:"project"`
		}
		e.as(t, "internal", `query($id: ID!) { project(id: $id) { owner { id name } } }`, vars{"id": f.AInternal.ID}).decode(t, &owners)
		equal(t, "owner", owners.Project.Owner.ID, f.Owner.ID)
	})
}

// commentsOf are the IDs of the requests' comments that are not internal.
func commentsOf(t *testing.T, e *env, requestIDs ...string) []string {
	t.Helper()
	var out []string
	for _, id := range requestIDs {
		var rows []string
		if err := e.store.DB().Select(&rows, e.store.DB().Rebind(`SELECT id FROM request_comments WHERE request_id = ? AND internal = FALSE`), id); err != nil {
			t.Fatal(err)
		}
		out = append(out, rows...)
	}
	slices.Sort(out)
	if out == nil {
		out = []string{}
	}
	return out
}

// A key's download links work while the key does.
func TestPartnerDownloads(t *testing.T) {
	t.Parallel()
	run(t, func(t *testing.T, e *env) {
		f := e.f
		file := e.mustUpload(t, "owner", map[string]any{"projectId": f.AShared.ID, "visibility": "SHARED"}, upload{"brief.png", pngBytes})
		k := e.partnerKey(t, "partner", map[string]any{"scopes": allScopes})
		var got struct {
			File struct {
				DownloadURL string `json:"downloadUrl"`
			} `json:"file"`
		}
		e.as(t, "partner", `query($id: ID!) { file(id: $id) { downloadUrl } }`, vars{"id": file.ID}).decode(t, &got)
		if status, _, body := e.download(t, got.File.DownloadURL); status != http.StatusOK || string(body) != string(pngBytes) {
			t.Fatalf("download: HTTP %d", status)
		}
		e.as(t, "owner", revokeKeyDoc, vars{"id": k.ID}).decode(t, &map[string]any{})
		if status, _, _ := e.download(t, got.File.DownloadURL); status != http.StatusForbidden {
			t.Errorf("download after the key was revoked: HTTP %d, want 403", status)
		}
	})
}

// Each key spends a budget of its own, reported like everyone's.
func TestPartnerBudgets(t *testing.T) {
	t.Parallel()
	run(t, func(t *testing.T, e *env) {
		e.partnerKey(t, "one", map[string]any{"scopes": []string{"CLIENTS"}})
		e.partnerKey(t, "two", map[string]any{"scopes": []string{"CLIENTS"}})
		const fourPoints = `{ clients(first: 2) { edges { node { id } } } }`
		r := e.as(t, "one", fourPoints, nil)
		r.decode(t, &map[string]any{})
		c := r.Extensions.Cost
		equal(t, "cost", []any{c.Requested, c.Maximum, c.Budget.Limit, c.Budget.Remaining, r.Header.Get("RateLimit-Limit"), r.Header.Get("RateLimit-Remaining")},
			[]any{4, graph.DefaultLimits(portal.AudiencePartner).MaxCost, 8, 4, "8", "4"})
		e.as(t, "one", fourPoints, nil).decode(t, &map[string]any{})
		spent := e.as(t, "one", fourPoints, nil)
		equal(t, "spent", []any{spent.Status, spent.only(t).Extensions.Code}, []any{http.StatusTooManyRequests, "RATE_LIMITED"})
		// Another key of the same workspace has its own.
		e.as(t, "two", fourPoints, nil).decode(t, &map[string]any{})
	}, func(c *graph.Config) {
		c.Limits = map[portal.Audience]graph.Limits{portal.AudiencePartner: {BudgetPerMinute: 8}}
		c.Budgets = ratelimit.NewMemory(ratelimittest.NewClock().Now)
	})
}

// TestPartnerKeysReadTheActivityOfWhatTheySee: a key with the ACTIVITY
// section reads a client's events whose record it reads itself, by ID, and
// no other (not an internal project's, not a staff preview); a key without
// the section reads none.
func TestPartnerKeysReadTheActivityOfWhatTheySee(t *testing.T) {
	t.Parallel()
	run(t, func(t *testing.T, e *env) {
		f := e.f
		rename := `mutation($id: ID!, $name: String!) { updateProject(input: {id: $id, name: $name}) { project { id } } }`
		e.as(t, "owner", rename, vars{"id": f.AShared.ID, "name": "Acme shared, renamed"})
		e.as(t, "owner", rename, vars{"id": f.AInternal.ID, "name": "Acme internal, renamed"})
		e.requestApproval(t, "manager", f.DShared.ID, f.AActive.ID)
		e.flush(t)
		e.partnerKey(t, "reader", map[string]any{"scopes": append(slices.Clone(allScopes), "ACTIVITY"), "clientIds": []string{f.A.ID}})
		e.partnerKey(t, "internalReader", map[string]any{"scopes": append(slices.Clone(allScopes), "ACTIVITY"), "includeInternal": true})
		e.partnerKey(t, "noActivity", map[string]any{"scopes": allScopes})

		const doc = `query($id: ID!) { client(id: $id) { activity(first: 100) { totalCount edges { node { id recordType recordId record { id } } } } } }`
		type seen struct {
			Client *struct {
				Activity struct {
					TotalCount int `json:"totalCount"`
					Edges      []struct {
						Node struct {
							ID         string  `json:"id"`
							RecordType string  `json:"recordType"`
							RecordID   string  `json:"recordId"`
							Record     *idName `json:"record"`
						} `json:"node"`
					} `json:"edges"`
				} `json:"activity"`
			} `json:"client"`
		}
		staff := e.activity(t, f.A.ID, nil)
		readable := map[string]bool{"CLIENT": true, "CONTACT": true, "PROJECT": true, "DELIVERABLE": true, "APPROVAL": true, "FILE": true, "REPORT": true, "REQUEST": true}
		for _, who := range []string{"reader", "internalReader"} {
			var want []string
			for _, ev := range staff {
				if !readable[ev.RecordType] || ev.Preview || ev.Action == "PORTAL_PREVIEWED" {
					continue
				}
				var byID struct {
					Node *idName `json:"node"`
				}
				r := e.as(t, who, `query($id: ID!) { node(id: $id) { id } }`, vars{"id": ev.RecordID})
				if r.Errors == nil {
					r.decode(t, &byID)
				}
				if byID.Node != nil {
					want = append(want, ev.ID)
				}
			}
			var got seen
			e.as(t, who, doc, vars{"id": f.A.ID}).decode(t, &got)
			var ids []string
			for _, edge := range got.Client.Activity.Edges {
				ids = append(ids, edge.Node.ID)
			}
			equal(t, who+"'s events of Acme", ids, want)
			equal(t, who+"'s count", got.Client.Activity.TotalCount, len(want))
			if len(want) == 0 {
				t.Errorf("%s reads no event at all", who)
			}
		}
		// The internal project's rename is the internal reader's alone.
		internalRenamed := func(who string) bool {
			var got seen
			e.as(t, who, doc, vars{"id": f.A.ID}).decode(t, &got)
			for _, edge := range got.Client.Activity.Edges {
				if edge.Node.RecordID == f.AInternal.ID {
					return true
				}
			}
			return false
		}
		equal(t, "the internal project's event, read without internal records", internalRenamed("reader"), false)
		equal(t, "the internal project's event, read with internal records", internalRenamed("internalReader"), true)

		var none seen
		e.as(t, "noActivity", doc, vars{"id": f.A.ID}).decode(t, &none)
		equal(t, "events without the section", none.Client.Activity.TotalCount, 0)
		e.as(t, "reader", doc, vars{"id": f.B.ID}).onlyErrorAt(t, "client", "NOT_FOUND")
	})
}
