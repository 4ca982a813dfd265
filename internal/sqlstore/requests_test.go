package sqlstore_test

import (
	"cmp"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"portalgraph/internal/dataset"
	"portalgraph/internal/portal"
	"portalgraph/internal/sqlstore"
	"portalgraph/internal/sqlstore/sqltest"
)

// Client requests: opening, triage, comments, who may do what, what each
// audience sees of them, their last activity, and the mail they send.

// requestWorld is the fixture plus requests of every kind: two of client
// A's (one in progress, assigned, with a staff-only comment and an
// internal attachment; one done), one of B's, one of the other
// workspace's.
type requestWorld struct {
	*sqltest.Fixture
	lab                            labels
	RA, RADone, RB, RX             *portal.ClientRequest
	CAByAnn, CAByStaff, CAInternal *portal.RequestComment
	CB, CX                         *portal.RequestComment
	// Files: on requests, and one on A's shared project.
	FAShared, FAInternal, FB, FX, FP string
}

func loadRequestWorld(t *testing.T, s *sqlstore.Store) *requestWorld {
	t.Helper()
	f := sqltest.LoadFixture(t, s)
	w := &requestWorld{Fixture: f, lab: labelsOf(f)}
	b := dataset.New(time.Date(2026, 2, 1, 9, 0, 0, 0, time.UTC), 31)
	w.RA = b.Request(f.AActive, f.AShared, "New banner", "Please make a banner.", portal.ClientRequestStatusInProgress)
	b.Assign(w.RA, f.Member)
	w.RADone = b.Request(f.AActive, nil, "Invoice copy", "Send the invoice again.", portal.ClientRequestStatusDone)
	w.RB = b.Request(f.BActive, f.BShared, "Bolt's request", "Something for Bolt.", portal.ClientRequestStatusOpen)
	w.RX = b.Request(f.XActive, nil, "Xeno's request", "Something for Xeno.", portal.ClientRequestStatusOpen)
	w.CAByAnn = b.Comment(w.RA, nil, f.AActive, "Any news?", false)
	w.CAByStaff = b.Comment(w.RA, f.Member, nil, "Working on it.", false)
	// By the owner, whom Acme's contacts do not see: their only link to
	// Acme is this comment, which is internal.
	w.CAInternal = b.Comment(w.RA, f.Owner, nil, "They never pay on time.", true)
	w.CB = b.Comment(w.RB, f.Owner, nil, "For Bolt.", false)
	w.CX = b.Comment(w.RX, f.Owner2, nil, "For Xeno.", false)
	noErr(t, s.Load(t.Context(), &b.Data))
	for name, id := range map[string]string{
		"RA": w.RA.ID, "RADone": w.RADone.ID, "RB": w.RB.ID, "RX": w.RX.ID, "CAByAnn": w.CAByAnn.ID, "CAByStaff": w.CAByStaff.ID,
		"CAInternal": w.CAInternal.ID, "CB": w.CB.ID, "CX": w.CX.ID,
	} {
		w.lab[id] = name
	}
	w.FAShared = attach(t, s, w.RA, "brief.pdf", portal.VisibilityShared)
	w.FAInternal = attach(t, s, w.RA, "margin.xlsx", portal.VisibilityInternal)
	w.FB = attach(t, s, w.RB, "bolt.pdf", portal.VisibilityShared)
	w.FX = attach(t, s, w.RX, "xeno.pdf", portal.VisibilityShared)
	w.FP = insertFile(t, s, f.AShared.WorkspaceID, f.AShared.ClientID, "project_id", f.AShared.ID, "project.pdf", portal.VisibilityShared)
	for name, id := range map[string]string{"FAShared": w.FAShared, "FAInternal": w.FAInternal, "FB": w.FB, "FX": w.FX, "FP": w.FP} {
		w.lab[id] = name
	}
	return w
}

// withRequests runs fn on both dialects with the request world loaded.
func withRequests(t *testing.T, fn func(t *testing.T, s *sqlstore.Store, w *requestWorld)) {
	t.Helper()
	t.Parallel()
	sqltest.Run(t, func(t *testing.T, s *sqlstore.Store) { fn(t, s, loadRequestWorld(t, s)) })
}

// attach adds a file to a request the way uploads will: a row in files
// with the request's ID.
func attach(t *testing.T, s *sqlstore.Store, r *portal.ClientRequest, name string, v portal.Visibility) string {
	t.Helper()
	return insertFile(t, s, r.WorkspaceID, r.ClientID, "request_id", r.ID, name, v)
}

func insertFile(t *testing.T, s *sqlstore.Store, workspaceID, clientID, parentColumn, parentID, name string, v portal.Visibility) string {
	t.Helper()
	id := portal.NewID(portal.PrefixFile, time.Now())
	exec(t, s, `INSERT INTO files (workspace_id, id, client_id, `+parentColumn+`, series_id, version, name, content_type, size, sha256, blob_key, visibility, created_at)
		VALUES (?, ?, ?, ?, ?, 1, ?, 'application/pdf', 3, 'abc', ?, ?, ?)`,
		workspaceID, id, clientID, parentID, id, name, "blobs/"+id, string(v), time.Now().UTC())
	return id
}

// requestEvent is an activity event about a request as the tests compare
// it; Actor is byUser or byContact of who acted.
type requestEvent struct {
	Action   portal.ActivityAction
	RecordID string
	ClientID string
	Actor    string
	Changed  string
}

// requestEventsSince returns the events written since before (the IDs of
// activity_events then), read through the store, sorted by action: events
// of one transaction may share a millisecond, so their IDs do not order
// them.
func requestEventsSince(t *testing.T, s *sqlstore.Store, f *sqltest.Fixture, before []string) []requestEvent {
	t.Helper()
	var ids []string
	for _, id := range allIDs(t, s, "activity_events") {
		if !slices.Contains(before, id) {
			ids = append(ids, id)
		}
	}
	evs, err := s.ActivityByID(t.Context(), sqltest.Staff(f.Owner), ids)
	noErr(t, err)
	if len(evs) != len(ids) {
		t.Fatalf("%d new events, %d readable by ID", len(ids), len(evs))
	}
	out := []requestEvent{}
	for _, e := range evs {
		if (e.ActorUserID == nil) == (e.ActorContactID == nil) || e.ClientID == nil || e.RecordType != portal.RecordTypeRequest || e.Summary == "" {
			t.Fatalf("event %+v: want one actor, a client, a summary and a request as the record", e)
		}
		actor := "user " + deref(e.ActorUserID)
		if e.ActorContactID != nil {
			actor = "contact " + *e.ActorContactID
		}
		out = append(out, requestEvent{e.Action, e.RecordID, *e.ClientID, actor, strings.Join(e.Changed, ",")})
	}
	slices.SortFunc(out, func(a, b requestEvent) int { return cmp.Compare(a.Action, b.Action) })
	return out
}

func wantRequestEvents(t *testing.T, s *sqlstore.Store, f *sqltest.Fixture, before []string, want ...requestEvent) {
	t.Helper()
	if want == nil {
		want = []requestEvent{}
	}
	if got := requestEventsSince(t, s, f, before); !reflect.DeepEqual(got, want) {
		t.Errorf("events written\n %+v\nwant\n %+v", got, want)
	}
}

// sentMail is an outbox message, in full.
type sentMail struct{ Kind, Recipient, Subject, Body string }

// outboxSince returns the messages queued since before (the outbox's IDs
// then), sorted by kind, recipient and subject.
func outboxSince(t *testing.T, s *sqlstore.Store, before []string) []sentMail {
	t.Helper()
	var rows []struct {
		ID        string `db:"id"`
		Kind      string `db:"kind"`
		Recipient string `db:"recipient"`
		Subject   string `db:"subject"`
		Body      string `db:"body"`
	}
	noErr(t, s.DB().SelectContext(t.Context(), &rows, "SELECT id, kind, recipient, subject, body FROM outbox"))
	out := []sentMail{}
	for _, r := range rows {
		if !slices.Contains(before, r.ID) {
			out = append(out, sentMail{r.Kind, r.Recipient, r.Subject, r.Body})
		}
	}
	slices.SortFunc(out, func(a, b sentMail) int {
		return cmp.Or(cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.Recipient, b.Recipient), cmp.Compare(a.Subject, b.Subject))
	})
	return out
}

// wantMail checks the mail queued since before, by kind, recipient and
// subject; bodies are checked where a test cares.
func wantMail(t *testing.T, s *sqlstore.Store, before []string, want ...[3]string) []sentMail {
	t.Helper()
	got := outboxSince(t, s, before)
	short := [][3]string{}
	for _, m := range got {
		short = append(short, [3]string{m.Kind, m.Recipient, m.Subject})
	}
	if want == nil {
		want = [][3]string{}
	}
	if !reflect.DeepEqual(short, want) {
		t.Errorf("mail queued\n %q\nwant\n %q", short, want)
	}
	return got
}

// since is what a test compares activity and mail against: their IDs now.
type since struct{ events, mail []string }

func now(t *testing.T, s *sqlstore.Store) since {
	t.Helper()
	return since{allIDs(t, s, "activity_events"), allIDs(t, s, "outbox")}
}

func preview(c *portal.Contact, by *portal.User) portal.Principal {
	p := sqltest.Portal(c)
	p.Preview, p.PreviewBy = true, by.ID
	return p
}

func TestOpenRequest(t *testing.T) {
	withFixture(t, func(t *testing.T, s *sqlstore.Store, f *sqltest.Fixture) {
		before := now(t, s)
		r, err := s.OpenRequest(t.Context(), sqltest.Portal(f.AActive), portal.OpenRequestInput{
			Title: "  New banner ", Body: " The spring banner, please.\n", ProjectID: &f.AShared.ID,
		})
		noErr(t, err)
		got := []any{r.WorkspaceID, r.ClientID, deref(r.ProjectID), r.Title, r.Body, r.Status, r.AssigneeID, deref(r.OpenedByID)}
		want := []any{f.W1.ID, f.A.ID, f.AShared.ID, "New banner", "The spring banner, please.", portal.ClientRequestStatusOpen, (*string)(nil), f.AActive.ID}
		if !reflect.DeepEqual(got, want) || !portal.HasPrefix(r.ID, portal.PrefixRequest) || !r.LastActivityAt.Equal(r.CreatedAt) {
			t.Errorf("request %s %+v\n %v\nwant\n %v", r.ID, r, got, want)
		}
		stored(t, r, reread(t, f, r.ID, s.RequestsByID))
		wantRequestEvents(t, s, f, before.events, requestEvent{portal.ActivityActionRequestOpened, r.ID, f.A.ID, byContact(f.AActive), ""})
		// Acme's owner, the manager, hears of it.
		mail := wantMail(t, s, before.mail, [3]string{"REQUEST_OPENED", f.Manager.Email, "New request from Acme: New banner"})
		for _, part := range []string{"Hello Mark Manager,", `Ann Active of Acme opened a request: "New banner".`, "about the project Acme shared", "The spring banner, please."} {
			if !strings.Contains(mail[0].Body, part) {
				t.Errorf("mail body lacks %q:\n%s", part, mail[0].Body)
			}
		}

		// Without a project, and for a client without an owner: no one to
		// tell, and nothing else changes.
		exec(t, s, `UPDATE clients SET owner_id = NULL WHERE id = ?`, f.A.ID)
		before = now(t, s)
		r2, err := s.OpenRequest(t.Context(), sqltest.Portal(f.AActive), portal.OpenRequestInput{Title: "Call me", Body: "About the invoice."})
		noErr(t, err)
		if r2.ProjectID != nil || r2.ClientID != f.A.ID {
			t.Errorf("request without a project %+v", r2)
		}
		wantRequestEvents(t, s, f, before.events, requestEvent{portal.ActivityActionRequestOpened, r2.ID, f.A.ID, byContact(f.AActive), ""})
		wantMail(t, s, before.mail)
	})
}

// Only an active contact opens requests, in their own portal while it
// takes requests, about a project it shows them; anything else is refused
// and writes nothing.
func TestOpenRequestRefused(t *testing.T) {
	withFixture(t, func(t *testing.T, s *sqlstore.Store, f *sqltest.Fixture) {
		ok := portal.OpenRequestInput{Title: "Mine", Body: "Please."}
		about := func(projectID string) portal.OpenRequestInput {
			in := ok
			in.ProjectID = &projectID
			return in
		}
		missing := portal.NewID(portal.PrefixProject, time.Now())
		ann := sqltest.Portal(f.AActive)
		cases := []struct {
			name  string
			p     portal.Principal
			in    portal.OpenRequestInput
			code  portal.Code
			field []string
		}{
			{"staff", sqltest.Staff(f.Owner), ok, portal.CodeForbidden, nil},
			{"a preview", preview(f.AActive, f.Owner), ok, portal.CodeForbidden, nil},
			{"a suspended contact", sqltest.Portal(f.ASuspended), ok, portal.CodeForbidden, nil},
			{"an invited contact", sqltest.Portal(f.AInvited), ok, portal.CodeForbidden, nil},
			{"a contact of a client without portal", sqltest.Portal(f.CActive), ok, portal.CodeForbidden, nil},
			{"anonymous", portal.Anonymous(), ok, portal.CodeForbidden, nil},
			{"another client's project", ann, about(f.BShared.ID), portal.CodeBadUserInput, []string{"input.projectId"}},
			{"an internal project", ann, about(f.AInternal.ID), portal.CodeBadUserInput, []string{"input.projectId"}},
			{"another workspace's project", ann, about(f.XShared.ID), portal.CodeBadUserInput, []string{"input.projectId"}},
			{"a project that does not exist", ann, about(missing), portal.CodeBadUserInput, []string{"input.projectId"}},
			{"a blank title", ann, portal.OpenRequestInput{Title: "  ", Body: "x"}, portal.CodeBadUserInput, []string{"input.title"}},
			{"a blank body", ann, portal.OpenRequestInput{Title: "x", Body: "\n"}, portal.CodeBadUserInput, []string{"input.body"}},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				unchanged(t, s, c.code, func() error {
					_, err := s.OpenRequest(t.Context(), c.p, c.in)
					return err
				}, c.field...)
			})
		}
		// A project the contact may not see reads exactly like one that
		// does not exist.
		for _, id := range []string{f.BShared.ID, f.AInternal.ID, missing} {
			_, err := s.OpenRequest(t.Context(), ann, about(id))
			if want := fmt.Sprintf(`invalid input (input.projectId: no record with id %q)`, id); err == nil || err.Error() != want {
				t.Errorf("project %s: %v, want %s", id, err, want)
			}
		}
		// A portal that does not show requests does not take them either.
		exec(t, s, `UPDATE clients SET portal_requests = FALSE WHERE id = ?`, f.A.ID)
		unchanged(t, s, portal.CodeForbidden, func() error {
			_, err := s.OpenRequest(t.Context(), ann, ok)
			if err != nil && err.Error() != "this portal does not take requests" {
				t.Errorf("message %q", err)
			}
			return err
		})
	})
}

func TestUpdateRequest(t *testing.T) {
	withRequests(t, func(t *testing.T, s *sqlstore.Store, w *requestWorld) {
		ctx, m := t.Context(), sqltest.Staff(w.Manager)
		ra := reread(t, w.Fixture, w.RA.ID, s.RequestsByID)

		// A new assignee is not shown to the client: no activity the portal
		// sees, no mail.
		before := now(t, s)
		r, err := s.UpdateRequest(ctx, m, portal.UpdateRequestInput{ID: w.RA.ID, AssigneeID: &w.Manager.ID})
		noErr(t, err)
		if deref(r.AssigneeID) != w.Manager.ID || !r.LastActivityAt.Equal(ra.LastActivityAt) || r.Status != portal.ClientRequestStatusInProgress {
			t.Errorf("after assigning: %+v", r)
		}
		stored(t, r, reread(t, w.Fixture, w.RA.ID, s.RequestsByID))
		wantRequestEvents(t, s, w.Fixture, before.events, requestEvent{portal.ActivityActionUpdated, w.RA.ID, w.A.ID, byUser(w.Manager), "assigneeId"})
		wantMail(t, s, before.mail)

		// A new status is: the request's last activity moves and the
		// contact who opened it is told, without staff names.
		before = now(t, s)
		r, err = s.UpdateRequest(ctx, m, portal.UpdateRequestInput{ID: w.RA.ID, Status: ptr(portal.ClientRequestStatusDone)})
		noErr(t, err)
		if r.Status != portal.ClientRequestStatusDone || !r.LastActivityAt.After(ra.LastActivityAt) {
			t.Errorf("after finishing: %+v", r)
		}
		stored(t, r, reread(t, w.Fixture, w.RA.ID, s.RequestsByID))
		wantRequestEvents(t, s, w.Fixture, before.events, requestEvent{portal.ActivityActionUpdated, w.RA.ID, w.A.ID, byUser(w.Manager), "status"})
		mail := wantMail(t, s, before.mail, [3]string{"REQUEST_STATUS_CHANGED", w.AActive.Email, "Your request is done: New banner"})
		if body := mail[0].Body; !strings.Contains(body, `Your request "New banner" is done.`) || strings.Contains(body, "Manager") {
			t.Errorf("mail body:\n%s", body)
		}

		// Both at once, unassigning with an empty ID.
		before = now(t, s)
		r, err = s.UpdateRequest(ctx, sqltest.Staff(w.Member), portal.UpdateRequestInput{ID: w.RA.ID, Status: ptr(portal.ClientRequestStatusDeclined), AssigneeID: ptr("")})
		noErr(t, err)
		if r.AssigneeID != nil || r.Status != portal.ClientRequestStatusDeclined {
			t.Errorf("after declining: %+v", r)
		}
		wantRequestEvents(t, s, w.Fixture, before.events, requestEvent{portal.ActivityActionUpdated, w.RA.ID, w.A.ID, byUser(w.Member), "status,assigneeId"})
		wantMail(t, s, before.mail, [3]string{"REQUEST_STATUS_CHANGED", w.AActive.Email, "Your request was declined: New banner"})

		// Setting what is already set changes nothing, and records nothing.
		snapshot := dump(t, s)
		r, err = s.UpdateRequest(ctx, m, portal.UpdateRequestInput{ID: w.RA.ID, Status: ptr(portal.ClientRequestStatusDeclined), AssigneeID: ptr("")})
		noErr(t, err)
		if r.Status != portal.ClientRequestStatusDeclined || dump(t, s) != snapshot {
			t.Errorf("a change to the same values wrote something: %+v", r)
		}
	})
}

// Triage needs REQUESTS_UPDATE, a request of the workspace and an assignee
// of the workspace; a refusal writes nothing, not even the valid half.
func TestUpdateRequestRefused(t *testing.T) {
	withRequests(t, func(t *testing.T, s *sqlstore.Store, w *requestWorld) {
		m := sqltest.Staff(w.Manager)
		done := ptr(portal.ClientRequestStatusDone)
		cases := []struct {
			name  string
			p     portal.Principal
			in    portal.UpdateRequestInput
			code  portal.Code
			field []string
		}{
			{"a viewer", sqltest.Staff(w.Viewer), portal.UpdateRequestInput{ID: w.RA.ID, Status: done}, portal.CodeForbidden, nil},
			{"a contact", sqltest.Portal(w.AActive), portal.UpdateRequestInput{ID: w.RA.ID, Status: done}, portal.CodeForbidden, nil},
			{"an assignee of another workspace", m, portal.UpdateRequestInput{ID: w.RA.ID, Status: done, AssigneeID: &w.Owner2.ID},
				portal.CodeBadUserInput, []string{"input.assigneeId"}},
			{"an assignee that does not exist", m, portal.UpdateRequestInput{ID: w.RA.ID, Status: done, AssigneeID: ptr(portal.NewID(portal.PrefixUser, time.Now()))},
				portal.CodeBadUserInput, []string{"input.assigneeId"}},
			{"a contact as assignee", m, portal.UpdateRequestInput{ID: w.RA.ID, AssigneeID: &w.AActive.ID}, portal.CodeBadUserInput, []string{"input.assigneeId"}},
			{"a request of another workspace", m, portal.UpdateRequestInput{ID: w.RX.ID, Status: done}, portal.CodeNotFound, nil},
			{"another workspace's staff", sqltest.Staff(w.Owner2), portal.UpdateRequestInput{ID: w.RA.ID, Status: done}, portal.CodeNotFound, nil},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				unchanged(t, s, c.code, func() error {
					_, err := s.UpdateRequest(t.Context(), c.p, c.in)
					return err
				}, c.field...)
			})
		}
	})
}

func TestCommentOnRequest(t *testing.T) {
	withRequests(t, func(t *testing.T, s *sqlstore.Store, w *requestWorld) {
		ctx := t.Context()
		ra := reread(t, w.Fixture, w.RA.ID, s.RequestsByID)

		// An internal comment: the request, its last activity included, is
		// untouched, and no contact hears of it.
		before := now(t, s)
		c, err := s.CommentOnRequest(ctx, sqltest.Staff(w.Manager), portal.CommentOnRequestInput{RequestID: w.RA.ID, Body: " Budget is tight. ", Internal: ptr(true)})
		noErr(t, err)
		got := []any{c.RequestID, c.ClientID, c.Body, c.Internal, deref(c.AuthorUserID), c.AuthorContactID}
		if want := []any{w.RA.ID, w.A.ID, "Budget is tight.", true, w.Manager.ID, (*string)(nil)}; !reflect.DeepEqual(got, want) || !portal.HasPrefix(c.ID, portal.PrefixComment) {
			t.Errorf("internal comment %v, want %v", got, want)
		}
		stored(t, c, reread(t, w.Fixture, c.ID, s.CommentsByID))
		if d := differingFields(ra, reread(t, w.Fixture, w.RA.ID, s.RequestsByID)); len(d) > 0 {
			t.Errorf("an internal comment changed the request's %v", d)
		}
		wantRequestEvents(t, s, w.Fixture, before.events, requestEvent{portal.ActivityActionCommented, w.RA.ID, w.A.ID, byUser(w.Manager), ""})
		wantMail(t, s, before.mail)

		// A reply the client sees moves the last activity, keeps the
		// status and tells the contact who opened the request, without
		// quoting it or naming its author.
		before = now(t, s)
		c, err = s.CommentOnRequest(ctx, sqltest.Staff(w.Member), portal.CommentOnRequestInput{RequestID: w.RA.ID, Body: "Draft attached.", Internal: ptr(false)})
		noErr(t, err)
		if c.Internal || deref(c.AuthorUserID) != w.Member.ID {
			t.Errorf("reply %+v", c)
		}
		after := reread(t, w.Fixture, w.RA.ID, s.RequestsByID)
		if !after.LastActivityAt.Equal(c.CreatedAt) || after.Status != portal.ClientRequestStatusInProgress {
			t.Errorf("after the reply: status %s, last activity %v, comment at %v", after.Status, after.LastActivityAt, c.CreatedAt)
		}
		wantRequestEvents(t, s, w.Fixture, before.events, requestEvent{portal.ActivityActionCommented, w.RA.ID, w.A.ID, byUser(w.Member), ""})
		mail := wantMail(t, s, before.mail, [3]string{"REQUEST_REPLIED", w.AActive.Email, "New reply to your request: New banner"})
		if body := mail[0].Body; strings.Contains(body, "Draft attached") || strings.Contains(body, "Mia") || !strings.Contains(body, "Hello Ann Active,") {
			t.Errorf("reply mail:\n%s", body)
		}

		// A contact's comment goes to the request's assignee.
		before = now(t, s)
		c, err = s.CommentOnRequest(ctx, sqltest.Portal(w.AActive), portal.CommentOnRequestInput{RequestID: w.RA.ID, Body: "Looks good."})
		noErr(t, err)
		if c.Internal || deref(c.AuthorContactID) != w.AActive.ID || c.AuthorUserID != nil {
			t.Errorf("contact's comment %+v", c)
		}
		wantRequestEvents(t, s, w.Fixture, before.events, requestEvent{portal.ActivityActionCommented, w.RA.ID, w.A.ID, byContact(w.AActive), ""})
		mail = wantMail(t, s, before.mail, [3]string{"REQUEST_COMMENTED", w.Member.Email, "New comment from Acme: New banner"})
		if body := mail[0].Body; !strings.Contains(body, "Ann Active of Acme commented") || !strings.Contains(body, "Looks good.") {
			t.Errorf("comment mail:\n%s", body)
		}
		// ... or, unassigned, to the client's owner (Bolt's is the owner).
		before = now(t, s)
		_, err = s.CommentOnRequest(ctx, sqltest.Portal(w.BActive), portal.CommentOnRequestInput{RequestID: w.RB.ID, Body: "Hello?"})
		noErr(t, err)
		wantMail(t, s, before.mail, [3]string{"REQUEST_COMMENTED", w.Owner.Email, "New comment from Bolt: Bolt's request"})
	})
}

// A contact's comment on a done or declined request reopens it; a staff
// member's leaves it closed.
func TestCommentOnClosedRequest(t *testing.T) {
	withRequests(t, func(t *testing.T, s *sqlstore.Store, w *requestWorld) {
		ctx := t.Context()
		status := func(id string) portal.ClientRequestStatus { return reread(t, w.Fixture, id, s.RequestsByID).Status }

		for _, internal := range []bool{true, false} {
			_, err := s.CommentOnRequest(ctx, sqltest.Staff(w.Manager), portal.CommentOnRequestInput{RequestID: w.RADone.ID, Body: "Closing note.", Internal: &internal})
			noErr(t, err)
			if got := status(w.RADone.ID); got != portal.ClientRequestStatusDone {
				t.Errorf("after a staff comment (internal %v): %s, want DONE", internal, got)
			}
		}

		before := now(t, s)
		_, err := s.CommentOnRequest(ctx, sqltest.Portal(w.AActive), portal.CommentOnRequestInput{RequestID: w.RADone.ID, Body: "The copy never came."})
		noErr(t, err)
		if got := status(w.RADone.ID); got != portal.ClientRequestStatusOpen {
			t.Errorf("after the contact's comment: %s, want OPEN", got)
		}
		wantRequestEvents(t, s, w.Fixture, before.events,
			requestEvent{portal.ActivityActionCommented, w.RADone.ID, w.A.ID, byContact(w.AActive), ""},
			requestEvent{portal.ActivityActionUpdated, w.RADone.ID, w.A.ID, byContact(w.AActive), "status"})
		// Unassigned: Acme's owner hears of it, and that it reopened.
		mail := wantMail(t, s, before.mail, [3]string{"REQUEST_COMMENTED", w.Manager.Email, "New comment from Acme: Invoice copy"})
		if !strings.Contains(mail[0].Body, "The request was done; the comment reopened it.") {
			t.Errorf("mail body:\n%s", mail[0].Body)
		}

		_, err = s.UpdateRequest(ctx, sqltest.Staff(w.Manager), portal.UpdateRequestInput{ID: w.RB.ID, Status: ptr(portal.ClientRequestStatusDeclined)})
		noErr(t, err)
		_, err = s.CommentOnRequest(ctx, sqltest.Portal(w.BActive), portal.CommentOnRequestInput{RequestID: w.RB.ID, Body: "Why?"})
		noErr(t, err)
		if got := status(w.RB.ID); got != portal.ClientRequestStatusOpen {
			t.Errorf("declined, after the contact's comment: %s, want OPEN", got)
		}
	})
}

// Comments come from staff who triage requests and from contacts, in
// their own portal, on what it shows them; anything else is refused and
// writes nothing. A request a contact may not see is NOT_FOUND, like one
// that does not exist.
func TestCommentOnRequestRefused(t *testing.T) {
	withRequests(t, func(t *testing.T, s *sqlstore.Store, w *requestWorld) {
		on := func(id string) portal.CommentOnRequestInput {
			return portal.CommentOnRequestInput{RequestID: id, Body: "Hello"}
		}
		missing := portal.NewID(portal.PrefixRequest, time.Now())
		ann := sqltest.Portal(w.AActive)
		cases := []struct {
			name  string
			p     portal.Principal
			in    portal.CommentOnRequestInput
			code  portal.Code
			field []string
		}{
			{"a viewer", sqltest.Staff(w.Viewer), on(w.RA.ID), portal.CodeForbidden, nil},
			{"a preview", preview(w.AActive, w.Owner), on(w.RA.ID), portal.CodeForbidden, nil},
			{"a contact's internal comment", ann, portal.CommentOnRequestInput{RequestID: w.RA.ID, Body: "psst", Internal: ptr(true)}, portal.CodeForbidden, nil},
			{"another client's contact", sqltest.Portal(w.BActive), on(w.RA.ID), portal.CodeNotFound, nil},
			{"another client's request", ann, on(w.RB.ID), portal.CodeNotFound, nil},
			{"another workspace's contact", sqltest.Portal(w.XActive), on(w.RA.ID), portal.CodeNotFound, nil},
			{"another workspace's staff", sqltest.Staff(w.Owner2), on(w.RA.ID), portal.CodeNotFound, nil},
			{"a suspended contact", sqltest.Portal(w.ASuspended), on(w.RA.ID), portal.CodeNotFound, nil},
			{"a request that does not exist", ann, on(missing), portal.CodeNotFound, nil},
			{"a blank body", sqltest.Staff(w.Manager), portal.CommentOnRequestInput{RequestID: w.RA.ID, Body: " \t"}, portal.CodeBadUserInput, []string{"input.body"}},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				unchanged(t, s, c.code, func() error {
					_, err := s.CommentOnRequest(t.Context(), c.p, c.in)
					if c.code == portal.CodeNotFound && err != nil && err.Error() != fmt.Sprintf("no record with id %q", c.in.RequestID) {
						t.Errorf("message %q", err)
					}
					return err
				}, c.field...)
			})
		}
		exec(t, s, `UPDATE clients SET portal_requests = FALSE WHERE id = ?`, w.A.ID)
		unchanged(t, s, portal.CodeNotFound, func() error {
			_, err := s.CommentOnRequest(t.Context(), ann, on(w.RA.ID))
			return err
		})
	})
}

// Mail about a request goes to the contact who opened it only while their
// portal shows it to them: not once they are suspended, the requests
// section is hidden or the portal is off.
func TestRequestOpenerToldWhilePortalShowsIt(t *testing.T) {
	withRequests(t, func(t *testing.T, s *sqlstore.Store, w *requestWorld) {
		ctx, m := t.Context(), sqltest.Staff(w.Manager)
		reply := func() { // a reply and a status change
			t.Helper()
			_, err := s.CommentOnRequest(ctx, m, portal.CommentOnRequestInput{RequestID: w.RA.ID, Body: "Update."})
			noErr(t, err)
			_, err = s.UpdateRequest(ctx, m, portal.UpdateRequestInput{ID: w.RA.ID, Status: ptr(portal.ClientRequestStatusOpen)})
			noErr(t, err)
			_, err = s.UpdateRequest(ctx, m, portal.UpdateRequestInput{ID: w.RA.ID, Status: ptr(portal.ClientRequestStatusInProgress)})
			noErr(t, err)
		}
		for _, c := range []struct{ name, hide, show string }{
			{"suspended", `UPDATE contacts SET portal_status = 'SUSPENDED' WHERE id = ?`, `UPDATE contacts SET portal_status = 'ACTIVE' WHERE id = ?`},
			{"requests hidden", `UPDATE clients SET portal_requests = FALSE WHERE id = (SELECT client_id FROM contacts WHERE id = ?)`,
				`UPDATE clients SET portal_requests = TRUE WHERE id = (SELECT client_id FROM contacts WHERE id = ?)`},
			{"portal off", `UPDATE clients SET portal_enabled = FALSE WHERE id = (SELECT client_id FROM contacts WHERE id = ?)`,
				`UPDATE clients SET portal_enabled = TRUE WHERE id = (SELECT client_id FROM contacts WHERE id = ?)`},
		} {
			exec(t, s, c.hide, w.AActive.ID)
			before := now(t, s)
			reply()
			if got := outboxSince(t, s, before.mail); len(got) != 0 {
				t.Errorf("%s: mail %+v", c.name, got)
			}
			exec(t, s, c.show, w.AActive.ID)
			before = now(t, s)
			reply()
			wantMail(t, s, before.mail,
				[3]string{"REQUEST_REPLIED", w.AActive.Email, "New reply to your request: New banner"},
				[3]string{"REQUEST_STATUS_CHANGED", w.AActive.Email, "Your request is in progress: New banner"},
				[3]string{"REQUEST_STATUS_CHANGED", w.AActive.Email, "Your request is open again: New banner"},
			)
		}
		// A request no contact opened has no one to tell.
		exec(t, s, `UPDATE client_requests SET opened_by_contact = NULL WHERE id = ?`, w.RA.ID)
		before := now(t, s)
		reply()
		wantMail(t, s, before.mail)
	})
}

// requestView is what one principal sees of requests, their comments and
// attachments, by label.
type requestView struct {
	Requests, Comments, Attachments []string
}

// requestViewOf reads what p sees, by ID and through every list and
// per-parent connection with counts; both paths must agree.
func requestViewOf(t *testing.T, s *sqlstore.Store, p portal.Principal, lab labels) requestView {
	t.Helper()
	ctx := t.Context()
	requestIDs := allIDs(t, s, "client_requests")
	v := requestView{
		Requests: lookup(t, s, p, lab, "client_requests", s.RequestsByID),
		Comments: lookup(t, s, p, lab, "request_comments", s.CommentsByID),
	}
	c, err := s.Requests(ctx, p, portal.ClientRequestFilter{}, all)
	if got := rootList(t, lab, "requests", c, err); !slices.Equal(got, v.Requests) {
		t.Errorf("requests: by ID %v, listed %v", v.Requests, got)
	}
	perClient := perParent(t, lab, "requests", allIDs(t, s, "clients"), func(ids []string) (map[string]*portal.ClientRequestConnection, error) {
		return s.RequestsOfClients(ctx, p, ids, portal.ClientRequestFilter{}, all)
	})
	if !slices.Equal(perClient, v.Requests) {
		t.Errorf("requests: by ID %v, per client %v", v.Requests, perClient)
	}
	perRequest := perParent(t, lab, "comments", requestIDs, func(ids []string) (map[string]*portal.RequestCommentConnection, error) {
		return s.CommentsOfRequests(ctx, p, ids, all)
	})
	if !slices.Equal(perRequest, v.Comments) {
		t.Errorf("comments: by ID %v, per request %v", v.Comments, perRequest)
	}
	files, err := s.AttachmentsOfRequests(ctx, p, requestIDs)
	noErr(t, err)
	var attached []string
	for request, fs := range files {
		for _, f := range fs {
			if deref(f.RequestID) != request {
				t.Errorf("file %s listed under request %s", f.ID, request)
			}
			attached = append(attached, f.ID)
		}
	}
	v.Attachments = lab.of(attached)
	// An attachment is a file like any other: its lookup by ID agrees.
	byID, err := s.FilesByID(ctx, p, attached)
	noErr(t, err)
	if got := lab.of(idsOf(byID)); !slices.Equal(got, v.Attachments) {
		t.Errorf("attachments: listed %v, by ID %v", v.Attachments, got)
	}
	return v
}

func TestRequestScoping(t *testing.T) {
	withRequests(t, func(t *testing.T, s *sqlstore.Store, w *requestWorld) {
		none := requestView{Requests: []string{}, Comments: []string{}, Attachments: []string{}}
		staff := requestView{
			Requests:    []string{"RA", "RADone", "RB"},
			Comments:    []string{"CAByAnn", "CAByStaff", "CAInternal", "CB"},
			Attachments: []string{"FAInternal", "FAShared", "FB"},
		}
		acme := requestView{Requests: []string{"RA", "RADone"}, Comments: []string{"CAByAnn", "CAByStaff"}, Attachments: []string{"FAShared"}}
		bolt := requestView{Requests: []string{"RB"}, Comments: []string{"CB"}, Attachments: []string{"FB"}}
		xeno := requestView{Requests: []string{"RX"}, Comments: []string{"CX"}, Attachments: []string{"FX"}}
		cases := []struct {
			name string
			p    portal.Principal
			want requestView
		}{
			{"owner", sqltest.Staff(w.Owner), staff},
			{"viewer", sqltest.Staff(w.Viewer), staff},
			{"Acme's contact", sqltest.Portal(w.AActive), acme},
			{"a preview as Acme's contact", preview(w.AActive, w.Owner), acme},
			{"a preview as Acme's invited contact", preview(w.AInvited, w.Owner), acme},
			{"Acme's suspended contact", sqltest.Portal(w.ASuspended), none},
			{"Bolt's contact", sqltest.Portal(w.BActive), bolt},
			{"Cobalt's contact (no portal)", sqltest.Portal(w.CActive), none},
			{"the other workspace's contact", sqltest.Portal(w.XActive), xeno},
			{"the other workspace's owner", sqltest.Staff(w.Owner2), xeno},
			{"anonymous", portal.Anonymous(), none},
		}
		for _, c := range cases {
			if got := requestViewOf(t, s, c.p, w.lab); !reflect.DeepEqual(got, c.want) {
				t.Errorf("%s sees\n %+v\nwant\n %+v", c.name, got, c.want)
			}
		}

		// The client's portal settings: without the files section the
		// requests stay and their attachments go; without the requests
		// section everything goes, for the contact and their previews.
		exec(t, s, `UPDATE clients SET portal_files = FALSE WHERE id = ?`, w.A.ID)
		withoutFiles := acme
		withoutFiles.Attachments = []string{}
		if got := requestViewOf(t, s, sqltest.Portal(w.AActive), w.lab); !reflect.DeepEqual(got, withoutFiles) {
			t.Errorf("files hidden: %+v", got)
		}
		exec(t, s, `UPDATE clients SET portal_files = TRUE, portal_requests = FALSE WHERE id = ?`, w.A.ID)
		for _, p := range []portal.Principal{sqltest.Portal(w.AActive), preview(w.AActive, w.Owner)} {
			if got := requestViewOf(t, s, p, w.lab); !reflect.DeepEqual(got, none) {
				t.Errorf("requests hidden: %+v", got)
			}
		}
		if got := requestViewOf(t, s, sqltest.Staff(w.Member), w.lab); !reflect.DeepEqual(got, staff) {
			t.Errorf("staff with Acme's requests hidden from its portal: %+v", got)
		}

		// A contact sees who wrote the comments they see, besides their
		// account managers; not the author of an internal comment only.
		exec(t, s, `UPDATE clients SET portal_requests = TRUE WHERE id = ?`, w.A.ID)
		users := func(p portal.Principal) []string { return lookup(t, s, p, w.lab, "users", s.UsersByID) }
		if got, want := users(sqltest.Portal(w.AActive)), []string{"Manager", "Member"}; !slices.Equal(got, want) {
			t.Errorf("Acme's contact sees users %v, want %v", got, want)
		}
		exec(t, s, `UPDATE clients SET portal_requests = FALSE WHERE id = ?`, w.A.ID)
		if got, want := users(sqltest.Portal(w.AActive)), []string{"Manager"}; !slices.Equal(got, want) {
			t.Errorf("with requests hidden, Acme's contact sees users %v, want %v", got, want)
		}

		// Who works on a request is for staff: a contact may not filter by it.
		_, err := s.Requests(t.Context(), sqltest.Portal(w.BActive), portal.ClientRequestFilter{AssigneeID: &w.Member.ID}, all)
		wantCode(t, err, portal.CodeForbidden)
		_, err = s.RequestsOfClients(t.Context(), sqltest.Portal(w.BActive), []string{w.B.ID}, portal.ClientRequestFilter{AssigneeID: &w.Member.ID}, all)
		wantCode(t, err, portal.CodeForbidden)
	})
}

// Requests list newest activity first, by the activity the client sees;
// comments oldest first. Pages follow each other by cursor on both
// databases.
func TestRequestOrderAndFilters(t *testing.T) {
	withRequests(t, func(t *testing.T, s *sqlstore.Store, w *requestWorld) {
		ctx, staff, ann := t.Context(), sqltest.Staff(w.Owner), sqltest.Portal(w.AActive)
		order := func(p portal.Principal, f portal.ClientRequestFilter) []string {
			t.Helper()
			c, err := s.Requests(ctx, p, f, all)
			noErr(t, err)
			return w.lab.inOrder(edgeIDs(c))
		}
		same := func(what string, got, want []string) {
			t.Helper()
			if !slices.Equal(got, want) {
				t.Errorf("%s: %v, want %v", what, got, want)
			}
		}
		// RB was last commented on, then RA (its internal comment, later
		// still, does not count), then RADone.
		same("staff", order(staff, portal.ClientRequestFilter{}), []string{"RB", "RA", "RADone"})
		same("Acme's contact", order(ann, portal.ClientRequestFilter{}), []string{"RA", "RADone"})

		// An internal comment moves nothing; a reply moves its request up.
		_, err := s.CommentOnRequest(ctx, sqltest.Staff(w.Manager), portal.CommentOnRequestInput{RequestID: w.RADone.ID, Body: "psst", Internal: ptr(true)})
		noErr(t, err)
		same("after an internal comment", order(staff, portal.ClientRequestFilter{}), []string{"RB", "RA", "RADone"})
		_, err = s.CommentOnRequest(ctx, sqltest.Staff(w.Manager), portal.CommentOnRequestInput{RequestID: w.RADone.ID, Body: "Sent again."})
		noErr(t, err)
		same("after a reply", order(staff, portal.ClientRequestFilter{}), []string{"RADone", "RB", "RA"})
		pages, err := s.RequestsOfClients(ctx, ann, []string{w.A.ID}, portal.ClientRequestFilter{}, all)
		noErr(t, err)
		same("Acme's requests", w.lab.inOrder(edgeIDs(pages[w.A.ID])), []string{"RADone", "RA"})

		// Page by page, one request at a time, through both kinds of list.
		var paged []string
		page := portal.PageArgs{First: 1, Count: true}
		for i := 0; ; i++ {
			if i == 3 {
				t.Fatalf("a fourth page of three requests, after %v", w.lab.inOrder(paged))
			}
			c, err := s.Requests(ctx, staff, portal.ClientRequestFilter{}, page)
			noErr(t, err)
			if c.TotalCount != 3 || len(c.Edges) != 1 || c.PageInfo.HasPreviousPage != (i > 0) {
				t.Fatalf("page %d: %d of %d, %+v", i, len(c.Edges), c.TotalCount, c.PageInfo)
			}
			paged = append(paged, edgeIDs(c)...)
			if !c.PageInfo.HasNextPage {
				break
			}
			page.After = c.PageInfo.EndCursor
		}
		same("paged", w.lab.inOrder(paged), []string{"RADone", "RB", "RA"})
		first, err := s.RequestsOfClients(ctx, staff, []string{w.A.ID}, portal.ClientRequestFilter{}, portal.PageArgs{First: 1})
		noErr(t, err)
		next, err := s.RequestsOfClients(ctx, staff, []string{w.A.ID}, portal.ClientRequestFilter{}, portal.PageArgs{First: 1, After: first[w.A.ID].PageInfo.EndCursor, Count: true})
		noErr(t, err)
		same("Acme's second page", w.lab.inOrder(edgeIDs(next[w.A.ID])), []string{"RA"})
		if next[w.A.ID].TotalCount != 2 || next[w.A.ID].PageInfo.HasNextPage {
			t.Errorf("Acme's second page: %+v", next[w.A.ID])
		}
		_, err = s.Requests(ctx, staff, portal.ClientRequestFilter{}, portal.PageArgs{First: 1, After: ptr("bm90IGEgY3Vyc29y")})
		wantCode(t, err, portal.CodeBadUserInput, "after")

		// Filters.
		same("done or declined", order(staff, portal.ClientRequestFilter{Status: []portal.ClientRequestStatus{portal.ClientRequestStatusDone, portal.ClientRequestStatusDeclined}}),
			[]string{"RADone"})
		same("assigned to Mia", order(staff, portal.ClientRequestFilter{AssigneeID: &w.Member.ID}), []string{"RA"})
		same("Bolt's", order(staff, portal.ClientRequestFilter{ClientID: &w.B.ID}), []string{"RB"})
		same("Bolt's, asked by Acme's contact", order(ann, portal.ClientRequestFilter{ClientID: &w.B.ID}), []string{})
		same("open, of Acme, for its contact", order(ann, portal.ClientRequestFilter{Status: []portal.ClientRequestStatus{portal.ClientRequestStatusInProgress}}), []string{"RA"})

		// Comments read as a conversation, oldest first; a contact's page
		// and count leave the internal one out.
		comments := func(p portal.Principal, page portal.PageArgs) *portal.RequestCommentConnection {
			t.Helper()
			c, err := s.CommentsOfRequests(ctx, p, []string{w.RA.ID}, page)
			noErr(t, err)
			return c[w.RA.ID]
		}
		same("staff's comments", w.lab.inOrder(edgeIDs(comments(staff, all))), []string{"CAByAnn", "CAByStaff", "CAInternal"})
		same("Ann's comments", w.lab.inOrder(edgeIDs(comments(ann, all))), []string{"CAByAnn", "CAByStaff"})
		c := comments(ann, portal.PageArgs{First: 1, Count: true})
		c2 := comments(ann, portal.PageArgs{First: 1, Count: true, After: c.PageInfo.EndCursor})
		if c.TotalCount != 2 || c2.TotalCount != 2 || !c.PageInfo.HasNextPage || c2.PageInfo.HasNextPage {
			t.Errorf("Ann's comment pages: %+v, %+v", c, c2)
		}
		same("Ann's second page", w.lab.inOrder(edgeIDs(c2)), []string{"CAByStaff"})
	})
}
