package sqlstore

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/jmoiron/sqlx"

	"portalgraph/internal/portal"
)

// Reports: staff write a report to a client on a period, about the client
// or one of its projects, as a draft; publishing it shows it to the
// client's contacts (scope.reports says who sees which).
//
// Every list of reports has one order: the period's end, latest first,
// then the ID, newest first. The report on the latest period leads, and
// reports on the same period keep a stable order that paging can resume.

func reportOrder() order[portal.Report] {
	return order[portal.Report]{
		expr: "a.period_end", kind: keyDate, desc: true,
		key: func(r *portal.Report) any { return r.PeriodEnd.String() },
	}
}

func reportID(r *portal.Report) string { return r.ID }

// reportFilter writes a report filter's conditions. A report is in a
// period range when its own period overlaps it, both ends included: it
// ends on or after the range's first day and starts on or before its
// last. Either end of the range may be left open.
func reportFilter(f portal.ReportFilter) (func(c *conds), error) {
	if f.PeriodFrom != nil && f.PeriodTo != nil && f.PeriodTo.Before(*f.PeriodFrom) {
		return nil, portal.InvalidField("filter.periodTo", "must be on or after periodFrom")
	}
	return func(c *conds) {
		if f.ClientID != nil {
			c.next().sql("a.client_id = ").arg(*f.ClientID)
		}
		if f.ProjectID != nil {
			c.next().sql("a.project_id = ").arg(*f.ProjectID)
		}
		// Only staff may ask by status; for a contact it can only narrow
		// what the scope already limits to published reports.
		if len(f.Status) > 0 {
			c.next().sql("a.status IN (").sql(placeholders(c.q, f.Status)).sql(")")
		}
		if f.PeriodFrom != nil {
			c.next().sql("a.period_end >= ").arg(*f.PeriodFrom)
		}
		if f.PeriodTo != nil {
			c.next().sql("a.period_start <= ").arg(*f.PeriodTo)
		}
	}, nil
}

// Reports lists the reports the principal sees across the workspace.
func (s *Store) Reports(ctx context.Context, p portal.Principal, f portal.ReportFilter, page portal.PageArgs) (*portal.ReportConnection, error) {
	filter, err := reportFilter(f)
	if err != nil {
		return nil, err
	}
	return fetchPage(ctx, s, list[portal.Report]{
		table: s.t.reports, rules: scope{p}.reports(), order: reportOrder(), id: reportID, page: page, filter: filter,
	})
}

// ReportsOf lists reports under clients (all of a client's reports, its
// projects' included) or under projects, one statement for all parents.
func (s *Store) ReportsOf(ctx context.Context, p portal.Principal, parent portal.RecordType, ids []string, f portal.ReportFilter, page portal.PageArgs) (map[string]*portal.ReportConnection, error) {
	filter, err := reportFilter(f)
	if err != nil {
		return nil, err
	}
	l := list[portal.Report]{
		table: s.t.reports, rules: scope{p}.reports(), order: reportOrder(), id: reportID, page: page, filter: filter,
		parentIDs: ids,
	}
	switch parent {
	case portal.RecordTypeClient:
		l.parentColumn, l.parentOf = "client_id", func(r *portal.Report) string { return r.ClientID }
	case portal.RecordTypeProject:
		l.parentColumn, l.parentOf = "project_id", func(r *portal.Report) string { return deref(r.ProjectID) }
	default:
		return nil, fmt.Errorf("reports are not listed under %s records", parent)
	}
	return fetchPages(ctx, s, l)
}

// CreateReport writes a draft report to a client, about one of its
// projects when a project is given.
func (s *Store) CreateReport(ctx context.Context, p portal.Principal, in portal.CreateReportInput) (*portal.Report, error) {
	if err := p.Require(portal.PermissionReportsCreate); err != nil {
		return nil, err
	}
	now := s.now()
	r := &portal.Report{
		WorkspaceID: p.WorkspaceID, ID: portal.NewID(portal.PrefixReport, now), ClientID: in.ClientID,
		Title: strings.TrimSpace(in.Title), PeriodStart: in.PeriodStart, PeriodEnd: in.PeriodEnd,
		Status: portal.ReportStatusDraft, AuthorID: ptr(p.UserID), CreatedAt: now, UpdatedAt: now,
	}
	var ch changes
	setOpt(&ch, "summary", &r.Summary, in.Summary)
	setOpt(&ch, "body", &r.Body, in.Body)
	var bad []portal.FieldError
	if r.Title == "" {
		bad = append(bad, portal.FieldError{Field: "input.title", Message: "must not be blank"})
	}
	if r.PeriodEnd.Before(r.PeriodStart) {
		bad = append(bad, portal.FieldError{Field: "input.periodEnd", Message: "must be on or after periodStart"})
	}
	metrics, badMetrics := reportMetrics(in.Metrics)
	r.Metrics = metrics
	if bad = append(bad, badMetrics...); len(bad) > 0 {
		return nil, portal.Invalid(bad...)
	}
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		if err := s.checkExists(ctx, tx, "clients", p, in.ClientID, "input.clientId"); err != nil {
			return err
		}
		if in.ProjectID != nil {
			clientID, err := s.projectClient(ctx, tx, p, *in.ProjectID, "input.projectId")
			if err != nil {
				return err
			}
			if clientID != in.ClientID {
				return portal.InvalidField("input.projectId", "is not a project of the client")
			}
			r.ProjectID = in.ProjectID
		}
		if err := insert(ctx, tx, s.t.reports, r); err != nil {
			return err
		}
		return s.record(ctx, tx, p, activity{
			action: portal.ActivityActionCreated, recordType: portal.RecordTypeReport, recordID: r.ID, clientID: &r.ClientID,
			summary: "Created report " + r.Title,
		})
	})
	if err != nil {
		return nil, err
	}
	return r, nil
}

// UpdateReport changes a report, draft or published: a published report
// stays published, so a correction reaches the client at once. Metrics,
// when given, replace every metric. An update that changes nothing writes
// nothing.
func (s *Store) UpdateReport(ctx context.Context, p portal.Principal, in portal.UpdateReportInput) (*portal.Report, error) {
	if err := p.Require(portal.PermissionReportsUpdate); err != nil {
		return nil, err
	}
	var bad []portal.FieldError
	if in.Title != nil && strings.TrimSpace(*in.Title) == "" {
		bad = append(bad, portal.FieldError{Field: "input.title", Message: "must not be blank"})
	}
	if in.PeriodStart != nil && in.PeriodEnd != nil && in.PeriodEnd.Before(*in.PeriodStart) {
		bad = append(bad, portal.FieldError{Field: "input.periodEnd", Message: "must be on or after periodStart"})
	}
	var metrics portal.ReportMetrics
	if in.Metrics != nil {
		var badMetrics []portal.FieldError
		metrics, badMetrics = reportMetrics(in.Metrics)
		bad = append(bad, badMetrics...)
	}
	if len(bad) > 0 {
		return nil, portal.Invalid(bad...)
	}
	var r *portal.Report
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		var err error
		if r, err = lockForUpdate(ctx, s, tx, s.t.reports, p, in.ID); err != nil {
			return err
		}
		var ch changes
		setTrimmed(&ch, "title", &r.Title, in.Title)
		set(&ch, "periodStart", &r.PeriodStart, in.PeriodStart)
		set(&ch, "periodEnd", &r.PeriodEnd, in.PeriodEnd)
		setOpt(&ch, "summary", &r.Summary, in.Summary)
		setOpt(&ch, "body", &r.Body, in.Body)
		if in.Metrics != nil && !sameMetrics(r.Metrics, metrics) {
			r.Metrics = metrics
			ch.add("metrics")
		}
		// One end of the period may move past the other one kept: the
		// error names the end the input moved.
		if r.PeriodEnd.Before(r.PeriodStart) {
			if in.PeriodEnd != nil {
				return portal.InvalidField("input.periodEnd", "must be on or after the report's periodStart, "+r.PeriodStart.String())
			}
			return portal.InvalidField("input.periodStart", "must be on or before the report's periodEnd, "+r.PeriodEnd.String())
		}
		if ch.none() {
			return nil
		}
		r.UpdatedAt = s.now()
		if err := update(ctx, tx, s.t.reports, p.WorkspaceID, r.ID, r); err != nil {
			return err
		}
		return s.record(ctx, tx, p, activity{
			action: portal.ActivityActionUpdated, recordType: portal.RecordTypeReport, recordID: r.ID, clientID: &r.ClientID,
			summary: "Updated report " + r.Title, changed: ch,
		})
	})
	if err != nil {
		return nil, err
	}
	return r, nil
}

// PublishReport shows a draft report to the client's contacts. Publishing
// a published report changes and records nothing, so a retried request
// gets the same answer and publishedAt stays when it was first published.
func (s *Store) PublishReport(ctx context.Context, p portal.Principal, id string) (*portal.Report, error) {
	return s.setReportStatus(ctx, p, id, portal.ReportStatusPublished)
}

// UnpublishReport takes a published report back to draft: the contacts no
// longer see it, and publishedAt is cleared until it is published again.
// Unpublishing a draft changes and records nothing.
func (s *Store) UnpublishReport(ctx context.Context, p portal.Principal, id string) (*portal.Report, error) {
	return s.setReportStatus(ctx, p, id, portal.ReportStatusDraft)
}

func (s *Store) setReportStatus(ctx context.Context, p portal.Principal, id string, status portal.ReportStatus) (*portal.Report, error) {
	if err := p.Require(portal.PermissionReportsPublish); err != nil {
		return nil, err
	}
	var r *portal.Report
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		var err error
		if r, err = lockForUpdate(ctx, s, tx, s.t.reports, p, id); err != nil {
			return err
		}
		if r.Status == status {
			return nil
		}
		now := s.now()
		ev := activity{recordType: portal.RecordTypeReport, recordID: r.ID, clientID: &r.ClientID}
		r.Status, r.UpdatedAt = status, now
		if status == portal.ReportStatusPublished {
			r.PublishedAt = &now
			ev.action, ev.summary = portal.ActivityActionReportPublished, "Published report "+r.Title
		} else {
			r.PublishedAt = nil
			ev.action, ev.summary = portal.ActivityActionReportUnpublished, "Unpublished report "+r.Title
		}
		if err := update(ctx, tx, s.t.reports, p.WorkspaceID, r.ID, r); err != nil {
			return err
		}
		return s.record(ctx, tx, p, ev)
	})
	if err != nil {
		return nil, err
	}
	return r, nil
}

// reportMetrics checks and tidies the metrics of an input, naming each bad
// field as the validator does: names and units are trimmed, a name is
// given once whatever its case (two metrics a reader cannot tell apart
// are a mistake), and every value is a finite number, which the stored
// JSON and the API's Float can carry.
func reportMetrics(in []*portal.ReportMetricInput) (portal.ReportMetrics, []portal.FieldError) {
	out := make(portal.ReportMetrics, 0, len(in))
	var bad []portal.FieldError
	seen := map[string]int{}
	for i, m := range in {
		field := fmt.Sprintf("input.metrics[%d]", i)
		if m == nil {
			bad = append(bad, portal.FieldError{Field: field, Message: "is required"})
			continue
		}
		name := strings.TrimSpace(m.Name)
		key := strings.ToLower(name)
		switch first, named := seen[key]; {
		case name == "":
			bad = append(bad, portal.FieldError{Field: field + ".name", Message: "must not be blank"})
		case named:
			bad = append(bad, portal.FieldError{Field: field + ".name", Message: fmt.Sprintf("%q is already the name of metrics[%d]", name, first)})
		default:
			seen[key] = i
		}
		if math.IsNaN(m.Value) || math.IsInf(m.Value, 0) {
			bad = append(bad, portal.FieldError{Field: field + ".value", Message: "must be a finite number"})
		}
		metric := &portal.ReportMetric{Name: name, Value: m.Value}
		if unit := strings.TrimSpace(deref(m.Unit)); unit != "" {
			metric.Unit = &unit
		}
		out = append(out, metric)
	}
	return out, bad
}

func sameMetrics(a, b portal.ReportMetrics) bool {
	return slices.EqualFunc(a, b, func(x, y *portal.ReportMetric) bool {
		return x.Name == y.Name && x.Value == y.Value && deref(x.Unit) == deref(y.Unit)
	})
}
