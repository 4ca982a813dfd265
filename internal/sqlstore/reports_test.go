package sqlstore_test

import (
	"fmt"
	"math"
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

// Reports: writing them, publishing them, finding them by period, and who
// sees which.

// reportWorld is the fixture plus reports on every side of the rules: of
// client A, on the client and on its shared and internal projects, drafts
// and published; of client B; of client C, whose portal is off; and of
// client X in the other workspace. Created in this order, so their IDs
// ascend in it.
type reportWorld struct {
	f   *sqltest.Fixture
	lab labels

	APublished, ADraft                   *portal.Report // on the client
	ASharedPublished, ASharedDraft       *portal.Report // on project AShared
	AInternalPublished                   *portal.Report // on project AInternal
	BPublished, CPublished, XPublished   *portal.Report
	allW1                                []*portal.Report
	draftsW1, publishedOfA, ofB, ofOther []*portal.Report
}

func loadReportWorld(t *testing.T, s *sqlstore.Store) *reportWorld {
	t.Helper()
	f := sqltest.LoadFixture(t, s)
	w := &reportWorld{f: f, lab: labelsOf(f)}
	b := dataset.New(time.Date(2026, 2, 3, 9, 0, 0, 0, time.UTC), 41)
	add := func(label string, c *portal.Client, p *portal.Project, from, to string, status portal.ReportStatus) *portal.Report {
		r := b.Report(c, p, f.Manager, label, *date(from), *date(to), status,
			&portal.ReportMetric{Name: "Sessions", Value: 1200}, &portal.ReportMetric{Name: "Conversion", Value: 2.5, Unit: ptr("%")})
		if c.WorkspaceID != f.W1.ID {
			r.AuthorID = &f.Owner2.ID
		}
		w.lab[r.ID] = label
		return r
	}
	published, draft := portal.ReportStatusPublished, portal.ReportStatusDraft
	w.APublished = add("APublished", f.A, nil, "2026-01-01", "2026-01-31", published)
	w.ADraft = add("ADraft", f.A, nil, "2026-02-01", "2026-02-28", draft)
	w.ASharedPublished = add("ASharedPublished", f.A, f.AShared, "2026-02-01", "2026-02-28", published)
	w.ASharedDraft = add("ASharedDraft", f.A, f.AShared, "2026-03-01", "2026-03-31", draft)
	w.AInternalPublished = add("AInternalPublished", f.A, f.AInternal, "2026-01-01", "2026-03-31", published)
	w.BPublished = add("BPublished", f.B, nil, "2026-01-15", "2026-02-15", published)
	w.CPublished = add("CPublished", f.C, nil, "2026-01-01", "2026-01-31", published)
	w.XPublished = add("XPublished", f.X, nil, "2026-01-01", "2026-01-31", published)
	noErr(t, s.Load(t.Context(), &b.Data))
	w.allW1 = []*portal.Report{w.APublished, w.ADraft, w.ASharedPublished, w.ASharedDraft, w.AInternalPublished, w.BPublished, w.CPublished}
	return w
}

// names returns the labels of reports, sorted.
func (w *reportWorld) names(rs ...*portal.Report) []string { return w.lab.of(idsOf(rs)) }

// reportDump is dump plus the reports table, which dump does not read.
func reportDump(t *testing.T, s *sqlstore.Store) string {
	t.Helper()
	rows, err := s.DB().QueryxContext(t.Context(), "SELECT * FROM reports")
	noErr(t, err)
	defer rows.Close()
	var lines []string
	for rows.Next() {
		cols, err := rows.SliceScan()
		noErr(t, err)
		for i, c := range cols {
			if v, ok := c.([]byte); ok {
				cols[i] = string(v)
			}
		}
		lines = append(lines, fmt.Sprint(cols))
	}
	noErr(t, rows.Err())
	slices.Sort(lines)
	return dump(t, s) + "reports:\n  " + strings.Join(lines, "\n  ") + "\n"
}

// reportEvent is an activity event about a report, as the tests compare it.
type reportEvent struct {
	Action  portal.ActivityAction
	Report  string
	Actor   string
	Summary string
	Changed string
}

// reportEvents lists the report events of a client, oldest first.
func reportEvents(t *testing.T, s *sqlstore.Store, f *sqltest.Fixture, clientID string) []reportEvent {
	t.Helper()
	pages, err := s.ActivityOfClients(t.Context(), sqltest.Staff(f.Owner), []string{clientID},
		portal.ActivityFilter{RecordTypes: []portal.RecordType{portal.RecordTypeReport}}, all)
	noErr(t, err)
	out := []reportEvent{}
	for _, e := range pages[clientID].Edges {
		ev := e.Node
		if ev.ClientID == nil || *ev.ClientID != clientID || ev.ActorContactID != nil {
			t.Errorf("event %+v: want the client and a staff actor", ev)
		}
		out = append(out, reportEvent{ev.Action, ev.RecordID, deref(ev.ActorUserID), ev.Summary, strings.Join(ev.Changed, ",")})
	}
	slices.Reverse(out)
	return out
}

// same requires got to equal want.
func same(t *testing.T, what string, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s = %+v, want %+v", what, got, want)
	}
}

// visibleReports is what p finds of reports by ID: the labels it may see.
func visibleReports(t *testing.T, s *sqlstore.Store, w *reportWorld, p portal.Principal, ids []string) []string {
	t.Helper()
	got, err := s.ReportsByID(t.Context(), p, ids)
	noErr(t, err)
	return w.lab.of(idsOf(got))
}

// A report from draft to published and back: each step as it should be,
// each recorded once in the client's activity, the contacts seeing it only
// while it is published.
func TestReportLifecycle(t *testing.T) {
	sqltest.Run(t, func(t *testing.T, s *sqlstore.Store) {
		ctx := t.Context()
		f := sqltest.LoadFixture(t, s)
		manager, ann := sqltest.Staff(f.Manager), sqltest.Portal(f.AActive)

		r, err := s.CreateReport(ctx, manager, portal.CreateReportInput{
			ClientID: f.A.ID, ProjectID: &f.AShared.ID, Title: "  January results ",
			PeriodStart: *date("2026-01-01"), PeriodEnd: *date("2026-01-31"),
			Summary: ptr(" A strong month. "), Body: ptr("## Highlights\n\n- Sessions up 12%"),
			Metrics: []*portal.ReportMetricInput{
				{Name: " Sessions ", Value: 48210},
				{Name: "Conversion rate", Value: 2.4, Unit: ptr(" % ")},
				{Name: "Cost per lead", Value: -0.5, Unit: ptr("  ")},
			},
		})
		noErr(t, err)
		if !strings.HasPrefix(r.ID, portal.PrefixReport+"_") || r.WorkspaceID != f.W1.ID || r.CreatedAt.IsZero() || !r.UpdatedAt.Equal(r.CreatedAt) {
			t.Errorf("created report %+v", r)
		}
		want := &portal.Report{
			WorkspaceID: f.W1.ID, ID: r.ID, ClientID: f.A.ID, ProjectID: &f.AShared.ID, Title: "January results",
			PeriodStart: *date("2026-01-01"), PeriodEnd: *date("2026-01-31"),
			Summary: ptr("A strong month."), Body: ptr("## Highlights\n\n- Sessions up 12%"),
			Metrics: portal.ReportMetrics{
				{Name: "Sessions", Value: 48210}, {Name: "Conversion rate", Value: 2.4, Unit: ptr("%")}, {Name: "Cost per lead", Value: -0.5},
			},
			Status: portal.ReportStatusDraft, AuthorID: &f.Manager.ID, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt,
		}
		if diff := differingFields(r, want); len(diff) > 0 {
			t.Errorf("created report differs in %v: %+v", diff, r)
		}
		// What was stored reads back the same.
		stored, err := s.ReportsByID(ctx, manager, []string{r.ID})
		noErr(t, err)
		if len(stored) != 1 {
			t.Fatalf("stored reports: %v", stored)
		}
		if diff := differingFields(stored[0], want); len(diff) > 0 {
			t.Errorf("stored report differs in %v: %+v", diff, stored[0])
		}
		seen, err := s.ReportsByID(ctx, ann, []string{r.ID})
		noErr(t, err)
		same(t, "drafts the contact sees", len(seen), 0)

		// An update changes what it names, and only that.
		updated, err := s.UpdateReport(ctx, manager, portal.UpdateReportInput{
			ID: r.ID, Title: ptr("January results (final)"), PeriodEnd: date("2026-02-01"), Summary: ptr(""),
			Body:    ptr("## Highlights\n\n- Sessions up 12%"),
			Metrics: []*portal.ReportMetricInput{{Name: "Sessions", Value: 48300}},
		})
		noErr(t, err)
		want.Title, want.PeriodEnd, want.Summary = "January results (final)", *date("2026-02-01"), nil
		want.Metrics, want.UpdatedAt = portal.ReportMetrics{{Name: "Sessions", Value: 48300}}, updated.UpdatedAt
		if diff := differingFields(updated, want); len(diff) > 0 {
			t.Errorf("updated report differs in %v: %+v", diff, updated)
		}
		// Nothing to change: nothing is written.
		before := reportDump(t, s)
		unchanged, err := s.UpdateReport(ctx, manager, portal.UpdateReportInput{
			ID: r.ID, Title: ptr(" January results (final) "), PeriodStart: date("2026-01-01"),
			Metrics: []*portal.ReportMetricInput{{Name: "Sessions", Value: 48300}},
		})
		noErr(t, err)
		if diff := differingFields(unchanged, want); len(diff) > 0 {
			t.Errorf("unchanged report differs in %v", diff)
		}
		same(t, "database after an update changing nothing", reportDump(t, s), before)

		// Published: the contact sees it, with when it was published.
		published, err := s.PublishReport(ctx, manager, r.ID)
		noErr(t, err)
		if published.Status != portal.ReportStatusPublished || published.PublishedAt == nil || !published.PublishedAt.Equal(published.UpdatedAt) {
			t.Errorf("published report %+v", published)
		}
		seen, err = s.ReportsByID(ctx, ann, []string{r.ID})
		noErr(t, err)
		if len(seen) != 1 || !seen[0].PublishedAt.Equal(*published.PublishedAt) {
			t.Errorf("the contact sees %+v", seen)
		}
		// Publishing again changes nothing: the same answer, no write.
		before = reportDump(t, s)
		again, err := s.PublishReport(ctx, manager, r.ID)
		noErr(t, err)
		if again.Status != portal.ReportStatusPublished || !again.PublishedAt.Equal(*published.PublishedAt) {
			t.Errorf("published twice: %+v", again)
		}
		same(t, "database after publishing twice", reportDump(t, s), before)

		// A published report may be corrected; it stays published.
		corrected, err := s.UpdateReport(ctx, sqltest.Staff(f.Owner), portal.UpdateReportInput{ID: r.ID, Body: ptr("## Highlights\n\n- Sessions up 13%")})
		noErr(t, err)
		if corrected.Status != portal.ReportStatusPublished || !corrected.PublishedAt.Equal(*published.PublishedAt) || *corrected.Body != "## Highlights\n\n- Sessions up 13%" {
			t.Errorf("corrected report %+v", corrected)
		}

		// Unpublished: a draft again, hidden from the contact.
		unpublished, err := s.UnpublishReport(ctx, manager, r.ID)
		noErr(t, err)
		if unpublished.Status != portal.ReportStatusDraft || unpublished.PublishedAt != nil {
			t.Errorf("unpublished report %+v", unpublished)
		}
		seen, err = s.ReportsByID(ctx, ann, []string{r.ID})
		noErr(t, err)
		same(t, "the contact after unpublishing", len(seen), 0)
		before = reportDump(t, s)
		again, err = s.UnpublishReport(ctx, manager, r.ID)
		noErr(t, err)
		if again.Status != portal.ReportStatusDraft || again.PublishedAt != nil {
			t.Errorf("unpublished twice: %+v", again)
		}
		same(t, "database after unpublishing a draft", reportDump(t, s), before)

		// Published again, it is published from then on.
		republished, err := s.PublishReport(ctx, manager, r.ID)
		noErr(t, err)
		if !republished.PublishedAt.After(*published.PublishedAt) {
			t.Errorf("republished at %v, first published at %v", republished.PublishedAt, published.PublishedAt)
		}

		// A report on the client alone.
		onClient, err := s.CreateReport(ctx, manager, portal.CreateReportInput{
			ClientID: f.A.ID, Title: "Q1 overview", PeriodStart: *date("2026-01-01"), PeriodEnd: *date("2026-01-01"),
		})
		noErr(t, err)
		if onClient.ProjectID != nil || onClient.Metrics == nil || len(onClient.Metrics) != 0 || onClient.Summary != nil || onClient.Body != nil {
			t.Errorf("report on the client %+v", onClient)
		}

		by := func(u *portal.User) string { return u.ID }
		same(t, "activity", reportEvents(t, s, f, f.A.ID), []reportEvent{
			{portal.ActivityActionCreated, r.ID, by(f.Manager), "Created report January results", ""},
			{portal.ActivityActionUpdated, r.ID, by(f.Manager), "Updated report January results (final)", "title,periodEnd,summary,metrics"},
			{portal.ActivityActionReportPublished, r.ID, by(f.Manager), "Published report January results (final)", ""},
			{portal.ActivityActionUpdated, r.ID, by(f.Owner), "Updated report January results (final)", "body"},
			{portal.ActivityActionReportUnpublished, r.ID, by(f.Manager), "Unpublished report January results (final)", ""},
			{portal.ActivityActionReportPublished, r.ID, by(f.Manager), "Published report January results (final)", ""},
			{portal.ActivityActionCreated, onClient.ID, by(f.Manager), "Created report Q1 overview", ""},
		})
	})
}

// Bad input is BAD_USER_INPUT naming each bad field; who may not write is
// FORBIDDEN before the input is looked at; another workspace's report is
// NOT_FOUND. None of them writes anything, including the failures found
// inside the transaction after something was read.
func TestReportWritesRefused(t *testing.T) {
	sqltest.Run(t, func(t *testing.T, s *sqlstore.Store) {
		ctx := t.Context()
		w := loadReportWorld(t, s)
		f := w.f
		manager := sqltest.Staff(f.Manager)
		create := func(change func(in *portal.CreateReportInput)) portal.CreateReportInput {
			in := portal.CreateReportInput{
				ClientID: f.A.ID, ProjectID: &f.AShared.ID, Title: "March", PeriodStart: *date("2026-03-01"), PeriodEnd: *date("2026-03-31"),
				Metrics: []*portal.ReportMetricInput{{Name: "Sessions", Value: 1}},
			}
			change(&in)
			return in
		}
		metrics := func(ms ...*portal.ReportMetricInput) []*portal.ReportMetricInput { return ms }
		const unknownClient = "cli_01JH0000000000000000000000"
		preview := sqltest.Portal(f.AActive)
		preview.Preview, preview.PreviewBy = true, f.Owner.ID
		// A staff principal marked as a preview does not occur; the store
		// refuses it all the same.
		staffPreview := sqltest.Staff(f.Owner)
		staffPreview.Preview = true

		cases := []struct {
			name   string
			p      portal.Principal
			write  func(p portal.Principal) error
			code   portal.Code
			fields []string
		}{
			{"end before start", manager, func(p portal.Principal) error {
				_, err := s.CreateReport(ctx, p, create(func(in *portal.CreateReportInput) { in.PeriodEnd = *date("2026-02-28") }))
				return err
			}, portal.CodeBadUserInput, []string{"input.periodEnd"}},
			{"blank title, blank and repeated metric names, values not finite", manager, func(p portal.Principal) error {
				_, err := s.CreateReport(ctx, p, create(func(in *portal.CreateReportInput) {
					in.Title = " "
					in.Metrics = metrics(&portal.ReportMetricInput{Name: "Sessions", Value: 1}, &portal.ReportMetricInput{Name: "  ", Value: 2},
						&portal.ReportMetricInput{Name: " sessions", Value: math.NaN()}, &portal.ReportMetricInput{Name: "Leads", Value: math.Inf(1)},
						&portal.ReportMetricInput{Name: "Spend", Value: math.Inf(-1)})
				}))
				return err
			}, portal.CodeBadUserInput, []string{"input.title", "input.metrics[1].name", "input.metrics[2].name", "input.metrics[2].value",
				"input.metrics[3].value", "input.metrics[4].value"}},
			{"another client's project", manager, func(p portal.Principal) error {
				_, err := s.CreateReport(ctx, p, create(func(in *portal.CreateReportInput) { in.ProjectID = &f.BShared.ID }))
				return err
			}, portal.CodeBadUserInput, []string{"input.projectId"}},
			{"another workspace's project", manager, func(p portal.Principal) error {
				_, err := s.CreateReport(ctx, p, create(func(in *portal.CreateReportInput) { in.ProjectID = &f.XShared.ID }))
				return err
			}, portal.CodeBadUserInput, []string{"input.projectId"}},
			{"an unknown client", manager, func(p portal.Principal) error {
				_, err := s.CreateReport(ctx, p, create(func(in *portal.CreateReportInput) { in.ClientID, in.ProjectID = unknownClient, nil }))
				return err
			}, portal.CodeBadUserInput, []string{"input.clientId"}},
			{"another workspace's client", manager, func(p portal.Principal) error {
				_, err := s.CreateReport(ctx, p, create(func(in *portal.CreateReportInput) { in.ClientID, in.ProjectID = f.X.ID, nil }))
				return err
			}, portal.CodeBadUserInput, []string{"input.clientId"}},
			{"an update moving the end before the start kept", manager, func(p portal.Principal) error {
				_, err := s.UpdateReport(ctx, p, portal.UpdateReportInput{ID: w.ADraft.ID, Title: ptr("Changed"), PeriodEnd: date("2026-01-31")})
				return err
			}, portal.CodeBadUserInput, []string{"input.periodEnd"}},
			{"an update moving the start after the end kept", manager, func(p portal.Principal) error {
				_, err := s.UpdateReport(ctx, p, portal.UpdateReportInput{ID: w.ADraft.ID, PeriodStart: date("2026-03-01")})
				return err
			}, portal.CodeBadUserInput, []string{"input.periodStart"}},
			{"an update with both ends the wrong way round", manager, func(p portal.Principal) error {
				_, err := s.UpdateReport(ctx, p, portal.UpdateReportInput{ID: w.ADraft.ID, PeriodStart: date("2026-05-02"), PeriodEnd: date("2026-05-01")})
				return err
			}, portal.CodeBadUserInput, []string{"input.periodEnd"}},
			{"an update with a repeated metric and a blank title", manager, func(p portal.Principal) error {
				_, err := s.UpdateReport(ctx, p, portal.UpdateReportInput{ID: w.ADraft.ID, Title: ptr(""),
					Metrics: metrics(&portal.ReportMetricInput{Name: "A", Value: 1}, &portal.ReportMetricInput{Name: "a", Value: 2})})
				return err
			}, portal.CodeBadUserInput, []string{"input.title", "input.metrics[1].name"}},
			{"an update of another workspace's report", manager, func(p portal.Principal) error {
				_, err := s.UpdateReport(ctx, p, portal.UpdateReportInput{ID: w.XPublished.ID, Title: ptr("Mine now")})
				return err
			}, portal.CodeNotFound, nil},
			{"unpublishing another workspace's report", manager, func(p portal.Principal) error {
				_, err := s.UnpublishReport(ctx, p, w.XPublished.ID)
				return err
			}, portal.CodeNotFound, nil},
			{"publishing a report that does not exist", manager, func(p portal.Principal) error {
				_, err := s.PublishReport(ctx, p, "rep_01JH0000000000000000000000")
				return err
			}, portal.CodeNotFound, nil},
		}
		// Who may not write reports is refused every write, valid or not.
		for who, p := range map[string]portal.Principal{
			"member": sqltest.Staff(f.Member), "viewer": sqltest.Staff(f.Viewer), "contact": sqltest.Portal(f.AActive),
			"preview": preview, "staff preview": staffPreview, "anonymous": portal.Anonymous(),
		} {
			for _, write := range []func(p portal.Principal) error{
				func(p portal.Principal) error {
					_, err := s.CreateReport(ctx, p, create(func(*portal.CreateReportInput) {}))
					return err
				},
				cases[1].write,
				func(p portal.Principal) error {
					_, err := s.UpdateReport(ctx, p, portal.UpdateReportInput{ID: w.APublished.ID, Title: ptr("x")})
					return err
				},
				func(p portal.Principal) error { _, err := s.PublishReport(ctx, p, w.ADraft.ID); return err },
				func(p portal.Principal) error { _, err := s.UnpublishReport(ctx, p, w.APublished.ID); return err },
			} {
				cases = append(cases, struct {
					name   string
					p      portal.Principal
					write  func(p portal.Principal) error
					code   portal.Code
					fields []string
				}{who + " writes", p, write, portal.CodeForbidden, nil})
			}
		}

		before := reportDump(t, s)
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				wantCode(t, c.write(c.p), c.code, c.fields...)
			})
		}
		same(t, "database after the refusals", reportDump(t, s), before)

		// The preview's refusal is the preview's, not a lack of role.
		wantCode(t, func() error { _, err := s.PublishReport(ctx, staffPreview, w.ADraft.ID); return err }(), portal.CodeForbidden)
		_, err := s.PublishReport(ctx, staffPreview, w.ADraft.ID)
		same(t, "preview's refusal", err.Error(), "a preview of the portal is read-only")

		// The same writes go through for the manager, in the owner's
		// workspace for the other workspace's report.
		_, err = s.CreateReport(ctx, manager, create(func(*portal.CreateReportInput) {}))
		noErr(t, err)
		_, err = s.UpdateReport(ctx, sqltest.Staff(f.Owner2), portal.UpdateReportInput{ID: w.XPublished.ID, Title: ptr("Xeno, January")})
		noErr(t, err)
	})
}

// The period filter keeps the reports whose period overlaps the range,
// both ends of each included; either end may be open.
func TestReportPeriodOverlap(t *testing.T) {
	sqltest.Run(t, func(t *testing.T, s *sqlstore.Store) {
		w := loadReportWorld(t, s)
		owner := sqltest.Staff(w.f.Owner)
		cases := []struct {
			from, to string
			want     []*portal.Report
		}{
			{"", "", w.allW1},
			// The range starts on the last day of January's reports: they are in.
			{"2026-01-31", "", w.allW1},
			{"2026-02-01", "", []*portal.Report{w.ADraft, w.ASharedPublished, w.ASharedDraft, w.AInternalPublished, w.BPublished}},
			// The range ends on the first day of February's reports: they are in.
			{"", "2026-02-01", []*portal.Report{w.APublished, w.ADraft, w.ASharedPublished, w.AInternalPublished, w.BPublished, w.CPublished}},
			{"", "2026-01-31", []*portal.Report{w.APublished, w.AInternalPublished, w.BPublished, w.CPublished}},
			{"2026-02-28", "2026-03-01", []*portal.Report{w.ADraft, w.ASharedPublished, w.ASharedDraft, w.AInternalPublished}},
			// One day inside some periods, just after BPublished's, just before ASharedDraft's.
			{"2026-02-16", "2026-02-16", []*portal.Report{w.ADraft, w.ASharedPublished, w.AInternalPublished}},
			{"2026-02-15", "2026-02-15", []*portal.Report{w.ADraft, w.ASharedPublished, w.AInternalPublished, w.BPublished}},
			// A range around no period.
			{"2026-04-01", "2026-12-31", nil},
			{"2025-01-01", "2025-12-31", nil},
		}
		opt := func(s string) *portal.Date {
			if s == "" {
				return nil
			}
			return date(s)
		}
		for _, c := range cases {
			filter := portal.ReportFilter{PeriodFrom: opt(c.from), PeriodTo: opt(c.to)}
			what := fmt.Sprintf("from %q to %q", c.from, c.to)
			got, err := s.Reports(t.Context(), owner, filter, all)
			noErr(t, err)
			same(t, what, w.lab.of(edgeIDs(got)), w.names(c.want...))
			same(t, what+" count", got.TotalCount, len(c.want))

			// Under clients, the same filter picks the same reports.
			pages, err := s.ReportsOf(t.Context(), owner, portal.RecordTypeClient, []string{w.f.A.ID, w.f.B.ID, w.f.C.ID}, filter, all)
			noErr(t, err)
			same(t, what+" under clients", w.lab.of(unionOfPages(t, what, pages, []string{w.f.A.ID, w.f.B.ID, w.f.C.ID})), w.names(c.want...))
		}

		// A range that ends before it starts is a mistake, not an empty list.
		_, err := s.Reports(t.Context(), owner, portal.ReportFilter{PeriodFrom: date("2026-02-02"), PeriodTo: date("2026-02-01")}, all)
		wantCode(t, err, portal.CodeBadUserInput, "filter.periodTo")
		_, err = s.ReportsOf(t.Context(), owner, portal.RecordTypeProject, []string{w.f.AShared.ID}, portal.ReportFilter{PeriodFrom: date("2026-02-02"), PeriodTo: date("2026-02-01")}, all)
		wantCode(t, err, portal.CodeBadUserInput, "filter.periodTo")

		// Filters by client, project and status combine with the period.
		got, err := s.Reports(t.Context(), owner, portal.ReportFilter{
			ClientID: &w.f.A.ID, Status: []portal.ReportStatus{portal.ReportStatusPublished}, PeriodFrom: date("2026-02-01"),
		}, all)
		noErr(t, err)
		same(t, "A's published from February", w.lab.of(edgeIDs(got)), w.names(w.ASharedPublished, w.AInternalPublished))
		got, err = s.Reports(t.Context(), owner, portal.ReportFilter{ProjectID: &w.f.AShared.ID, Status: []portal.ReportStatus{portal.ReportStatusDraft}}, all)
		noErr(t, err)
		same(t, "AShared's drafts", w.lab.of(edgeIDs(got)), w.names(w.ASharedDraft))
	})
}

// Every list of reports runs in one order: period end, latest first, then
// newest first; pages resume where the last one ended, at the root and
// under parents.
func TestReportOrderAndPaging(t *testing.T) {
	sqltest.Run(t, func(t *testing.T, s *sqlstore.Store) {
		w := loadReportWorld(t, s)
		owner := sqltest.Staff(w.f.Owner)
		order := []string{"AInternalPublished", "ASharedDraft", "ASharedPublished", "ADraft", "BPublished", "CPublished", "APublished"}

		got, err := s.Reports(t.Context(), owner, portal.ReportFilter{}, all)
		noErr(t, err)
		same(t, "order", w.lab.inOrder(edgeIDs(got)), order)

		var paged []string
		var after *string
		for page := 0; ; page++ {
			c, err := s.Reports(t.Context(), owner, portal.ReportFilter{}, portal.PageArgs{First: 2, After: after, Count: true})
			noErr(t, err)
			same(t, fmt.Sprintf("page %d count", page), c.TotalCount, len(order))
			paged = append(paged, w.lab.inOrder(edgeIDs(c))...)
			if !c.PageInfo.HasNextPage {
				break
			}
			after = c.PageInfo.EndCursor
		}
		same(t, "paged order", paged, order)

		ofA := []string{"AInternalPublished", "ASharedDraft", "ASharedPublished", "ADraft", "APublished"}
		pages, err := s.ReportsOf(t.Context(), owner, portal.RecordTypeClient, []string{w.f.A.ID, w.f.B.ID}, portal.ReportFilter{}, all)
		noErr(t, err)
		same(t, "A's order", w.lab.inOrder(edgeIDs(pages[w.f.A.ID])), ofA)
		same(t, "B's", w.lab.inOrder(edgeIDs(pages[w.f.B.ID])), []string{"BPublished"})

		// A second page under parents, after the first page's cursor.
		first, err := s.ReportsOf(t.Context(), owner, portal.RecordTypeClient, []string{w.f.A.ID}, portal.ReportFilter{}, portal.PageArgs{First: 3, Count: true})
		noErr(t, err)
		same(t, "A's first page", w.lab.inOrder(edgeIDs(first[w.f.A.ID])), ofA[:3])
		next, err := s.ReportsOf(t.Context(), owner, portal.RecordTypeClient, []string{w.f.A.ID}, portal.ReportFilter{},
			portal.PageArgs{First: 3, After: first[w.f.A.ID].PageInfo.EndCursor, Count: true})
		noErr(t, err)
		c := next[w.f.A.ID]
		same(t, "A's second page", w.lab.inOrder(edgeIDs(c)), ofA[3:])
		same(t, "A's second page info", []any{c.TotalCount, c.PageInfo.HasNextPage, c.PageInfo.HasPreviousPage}, []any{5, false, true})

		projects, err := s.ReportsOf(t.Context(), owner, portal.RecordTypeProject, []string{w.f.AShared.ID, w.f.AInternal.ID, w.f.BShared.ID}, portal.ReportFilter{}, all)
		noErr(t, err)
		same(t, "AShared's", w.lab.inOrder(edgeIDs(projects[w.f.AShared.ID])), []string{"ASharedDraft", "ASharedPublished"})
		same(t, "AInternal's", w.lab.inOrder(edgeIDs(projects[w.f.AInternal.ID])), []string{"AInternalPublished"})
		same(t, "BShared's", len(projects[w.f.BShared.ID].Edges), 0)

		// A cursor of another list's order is refused.
		_, err = s.Reports(t.Context(), owner, portal.ReportFilter{}, portal.PageArgs{First: 2, After: ptr("eyJ4Ijp0cnVlfQ")})
		wantCode(t, err, portal.CodeBadUserInput, "after")
	})
}

// Who sees which report, the same through every path: by ID, the root
// list and its count, and the lists under clients and projects.
func TestReportScope(t *testing.T) {
	sqltest.Run(t, func(t *testing.T, s *sqlstore.Store) {
		w := loadReportWorld(t, s)
		f := w.f
		preview := sqltest.Portal(f.AActive)
		preview.Preview, preview.PreviewBy = true, f.Owner.ID
		allStaff := w.names(w.allW1...)

		check := func(what string, p portal.Principal, want []string) {
			t.Helper()
			if want == nil {
				want = []string{}
			}
			everyID := append(idsOf(w.allW1), w.XPublished.ID)
			same(t, what+" by ID", visibleReports(t, s, w, p, everyID), want)
			root, err := s.Reports(t.Context(), p, portal.ReportFilter{}, all)
			noErr(t, err)
			same(t, what+" listed", w.lab.of(edgeIDs(root)), want)
			same(t, what+" counted", root.TotalCount, len(want))
			clients := []string{f.A.ID, f.B.ID, f.C.ID, f.X.ID}
			pages, err := s.ReportsOf(t.Context(), p, portal.RecordTypeClient, clients, portal.ReportFilter{}, all)
			noErr(t, err)
			same(t, what+" under clients", w.lab.of(unionOfPages(t, what, pages, clients)), want)
			// Under projects: the reports of a project, so not those on a
			// client alone.
			var onProjects []string
			for _, r := range append(slices.Clone(w.allW1), w.XPublished) {
				if r.ProjectID != nil && slices.Contains(want, w.lab[r.ID]) {
					onProjects = append(onProjects, w.lab[r.ID])
				}
			}
			slices.Sort(onProjects)
			projects := []string{f.AShared.ID, f.AInternal.ID, f.BShared.ID, f.XShared.ID}
			ppages, err := s.ReportsOf(t.Context(), p, portal.RecordTypeProject, projects, portal.ReportFilter{}, all)
			noErr(t, err)
			if got := w.lab.of(unionOfPages(t, what, ppages, projects)); !slices.Equal(got, onProjects) {
				t.Errorf("%s under projects = %v, want %v", what, got, onProjects)
			}
		}

		for who, u := range map[string]*portal.User{"owner": f.Owner, "manager": f.Manager, "member": f.Member, "viewer": f.Viewer} {
			check(who, sqltest.Staff(u), allStaff)
		}
		check("owner of the other workspace", sqltest.Staff(f.Owner2), []string{"XPublished"})
		// A's contact: A's published reports, not the one on the internal
		// project, no draft, nobody else's.
		check("A's contact", sqltest.Portal(f.AActive), []string{"APublished", "ASharedPublished"})
		check("a preview as A's contact", preview, []string{"APublished", "ASharedPublished"})
		check("A's suspended contact", sqltest.Portal(f.ASuspended), nil)
		check("B's contact", sqltest.Portal(f.BActive), []string{"BPublished"})
		check("C's contact, whose portal is off", sqltest.Portal(f.CActive), nil)
		check("the other workspace's contact", sqltest.Portal(f.XActive), []string{"XPublished"})
		check("anonymous", portal.Anonymous(), nil)

		// The portal's sections: without projects, the project's report
		// goes with the project; without reports, every report goes.
		exec(t, s, "UPDATE clients SET portal_projects = FALSE WHERE id = ?", f.A.ID)
		check("A's contact without the projects section", sqltest.Portal(f.AActive), []string{"APublished"})
		exec(t, s, "UPDATE clients SET portal_projects = TRUE, portal_reports = FALSE WHERE id = ?", f.A.ID)
		check("A's contact without the reports section", sqltest.Portal(f.AActive), nil)
		check("A's staff without the reports section", sqltest.Staff(f.Member), allStaff)
		exec(t, s, "UPDATE clients SET portal_reports = TRUE WHERE id = ?", f.A.ID)
		// A project no longer shared takes its reports with it.
		exec(t, s, "UPDATE projects SET visibility = 'INTERNAL' WHERE id = ?", f.AShared.ID)
		if err := s.RefreshPortalScope(t.Context(), f.W1.ID); err != nil {
			t.Fatal(err)
		}
		check("A's contact with AShared internal", sqltest.Portal(f.AActive), []string{"APublished"})
		// A status filter cannot reach a draft.
		got, err := s.Reports(t.Context(), sqltest.Portal(f.AActive), portal.ReportFilter{Status: []portal.ReportStatus{portal.ReportStatusDraft}}, all)
		noErr(t, err)
		same(t, "drafts asked for by A's contact", got.TotalCount, 0)
	})
}
