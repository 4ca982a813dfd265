package sqlstore_test

import (
	"testing"
	"time"

	"portalgraph/internal/portal"
	"portalgraph/internal/sqlstore"
	"portalgraph/internal/sqlstore/sqltest"
)

// Input the API refuses, handed to the store anyway: text with NUL or
// invalid UTF-8, dates and times outside the years 0001 to 9999.
// PostgreSQL would fail on each where SQLite would store it; the store
// answers BAD_USER_INPUT on both, before anything reaches either, and
// writes nothing.
func TestStoreRefusesWhatNoDatabaseStoresAlike(t *testing.T) {
	t.Parallel()
	sqltest.Run(t, func(t *testing.T, s *sqlstore.Store) {
		f := sqltest.LoadFixture(t, s)
		ctx, owner, ann := t.Context(), sqltest.Staff(f.Owner), sqltest.Portal(f.AActive)
		year0 := &portal.Date{Year: 0, Month: time.January, Day: 1}
		year10000 := &portal.Date{Year: 10000, Month: time.January, Day: 1}
		before := dump(t, s)

		cases := []struct {
			name string
			call func() error
		}{
			{"NUL in a title", func() error {
				_, err := s.UpdateDeliverable(ctx, owner, portal.UpdateDeliverableInput{ID: f.DShared.ID, Title: ptr("a\x00b")})
				return err
			}},
			{"invalid UTF-8 in a title", func() error {
				_, err := s.UpdateDeliverable(ctx, owner, portal.UpdateDeliverableInput{ID: f.DShared.ID, Title: ptr("caf\xe9")})
				return err
			}},
			{"NUL in a name", func() error {
				_, err := s.CreateClient(ctx, owner, portal.CreateClientInput{Name: "Delta\x00"})
				return err
			}},
			{"NUL in a note", func() error {
				_, err := s.AddNote(ctx, owner, portal.AddNoteInput{SubjectID: f.A.ID, Body: "call\x00back"})
				return err
			}},
			{"NUL in a contact's request", func() error {
				_, err := s.OpenRequest(ctx, ann, portal.OpenRequestInput{Title: "Help", Body: "\x00"})
				return err
			}},
			{"year 0 due date", func() error {
				_, err := s.CreateProject(ctx, owner, portal.CreateProjectInput{ClientID: f.A.ID, Name: "Old", DueOn: year0})
				return err
			}},
			{"year 10000 due date", func() error {
				_, err := s.UpdateDeliverable(ctx, owner, portal.UpdateDeliverableInput{ID: f.DShared.ID, DueOn: year10000})
				return err
			}},
			{"an export of year 0", func() error {
				_, err := s.RequestExport(ctx, owner, portal.RequestExportInput{ClientID: &f.A.ID, Kind: portal.ExportKindApprovals, From: *year0, To: *year0})
				return err
			}},
			{"NUL in a filter's text", func() error {
				_, err := s.Clients(ctx, owner, portal.ClientFilter{Text: ptr("acme\x00")}, nil, portal.PageArgs{First: 10})
				return err
			}},
			{"NUL in a filter's ID", func() error {
				_, err := s.Projects(ctx, owner, portal.ProjectFilter{ClientID: ptr(f.A.ID + "\x00")}, nil, portal.PageArgs{First: 10})
				return err
			}},
			{"NUL in a batch of IDs", func() error {
				_, err := s.ClientsByID(ctx, owner, []string{f.A.ID, "cli_\x00"})
				return err
			}},
			{"dueAfter year 0", func() error {
				_, err := s.Deliverables(ctx, owner, portal.DeliverableFilter{DueAfter: year0}, nil, portal.PageArgs{First: 10})
				return err
			}},
			{"dueAfter year 0 per parent", func() error {
				_, err := s.DeliverablesOfProjects(ctx, owner, []string{f.AShared.ID}, portal.ProjectDeliverableFilter{DueAfter: year0}, nil, portal.PageArgs{First: 10})
				return err
			}},
			{"activity since year 0", func() error {
				since := time.Date(0, time.June, 1, 0, 0, 0, 0, time.UTC)
				_, err := s.ActivityOfClients(ctx, owner, []string{f.A.ID}, portal.ActivityFilter{Since: &since}, portal.PageArgs{First: 10})
				return err
			}},
			{"activity until past 9999 in UTC", func() error {
				until := time.Date(9999, time.December, 31, 23, 0, 0, 0, time.FixedZone("", -5*3600))
				_, err := s.ActivityOfClients(ctx, owner, []string{f.A.ID}, portal.ActivityFilter{Until: &until}, portal.PageArgs{First: 10})
				return err
			}},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) { wantCode(t, c.call(), portal.CodeBadUserInput) })
		}
		if after := dump(t, s); after != before {
			t.Errorf("refused writes changed the database:\nbefore:\n%s\nafter:\n%s", before, after)
		}
	})
}

// An uploaded file's own name comes from the multipart request, past every
// scalar: the store names it as bad input when no database stores it alike.
func TestUploadedFileNameMustBeText(t *testing.T) {
	t.Parallel()
	sqltest.Run(t, func(t *testing.T, s *sqlstore.Store) {
		f := sqltest.LoadFixture(t, s)
		before := dump(t, s)
		for _, name := range []string{"r\xe9sum\xe9.pdf", "a\x00.pdf"} {
			in := portal.UploadFileInput{ClientID: &f.A.ID}
			in.File.Filename = name
			_, err := s.UploadFile(t.Context(), sqltest.Staff(f.Owner), in, func(*portal.File) (portal.FileContent, error) {
				t.Fatalf("%q: the bytes were asked for", name)
				return portal.FileContent{}, nil
			})
			wantCode(t, err, portal.CodeBadUserInput, "input.name")
		}
		if dump(t, s) != before {
			t.Error("a refused upload changed the database")
		}
	})
}

// An export may end on the last date there is. The day after it is a time
// neither database stores alike, so such a range has no end: every kind
// of export runs, alike on both databases, and finds nothing made then.
func TestExportToTheLastDate(t *testing.T) {
	t.Parallel()
	sqltest.Run(t, func(t *testing.T, s *sqlstore.Store) {
		f := sqltest.LoadFixture(t, s)
		for _, kind := range []portal.ExportKind{portal.ExportKindApprovals, portal.ExportKindDeliverables, portal.ExportKindActivity} {
			e, err := s.RequestExport(t.Context(), sqltest.Staff(f.Owner), exportInput(&f.A.ID, kind, "9999-12-01", "9999-12-31"))
			noErr(t, err)
			if rows := exportRows(t, s, e); len(rows) != 1 {
				t.Errorf("%s export of December 9999: %d rows, want the header alone", kind, len(rows))
			}
		}
	})
}
