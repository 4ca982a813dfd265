package graph_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"portalgraph/internal/portal"
)

// Deleting records through the API: a deleted or erased record is gone
// from every path of every audience — lookups, node, nested relations,
// lists and their counts, dashboards, activity's record — and the
// mutations refuse what they must.

const deleteDocs = `
mutation delProject($id: ID!) { deleteProject(input: {id: $id}) { deletedProjectId restorableUntil } }
mutation delDeliverable($id: ID!) { deleteDeliverable(input: {id: $id}) { deletedDeliverableId restorableUntil } }
mutation delApproval($id: ID!) { deleteApproval(input: {id: $id}) { deletedApprovalId restorableUntil } }
mutation delReport($id: ID!) { deleteReport(input: {id: $id}) { deletedReportId restorableUntil } }
mutation delRequest($id: ID!) { deleteRequest(input: {id: $id}) { deletedRequestId restorableUntil } }
mutation delNote($id: ID!) { deleteNote(input: {id: $id}) { deletedNoteId } }
mutation delComment($id: ID!) { deleteComment(input: {id: $id}) { deletedCommentId } }
mutation erase($id: ID!) { eraseContact(input: {id: $id}) { erasedContactId } }
mutation restoreProject($id: ID!) { restoreRecord: restoreProject(input: {id: $id}) { recordType restoredId record { id } } }
mutation restoreDeliverable($id: ID!) { restoreRecord: restoreDeliverable(input: {id: $id}) { recordType restoredId record { id } } }
mutation restoreApproval($id: ID!) { restoreRecord: restoreApproval(input: {id: $id}) { recordType restoredId record { id } } }
`

// deleteOp sends one of deleteDocs' operations as who.
func (e *env) deleteOp(t *testing.T, who, op, id string) *response {
	t.Helper()
	// Each document holds one operation: the one asked for.
	for _, line := range strings.Split(deleteDocs, "\n") {
		if strings.HasPrefix(line, "mutation "+op+"(") {
			return e.as(t, who, line, vars{"id": id})
		}
	}
	t.Fatalf("no operation %s", op)
	return nil
}

func TestDeletedAndErasedRecordsAreHiddenFromEveryPath(t *testing.T) {
	t.Parallel()
	run(t, func(t *testing.T, e *env) {
		f := e.f
		all := []any{"CLIENTS", "PROJECTS", "DELIVERABLES", "APPROVALS", "REQUESTS", "ACTIVITY", "REPORTS", "FILES"}
		e.partnerKey(t, "keyInternal", map[string]any{"scopes": all, "includeInternal": true})
		e.partnerKey(t, "keyShared", map[string]any{"scopes": all})
		req := e.openRequest(t, "aActive", "Please delete me", "")
		comment := e.commentOn(t, "manager", req, "Will do", false)
		file := e.attach(t, f.W1.ID, f.A.ID, req, "brief.pdf", "SHARED")

		for _, d := range []struct{ op, id, field string }{
			{"delDeliverable", f.DShared.ID, "deleteDeliverable"},
			{"delRequest", req, "deleteRequest"},
			{"delProject", f.BShared.ID, "deleteProject"},
			{"erase", f.ASuspended.ID, "eraseContact"},
		} {
			r := e.deleteOp(t, "owner", d.op, d.id)
			if len(r.Errors) > 0 || !strings.Contains(string(r.Data), d.id) {
				t.Fatalf("%s: %s", d.op, r.Raw)
			}
		}
		hidden := []string{f.DShared.ID, f.ApprovalShared.ID, f.DecisionShared.ID, req, comment, file,
			f.BShared.ID, f.BDeliverable.ID, f.BApproval.ID, f.ASuspended.ID}

		lookups := map[string]string{
			portal.PrefixProject: "project", portal.PrefixDeliverable: "deliverable", portal.PrefixApproval: "approval",
			portal.PrefixRequest: "request", portal.PrefixFile: "file",
		}
		const staffLists = `{
			clients { totalCount edges { node { id
				contacts { totalCount edges { node { id name email } } }
				projects { totalCount edges { node { id deliverables { totalCount edges { node { id } } } approvals { totalCount edges { node { id } } } files { totalCount edges { node { id } } } } } }
				approvals { totalCount edges { node { id decisions { id } decisionHistory { id } } } }
				requests { totalCount edges { node { id comments { totalCount edges { node { id } } } attachments { id } } } }
				files { totalCount edges { node { id } } }
			} } }
			projects { totalCount edges { node { id } } }
			deliverables { totalCount edges { node { id } } }
			approvals { totalCount edges { node { id } } }
			requests { totalCount edges { node { id } } }
			dashboard(filter: {from: "2020-01-01", to: "2030-12-31", groupBy: PROJECT}) { ` + dashboardFiguresDoc + ` }
		}`
		const partnerLists = `{
			clients { totalCount edges { node { id
				contacts { totalCount edges { node { id name } } }
				projects { totalCount edges { node { id deliverables { totalCount edges { node { id } } } approvals { totalCount edges { node { id } } } } } }
				approvals { totalCount edges { node { id decisions { id } } } }
				requests { totalCount edges { node { id comments { totalCount edges { node { id } } } } } }
				activity { totalCount edges { node { recordId } } }
			} } }
			projects { totalCount edges { node { id } } }
			deliverables { totalCount edges { node { id } } }
			approvals { totalCount edges { node { id } } }
			requests { totalCount edges { node { id } } }
			dashboard(filter: {from: "2020-01-01", to: "2030-12-31", groupBy: PROJECT}) { ` + dashboardFiguresDoc + ` }
		}`
		const portalLists = `{
			viewer { client { id
				contacts { totalCount edges { node { id name } } }
				projects { totalCount edges { node { id deliverables { totalCount edges { node { id } } } approvals { totalCount edges { node { id } } } files { totalCount edges { node { id } } } } } }
				approvals { totalCount edges { node { id decisions { id } } } }
				requests { totalCount edges { node { id comments { totalCount edges { node { id } } } attachments { id } } } }
			} pendingApprovals { totalCount edges { node { id } } } }
			projects { totalCount edges { node { id } } }
			deliverables { totalCount edges { node { id } } }
			approvals { totalCount edges { node { id } } }
			requests { totalCount edges { node { id } } }
		}`
		for _, c := range []struct{ who, lists string }{
			{"owner", staffLists}, {"viewer", staffLists},
			{"keyInternal", partnerLists}, {"keyShared", partnerLists},
			{"aActive", portalLists}, {"bActive", portalLists},
		} {
			r := e.as(t, c.who, c.lists, nil)
			if len(r.Errors) > 0 {
				t.Fatalf("%s: %s", c.who, r.Raw)
			}
			for _, id := range hidden {
				if strings.Contains(string(r.Raw), id) {
					t.Errorf("%s: the lists hold deleted %s", c.who, id)
				}
			}
			for _, trace := range []string{"Sid Suspended", "sid@acme", "Please delete me", "Will do", "Bolt shared"} {
				if strings.Contains(string(r.Raw), trace) {
					t.Errorf("%s: the lists hold %q", c.who, trace)
				}
			}
			checkCounts(t, c.who, r.Raw)
			for _, id := range hidden {
				assertNotFound(t, e, c.who, lookup{"node", portal.IDPrefix(id)}, id)
				if field, ok := lookups[portal.IDPrefix(id)]; ok {
					assertNotFound(t, e, c.who, lookup{field, portal.IDPrefix(id)}, id)
				}
			}
		}

		// Staff's activity keeps the events, with no record behind them.
		var got struct {
			Client struct {
				Activity conn[struct {
					Action   string               `json:"action"`
					RecordID string               `json:"recordId"`
					Record   *struct{ ID string } `json:"record"`
					Summary  string               `json:"summary"`
				}] `json:"activity"`
			} `json:"client"`
		}
		e.as(t, "owner", `query($id: ID!) { client(id: $id) { activity(first: 100) { edges { node { action recordId record { id } summary } } } } }`,
			vars{"id": f.A.ID}).decode(t, &got)
		deleted := 0
		for _, ev := range got.Client.Activity.nodes() {
			for _, id := range hidden {
				if ev.RecordID == id && ev.Record != nil {
					t.Errorf("the %s event of %s shows the deleted record", ev.Action, id)
				}
			}
			if strings.Contains(ev.Summary, "Sid Suspended") {
				t.Errorf("an event still names the erased contact: %q", ev.Summary)
			}
			if ev.Action == "DELETED" || ev.Action == "ERASED" {
				deleted++
			}
		}
		if deleted != 3 {
			t.Errorf("%d deletion events of client A, want 3", deleted)
		}
	})
}

// checkCounts requires every connection's totalCount in a response to
// equal its edges: what is counted is what is listed.
func checkCounts(t *testing.T, who string, raw []byte) {
	t.Helper()
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch x := v.(type) {
		case map[string]any:
			if total, ok := x["totalCount"].(float64); ok {
				if edges, ok := x["edges"].([]any); ok && int(total) != len(edges) {
					t.Errorf("%s: %s counts %v but lists %d", who, path, total, len(edges))
				}
			}
			for k, c := range x {
				walk(path+"."+k, c)
			}
		case []any:
			for _, c := range x {
				walk(path+"[]", c)
			}
		}
	}
	walk("", v)
}

func TestErasedContactsDecisionsStayByAFormerContact(t *testing.T) {
	t.Parallel()
	run(t, func(t *testing.T, e *env) {
		f := e.f
		const doc = `query($id: ID!) { approval(id: $id) { decisions { outcome contact { id name } decidedBy } decisionHistory { decidedBy } } }`
		type decisions struct {
			Approval struct {
				Decisions []struct {
					Outcome   string  `json:"outcome"`
					Contact   *idName `json:"contact"`
					DecidedBy string  `json:"decidedBy"`
				} `json:"decisions"`
			} `json:"approval"`
		}
		var before decisions
		e.as(t, "owner", doc, vars{"id": f.ApprovalShared.ID}).decode(t, &before)
		if d := before.Approval.Decisions; len(d) != 1 || d[0].DecidedBy != "Ann Active" || d[0].Contact == nil {
			t.Fatalf("before the erasure: %+v", d)
		}
		// Erasing needs CONTACTS_DELETE, which a manager lacks.
		e.deleteOp(t, "manager", "erase", f.AActive.ID).onlyErrorAt(t, "eraseContact", "FORBIDDEN")
		e.deleteOp(t, "owner", "erase", f.AActive.ID).decode(t, &map[string]any{})

		for _, who := range []string{"owner", "keyAll"} {
			if who == "keyAll" {
				e.partnerKey(t, "keyAll", map[string]any{"scopes": []any{"CLIENTS", "PROJECTS", "DELIVERABLES", "APPROVALS"}})
			}
			var after decisions
			r := e.as(t, who, doc, vars{"id": f.ApprovalShared.ID})
			r.decode(t, &after)
			if d := after.Approval.Decisions; len(d) != 1 || d[0].DecidedBy != portal.FormerContact || d[0].Contact != nil || d[0].Outcome != "APPROVED" {
				t.Errorf("%s after the erasure: %+v", who, d)
			}
			if strings.Contains(string(r.Raw), "Ann") {
				t.Errorf("%s: the erased contact is named: %s", who, r.Raw)
			}
		}
		// Their session ended with the erasure.
		r := e.as(t, "aActive", `{ viewer { audience } }`, nil)
		if len(r.Errors) == 0 && strings.Contains(string(r.Data), "PORTAL") {
			t.Errorf("the erased contact still reads the portal: %s", r.Raw)
		}
		e.deleteOp(t, "owner", "erase", f.AActive.ID).onlyErrorAt(t, "eraseContact", "NOT_FOUND")
	})
}

func TestDeleteMutationsRefuseBadInput(t *testing.T) {
	t.Parallel()
	run(t, func(t *testing.T, e *env) {
		f := e.f
		before := e.rowCounts(t)
		e.deleteOp(t, "member", "delProject", f.AShared.ID).onlyErrorAt(t, "deleteProject", "FORBIDDEN")
		e.deleteOp(t, "viewer", "delNote", f.NoteA.ID).onlyErrorAt(t, "deleteNote", "FORBIDDEN")
		e.deleteOp(t, "owner", "delProject", f.DShared.ID).onlyErrorAt(t, "deleteProject", "NOT_FOUND")
		e.deleteOp(t, "owner2", "delProject", f.AShared.ID).onlyErrorAt(t, "deleteProject", "NOT_FOUND")
		e.deleteOp(t, "owner", "restoreProject", f.AShared.ID).onlyErrorAt(t, "restoreRecord", "BAD_USER_INPUT")
		e.deleteOp(t, "owner", "restoreProject", f.NoteA.ID).onlyErrorAt(t, "restoreRecord", "BAD_USER_INPUT")
		e.as(t, "viewer", `{ deletedRecords { totalCount } }`, nil).onlyErrorAt(t, "deletedRecords", "FORBIDDEN")
		if after := e.rowCounts(t); !equalCounts(before, after) {
			t.Errorf("refused mutations changed rows: %v → %v", before, after)
		}
		// A contact's schema has none of it.
		r := e.as(t, "aActive", `mutation($id: ID!) { deleteProject(input: {id: $id}) { deletedProjectId } }`, vars{"id": f.AShared.ID})
		if len(r.Errors) == 0 || !strings.Contains(r.Errors[0].Message, `Cannot query field "deleteProject"`) {
			t.Errorf("a contact deleting: %s", r.Raw)
		}

		// Delete, list, restore, as staff.
		e.deleteOp(t, "manager", "delDeliverable", f.DInternal.ID).decode(t, &map[string]any{})
		e.deleteOp(t, "member", "delNote", f.NoteA.ID).decode(t, &map[string]any{})
		var list struct {
			DeletedRecords conn[struct {
				RecordType      string  `json:"recordType"`
				ID              string  `json:"id"`
				Title           string  `json:"title"`
				DeletedBy       *idName `json:"deletedBy"`
				RestorableUntil string  `json:"restorableUntil"`
			}] `json:"deletedRecords"`
		}
		e.as(t, "manager", `{ deletedRecords { totalCount edges { node { recordType id title deletedAt deletedBy { id name } restorableUntil } } } }`, nil).decode(t, &list)
		nodes := list.DeletedRecords.nodes()
		if list.DeletedRecords.TotalCount != 1 || len(nodes) != 1 || nodes[0].ID != f.DInternal.ID || nodes[0].RecordType != "DELIVERABLE" ||
			nodes[0].Title != f.DInternal.Title || nodes[0].DeletedBy == nil || nodes[0].DeletedBy.ID != f.Manager.ID || nodes[0].RestorableUntil == "" {
			t.Errorf("deleted records %+v", list.DeletedRecords)
		}
		var restored struct {
			RestoreRecord struct {
				RecordType string  `json:"recordType"`
				RestoredID string  `json:"restoredId"`
				Record     *idName `json:"record"`
			} `json:"restoreRecord"`
		}
		e.deleteOp(t, "manager", "restoreDeliverable", f.DInternal.ID).decode(t, &restored)
		if r := restored.RestoreRecord; r.RecordType != "DELIVERABLE" || r.RestoredID != f.DInternal.ID || r.Record == nil || r.Record.ID != f.DInternal.ID {
			t.Errorf("restored %+v", r)
		}
		assertFound(t, e, "owner", "deliverable", f.DInternal.ID)
	})
}

func equalCounts(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// A deletion reaches staff's live activity, without its record; a
// subscriber of the record's own changes hears nothing of a record it can
// no longer read.
func TestDeletionsLive(t *testing.T) {
	run(t, func(t *testing.T, e *env) {
		f := e.f
		ann := e.connect(t, e.srv.URL, f.Tokens["aActive"])
		ann.subscribe("1", approvalChangedDoc, nil)
		owner := e.connect(t, e.srv.URL, f.Tokens["owner"])
		owner.subscribe("a", `subscription($c: ID) { clientActivity(clientId: $c) { action recordId record { id } } }`, map[string]any{"c": f.A.ID})
		time.Sleep(200 * time.Millisecond) // the subscriptions are running

		type event struct {
			ClientActivity struct {
				Action   string  `json:"action"`
				RecordID string  `json:"recordId"`
				Record   *idName `json:"record"`
			} `json:"clientActivity"`
		}
		e.deleteOp(t, "owner", "delApproval", f.ApprovalShared.ID).decode(t, &map[string]any{})
		var got event
		owner.next(5*time.Second).data(t, &got)
		if a := got.ClientActivity; a.Action != "DELETED" || a.RecordID != f.ApprovalShared.ID || a.Record != nil {
			t.Errorf("staff's event of the deletion: %+v", a)
		}
		ann.quiet(300 * time.Millisecond)

		e.deleteOp(t, "owner", "restoreApproval", f.ApprovalShared.ID).decode(t, &map[string]any{})
		owner.next(5*time.Second).data(t, &got)
		if a := got.ClientActivity; a.Action != "RESTORED" || a.Record == nil || a.Record.ID != f.ApprovalShared.ID {
			t.Errorf("staff's event of the restore: %+v", a)
		}
	}, liveEnv)
}
