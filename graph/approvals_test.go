package graph_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"portalgraph/internal/auth"
)

// The approval workflow over HTTP: staff ask a client's contacts to approve
// a shared deliverable, the contacts decide in their portal, and every step
// is scoped, permission-checked, validated and audited.

const (
	requestApprovalDoc = `mutation($in: RequestApprovalInput!) { requestApproval(input: $in) { approval { id status round } } }`
	resubmitDoc        = `mutation($in: ResubmitApprovalInput!) { resubmitApproval(input: $in) { approval { id status round } } }`
	cancelDoc          = `mutation($id: ID!) { cancelApproval(input: {approvalId: $id}) { approval { id status } } }`
	remindDoc          = `mutation($id: ID!) { remindApprovers(input: {approvalId: $id}) { approval { id } reminded { id name } } }`
	decideDoc          = `mutation($in: DecideApprovalInput!) { decideApproval(input: $in) {
		decision { id outcome comment onBehalf superseded contact { id name } }
		approval { id status } } }`
	recordDecisionDoc = `mutation($in: RecordApprovalDecisionInput!) { recordApprovalDecision(input: $in) {
		decision { id outcome comment onBehalf superseded contact { id name } }
		approval { id status } } }`
)

// daysFromNow is the date n days from today in UTC, as the API writes it.
func daysFromNow(n int) string {
	return time.Now().UTC().AddDate(0, 0, n).Format(time.DateOnly)
}

// sharedDeliverable creates, as the manager, a deliverable shared with
// client A under its shared project, and returns its ID.
func (e *env) sharedDeliverable(t *testing.T, title string) string {
	t.Helper()
	var got struct {
		CreateDeliverable struct {
			Deliverable struct {
				ID string `json:"id"`
			} `json:"deliverable"`
		} `json:"createDeliverable"`
	}
	e.as(t, "manager", `mutation($p: ID!, $t: String!) { createDeliverable(input: {projectId: $p, title: $t, visibility: SHARED, status: IN_PROGRESS}) {
		deliverable { id } } }`, vars{"p": e.f.AShared.ID, "t": title}).decode(t, &got)
	return got.CreateDeliverable.Deliverable.ID
}

// requestApproval asks, as who, the approvers to approve a deliverable
// (policy ANY, due in a week) and returns the approval's ID.
func (e *env) requestApproval(t *testing.T, who, deliverableID string, approverIDs ...string) string {
	t.Helper()
	var got struct {
		RequestApproval struct {
			Approval struct {
				ID     string `json:"id"`
				Status string `json:"status"`
			} `json:"approval"`
		} `json:"requestApproval"`
	}
	e.as(t, who, requestApprovalDoc, vars{"in": map[string]any{
		"deliverableId": deliverableID, "title": "Please approve", "approverIds": approverIDs, "dueOn": daysFromNow(7),
	}}).decode(t, &got)
	if a := got.RequestApproval.Approval; a.ID == "" || a.Status != "PENDING" {
		t.Fatalf("requested approval = %+v", a)
	}
	return got.RequestApproval.Approval.ID
}

// decided is the payload of decideApproval and recordApprovalDecision.
type decided struct {
	Decision struct {
		ID         string `json:"id"`
		Outcome    string `json:"outcome"`
		Comment    string `json:"comment"`
		OnBehalf   bool   `json:"onBehalf"`
		Superseded bool   `json:"superseded"`
		Contact    idName `json:"contact"`
	} `json:"decision"`
	Approval struct {
		ID     string `json:"id"`
		Status string `json:"status"`
	} `json:"approval"`
}

// decide sends decideApproval as who.
func (e *env) decide(t *testing.T, who, approvalID, outcome, comment, key string) *response {
	t.Helper()
	in := map[string]any{"approvalId": approvalID, "outcome": outcome, "idempotencyKey": key}
	if comment != "" {
		in["comment"] = comment
	}
	return e.as(t, who, decideDoc, vars{"in": in})
}

// decided decodes a decideApproval answer.
func (r *response) decided(t *testing.T) decided {
	t.Helper()
	var got struct {
		DecideApproval decided `json:"decideApproval"`
	}
	r.decode(t, &got)
	return got.DecideApproval
}

// portalContact adds a contact to client A through the API, gives it active
// portal access directly in the database (there is no invite flow to go
// through here) and returns its ID and a bearer token.
func (e *env) portalContact(t *testing.T, name, email string) (id, token string) {
	t.Helper()
	var got struct {
		CreateContact struct {
			Contact idName `json:"contact"`
		} `json:"createContact"`
	}
	e.as(t, "manager", `mutation($c: ID!, $n: String!, $e: String!) { createContact(input: {clientId: $c, name: $n, email: $e}) {
		contact { id name } } }`, vars{"c": e.f.A.ID, "n": name, "e": email}).decode(t, &got)
	id = got.CreateContact.Contact.ID
	e.exec(t, `UPDATE contacts SET portal_status = 'ACTIVE' WHERE id = ?`, id)
	token, err := auth.New(e.store).Issue(context.Background(), e.f.W1.ID, nil, &id, 0)
	if err != nil {
		t.Fatalf("issue a token: %v", err)
	}
	return id, token
}

// timestamp checks that m[key] is an RFC 3339 time and replaces it with
// "<time>", so the rest of m compares as a literal.
func timestamp(t *testing.T, what string, m map[string]any, key string) {
	t.Helper()
	s, ok := m[key].(string)
	if !ok {
		t.Errorf("%s.%s = %v, want a time", what, key, m[key])
		return
	}
	if _, err := time.Parse(time.RFC3339, s); err != nil {
		t.Errorf("%s.%s = %q: %v", what, key, s, err)
	}
	m[key] = "<time>"
}

type outboxMessage struct {
	Kind      string `db:"kind" json:"kind"`
	Recipient string `db:"recipient" json:"recipient"`
	Subject   string `db:"subject" json:"subject"`
}

// outbox lists the mail waiting to be sent, oldest first.
func (e *env) outbox(t *testing.T) []outboxMessage {
	t.Helper()
	var out []outboxMessage
	if err := e.store.DB().Select(&out, "SELECT kind, recipient, subject FROM outbox ORDER BY id"); err != nil {
		t.Fatalf("read outbox: %v", err)
	}
	return out
}

// approvalIDs lists the IDs of a connection's approvals, sorted.
func approvalIDs(c conn[idName]) []string { return sorted(ids(c.nodes())) }

// The whole workflow through the API: request, see it in the portal,
// request changes, resubmit, approve; the deliverable follows, the lists
// and filters find each round, and the client's activity tells who did what.
func TestApprovalFlow(t *testing.T) {
	t.Parallel()
	run(t, func(t *testing.T, e *env) {
		f := e.f
		ann := idName{f.AActive.ID, "Ann Active"}
		due, due2 := daysFromNow(14), daysFromNow(21)
		deliverable := e.sharedDeliverable(t, "Homepage design")

		// Staff request the approval.
		var requested struct {
			RequestApproval struct {
				Approval map[string]any `json:"approval"`
			} `json:"requestApproval"`
		}
		e.as(t, "manager", `mutation($in: RequestApprovalInput!) { requestApproval(input: $in) { approval {
			id title message status policy dueOn round internalNotes remindedAt resolvedAt
			requestedBy { name } approvers { id name } decisions { id } decisionHistory { id }
			previousRound { id } nextRound { id } deliverable { id status }
		} } }`, vars{"in": map[string]any{
			"deliverableId": deliverable, "title": "  Approve the homepage ", "message": "Please review the new homepage.",
			"approverIds": []string{f.AActive.ID}, "policy": "ANY", "dueOn": due, "internalNotes": "They like blue.",
		}}).decode(t, &requested)
		round1, _ := requested.RequestApproval.Approval["id"].(string)
		equal(t, "requested approval", requested.RequestApproval.Approval, map[string]any{
			"id": round1, "title": "Approve the homepage", "message": "Please review the new homepage.",
			"status": "PENDING", "policy": "ANY", "dueOn": due, "round": 1, "internalNotes": "They like blue.",
			"remindedAt": nil, "resolvedAt": nil, "requestedBy": map[string]string{"name": "Mark Manager"},
			"approvers": []idName{ann}, "decisions": []any{}, "decisionHistory": []any{},
			"previousRound": nil, "nextRound": nil, "deliverable": map[string]string{"id": deliverable, "status": "IN_REVIEW"},
		})
		equal(t, "mail after the request", e.outbox(t), []outboxMessage{
			{"APPROVAL_REQUESTED", "ann@acme.example", "Approval requested: Approve the homepage"},
		})

		// The approver sees it waiting for her, and only it: the pending
		// approval of the internal deliverable stays hidden.
		const pendingQuery = `{ viewer { pendingApprovals { totalCount edges { node { id title message status policy dueOn round
			approvers { id name } decisions { id } deliverable { id title status } } } } } }`
		var pending struct {
			Viewer struct {
				PendingApprovals conn[map[string]any] `json:"pendingApprovals"`
			} `json:"viewer"`
		}
		e.as(t, "aActive", pendingQuery, nil).decode(t, &pending)
		portalView := map[string]any{
			"id": round1, "title": "Approve the homepage", "message": "Please review the new homepage.", "status": "PENDING",
			"policy": "ANY", "dueOn": due, "round": 1, "approvers": []idName{ann}, "decisions": []any{},
			"deliverable": map[string]string{"id": deliverable, "title": "Homepage design", "status": "IN_REVIEW"},
		}
		equal(t, "pending approvals", pending.Viewer.PendingApprovals.TotalCount, 1)
		equal(t, "pending approvals", pending.Viewer.PendingApprovals.nodes(), []map[string]any{portalView})
		var one struct {
			Approval map[string]any `json:"approval"`
		}
		e.as(t, "aActive", `query($id: ID!) { approval(id: $id) { id title message status policy dueOn round
			approvers { id name } decisions { id } deliverable { id title status } } }`, vars{"id": round1}).decode(t, &one)
		equal(t, "approval(id) in the portal", one.Approval, portalView)

		// She asks for changes.
		key1 := "ann-round-1-" + round1[len(round1)-8:]
		var first struct {
			DecideApproval struct {
				Decision map[string]any `json:"decision"`
				Approval map[string]any `json:"approval"`
			} `json:"decideApproval"`
		}
		e.as(t, "aActive", `mutation($in: DecideApprovalInput!) { decideApproval(input: $in) {
			decision { id outcome comment onBehalf superseded decidedAt contact { id name } approval { id } }
			approval { id status resolvedAt decisions { id outcome } decisionHistory { id } deliverable { status } }
		} }`, vars{"in": map[string]any{
			"approvalId": round1, "outcome": "CHANGES_REQUESTED", "comment": " Bigger logo, please. ", "idempotencyKey": key1,
		}}).decode(t, &first)
		decision1, _ := first.DecideApproval.Decision["id"].(string)
		timestamp(t, "decision", first.DecideApproval.Decision, "decidedAt")
		timestamp(t, "approval", first.DecideApproval.Approval, "resolvedAt")
		equal(t, "decision", first.DecideApproval.Decision, map[string]any{
			"id": decision1, "outcome": "CHANGES_REQUESTED", "comment": "Bigger logo, please.", "onBehalf": false,
			"superseded": false, "decidedAt": "<time>", "contact": ann, "approval": map[string]string{"id": round1},
		})
		equal(t, "approval after the change request", first.DecideApproval.Approval, map[string]any{
			"id": round1, "status": "CHANGES_REQUESTED", "resolvedAt": "<time>",
			"decisions":       []map[string]string{{"id": decision1, "outcome": "CHANGES_REQUESTED"}},
			"decisionHistory": []map[string]string{{"id": decision1}},
			"deliverable":     map[string]string{"status": "CHANGES_REQUESTED"},
		})
		e.as(t, "aActive", pendingQuery, nil).decode(t, &pending)
		equal(t, "pending after deciding", pending.Viewer.PendingApprovals.TotalCount, 0)
		var status struct {
			Deliverable struct {
				Status string `json:"status"`
			} `json:"deliverable"`
		}
		e.as(t, "manager", `query($id: ID!) { deliverable(id: $id) { status } }`, vars{"id": deliverable}).decode(t, &status)
		equal(t, "deliverable after the change request", status.Deliverable.Status, "CHANGES_REQUESTED")

		// Staff resubmit: round 2, linked both ways.
		var resubmitted struct {
			ResubmitApproval struct {
				Approval map[string]any `json:"approval"`
			} `json:"resubmitApproval"`
		}
		e.as(t, "manager", `mutation($in: ResubmitApprovalInput!) { resubmitApproval(input: $in) { approval {
			id title message status policy dueOn round internalNotes requestedBy { name } approvers { id name }
			decisions { id } previousRound { id round } nextRound { id } deliverable { status }
		} } }`, vars{"in": map[string]any{"approvalId": round1, "message": "The logo is bigger now.", "dueOn": due2}}).decode(t, &resubmitted)
		round2, _ := resubmitted.ResubmitApproval.Approval["id"].(string)
		equal(t, "round 2", resubmitted.ResubmitApproval.Approval, map[string]any{
			"id": round2, "title": "Approve the homepage", "message": "The logo is bigger now.", "status": "PENDING",
			"policy": "ANY", "dueOn": due2, "round": 2, "internalNotes": "They like blue.",
			"requestedBy": map[string]string{"name": "Mark Manager"}, "approvers": []idName{ann}, "decisions": []any{},
			"previousRound": map[string]any{"id": round1, "round": 1}, "nextRound": nil,
			"deliverable": map[string]string{"status": "IN_REVIEW"},
		})
		for _, who := range []string{"manager", "aActive"} {
			var links struct {
				Approval struct {
					Status    string         `json:"status"`
					NextRound map[string]any `json:"nextRound"`
				} `json:"approval"`
			}
			e.as(t, who, `query($id: ID!) { approval(id: $id) { status nextRound { id round } } }`, vars{"id": round1}).decode(t, &links)
			equal(t, who+": round 1", links.Approval, map[string]any{"status": "CHANGES_REQUESTED", "nextRound": map[string]any{"id": round2, "round": 2}})
		}
		e.as(t, "aActive", pendingQuery, nil).decode(t, &pending)
		equal(t, "pending round 2", pending.Viewer.PendingApprovals.TotalCount, 1)
		equal(t, "pending round 2", pending.Viewer.PendingApprovals.nodes()[0]["id"], round2)

		// She approves round 2.
		second := e.decide(t, "aActive", round2, "APPROVED", "Perfect.", "ann-round-2-"+round2[len(round2)-8:]).decided(t)
		equal(t, "round 2 decision", []any{second.Decision.Outcome, second.Decision.Comment, second.Decision.OnBehalf, second.Decision.Contact, second.Approval},
			[]any{"APPROVED", "Perfect.", false, ann, map[string]string{"id": round2, "status": "APPROVED"}})
		e.as(t, "manager", `query($id: ID!) { deliverable(id: $id) { status } }`, vars{"id": deliverable}).decode(t, &status)
		equal(t, "deliverable after approval", status.Deliverable.Status, "APPROVED")

		// The decision history of both rounds, for staff and for her.
		for _, who := range []string{"manager", "aActive"} {
			var history struct {
				Approval struct {
					Status          string           `json:"status"`
					DecisionHistory []map[string]any `json:"decisionHistory"`
					PreviousRound   struct {
						DecisionHistory []map[string]any `json:"decisionHistory"`
					} `json:"previousRound"`
				} `json:"approval"`
			}
			e.as(t, who, `query($id: ID!) { approval(id: $id) { status
				decisionHistory { id outcome comment superseded contact { name } }
				previousRound { decisionHistory { id outcome comment superseded contact { name } } } } }`, vars{"id": round2}).decode(t, &history)
			h := history.Approval
			equal(t, who+": status", h.Status, "APPROVED")
			equal(t, who+": round 2 history", h.DecisionHistory, []map[string]any{
				{"id": second.Decision.ID, "outcome": "APPROVED", "comment": "Perfect.", "superseded": false, "contact": map[string]string{"name": "Ann Active"}},
			})
			equal(t, who+": round 1 history", h.PreviousRound.DecisionHistory, []map[string]any{
				{"id": decision1, "outcome": "CHANGES_REQUESTED", "comment": "Bigger logo, please.", "superseded": false, "contact": map[string]string{"name": "Ann Active"}},
			})
		}

		// The lists: under the client, the deliverable and the project,
		// and across the workspace with filters.
		var lists struct {
			Client struct {
				Approved conn[idName] `json:"approved"`
				All      conn[idName] `json:"all"`
			} `json:"client"`
			Deliverable struct {
				Approvals conn[idName] `json:"approvals"`
			} `json:"deliverable"`
			Project struct {
				Approvals conn[idName] `json:"approvals"`
			} `json:"project"`
		}
		const listsQuery = `query($c: ID!, $d: ID!, $p: ID!) {
			client(id: $c) {
				approved: approvals(status: [APPROVED]) { totalCount edges { node { id name: title } } }
				all: approvals { totalCount edges { node { id name: title } } } }
			deliverable(id: $d) { approvals { totalCount edges { node { id name: title } } } }
			project(id: $p) { approvals { totalCount edges { node { id name: title } } } } }`
		listVars := vars{"c": f.A.ID, "d": deliverable, "p": f.AShared.ID}
		e.as(t, "manager", listsQuery, listVars).decode(t, &lists)
		equal(t, "client's approved approvals", approvalIDs(lists.Client.Approved), sorted([]string{f.ApprovalShared.ID, round2}))
		equal(t, "client's approved count", lists.Client.Approved.TotalCount, 2)
		equal(t, "client's approvals", approvalIDs(lists.Client.All), sorted([]string{f.ApprovalShared.ID, f.ApprovalInternal.ID, round1, round2}))
		equal(t, "deliverable's approvals, oldest first", ids(lists.Deliverable.Approvals.nodes()), []string{round1, round2})
		equal(t, "project's approvals", approvalIDs(lists.Project.Approvals), sorted([]string{f.ApprovalShared.ID, f.ApprovalInternal.ID, round1, round2}))
		// The portal lists the same, less the internal deliverable's.
		e.as(t, "aActive", listsQuery, listVars).decode(t, &lists)
		equal(t, "portal: client's approved approvals", approvalIDs(lists.Client.Approved), sorted([]string{f.ApprovalShared.ID, round2}))
		equal(t, "portal: client's approvals", approvalIDs(lists.Client.All), sorted([]string{f.ApprovalShared.ID, round1, round2}))
		equal(t, "portal: deliverable's approvals", ids(lists.Deliverable.Approvals.nodes()), []string{round1, round2})
		equal(t, "portal: project's approvals", approvalIDs(lists.Project.Approvals), sorted([]string{f.ApprovalShared.ID, round1, round2}))

		const filtered = `query($f: ApprovalFilter) { approvals(filter: $f) { totalCount edges { node { id name: title } } } }`
		for _, c := range []struct {
			who    string
			filter map[string]any
			want   []string
		}{
			{"manager", map[string]any{"clientId": f.A.ID, "status": []string{"APPROVED"}}, []string{f.ApprovalShared.ID, round2}},
			{"owner", map[string]any{"clientId": f.A.ID, "status": []string{"APPROVED"}}, []string{f.ApprovalShared.ID, round2}},
			{"manager", map[string]any{"clientId": f.A.ID, "status": []string{"CHANGES_REQUESTED", "REJECTED"}}, []string{round1}},
			{"manager", map[string]any{"projectId": f.AShared.ID, "dueAfter": due2, "dueBefore": due2}, []string{round2}},
			{"manager", map[string]any{"dueBefore": due}, []string{round1}},
			{"manager", map[string]any{"dueAfter": daysFromNow(15)}, []string{round2}},
			{"manager", map[string]any{"approverId": f.AActive.ID, "status": []string{"PENDING"}}, []string{f.ApprovalInternal.ID}},
			{"manager", map[string]any{"clientId": f.B.ID}, []string{f.BApproval.ID}},
			{"manager", map[string]any{"approverId": f.BActive.ID}, []string{f.BApproval.ID}},
			{"aActive", map[string]any{"status": []string{"APPROVED"}}, []string{f.ApprovalShared.ID, round2}},
			{"aActive", map[string]any{"clientId": f.B.ID}, []string{}},
			{"bActive", map[string]any{}, []string{f.BApproval.ID}},
		} {
			var got struct {
				Approvals conn[idName] `json:"approvals"`
			}
			e.as(t, c.who, filtered, vars{"f": c.filter}).decode(t, &got)
			what := fmt.Sprintf("%s: approvals(filter: %v)", c.who, c.filter)
			equal(t, what, approvalIDs(got.Approvals), sorted(c.want))
			equal(t, what+" totalCount", got.Approvals.TotalCount, len(c.want))
		}

		// Who did what, newest first.
		var activity struct {
			Client struct {
				Activity conn[map[string]any] `json:"activity"`
			} `json:"client"`
		}
		e.as(t, "owner", `query($id: ID!) { client(id: $id) { activity(first: 7) { edges { node {
			action recordType recordId summary actorUser { name } actorContact { name } } } } } }`, vars{"id": f.A.ID}).decode(t, &activity)
		byManager := map[string]string{"name": "Mark Manager"}
		byAnn := map[string]string{"name": "Ann Active"}
		event := func(action, recordID, summary string, user, contact map[string]string) map[string]any {
			return map[string]any{"action": action, "recordType": "APPROVAL", "recordId": recordID, "summary": summary, "actorUser": user, "actorContact": contact}
		}
		equal(t, "activity", activity.Client.Activity.nodes(), []map[string]any{
			event("APPROVAL_RESOLVED", round2, "Approve the homepage: APPROVED", nil, byAnn),
			event("DECISION_RECORDED", round2, "Decided APPROVED on Approve the homepage", nil, byAnn),
			event("APPROVAL_RESUBMITTED", round2, "Resubmitted Homepage design for approval (round 2)", byManager, nil),
			event("APPROVAL_RESOLVED", round1, "Approve the homepage: CHANGES_REQUESTED", nil, byAnn),
			event("DECISION_RECORDED", round1, "Decided CHANGES_REQUESTED on Approve the homepage", nil, byAnn),
			event("APPROVAL_REQUESTED", round1, "Requested approval of Homepage design", byManager, nil),
			{"action": "CREATED", "recordType": "DELIVERABLE", "recordId": deliverable, "summary": "Created deliverable Homepage design",
				"actorUser": byManager, "actorContact": nil},
		})
		equal(t, "mail after both rounds", e.outbox(t), []outboxMessage{
			{"APPROVAL_REQUESTED", "ann@acme.example", "Approval requested: Approve the homepage"},
			{"APPROVAL_REQUESTED", "ann@acme.example", "Approval requested: Approve the homepage"},
		})
	})
}

// approvalMutation is a staff approval mutation with an input that would
// succeed for a staff member allowed to run it.
type approvalMutation struct {
	name, permission, query string
	vars                    vars
	invalid                 vars // breaks the input's rules as well
}

// assertForbidden requires the mutation refused with FORBIDDEN at its own
// path, for want of the permission, disclosing nothing about the input.
func assertForbidden(t *testing.T, e *env, who string, m approvalMutation, v vars) {
	t.Helper()
	r := e.as(t, who, m.query, v)
	got := r.onlyErrorAt(t, m.name, "FORBIDDEN")
	equal(t, who+" "+m.name+" message", got.Message, "the "+m.permission+" permission is required")
	if len(got.Extensions.Fields) != 0 {
		t.Errorf("%s %s: FORBIDDEN discloses the input's rules: %s", who, m.name, got)
	}
	if !r.dataIsNull() {
		t.Errorf("%s %s: data = %s, want null", who, m.name, r.Data)
	}
}

// The staff permissions gate each approval mutation: a VIEWER runs none, a
// MEMBER manages approvals but does not record decisions on a contact's
// behalf; a refusal writes nothing.
func TestApprovalPermissions(t *testing.T) {
	t.Parallel()
	run(t, func(t *testing.T, e *env) {
		f := e.f
		// An approval that asked for changes, to resubmit; DShared has no
		// pending approval then, so a new one may be requested on it.
		changes := e.requestApproval(t, "manager", f.DShared.ID, f.AActive.ID)
		e.decide(t, "aActive", changes, "CHANGES_REQUESTED", "", "ann-changes-1").decided(t)

		request := approvalMutation{"requestApproval", "APPROVALS_CREATE", requestApprovalDoc,
			vars{"in": map[string]any{"deliverableId": f.DShared.ID, "title": "Again", "approverIds": []string{f.AActive.ID}}},
			vars{"in": map[string]any{"deliverableId": f.DShared.ID, "title": " ", "approverIds": []string{}}}}
		resubmit := approvalMutation{"resubmitApproval", "APPROVALS_UPDATE", resubmitDoc,
			vars{"in": map[string]any{"approvalId": changes}},
			vars{"in": map[string]any{"approvalId": changes, "approverIds": []string{}}}}
		cancel := approvalMutation{"cancelApproval", "APPROVALS_UPDATE", cancelDoc, vars{"id": f.ApprovalInternal.ID}, nil}
		remind := approvalMutation{"remindApprovers", "APPROVALS_UPDATE", remindDoc, vars{"id": f.ApprovalInternal.ID}, nil}
		record := approvalMutation{"recordApprovalDecision", "APPROVALS_DECIDE_ON_BEHALF", recordDecisionDoc,
			vars{"in": map[string]any{"approvalId": f.ApprovalInternal.ID, "contactId": f.AActive.ID, "outcome": "APPROVED", "idempotencyKey": "by-phone-1"}},
			vars{"in": map[string]any{"approvalId": f.ApprovalInternal.ID, "contactId": f.AActive.ID, "outcome": "APPROVED", "idempotencyKey": "short"}}}

		before := e.tableState(t)
		for _, m := range []approvalMutation{request, resubmit, cancel, remind, record} {
			assertForbidden(t, e, "viewer", m, m.vars)
			if m.invalid != nil {
				assertForbidden(t, e, "viewer", m, m.invalid)
			}
		}
		assertForbidden(t, e, "member", record, record.vars)
		assertForbidden(t, e, "member", record, record.invalid)
		equal(t, "tables after the refusals", e.tableState(t), before)

		// The same inputs succeed for those allowed.
		var requested struct {
			RequestApproval struct {
				Approval map[string]any `json:"approval"`
			} `json:"requestApproval"`
		}
		e.as(t, "member", `mutation($in: RequestApprovalInput!) { requestApproval(input: $in) { approval {
			id status requestedBy { name } deliverable { status } } } }`, request.vars).decode(t, &requested)
		memberRequest, _ := requested.RequestApproval.Approval["id"].(string)
		equal(t, "member's request", requested.RequestApproval.Approval, map[string]any{
			"id": memberRequest, "status": "PENDING", "requestedBy": map[string]string{"name": "Mia Member"},
			"deliverable": map[string]string{"status": "IN_REVIEW"},
		})
		var reminded struct {
			RemindApprovers struct {
				Approval idName   `json:"approval"`
				Reminded []idName `json:"reminded"`
			} `json:"remindApprovers"`
		}
		// The member's own request, which Ann's portal shows: the fixture's
		// approval of an internal deliverable has nobody to remind.
		e.as(t, "member", remindDoc, vars{"id": memberRequest}).decode(t, &reminded)
		equal(t, "member reminded", reminded.RemindApprovers.Reminded, []idName{{f.AActive.ID, "Ann Active"}})
		var remindedAt struct {
			Approval map[string]any `json:"approval"`
		}
		e.as(t, "member", `query($id: ID!) { approval(id: $id) { remindedAt } }`, vars{"id": memberRequest}).decode(t, &remindedAt)
		timestamp(t, "reminded approval", remindedAt.Approval, "remindedAt")
		equal(t, "mail", e.outbox(t)[len(e.outbox(t))-1], outboxMessage{
			"APPROVAL_REMINDER", "ann@acme.example", "Reminder: approval requested: Again",
		})
		var cancelled struct {
			CancelApproval struct {
				Approval struct {
					Status string `json:"status"`
				} `json:"approval"`
			} `json:"cancelApproval"`
		}
		e.as(t, "member", cancelDoc, cancel.vars).decode(t, &cancelled)
		equal(t, "member cancelled", cancelled.CancelApproval.Approval.Status, "CANCELLED")
		var recorded struct {
			RecordApprovalDecision decided `json:"recordApprovalDecision"`
		}
		e.as(t, "manager", recordDecisionDoc, vars{"in": map[string]any{
			"approvalId": memberRequest, "contactId": f.AActive.ID, "outcome": "APPROVED", "idempotencyKey": "by-phone-1",
		}}).decode(t, &recorded)
		equal(t, "recorded on behalf", []any{recorded.RecordApprovalDecision.Decision.OnBehalf, recorded.RecordApprovalDecision.Approval.Status},
			[]any{true, "APPROVED"})
		var resubmitted struct {
			ResubmitApproval struct {
				Approval struct {
					Status string `json:"status"`
					Round  int    `json:"round"`
				} `json:"approval"`
			} `json:"resubmitApproval"`
		}
		e.as(t, "owner", resubmitDoc, resubmit.vars).decode(t, &resubmitted)
		equal(t, "owner resubmitted", resubmitted.ResubmitApproval.Approval, map[string]any{"status": "PENDING", "round": 2})
	})
}

// Each audience is served only its own approval mutations: staff cannot
// even name decideApproval, a contact cannot name a staff mutation; both
// fail validation like a typo, before anything runs.
func TestApprovalMutationsPerAudience(t *testing.T) {
	t.Parallel()
	run(t, func(t *testing.T, e *env) {
		f := e.f
		before := e.tableState(t)
		// Inputs are written inline: the input types are hidden as well,
		// so a variable of one would add an error of its own.
		decide := `mutation($id: ID!) { decideApproval(input: {approvalId: $id, outcome: APPROVED, idempotencyKey: "staff-tries-1"}) { approval { id } } }`
		cases := []struct {
			who, query string
			vars       vars
			message    string
		}{
			{"owner", decide, vars{"id": f.ApprovalInternal.ID}, `Cannot query field "decideApproval" on type "Mutation".`},
			{"manager", decide, vars{"id": f.ApprovalInternal.ID}, `Cannot query field "decideApproval" on type "Mutation".`},
			{"aActive", `mutation($d: ID!, $c: ID!) { requestApproval(input: {deliverableId: $d, title: "Mine", approverIds: [$c]}) { approval { id } } }`,
				vars{"d": f.DShared.ID, "c": f.AActive.ID}, `Cannot query field "requestApproval" on type "Mutation".`},
			{"aActive", `mutation($id: ID!) { resubmitApproval(input: {approvalId: $id}) { approval { id } } }`, vars{"id": f.ApprovalShared.ID},
				`Cannot query field "resubmitApproval" on type "Mutation".`},
			{"aActive", cancelDoc, vars{"id": f.ApprovalShared.ID}, `Cannot query field "cancelApproval" on type "Mutation".`},
			{"aActive", remindDoc, vars{"id": f.ApprovalShared.ID}, `Cannot query field "remindApprovers" on type "Mutation".`},
			{"aActive", `mutation($id: ID!, $c: ID!) { recordApprovalDecision(input: {approvalId: $id, contactId: $c, outcome: APPROVED, idempotencyKey: "portal-tries"}) {
				approval { id } } }`, vars{"id": f.ApprovalShared.ID, "c": f.AActive.ID}, `Cannot query field "recordApprovalDecision" on type "Mutation".`},
		}
		for _, c := range cases {
			r := e.as(t, c.who, c.query, c.vars)
			got := r.only(t)
			equal(t, c.who+" error", []string{got.Message, got.Extensions.Code}, []string{c.message, "GRAPHQL_VALIDATION_FAILED"})
			if r.Status != http.StatusUnprocessableEntity || !r.dataIsNull() {
				t.Errorf("%s: HTTP %d, data %s; want 422 and no data", c.who, r.Status, r.Data)
			}
		}
		equal(t, "tables", e.tableState(t), before)
	})
}

// Only the approvers decide, only on their own client's approvals: another
// client's contact is told the approval does not exist, a suspended
// contact is not let in at all, and a contact of the right client who was
// not asked is forbidden. None of them writes anything.
func TestOnlyApproversDecide(t *testing.T) {
	t.Parallel()
	run(t, func(t *testing.T, e *env) {
		f := e.f
		approval := e.requestApproval(t, "manager", f.DShared.ID, f.AActive.ID)
		_, bystander := e.portalContact(t, "Nate Notasked", "nate@acme.example")
		before := e.tableState(t)

		// Another client's contact, and another workspace's: NOT_FOUND,
		// exactly like an ID that does not exist.
		for _, who := range []string{"bActive", "xActive"} {
			r := e.decide(t, who, approval, "APPROVED", "", "not-mine-123")
			got := r.onlyErrorAt(t, "decideApproval", "NOT_FOUND")
			equal(t, who+" message", got.Message, fmt.Sprintf("no record with id %q", approval))
			r = e.as(t, who, `query($id: ID!) { approval(id: $id) { id } }`, vars{"id": approval})
			equal(t, who+" lookup", r.onlyErrorAt(t, "approval", "NOT_FOUND").Message, fmt.Sprintf("no record with id %q", approval))
		}
		// Not even the approval's own approver decides through another
		// client: B's approval is NOT_FOUND for A's contact.
		r := e.decide(t, "aActive", f.BApproval.ID, "APPROVED", "", "not-mine-456")
		r.onlyErrorAt(t, "decideApproval", "NOT_FOUND")
		// An approval of an internal deliverable, though she is its
		// approver, is not hers to see.
		r = e.decide(t, "aActive", f.ApprovalInternal.ID, "APPROVED", "", "not-shown-1")
		r.onlyErrorAt(t, "decideApproval", "NOT_FOUND")

		// A suspended contact is refused before GraphQL runs.
		assertRefused(t, e.decide(t, "aSuspended", approval, "APPROVED", "", "suspended-1"),
			http.StatusUnauthorized, "UNAUTHENTICATED", notActive)

		// A contact of A who was not asked sees the approval but may not
		// decide it, and has nothing pending.
		r = e.post(t, bystander, decideDoc, vars{"in": map[string]any{"approvalId": approval, "outcome": "APPROVED", "idempotencyKey": "bystander-1"}})
		equal(t, "bystander", r.onlyErrorAt(t, "decideApproval", "FORBIDDEN").Message, "you are not an approver of this approval")
		var seen struct {
			Approval struct {
				ID string `json:"id"`
			} `json:"approval"`
			Viewer struct {
				PendingApprovals conn[idName] `json:"pendingApprovals"`
			} `json:"viewer"`
		}
		e.post(t, bystander, `query($id: ID!) { approval(id: $id) { id } viewer { pendingApprovals { totalCount } } }`, vars{"id": approval}).decode(t, &seen)
		equal(t, "bystander sees", []any{seen.Approval.ID, seen.Viewer.PendingApprovals.TotalCount}, []any{approval, 0})

		equal(t, "tables", e.tableState(t), before)

		// The approver herself may.
		got := e.decide(t, "aActive", approval, "APPROVED", "", "mine-12345").decided(t)
		equal(t, "approver's decision", got.Approval.Status, "APPROVED")
	})
}

// The internal fields of approvals and decisions do not exist for a
// contact: naming one fails validation like a typo, naming exactly that
// field, and nothing runs — not even a mutation around it.
func TestApprovalInternalFieldsHiddenFromPortal(t *testing.T) {
	t.Parallel()
	run(t, func(t *testing.T, e *env) {
		f := e.f
		approval := e.requestApproval(t, "manager", f.DShared.ID, f.AActive.ID)
		before := e.tableState(t)
		cases := []struct{ typ, field, query string }{
			{"Approval", "requestedBy", `query($id: ID!) { approval(id: $id) { id requestedBy { name } } }`},
			{"Approval", "internalNotes", `query($id: ID!) { approval(id: $id) { id internalNotes } }`},
			{"Approval", "remindedAt", `query($id: ID!) { approval(id: $id) { id remindedAt } }`},
			{"ApprovalDecision", "recordedBy", `query($id: ID!) { approval(id: $id) { decisions { id recordedBy { name } } } }`},
			{"ApprovalDecision", "internalNote", `query($id: ID!) { approval(id: $id) { decisionHistory { id internalNote } } }`},
			{"Approval", "internalNotes", `{ viewer { pendingApprovals { edges { node { id internalNotes } } } } }`},
			{"ApprovalDecision", "recordedBy", `mutation($id: ID!) { decideApproval(input: {approvalId: $id, outcome: APPROVED, idempotencyKey: "hidden-field-1"}) {
				decision { id recordedBy { name } } } }`},
			{"Approval", "requestedBy", `mutation($id: ID!) { decideApproval(input: {approvalId: $id, outcome: APPROVED, idempotencyKey: "hidden-field-2"}) {
				approval { id requestedBy { id } } } }`},
		}
		for _, c := range cases {
			r := e.as(t, "aActive", c.query, vars{"id": approval})
			got := r.only(t)
			equal(t, c.typ+"."+c.field, []string{got.Message, got.Extensions.Code},
				[]string{fmt.Sprintf("Cannot query field %q on type %q.", c.field, c.typ), "GRAPHQL_VALIDATION_FAILED"})
			if !r.dataIsNull() || strings.Contains(string(r.Raw), "Did you mean") {
				t.Errorf("%s.%s: %s", c.typ, c.field, r.Raw)
			}
		}
		equal(t, "tables", e.tableState(t), before)

		// Staff select every one of them.
		var staff struct {
			Approval map[string]any `json:"approval"`
		}
		e.as(t, "manager", `query($id: ID!) { approval(id: $id) { requestedBy { name } internalNotes remindedAt
			decisions { recordedBy { name } internalNote } } }`, vars{"id": approval}).decode(t, &staff)
		equal(t, "staff view", staff.Approval, map[string]any{
			"requestedBy": map[string]string{"name": "Mark Manager"}, "internalNotes": nil, "remindedAt": nil, "decisions": []any{},
		})
	})
}

// A decision sent again with its idempotency key is answered with the
// decision it made, and nothing is written twice — even after it resolved
// the approval; the key with another decision is a conflict.
func TestDecisionIdempotency(t *testing.T) {
	t.Parallel()
	run(t, func(t *testing.T, e *env) {
		f := e.f
		approval := e.requestApproval(t, "manager", f.DShared.ID, f.AActive.ID)
		const key = "3b9f6c1e-retry-me"
		first := e.decide(t, "aActive", approval, "APPROVED", "Looks great", key).decided(t)
		equal(t, "first answer", []any{first.Decision.Outcome, first.Decision.Comment, first.Approval.Status},
			[]any{"APPROVED", "Looks great", "APPROVED"})
		keyed := func() int {
			var n int
			if err := e.store.DB().Get(&n, e.store.DB().Rebind(`SELECT COUNT(*) FROM approval_decisions WHERE idempotency_key = ?`), key); err != nil {
				t.Fatal(err)
			}
			return n
		}
		equal(t, "rows with the key", keyed(), 1)
		before := e.tableState(t)

		// The retry, twice: the same decision, nothing new.
		for range 2 {
			again := e.decide(t, "aActive", approval, "APPROVED", "Looks great", key).decided(t)
			equal(t, "retry", again, first)
		}
		equal(t, "tables after the retries", e.tableState(t), before)
		equal(t, "rows with the key", keyed(), 1)

		// The key with a different decision: a conflict, nothing written.
		for _, c := range []struct{ outcome, comment string }{
			{"CHANGES_REQUESTED", "Looks great"},
			{"APPROVED", "Looks great, mostly"},
		} {
			r := e.decide(t, "aActive", approval, c.outcome, c.comment, key)
			equal(t, c.outcome+" with the key", r.onlyErrorAt(t, "decideApproval", "CONFLICT").Message,
				"this idempotency key was used for a different decision")
		}
		// A new key on the resolved approval: a conflict too.
		r := e.decide(t, "aActive", approval, "REJECTED", "", "a-fresh-key-1")
		equal(t, "new key after resolution", r.onlyErrorAt(t, "decideApproval", "CONFLICT").Message, "the approval is already APPROVED")
		equal(t, "tables after the conflicts", e.tableState(t), before)

		var history struct {
			Approval struct {
				DecisionHistory []idName `json:"decisionHistory"`
			} `json:"approval"`
		}
		e.as(t, "manager", `query($id: ID!) { approval(id: $id) { decisionHistory { id name: outcome } } }`, vars{"id": approval}).decode(t, &history)
		equal(t, "decision history", history.Approval.DecisionHistory, []idName{{first.Decision.ID, "APPROVED"}})
	})
}

// Under policy ALL an approver may change her decision until everyone has
// decided: the changed decision stays in the history, superseded, and
// only the current one counts.
func TestChangedDecisionIsSuperseded(t *testing.T) {
	t.Parallel()
	run(t, func(t *testing.T, e *env) {
		f := e.f
		nate, nateToken := e.portalContact(t, "Nate Second", "nate@acme.example")
		var requested struct {
			RequestApproval struct {
				Approval idName `json:"approval"`
			} `json:"requestApproval"`
		}
		e.as(t, "manager", `mutation($in: RequestApprovalInput!) { requestApproval(input: $in) { approval { id name: status } } }`,
			vars{"in": map[string]any{"deliverableId": f.DShared.ID, "title": "Both of you", "approverIds": []string{f.AActive.ID, nate}, "policy": "ALL"}}).decode(t, &requested)
		approval := requested.RequestApproval.Approval.ID

		first := e.decide(t, "aActive", approval, "APPROVED", "ok", "ann-first-1").decided(t)
		equal(t, "after Ann's first decision", first.Approval.Status, "PENDING")
		changed := e.decide(t, "aActive", approval, "APPROVED", "ok, with the new colours", "ann-second-1").decided(t)
		equal(t, "after Ann's change", changed.Approval.Status, "PENDING")
		// Retrying the first, superseded decision answers it as it now is.
		retried := e.decide(t, "aActive", approval, "APPROVED", "ok", "ann-first-1").decided(t)
		equal(t, "retried first decision", []any{retried.Decision.ID, retried.Decision.Superseded}, []any{first.Decision.ID, true})

		var nateDecided struct {
			DecideApproval decided `json:"decideApproval"`
		}
		e.post(t, nateToken, decideDoc, vars{"in": map[string]any{"approvalId": approval, "outcome": "APPROVED", "idempotencyKey": "nate-first-1"}}).decode(t, &nateDecided)
		equal(t, "after both approved", nateDecided.DecideApproval.Approval.Status, "APPROVED")

		var got struct {
			Approval struct {
				Decisions       []map[string]any `json:"decisions"`
				DecisionHistory []map[string]any `json:"decisionHistory"`
			} `json:"approval"`
		}
		e.as(t, "aActive", `query($id: ID!) { approval(id: $id) { decisions { id comment superseded contact { name } }
			decisionHistory { id comment superseded contact { name } } } }`, vars{"id": approval}).decode(t, &got)
		d := func(id string, comment any, superseded bool, name string) map[string]any {
			return map[string]any{"id": id, "comment": comment, "superseded": superseded, "contact": map[string]string{"name": name}}
		}
		equal(t, "current decisions", got.Approval.Decisions, []map[string]any{
			d(changed.Decision.ID, "ok, with the new colours", false, "Ann Active"),
			d(nateDecided.DecideApproval.Decision.ID, nil, false, "Nate Second"),
		})
		equal(t, "decision history", got.Approval.DecisionHistory, []map[string]any{
			d(first.Decision.ID, "ok", true, "Ann Active"),
			d(changed.Decision.ID, "ok, with the new colours", false, "Ann Active"),
			d(nateDecided.DecideApproval.Decision.ID, nil, false, "Nate Second"),
		})
	})
}

// Bad input is BAD_USER_INPUT at the mutation, naming each bad field, and
// writes nothing: the schema's rules before anything runs, the rules only
// the store can check (whose contacts, which dates) in its transaction.
func TestApprovalBadInput(t *testing.T) {
	t.Parallel()
	run(t, func(t *testing.T, e *env) {
		f := e.f
		pending := e.requestApproval(t, "manager", f.DShared.ID, f.AActive.ID)
		fresh := e.sharedDeliverable(t, "Brochure")
		const unknown = "con_01JH0000000000000000000000"
		request := func(in map[string]any) vars {
			out := map[string]any{"deliverableId": fresh, "title": "Approve the brochure", "approverIds": []string{f.AActive.ID}}
			for k, v := range in {
				out[k] = v
			}
			return vars{"in": out}
		}
		decide := func(in map[string]any) vars {
			out := map[string]any{"approvalId": pending, "outcome": "APPROVED", "idempotencyKey": "good-key-123"}
			for k, v := range in {
				out[k] = v
			}
			return vars{"in": out}
		}
		cases := []struct {
			name, who, query string
			vars             vars
			path             string
			fields           []string
		}{
			{"no approvers", "manager", requestApprovalDoc, request(map[string]any{"approverIds": []string{}}),
				"requestApproval", []string{"input.approverIds: must have at least 1 item"}},
			{"an approver twice", "manager", requestApprovalDoc, request(map[string]any{"approverIds": []string{f.AActive.ID, f.AActive.ID}}),
				"requestApproval", []string{"input.approverIds: must not contain duplicates"}},
			{"more than 20 approvers", "manager", requestApprovalDoc, request(map[string]any{"approverIds": func() []string {
				out := make([]string, 21)
				for i := range out {
					out[i] = fmt.Sprintf("con_01JH00000000000000000000%02d", i)
				}
				return out
			}()}), "requestApproval", []string{"input.approverIds: must have at most 20 items"}},
			{"an unknown approver", "manager", requestApprovalDoc, request(map[string]any{"approverIds": []string{f.AActive.ID, unknown}}),
				"requestApproval", []string{fmt.Sprintf("input.approverIds: %q is not a contact of the deliverable's client", unknown)}},
			{"another client's contact", "manager", requestApprovalDoc, request(map[string]any{"approverIds": []string{f.BActive.ID}}),
				"requestApproval", []string{fmt.Sprintf("input.approverIds: %q is not a contact of the deliverable's client", f.BActive.ID)}},
			{"another workspace's contact", "manager", requestApprovalDoc, request(map[string]any{"approverIds": []string{f.XActive.ID}}),
				"requestApproval", []string{fmt.Sprintf("input.approverIds: %q is not a contact of the deliverable's client", f.XActive.ID)}},
			{"a contact without portal access", "manager", requestApprovalDoc, request(map[string]any{"approverIds": []string{f.AInvited.ID}}),
				"requestApproval", []string{"input.approverIds: Ivy Invited has no active portal access"}},
			{"due yesterday", "manager", requestApprovalDoc, request(map[string]any{"dueOn": daysFromNow(-1)}),
				"requestApproval", []string{"input.dueOn: must be today or later"}},
			{"a blank title and an overlong message", "manager", requestApprovalDoc,
				request(map[string]any{"title": "  ", "message": strings.Repeat("m", 5001)}),
				"requestApproval", []string{"input.message: must be at most 5000 characters long", "input.title: must not be blank"}},
			{"an internal deliverable", "manager", requestApprovalDoc, request(map[string]any{"deliverableId": f.DInternal.ID}),
				"requestApproval", []string{"input.deliverableId: share the deliverable and its project with the client before asking for approval"}},
			{"another workspace's deliverable", "manager", requestApprovalDoc, request(map[string]any{"deliverableId": f.XDeliv.ID}),
				"requestApproval", []string{fmt.Sprintf("input.deliverableId: no record with id %q", f.XDeliv.ID)}},
			{"resubmitted to no approvers", "manager", resubmitDoc, vars{"in": map[string]any{"approvalId": pending, "approverIds": []string{}}},
				"resubmitApproval", []string{"input.approverIds: must have at least 1 item"}},
			{"a short idempotency key", "aActive", decideDoc, decide(map[string]any{"idempotencyKey": "short"}),
				"decideApproval", []string{"input.idempotencyKey: must be at least 8 characters long"}},
			{"a comment over 5000 characters", "aActive", decideDoc, decide(map[string]any{"comment": strings.Repeat("c", 5001)}),
				"decideApproval", []string{"input.comment: must be at most 5000 characters long"}},
			{"an idempotency key of unprintable characters", "aActive", decideDoc, decide(map[string]any{"idempotencyKey": "tab\there-123"}),
				"decideApproval", []string{"input.idempotencyKey: must contain only printable ASCII characters"}},
			{"on behalf of a contact not asked", "manager", recordDecisionDoc, vars{"in": map[string]any{
				"approvalId": pending, "contactId": f.ASuspended.ID, "outcome": "APPROVED", "idempotencyKey": "by-phone-123",
			}}, "recordApprovalDecision", []string{"input.contactId: is not an approver of this approval"}},
			{"on behalf with an overlong note", "manager", recordDecisionDoc, vars{"in": map[string]any{
				"approvalId": pending, "contactId": f.AActive.ID, "outcome": "APPROVED", "idempotencyKey": "by-phone-123",
				"internalNote": strings.Repeat("n", 5001),
			}}, "recordApprovalDecision", []string{"input.internalNote: must be at most 5000 characters long"}},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				// Sequential: each case checks that nothing was written.
				before := e.tableState(t)
				r := e.as(t, c.who, c.query, c.vars)
				got := r.onlyErrorAt(t, c.path, "BAD_USER_INPUT")
				equal(t, "message", got.Message, "invalid input")
				equal(t, "fields", got.fields(), c.fields)
				if r.Status != http.StatusOK || !r.dataIsNull() {
					t.Errorf("HTTP %d, data %s", r.Status, r.Data)
				}
				equal(t, "tables", e.tableState(t), before)
			})
		}

		// Today is not in the past.
		var ok struct {
			RequestApproval struct {
				Approval struct {
					DueOn string `json:"dueOn"`
				} `json:"approval"`
			} `json:"requestApproval"`
		}
		e.as(t, "manager", `mutation($in: RequestApprovalInput!) { requestApproval(input: $in) { approval { dueOn } } }`,
			request(map[string]any{"dueOn": daysFromNow(0)})).decode(t, &ok)
		equal(t, "due today", ok.RequestApproval.Approval.DueOn, daysFromNow(0))
	})
}

// What the workflow's state does not allow is a CONFLICT and writes
// nothing: a second pending approval, cancelling twice, deciding,
// reminding or resubmitting a cancelled approval, resubmitting a round
// twice.
func TestApprovalConflicts(t *testing.T) {
	t.Parallel()
	run(t, func(t *testing.T, e *env) {
		f := e.f
		approval := e.requestApproval(t, "manager", f.DShared.ID, f.AActive.ID)
		conflict := func(what string, r *response, path, message string) {
			t.Helper()
			equal(t, what, r.onlyErrorAt(t, path, "CONFLICT").Message, message)
		}

		before := e.tableState(t)
		conflict("a second request", e.as(t, "manager", requestApprovalDoc, vars{"in": map[string]any{
			"deliverableId": f.DShared.ID, "title": "Again", "approverIds": []string{f.AActive.ID},
		}}), "requestApproval", "the deliverable already has a pending approval")
		conflict("resubmitting a pending approval", e.as(t, "manager", resubmitDoc, vars{"in": map[string]any{"approvalId": approval}}),
			"resubmitApproval", "only an approval that asked for changes or was rejected can be resubmitted; this one is PENDING")
		equal(t, "tables", e.tableState(t), before)

		var cancelled struct {
			CancelApproval struct {
				Approval map[string]any `json:"approval"`
			} `json:"cancelApproval"`
		}
		e.as(t, "manager", `mutation($id: ID!) { cancelApproval(input: {approvalId: $id}) { approval { id status deliverable { status } } } }`,
			vars{"id": approval}).decode(t, &cancelled)
		equal(t, "cancelled", cancelled.CancelApproval.Approval, map[string]any{
			"id": approval, "status": "CANCELLED", "deliverable": map[string]string{"status": "IN_PROGRESS"},
		})
		var pending struct {
			Viewer struct {
				PendingApprovals conn[idName] `json:"pendingApprovals"`
			} `json:"viewer"`
		}
		e.as(t, "aActive", `{ viewer { pendingApprovals { totalCount } } }`, nil).decode(t, &pending)
		equal(t, "pending after the cancellation", pending.Viewer.PendingApprovals.TotalCount, 0)

		before = e.tableState(t)
		conflict("cancelling twice", e.as(t, "manager", cancelDoc, vars{"id": approval}),
			"cancelApproval", "only a pending approval can be cancelled; this one is CANCELLED")
		conflict("deciding a cancelled approval", e.decide(t, "aActive", approval, "APPROVED", "", "too-late-123"),
			"decideApproval", "the approval is already CANCELLED")
		conflict("recording on a cancelled approval", e.as(t, "manager", recordDecisionDoc, vars{"in": map[string]any{
			"approvalId": approval, "contactId": f.AActive.ID, "outcome": "APPROVED", "idempotencyKey": "too-late-456",
		}}), "recordApprovalDecision", "the approval is already CANCELLED")
		conflict("reminding about a cancelled approval", e.as(t, "manager", remindDoc, vars{"id": approval}),
			"remindApprovers", "only a pending approval's approvers can be reminded; this one is CANCELLED")
		conflict("resubmitting a cancelled approval", e.as(t, "manager", resubmitDoc, vars{"in": map[string]any{"approvalId": approval}}),
			"resubmitApproval", "only an approval that asked for changes or was rejected can be resubmitted; this one is CANCELLED")
		equal(t, "tables", e.tableState(t), before)

		// A rejected round is resubmitted once.
		rejected := e.requestApproval(t, "manager", f.DShared.ID, f.AActive.ID)
		e.decide(t, "aActive", rejected, "REJECTED", "Not our style", "reject-1234").decided(t)
		var next struct {
			ResubmitApproval struct {
				Approval idName `json:"approval"`
			} `json:"resubmitApproval"`
		}
		e.as(t, "manager", resubmitDoc, vars{"in": map[string]any{"approvalId": rejected}}).decode(t, &next)
		e.as(t, "manager", cancelDoc, vars{"id": next.ResubmitApproval.Approval.ID}).decode(t, &cancelled)
		before = e.tableState(t)
		conflict("resubmitting a round twice", e.as(t, "manager", resubmitDoc, vars{"in": map[string]any{"approvalId": rejected}}),
			"resubmitApproval", "this round was already resubmitted")
		equal(t, "tables", e.tableState(t), before)
	})
}

// Reminders over HTTP go only to approvers whose portal shows the
// approval now: a suspended approver is neither mailed nor listed, and the
// client's activity says who was left out and why. With the client's
// portal off nobody can open it, and the reminder is a CONFLICT that names
// each approver and the rule they do not meet, writing nothing.
func TestRemindersOnlyReachWhoCanOpenTheApproval(t *testing.T) {
	t.Parallel()
	run(t, func(t *testing.T, e *env) {
		f := e.f
		pat, _ := e.portalContact(t, "Pat Portal", "pat@acme.example")
		approval := e.requestApproval(t, "manager", f.DShared.ID, f.AActive.ID, pat)
		e.as(t, "owner", suspendDoc, vars{"id": pat}).decode(t, &struct{}{})

		mail := len(e.outbox(t))
		var reminded struct {
			RemindApprovers struct {
				Reminded []idName `json:"reminded"`
			} `json:"remindApprovers"`
		}
		e.as(t, "manager", remindDoc, vars{"id": approval}).decode(t, &reminded)
		equal(t, "reminded", reminded.RemindApprovers.Reminded, []idName{{f.AActive.ID, "Ann Active"}})
		equal(t, "mail", e.outbox(t)[mail:], []outboxMessage{{"APPROVAL_REMINDER", "ann@acme.example", "Reminder: approval requested: Please approve"}})
		var activity struct {
			Client struct {
				Activity conn[struct {
					Action  string `json:"action"`
					Summary string `json:"summary"`
				}] `json:"activity"`
			} `json:"client"`
		}
		e.as(t, "manager", `query($id: ID!) { client(id: $id) { activity(first: 1) { edges { node { action summary } } } } }`,
			vars{"id": f.A.ID}).decode(t, &activity)
		equal(t, "the reminder's activity", activity.Client.Activity.nodes()[0].Summary,
			"Reminded Ann Active about Please approve; not reminded, as their portal does not show it now: "+
				"Pat Portal (not met: contact's portal access active)")

		e.as(t, "owner", setPortalDoc, vars{"in": map[string]any{"clientId": f.A.ID, "enabled": false}}).decode(t, &struct{}{})
		before := e.tableState(t)
		r := e.as(t, "manager", remindDoc, vars{"id": approval})
		equal(t, "nobody to remind", r.onlyErrorAt(t, "remindApprovers", "CONFLICT").Message,
			"nobody was reminded: no approver who has not decided can open the approval in their portal now: "+
				"Ann Active (not met: client portal enabled); Pat Portal (not met: contact's portal access active, client portal enabled)")
		equal(t, "tables", e.tableState(t), before)
	})
}

// Staff record a decision given by phone: it counts like the contact's
// own, is marked as on their behalf for everyone, and tells only staff who
// recorded it and how it was given.
func TestRecordDecisionOnBehalf(t *testing.T) {
	t.Parallel()
	run(t, func(t *testing.T, e *env) {
		f := e.f
		approval := e.requestApproval(t, "manager", f.DShared.ID, f.AActive.ID)
		var recorded struct {
			RecordApprovalDecision struct {
				Decision map[string]any `json:"decision"`
				Approval map[string]any `json:"approval"`
			} `json:"recordApprovalDecision"`
		}
		e.as(t, "manager", `mutation($in: RecordApprovalDecisionInput!) { recordApprovalDecision(input: $in) {
			decision { id outcome comment onBehalf superseded recordedBy { name } internalNote contact { id name } }
			approval { id status deliverable { status } } } }`, vars{"in": map[string]any{
			"approvalId": approval, "contactId": f.AActive.ID, "outcome": "APPROVED", "comment": "Approved on the phone.",
			"internalNote": "Ann called at 10:30, confirmed by mail.", "idempotencyKey": "phone-call-0930",
		}}).decode(t, &recorded)
		decision, _ := recorded.RecordApprovalDecision.Decision["id"].(string)
		staffView := map[string]any{
			"id": decision, "outcome": "APPROVED", "comment": "Approved on the phone.", "onBehalf": true, "superseded": false,
			"recordedBy": map[string]string{"name": "Mark Manager"}, "internalNote": "Ann called at 10:30, confirmed by mail.",
			"contact": idName{f.AActive.ID, "Ann Active"},
		}
		equal(t, "recorded decision", recorded.RecordApprovalDecision.Decision, staffView)
		equal(t, "approval", recorded.RecordApprovalDecision.Approval, map[string]any{
			"id": approval, "status": "APPROVED", "deliverable": map[string]string{"status": "APPROVED"},
		})
		// Recorded again with its key, say after a timeout: the same
		// decision, nothing written.
		before := e.tableState(t)
		var again struct {
			RecordApprovalDecision decided `json:"recordApprovalDecision"`
		}
		e.as(t, "manager", recordDecisionDoc, vars{"in": map[string]any{
			"approvalId": approval, "contactId": f.AActive.ID, "outcome": "APPROVED", "comment": "Approved on the phone.",
			"internalNote": "Ann called at 10:30, confirmed by mail.", "idempotencyKey": "phone-call-0930",
		}}).decode(t, &again)
		equal(t, "recorded again", []string{again.RecordApprovalDecision.Decision.ID, again.RecordApprovalDecision.Approval.Status},
			[]string{decision, "APPROVED"})
		equal(t, "tables after recording again", e.tableState(t), before)

		// Staff read it back, through the approval and by its ID.
		var staff struct {
			Approval struct {
				Decisions []map[string]any `json:"decisions"`
			} `json:"approval"`
			Node map[string]any `json:"node"`
		}
		const decisionFields = `id outcome comment onBehalf superseded recordedBy { name } internalNote contact { id name }`
		e.as(t, "owner", `query($a: ID!, $d: ID!) { approval(id: $a) { decisions { `+decisionFields+` } }
			node(id: $d) { ... on ApprovalDecision { `+decisionFields+` } } }`, vars{"a": approval, "d": decision}).decode(t, &staff)
		equal(t, "staff: decisions", staff.Approval.Decisions, []map[string]any{staffView})
		equal(t, "staff: node", staff.Node, staffView)

		// The contact sees it as hers, on her behalf, without the rest.
		var portal struct {
			Approval struct {
				Status    string           `json:"status"`
				Decisions []map[string]any `json:"decisions"`
			} `json:"approval"`
		}
		e.as(t, "aActive", `query($id: ID!) { approval(id: $id) { status decisions { id outcome comment onBehalf superseded contact { id name } } } }`,
			vars{"id": approval}).decode(t, &portal)
		equal(t, "portal view", portal.Approval.Status, "APPROVED")
		equal(t, "portal: decisions", portal.Approval.Decisions, []map[string]any{{
			"id": decision, "outcome": "APPROVED", "comment": "Approved on the phone.", "onBehalf": true, "superseded": false,
			"contact": idName{f.AActive.ID, "Ann Active"},
		}})
		for _, field := range []string{"recordedBy { name }", "internalNote"} {
			r := e.as(t, "aActive", `query($id: ID!) { approval(id: $id) { decisions { id `+field+` } } }`, vars{"id": approval})
			name, _, _ := strings.Cut(field, " ")
			got := r.only(t)
			equal(t, "portal selects "+name, []string{got.Message, got.Extensions.Code},
				[]string{fmt.Sprintf(`Cannot query field %q on type "ApprovalDecision".`, name), "GRAPHQL_VALIDATION_FAILED"})
		}

		// The activity names the staff member, not the contact.
		var activity struct {
			Client struct {
				Activity conn[map[string]any] `json:"activity"`
			} `json:"client"`
		}
		e.as(t, "owner", `query($id: ID!) { client(id: $id) { activity(first: 2) { edges { node {
			action recordId summary actorUser { name } actorContact { name } } } } } }`, vars{"id": f.A.ID}).decode(t, &activity)
		byManager := map[string]string{"name": "Mark Manager"}
		equal(t, "activity", activity.Client.Activity.nodes(), []map[string]any{
			{"action": "APPROVAL_RESOLVED", "recordId": approval, "summary": "Please approve: APPROVED", "actorUser": byManager, "actorContact": nil},
			{"action": "DECISION_RECORDED", "recordId": approval, "summary": "Recorded APPROVED on Please approve on the contact's behalf",
				"actorUser": byManager, "actorContact": nil},
		})
	})
}

// A contact's pending approvals come soonest due first, those without a
// due date last, and page through by cursor without losing or repeating
// one; decided and other contacts' approvals are not among them.
func TestPendingApprovalsByDueDate(t *testing.T) {
	t.Parallel()
	run(t, func(t *testing.T, e *env) {
		f := e.f
		nate, nateToken := e.portalContact(t, "Nate Second", "nate@acme.example")
		dues := []any{daysFromNow(10), nil, daysFromNow(3), nil, daysFromNow(0)}
		created := make([]string, len(dues))
		for i, due := range dues {
			in := map[string]any{"deliverableId": e.sharedDeliverable(t, fmt.Sprintf("Deliverable %d", i)), "title": fmt.Sprintf("Approval %d", i),
				"approverIds": []string{f.AActive.ID}}
			if i == 1 {
				in["approverIds"] = []string{f.AActive.ID, nate}
			}
			if due != nil {
				in["dueOn"] = due
			}
			var got struct {
				RequestApproval struct {
					Approval idName `json:"approval"`
				} `json:"requestApproval"`
			}
			e.as(t, "manager", `mutation($in: RequestApprovalInput!) { requestApproval(input: $in) { approval { id name: title } } }`,
				vars{"in": in}).decode(t, &got)
			created[i] = got.RequestApproval.Approval.ID
		}
		// One more, decided already: not pending.
		decidedID := e.requestApproval(t, "manager", f.DShared.ID, f.AActive.ID)
		e.decide(t, "aActive", decidedID, "APPROVED", "", "decided-1234").decided(t)

		page := func(token string, after any) (ids []string, dues []any, total int, next any) {
			t.Helper()
			var got struct {
				Viewer struct {
					PendingApprovals struct {
						TotalCount int `json:"totalCount"`
						PageInfo   struct {
							HasNextPage bool   `json:"hasNextPage"`
							EndCursor   string `json:"endCursor"`
						} `json:"pageInfo"`
						Edges []struct {
							Node struct {
								ID    string `json:"id"`
								DueOn any    `json:"dueOn"`
							} `json:"node"`
						} `json:"edges"`
					} `json:"pendingApprovals"`
				} `json:"viewer"`
			}
			e.post(t, token, `query($after: String) { viewer { pendingApprovals(first: 2, after: $after) {
				totalCount pageInfo { hasNextPage endCursor } edges { node { id dueOn } } } } }`, vars{"after": after}).decode(t, &got)
			p := got.Viewer.PendingApprovals
			for _, edge := range p.Edges {
				ids = append(ids, edge.Node.ID)
				dues = append(dues, edge.Node.DueOn)
			}
			if p.PageInfo.HasNextPage {
				next = p.PageInfo.EndCursor
			}
			return ids, dues, p.TotalCount, next
		}
		var gotIDs []string
		var gotDues []any
		var after any
		for pages := 1; ; pages++ {
			ids, dues, total, next := page(f.Tokens["aActive"], after)
			equal(t, "totalCount", total, len(created))
			gotIDs, gotDues = append(gotIDs, ids...), append(gotDues, dues...)
			if next == nil {
				equal(t, "pages", pages, 3)
				break
			}
			after = next
		}
		equal(t, "pending, soonest due first", gotIDs, []string{created[4], created[2], created[0], created[1], created[3]})
		equal(t, "due dates", gotDues, []any{daysFromNow(0), daysFromNow(3), daysFromNow(10), nil, nil})

		ids, _, total, _ := page(nateToken, nil)
		equal(t, "Nate's pending", []any{ids, total}, []any{[]string{created[1]}, 1})
	})
}
