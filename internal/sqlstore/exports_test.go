package sqlstore_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"portalgraph/internal/portal"
	"portalgraph/internal/sqlstore"
	"portalgraph/internal/sqlstore/sqltest"
)

// Exports: who may ask for which, what each audience sees of them, the
// job queue's claims, leases, retries and attempt limit, and the rows of
// each kind as the requester sees them.

func exportInput(clientID *string, kind portal.ExportKind, from, to string) portal.RequestExportInput {
	return portal.RequestExportInput{ClientID: clientID, Kind: kind, From: *date(from), To: *date(to)}
}

// showExports turns on the exports section of a client's portal.
func showExports(t *testing.T, s *sqlstore.Store, c *portal.Client) {
	t.Helper()
	exec(t, s, "UPDATE clients SET portal_exports = TRUE WHERE id = ?", c.ID)
}

// exportDump is what export requests may write: exports, files, activity.
func exportDump(t *testing.T, s *sqlstore.Store) string {
	t.Helper()
	return dump(t, s) + fmt.Sprint(allIDs(t, s, "exports"), allIDs(t, s, "files"))
}

func requestExport(t *testing.T, s *sqlstore.Store, p portal.Principal, in portal.RequestExportInput) *portal.Export {
	t.Helper()
	e, err := s.RequestExport(t.Context(), p, in)
	noErr(t, err)
	return e
}

func TestRequestExport(t *testing.T) {
	withFixture(t, func(t *testing.T, s *sqlstore.Store, f *sqltest.Fixture) {
		ctx := t.Context()
		before := allIDs(t, s, "activity_events")
		e := requestExport(t, s, sqltest.Staff(f.Viewer), exportInput(&f.A.ID, portal.ExportKindActivity, "2026-01-01", "2026-12-31"))
		if e.Status != portal.ExportStatusQueued || e.ClientID != f.A.ID || deref(e.RequestedByID) != f.Viewer.ID || e.RequestedByContactID != nil ||
			e.From.String() != "2026-01-01" || e.To.String() != "2026-12-31" || e.Attempts != 0 || e.FileID != nil || !portal.HasPrefix(e.ID, portal.PrefixExport) {
			t.Errorf("staff export %+v", e)
		}
		events, err := s.ActivityByID(ctx, sqltest.Staff(f.Owner), newIDs(t, s, "activity_events", before))
		noErr(t, err)
		if len(events) != 1 || events[0].Action != portal.ActivityActionExportRequested || events[0].RecordID != e.ID ||
			deref(events[0].ActorUserID) != f.Viewer.ID || deref(events[0].ClientID) != f.A.ID {
			t.Errorf("events of a staff request: %+v", events)
		}

		// Refusals, each writing nothing. The portal's section is hidden
		// for the first of them.
		a := sqltest.Portal(f.AActive)
		suspended := sqltest.Portal(f.ASuspended)
		viewing := preview(f.AActive, f.Owner)
		for _, c := range []struct {
			name   string
			p      portal.Principal
			in     portal.RequestExportInput
			code   portal.Code
			fields []string
		}{
			{"portal section hidden", a, exportInput(nil, portal.ExportKindApprovals, "2026-01-01", "2026-01-31"), portal.CodeForbidden, nil},
			{"to before from", sqltest.Staff(f.Owner), exportInput(&f.A.ID, portal.ExportKindApprovals, "2026-02-01", "2026-01-31"), portal.CodeBadUserInput, []string{"input.to"}},
			{"over a year", sqltest.Staff(f.Owner), exportInput(&f.A.ID, portal.ExportKindApprovals, "2025-01-01", "2026-01-02"), portal.CodeBadUserInput, []string{"input.to"}},
			{"staff without a client", sqltest.Staff(f.Owner), exportInput(nil, portal.ExportKindApprovals, "2026-01-01", "2026-01-31"), portal.CodeBadUserInput, []string{"input.clientId"}},
			{"other workspace's client", sqltest.Staff(f.Owner), exportInput(&f.X.ID, portal.ExportKindApprovals, "2026-01-01", "2026-01-31"), portal.CodeBadUserInput, []string{"input.clientId"}},
			{"unknown client", sqltest.Staff(f.Owner), exportInput(ptr("cli_nope"), portal.ExportKindApprovals, "2026-01-01", "2026-01-31"), portal.CodeBadUserInput, []string{"input.clientId"}},
		} {
			t.Run(c.name, func(t *testing.T) {
				was := exportDump(t, s)
				_, err := s.RequestExport(ctx, c.p, c.in)
				wantCode(t, err, c.code, c.fields...)
				if exportDump(t, s) != was {
					t.Error("a refused request wrote")
				}
			})
		}

		showExports(t, s, f.A)
		for _, c := range []struct {
			name   string
			p      portal.Principal
			in     portal.RequestExportInput
			code   portal.Code
			fields []string
		}{
			{"portal activity", a, exportInput(nil, portal.ExportKindActivity, "2026-01-01", "2026-01-31"), portal.CodeBadUserInput, []string{"input.kind"}},
			{"portal other client", a, exportInput(&f.B.ID, portal.ExportKindApprovals, "2026-01-01", "2026-01-31"), portal.CodeBadUserInput, []string{"input.clientId"}},
			{"portal other workspace", a, exportInput(&f.X.ID, portal.ExportKindApprovals, "2026-01-01", "2026-01-31"), portal.CodeBadUserInput, []string{"input.clientId"}},
			{"preview", viewing, exportInput(nil, portal.ExportKindApprovals, "2026-01-01", "2026-01-31"), portal.CodeForbidden, nil},
			{"suspended contact", suspended, exportInput(nil, portal.ExportKindApprovals, "2026-01-01", "2026-01-31"), portal.CodeForbidden, nil},
			{"anonymous", portal.Anonymous(), exportInput(&f.A.ID, portal.ExportKindApprovals, "2026-01-01", "2026-01-31"), portal.CodeForbidden, nil},
		} {
			t.Run(c.name, func(t *testing.T) {
				was := exportDump(t, s)
				_, err := s.RequestExport(ctx, c.p, c.in)
				wantCode(t, err, c.code, c.fields...)
				if exportDump(t, s) != was {
					t.Error("a refused request wrote")
				}
			})
		}

		// A contact's export is of their own client, with or without
		// naming it; a year of a leap year is allowed.
		before = allIDs(t, s, "activity_events")
		pe := requestExport(t, s, a, exportInput(nil, portal.ExportKindDeliverables, "2028-01-01", "2028-12-31"))
		named := requestExport(t, s, a, exportInput(&f.A.ID, portal.ExportKindApprovals, "2026-01-01", "2026-01-01"))
		for _, got := range []*portal.Export{pe, named} {
			if got.ClientID != f.A.ID || deref(got.RequestedByContactID) != f.AActive.ID || got.RequestedByID != nil || got.Status != portal.ExportStatusQueued {
				t.Errorf("portal export %+v", got)
			}
		}
		events, err = s.ActivityByID(ctx, sqltest.Staff(f.Owner), newIDs(t, s, "activity_events", before))
		noErr(t, err)
		if len(events) != 2 || deref(events[0].ActorContactID) != f.AActive.ID || events[0].Action != portal.ActivityActionExportRequested {
			t.Errorf("events of portal requests: %+v", events)
		}
	})
}

// newIDs lists the IDs of a table's rows that are not among before.
func newIDs(t *testing.T, s *sqlstore.Store, table string, before []string) []string {
	t.Helper()
	var out []string
	for _, id := range allIDs(t, s, table) {
		if !slices.Contains(before, id) {
			out = append(out, id)
		}
	}
	return out
}

func TestExportsSeenPerAudience(t *testing.T) {
	withFixture(t, func(t *testing.T, s *sqlstore.Store, f *sqltest.Fixture) {
		ctx := t.Context()
		showExports(t, s, f.A)
		showExports(t, s, f.B)
		lab := labelsOf(f)
		byStaff := requestExport(t, s, sqltest.Staff(f.Owner), exportInput(&f.A.ID, portal.ExportKindApprovals, "2026-01-01", "2026-01-31"))
		byAnn := requestExport(t, s, sqltest.Portal(f.AActive), exportInput(nil, portal.ExportKindApprovals, "2026-01-01", "2026-01-31"))
		byAnn2 := requestExport(t, s, sqltest.Portal(f.AActive), exportInput(nil, portal.ExportKindDeliverables, "2026-01-01", "2026-01-31"))
		byBen := requestExport(t, s, sqltest.Portal(f.BActive), exportInput(nil, portal.ExportKindApprovals, "2026-01-01", "2026-01-31"))
		byOscar := requestExport(t, s, sqltest.Staff(f.Owner2), exportInput(&f.X.ID, portal.ExportKindApprovals, "2026-01-01", "2026-01-31"))
		for name, e := range map[string]*portal.Export{"byStaff": byStaff, "byAnn": byAnn, "byAnn2": byAnn2, "byBen": byBen, "byOscar": byOscar} {
			lab[e.ID] = name
		}
		every := []string{byStaff.ID, byAnn.ID, byAnn2.ID, byBen.ID, byOscar.ID}
		clients := []string{f.A.ID, f.B.ID, f.X.ID}
		for _, c := range []struct {
			who   string
			p     portal.Principal
			lists []string // newest first, all clients' lists in a row
			byID  []string
		}{
			{"owner", sqltest.Staff(f.Owner), []string{"byAnn2", "byAnn", "byStaff", "byBen"}, []string{"byAnn", "byAnn2", "byBen", "byStaff"}},
			{"viewer", sqltest.Staff(f.Viewer), []string{"byAnn2", "byAnn", "byStaff", "byBen"}, []string{"byAnn", "byAnn2", "byBen", "byStaff"}},
			{"aActive", sqltest.Portal(f.AActive), []string{"byAnn2", "byAnn"}, []string{"byAnn", "byAnn2"}},
			{"bActive", sqltest.Portal(f.BActive), []string{"byBen"}, []string{"byBen"}},
			{"owner2", sqltest.Staff(f.Owner2), []string{"byOscar"}, []string{"byOscar"}},
			{"aSuspended", sqltest.Portal(f.ASuspended), []string{}, []string{}},
		} {
			t.Run(c.who, func(t *testing.T) {
				pages, err := s.ExportsOfClients(ctx, c.p, clients, all)
				noErr(t, err)
				if got := lab.inOrder(unionOfPages(t, "exports", pages, clients)); !slices.Equal(got, c.lists) {
					t.Errorf("lists: %v, want %v", got, c.lists)
				}
				found, err := s.ExportsByID(ctx, c.p, every)
				noErr(t, err)
				if got := lab.of(idsOf(found)); !slices.Equal(got, c.byID) {
					t.Errorf("by ID: %v, want %v", got, c.byID)
				}
			})
		}
		// Hiding the section hides the portal's exports.
		exec(t, s, "UPDATE clients SET portal_exports = FALSE WHERE id = ?", f.A.ID)
		found, err := s.ExportsByID(ctx, sqltest.Portal(f.AActive), every)
		noErr(t, err)
		if len(found) != 0 {
			t.Errorf("with the section hidden a contact sees %v", lab.of(idsOf(found)))
		}
	})
}

// exportState is a job's row as the queue keeps it.
type exportState struct {
	Status     string     `db:"status"`
	Attempts   int        `db:"attempts"`
	LeaseUntil *time.Time `db:"lease_until"`
	FileID     *string    `db:"file_id"`
	Error      *string    `db:"error"`
	FinishedAt *time.Time `db:"finished_at"`
}

func exportRow(t *testing.T, s *sqlstore.Store, id string) exportState {
	t.Helper()
	var r exportState
	db := s.DB()
	noErr(t, db.GetContext(t.Context(), &r, db.Rebind("SELECT status, attempts, lease_until, file_id, error, finished_at FROM exports WHERE id = ?"), id))
	return r
}

// expireLease moves a job's lease (or retry time) into the past, as if
// that time had passed.
func expireLease(t *testing.T, s *sqlstore.Store, id string) {
	t.Helper()
	exec(t, s, "UPDATE exports SET lease_until = ? WHERE id = ?", time.Now().UTC().Add(-time.Second), id)
}

func claim(t *testing.T, s *sqlstore.Store) *portal.Export {
	t.Helper()
	job, err := s.ClaimExport(t.Context(), time.Hour)
	noErr(t, err)
	return job
}

// exportFile is the file a worker hands FinishExport.
func exportFile(name string) *portal.File {
	return &portal.File{ID: portal.NewID(portal.PrefixFile, time.Now()), Name: name, ContentType: "text/csv; charset=utf-8", Size: 10, Sha256: "abc", BlobKey: "k/" + name}
}

// exportEvents lists the actions of the events recorded about an export.
func exportEvents(t *testing.T, s *sqlstore.Store, exportID string) []portal.ActivityAction {
	t.Helper()
	var actions []portal.ActivityAction
	db := s.DB()
	noErr(t, db.SelectContext(t.Context(), &actions, db.Rebind("SELECT action FROM activity_events WHERE record_id = ? ORDER BY id"), exportID))
	return actions
}

func TestExportJobs(t *testing.T) {
	withFixture(t, func(t *testing.T, s *sqlstore.Store, f *sqltest.Fixture) {
		ctx := t.Context()
		showExports(t, s, f.A)
		if job := claim(t, s); job != nil {
			t.Fatalf("claimed %+v from an empty queue", job)
		}
		older := requestExport(t, s, sqltest.Portal(f.AActive), exportInput(nil, portal.ExportKindApprovals, "2026-01-01", "2026-01-31"))
		newer := requestExport(t, s, sqltest.Staff(f.Owner), exportInput(&f.A.ID, portal.ExportKindActivity, "2026-01-01", "2026-01-31"))

		// Oldest first, each once.
		start := time.Now()
		job := claim(t, s)
		if job == nil || job.ID != older.ID || job.Status != portal.ExportStatusRunning || job.Attempts != 1 || job.LeaseUntil == nil || job.LeaseUntil.Before(start.Add(59*time.Minute)) {
			t.Fatalf("first claim %+v, want the older job running, leased for an hour", job)
		}
		second := claim(t, s)
		if second == nil || second.ID != newer.ID {
			t.Fatalf("second claim %+v, want the newer job", second)
		}
		if third := claim(t, s); third != nil {
			t.Fatalf("claimed a held job again: %+v", third)
		}

		// Done: a shared file of the client marked with the export, and
		// the job's status, in one go.
		f1 := exportFile("a.csv")
		noErr(t, s.FinishExport(ctx, job, f1))
		if r := exportRow(t, s, older.ID); r.Status != "DONE" || deref(r.FileID) != f1.ID || r.LeaseUntil != nil || r.FinishedAt == nil || r.Error != nil {
			t.Errorf("finished job %+v", r)
		}
		files, err := s.FilesByID(ctx, sqltest.Portal(f.AActive), []string{f1.ID})
		noErr(t, err)
		if len(files) != 1 || deref(files[0].ExportID) != older.ID || files[0].ClientID != f.A.ID || files[0].Visibility != portal.VisibilityShared ||
			deref(files[0].UploadedByContactID) != f.AActive.ID || files[0].BlobKey != "k/a.csv" || files[0].Size != 10 {
			t.Errorf("the requesting contact reads the export's file as %+v", files)
		}
		if got := exportEvents(t, s, older.ID); !slices.Equal(got, []portal.ActivityAction{portal.ActivityActionExportRequested, portal.ActivityActionExportFinished}) {
			t.Errorf("events of a finished export: %v", got)
		}
		// Finished once: the claim is spent.
		wantCode(t, s.FinishExport(ctx, job, exportFile("again.csv")), portal.CodeConflict)
		wantCode(t, s.FailExport(ctx, job, errors.New("late")), portal.CodeConflict)

		// A failure of the machinery is retried after a delay, until the
		// attempts run out. Its cause is the worker's to log: staff read
		// the export's error, which must not show them a server's path.
		cause := errors.New("open /srv/portalgraph/blobs/ws_1/exports/x.csv: permission denied")
		noErr(t, s.FailExport(ctx, second, cause))
		retrying := "attempt 1 of 3 failed on the server; the export is tried again shortly"
		if r := exportRow(t, s, newer.ID); r.Status != "QUEUED" || r.Attempts != 1 || r.LeaseUntil == nil || !r.LeaseUntil.After(time.Now()) || deref(r.Error) != retrying {
			t.Errorf("job after a failed attempt %+v, want queued for later, error %q", r, retrying)
		}
		if job := claim(t, s); job != nil {
			t.Fatalf("claimed a job before its retry time: %+v", job)
		}
		for attempt := 2; attempt <= portal.MaxExportAttempts; attempt++ {
			expireLease(t, s, newer.ID)
			job := claim(t, s)
			if job == nil || job.ID != newer.ID || job.Attempts != attempt {
				t.Fatalf("attempt %d claimed %+v", attempt, job)
			}
			noErr(t, s.FailExport(ctx, job, cause))
		}
		failed := "the export failed on the server after 3 attempts; the server log has the cause under export " + newer.ID
		if r := exportRow(t, s, newer.ID); r.Status != "FAILED" || r.Attempts != portal.MaxExportAttempts || r.FinishedAt == nil || r.LeaseUntil != nil || r.FileID != nil || deref(r.Error) != failed {
			t.Errorf("job after its last attempt %+v, want failed with %q", r, failed)
		}
		expireLease(t, s, newer.ID)
		if job := claim(t, s); job != nil {
			t.Fatalf("claimed a failed job: %+v", job)
		}
		if got := exportEvents(t, s, newer.ID); !slices.Equal(got, []portal.ActivityAction{portal.ActivityActionExportRequested, portal.ActivityActionExportFailed}) {
			t.Errorf("events of a failed export: %v", got)
		}

		// A domain error is final at the first attempt.
		final := requestExport(t, s, sqltest.Staff(f.Owner), exportInput(&f.A.ID, portal.ExportKindApprovals, "2026-01-01", "2026-01-31"))
		job = claim(t, s)
		noErr(t, s.FailExport(ctx, job, fmt.Errorf("build: %w", portal.Forbidden("no longer visible"))))
		if r := exportRow(t, s, final.ID); r.Status != "FAILED" || r.Attempts != 1 || deref(r.Error) != "no longer visible" {
			t.Errorf("job after a final error %+v", r)
		}
	})
}

func TestExportLeases(t *testing.T) {
	withFixture(t, func(t *testing.T, s *sqlstore.Store, f *sqltest.Fixture) {
		ctx := t.Context()
		e := requestExport(t, s, sqltest.Staff(f.Owner), exportInput(&f.A.ID, portal.ExportKindApprovals, "2026-01-01", "2026-01-31"))
		lost := claim(t, s)

		// The worker stopped answering: once its lease runs out, another
		// takes the job over, and the first can neither finish nor fail it.
		expireLease(t, s, e.ID)
		taken := claim(t, s)
		if taken == nil || taken.ID != e.ID || taken.Attempts != 2 {
			t.Fatalf("claim after the lease ran out: %+v", taken)
		}
		files := allIDs(t, s, "files")
		wantCode(t, s.FinishExport(ctx, lost, exportFile("lost.csv")), portal.CodeConflict)
		wantCode(t, s.FailExport(ctx, lost, errors.New("lost")), portal.CodeConflict)
		if r := exportRow(t, s, e.ID); r.Status != "RUNNING" || r.Attempts != 2 || !slices.Equal(allIDs(t, s, "files"), files) {
			t.Errorf("a worker that lost its lease changed the job: %+v", r)
		}
		noErr(t, s.FinishExport(ctx, taken, exportFile("taken.csv")))
		if r := exportRow(t, s, e.ID); r.Status != "DONE" || len(newIDs(t, s, "files", files)) != 1 {
			t.Errorf("job finished by the worker that took it over: %+v", r)
		}

		// A job whose last attempt's worker vanished fails at the next
		// claim, with its activity.
		gone := requestExport(t, s, sqltest.Staff(f.Owner), exportInput(&f.A.ID, portal.ExportKindApprovals, "2026-01-01", "2026-01-31"))
		for range portal.MaxExportAttempts {
			if job := claim(t, s); job == nil || job.ID != gone.ID {
				t.Fatalf("claimed %+v", job)
			}
			expireLease(t, s, gone.ID)
		}
		if job := claim(t, s); job != nil {
			t.Fatalf("claimed a job without attempts left: %+v", job)
		}
		if r := exportRow(t, s, gone.ID); r.Status != "FAILED" || r.Error == nil || !strings.Contains(*r.Error, "3 attempts") {
			t.Errorf("abandoned job %+v, want failed", r)
		}
		if got := exportEvents(t, s, gone.ID); !slices.Equal(got, []portal.ActivityAction{portal.ActivityActionExportRequested, portal.ActivityActionExportFailed}) {
			t.Errorf("events of an abandoned export: %v", got)
		}
	})
}

// TestConcurrentExportClaims has many workers claim from one queue at
// once: each job goes to exactly one of them. (On PostgreSQL they share
// sqltest.PoolConns connections, so that many claim at the same instant.)
func TestConcurrentExportClaims(t *testing.T) {
	t.Parallel()
	for _, dialect := range sqltest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			s := sqltest.Open(t, dialect, sqlstore.WithMaxConns(16))
			f := sqltest.LoadFixture(t, s)
			const jobs, workers = 60, 16
			want := make([]string, jobs)
			for i := range want {
				want[i] = requestExport(t, s, sqltest.Staff(f.Owner), exportInput(&f.A.ID, portal.ExportKindApprovals, "2026-01-01", "2026-01-31")).ID
			}
			var mu sync.Mutex
			var got []string
			var wg sync.WaitGroup
			for range workers {
				wg.Go(func() {
					for {
						job, err := s.ClaimExport(t.Context(), time.Hour)
						if err != nil {
							t.Error(err)
							return
						}
						if job == nil {
							return
						}
						mu.Lock()
						got = append(got, job.ID)
						mu.Unlock()
					}
				})
			}
			wg.Wait()
			slices.Sort(got)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("%d claims of %d jobs: some job was claimed twice or never", len(got), jobs)
			}
		})
	}
}

// exportRows is the CSV of an export as WriteExport hands it out, with
// every column.
func exportRows(t *testing.T, s *sqlstore.Store, e *portal.Export) [][]string {
	t.Helper()
	return exportRowsWith(t, s, e, sqltest.EveryField)
}

// exportRowsWith is exportRows with the columns of the schemas has says.
func exportRowsWith(t *testing.T, s *sqlstore.Store, e *portal.Export, has portal.SchemaHas) [][]string {
	t.Helper()
	var rows [][]string
	noErr(t, s.WriteExport(t.Context(), e, has, func(r []string) error {
		rows = append(rows, r)
		return nil
	}))
	return rows
}

// An export has the columns whose fields its requester's schema has, in
// their order, each row a cell per column; one with no column is refused
// for good. The schemas here are stand-ins; graph tests the real ones.
func TestExportColumnsFollowTheRequestersSchema(t *testing.T) {
	withFixture(t, func(t *testing.T, s *sqlstore.Store, f *sqltest.Fixture) {
		ctx := t.Context()
		showExports(t, s, f.A)
		ann := requestExport(t, s, sqltest.Portal(f.AActive), exportInput(nil, portal.ExportKindDeliverables, "2026-01-01", "2026-12-31"))
		owner := requestExport(t, s, sqltest.Staff(f.Owner), exportInput(&f.A.ID, portal.ExportKindDeliverables, "2026-01-01", "2026-12-31"))
		// The portal's schema lacks two of the fields, one through a
		// relation.
		has := func(aud portal.Audience, path string) bool {
			return aud == portal.AudienceStaff || (path != "Deliverable.updatedAt" && path != "Deliverable.project.name")
		}
		for _, c := range []struct {
			who    portal.Audience
			e      *portal.Export
			header []string
			rows   int
		}{
			{portal.AudiencePortal, ann, []string{"deliverable_id", "title", "status", "due_on", "created_at"}, 1},
			{portal.AudienceStaff, owner, []string{"deliverable_id", "project", "title", "status", "due_on", "created_at", "updated_at"}, 3},
		} {
			rows := exportRowsWith(t, s, c.e, has)
			if !slices.Equal(rows[0], c.header) || len(rows) != 1+c.rows {
				t.Errorf("%s's CSV %v, want the header %v and %d rows", c.who, rows, c.header, c.rows)
			}
			for _, r := range rows[1:] {
				if len(r) != len(c.header) {
					t.Errorf("%s's row %v for the header %v", c.who, r, c.header)
				}
			}
			if got := sqlstore.ExportHeader(portal.ExportKindDeliverables, c.who, has); !slices.Equal(got, c.header) {
				t.Errorf("ExportHeader for the %s: %v, want %v", c.who, got, c.header)
			}
		}
		if r := exportRowsWith(t, s, ann, has)[1]; r[0] != f.DShared.ID || r[1] != "Shared deliverable" || r[3] != "2026-03-01" {
			t.Errorf("the contact's row %v", r)
		}

		// A schema with none of the columns' fields: nothing to write, and
		// trying again changes nothing.
		err := s.WriteExport(ctx, ann, func(portal.Audience, string) bool { return false }, func([]string) error {
			t.Error("a row was written")
			return nil
		})
		wantCode(t, err, portal.CodeForbidden)
		// No schema at all is the wiring's fault: an internal error.
		err = s.WriteExport(ctx, ann, nil, func([]string) error { t.Error("a row was written"); return nil })
		if err == nil || portal.ErrorCode(err) != portal.CodeInternal {
			t.Errorf("an export without schemas: %v", err)
		}
	})
}

// column returns one column of a CSV's rows, the header left out.
func column(rows [][]string, i int) []string {
	var out []string
	for _, r := range rows[1:] {
		out = append(out, r[i])
	}
	return out
}

func TestExportRows(t *testing.T) {
	withFixture(t, func(t *testing.T, s *sqlstore.Store, f *sqltest.Fixture) {
		ctx := t.Context()
		showExports(t, s, f.A)
		year := func(p portal.Principal, kind portal.ExportKind) *portal.Export {
			return requestExport(t, s, p, exportInput(&f.A.ID, kind, "2026-01-01", "2026-12-31"))
		}
		ann, owner := sqltest.Portal(f.AActive), sqltest.Staff(f.Owner)

		// Approvals: a contact's CSV holds what their portal shows, the
		// internal deliverable's approval left out; staff's holds both.
		rows := exportRows(t, s, year(ann, portal.ExportKindApprovals))
		if !slices.Equal(rows[0], []string{"approval_id", "project", "deliverable", "title", "status", "round", "due_on", "requested_at", "resolved_at", "decisions"}) {
			t.Errorf("approvals header %v", rows[0])
		}
		if got := column(rows, 0); !slices.Equal(got, []string{f.ApprovalShared.ID}) {
			t.Errorf("a contact's approvals: %v", got)
		}
		if r := rows[1]; r[1] != "Acme shared" || r[2] != "Shared deliverable" || r[4] != "APPROVED" || r[9] != "Ann Active: APPROVED" || r[8] == "" {
			t.Errorf("approval row %v", r)
		}
		if got := column(exportRows(t, s, year(owner, portal.ExportKindApprovals)), 0); !slices.Equal(got, []string{f.ApprovalShared.ID, f.ApprovalInternal.ID}) {
			t.Errorf("staff's approvals: %v", got)
		}

		// Deliverables: neither the internal deliverable nor the shared
		// one of an internal project reach the contact.
		rows = exportRows(t, s, year(ann, portal.ExportKindDeliverables))
		if got := column(rows, 0); !slices.Equal(got, []string{f.DShared.ID}) {
			t.Errorf("a contact's deliverables: %v", got)
		}
		if r := rows[1]; r[1] != "Acme shared" || r[2] != "Shared deliverable" || r[4] != "2026-03-01" {
			t.Errorf("deliverable row %v", r)
		}
		if got := column(exportRows(t, s, year(owner, portal.ExportKindDeliverables)), 0); len(got) != 3 || !slices.Contains(got, f.DOfInternal.ID) || !slices.Contains(got, f.DInternal.ID) {
			t.Errorf("staff's deliverables: %v", got)
		}

		// Activity, for staff: the fixture's event first, in time order,
		// with its actor.
		rows = exportRows(t, s, year(owner, portal.ExportKindActivity))
		if got := column(rows, 3); len(got) == 0 || got[0] != f.A.ID {
			t.Errorf("activity record IDs %v", got)
		}
		if r := rows[1]; r[1] != "CREATED" || r[4] != "Mark Manager" || r[5] != "" || r[6] != "Created client Acme" || r[8] != "false" {
			t.Errorf("activity row %v", r)
		}

		// Outside the range: nothing but the header.
		empty := requestExport(t, s, owner, exportInput(&f.A.ID, portal.ExportKindApprovals, "2020-01-01", "2020-01-31"))
		if rows := exportRows(t, s, empty); len(rows) != 1 {
			t.Errorf("an empty range gave %v", rows)
		}

		// A contact who can no longer see the export gets none, with a
		// final error.
		gone := year(ann, portal.ExportKindApprovals)
		exec(t, s, "UPDATE contacts SET portal_status = 'SUSPENDED' WHERE id = ?", f.AActive.ID)
		err := s.WriteExport(ctx, gone, sqltest.EveryField, func([]string) error { t.Error("a row was written"); return nil })
		wantCode(t, err, portal.CodeForbidden)
	})
}
