package sqlstore_test

import (
	"cmp"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"portalgraph/internal/dataset"
	"portalgraph/internal/portal"
	"portalgraph/internal/sqlstore"
	"portalgraph/internal/sqlstore/sqltest"
)

// The approval workflow: requests, decisions and their rollup, who may do
// what, idempotent retries, reminders, rounds, the lists, and decisions
// racing each other. The rollup table itself is tested in internal/portal.

// acmeContacts adds n contacts of client A with ACTIVE portal access, so an
// approval can have several approvers (and a non-approver be at hand).
func acmeContacts(t *testing.T, s *sqlstore.Store, f *sqltest.Fixture, n int) []*portal.Contact {
	t.Helper()
	b := dataset.New(time.Date(2026, 2, 2, 9, 0, 0, 0, time.UTC), 23)
	out := make([]*portal.Contact, n)
	for i := range out {
		out[i] = b.Contact(f.A, fmt.Sprintf("Approver %02d", i+1), fmt.Sprintf("approver%02d@acme.example", i+1), "", portal.PortalStatusActive)
	}
	noErr(t, s.Load(t.Context(), &b.Data))
	return out
}

// sharedDeliverable adds a SHARED deliverable to a project (of its
// visibility).
func sharedDeliverable(t *testing.T, s *sqlstore.Store, f *sqltest.Fixture, projectID, title string) *portal.Deliverable {
	t.Helper()
	d, err := s.CreateDeliverable(t.Context(), sqltest.Staff(f.Manager), portal.CreateDeliverableInput{
		ProjectID: projectID, Title: title, Status: ptr(portal.DeliverableStatusInProgress), Visibility: ptr(portal.VisibilityShared),
	})
	noErr(t, err)
	return d
}

// requestApproval asks the contacts, as the manager, to approve a deliverable.
func requestApproval(t *testing.T, s *sqlstore.Store, f *sqltest.Fixture, deliverableID string, policy portal.ApprovalPolicy, approvers ...*portal.Contact) *portal.Approval {
	t.Helper()
	a, err := s.RequestApproval(t.Context(), sqltest.Staff(f.Manager), portal.RequestApprovalInput{
		DeliverableID: deliverableID, Title: "Please approve", ApproverIds: idsOf(approvers), Policy: &policy,
	})
	noErr(t, err)
	return a
}

// decideAs records a portal contact's decision.
func decideAs(t *testing.T, s *sqlstore.Store, c *portal.Contact, approvalID string, outcome portal.DecisionOutcome, key string) (*portal.ApprovalDecision, *portal.Approval, error) {
	t.Helper()
	return s.DecideApproval(t.Context(), sqltest.Portal(c), portal.DecideApprovalInput{ApprovalID: approvalID, Outcome: outcome, IdempotencyKey: key})
}

// mustDecide is decideAs that must succeed; it returns the approval after.
func mustDecide(t *testing.T, s *sqlstore.Store, c *portal.Contact, approvalID string, outcome portal.DecisionOutcome, key string) *portal.Approval {
	t.Helper()
	_, a, err := decideAs(t, s, c, approvalID, outcome, key)
	noErr(t, err)
	return a
}

func today() portal.Date { return portal.DateOf(time.Now().UTC()) }

// flowEvent is an activity event of the workflow as the tests compare it;
// Actor is byUser or byContact of who acted.
type flowEvent struct {
	Action   portal.ActivityAction
	RecordID string
	ClientID string
	Actor    string
}

// byUser and byContact name an event's actor: its actor_user_id or its
// actor_contact_id.
func byUser(u *portal.User) string       { return "user " + u.ID }
func byContact(c *portal.Contact) string { return "contact " + c.ID }

// flowEvents returns the events written since before (the IDs of
// activity_events then), oldest first, read through the store.
func flowEvents(t *testing.T, s *sqlstore.Store, f *sqltest.Fixture, before []string) []flowEvent {
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
	slices.SortFunc(evs, func(a, b *portal.ActivityEvent) int { return cmp.Compare(a.ID, b.ID) })
	out := []flowEvent{}
	for _, e := range evs {
		if (e.ActorUserID == nil) == (e.ActorContactID == nil) || e.ClientID == nil || e.RecordType != portal.RecordTypeApproval {
			t.Fatalf("event %+v: want one actor, a client and an approval as the record", e)
		}
		actor := "user " + deref(e.ActorUserID)
		if e.ActorContactID != nil {
			actor = "contact " + *e.ActorContactID
		}
		out = append(out, flowEvent{e.Action, e.RecordID, *e.ClientID, actor})
	}
	return out
}

func wantEvents(t *testing.T, s *sqlstore.Store, f *sqltest.Fixture, before []string, want ...flowEvent) {
	t.Helper()
	if got := flowEvents(t, s, f, before); !reflect.DeepEqual(got, want) {
		t.Errorf("events written\n %+v\nwant\n %+v", got, want)
	}
}

// mail is an outbox message as the tests compare it.
type mail struct{ Kind, Recipient string }

// mailSince returns the messages put in the outbox since before (its IDs
// then), sorted by recipient.
func mailSince(t *testing.T, s *sqlstore.Store, before []string) []mail {
	t.Helper()
	var rows []struct {
		ID        string `db:"id"`
		Kind      string `db:"kind"`
		Recipient string `db:"recipient"`
		Subject   string `db:"subject"`
		Body      string `db:"body"`
	}
	noErr(t, s.DB().SelectContext(t.Context(), &rows, "SELECT id, kind, recipient, subject, body FROM outbox"))
	out := []mail{}
	for _, r := range rows {
		if slices.Contains(before, r.ID) {
			continue
		}
		if r.Subject == "" || r.Body == "" {
			t.Errorf("mail %s to %s without subject or body", r.ID, r.Recipient)
		}
		out = append(out, mail{r.Kind, r.Recipient})
	}
	slices.SortFunc(out, func(a, b mail) int { return cmp.Compare(a.Recipient, b.Recipient) })
	return out
}

func mailTo(kind string, cs ...*portal.Contact) []mail {
	out := []mail{}
	for _, c := range cs {
		out = append(out, mail{kind, c.Email})
	}
	slices.SortFunc(out, func(a, b mail) int { return cmp.Compare(a.Recipient, b.Recipient) })
	return out
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// countRows counts with SQL past the store's API, with ? placeholders.
func countRows(t *testing.T, s *sqlstore.Store, query string, args ...any) int {
	t.Helper()
	var n int
	db := s.DB()
	noErr(t, db.GetContext(t.Context(), &n, db.Rebind(query), args...))
	return n
}

func deliverableStatus(t *testing.T, s *sqlstore.Store, f *sqltest.Fixture, id string) portal.DeliverableStatus {
	t.Helper()
	return reread(t, f, id, s.DeliverablesByID).Status
}

func approverIDsOf(t *testing.T, s *sqlstore.Store, f *sqltest.Fixture, approvalID string) []string {
	t.Helper()
	got, err := s.ApproversOf(t.Context(), sqltest.Staff(f.Owner), []string{approvalID})
	noErr(t, err)
	ids := idsOf(got[approvalID])
	slices.Sort(ids)
	return ids
}

func sortedIDsOf[R record](recs []R) []string {
	ids := idsOf(recs)
	slices.Sort(ids)
	return ids
}

// unchanged runs a call that must fail with code (and name the fields) and
// checks it wrote nothing at all.
func unchanged(t *testing.T, s *sqlstore.Store, code portal.Code, run func() error, fields ...string) {
	t.Helper()
	snapshot := dump(t, s)
	wantCode(t, run(), code, fields...)
	if dump(t, s) != snapshot {
		t.Fatal("a refused call changed the database")
	}
}

func TestRequestApproval(t *testing.T) {
	withFixture(t, func(t *testing.T, s *sqlstore.Store, f *sqltest.Fixture) {
		more := acmeContacts(t, s, f, 2)
		beforeEvents, beforeMail := allIDs(t, s, "activity_events"), allIDs(t, s, "outbox")
		due := today() // today is not in the past
		a, err := s.RequestApproval(t.Context(), sqltest.Staff(f.Manager), portal.RequestApprovalInput{
			DeliverableID: f.DShared.ID, Title: "  Final cut  ", Message: ptr("have a look"),
			ApproverIds: []string{f.AActive.ID, more[0].ID, more[1].ID}, Policy: ptr(portal.ApprovalPolicyAll),
			DueOn: &due, InternalNotes: ptr("they are slow"),
		})
		noErr(t, err)
		got := []any{a.WorkspaceID, a.DeliverableID, a.ProjectID, a.ClientID, a.Title, *a.Message, a.Status, a.Policy,
			a.DueOn.String(), a.Round, a.PreviousRoundID, *a.RequestedByID, *a.InternalNotes, a.RemindedAt, a.ResolvedAt}
		want := []any{f.W1.ID, f.DShared.ID, f.AShared.ID, f.A.ID, "Final cut", "have a look", portal.ApprovalStatusPending, portal.ApprovalPolicyAll,
			due.String(), 1, (*string)(nil), f.Manager.ID, "they are slow", (*time.Time)(nil), (*time.Time)(nil)}
		if !reflect.DeepEqual(got, want) || !portal.HasPrefix(a.ID, portal.PrefixApproval) {
			t.Errorf("approval %s fields\n %v\nwant\n %v", a.ID, got, want)
		}
		stored(t, a, reread(t, f, a.ID, s.ApprovalsByID))
		wantApprovers := sortedIDsOf([]*portal.Contact{f.AActive, more[0], more[1]})
		if got := approverIDsOf(t, s, f, a.ID); !slices.Equal(got, wantApprovers) {
			t.Errorf("approvers %v, want %v", got, wantApprovers)
		}
		// DShared was APPROVED by its earlier approval; it is in review again.
		if got := deliverableStatus(t, s, f, f.DShared.ID); got != portal.DeliverableStatusInReview {
			t.Errorf("deliverable %s, want IN_REVIEW", got)
		}
		wantEvents(t, s, f, beforeEvents, flowEvent{portal.ActivityActionApprovalRequested, a.ID, f.A.ID, byUser(f.Manager)})
		if got, want := mailSince(t, s, beforeMail), mailTo("APPROVAL_REQUESTED", f.AActive, more[0], more[1]); !reflect.DeepEqual(got, want) {
			t.Errorf("mail %v, want %v", got, want)
		}

		// Without a policy an approval needs ANY one approver.
		d := sharedDeliverable(t, s, f, f.AShared.ID, "Second")
		any1, err := s.RequestApproval(t.Context(), sqltest.Staff(f.Member), portal.RequestApprovalInput{
			DeliverableID: d.ID, Title: "Second", ApproverIds: []string{more[1].ID},
		})
		noErr(t, err)
		if any1.Policy != portal.ApprovalPolicyAny || any1.DueOn != nil || any1.Message != nil || *any1.RequestedByID != f.Member.ID {
			t.Errorf("minimal approval %+v", any1)
		}
		if got := deliverableStatus(t, s, f, d.ID); got != portal.DeliverableStatusInReview {
			t.Errorf("second deliverable %s, want IN_REVIEW", got)
		}
	})
}

// Bad input names its field and writes nothing: no approval, approver,
// event, mail or deliverable change.
func TestRequestApprovalRejectsBadInput(t *testing.T) {
	withFixture(t, func(t *testing.T, s *sqlstore.Store, f *sqltest.Fixture) {
		ctx, m := t.Context(), sqltest.Staff(f.Manager)
		yesterday := today().AddDays(-1)
		missingContact := portal.NewID(portal.PrefixContact, f.AActive.CreatedAt)
		missingDeliverable := portal.NewID(portal.PrefixDeliverable, f.DShared.CreatedAt)
		in := func(change func(in *portal.RequestApprovalInput)) func() error {
			return func() error {
				in := portal.RequestApprovalInput{DeliverableID: f.DShared.ID, Title: "Approve", ApproverIds: []string{f.AActive.ID}}
				change(&in)
				_, err := s.RequestApproval(ctx, m, in)
				return err
			}
		}
		cases := []struct {
			name  string
			run   func() error
			field string
		}{
			{"unknown approver", in(func(in *portal.RequestApprovalInput) { in.ApproverIds = []string{f.AActive.ID, missingContact} }), "input.approverIds"},
			{"approver of another client", in(func(in *portal.RequestApprovalInput) { in.ApproverIds = []string{f.BActive.ID} }), "input.approverIds"},
			{"approver of another workspace", in(func(in *portal.RequestApprovalInput) { in.ApproverIds = []string{f.XActive.ID} }), "input.approverIds"},
			{"approver only invited", in(func(in *portal.RequestApprovalInput) { in.ApproverIds = []string{f.AActive.ID, f.AInvited.ID} }), "input.approverIds"},
			{"approver suspended", in(func(in *portal.RequestApprovalInput) { in.ApproverIds = []string{f.ASuspended.ID} }), "input.approverIds"},
			{"approver twice", in(func(in *portal.RequestApprovalInput) { in.ApproverIds = []string{f.AActive.ID, f.AActive.ID} }), "input.approverIds"},
			{"empty approver list", in(func(in *portal.RequestApprovalInput) { in.ApproverIds = []string{} }), "input.approverIds"},
			{"no approver list", in(func(in *portal.RequestApprovalInput) { in.ApproverIds = nil }), "input.approverIds"},
			{"due yesterday", in(func(in *portal.RequestApprovalInput) { in.DueOn = &yesterday }), "input.dueOn"},
			{"internal deliverable", in(func(in *portal.RequestApprovalInput) { in.DeliverableID = f.DInternal.ID }), "input.deliverableId"},
			{"deliverable of an internal project", in(func(in *portal.RequestApprovalInput) { in.DeliverableID = f.DOfInternal.ID }), "input.deliverableId"},
			{"deliverable of another workspace", in(func(in *portal.RequestApprovalInput) {
				in.DeliverableID, in.ApproverIds = f.XDeliv.ID, []string{f.XActive.ID}
			}), "input.deliverableId"},
			{"missing deliverable", in(func(in *portal.RequestApprovalInput) { in.DeliverableID = missingDeliverable }), "input.deliverableId"},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) { unchanged(t, s, portal.CodeBadUserInput, c.run, c.field) })
		}

		// One pending approval per deliverable.
		requestApproval(t, s, f, f.DShared.ID, portal.ApprovalPolicyAny, f.AActive)
		unchanged(t, s, portal.CodeConflict, in(func(*portal.RequestApprovalInput) {}))
	})
}

func TestDecideApproval(t *testing.T) {
	withFixture(t, func(t *testing.T, s *sqlstore.Store, f *sqltest.Fixture) {
		ctx := t.Context()
		more := acmeContacts(t, s, f, 3)

		t.Run("ANY, approved", func(t *testing.T) {
			a := requestApproval(t, s, f, f.DShared.ID, portal.ApprovalPolicyAny, f.AActive, more[0])
			before := allIDs(t, s, "activity_events")
			d, after, err := s.DecideApproval(ctx, sqltest.Portal(f.AActive), portal.DecideApprovalInput{
				ApprovalID: a.ID, Outcome: portal.DecisionOutcomeApproved, Comment: ptr(" looks good "), IdempotencyKey: "key-any-approved",
			})
			noErr(t, err)
			got := []any{d.ApprovalID, d.ContactID, d.Outcome, *d.Comment, d.RecordedByID, d.OnBehalf(), d.InternalNote, *d.IdempotencyKey, d.Superseded()}
			want := []any{a.ID, f.AActive.ID, portal.DecisionOutcomeApproved, "looks good", (*string)(nil), false, (*string)(nil), "key-any-approved", false}
			if !reflect.DeepEqual(got, want) || !portal.HasPrefix(d.ID, portal.PrefixDecision) {
				t.Errorf("decision %s fields\n %v\nwant\n %v", d.ID, got, want)
			}
			stored(t, d, reread(t, f, d.ID, s.DecisionsByID))
			if after.Status != portal.ApprovalStatusApproved || after.ResolvedAt == nil {
				t.Errorf("approval %s resolved at %v, want APPROVED and a time", after.Status, after.ResolvedAt)
			}
			stored(t, after, reread(t, f, a.ID, s.ApprovalsByID))
			if got := deliverableStatus(t, s, f, f.DShared.ID); got != portal.DeliverableStatusApproved {
				t.Errorf("deliverable %s, want APPROVED", got)
			}
			wantEvents(t, s, f, before,
				flowEvent{portal.ActivityActionDecisionRecorded, a.ID, f.A.ID, byContact(f.AActive)},
				flowEvent{portal.ActivityActionApprovalResolved, a.ID, f.A.ID, byContact(f.AActive)})
		})

		t.Run("ALL, one changes their mind", func(t *testing.T) {
			a := requestApproval(t, s, f, f.DShared.ID, portal.ApprovalPolicyAll, more[0], more[1], more[2])
			first, _, err := decideAs(t, s, more[0], a.ID, portal.DecisionOutcomeApproved, "key-all-0a")
			noErr(t, err)
			if got := mustDecide(t, s, more[1], a.ID, portal.DecisionOutcomeApproved, "key-all-1"); got.Status != portal.ApprovalStatusPending || got.ResolvedAt != nil {
				t.Fatalf("two of three approved: %s, want PENDING", got.Status)
			}
			// The first approver decides again, with a comment this time.
			before := allIDs(t, s, "activity_events")
			second, after, err := s.DecideApproval(ctx, sqltest.Portal(more[0]), portal.DecideApprovalInput{
				ApprovalID: a.ID, Outcome: portal.DecisionOutcomeApproved, Comment: ptr("on second thought, yes"), IdempotencyKey: "key-all-0b",
			})
			noErr(t, err)
			if after.Status != portal.ApprovalStatusPending || second.ID == first.ID {
				t.Fatalf("changed decision: approval %s, decision %s (first %s)", after.Status, second.ID, first.ID)
			}
			wantEvents(t, s, f, before, flowEvent{portal.ActivityActionDecisionRecorded, a.ID, f.A.ID, byContact(more[0])})
			history, err := s.DecisionHistoryOf(ctx, sqltest.Staff(f.Owner), []string{a.ID})
			noErr(t, err)
			h := history[a.ID]
			if len(h) != 3 || h[0].ID != first.ID || !h[0].Superseded() || h[1].Superseded() || h[2].ID != second.ID || h[2].Superseded() {
				t.Fatalf("history %+v: want the first decision superseded, then two current ones", h)
			}
			current, err := s.DecisionsOf(ctx, sqltest.Staff(f.Owner), []string{a.ID})
			noErr(t, err)
			if got := idsOf(current[a.ID]); !slices.Equal(got, []string{h[1].ID, second.ID}) {
				t.Errorf("current decisions %v, want %v", got, []string{h[1].ID, second.ID})
			}
			// A superseded decision stays a node, marked superseded.
			if got, err := s.DecisionsByID(ctx, sqltest.Staff(f.Owner), []string{first.ID}); err != nil || len(got) != 1 || !got[0].Superseded() {
				t.Errorf("superseded decision by ID: %v, %v", got, err)
			}
			before = allIDs(t, s, "activity_events")
			after = mustDecide(t, s, more[2], a.ID, portal.DecisionOutcomeApproved, "key-all-2")
			if after.Status != portal.ApprovalStatusApproved || after.ResolvedAt == nil {
				t.Errorf("all approved: %s, want APPROVED", after.Status)
			}
			if got := deliverableStatus(t, s, f, f.DShared.ID); got != portal.DeliverableStatusApproved {
				t.Errorf("deliverable %s, want APPROVED", got)
			}
			wantEvents(t, s, f, before,
				flowEvent{portal.ActivityActionDecisionRecorded, a.ID, f.A.ID, byContact(more[2])},
				flowEvent{portal.ActivityActionApprovalResolved, a.ID, f.A.ID, byContact(more[2])})
		})

		t.Run("ALL, changes requested", func(t *testing.T) {
			a := requestApproval(t, s, f, f.DShared.ID, portal.ApprovalPolicyAll, more[0], more[1])
			mustDecide(t, s, more[0], a.ID, portal.DecisionOutcomeApproved, "key-cr-0")
			after := mustDecide(t, s, more[1], a.ID, portal.DecisionOutcomeChangesRequested, "key-cr-1")
			if after.Status != portal.ApprovalStatusChangesRequested || after.ResolvedAt == nil {
				t.Errorf("approval %s, want CHANGES_REQUESTED", after.Status)
			}
			if got := deliverableStatus(t, s, f, f.DShared.ID); got != portal.DeliverableStatusChangesRequested {
				t.Errorf("deliverable %s, want CHANGES_REQUESTED", got)
			}
		})

		t.Run("ANY, rejected", func(t *testing.T) {
			a := requestApproval(t, s, f, f.DShared.ID, portal.ApprovalPolicyAny, more[0], more[1])
			after := mustDecide(t, s, more[1], a.ID, portal.DecisionOutcomeRejected, "key-rej-1")
			if after.Status != portal.ApprovalStatusRejected || after.ResolvedAt == nil {
				t.Errorf("approval %s, want REJECTED", after.Status)
			}
			if got := deliverableStatus(t, s, f, f.DShared.ID); got != portal.DeliverableStatusInProgress {
				t.Errorf("deliverable %s, want IN_PROGRESS", got)
			}
		})

		// The workflow resolves on the first change request, so a change
		// request and a rejection never meet in it; an approval loaded with
		// a rejection not yet rolled up (as imported data may be) shows the
		// store rolls up all current decisions, not only the new one: the
		// rejection wins over the change request that follows it.
		t.Run("rejection wins over changes", func(t *testing.T) {
			a := requestApproval(t, s, f, f.DShared.ID, portal.ApprovalPolicyAll, more[0], more[1], more[2])
			b := dataset.New(time.Date(2026, 2, 3, 9, 0, 0, 0, time.UTC), 29)
			b.Decision(a, more[0], portal.DecisionOutcomeRejected, "")
			noErr(t, s.Load(ctx, &b.Data))
			after := mustDecide(t, s, more[1], a.ID, portal.DecisionOutcomeChangesRequested, "key-wins-1")
			if after.Status != portal.ApprovalStatusRejected {
				t.Errorf("approval %s, want REJECTED", after.Status)
			}
			if got := deliverableStatus(t, s, f, f.DShared.ID); got != portal.DeliverableStatusInProgress {
				t.Errorf("deliverable %s, want IN_PROGRESS", got)
			}
		})
	})
}

// Only an approval's approvers decide, only through their own portal; a
// refused decision writes nothing.
func TestApprovalDeciders(t *testing.T) {
	withFixture(t, func(t *testing.T, s *sqlstore.Store, f *sqltest.Fixture) {
		ctx := t.Context()
		more := acmeContacts(t, s, f, 3)
		approver, suspendedLater, bystander := more[0], more[1], more[2]
		a := requestApproval(t, s, f, f.DShared.ID, portal.ApprovalPolicyAll, f.AActive, approver, suspendedLater)
		exec(t, s, "UPDATE contacts SET portal_status = 'SUSPENDED' WHERE id = ?", suspendedLater.ID)

		decide := func(p portal.Principal, approvalID string) func() error {
			return func() error {
				_, _, err := s.DecideApproval(ctx, p, portal.DecideApprovalInput{ApprovalID: approvalID, Outcome: portal.DecisionOutcomeApproved, IdempotencyKey: "key-who-1"})
				return err
			}
		}
		cases := []struct {
			name string
			run  func() error
			code portal.Code
		}{
			// A contact of the client sees the approval: being told they
			// may not decide reveals nothing.
			{"non-approver of the client", decide(sqltest.Portal(bystander), a.ID), portal.CodeForbidden},
			{"contact of another client", decide(sqltest.Portal(f.BActive), a.ID), portal.CodeNotFound},
			{"contact of another workspace", decide(sqltest.Portal(f.XActive), a.ID), portal.CodeNotFound},
			{"suspended contact", decide(sqltest.Portal(f.ASuspended), a.ID), portal.CodeNotFound},
			{"approver suspended since", decide(sqltest.Portal(suspendedLater), a.ID), portal.CodeNotFound},
			{"approver, internal deliverable", decide(sqltest.Portal(f.AActive), f.ApprovalInternal.ID), portal.CodeNotFound},
			{"staff", decide(sqltest.Staff(f.Owner), a.ID), portal.CodeForbidden},
			{"anonymous", decide(portal.Anonymous(), a.ID), portal.CodeForbidden},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) { unchanged(t, s, c.code, c.run) })
		}
		// The portal's settings close it as well.
		t.Run("approvals section hidden", func(t *testing.T) {
			exec(t, s, "UPDATE clients SET portal_approvals = FALSE WHERE id = ?", f.A.ID)
			defer exec(t, s, "UPDATE clients SET portal_approvals = TRUE WHERE id = ?", f.A.ID)
			unchanged(t, s, portal.CodeNotFound, decide(sqltest.Portal(approver), a.ID))
		})
		t.Run("portal disabled", func(t *testing.T) {
			exec(t, s, "UPDATE clients SET portal_enabled = FALSE WHERE id = ?", f.A.ID)
			defer exec(t, s, "UPDATE clients SET portal_enabled = TRUE WHERE id = ?", f.A.ID)
			unchanged(t, s, portal.CodeNotFound, decide(sqltest.Portal(approver), a.ID))
		})

		record := func(p portal.Principal, contactID string) func() error {
			return func() error {
				_, _, err := s.RecordApprovalDecision(ctx, p, portal.RecordApprovalDecisionInput{
					ApprovalID: a.ID, ContactID: contactID, Outcome: portal.DecisionOutcomeApproved, IdempotencyKey: "key-who-2",
				})
				return err
			}
		}
		t.Run("on behalf refused", func(t *testing.T) {
			unchanged(t, s, portal.CodeBadUserInput, record(sqltest.Staff(f.Manager), bystander.ID), "input.contactId")
			unchanged(t, s, portal.CodeBadUserInput, record(sqltest.Staff(f.Manager), f.BActive.ID), "input.contactId")
			unchanged(t, s, portal.CodeForbidden, record(sqltest.Staff(f.Member), approver.ID))
			unchanged(t, s, portal.CodeForbidden, record(sqltest.Staff(f.Viewer), approver.ID))
			unchanged(t, s, portal.CodeForbidden, record(sqltest.Portal(approver), approver.ID))
			unchanged(t, s, portal.CodeNotFound, record(sqltest.Staff(f.Owner2), approver.ID))
		})

		t.Run("on behalf", func(t *testing.T) {
			before := allIDs(t, s, "activity_events")
			d, after, err := s.RecordApprovalDecision(ctx, sqltest.Staff(f.Manager), portal.RecordApprovalDecisionInput{
				ApprovalID: a.ID, ContactID: approver.ID, Outcome: portal.DecisionOutcomeApproved,
				Comment: ptr("said yes on the phone"), InternalNote: ptr("call on Monday"), IdempotencyKey: "key-who-3",
			})
			noErr(t, err)
			if d.ContactID != approver.ID || d.RecordedByID == nil || *d.RecordedByID != f.Manager.ID || !d.OnBehalf() ||
				deref(d.InternalNote) != "call on Monday" || deref(d.Comment) != "said yes on the phone" {
				t.Errorf("decision on behalf %+v", d)
			}
			stored(t, d, reread(t, f, d.ID, s.DecisionsByID))
			if after.Status != portal.ApprovalStatusPending {
				t.Errorf("approval %s, want PENDING (two approvers left)", after.Status)
			}
			wantEvents(t, s, f, before, flowEvent{portal.ActivityActionDecisionRecorded, a.ID, f.A.ID, byUser(f.Manager)})
			// The contact sees it among the current decisions, marked.
			current, err := s.DecisionsOf(ctx, sqltest.Portal(f.AActive), []string{a.ID})
			noErr(t, err)
			if got := current[a.ID]; len(got) != 1 || got[0].ID != d.ID || !got[0].OnBehalf() {
				t.Errorf("decisions seen by the portal %+v", got)
			}
		})
	})
}

// Staff manage approvals with APPROVALS_CREATE and APPROVALS_UPDATE: a MEMBER may request,
// remind, resubmit and cancel; a VIEWER and a portal contact may not.
func TestApprovalManagementNeedsPermission(t *testing.T) {
	withFixture(t, func(t *testing.T, s *sqlstore.Store, f *sqltest.Fixture) {
		ctx := t.Context()
		denied := []struct {
			name string
			p    portal.Principal
		}{
			{"viewer", sqltest.Staff(f.Viewer)}, {"portal contact", sqltest.Portal(f.AActive)}, {"anonymous", portal.Anonymous()},
		}
		request := func(p portal.Principal) (*portal.Approval, error) {
			return s.RequestApproval(ctx, p, portal.RequestApprovalInput{DeliverableID: f.DShared.ID, Title: "Approve", ApproverIds: []string{f.AActive.ID}})
		}
		remind := func(p portal.Principal, id string) error { _, _, err := s.RemindApprovers(ctx, p, id); return err }
		cancel := func(p portal.Principal, id string) error { _, err := s.CancelApproval(ctx, p, id); return err }
		resubmit := func(p portal.Principal, id string) (*portal.Approval, error) {
			return s.ResubmitApproval(ctx, p, portal.ResubmitApprovalInput{ApprovalID: id})
		}
		member := sqltest.Staff(f.Member)
		// refused checks each principal of denied is refused, writing nothing.
		refused := func(what string, run func(p portal.Principal) error) {
			for _, d := range denied {
				t.Run(d.name+" "+what, func(t *testing.T) {
					unchanged(t, s, portal.CodeForbidden, func() error { return run(d.p) })
				})
			}
		}

		refused("requests", func(p portal.Principal) error { _, err := request(p); return err })
		a, err := request(member)
		noErr(t, err)
		refused("reminds", func(p portal.Principal) error { return remind(p, a.ID) })
		noErr(t, remind(member, a.ID))
		mustDecide(t, s, f.AActive, a.ID, portal.DecisionOutcomeChangesRequested, "key-perm-1")
		refused("resubmits", func(p portal.Principal) error { _, err := resubmit(p, a.ID); return err })
		next, err := resubmit(member, a.ID)
		noErr(t, err)
		refused("cancels", func(p portal.Principal) error { return cancel(p, next.ID) })
		noErr(t, cancel(member, next.ID))
		// Another workspace's staff do not see W1's approvals at all.
		other := sqltest.Staff(f.Owner2)
		unchanged(t, s, portal.CodeNotFound, func() error { return remind(other, f.ApprovalInternal.ID) })
		unchanged(t, s, portal.CodeNotFound, func() error { return cancel(other, f.ApprovalInternal.ID) })
		unchanged(t, s, portal.CodeNotFound, func() error { _, err := resubmit(other, a.ID); return err })
	})
}

func TestApprovalDecisionIdempotency(t *testing.T) {
	withFixture(t, func(t *testing.T, s *sqlstore.Store, f *sqltest.Fixture) {
		ctx := t.Context()
		second := acmeContacts(t, s, f, 1)[0]
		a := requestApproval(t, s, f, f.DShared.ID, portal.ApprovalPolicyAll, f.AActive, second)
		decisions := func() int {
			return countRows(t, s, "SELECT COUNT(*) FROM approval_decisions WHERE approval_id = ?", a.ID)
		}
		in := portal.DecideApprovalInput{ApprovalID: a.ID, Outcome: portal.DecisionOutcomeApproved, Comment: ptr("ok"), IdempotencyKey: "key-idem-1"}

		before := allIDs(t, s, "activity_events")
		d1, _, err := s.DecideApproval(ctx, sqltest.Portal(f.AActive), in)
		noErr(t, err)
		snapshot := dump(t, s)
		again, after, err := s.DecideApproval(ctx, sqltest.Portal(f.AActive), in)
		noErr(t, err)
		if again.ID != d1.ID || after.Status != portal.ApprovalStatusPending {
			t.Errorf("retry answered decision %s on a %s approval, want %s on PENDING", again.ID, after.Status, d1.ID)
		}
		stored(t, d1, again)
		if dump(t, s) != snapshot {
			t.Error("a retry wrote something")
		}
		if n := decisions(); n != 1 {
			t.Errorf("%d decisions, want 1", n)
		}
		wantEvents(t, s, f, before, flowEvent{portal.ActivityActionDecisionRecorded, a.ID, f.A.ID, byContact(f.AActive)})

		// The key names that decision: anything else under it is a conflict.
		for name, change := range map[string]func(in *portal.DecideApprovalInput) portal.Principal{
			"other outcome": func(in *portal.DecideApprovalInput) portal.Principal {
				in.Outcome = portal.DecisionOutcomeChangesRequested
				return sqltest.Portal(f.AActive)
			},
			"other comment": func(in *portal.DecideApprovalInput) portal.Principal {
				in.Comment = ptr("not ok")
				return sqltest.Portal(f.AActive)
			},
			"other contact": func(in *portal.DecideApprovalInput) portal.Principal { return sqltest.Portal(second) },
		} {
			t.Run(name, func(t *testing.T) {
				other := in
				p := change(&other)
				unchanged(t, s, portal.CodeConflict, func() error { _, _, err := s.DecideApproval(ctx, p, other); return err })
			})
		}

		// A new key is a new decision, which supersedes the first.
		d2, _, err := s.DecideApproval(ctx, sqltest.Portal(f.AActive), portal.DecideApprovalInput{
			ApprovalID: a.ID, Outcome: portal.DecisionOutcomeApproved, IdempotencyKey: "key-idem-2",
		})
		noErr(t, err)
		if d2.ID == d1.ID || decisions() != 2 {
			t.Fatalf("second key: decision %s (first %s), %d decisions", d2.ID, d1.ID, decisions())
		}
		current, err := s.DecisionsOf(ctx, sqltest.Staff(f.Owner), []string{a.ID})
		noErr(t, err)
		if got := idsOf(current[a.ID]); !slices.Equal(got, []string{d2.ID}) {
			t.Errorf("current decisions %v, want only %s", got, d2.ID)
		}

		// The decision that resolves the approval is still answered on retry.
		d3, resolved, err := decideAs(t, s, second, a.ID, portal.DecisionOutcomeApproved, "key-idem-3")
		noErr(t, err)
		if resolved.Status != portal.ApprovalStatusApproved {
			t.Fatalf("approval %s, want APPROVED", resolved.Status)
		}
		snapshot = dump(t, s)
		for _, retry := range []struct {
			c   *portal.Contact
			key string
			d   *portal.ApprovalDecision
		}{{second, "key-idem-3", d3}, {f.AActive, "key-idem-2", d2}} {
			got, after, err := decideAs(t, s, retry.c, a.ID, portal.DecisionOutcomeApproved, retry.key)
			noErr(t, err)
			if got.ID != retry.d.ID || after.Status != portal.ApprovalStatusApproved {
				t.Errorf("retry of %s after resolution: decision %s on %s, want %s on APPROVED", retry.key, got.ID, after.Status, retry.d.ID)
			}
		}
		// The superseded decision's key answers the superseded decision.
		old, _, err := s.DecideApproval(ctx, sqltest.Portal(f.AActive), in)
		noErr(t, err)
		if old.ID != d1.ID || !old.Superseded() {
			t.Errorf("retry of the first key answered %+v, want the superseded %s", old, d1.ID)
		}
		if dump(t, s) != snapshot {
			t.Error("retries after resolution wrote something")
		}
		// A new key after resolution is a new decision: too late.
		unchanged(t, s, portal.CodeConflict, func() error {
			_, _, err := decideAs(t, s, f.AActive, a.ID, portal.DecisionOutcomeRejected, "key-idem-4")
			return err
		})

		// Decisions recorded on a contact's behalf are idempotent too.
		b := requestApproval(t, s, f, f.DShared.ID, portal.ApprovalPolicyAll, f.AActive, second)
		rec := portal.RecordApprovalDecisionInput{ApprovalID: b.ID, ContactID: second.ID, Outcome: portal.DecisionOutcomeApproved, IdempotencyKey: "key-idem-5"}
		r1, _, err := s.RecordApprovalDecision(ctx, sqltest.Staff(f.Manager), rec)
		noErr(t, err)
		snapshot = dump(t, s)
		r2, _, err := s.RecordApprovalDecision(ctx, sqltest.Staff(f.Manager), rec)
		noErr(t, err)
		if r2.ID != r1.ID || dump(t, s) != snapshot {
			t.Errorf("retried record on behalf: %s, want %s and nothing written", r2.ID, r1.ID)
		}
		// A key belongs to whoever made the request: another staff member
		// sending it is not a retry.
		unchanged(t, s, portal.CodeConflict, func() error {
			_, _, err := s.RecordApprovalDecision(ctx, sqltest.Staff(f.Owner), rec)
			return err
		})
	})
}

// A resolved or cancelled approval takes no decision; cancelling works
// once, on a pending approval.
func TestApprovalResolvedAndCancelled(t *testing.T) {
	withFixture(t, func(t *testing.T, s *sqlstore.Store, f *sqltest.Fixture) {
		ctx, m := t.Context(), sqltest.Staff(f.Manager)
		decide := func(c *portal.Contact, id string) func() error {
			return func() error {
				_, _, err := decideAs(t, s, c, id, portal.DecisionOutcomeRejected, "key-closed-1")
				return err
			}
		}
		record := func(id string) func() error {
			return func() error {
				_, _, err := s.RecordApprovalDecision(ctx, m, portal.RecordApprovalDecisionInput{
					ApprovalID: id, ContactID: f.AActive.ID, Outcome: portal.DecisionOutcomeRejected, IdempotencyKey: "key-closed-2",
				})
				return err
			}
		}
		cancel := func(id string) func() error {
			return func() error { _, err := s.CancelApproval(ctx, m, id); return err }
		}

		// ApprovalShared was approved by AActive.
		unchanged(t, s, portal.CodeConflict, decide(f.AActive, f.ApprovalShared.ID))
		unchanged(t, s, portal.CodeConflict, record(f.ApprovalShared.ID))
		unchanged(t, s, portal.CodeConflict, cancel(f.ApprovalShared.ID))

		a := requestApproval(t, s, f, f.DShared.ID, portal.ApprovalPolicyAny, f.AActive)
		before := allIDs(t, s, "activity_events")
		cancelled, err := s.CancelApproval(ctx, m, a.ID)
		noErr(t, err)
		if cancelled.Status != portal.ApprovalStatusCancelled || cancelled.ResolvedAt == nil {
			t.Errorf("cancelled approval %s resolved at %v", cancelled.Status, cancelled.ResolvedAt)
		}
		stored(t, cancelled, reread(t, f, a.ID, s.ApprovalsByID))
		if got := deliverableStatus(t, s, f, f.DShared.ID); got != portal.DeliverableStatusInProgress {
			t.Errorf("deliverable %s, want IN_PROGRESS", got)
		}
		wantEvents(t, s, f, before, flowEvent{portal.ActivityActionApprovalCancelled, a.ID, f.A.ID, byUser(f.Manager)})

		unchanged(t, s, portal.CodeConflict, cancel(a.ID))
		unchanged(t, s, portal.CodeConflict, decide(f.AActive, a.ID))
		unchanged(t, s, portal.CodeConflict, record(a.ID))
		unchanged(t, s, portal.CodeConflict, func() error { _, _, err := s.RemindApprovers(ctx, m, a.ID); return err })
		// A cancelled round is not resubmitted: a new request starts over.
		unchanged(t, s, portal.CodeConflict, func() error {
			_, err := s.ResubmitApproval(ctx, m, portal.ResubmitApprovalInput{ApprovalID: a.ID})
			return err
		})
		requestApproval(t, s, f, f.DShared.ID, portal.ApprovalPolicyAny, f.AActive)
	})
}

func TestApprovalReminders(t *testing.T) {
	withFixture(t, func(t *testing.T, s *sqlstore.Store, f *sqltest.Fixture) {
		ctx := t.Context()
		more := acmeContacts(t, s, f, 2)
		a := requestApproval(t, s, f, f.DShared.ID, portal.ApprovalPolicyAll, f.AActive, more[0], more[1])
		mustDecide(t, s, f.AActive, a.ID, portal.DecisionOutcomeApproved, "key-remind-1")

		beforeEvents, beforeMail := allIDs(t, s, "activity_events"), allIDs(t, s, "outbox")
		reminded, waiting, err := s.RemindApprovers(ctx, sqltest.Staff(f.Member), a.ID)
		noErr(t, err)
		if got, want := idsOf(waiting), idsOf(more); !slices.Equal(got, want) { // by name
			t.Errorf("reminded %v, want %v (those without a decision)", got, want)
		}
		if reminded.RemindedAt == nil || reminded.Status != portal.ApprovalStatusPending {
			t.Fatalf("reminded approval %+v", reminded)
		}
		stored(t, reminded, reread(t, f, a.ID, s.ApprovalsByID))
		if got, want := mailSince(t, s, beforeMail), mailTo("APPROVAL_REMINDER", more...); !reflect.DeepEqual(got, want) {
			t.Errorf("mail %v, want %v", got, want)
		}
		wantEvents(t, s, f, beforeEvents, flowEvent{portal.ActivityActionApproversReminded, a.ID, f.A.ID, byUser(f.Member)})

		// One more decision: one left to remind.
		mustDecide(t, s, more[1], a.ID, portal.DecisionOutcomeApproved, "key-remind-2")
		beforeMail = allIDs(t, s, "outbox")
		again, waiting, err := s.RemindApprovers(ctx, sqltest.Staff(f.Manager), a.ID)
		noErr(t, err)
		if got := idsOf(waiting); !slices.Equal(got, []string{more[0].ID}) {
			t.Errorf("reminded %v, want only %s", got, more[0].ID)
		}
		if again.RemindedAt.Before(*reminded.RemindedAt) {
			t.Errorf("remindedAt went back from %v to %v", reminded.RemindedAt, again.RemindedAt)
		}
		if got, want := mailSince(t, s, beforeMail), mailTo("APPROVAL_REMINDER", more[0]); !reflect.DeepEqual(got, want) {
			t.Errorf("mail %v, want %v", got, want)
		}

		mustDecide(t, s, more[0], a.ID, portal.DecisionOutcomeApproved, "key-remind-3")
		unchanged(t, s, portal.CodeConflict, func() error { _, _, err := s.RemindApprovers(ctx, sqltest.Staff(f.Manager), a.ID); return err })
	})
}

// Reminders go only to approvers who can open the approval in their
// portal now; the others are named, with the rule they do not meet, in the
// activity, and when nobody is left the call is refused and writes nothing.
// Who may open it is checked against the portal's own reads.
func TestRemindersReachOnlyWhoCanOpenTheApproval(t *testing.T) {
	withFixture(t, func(t *testing.T, s *sqlstore.Store, f *sqltest.Fixture) {
		ctx, m := t.Context(), sqltest.Staff(f.Manager)
		more := acmeContacts(t, s, f, 3) // Approver 01, 02, 03
		// An approval loaded with every kind of approver: the store asks
		// only contacts with active access, but access changes afterwards
		// and imported data may hold anyone.
		b := dataset.New(time.Date(2026, 2, 3, 9, 0, 0, 0, time.UTC), 29)
		d := b.Deliverable(f.AShared, "Launch video", portal.DeliverableStatusInReview, portal.VisibilityShared)
		a := b.Approval(f.AShared, d, "Approve the launch video", portal.ApprovalPolicyAll, f.Manager,
			f.AActive, f.ASuspended, f.AInvited, more[0], more[1], more[2])
		noErr(t, s.Load(ctx, &b.Data))
		mustDecide(t, s, f.AActive, a.ID, portal.DecisionOutcomeApproved, "key-open-1") // decided: nothing to remind
		_, err := s.SuspendContact(ctx, sqltest.Staff(f.Owner), more[2].ID)
		noErr(t, err)

		remind := func() (*portal.Approval, []*portal.Contact, error) { return s.RemindApprovers(ctx, m, a.ID) }
		beforeEvents, beforeMail := allIDs(t, s, "activity_events"), allIDs(t, s, "outbox")
		_, reminded, err := remind()
		noErr(t, err)
		if got, want := idsOf(reminded), idsOf(more[:2]); !slices.Equal(got, want) {
			t.Errorf("reminded %v, want Approver 01 and 02", got)
		}
		if got, want := mailSince(t, s, beforeMail), mailTo("APPROVAL_REMINDER", more[:2]...); !reflect.DeepEqual(got, want) {
			t.Errorf("mail %v, want %v", got, want)
		}
		// Everyone not decided who is not reminded is exactly who the
		// portal's reads do not show the approval.
		for _, c := range []*portal.Contact{f.ASuspended, f.AInvited, more[0], more[1], more[2]} {
			seen, err := s.ApprovalsByID(ctx, sqltest.Portal(c), []string{a.ID})
			noErr(t, err)
			if sees, was := len(seen) == 1, slices.Contains(idsOf(reminded), c.ID); sees != was {
				t.Errorf("%s sees the approval: %v, reminded: %v", c.Name, sees, was)
			}
		}
		events, err := s.ActivityByID(ctx, sqltest.Staff(f.Owner), newIDs(t, s, "activity_events", beforeEvents))
		noErr(t, err)
		const access = "not met: contact's portal access active"
		want := "Reminded Approver 01, Approver 02 about Approve the launch video; not reminded, as their portal does not show it now: " +
			"Approver 03 (" + access + "); Ivy Invited (" + access + "); Sid Suspended (" + access + ")"
		if len(events) != 1 || events[0].Action != portal.ActivityActionApproversReminded || events[0].Summary != want {
			t.Errorf("events %+v, want one saying\n %s", events, want)
		}

		// When the client's portal stops showing the approval to anyone,
		// nobody can be reminded: refused, saying why, nothing written.
		for _, c := range []struct {
			name        string
			hide, again func()
			unmet       string
		}{
			{"approvals section hidden",
				func() { setPortal(t, s, f, nil, &portal.PortalSectionsInput{Approvals: ptr(false)}) },
				func() { setPortal(t, s, f, nil, &portal.PortalSectionsInput{Approvals: ptr(true)}) },
				"approvals section shown in the portal"},
			{"portal off",
				func() { setPortal(t, s, f, ptr(false), nil) },
				func() { setPortal(t, s, f, ptr(true), nil) },
				"client portal enabled"},
			{"deliverable no longer shared",
				func() { setVisibility(t, s, f, d.ID, portal.VisibilityInternal) },
				func() { setVisibility(t, s, f, d.ID, portal.VisibilityShared) },
				"shared with the contact's client, with everything above it"},
		} {
			t.Run(c.name, func(t *testing.T) {
				c.hide()
				var err error
				unchanged(t, s, portal.CodeConflict, func() error { _, _, err = remind(); return err })
				for _, who := range []string{"Approver 01", "Approver 02"} {
					if want := who + " (not met: " + c.unmet; !strings.Contains(err.Error(), want) {
						t.Errorf("refusal %q does not say %q", err, want)
					}
				}
				if !strings.HasPrefix(err.Error(), "nobody was reminded: ") {
					t.Errorf("refusal %q", err)
				}
				c.again()
				_, reminded, err := remind()
				noErr(t, err)
				if got, want := idsOf(reminded), idsOf(more[:2]); !slices.Equal(got, want) {
					t.Errorf("reminded %v once shown again, want Approver 01 and 02", got)
				}
			})
		}
	})
}

// setPortal turns client A's portal on or off and sets its sections, as
// the owner.
func setPortal(t *testing.T, s *sqlstore.Store, f *sqltest.Fixture, enabled *bool, sections *portal.PortalSectionsInput) {
	t.Helper()
	_, err := s.SetClientPortal(t.Context(), sqltest.Staff(f.Owner), portal.SetClientPortalInput{ClientID: f.A.ID, Enabled: enabled, Sections: sections})
	noErr(t, err)
}

// setVisibility shares a deliverable or takes it back, as the manager.
func setVisibility(t *testing.T, s *sqlstore.Store, f *sqltest.Fixture, id string, v portal.Visibility) {
	t.Helper()
	_, err := s.UpdateDeliverable(t.Context(), sqltest.Staff(f.Manager), portal.UpdateDeliverableInput{ID: id, Visibility: &v})
	noErr(t, err)
}

func TestResubmitApproval(t *testing.T) {
	withFixture(t, func(t *testing.T, s *sqlstore.Store, f *sqltest.Fixture) {
		ctx, m := t.Context(), sqltest.Staff(f.Manager)
		other := acmeContacts(t, s, f, 1)[0]
		resubmit := func(in portal.ResubmitApprovalInput) func() error {
			return func() error { _, err := s.ResubmitApproval(ctx, m, in); return err }
		}
		round1 := requestApproval(t, s, f, f.DShared.ID, portal.ApprovalPolicyAll, f.AActive, other)
		// Still pending: nothing to resubmit.
		unchanged(t, s, portal.CodeConflict, resubmit(portal.ResubmitApprovalInput{ApprovalID: round1.ID}))
		mustDecide(t, s, f.AActive, round1.ID, portal.DecisionOutcomeChangesRequested, "key-round-1")

		beforeEvents, beforeMail := allIDs(t, s, "activity_events"), allIDs(t, s, "outbox")
		round2, err := s.ResubmitApproval(ctx, m, portal.ResubmitApprovalInput{ApprovalID: round1.ID, Message: ptr("fixed the logo")})
		noErr(t, err)
		got := []any{round2.Round, deref(round2.PreviousRoundID), round2.Status, round2.Policy, round2.DeliverableID, round2.Title, deref(round2.Message), *round2.RequestedByID}
		want := []any{2, round1.ID, portal.ApprovalStatusPending, portal.ApprovalPolicyAll, f.DShared.ID, round1.Title, "fixed the logo", f.Manager.ID}
		if !reflect.DeepEqual(got, want) || round2.ID == round1.ID {
			t.Errorf("round 2 fields\n %v\nwant\n %v", got, want)
		}
		stored(t, round2, reread(t, f, round2.ID, s.ApprovalsByID))
		if got, want := approverIDsOf(t, s, f, round2.ID), approverIDsOf(t, s, f, round1.ID); !slices.Equal(got, want) {
			t.Errorf("round 2 approvers %v, want round 1's %v", got, want)
		}
		if got := deliverableStatus(t, s, f, f.DShared.ID); got != portal.DeliverableStatusInReview {
			t.Errorf("deliverable %s, want IN_REVIEW", got)
		}
		wantEvents(t, s, f, beforeEvents, flowEvent{portal.ActivityActionApprovalResubmitted, round2.ID, f.A.ID, byUser(f.Manager)})
		if got, want := mailSince(t, s, beforeMail), mailTo("APPROVAL_REQUESTED", f.AActive, other); !reflect.DeepEqual(got, want) {
			t.Errorf("mail %v, want %v", got, want)
		}
		// The round before is left as it was, and links to the next one,
		// for staff and for the portal.
		if r1 := reread(t, f, round1.ID, s.ApprovalsByID); r1.Status != portal.ApprovalStatusChangesRequested {
			t.Errorf("round 1 is %s now", r1.Status)
		}
		for _, p := range []portal.Principal{m, sqltest.Portal(f.AActive)} {
			next, err := s.NextRoundsOf(ctx, p, []string{round1.ID, round2.ID})
			noErr(t, err)
			if len(next) != 1 || next[round1.ID] == nil || next[round1.ID].ID != round2.ID {
				t.Errorf("next rounds for %s: %v, want round 1 → round 2", p.Audience, next)
			}
		}

		// A round is resubmitted once; pending and approved rounds not at all.
		unchanged(t, s, portal.CodeConflict, resubmit(portal.ResubmitApprovalInput{ApprovalID: round1.ID}))
		unchanged(t, s, portal.CodeConflict, resubmit(portal.ResubmitApprovalInput{ApprovalID: round2.ID}))
		unchanged(t, s, portal.CodeConflict, resubmit(portal.ResubmitApprovalInput{ApprovalID: f.ApprovalShared.ID}))

		// Rejected: the next round may name other approvers, who are
		// checked like a request's.
		mustDecide(t, s, other, round2.ID, portal.DecisionOutcomeRejected, "key-round-2")
		if got := deliverableStatus(t, s, f, f.DShared.ID); got != portal.DeliverableStatusInProgress {
			t.Errorf("deliverable after rejection %s, want IN_PROGRESS", got)
		}
		yesterday := today().AddDays(-1)
		unchanged(t, s, portal.CodeBadUserInput, resubmit(portal.ResubmitApprovalInput{ApprovalID: round2.ID, ApproverIds: []string{f.BActive.ID}}), "input.approverIds")
		unchanged(t, s, portal.CodeBadUserInput, resubmit(portal.ResubmitApprovalInput{ApprovalID: round2.ID, ApproverIds: []string{}}), "input.approverIds")
		unchanged(t, s, portal.CodeBadUserInput, resubmit(portal.ResubmitApprovalInput{ApprovalID: round2.ID, DueOn: &yesterday}), "input.dueOn")
		due := today().AddDays(3)
		round3, err := s.ResubmitApproval(ctx, m, portal.ResubmitApprovalInput{ApprovalID: round2.ID, ApproverIds: []string{other.ID}, DueOn: &due})
		noErr(t, err)
		if round3.Round != 3 || deref(round3.PreviousRoundID) != round2.ID || round3.DueOn.String() != due.String() || deref(round3.Message) != "fixed the logo" {
			t.Errorf("round 3 %+v", round3)
		}
		if got := approverIDsOf(t, s, f, round3.ID); !slices.Equal(got, []string{other.ID}) {
			t.Errorf("round 3 approvers %v, want only %s", got, other.ID)
		}
		next, err := s.NextRoundsOf(ctx, m, []string{round1.ID, round2.ID, round3.ID})
		noErr(t, err)
		if len(next) != 2 || next[round1.ID].ID != round2.ID || next[round2.ID].ID != round3.ID {
			t.Errorf("next rounds %v", next)
		}

		// A deliverable no longer shared takes no new round; the input
		// names the approval, the only field that leads to it.
		mustDecide(t, s, other, round3.ID, portal.DecisionOutcomeChangesRequested, "key-round-3")
		_, err = s.UpdateDeliverable(ctx, m, portal.UpdateDeliverableInput{ID: f.DShared.ID, Visibility: ptr(portal.VisibilityInternal)})
		noErr(t, err)
		unchanged(t, s, portal.CodeBadUserInput, resubmit(portal.ResubmitApprovalInput{ApprovalID: round3.ID}), "input.approvalId")
	})
}

// The lists of approvals: the root list with its filters, for staff and for
// a portal contact, and approvals per client.
func TestApprovalLists(t *testing.T) {
	withFixture(t, func(t *testing.T, s *sqlstore.Store, f *sqltest.Fixture) {
		ctx, m := t.Context(), sqltest.Staff(f.Manager)
		lab := labelsOf(f)
		second := acmeContacts(t, s, f, 1)[0]
		lab[second.ID] = "Second"
		project2, err := s.CreateProject(ctx, m, portal.CreateProjectInput{ClientID: f.A.ID, Name: "Acme second", Visibility: ptr(portal.VisibilityShared)})
		noErr(t, err)
		in := func(days int) *portal.Date { d := today().AddDays(days); return &d }
		newApproval := func(label, projectID string, due *portal.Date, approvers ...*portal.Contact) *portal.Approval {
			d := sharedDeliverable(t, s, f, projectID, label)
			a, err := s.RequestApproval(ctx, m, portal.RequestApprovalInput{DeliverableID: d.ID, Title: label, ApproverIds: idsOf(approvers), DueOn: due})
			noErr(t, err)
			lab[a.ID] = label
			return a
		}
		newApproval("P1", f.AShared.ID, in(10), f.AActive)
		newApproval("P2", project2.ID, in(20), second)
		p3 := newApproval("P3", f.AShared.ID, in(30), f.AActive, second)
		mustDecide(t, s, second, p3.ID, portal.DecisionOutcomeChangesRequested, "key-lists-1")

		list := func(p portal.Principal, filter portal.ApprovalFilter) []string {
			t.Helper()
			c, err := s.Approvals(ctx, p, filter, nil, all)
			noErr(t, err)
			ids := edgeIDs(c)
			if c.TotalCount != len(ids) {
				t.Errorf("totalCount %d, %d edges", c.TotalCount, len(ids))
			}
			return lab.of(ids)
		}
		pending := []portal.ApprovalStatus{portal.ApprovalStatusPending}
		cases := []struct {
			name   string
			p      portal.Principal
			filter portal.ApprovalFilter
			want   []string
		}{
			{"staff, all", m, portal.ApprovalFilter{}, []string{"ApprovalInternal", "ApprovalShared", "BApproval", "P1", "P2", "P3"}},
			{"staff, pending", m, portal.ApprovalFilter{Status: pending}, []string{"ApprovalInternal", "BApproval", "P1", "P2"}},
			{"staff, approved or changes", m, portal.ApprovalFilter{Status: []portal.ApprovalStatus{portal.ApprovalStatusApproved, portal.ApprovalStatusChangesRequested}},
				[]string{"ApprovalShared", "P3"}},
			{"staff, approver", m, portal.ApprovalFilter{ApproverID: &f.AActive.ID}, []string{"ApprovalInternal", "ApprovalShared", "P1", "P3"}},
			{"staff, pending of approver", m, portal.ApprovalFilter{Status: pending, ApproverID: &second.ID}, []string{"P2"}},
			{"staff, client B", m, portal.ApprovalFilter{ClientID: &f.B.ID}, []string{"BApproval"}},
			{"staff, project", m, portal.ApprovalFilter{ProjectID: &project2.ID}, []string{"P2"}},
			{"staff, due before", m, portal.ApprovalFilter{DueBefore: in(20)}, []string{"P1", "P2"}},
			{"staff, due after", m, portal.ApprovalFilter{DueAfter: in(20)}, []string{"P2", "P3"}},
			{"staff, due between", m, portal.ApprovalFilter{DueAfter: in(11), DueBefore: in(29)}, []string{"P2"}},
			{"staff, W2's client", m, portal.ApprovalFilter{ClientID: &f.X.ID}, nil},
			// The portal shows only the client's approvals of shared work.
			{"portal, all", sqltest.Portal(f.AActive), portal.ApprovalFilter{}, []string{"ApprovalShared", "P1", "P2", "P3"}},
			{"portal, my pending", sqltest.Portal(f.AActive), portal.ApprovalFilter{Status: pending, ApproverID: &f.AActive.ID}, []string{"P1"}},
			{"portal, another's pending", sqltest.Portal(f.AActive), portal.ApprovalFilter{Status: pending, ApproverID: &second.ID}, []string{"P2"}},
			{"portal, client B", sqltest.Portal(f.AActive), portal.ApprovalFilter{ClientID: &f.B.ID}, nil},
			{"portal, B's contact", sqltest.Portal(f.BActive), portal.ApprovalFilter{}, []string{"BApproval"}},
			{"portal, suspended", sqltest.Portal(f.ASuspended), portal.ApprovalFilter{}, nil},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				want := c.want
				if want == nil {
					want = []string{}
				}
				if got := list(c.p, c.filter); !slices.Equal(got, want) {
					t.Errorf("approvals %v, want %v", got, want)
				}
			})
		}

		perClient := func(p portal.Principal, status []portal.ApprovalStatus) map[string][]string {
			t.Helper()
			pages, err := s.ApprovalsOf(ctx, p, portal.RecordTypeClient, []string{f.A.ID, f.B.ID}, status, all)
			noErr(t, err)
			out := map[string][]string{}
			for _, id := range []string{f.A.ID, f.B.ID} {
				if c := pages[id]; c != nil {
					if ids := edgeIDs(c); len(ids) > 0 || c.TotalCount > 0 {
						if c.TotalCount != len(ids) {
							t.Errorf("totalCount %d, %d edges", c.TotalCount, len(ids))
						}
						out[lab[id]] = lab.of(ids)
					}
				}
			}
			return out
		}
		for _, c := range []struct {
			name   string
			p      portal.Principal
			status []portal.ApprovalStatus
			want   map[string][]string
		}{
			{"staff, pending", m, pending, map[string][]string{"A": {"ApprovalInternal", "P1", "P2"}, "B": {"BApproval"}}},
			{"staff, all", m, nil, map[string][]string{"A": {"ApprovalInternal", "ApprovalShared", "P1", "P2", "P3"}, "B": {"BApproval"}}},
			{"portal, pending", sqltest.Portal(f.AActive), pending, map[string][]string{"A": {"P1", "P2"}}},
			{"portal, changes requested", sqltest.Portal(f.AActive), []portal.ApprovalStatus{portal.ApprovalStatusChangesRequested}, map[string][]string{"A": {"P3"}}},
		} {
			t.Run("per client, "+c.name, func(t *testing.T) {
				if got := perClient(c.p, c.status); !reflect.DeepEqual(got, c.want) {
					t.Errorf("approvals per client %v, want %v", got, c.want)
				}
			})
		}
	})
}

// Decisions racing on one approval: an ALL approval with eight approvers,
// each sending four decisions at once (plus retries of some, and in some
// rounds a cancellation). Whatever order they land in, the result must be
// one a serial order gives: every call succeeds or gets CONFLICT, the
// status is the rollup of the decisions kept, each approver's latest
// decision is the current one, and nothing refused left a trace.
func TestApprovalConcurrentDecisions(t *testing.T) {
	withFixture(t, func(t *testing.T, s *sqlstore.Store, f *sqltest.Fixture) {
		approvers := acmeContacts(t, s, f, 8)
		scenarios := []struct {
			name            string
			changes, reject bool
			cancel          bool
		}{
			{"all approve", false, false, false},
			{"some ask for changes", true, false, false},
			{"all approve, cancelled meanwhile", false, false, true},
			{"changes and rejections", true, true, false},
			{"changes, cancelled meanwhile", true, false, true},
		}
		for i, sc := range scenarios {
			t.Run(sc.name, func(t *testing.T) {
				raceDecisions(t, s, f, approvers, i, sc.changes, sc.reject, sc.cancel)
			})
		}
	})
}

// raceCall is one call of the race and what it returned.
type raceCall struct {
	contact  *portal.Contact
	key      string
	outcome  portal.DecisionOutcome
	onBehalf bool
	retry    bool // the same request as an earlier call, sent again

	decision *portal.ApprovalDecision
	approval *portal.Approval
	err      error
}

// raceDecisions runs one round of the race on a new approval: each
// approver's fourth decision is recorded on their behalf by the manager,
// every other approver's second one is sent twice (a retry, same key), and
// with changes or reject a few decisions are not approvals. All calls wait
// on one start signal.
func raceDecisions(t *testing.T, s *sqlstore.Store, f *sqltest.Fixture, approvers []*portal.Contact, round int, changes, reject, cancel bool) {
	ctx, owner := t.Context(), sqltest.Staff(f.Owner)
	d := sharedDeliverable(t, s, f, f.AShared.ID, fmt.Sprintf("Race %d", round))
	a := requestApproval(t, s, f, d.ID, portal.ApprovalPolicyAll, approvers...)
	beforeEvents := allIDs(t, s, "activity_events")

	var calls []*raceCall
	for i, c := range approvers {
		for j := range 4 {
			call := &raceCall{contact: c, key: fmt.Sprintf("race-%d-%d-%d", round, i, j), outcome: portal.DecisionOutcomeApproved, onBehalf: j == 3}
			switch n := (i*4 + j + round) % 16; {
			case changes && n == 5, changes && n == 12:
				call.outcome = portal.DecisionOutcomeChangesRequested
			case reject && n == 9:
				call.outcome = portal.DecisionOutcomeRejected
			}
			calls = append(calls, call)
			if j == 1 && i%2 == 0 {
				again := *call
				again.retry = true
				calls = append(calls, &again)
			}
		}
	}
	var cancelErr error
	start := make(chan struct{})
	var wg sync.WaitGroup
	for _, call := range calls {
		wg.Go(func() {
			<-start
			if call.onBehalf {
				call.decision, call.approval, call.err = s.RecordApprovalDecision(ctx, sqltest.Staff(f.Manager), portal.RecordApprovalDecisionInput{
					ApprovalID: a.ID, ContactID: call.contact.ID, Outcome: call.outcome, IdempotencyKey: call.key,
				})
			} else {
				call.decision, call.approval, call.err = s.DecideApproval(ctx, sqltest.Portal(call.contact), portal.DecideApprovalInput{
					ApprovalID: a.ID, Outcome: call.outcome, IdempotencyKey: call.key,
				})
			}
		})
	}
	if cancel {
		wg.Go(func() {
			<-start
			_, cancelErr = s.CancelApproval(ctx, sqltest.Staff(f.Manager), a.ID)
		})
	}
	close(start)
	wg.Wait()

	// Every call succeeded or was refused as a conflict; a retry was
	// answered like the request it repeats.
	ok := map[string]*raceCall{} // successful calls by key
	conflicts := 0
	for _, call := range calls {
		switch {
		case call.err == nil:
			if prev, seen := ok[call.key]; seen && prev.decision.ID != call.decision.ID {
				t.Errorf("key %s answered with decisions %s and %s", call.key, prev.decision.ID, call.decision.ID)
			}
			ok[call.key] = call
		case portal.ErrorCode(call.err) == portal.CodeConflict:
			conflicts++
		default:
			t.Errorf("decision %s of %s: %v (code %s), want success or CONFLICT", call.key, call.contact.Name, call.err, portal.ErrorCode(call.err))
		}
	}
	for _, call := range calls {
		if call.err != nil && ok[call.key] != nil {
			t.Errorf("key %s both succeeded and failed (%v)", call.key, call.err)
		}
	}
	if cancel && cancelErr != nil && portal.ErrorCode(cancelErr) != portal.CodeConflict {
		t.Errorf("cancel: %v, want success or CONFLICT", cancelErr)
	}

	// The decisions kept are exactly those answered, one per key.
	history, err := s.DecisionHistoryOf(ctx, owner, []string{a.ID})
	noErr(t, err)
	kept := history[a.ID]
	succeeded := 0 // first sends only: a retry must not add a decision
	for _, call := range calls {
		if call.err == nil && !call.retry {
			succeeded++
		}
	}
	if len(kept) != succeeded || len(kept) != len(ok) {
		t.Errorf("%d decisions kept, %d calls (%d keys) answered with success", len(kept), succeeded, len(ok))
	}
	latest := map[string]*portal.ApprovalDecision{} // by contact, in ID (= commit) order
	for _, d := range kept {
		call := ok[deref(d.IdempotencyKey)]
		switch {
		case call == nil:
			t.Errorf("decision %s with key %q was not answered to any call", d.ID, deref(d.IdempotencyKey))
		case call.decision.ID != d.ID || call.contact.ID != d.ContactID || call.outcome != d.Outcome || call.onBehalf != d.OnBehalf():
			t.Errorf("decision %+v kept for call %+v", d, call)
		}
		if prev := latest[d.ContactID]; prev != nil && !prev.Superseded() {
			t.Errorf("decision %s of %s is current, but %s came after it", prev.ID, d.ContactID, d.ID)
		}
		latest[d.ContactID] = d
	}
	current := map[string]portal.DecisionOutcome{}
	currentDecisions, err := s.DecisionsOf(ctx, owner, []string{a.ID})
	noErr(t, err)
	for _, d := range currentDecisions[a.ID] {
		if _, twice := current[d.ContactID]; twice {
			t.Errorf("%s has two current decisions", d.ContactID)
		}
		if latest[d.ContactID] == nil || latest[d.ContactID].ID != d.ID {
			t.Errorf("current decision %s of %s is not their latest", d.ID, d.ContactID)
		}
		current[d.ContactID] = d.Outcome
	}
	if len(current) != len(latest) {
		t.Errorf("%d approvers with a current decision, %d decided", len(current), len(latest))
	}

	// The status is what the kept decisions roll up to, or CANCELLED when
	// the cancellation came while they still did not resolve it.
	after := reread(t, f, a.ID, s.ApprovalsByID)
	rollUp := portal.RollUp(after.Policy, idsOf(approvers), current)
	switch {
	case after.Status == portal.ApprovalStatusCancelled:
		if !cancel || cancelErr != nil || rollUp != portal.ApprovalStatusPending {
			t.Errorf("cancelled (cancel error %v) with decisions that roll up to %s", cancelErr, rollUp)
		}
	case after.Status != rollUp:
		t.Errorf("approval %s, its decisions roll up to %s", after.Status, rollUp)
	case cancel && cancelErr == nil:
		t.Errorf("approval %s although its cancellation succeeded", after.Status)
	}
	if after.Status.Resolved() != (after.ResolvedAt != nil) {
		t.Errorf("approval %s resolved at %v", after.Status, after.ResolvedAt)
	}
	for _, d := range kept {
		if after.ResolvedAt != nil && d.DecidedAt.After(*after.ResolvedAt) {
			t.Errorf("decision %s at %v, after the approval resolved at %v", d.ID, d.DecidedAt, after.ResolvedAt)
		}
	}
	for _, call := range calls {
		if call.err == nil && call.approval.Status != portal.ApprovalStatusPending && call.approval.Status != after.Status {
			t.Errorf("call %s saw the approval %s, it ended %s", call.key, call.approval.Status, after.Status)
		}
	}
	if next, _ := portal.DeliverableAfter(after.Status); deliverableStatus(t, s, f, d.ID) != next {
		t.Errorf("deliverable %s, approval %s", deliverableStatus(t, s, f, d.ID), after.Status)
	}

	// One event per decision, one for the resolution or the cancellation.
	counts := map[portal.ActivityAction]int{}
	for _, e := range flowEvents(t, s, f, beforeEvents) {
		if e.RecordID != a.ID {
			t.Errorf("event %+v on another record", e)
		}
		counts[e.Action]++
	}
	want := map[portal.ActivityAction]int{portal.ActivityActionDecisionRecorded: len(kept)}
	switch {
	case after.Status == portal.ApprovalStatusCancelled:
		want[portal.ActivityActionApprovalCancelled] = 1
	case after.Status.Resolved():
		want[portal.ActivityActionApprovalResolved] = 1
	}
	if len(kept) == 0 {
		delete(want, portal.ActivityActionDecisionRecorded)
	}
	if !reflect.DeepEqual(counts, want) {
		t.Errorf("events %v, want %v", counts, want)
	}
	t.Logf("%s after %d calls: %d decisions, %d conflicts", after.Status, len(calls), len(kept), conflicts)
}

// Requests and resubmissions racing for one deliverable: one pending
// approval per deliverable and one next round per round, whoever comes
// first; the others get CONFLICT and leave no trace.
func TestApprovalConcurrentRequestsAndResubmits(t *testing.T) {
	withFixture(t, func(t *testing.T, s *sqlstore.Store, f *sqltest.Fixture) {
		ctx, m := t.Context(), sqltest.Staff(f.Manager)
		d := sharedDeliverable(t, s, f, f.AShared.ID, "Contested")
		request := func() (*portal.Approval, error) {
			return s.RequestApproval(ctx, m, portal.RequestApprovalInput{DeliverableID: d.ID, Title: "Approve", ApproverIds: []string{f.AActive.ID}})
		}
		resubmit := func(id string) func() (*portal.Approval, error) {
			return func() (*portal.Approval, error) {
				return s.ResubmitApproval(ctx, m, portal.ResubmitApprovalInput{ApprovalID: id})
			}
		}
		// race runs the calls at once and returns the one approval made.
		race := func(calls ...func() (*portal.Approval, error)) *portal.Approval {
			t.Helper()
			beforeEvents, beforeMail := allIDs(t, s, "activity_events"), allIDs(t, s, "outbox")
			made := make([]*portal.Approval, len(calls))
			errs := make([]error, len(calls))
			start := make(chan struct{})
			var wg sync.WaitGroup
			for i, call := range calls {
				wg.Go(func() {
					<-start
					made[i], errs[i] = call()
				})
			}
			close(start)
			wg.Wait()
			var won []*portal.Approval
			for i, err := range errs {
				switch {
				case err == nil:
					won = append(won, made[i])
				case portal.ErrorCode(err) != portal.CodeConflict:
					t.Errorf("call %d: %v, want success or CONFLICT", i, err)
				}
			}
			if len(won) != 1 {
				t.Fatalf("%d calls succeeded, want exactly one", len(won))
			}
			if n := countRows(t, s, "SELECT COUNT(*) FROM approvals WHERE deliverable_id = ? AND status = 'PENDING'", d.ID); n != 1 {
				t.Errorf("%d pending approvals of the deliverable, want 1", n)
			}
			if evs := flowEvents(t, s, f, beforeEvents); len(evs) != 1 || evs[0].RecordID != won[0].ID {
				t.Errorf("events %+v, want one about %s", evs, won[0].ID)
			}
			if got := mailSince(t, s, beforeMail); len(got) != 1 {
				t.Errorf("mail %v, want one message", got)
			}
			return won[0]
		}

		round1 := race(slices.Repeat([]func() (*portal.Approval, error){request}, 8)...)
		mustDecide(t, s, f.AActive, round1.ID, portal.DecisionOutcomeChangesRequested, "key-contest-1")
		round2 := race(slices.Repeat([]func() (*portal.Approval, error){resubmit(round1.ID)}, 8)...)
		if round2.Round != 2 || deref(round2.PreviousRoundID) != round1.ID {
			t.Fatalf("round 2 %+v", round2)
		}
		mustDecide(t, s, f.AActive, round2.ID, portal.DecisionOutcomeRejected, "key-contest-2")
		// A new request and the next round compete for the one pending slot.
		calls := slices.Repeat([]func() (*portal.Approval, error){request}, 4)
		calls = append(calls, slices.Repeat([]func() (*portal.Approval, error){resubmit(round2.ID)}, 4)...)
		race(calls...)
		if n := countRows(t, s, "SELECT COUNT(*) FROM approvals WHERE previous_round_id = ?", round1.ID); n != 1 {
			t.Errorf("round 1 has %d next rounds", n)
		}
	})
}

// An approver must be able to see what they are asked to approve: the
// request checks the named portal rules as they apply to each approver.
func TestApproversMustSeeTheApproval(t *testing.T) {
	t.Parallel()
	for name, change := range map[string]string{
		"portal disabled":             "UPDATE clients SET portal_enabled = FALSE WHERE id = ?",
		"approvals section hidden":    "UPDATE clients SET portal_approvals = FALSE WHERE id = ?",
		"deliverables section hidden": "UPDATE clients SET portal_deliverables = FALSE WHERE id = ?",
		"client archived":             "", // through the store, below
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			sqltest.Run(t, func(t *testing.T, s *sqlstore.Store) {
				f := sqltest.LoadFixture(t, s)
				if name == "client archived" {
					_, err := s.ArchiveClient(t.Context(), sqltest.Staff(f.Owner), f.A.ID)
					noErr(t, err)
				} else {
					exec(t, s, change, f.A.ID)
				}
				unchanged(t, s, portal.CodeBadUserInput, func() error {
					_, err := s.RequestApproval(t.Context(), sqltest.Staff(f.Manager), portal.RequestApprovalInput{
						DeliverableID: f.DShared.ID, Title: "Approve", ApproverIds: []string{f.AActive.ID},
					})
					return err
				}, "input.approverIds")
			})
		})
	}
}
