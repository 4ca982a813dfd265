package graph_test

import (
	"cmp"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"portalgraph/graph"
	"portalgraph/internal/auth"
	"portalgraph/internal/dataset"
	"portalgraph/internal/portal"
	"portalgraph/internal/sqlstore"
	"portalgraph/internal/sqlstore/sqltest"
)

// Client requests over HTTP: contacts open them in the portal, staff
// triage them, both sides comment; every step is scoped, permission-checked,
// validated, audited and mailed, and internal comments never reach the
// portal by any path.

const (
	openRequestDoc   = `mutation($in: OpenRequestInput!) { openRequest(input: $in) { request { id status } } }`
	updateRequestDoc = `mutation($in: UpdateRequestInput!) { updateRequest(input: $in) { request { id status assignee { name } } } }`
	commentDoc       = `mutation($in: CommentOnRequestInput!) { commentOnRequest(input: $in) { comment { id } } }`
	// requestDoc is a request as its conversation reads, in either audience.
	requestDoc = `query($id: ID!) { request(id: $id) { id title status lastActivityAt
		comments { totalCount edges { node { id body authorUser { name } authorContact { name } } } }
		attachments { id name } } }`
)

// openRequest opens a request as a portal principal, about a project when
// projectID is not empty, and returns its ID.
func (e *env) openRequest(t *testing.T, who, title, projectID string) string {
	t.Helper()
	in := map[string]any{"title": title, "body": "Details of " + title}
	if projectID != "" {
		in["projectId"] = projectID
	}
	var got struct {
		OpenRequest struct {
			Request struct {
				ID     string `json:"id"`
				Status string `json:"status"`
			} `json:"request"`
		} `json:"openRequest"`
	}
	e.as(t, who, openRequestDoc, vars{"in": in}).decode(t, &got)
	if r := got.OpenRequest.Request; r.ID == "" || r.Status != "OPEN" {
		t.Fatalf("opened request = %+v", r)
	}
	return got.OpenRequest.Request.ID
}

// commentOn comments on a request as who and returns the comment's ID;
// internal is only named when set, since the portal cannot name it.
func (e *env) commentOn(t *testing.T, who, requestID, body string, internal bool) string {
	t.Helper()
	in := map[string]any{"requestId": requestID, "body": body}
	if internal {
		in["internal"] = true
	}
	var got struct {
		CommentOnRequest struct {
			Comment struct {
				ID string `json:"id"`
			} `json:"comment"`
		} `json:"commentOnRequest"`
	}
	e.as(t, who, commentDoc, vars{"in": in}).decode(t, &got)
	return got.CommentOnRequest.Comment.ID
}

// updateRequest triages a request as who and returns its status.
func (e *env) updateRequest(t *testing.T, who string, in map[string]any) string {
	t.Helper()
	var got struct {
		UpdateRequest struct {
			Request struct {
				Status string `json:"status"`
			} `json:"request"`
		} `json:"updateRequest"`
	}
	e.as(t, who, updateRequestDoc, vars{"in": in}).decode(t, &got)
	return got.UpdateRequest.Request.Status
}

// attach adds a file to a request directly in the files table, as uploads
// with a requestId will.
func (e *env) attach(t *testing.T, workspaceID, clientID, requestID, name, visibility string) string {
	t.Helper()
	id := portal.NewID(portal.PrefixFile, time.Now())
	e.exec(t, `INSERT INTO files (workspace_id, id, client_id, request_id, series_id, version, name, content_type, size, sha256, blob_key, visibility, created_at)
		VALUES (?, ?, ?, ?, ?, 1, ?, 'application/pdf', 3, 'abc', ?, ?, ?)`,
		workspaceID, id, clientID, requestID, id, name, "blobs/"+id, visibility, time.Now().UTC())
	return id
}

// sortedOutbox is the waiting mail sorted by kind, recipient and subject:
// mail of requests sent within a millisecond of each other has no order.
func (e *env) sortedOutbox(t *testing.T) []outboxMessage {
	t.Helper()
	out := e.outbox(t)
	slices.SortFunc(out, func(a, b outboxMessage) int {
		return cmp.Or(cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.Recipient, b.Recipient), cmp.Compare(a.Subject, b.Subject))
	})
	return out
}

// requestState is a request as requestDoc reads it.
type requestState struct {
	ID             string `json:"id"`
	Title          string `json:"title"`
	Status         string `json:"status"`
	LastActivityAt string `json:"lastActivityAt"`
}

// request reads a request as who, through requestDoc, and the answer.
func (e *env) request(t *testing.T, who, id string) (requestState, *response) {
	t.Helper()
	r := e.as(t, who, requestDoc, vars{"id": id})
	var got struct {
		Request requestState `json:"request"`
	}
	r.decode(t, &got)
	return got.Request, r
}

func instant(t *testing.T, s string) time.Time {
	t.Helper()
	at, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatalf("not a time: %q", s)
	}
	return at
}

// The whole life of a request: a contact opens it, staff triage it, talk
// among themselves and reply, the contact answers, staff finish it and
// the contact's follow-up reopens it. Each side sees its own view, and the
// mail and the client's activity follow.
func TestRequestFlow(t *testing.T) {
	t.Parallel()
	run(t, func(t *testing.T, e *env) {
		f := e.f
		var opened struct {
			OpenRequest struct {
				Request map[string]any `json:"request"`
			} `json:"openRequest"`
		}
		e.as(t, "aActive", `mutation($in: OpenRequestInput!) { openRequest(input: $in) { request {
			id title body status createdAt lastActivityAt client { name } project { name } openedBy { name }
			comments { totalCount edges { node { id } } } attachments { id } } } }`, vars{"in": map[string]any{
			"title": " New banner ", "body": "For the spring sale, 1200x300.", "projectId": f.AShared.ID,
		}}).decode(t, &opened)
		req := opened.OpenRequest.Request
		id, _ := req["id"].(string)
		if req["createdAt"] != req["lastActivityAt"] {
			t.Errorf("opened at %v, last activity %v: want the same", req["createdAt"], req["lastActivityAt"])
		}
		timestamp(t, "request", req, "createdAt")
		timestamp(t, "request", req, "lastActivityAt")
		equal(t, "opened request", req, map[string]any{
			"id": id, "title": "New banner", "body": "For the spring sale, 1200x300.", "status": "OPEN",
			"createdAt": "<time>", "lastActivityAt": "<time>", "client": map[string]string{"name": "Acme"},
			"project": map[string]string{"name": "Acme shared"}, "openedBy": map[string]string{"name": "Ann Active"},
			"comments": map[string]any{"totalCount": 0, "edges": []any{}}, "attachments": []any{},
		})
		equal(t, "mail after opening", e.sortedOutbox(t), []outboxMessage{
			{"REQUEST_OPENED", "manager@w1.example", "New request from Acme: New banner"},
		})

		// Staff find it in the triage queue and give it to Mia.
		const queue = `query($f: ClientRequestFilter) { requests(filter: $f) { totalCount edges { node {
			id title status assignee { name } openedBy { name } client { name } } } } }`
		var q struct {
			Requests conn[map[string]any] `json:"requests"`
		}
		e.as(t, "member", queue, vars{"f": map[string]any{"status": []string{"OPEN"}}}).decode(t, &q)
		equal(t, "open requests", q.Requests.nodes(), []map[string]any{{
			"id": id, "title": "New banner", "status": "OPEN", "assignee": nil,
			"openedBy": map[string]string{"name": "Ann Active"}, "client": map[string]string{"name": "Acme"},
		}})
		var updated struct {
			UpdateRequest struct {
				Request map[string]any `json:"request"`
			} `json:"updateRequest"`
		}
		e.as(t, "manager", updateRequestDoc, vars{"in": map[string]any{"id": id, "status": "IN_PROGRESS", "assigneeId": f.Member.ID}}).decode(t, &updated)
		equal(t, "triaged", updated.UpdateRequest.Request, map[string]any{"id": id, "status": "IN_PROGRESS", "assignee": map[string]string{"name": "Mia Member"}})
		e.as(t, "member", queue, vars{"f": map[string]any{"assigneeId": f.Member.ID}}).decode(t, &q)
		equal(t, "Mia's requests", []any{q.Requests.TotalCount, q.Requests.nodes()[0]["status"]}, []any{1, "IN_PROGRESS"})

		// An internal comment changes nothing the portal sees, to the byte:
		// not the comments, not their count, not the last activity.
		triaged, before := e.request(t, "aActive", id)
		internal := e.commentOn(t, "manager", id, "Check the budget first.", true)
		_, after := e.request(t, "aActive", id)
		if string(before.Raw) != string(after.Raw) {
			t.Errorf("the portal's view changed with an internal comment:\n%s\n%s", before.Raw, after.Raw)
		}

		// A reply reaches the portal.
		reply := e.commentOn(t, "member", id, "Here is a first draft.", false)
		var ann struct {
			Request struct {
				LastActivityAt string               `json:"lastActivityAt"`
				Comments       conn[map[string]any] `json:"comments"`
			} `json:"request"`
		}
		e.as(t, "aActive", requestDoc, vars{"id": id}).decode(t, &ann)
		equal(t, "Ann's comments", []any{ann.Request.Comments.TotalCount, ann.Request.Comments.nodes()}, []any{1, []map[string]any{{
			"id": reply, "body": "Here is a first draft.", "authorUser": map[string]string{"name": "Mia Member"}, "authorContact": nil,
		}}})
		if !instant(t, ann.Request.LastActivityAt).After(instant(t, triaged.LastActivityAt)) {
			t.Errorf("last activity %s after the reply, %s before it", ann.Request.LastActivityAt, triaged.LastActivityAt)
		}
		answer := e.commentOn(t, "aActive", id, "Love it, ship it.", false)

		// Staff read the whole conversation, oldest first.
		var staff struct {
			Request struct {
				Comments conn[map[string]any] `json:"comments"`
			} `json:"request"`
		}
		e.as(t, "viewer", `query($id: ID!) { request(id: $id) { comments { totalCount edges { node {
			id internal authorUser { name } authorContact { name } } } } } }`, vars{"id": id}).decode(t, &staff)
		equal(t, "staff's comments", []any{staff.Request.Comments.TotalCount, staff.Request.Comments.nodes()}, []any{3, []map[string]any{
			{"id": internal, "internal": true, "authorUser": map[string]string{"name": "Mark Manager"}, "authorContact": nil},
			{"id": reply, "internal": false, "authorUser": map[string]string{"name": "Mia Member"}, "authorContact": nil},
			{"id": answer, "internal": false, "authorUser": nil, "authorContact": map[string]string{"name": "Ann Active"}},
		}})

		// Done; Ann follows up, which reopens it.
		equal(t, "finished", e.updateRequest(t, "member", map[string]any{"id": id, "status": "DONE"}), "DONE")
		e.commentOn(t, "aActive", id, "One more size, please: 600x300.", false)
		got, _ := e.request(t, "aActive", id)
		equal(t, "status after the follow-up", got.Status, "OPEN")

		equal(t, "mail", e.sortedOutbox(t), []outboxMessage{
			{"REQUEST_COMMENTED", "member@w1.example", "New comment from Acme: New banner"},
			{"REQUEST_COMMENTED", "member@w1.example", "New comment from Acme: New banner"},
			{"REQUEST_OPENED", "manager@w1.example", "New request from Acme: New banner"},
			{"REQUEST_REPLIED", "ann@acme.example", "New reply to your request: New banner"},
			{"REQUEST_STATUS_CHANGED", "ann@acme.example", "Your request is done: New banner"},
			{"REQUEST_STATUS_CHANGED", "ann@acme.example", "Your request is in progress: New banner"},
		})
		followUp := e.mailTo(t, "member@w1.example")
		if body := followUp[len(followUp)-1].Body; !strings.Contains(body, "The request was done; the comment reopened it.") {
			t.Errorf("follow-up mail:\n%s", body)
		}

		// The client's activity tells who did what, in the client's name.
		var story []string
		for _, ev := range e.activity(t, f.A.ID, map[string]any{"recordTypes": []string{"REQUEST"}}) {
			who := ""
			if ev.ActorUser != nil {
				who = ev.ActorUser.Name
			}
			if ev.ActorContact != nil {
				who = ev.ActorContact.Name
			}
			if ev.RecordID != id || ev.Client == nil || ev.Client.ID != f.A.ID {
				t.Errorf("event %+v", ev)
			}
			story = append(story, ev.Action+" by "+who+": "+ev.Summary)
		}
		slices.Sort(story) // one change may write two events in the same millisecond
		equal(t, "the request's activity", story, []string{
			"COMMENTED by Ann Active: Commented on request New banner",
			"COMMENTED by Ann Active: Commented on request New banner",
			"COMMENTED by Mark Manager: Added an internal comment to request New banner",
			"COMMENTED by Mia Member: Commented on request New banner",
			"REQUEST_OPENED by Ann Active: Opened request New banner",
			"UPDATED by Ann Active: Reopened request New banner by commenting",
			"UPDATED by Mark Manager: Updated request New banner",
			"UPDATED by Mia Member: Updated request New banner",
		})
	})
}

// A VIEWER triages and comments on nothing, and a preview of the portal
// opens and comments on nothing: FORBIDDEN at the mutation, before the
// input's rules, with valid and invalid input alike, writing nothing. The
// mutations of the other audience do not exist.
func TestRequestPermissions(t *testing.T) {
	t.Parallel()
	run(t, func(t *testing.T, e *env) {
		f := e.f
		id := e.openRequest(t, "aActive", "Mine", "")
		var preview struct {
			PreviewPortal struct {
				Token string `json:"token"`
			} `json:"previewPortal"`
		}
		e.as(t, "owner", previewDoc, vars{"id": f.AActive.ID}).decode(t, &preview)
		e.flush(t)
		before := e.tableState(t)

		refused := func(what string, r *response, field, message string) {
			t.Helper()
			got := r.onlyErrorAt(t, field, "FORBIDDEN")
			equal(t, what+" message", got.Message, message)
			if len(got.Extensions.Fields) != 0 || !r.dataIsNull() {
				t.Errorf("%s: %s", what, r.Raw)
			}
		}
		const noPermission = "the REQUESTS_UPDATE permission is required"
		const noComment = "the COMMENTS_CREATE permission is required"
		const readOnly = "a preview of the portal is read-only"
		for _, in := range []map[string]any{{"id": id, "status": "DONE"}, {"id": id, "assigneeId": f.Owner2.ID}} {
			refused("viewer's update", e.as(t, "viewer", updateRequestDoc, vars{"in": in}), "updateRequest", noPermission)
		}
		for _, body := range []string{"Hello", " "} {
			refused("viewer's comment", e.as(t, "viewer", commentDoc, vars{"in": map[string]any{"requestId": id, "body": body}}), "commentOnRequest", noComment)
			refused("preview's comment", e.post(t, preview.PreviewPortal.Token, commentDoc, vars{"in": map[string]any{"requestId": id, "body": body}}),
				"commentOnRequest", readOnly)
		}
		for _, title := range []string{"Another", ""} {
			refused("preview's request", e.post(t, preview.PreviewPortal.Token, openRequestDoc, vars{"in": map[string]any{"title": title, "body": "x"}}),
				"openRequest", readOnly)
		}

		// Each audience is served only its own request mutations.
		for _, c := range []struct{ who, query, message string }{
			{"owner", `mutation { openRequest(input: {title: "Staff", body: "x"}) { request { id } } }`, `Cannot query field "openRequest" on type "Mutation".`},
			{"aActive", `mutation($id: ID!) { updateRequest(input: {id: $id, status: DONE}) { request { id } } }`, `Cannot query field "updateRequest" on type "Mutation".`},
			{"aActive", `mutation($id: ID!) { commentOnRequest(input: {requestId: $id, body: "psst", internal: true}) { comment { id } } }`,
				`Field "internal" is not defined by type "CommentOnRequestInput".`},
		} {
			v := vars{}
			if strings.Contains(c.query, "$id") {
				v["id"] = id
			}
			r := e.as(t, c.who, c.query, v)
			got := r.only(t)
			equal(t, c.who+" error", []string{got.Message, got.Extensions.Code}, []string{c.message, "GRAPHQL_VALIDATION_FAILED"})
			if r.Status != http.StatusUnprocessableEntity || !r.dataIsNull() {
				t.Errorf("%s: HTTP %d, data %s", c.who, r.Status, r.Data)
			}
		}
		equal(t, "tables after the refusals", e.tableState(t), before)

		// A MEMBER triages and comments.
		equal(t, "member's update", e.updateRequest(t, "member", map[string]any{"id": id, "status": "IN_PROGRESS", "assigneeId": f.Member.ID}), "IN_PROGRESS")
		if e.commentOn(t, "member", id, "On it.", false) == "" {
			t.Error("the member's comment has no ID")
		}
	})
}

// Bad input names its fields and writes nothing: blank text, a project the
// contact cannot see, an assignee from another workspace — even beside a
// valid status.
func TestRequestBadInput(t *testing.T) {
	t.Parallel()
	run(t, func(t *testing.T, e *env) {
		f := e.f
		id := e.openRequest(t, "aActive", "Mine", "")
		before := e.tableState(t)
		bad := func(what, who, query string, in map[string]any, field string, want ...string) gqlError {
			t.Helper()
			r := e.as(t, who, query, vars{"in": in})
			got := r.onlyErrorAt(t, field, "BAD_USER_INPUT")
			equal(t, what, got.fields(), want)
			return got
		}
		bad("blank request", "aActive", openRequestDoc, map[string]any{"title": " ", "body": ""}, "openRequest",
			"input.body: is required", "input.title: must not be blank")
		bad("long title", "aActive", openRequestDoc, map[string]any{"title": strings.Repeat("x", 201), "body": "x"}, "openRequest",
			"input.title: must be at most 200 characters long")
		// A project the contact cannot see reads like one that does not exist.
		missing := portal.NewID(portal.PrefixProject, time.Now())
		for _, project := range []string{f.BShared.ID, f.AInternal.ID, f.XShared.ID, missing} {
			bad("project "+project, "aActive", openRequestDoc, map[string]any{"title": "About", "body": "x", "projectId": project}, "openRequest",
				fmt.Sprintf("input.projectId: no record with id %q", project))
		}
		bad("an assignee of another workspace", "manager", updateRequestDoc, map[string]any{"id": id, "status": "DONE", "assigneeId": f.Owner2.ID},
			"updateRequest", fmt.Sprintf("input.assigneeId: no record with id %q", f.Owner2.ID))
		bad("a contact as assignee", "manager", updateRequestDoc, map[string]any{"id": id, "assigneeId": f.AActive.ID},
			"updateRequest", fmt.Sprintf("input.assigneeId: no record with id %q", f.AActive.ID))
		bad("blank comment", "manager", commentDoc, map[string]any{"requestId": id, "body": "  "}, "commentOnRequest", "input.body: must not be blank")
		bad("blank comment", "aActive", commentDoc, map[string]any{"requestId": id, "body": "\n"}, "commentOnRequest", "input.body: must not be blank")
		e.as(t, "owner2", updateRequestDoc, vars{"in": map[string]any{"id": id, "status": "DONE"}}).onlyErrorAt(t, "updateRequest", "NOT_FOUND")
		equal(t, "tables", e.tableState(t), before)
		got, _ := e.request(t, "aActive", id)
		equal(t, "status", got.Status, "OPEN")
	})
}

// What each principal sees of requests, their comments and attachments,
// through every path: lists, counts, lookups, node, nested connections and
// errors. A hidden record is NOT_FOUND exactly like a missing one, and no
// answer to the portal holds a trace of an internal comment or file.
func TestRequestsScopedPerAudience(t *testing.T) {
	t.Parallel()
	run(t, func(t *testing.T, e *env) {
		f := e.f
		ra := e.openRequest(t, "aActive", "Acme's request", f.AShared.ID)
		internal := e.commentOn(t, "owner", ra, "Acme is slow to pay.", true)
		reply := e.commentOn(t, "manager", ra, "On it.", false)
		sharedFile := e.attach(t, f.W1.ID, f.A.ID, ra, "brief.pdf", "SHARED")
		internalFile := e.attach(t, f.W1.ID, f.A.ID, ra, "margin.xlsx", "INTERNAL")
		rb := e.openRequest(t, "bActive", "Bolt's request", "")
		rbFile := e.attach(t, f.W1.ID, f.B.ID, rb, "bolt.pdf", "SHARED")
		rx := e.openRequest(t, "xActive", "Xeno's request", "")
		var preview struct {
			PreviewPortal struct {
				Token string `json:"token"`
			} `json:"previewPortal"`
		}
		e.as(t, "owner", previewDoc, vars{"id": f.AActive.ID}).decode(t, &preview)
		e.f.Tokens["annPreview"] = preview.PreviewPortal.Token

		const portalLists = `{ requests { totalCount edges { node { id } } }
			viewer { client { requests { totalCount edges { node { id comments { totalCount } attachments { id name } } } } } } }`
		type portalView struct {
			Requests conn[idName] `json:"requests"`
			Viewer   struct {
				Client struct {
					Requests conn[struct {
						ID       string `json:"id"`
						Comments struct {
							TotalCount int `json:"totalCount"`
						} `json:"comments"`
						Attachments []idName `json:"attachments"`
					}] `json:"requests"`
				} `json:"client"`
			} `json:"viewer"`
		}
		// leaks lists the traces of internal records in an answer.
		leaks := func(r *response) []string {
			var out []string
			for _, trace := range []string{internal, "slow to pay", internalFile, "margin"} {
				if strings.Contains(string(r.Raw), trace) {
					out = append(out, trace)
				}
			}
			return out
		}
		for _, c := range []struct {
			who      string
			requests []string
			hidden   []string // requests, comments and files they must not find
		}{
			{"aActive", []string{ra}, []string{rb, rx, internal, internalFile, rbFile}},
			{"annPreview", []string{ra}, []string{rb, rx, internal, internalFile, rbFile}},
			{"bActive", []string{rb}, []string{ra, rx, internal, reply, sharedFile}},
			{"xActive", []string{rx}, []string{ra, rb, internal, reply, sharedFile, rbFile}},
		} {
			r := e.as(t, c.who, portalLists, nil)
			var v portalView
			r.decode(t, &v)
			equal(t, c.who+" requests", []any{v.Requests.TotalCount, sorted(ids(v.Requests.nodes()))}, []any{len(c.requests), sorted(c.requests)})
			var own []string
			for _, n := range v.Viewer.Client.Requests.nodes() {
				own = append(own, n.ID)
				if n.ID == ra {
					equal(t, c.who+" sees of Acme's request", []any{n.Comments.TotalCount, n.Attachments}, []any{1, []idName{{sharedFile, "brief.pdf"}}})
				}
			}
			equal(t, c.who+" client's requests", []any{v.Viewer.Client.Requests.TotalCount, sorted(own)}, []any{len(c.requests), sorted(c.requests)})
			if l := leaks(r); len(l) > 0 {
				t.Errorf("%s: the lists hold %v", c.who, l)
			}
			for _, id := range c.requests {
				_, r := e.request(t, c.who, id)
				if l := leaks(r); len(l) > 0 {
					t.Errorf("%s: request %s holds %v", c.who, id, l)
				}
				assertFound(t, e, c.who, "node", id)
			}
			for _, id := range c.hidden {
				prefix := portal.IDPrefix(id)
				assertNotFound(t, e, c.who, lookup{"node", prefix}, id)
				if prefix == portal.PrefixRequest {
					assertNotFound(t, e, c.who, lookup{"request", prefix}, id)
				}
			}
		}
		assertFound(t, e, "aActive", "node", reply)
		assertFound(t, e, "aActive", "node", sharedFile)

		// Commenting on a request another client's contact cannot see is
		// NOT_FOUND, answered exactly as for one that does not exist.
		missing := portal.NewID(portal.PrefixRequest, time.Now())
		hidden := e.as(t, "bActive", commentDoc, vars{"in": map[string]any{"requestId": ra, "body": "Mine now"}})
		absent := e.as(t, "bActive", commentDoc, vars{"in": map[string]any{"requestId": missing, "body": "Mine now"}})
		hidden.onlyErrorAt(t, "commentOnRequest", "NOT_FOUND")
		if a, b := strings.ReplaceAll(string(hidden.Raw), ra, "ID"), strings.ReplaceAll(string(absent.Raw), missing, "ID"); a != b {
			t.Errorf("commenting on a hidden and on a missing request differ:\n%s\n%s", a, b)
		}
		e.as(t, "xActive", commentDoc, vars{"in": map[string]any{"requestId": ra, "body": "Mine now"}}).onlyErrorAt(t, "commentOnRequest", "NOT_FOUND")

		// Internal fields do not exist for a contact.
		for _, c := range []struct{ query, message string }{
			{`query($id: ID!) { request(id: $id) { assignee { name } } }`, `Cannot query field "assignee" on type "ClientRequest".`},
			{`query($id: ID!) { request(id: $id) { comments { edges { node { internal } } } } }`, `Cannot query field "internal" on type "RequestComment".`},
			{`query($id: ID!) { requests(filter: {assigneeId: $id}) { totalCount } }`, `Field "assigneeId" is not defined by type "ClientRequestFilter".`},
		} {
			equal(t, "portal error", e.as(t, "aActive", c.query, vars{"id": ra}).only(t).Message, c.message)
		}

		// Staff see their workspace's requests, every comment and file, and
		// the other workspace's staff none of them.
		var staff struct {
			Requests conn[idName] `json:"requests"`
			Request  struct {
				Comments    conn[idName] `json:"comments"`
				Attachments []idName     `json:"attachments"`
			} `json:"request"`
			Client struct {
				Requests conn[idName] `json:"requests"`
			} `json:"client"`
		}
		const staffView = `query($id: ID!, $client: ID!) { requests { totalCount edges { node { id } } }
			request(id: $id) { comments { totalCount edges { node { id } } } attachments { id name } }
			client(id: $client) { requests { totalCount edges { node { id } } } } }`
		for _, who := range []string{"viewer", "member"} {
			e.as(t, who, staffView, vars{"id": ra, "client": f.A.ID}).decode(t, &staff)
			equal(t, who+" requests", []any{staff.Requests.TotalCount, sorted(ids(staff.Requests.nodes()))}, []any{2, sorted([]string{ra, rb})})
			equal(t, who+" comments", []any{staff.Request.Comments.TotalCount, ids(staff.Request.Comments.nodes())}, []any{2, []string{internal, reply}})
			equal(t, who+" attachments", sorted(ids(staff.Request.Attachments)), sorted([]string{sharedFile, internalFile}))
			equal(t, who+" Acme's requests", ids(staff.Client.Requests.nodes()), []string{ra})
		}
		var other struct {
			Requests conn[idName] `json:"requests"`
		}
		e.as(t, "owner2", `{ requests { totalCount edges { node { id } } } }`, nil).decode(t, &other)
		equal(t, "other workspace's requests", ids(other.Requests.nodes()), []string{rx})
		for _, id := range []string{ra, internal, reply} {
			assertNotFound(t, e, "owner2", lookup{"node", portal.IDPrefix(id)}, id)
		}
		assertNotFound(t, e, "owner2", lookup{"request", portal.PrefixRequest}, ra)

		// Suspended, or without portal: not let in at all.
		assertRefused(t, e.as(t, "aSuspended", portalLists, nil), http.StatusUnauthorized, "UNAUTHENTICATED", notActive)
		assertRefused(t, e.as(t, "cActive", portalLists, nil), http.StatusUnauthorized, "UNAUTHENTICATED", notActive)

		// With the requests section hidden, the requests are gone for the
		// contact and the preview, everywhere, and none can be opened.
		e.exec(t, `UPDATE clients SET portal_requests = FALSE WHERE id = ?`, f.A.ID)
		for _, who := range []string{"aActive", "annPreview"} {
			var v portalView
			e.as(t, who, portalLists, nil).decode(t, &v)
			equal(t, who+" with requests hidden", []int{v.Requests.TotalCount, v.Viewer.Client.Requests.TotalCount}, []int{0, 0})
			for _, id := range []string{ra, reply} {
				assertNotFound(t, e, who, lookup{"node", portal.IDPrefix(id)}, id)
			}
			assertNotFound(t, e, who, lookup{"request", portal.PrefixRequest}, ra)
		}
		before := e.tableState(t)
		r := e.as(t, "aActive", openRequestDoc, vars{"in": map[string]any{"title": "Hidden", "body": "x"}})
		equal(t, "opening with requests hidden", r.onlyErrorAt(t, "openRequest", "FORBIDDEN").Message, "this portal does not take requests")
		e.as(t, "aActive", commentDoc, vars{"in": map[string]any{"requestId": ra, "body": "Hello?"}}).onlyErrorAt(t, "commentOnRequest", "NOT_FOUND")
		equal(t, "tables", e.tableState(t), before)
	})
}

// A page of requests, each with its comments, their authors and its
// attachments, costs the same number of statements with 2 requests per
// client as with 30: one per field that reads, whatever the rows.
func TestRequestListsCostConstantStatements(t *testing.T) {
	t.Parallel()
	queries := []struct {
		name, who, query string
		statements       int64
	}{
		{
			name: "staff triage queue", who: "staff", statements: 10,
			// token, requests with their total, clients, projects, assignees, openers,
			// comments, comment authors (users, contacts), attachments
			query: `{ requests(first: 100) { totalCount edges { node { title status lastActivityAt client { name } project { name }
				assignee { name } openedBy { name } comments(first: 10) { totalCount edges { node { body internal
				authorUser { name } authorContact { name } } } } attachments { name } } } } }`,
		},
		{
			name: "portal requests", who: "portal", statements: 9,
			// token, client, requests, projects, openers, comments, comment authors (users, contacts), attachments
			query: `{ viewer { client { requests(first: 100) { totalCount edges { node { title status project { name } openedBy { name }
				comments(first: 10) { totalCount edges { node { body authorUser { name } authorContact { name } } } }
				attachments { name } } } } } } }`,
		},
	}
	for _, dialect := range sqltest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			count := func(n int) map[string]int64 {
				return ownDatabase(t, fmt.Sprintf("%d requests per client", n), func(t *testing.T) map[string]int64 {
					return countRequestStatements(t, dialect, n, queries)
				})
			}
			small, large := count(2), count(30)
			for _, q := range queries {
				if small[q.name] != q.statements || large[q.name] != q.statements {
					t.Errorf("%s: %d statements with 2 requests per client, %d with 30; want %d for both",
						q.name, small[q.name], large[q.name], q.statements)
				}
			}
		})
	}
}

// countRequestStatements loads three clients with n requests each (every
// one with comments by both sides, one internal, and two files) and
// returns the statements each query costs.
func countRequestStatements(t *testing.T, dialect string, n int, queries []struct {
	name, who, query string
	statements       int64
}) map[string]int64 {
	t.Helper()
	counter := &sqlstore.StatementCounter{}
	store := sqltest.Open(t, dialect, sqlstore.WithStatementCounter(counter))
	b := dataset.New(time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), uint64(n))
	ws := b.Workspace("Requests", "requests")
	owner := b.User(ws, "Owner", "owner@requests.example", portal.BuiltInRoleOwner)
	member := b.User(ws, "Member", "member@requests.example", portal.BuiltInRoleMember)
	var contact *portal.Contact
	for ci := range 3 {
		c := b.Client(ws, fmt.Sprintf("Client %d", ci), owner, portal.ClientStatusActive)
		c.PortalEnabled = true
		a := b.Contact(c, "A", fmt.Sprintf("a%d@requests.example", ci), "", portal.PortalStatusActive)
		if contact == nil {
			contact = a
		}
		p := b.Project(c, "Project", portal.ProjectStatusActive, portal.VisibilityShared)
		for ri := range n {
			r := b.Request(a, p, fmt.Sprintf("Request %d", ri), "Please.", portal.ClientRequestStatusOpen)
			b.Assign(r, member)
			b.Comment(r, nil, a, "Any news?", false)
			b.Comment(r, member, nil, "Soon.", false)
			b.Comment(r, owner, nil, "Internal.", true)
		}
	}
	tokens := map[string]string{}
	for who, holder := range map[string]*portal.AccessToken{
		"staff":  {Kind: portal.TokenAPI, WorkspaceID: ws.ID, UserID: &owner.ID},
		"portal": {Kind: portal.TokenAPI, WorkspaceID: ws.ID, ContactID: &contact.ID},
	} {
		token, hash := auth.NewToken()
		holder.Hash, holder.ID, holder.CreatedAt = hash, portal.NewID(portal.PrefixToken, time.Now()), time.Now().UTC()
		b.Data.Tokens = append(b.Data.Tokens, holder)
		tokens[who] = token
	}
	if err := store.Load(t.Context(), &b.Data); err != nil {
		t.Fatal(err)
	}
	e := &env{store: store}
	for _, r := range b.Data.Requests {
		for _, v := range []string{"SHARED", "INTERNAL"} {
			e.attach(t, r.WorkspaceID, r.ClientID, r.ID, "file-"+v, v)
		}
	}
	h, err := graph.NewHandler(graph.Config{Store: store, Authenticate: auth.New(store).Authenticate, BatchWait: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	e.srv = httptest.NewServer(h.Mux())
	defer e.srv.Close()
	out := map[string]int64{}
	for _, q := range queries {
		for range 2 { // the second run must cost the same: nothing is cached across requests
			before := counter.Count()
			var got map[string]any
			e.post(t, tokens[q.who], q.query, nil).decode(t, &got)
			out[q.name] = counter.Count() - before
		}
	}
	if batches, early := h.BatchStats().Counts(); early > 0 {
		t.Errorf("%d of %d batches were sent before every object expected to ask had asked", early, batches)
	}
	return out
}
