package sqlstore_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"portalgraph/internal/portal"
	"portalgraph/internal/sqlstore"
	"portalgraph/internal/sqlstore/sqltest"
)

// Deleting records in the store: what a deletion takes along, that every
// read of every audience hides it, restores of exactly one deletion, the
// refusals, the purge, erasure, and that a failed deletion leaves nothing.

// runWithClock is sqltest.Run with the store on a clock the test moves.
func runWithClock(t *testing.T, fn func(t *testing.T, s *sqlstore.Store, clock *sqltest.Clock)) {
	t.Helper()
	for _, d := range sqltest.Dialects {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			clock := sqltest.NewClock(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
			fn(t, sqltest.Open(t, d, sqlstore.WithClock(clock.Now)), clock)
		})
	}
}

// deletionFixture adds to the fixture a file of DShared, a file of the
// project AShared, a report on AShared, and a request of A with a comment
// and a file.
type deletionFixture struct {
	*sqltest.Fixture
	DFile, PFile *portal.File
	Report       *portal.Report
	Request      *portal.ClientRequest
	Comment      *portal.RequestComment
	RFile        *portal.File
}

func loadDeletionFixture(t *testing.T, s *sqlstore.Store) *deletionFixture {
	t.Helper()
	ctx := t.Context()
	f := &deletionFixture{Fixture: sqltest.LoadFixture(t, s)}
	staff, ann := sqltest.Staff(f.Owner), sqltest.Portal(f.AActive)
	st := &blobWrites{}
	var err error
	in := uploadInput("d.pdf")
	in.DeliverableID = &f.DShared.ID
	f.DFile, err = s.UploadFile(ctx, staff, in, st.store)
	noErr(t, err)
	in = uploadInput("p.pdf")
	in.ProjectID = &f.AShared.ID
	f.PFile, err = s.UploadFile(ctx, staff, in, st.store)
	noErr(t, err)
	f.Report, err = s.CreateReport(ctx, staff, portal.CreateReportInput{
		ClientID: f.A.ID, ProjectID: &f.AShared.ID, Title: "March", PeriodStart: *date("2026-03-01"), PeriodEnd: *date("2026-03-31"),
	})
	noErr(t, err)
	f.Request, err = s.OpenRequest(ctx, ann, portal.OpenRequestInput{Title: "Help", Body: "please"})
	noErr(t, err)
	f.Comment, err = s.CommentOnRequest(ctx, staff, portal.CommentOnRequestInput{RequestID: f.Request.ID, Body: "on it"})
	noErr(t, err)
	in = uploadInput("r.pdf")
	in.RequestID = &f.Request.ID
	f.RFile, err = s.UploadFile(ctx, staff, in, st.store)
	noErr(t, err)
	return f
}

// visibleOf lists which of ids each way of reading by ID finds for p.
func visibleOf(t *testing.T, s *sqlstore.Store, p portal.Principal, ids ...string) []string {
	t.Helper()
	ctx := t.Context()
	var out []string
	add := func(found []string, err error) {
		t.Helper()
		noErr(t, err)
		out = append(out, found...)
	}
	projects, err := s.ProjectsByID(ctx, p, ids)
	add(idsOf(projects), err)
	deliverables, err := s.DeliverablesByID(ctx, p, ids)
	add(idsOf(deliverables), err)
	approvals, err := s.ApprovalsByID(ctx, p, ids)
	add(idsOf(approvals), err)
	decisions, err := s.DecisionsByID(ctx, p, ids)
	add(idsOf(decisions), err)
	files, err := s.FilesByID(ctx, p, ids)
	add(idsOf(files), err)
	reports, err := s.ReportsByID(ctx, p, ids)
	add(idsOf(reports), err)
	requests, err := s.RequestsByID(ctx, p, ids)
	add(idsOf(requests), err)
	comments, err := s.CommentsByID(ctx, p, ids)
	add(idsOf(comments), err)
	contacts, err := s.ContactsByID(ctx, p, ids)
	add(idsOf(contacts), err)
	slices.Sort(out)
	return out
}

func sorted(ids ...string) []string {
	out := slices.Clone(ids)
	slices.Sort(out)
	return out
}

func TestDeleteProjectTakesWhatHangsBelowItAndRestoreBringsExactlyThat(t *testing.T) {
	t.Parallel()
	sqltest.Run(t, func(t *testing.T, s *sqlstore.Store) {
		f := loadDeletionFixture(t, s)
		ctx := t.Context()
		owner, ann := sqltest.Staff(f.Owner), sqltest.Portal(f.AActive)
		taken := []string{f.AShared.ID, f.DShared.ID, f.ApprovalShared.ID, f.DecisionShared.ID, f.DFile.ID, f.PFile.ID, f.Report.ID}
		alone := []string{f.DInternal.ID, f.ApprovalInternal.ID}
		every := append(slices.Clone(taken), alone...)

		// DInternal goes first, on its own, with its approval.
		del, err := s.DeleteDeliverable(ctx, owner, f.DInternal.ID)
		noErr(t, err)
		if !del.RestorableUntil.After(time.Now().Add(29 * 24 * time.Hour)) {
			t.Errorf("restorable until %s", del.RestorableUntil)
		}
		if got := visibleOf(t, s, owner, alone...); len(got) != 0 {
			t.Fatalf("staff still see %v of the deleted deliverable", got)
		}
		_, err = s.DeleteProject(ctx, owner, f.AShared.ID)
		noErr(t, err)
		for _, p := range []portal.Principal{owner, sqltest.Staff(f.Viewer), ann} {
			if got := visibleOf(t, s, p, every...); len(got) != 0 {
				t.Errorf("%s still sees %v", p.Audience, got)
			}
		}
		// Lists and their counts leave them out too.
		projects, err := s.Projects(ctx, owner, portal.ProjectFilter{}, nil, all)
		noErr(t, err)
		if slices.Contains(edgeIDs(projects), f.AShared.ID) || projects.TotalCount != len(projects.Edges) {
			t.Errorf("projects list: %v (total %d)", edgeIDs(projects), projects.TotalCount)
		}
		deliverables, err := s.Deliverables(ctx, owner, portal.DeliverableFilter{}, nil, all)
		noErr(t, err)
		approvals, err := s.Approvals(ctx, owner, portal.ApprovalFilter{}, nil, all)
		noErr(t, err)
		for _, id := range every {
			if slices.Contains(edgeIDs(deliverables), id) || slices.Contains(edgeIDs(approvals), id) {
				t.Errorf("%s is still listed", id)
			}
		}
		// Nothing changes a deleted record.
		_, err = s.UpdateProject(ctx, owner, portal.UpdateProjectInput{ID: f.AShared.ID, Name: ptr("renamed")})
		wantCode(t, err, portal.CodeNotFound)
		_, err = s.DeleteDeliverable(ctx, owner, f.DShared.ID)
		wantCode(t, err, portal.CodeNotFound)

		// The list of what can be restored shows the two deletions only.
		list, err := s.DeletedRecords(ctx, owner, all)
		noErr(t, err)
		if got, want := edgeIDs(list), []string{f.AShared.ID, f.DInternal.ID}; !slices.Equal(got, want) || list.TotalCount != 2 {
			t.Errorf("deleted records %v (total %d), want %v", got, list.TotalCount, want)
		}

		// A record taken along is restored with its deletion only.
		_, err = s.RestoreRecord(ctx, owner, f.DShared.ID)
		wantCode(t, err, portal.CodeBadUserInput, "input.id")
		// A deliverable of a deleted project waits for the project.
		_, err = s.RestoreRecord(ctx, owner, f.DInternal.ID)
		wantCode(t, err, portal.CodeBadUserInput, "input.id")

		restored, err := s.RestoreRecord(ctx, owner, f.AShared.ID)
		noErr(t, err)
		if restored.RecordType != portal.RecordTypeProject || restored.Record == nil || restored.Record.(*portal.Project).ID != f.AShared.ID {
			t.Errorf("restored %+v", restored)
		}
		if got := visibleOf(t, s, owner, every...); !slices.Equal(got, sorted(taken...)) {
			t.Errorf("after restoring the project staff see %v, want %v", got, sorted(taken...))
		}
		if got := visibleOf(t, s, ann, every...); !slices.Equal(got, sorted(f.AShared.ID, f.DShared.ID, f.ApprovalShared.ID, f.DecisionShared.ID)) {
			t.Errorf("after restoring the project the portal sees %v", got)
		}
		_, err = s.RestoreRecord(ctx, owner, f.DInternal.ID)
		noErr(t, err)
		if got := visibleOf(t, s, owner, every...); !slices.Equal(got, sorted(every...)) {
			t.Errorf("after both restores staff see %v", got)
		}
		_, err = s.RestoreRecord(ctx, owner, f.DInternal.ID)
		wantCode(t, err, portal.CodeBadUserInput, "input.id")

		// Each deletion and restore is an event of its record.
		var actions []string
		noErr(t, s.DB().SelectContext(ctx, &actions, s.DB().Rebind(`SELECT action || ' ' || record_id FROM activity_events
			WHERE action IN ('DELETED', 'RESTORED') ORDER BY id`)))
		want := []string{"DELETED " + f.DInternal.ID, "DELETED " + f.AShared.ID, "RESTORED " + f.AShared.ID, "RESTORED " + f.DInternal.ID}
		if !slices.Equal(actions, want) {
			t.Errorf("events %v, want %v", actions, want)
		}
	})
}

func TestDeleteRequestApprovalAndReport(t *testing.T) {
	t.Parallel()
	sqltest.Run(t, func(t *testing.T, s *sqlstore.Store) {
		f := loadDeletionFixture(t, s)
		ctx := t.Context()
		manager, ann := sqltest.Staff(f.Manager), sqltest.Portal(f.AActive)

		_, err := s.DeleteRequest(ctx, manager, f.Request.ID)
		noErr(t, err)
		for _, p := range []portal.Principal{manager, ann} {
			if got := visibleOf(t, s, p, f.Request.ID, f.Comment.ID, f.RFile.ID); len(got) != 0 {
				t.Errorf("%s still sees %v of the deleted request", p.Audience, got)
			}
		}
		requests, err := s.Requests(ctx, ann, portal.ClientRequestFilter{}, all)
		noErr(t, err)
		if requests.TotalCount != 0 {
			t.Errorf("the portal still counts %d requests", requests.TotalCount)
		}
		_, err = s.RestoreRecord(ctx, manager, f.Request.ID)
		noErr(t, err)
		if got := visibleOf(t, s, ann, f.Request.ID, f.Comment.ID); !slices.Equal(got, sorted(f.Request.ID, f.Comment.ID)) {
			t.Errorf("after the restore the portal sees %v", got)
		}

		_, err = s.DeleteApproval(ctx, manager, f.ApprovalShared.ID)
		noErr(t, err)
		if got := visibleOf(t, s, ann, f.ApprovalShared.ID, f.DecisionShared.ID, f.DShared.ID); !slices.Equal(got, []string{f.DShared.ID}) {
			t.Errorf("the portal sees %v after the approval's deletion", got)
		}
		_, err = s.DeleteReport(ctx, manager, f.Report.ID)
		noErr(t, err)
		if got := visibleOf(t, s, manager, f.Report.ID); len(got) != 0 {
			t.Errorf("staff see the deleted report")
		}

		// A deleted pending approval no longer holds its deliverable; its
		// restore then waits for the deliverable's new one to be done.
		ask := portal.RequestApprovalInput{DeliverableID: f.DShared.ID, Title: "Again", ApproverIds: []string{f.AActive.ID}}
		first, err := s.RequestApproval(ctx, manager, ask)
		noErr(t, err)
		_, err = s.DeleteApproval(ctx, manager, first.ID)
		noErr(t, err)
		next, err := s.RequestApproval(ctx, manager, ask)
		noErr(t, err)
		_, err = s.RestoreRecord(ctx, manager, first.ID)
		wantCode(t, err, portal.CodeConflict)
		_, err = s.CancelApproval(ctx, manager, next.ID)
		noErr(t, err)
		_, err = s.RestoreRecord(ctx, manager, first.ID)
		noErr(t, err)
	})
}

func TestDeletionRefusesBadInputAndChangesNothing(t *testing.T) {
	t.Parallel()
	runWithClock(t, func(t *testing.T, s *sqlstore.Store, clock *sqltest.Clock) {
		f := loadDeletionFixture(t, s)
		ctx := t.Context()
		owner, member, viewer := sqltest.Staff(f.Owner), sqltest.Staff(f.Member), sqltest.Staff(f.Viewer)

		before := dump(t, s)
		for _, c := range []struct {
			name string
			err  error
			code portal.Code
		}{
			{"unknown project", second(s.DeleteProject(ctx, owner, portal.NewID(portal.PrefixProject, time.Now()))), portal.CodeNotFound},
			{"a deliverable's ID as a project's", second(s.DeleteProject(ctx, owner, f.DShared.ID)), portal.CodeNotFound},
			{"another workspace's project", second(s.DeleteProject(ctx, sqltest.Staff(f.Owner2), f.AShared.ID)), portal.CodeNotFound},
			{"a member deletes a project", second(s.DeleteProject(ctx, member, f.AShared.ID)), portal.CodeForbidden},
			{"a viewer deletes a note", second(s.DeleteNote(ctx, viewer, f.NoteA.ID)), portal.CodeForbidden},
			{"a manager erases a contact", second(s.EraseContact(ctx, sqltest.Staff(f.Manager), f.AActive.ID)), portal.CodeForbidden},
			{"a contact deletes a comment", second(s.DeleteComment(ctx, sqltest.Portal(f.AActive), f.Comment.ID)), portal.CodeForbidden},
			{"restore an unknown approval", second(s.RestoreRecord(ctx, owner, portal.NewID(portal.PrefixApproval, time.Now()))), portal.CodeNotFound},
			{"restore a record that is not deleted", second(s.RestoreRecord(ctx, owner, f.AShared.ID)), portal.CodeBadUserInput},
			{"restore a note", second(s.RestoreRecord(ctx, owner, f.NoteA.ID)), portal.CodeBadUserInput},
			{"restore without the permission", second(s.RestoreRecord(ctx, member, f.Report.ID)), portal.CodeForbidden},
			{"list deletions without a permission to delete", second(s.DeletedRecords(ctx, viewer, all)), portal.CodeForbidden},
		} {
			if c.err == nil || portal.ErrorCode(c.err) != c.code {
				t.Errorf("%s: got %v, want %s", c.name, c.err, c.code)
			}
		}
		if after := dump(t, s); after != before {
			t.Errorf("refused deletions changed the database")
		}

		// A member may delete notes, and lists no deletion of a type it
		// may not restore.
		_, err := s.DeleteReport(ctx, owner, f.Report.ID)
		noErr(t, err)
		list, err := s.DeletedRecords(ctx, member, all)
		noErr(t, err)
		if len(list.Edges) != 0 {
			t.Errorf("a member lists %v", edgeIDs(list))
		}

		// Thirty days on, it can no longer be restored, nor is it listed.
		clock.Advance(portal.RestoreWindow)
		_, err = s.RestoreRecord(ctx, owner, f.Report.ID)
		wantCode(t, err, portal.CodeBadUserInput, "input.id")
		list, err = s.DeletedRecords(ctx, owner, all)
		noErr(t, err)
		if len(list.Edges) != 0 {
			t.Errorf("listed after 30 days: %v", edgeIDs(list))
		}
	})
}

func second[T any](_ T, err error) error { return err }

func TestDeletedRecordsPages(t *testing.T) {
	t.Parallel()
	runWithClock(t, func(t *testing.T, s *sqlstore.Store, clock *sqltest.Clock) {
		f := loadDeletionFixture(t, s)
		ctx := t.Context()
		owner := sqltest.Staff(f.Owner)
		var want []string
		for _, del := range []func() error{
			func() error { return second(s.DeleteReport(ctx, owner, f.Report.ID)) },
			func() error { return second(s.DeleteRequest(ctx, owner, f.Request.ID)) },
			func() error { return second(s.DeleteDeliverable(ctx, owner, f.DOfInternal.ID)) },
		} {
			noErr(t, del())
			clock.Advance(time.Minute)
		}
		want = []string{f.DOfInternal.ID, f.Request.ID, f.Report.ID}
		var got []string
		page := portal.PageArgs{First: 1, Count: true}
		for range 4 {
			c, err := s.DeletedRecords(ctx, owner, page)
			noErr(t, err)
			if c.TotalCount != 3 {
				t.Errorf("total %d", c.TotalCount)
			}
			got = append(got, edgeIDs(c)...)
			if !c.PageInfo.HasNextPage {
				break
			}
			page.After = c.PageInfo.EndCursor
		}
		if !slices.Equal(got, want) {
			t.Errorf("pages %v, want %v", got, want)
		}
		_, err := s.DeletedRecords(ctx, owner, portal.PageArgs{First: 1, After: ptr("bm90IGEgY3Vyc29y")})
		wantCode(t, err, portal.CodeBadUserInput, "after")
	})
}

func TestPurgeDeletedRemovesForGoodAfter30Days(t *testing.T) {
	t.Parallel()
	runWithClock(t, func(t *testing.T, s *sqlstore.Store, clock *sqltest.Clock) {
		f := loadDeletionFixture(t, s)
		ctx := t.Context()
		owner := sqltest.Staff(f.Owner)
		// The fixture's deletions are long past their 30 days.
		n, err := s.PurgeDeleted(ctx, clock.Now().Add(-portal.RestoreWindow))
		noErr(t, err)
		if n != 2 {
			t.Fatalf("purged %d of the fixture's deletions, want 2", n)
		}
		// A request on the project outlives it.
		req, err := s.OpenRequest(ctx, sqltest.Portal(f.AActive), portal.OpenRequestInput{Title: "About it", Body: "x", ProjectID: &f.AShared.ID})
		noErr(t, err)
		// A round of its own, deleted on its own before the project.
		_, err = s.DeleteApproval(ctx, owner, f.ApprovalShared.ID)
		noErr(t, err)
		clock.Advance(time.Hour)
		_, err = s.DeleteProject(ctx, owner, f.AShared.ID)
		noErr(t, err)

		clock.Advance(portal.RestoreWindow - 2*time.Hour)
		n, err = s.PurgeDeleted(ctx, clock.Now().Add(-portal.RestoreWindow))
		noErr(t, err)
		if n != 0 {
			t.Fatalf("purged %d deletions within 30 days", n)
		}
		clock.Advance(time.Hour + time.Minute)
		n, err = s.PurgeDeleted(ctx, clock.Now().Add(-portal.RestoreWindow))
		noErr(t, err)
		if n != 1 {
			t.Fatalf("purged %d deletions, want the approval's", n)
		}
		clock.Advance(time.Hour)
		n, err = s.PurgeDeleted(ctx, clock.Now().Add(-portal.RestoreWindow))
		noErr(t, err)
		if n != 1 {
			t.Fatalf("purged %d deletions, want the project's", n)
		}
		count := func(table, id string) int {
			var n int
			noErr(t, s.DB().GetContext(ctx, &n, s.DB().Rebind("SELECT COUNT(*) FROM "+table+" WHERE id = ?"), id))
			return n
		}
		for table, id := range map[string]string{
			"projects": f.AShared.ID, "deliverables": f.DShared.ID, "approvals": f.ApprovalShared.ID, "approval_decisions": f.DecisionShared.ID,
			"files": f.DFile.ID, "reports": f.Report.ID,
		} {
			if count(table, id) != 0 {
				t.Errorf("%s %s is still stored", table, id)
			}
		}
		if count("files", f.PFile.ID) != 0 || count("deliverables", f.DInternal.ID) != 0 ||
			count("projects", f.ADeleted.ID) != 0 || count("approvals", f.ApprovalOfDeleted.ID) != 0 || count("deliverables", f.DDeleted.ID) != 0 {
			t.Errorf("the project's file or other deliverable is still stored")
		}
		var queued []string
		noErr(t, s.DB().SelectContext(ctx, &queued, `SELECT blob_key FROM blob_removals ORDER BY blob_key`))
		if !slices.Equal(queued, sorted(f.DFile.BlobKey, f.PFile.BlobKey)) {
			t.Errorf("queued blob removals %v", queued)
		}
		// What only named the project stays.
		if count("notes", f.NoteAShared.ID) != 1 || count("client_requests", req.ID) != 1 {
			t.Errorf("the project's note or request went with it")
		}
		var purged []string
		noErr(t, s.DB().SelectContext(ctx, &purged, `SELECT record_id FROM activity_events WHERE action = 'PURGED'`))
		if slices.Sort(purged); !slices.Equal(purged, sorted(f.ADeleted.ID, f.DDeleted.ID, f.ApprovalShared.ID, f.AShared.ID)) {
			t.Errorf("purge events %v", purged)
		}
		n, err = s.PurgeDeleted(ctx, clock.Now().Add(-portal.RestoreWindow))
		noErr(t, err)
		if n != 0 {
			t.Errorf("purged %d again", n)
		}
	})
}

func TestEraseContactKeepsTheirDecisionsByAFormerContact(t *testing.T) {
	t.Parallel()
	sqltest.Run(t, func(t *testing.T, s *sqlstore.Store) {
		f := loadDeletionFixture(t, s)
		ctx := t.Context()
		owner := sqltest.Staff(f.Owner)
		// What names Ann in the activity of her client: a reminder of an
		// approval she was asked to decide, and a change of her access.
		asked, err := s.RequestApproval(ctx, owner, portal.RequestApprovalInput{DeliverableID: f.DShared.ID, Title: "Once more", ApproverIds: []string{f.AActive.ID}})
		noErr(t, err)
		_, _, err = s.RemindApprovers(ctx, owner, asked.ID)
		noErr(t, err)
		_, err = s.SuspendContact(ctx, owner, f.AActive.ID)
		noErr(t, err)
		// A project whose name holds hers is not about her: its event
		// keeps its text, as the project keeps its name.
		launch, err := s.CreateProject(ctx, owner, portal.CreateProjectInput{ClientID: f.A.ID, Name: "Ann Active launch"})
		noErr(t, err)

		_, err = s.EraseContact(ctx, owner, f.AActive.ID)
		noErr(t, err)
		if got := visibleOf(t, s, owner, f.AActive.ID); len(got) != 0 {
			t.Errorf("staff still see the erased contact")
		}
		contacts, err := s.ContactsOfClients(ctx, owner, []string{f.A.ID}, nil, all)
		noErr(t, err)
		if slices.Contains(edgeIDs(contacts[f.A.ID]), f.AActive.ID) || contacts[f.A.ID].TotalCount != len(contacts[f.A.ID].Edges) {
			t.Errorf("the client's contacts still have the erased one")
		}
		if got := visibleOf(t, s, owner, f.DecisionShared.ID, f.Request.ID); !slices.Equal(got, sorted(f.DecisionShared.ID, f.Request.ID)) {
			t.Errorf("what the contact did is gone: %v", got)
		}
		var row struct {
			Name, Email  string
			Phone, Title *string
			Status       string     `db:"portal_status"`
			Password     *string    `db:"password_hash"`
			ErasedAt     *time.Time `db:"erased_at"`
		}
		noErr(t, s.DB().GetContext(ctx, &row, s.DB().Rebind(`SELECT name, email, phone, title, portal_status, password_hash, erased_at FROM contacts WHERE id = ?`), f.AActive.ID))
		if row.Name != portal.FormerContact || strings.Contains(row.Email, "ann") || row.Phone != nil || row.Title != nil ||
			row.Status != "NONE" || row.Password != nil || row.ErasedAt == nil {
			t.Errorf("erased row %+v", row)
		}
		var leaks, reminders int
		noErr(t, s.DB().GetContext(ctx, &leaks, s.DB().Rebind(`SELECT COUNT(*) FROM activity_events
			WHERE (summary LIKE '%Ann Active%' OR summary LIKE '%ann@acme%') AND record_id <> ?`), launch.ID))
		if leaks != 0 {
			t.Errorf("%d activity summaries still name the erased contact", leaks)
		}
		noErr(t, s.DB().GetContext(ctx, &reminders, s.DB().Rebind(`SELECT COUNT(*) FROM activity_events
			WHERE record_id = ? AND action = 'APPROVERS_REMINDED' AND summary LIKE '%a former contact%'`), asked.ID))
		if reminders != 1 {
			t.Errorf("the reminder naming her was not rewritten (%d)", reminders)
		}
		var launchSummary string
		noErr(t, s.DB().GetContext(ctx, &launchSummary, s.DB().Rebind(`SELECT summary FROM activity_events WHERE record_id = ?`), launch.ID))
		if launchSummary != "Created project Ann Active launch" {
			t.Errorf("an event not about her changed: %q", launchSummary)
		}
		var live int
		noErr(t, s.DB().GetContext(ctx, &live, s.DB().Rebind(`SELECT COUNT(*) FROM tokens WHERE contact_id = ? AND revoked_at IS NULL`), f.AActive.ID))
		if live != 0 {
			t.Errorf("%d sessions of the erased contact remain", live)
		}
		_, err = s.EraseContact(ctx, owner, f.AActive.ID)
		wantCode(t, err, portal.CodeNotFound)
		_, err = s.UpdateContact(ctx, owner, portal.UpdateContactInput{ID: f.AActive.ID, Name: ptr("Ann again")})
		wantCode(t, err, portal.CodeNotFound)
		// The email is free for a new contact.
		_, err = s.CreateContact(ctx, owner, portal.CreateContactInput{ClientID: f.A.ID, Name: "Ann New", Email: "ann@acme.example"})
		noErr(t, err)
	})
}

func TestDeleteNoteAndCommentAreHard(t *testing.T) {
	t.Parallel()
	sqltest.Run(t, func(t *testing.T, s *sqlstore.Store) {
		f := loadDeletionFixture(t, s)
		ctx := t.Context()
		member := sqltest.Staff(f.Member)
		_, err := s.DeleteNote(ctx, member, f.NoteA.ID)
		noErr(t, err)
		_, err = s.DeleteComment(ctx, member, f.Comment.ID)
		noErr(t, err)
		for table, id := range map[string]string{"notes": f.NoteA.ID, "request_comments": f.Comment.ID} {
			var n int
			noErr(t, s.DB().GetContext(ctx, &n, s.DB().Rebind("SELECT COUNT(*) FROM "+table+" WHERE id = ?"), id))
			if n != 0 {
				t.Errorf("%s %s is still stored", table, id)
			}
		}
		_, err = s.DeleteNote(ctx, member, f.NoteA.ID)
		wantCode(t, err, portal.CodeNotFound)
		_, err = s.RestoreRecord(ctx, member, f.Comment.ID)
		wantCode(t, err, portal.CodeBadUserInput, "input.id")
	})
}

// A deletion that fails midway leaves nothing deleted: the last step of a
// project's deletion, its reports, is made to fail by a trigger.
func TestDeletionFailingMidwayLeavesNothingDeleted(t *testing.T) {
	t.Parallel()
	for _, d := range sqltest.Dialects {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			s := sqltest.Open(t, d)
			f := loadDeletionFixture(t, s)
			ctx := t.Context()
			if d == "postgres" {
				exec(t, s, `CREATE FUNCTION refuse() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'refused'; END $$ LANGUAGE plpgsql`)
				exec(t, s, `CREATE TRIGGER refuse BEFORE UPDATE OF deleted_at ON reports FOR EACH ROW EXECUTE FUNCTION refuse()`)
			} else {
				exec(t, s, `CREATE TRIGGER refuse BEFORE UPDATE OF deleted_at ON reports BEGIN SELECT RAISE(ABORT, 'refused'); END`)
			}
			before := dump(t, s)
			_, err := s.DeleteProject(ctx, sqltest.Staff(f.Owner), f.AShared.ID)
			if err == nil || !strings.Contains(err.Error(), "refused") {
				t.Fatalf("got %v, want the trigger's refusal", err)
			}
			if after := dump(t, s); after != before {
				t.Errorf("a failed deletion changed the database")
			}
			if got := visibleOf(t, s, sqltest.Staff(f.Owner), f.AShared.ID, f.DShared.ID, f.ApprovalShared.ID); len(got) != 3 {
				t.Errorf("after a failed deletion staff see %v", got)
			}
		})
	}
}

// Exports leave deleted records out, and show an erased contact's
// decisions as a former contact's.
func TestExportsAfterDeletionAndErasure(t *testing.T) {
	withFixture(t, func(t *testing.T, s *sqlstore.Store, f *sqltest.Fixture) {
		ctx := t.Context()
		owner := sqltest.Staff(f.Owner)
		_, err := s.DeleteDeliverable(ctx, owner, f.DInternal.ID)
		noErr(t, err)
		_, err = s.EraseContact(ctx, owner, f.AActive.ID)
		noErr(t, err)
		year := func(kind portal.ExportKind) [][]string {
			return exportRows(t, s, requestExport(t, s, owner, exportInput(&f.A.ID, kind, "2026-01-01", "2026-12-31")))
		}
		rows := year(portal.ExportKindApprovals)
		if got := column(rows, 0); !slices.Equal(got, []string{f.ApprovalShared.ID}) {
			t.Errorf("approvals exported: %v", got)
		}
		if got := column(rows, 9); !slices.Equal(got, []string{portal.FormerContact + ": APPROVED"}) {
			t.Errorf("decisions exported: %v", got)
		}
		if got := column(year(portal.ExportKindDeliverables), 0); !slices.Equal(got, []string{f.DShared.ID, f.DOfInternal.ID}) &&
			!slices.Equal(got, []string{f.DOfInternal.ID, f.DShared.ID}) {
			t.Errorf("deliverables exported: %v", got)
		}
		for _, r := range year(portal.ExportKindActivity) {
			for _, cell := range r {
				if strings.Contains(cell, "Ann Active") || strings.Contains(cell, "ann@acme") {
					t.Errorf("the activity export names the erased contact: %v", r)
				}
			}
		}
	})
}
