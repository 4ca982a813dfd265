package graph_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"portalgraph/internal/portal"
)

// Allow lists over HTTP: staff register persisted operations and lock
// partner keys and the portal to them; a locked principal runs only those.

const (
	registerOpDoc   = `mutation($name: String!, $doc: String!) { registerPersistedOperation(input: {name: $name, document: $doc}) { persistedOperation { id hash name document createdBy { id } } } }`
	unregisterOpDoc = `mutation($hash: String!) { unregisterPersistedOperation(input: {hash: $hash}) { removed } }`
	lockKeyDoc      = `mutation($id: ID!, $on: Boolean!) { setPartnerKeyAllowList(input: {id: $id, persistedOnly: $on}) { partnerKey { id persistedOnly } } }`
	lockPortalDoc   = `mutation($on: Boolean!) { setPortalAllowList(input: {persistedOnly: $on}) { workspace { portalPersistedOnly } } }`
	projectsOp      = `query Projects { projects { edges { node { id name } } } }`
	otherOp         = `query Other { projects { totalCount } }`
)

type persistedOp struct {
	ID        string  `json:"id"`
	Hash      string  `json:"hash"`
	Name      string  `json:"name"`
	Document  string  `json:"document"`
	CreatedBy *idName `json:"createdBy"`
}

// register registers a document as the owner.
func (e *env) register(t *testing.T, name, doc string) persistedOp {
	t.Helper()
	var got struct {
		RegisterPersistedOperation struct {
			PersistedOperation persistedOp `json:"persistedOperation"`
		} `json:"registerPersistedOperation"`
	}
	e.as(t, "owner", registerOpDoc, vars{"name": name, "doc": doc}).decode(t, &got)
	return got.RegisterPersistedOperation.PersistedOperation
}

// persisted sends a request as who with extensions.persistedQuery naming
// hash, with the document when doc is not "".
func (e *env) persisted(t *testing.T, who, doc, hash string) *response {
	t.Helper()
	body := map[string]any{"extensions": map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": hash}}}
	if doc != "" {
		body["query"] = doc
	}
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

// assertRuns requires a response with data and no errors.
func assertRuns(t *testing.T, what string, r *response) {
	t.Helper()
	if r.Status != http.StatusOK || len(r.Errors) > 0 || r.dataIsNull() {
		t.Errorf("%s: HTTP %d %s", what, r.Status, r.Raw)
	}
}

// assertNotAllowed requires a refusal of the operation before it ran.
func assertNotAllowed(t *testing.T, what string, r *response) {
	t.Helper()
	if r.Status != http.StatusForbidden || len(r.Errors) != 1 || r.Errors[0].Extensions.Code != "PERSISTED_QUERY_NOT_ALLOWED" || !r.dataIsNull() {
		t.Errorf("%s: HTTP %d %s, want 403 PERSISTED_QUERY_NOT_ALLOWED", what, r.Status, r.Raw)
	}
}

func TestAllowListLocksAPartnerKey(t *testing.T) {
	t.Parallel()
	run(t, func(t *testing.T, e *env) {
		op := e.register(t, "Projects", projectsOp)
		equal(t, "registered", []any{op.Hash, op.Name, op.Document, op.CreatedBy.ID}, []any{portal.OperationHash(projectsOp), "Projects", projectsOp, e.f.Owner.ID})
		if again := e.register(t, "Projects again", projectsOp); again.ID != op.ID || again.Name != "Projects" {
			t.Errorf("registering a registered document made %+v", again)
		}
		locked := e.partnerKey(t, "locked", map[string]any{"scopes": []string{"CLIENTS", "PROJECTS"}})
		e.partnerKey(t, "open", map[string]any{"scopes": []string{"CLIENTS", "PROJECTS"}})
		var lock struct {
			SetPartnerKeyAllowList struct {
				PartnerKey struct {
					PersistedOnly bool `json:"persistedOnly"`
				} `json:"partnerKey"`
			} `json:"setPartnerKeyAllowList"`
		}
		e.as(t, "owner", lockKeyDoc, vars{"id": locked.ID, "on": true}).decode(t, &lock)
		if !lock.SetPartnerKeyAllowList.PartnerKey.PersistedOnly {
			t.Fatal("the key is not locked")
		}
		equal(t, "the key's events", e.keyEvents(t, locked.ID), []string{"CREATED by " + e.f.Owner.ID, "UPDATED by " + e.f.Owner.ID})

		// A locked key runs the registered operation by hash alone, by
		// its document, and by both; nothing else.
		byHash := e.persisted(t, "locked", "", op.Hash)
		assertRuns(t, "by hash", byHash)
		byDoc := e.as(t, "locked", projectsOp, nil)
		assertRuns(t, "by document", byDoc)
		if !bytes.Equal(byHash.Data, byDoc.Data) {
			t.Errorf("by hash %s, by document %s", byHash.Data, byDoc.Data)
		}
		assertRuns(t, "by both", e.persisted(t, "locked", projectsOp, op.Hash))
		assertNotAllowed(t, "another document", e.as(t, "locked", otherOp, nil))
		assertNotAllowed(t, "another hash", e.persisted(t, "locked", "", portal.OperationHash(otherOp)))
		assertNotAllowed(t, "another document with its hash", e.persisted(t, "locked", otherOp, portal.OperationHash(otherOp)))
		r := e.as(t, "locked", otherOp, nil)
		if msg := r.only(t).Message; !strings.Contains(msg, "this API key runs only the workspace's persisted operations") {
			t.Errorf("refusal message %q", msg)
		}

		// A key that is not locked runs anything, and automatic persisted
		// queries work for it as ever; a registered hash works by itself.
		assertRuns(t, "an open key's document", e.as(t, "open", otherOp, nil))
		other := portal.OperationHash(otherOp)
		if r := e.persisted(t, "open", "", other); r.only(t).Extensions.Code != "PERSISTED_QUERY_NOT_FOUND" {
			t.Errorf("an unknown hash: %s", r.Raw)
		}
		assertRuns(t, "APQ: document and hash", e.persisted(t, "open", otherOp, other))
		assertRuns(t, "APQ: hash", e.persisted(t, "open", "", other))
		assertRuns(t, "a registered hash, never sent before", e.persisted(t, "open", "", op.Hash))

		// Unregistering holds from the next request, on every server.
		second := e.secondServer(t)
		var gone struct {
			UnregisterPersistedOperation struct {
				Removed bool `json:"removed"`
			} `json:"unregisterPersistedOperation"`
		}
		e.as(t, "owner", unregisterOpDoc, vars{"hash": op.Hash}).decode(t, &gone)
		if !gone.UnregisterPersistedOperation.Removed {
			t.Error("nothing was removed")
		}
		assertNotAllowed(t, "an unregistered operation", e.as(t, "locked", projectsOp, nil))
		assertNotAllowed(t, "an unregistered operation on a second server", e.sendVia(t, http.DefaultClient, newPost(t, second, e.f.Tokens["locked"], projectsOp, nil)))
		e.as(t, "owner", unregisterOpDoc, vars{"hash": op.Hash}).decode(t, &gone)
		if gone.UnregisterPersistedOperation.Removed {
			t.Error("removed twice")
		}

		// Unlocked, the key runs anything again.
		e.as(t, "owner", lockKeyDoc, vars{"id": locked.ID, "on": false}).decode(t, &lock)
		assertRuns(t, "an unlocked key", e.as(t, "locked", otherOp, nil))
	})
}

func TestAllowListLocksThePortal(t *testing.T) {
	t.Parallel()
	run(t, func(t *testing.T, e *env) {
		const contactOp = `query MyProjects { viewer { client { name } } projects { totalCount } }`
		op := e.register(t, "MyProjects", contactOp)
		// Locking the portal needs PORTAL_MANAGE.
		e.as(t, "member", lockPortalDoc, vars{"on": true}).onlyErrorAt(t, "setPortalAllowList", "FORBIDDEN")
		assertRuns(t, "an open portal", e.as(t, "aActive", otherOp, nil))
		var got struct {
			SetPortalAllowList struct {
				Workspace struct {
					PortalPersistedOnly bool `json:"portalPersistedOnly"`
				} `json:"workspace"`
			} `json:"setPortalAllowList"`
		}
		e.as(t, "owner", lockPortalDoc, vars{"on": true}).decode(t, &got)
		if !got.SetPortalAllowList.Workspace.PortalPersistedOnly {
			t.Fatal("the portal is not locked")
		}
		// Every contact of the workspace is locked; another workspace's
		// portal and staff never are.
		for _, who := range []string{"aActive", "bActive"} {
			assertRuns(t, who+": by hash", e.persisted(t, who, "", op.Hash))
			assertRuns(t, who+": by document", e.as(t, who, contactOp, nil))
			assertNotAllowed(t, who+": another operation", e.as(t, who, otherOp, nil))
		}
		r := e.as(t, "aActive", otherOp, nil)
		if msg := r.only(t).Message; !strings.Contains(msg, "this portal runs only") {
			t.Errorf("refusal message %q", msg)
		}
		assertRuns(t, "another workspace's portal", e.as(t, "xActive", otherOp, nil))
		for _, who := range []string{"owner", "viewer"} {
			assertRuns(t, who, e.as(t, who, otherOp, nil))
		}
		e.as(t, "owner", lockPortalDoc, vars{"on": false}).decode(t, &got)
		assertRuns(t, "an unlocked portal", e.as(t, "aActive", otherOp, nil))
	})
}

func TestRegisteringOperations(t *testing.T) {
	t.Parallel()
	run(t, func(t *testing.T, e *env) {
		// The permission: OWNER and ADMIN have it.
		for _, who := range []string{"manager", "member", "viewer"} {
			e.as(t, who, registerOpDoc, vars{"name": "x", "doc": projectsOp}).onlyErrorAt(t, "registerPersistedOperation", "FORBIDDEN")
			e.as(t, who, `{ persistedOperations { totalCount } }`, nil).onlyErrorAt(t, "persistedOperations", "FORBIDDEN")
			e.as(t, who, unregisterOpDoc, vars{"hash": "x"}).onlyErrorAt(t, "unregisterPersistedOperation", "FORBIDDEN")
		}
		if n := e.count(t, "persisted_operations"); n != 0 {
			t.Errorf("%d operations registered without the permission", n)
		}
		// Nobody else has the mutations at all.
		for _, who := range []string{"aActive", ""} {
			if r := e.as(t, who, registerOpDoc, vars{"name": "x", "doc": projectsOp}); r.only(t).Extensions.Code != "GRAPHQL_VALIDATION_FAILED" {
				t.Errorf("as %q: %s", who, r.Raw)
			}
		}
		// Bad input names the field.
		for _, c := range []struct{ name, doc, field string }{
			{"Broken", "query {", "input.document"},
			{"Fragment", "fragment F on Project { id }", "input.document"},
			{"  ", projectsOp, "input.name"},
			{"Empty", " ", "input.document"},
		} {
			got := e.as(t, "owner", registerOpDoc, vars{"name": c.name, "doc": c.doc}).onlyErrorAt(t, "registerPersistedOperation", "BAD_USER_INPUT")
			if len(got.Extensions.Fields) != 1 || got.Extensions.Fields[0].Field != c.field {
				t.Errorf("%q: %s, want a bad %s", c.doc, got, c.field)
			}
		}
		e.as(t, "owner", lockKeyDoc, vars{"id": "key_nonsense", "on": true}).onlyErrorAt(t, "setPartnerKeyAllowList", "BAD_USER_INPUT")

		op := e.register(t, "Projects", projectsOp)
		var list struct {
			PersistedOperations conn[persistedOp] `json:"persistedOperations"`
		}
		e.as(t, "owner", `{ persistedOperations { totalCount edges { node { id hash name document createdBy { id } } } } }`, nil).decode(t, &list)
		equal(t, "operations", list.PersistedOperations.nodes(), []persistedOp{op})
		// Another workspace's list is its own, and its keys never run ours.
		e.as(t, "owner2", `{ persistedOperations { totalCount } }`, nil).decode(t, &list)
		if list.PersistedOperations.TotalCount != 0 {
			t.Errorf("another workspace sees %d operations", list.PersistedOperations.TotalCount)
		}
		var events []string
		if err := e.store.DB().Select(&events, `SELECT action FROM activity_events WHERE record_type = 'PERSISTED_OPERATION' ORDER BY id`); err != nil {
			t.Fatal(err)
		}
		equal(t, "recorded", events, []string{"CREATED"})
	})
}

// Reads: what portal contacts and partner keys receive through lists and
// lookups is recorded, with the operation's name, and staff read it.

const readEventsDoc = `query($filter: ReadEventFilter) { readEvents(first: 100, filter: $filter) { totalCount edges { node { ` +
	`operationName recordType recordIds preview partnerKeyId contact { id } client { id } } } } }`

type readEvent struct {
	OperationName string   `json:"operationName"`
	RecordType    string   `json:"recordType"`
	RecordIDs     []string `json:"recordIds"`
	Preview       bool     `json:"preview"`
	PartnerKeyID  *string  `json:"partnerKeyId"`
	Contact       *idName  `json:"contact"`
	Client        *idName  `json:"client"`
}

func (e *env) readEvents(t *testing.T, filter map[string]any) []readEvent {
	t.Helper()
	e.flush(t)
	var got struct {
		ReadEvents conn[readEvent] `json:"readEvents"`
	}
	e.as(t, "owner", readEventsDoc, vars{"filter": filter}).decode(t, &got)
	out := got.ReadEvents.nodes()
	for i := range out {
		slices.Sort(out[i].RecordIDs)
	}
	slices.SortFunc(out, func(a, b readEvent) int {
		return strings.Compare(a.OperationName+a.RecordType+strings.Join(a.RecordIDs, ","), b.OperationName+b.RecordType+strings.Join(b.RecordIDs, ","))
	})
	return out
}

func TestReadsAreAudited(t *testing.T) {
	t.Parallel()
	run(t, func(t *testing.T, e *env) {
		f := e.f
		reports := e.loadReports(t)
		// A contact's listing of reports leaves a trace: who, the
		// operation, the records.
		var listed struct {
			Reports conn[idName] `json:"reports"`
		}
		e.as(t, "aActive", `query ReportList { reports { edges { node { id name: title } } } }`, nil).decode(t, &listed)
		got := e.readEvents(t, map[string]any{"contactId": f.AActive.ID})
		want := []readEvent{{OperationName: "ReportList", RecordType: "REPORT", RecordIDs: sorted(ids(listed.Reports.nodes())),
			Contact: &idName{ID: f.AActive.ID}, Client: &idName{ID: f.A.ID}}}
		if len(want[0].RecordIDs) == 0 || !slices.Contains(want[0].RecordIDs, reports.ASharedPublished) {
			t.Fatalf("the contact listed %v", want[0].RecordIDs)
		}
		equal(t, "the contact's reads", got, want)

		// Nested lists and relations are reads too, each type on its own.
		e.as(t, "aActive", `query Nested { projects { edges { node { id client { id } deliverables { edges { node { id } } } } } } }`, nil).decode(t, &struct{}{})
		types := map[string][]string{}
		for _, ev := range e.readEvents(t, map[string]any{"contactId": f.AActive.ID}) {
			if ev.OperationName == "Nested" {
				types[ev.RecordType] = ev.RecordIDs
			}
		}
		equal(t, "nested reads", types, map[string][]string{"PROJECT": {f.AShared.ID}, "CLIENT": {f.A.ID}, "DELIVERABLE": {f.DShared.ID}})

		// A partner key's reads are recorded with the key.
		k := e.partnerKey(t, "partner", map[string]any{"scopes": []string{"CLIENTS", "PROJECTS"}, "clientIds": []string{f.A.ID}})
		var projects struct {
			Projects conn[idName] `json:"projects"`
		}
		e.as(t, "partner", `query Dashboard { projects { edges { node { id name } } } }`, nil).decode(t, &projects)
		got = e.readEvents(t, map[string]any{"partnerKeyId": k.ID})
		equal(t, "the key's reads", got, []readEvent{{OperationName: "Dashboard", RecordType: "PROJECT", RecordIDs: sorted(ids(projects.Projects.nodes())),
			PartnerKeyID: &k.ID, Client: &idName{ID: f.A.ID}}})

		// Staff filter by client, record type and time.
		for _, ev := range e.readEvents(t, map[string]any{"clientId": f.A.ID, "recordType": "PROJECT"}) {
			if ev.RecordType != "PROJECT" || ev.Client == nil || ev.Client.ID != f.A.ID {
				t.Errorf("filtered by client and type: %+v", ev)
			}
		}
		if got := e.readEvents(t, map[string]any{"since": "2999-01-01T00:00:00Z"}); len(got) != 0 {
			t.Errorf("read in the future: %+v", got)
		}
		if got := e.readEvents(t, map[string]any{"until": "2000-01-01T00:00:00Z"}); len(got) != 0 {
			t.Errorf("read in the past: %+v", got)
		}
		if got := e.readEvents(t, map[string]any{"contactId": f.BActive.ID}); len(got) != 0 {
			t.Errorf("reads of a contact who read nothing: %+v", got)
		}
		// Staff reads are not recorded.
		e.as(t, "owner", `query Staff { projects { totalCount edges { node { id } } } }`, nil).decode(t, &struct{}{})
		for _, ev := range e.readEvents(t, nil) {
			if ev.OperationName == "Staff" {
				t.Errorf("a staff read was recorded: %+v", ev)
			}
		}

		// Only staff with AUDIT_READ read the audit; portal users and
		// partners are not even served it.
		for _, who := range []string{"manager", "member", "viewer"} {
			e.as(t, who, readEventsDoc, nil).onlyErrorAt(t, "readEvents", "FORBIDDEN")
		}
		for _, who := range []string{"aActive", "partner"} {
			if r := e.as(t, who, `{ readEvents { totalCount } }`, nil); r.only(t).Extensions.Code != "GRAPHQL_VALIDATION_FAILED" {
				t.Errorf("as %s: %s", who, r.Raw)
			}
		}
		var other struct {
			ReadEvents conn[readEvent] `json:"readEvents"`
		}
		e.as(t, "owner2", readEventsDoc, nil).decode(t, &other)
		if other.ReadEvents.TotalCount != 0 {
			t.Errorf("another workspace reads %d events", other.ReadEvents.TotalCount)
		}

		// Staff export a client's reads as CSV; a contact may not.
		x := e.requestExport(t, "owner", map[string]any{"clientId": f.A.ID, "kind": "READS",
			"from": time.Now().UTC().AddDate(0, 0, -1).Format(time.DateOnly), "to": time.Now().UTC().AddDate(0, 0, 1).Format(time.DateOnly)})
		e.as(t, "viewer", requestExportDoc, vars{"in": map[string]any{"clientId": f.A.ID, "kind": "READS", "from": "2026-01-01", "to": "2026-01-31"}}).
			onlyErrorAt(t, "requestExport", "FORBIDDEN")
		e.buildExports(t)
		rows := e.exportCSV(t, "owner", x.ID)
		equal(t, "header", rows[0], []string{"at", "contact", "preview", "partner_key_id", "operation", "record_type", "record_ids"})
		var ops []string
		for _, row := range rows[1:] {
			ops = append(ops, row[4])
		}
		for _, op := range []string{"ReportList", "Nested", "Dashboard"} {
			if !slices.Contains(ops, op) {
				t.Errorf("the export lacks %s: %v", op, rows)
			}
		}
	})
}

// Both executors record the same reads.
func TestBothExecutorsRecordReads(t *testing.T) {
	t.Parallel()
	run(t, func(t *testing.T, e *env) {
		plain := plainServer(t, e)
		e.loadReports(t)
		e.partnerKey(t, "partner", map[string]any{"scopes": []string{"CLIENTS", "PROJECTS", "DELIVERABLES", "APPROVALS", "REPORTS"}})
		queries := map[string]string{
			"aActive": `query Portal { viewer { client { name } } projects { edges { node { id deliverables { edges { node { id approvals { edges { node { id decisions { id } } } } } } } } } } reports { edges { node { id } } } }`,
			"partner": `query Partner { clients { edges { node { id contacts { edges { node { id } } } projects { edges { node { id reports { edges { node { id } } } } } } } } } }`,
		}
		for who, q := range queries {
			e.exec(t, "DELETE FROM read_events")
			e.as(t, who, q, nil).decode(t, &struct{}{})
			planned := e.readEvents(t, nil)
			e.exec(t, "DELETE FROM read_events")
			e.sendVia(t, plain.Client(), newPost(t, plain.URL, e.f.Tokens[who], q, nil)).decode(t, &struct{}{})
			withoutPlanner := e.readEvents(t, nil)
			if len(planned) < 3 {
				t.Errorf("%s: only %d read events: %+v", who, len(planned), planned)
			}
			equal(t, who+"'s reads by both executors", merged(planned), merged(withoutPlanner))
		}
	})
}

// merged is a set of read events as the records of each type, operation
// and reader: a batch split in two by a loader is the same reads.
func merged(events []readEvent) map[string][]string {
	out := map[string][]string{}
	for _, ev := range events {
		key := ev.OperationName + " " + ev.RecordType
		if ev.Client != nil {
			key += " " + ev.Client.ID
		}
		out[key] = sorted(append(out[key], ev.RecordIDs...))
	}
	return out
}
