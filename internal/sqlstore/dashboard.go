package sqlstore

import (
	"context"
	"database/sql"
	"fmt"

	"portalgraph/internal/portal"
)

// Dashboards: aggregates over a range of days, grouped by client, project,
// owner or month. Each figure is one statement that groups and counts in
// the database, never rows summed here, and reads its records under the
// rule set their lists use (scope.go), so a figure never counts a record
// the principal's lists do not show: a partner's key without APPROVALS
// counts no approvals, one restricted to clients counts only theirs.

// dashSource is the kind of record a figure counts: its table (alias a),
// its rule set, and how a record finds what it is grouped by.
type dashSource struct {
	table string
	rules ruleSet
	// joins are joined after the table; they never drop a row.
	joins func(q *sqlBuf)
	// client is the record's client ID; project its project's ID, only
	// when the principal sees the project ("" when records have none).
	client, project string
	// month is the month (YYYY-MM) of the date the figure counts by.
	month string
}

// dashboard is one DashboardFilter asked by one principal.
type dashboard struct {
	s *Store
	p portal.Principal
	f portal.DashboardFilter
}

func (s *Store) dashboard(p portal.Principal, f portal.DashboardFilter) (dashboard, error) {
	if f.To.Before(f.From) {
		return dashboard{}, portal.InvalidField("filter.to", "must not be before filter.from")
	}
	return dashboard{s: s, p: p, f: f}, nil
}

// start and end bound the range's instants: from the first day's start to
// the end of the last day.
func (d dashboard) start() any { return d.f.From.Time() }
func (d dashboard) end() any   { return d.f.To.AddDays(1).Time() }

// today is the date overdue records are due before.
func (d dashboard) today() portal.Date { return portal.DateOf(d.s.now().UTC()) }

func (d dashboard) approvals() dashSource {
	return dashSource{
		table: "approvals", rules: scope{d.p}.approvals(),
		client: "a.client_id", project: "a.project_id",
	}
}

// A deliverable's client is its project's, joined only when a figure
// asks for clients (grouped by client or owner, or filtered by client):
// a partner's figures by project or month would otherwise look up a
// project for every deliverable counted, most of the statement's work.
func (d dashboard) deliverables() dashSource {
	src := dashSource{
		table: "deliverables", rules: scope{d.p}.deliverables(),
		client: "dj.client_id", project: "a.project_id",
	}
	byClient := d.f.GroupBy == portal.DashboardGroupingClient || d.f.GroupBy == portal.DashboardGroupingOwner
	if byClient || len(d.f.ClientIds) > 0 {
		src.joins = func(q *sqlBuf) {
			q.sql(" JOIN projects dj ON dj.workspace_id = a.workspace_id AND dj.id = a.project_id")
		}
	}
	return src
}

// A request's project is its group only when the principal sees the
// project: a request they see may be about a project they do not.
func (d dashboard) requests() dashSource {
	return dashSource{
		table: "client_requests", rules: scope{d.p}.requests(),
		joins: func(q *sqlBuf) {
			if d.f.GroupBy != portal.DashboardGroupingProject {
				return
			}
			q.sql(" LEFT JOIN projects rp ON rp.workspace_id = a.workspace_id AND rp.id = a.project_id")
			scope{d.p}.projects().write(&conds{q: q, count: 1}, "rp")
		},
		client: "a.client_id", project: "rp.id",
	}
}

// Activity belongs to clients, not projects.
func (d dashboard) activity() dashSource {
	return dashSource{table: "activity_events", rules: scope{d.p}.activity(), client: "a.client_id"}
}

// key is the expression of what a record is grouped by.
func (d dashboard) key(src dashSource) string {
	switch d.f.GroupBy {
	case portal.DashboardGroupingClient:
		return src.client
	case portal.DashboardGroupingProject:
		if src.project == "" {
			return "CAST(NULL AS text)"
		}
		return src.project
	case portal.DashboardGroupingOwner:
		return "oc.owner_id"
	}
	return src.month
}

// from writes the records of src the principal sees, in the filter's
// clients, that meet cond: "FROM … WHERE …".
func (d dashboard) from(q *sqlBuf, src dashSource, cond func(c *conds)) {
	q.sql(" FROM " + src.table + " a")
	if src.joins != nil {
		src.joins(q)
	}
	if d.f.GroupBy == portal.DashboardGroupingOwner {
		q.sql(" LEFT JOIN clients oc ON oc.workspace_id = a.workspace_id AND oc.id = " + src.client)
	}
	w := q.where()
	src.rules.write(w, "a")
	if len(d.f.ClientIds) > 0 {
		d.s.dialect.inList(w.next(), src.client, d.f.ClientIds)
	}
	cond(w)
}

// group is the DashboardGroup of a key read from a row.
func (d dashboard) group(k sql.NullString) *portal.DashboardGroup {
	g := &portal.DashboardGroup{By: d.f.GroupBy}
	if k.Valid {
		g.Key = &k.String
	}
	return g
}

// scan runs q and scans each row into dest, then calls each.
func (d dashboard) scan(ctx context.Context, what string, q *sqlBuf, dest []any, each func()) error {
	rows, err := d.s.reads.QueryxContext(ctx, d.s.reads.Rebind(q.String()), q.args...)
	if err != nil {
		return fmt.Errorf("dashboard %s: %w", what, err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return fmt.Errorf("dashboard %s: %w", what, err)
		}
		each()
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("dashboard %s: %w", what, err)
	}
	return nil
}

// orderByKey sorts groups by key, the group without one last.
const orderByKey = " ORDER BY k IS NULL, k"

// DashboardApprovalsByStatus counts the approvals requested in the range,
// per group and status.
func (s *Store) DashboardApprovalsByStatus(ctx context.Context, p portal.Principal, f portal.DashboardFilter) ([]*portal.ApprovalStatusCount, error) {
	d, err := s.dashboard(p, f)
	if err != nil {
		return nil, err
	}
	src := d.approvals()
	src.month = s.dialect.monthOf("a.created_at", false)
	q := &sqlBuf{}
	q.sql("SELECT k, status, COUNT(*) FROM (SELECT " + d.key(src) + " AS k, a.status AS status")
	d.from(q, src, func(c *conds) {
		c.next().sql("a.created_at >= ").arg(d.start()).sql(" AND a.created_at < ").arg(d.end())
	})
	q.sql(") t GROUP BY k, status" + orderByKey + ", status")
	out := []*portal.ApprovalStatusCount{}
	var k sql.NullString
	var status portal.ApprovalStatus
	var n int
	err = d.scan(ctx, "approvals by status", q, []any{&k, &status, &n}, func() {
		out = append(out, &portal.ApprovalStatusCount{Group: d.group(k), Status: status, Count: n})
	})
	return out, err
}

// DashboardApprovalTurnaround is, per group, how long the approvals
// resolved in the range (approved, changes requested or rejected) took
// from their request: the median and the 90th percentile, interpolated
// between the two nearest as PostgreSQL's percentile_cont does, which
// SQLite lacks; both compute it alike from each approval's rank in its
// group. The percentile p of n sorted values is at rank 1 + p(n-1): for
// p = k/m, the value at rank 1 + k(n-1)/m (integer division) weighted
// 1 - f, plus the next weighted f, with f = (k(n-1) mod m) / m.
func (s *Store) DashboardApprovalTurnaround(ctx context.Context, p portal.Principal, f portal.DashboardFilter) ([]*portal.ApprovalTurnaround, error) {
	d, err := s.dashboard(p, f)
	if err != nil {
		return nil, err
	}
	src := d.approvals()
	src.month = s.dialect.monthOf("a.resolved_at", false)
	q := &sqlBuf{}
	q.sql("WITH t AS (SELECT " + d.key(src) + " AS k, " + s.dialect.secondsBetween("a.created_at", "a.resolved_at") + " AS secs")
	d.from(q, src, func(c *conds) {
		c.next().sql("a.status IN ('APPROVED', 'CHANGES_REQUESTED', 'REJECTED')")
		c.next().sql("a.resolved_at >= ").arg(d.start()).sql(" AND a.resolved_at < ").arg(d.end())
	})
	q.sql("), r AS (SELECT k, secs, ROW_NUMBER() OVER (PARTITION BY k ORDER BY secs) AS rn, COUNT(*) OVER (PARTITION BY k) AS n FROM t)")
	q.sql(" SELECT k, MAX(n), " + percentile(1, 2) + ", " + percentile(9, 10) + " FROM r GROUP BY k" + orderByKey)
	out := []*portal.ApprovalTurnaround{}
	var k sql.NullString
	var n int
	var median, p90 float64
	err = d.scan(ctx, "approval turnaround", q, []any{&k, &n, &median, &p90}, func() {
		out = append(out, &portal.ApprovalTurnaround{Group: d.group(k), Resolved: n, MedianHours: median / 3600, P90Hours: p90 / 3600})
	})
	return out, err
}

// percentile is the aggregate of the k/m percentile of secs over ranks rn
// of n (see DashboardApprovalTurnaround).
func percentile(k, m int) string {
	at := fmt.Sprintf("(%d * (n - 1))", k)
	lo := fmt.Sprintf("1 + %s / %d", at, m)
	frac := fmt.Sprintf("((%s %% %d) / %d.0)", at, m, m)
	return "SUM(CASE WHEN rn = " + lo + " THEN secs * (1 - " + frac + ") WHEN rn = " + lo + " + 1 THEN secs * " + frac + " ELSE 0 END)"
}

// DashboardOverdueApprovals counts the pending approvals due in the range
// and before today, per group.
func (s *Store) DashboardOverdueApprovals(ctx context.Context, p portal.Principal, f portal.DashboardFilter) ([]*portal.GroupCount, error) {
	d, err := s.dashboard(p, f)
	if err != nil {
		return nil, err
	}
	src := d.approvals()
	src.month = s.dialect.monthOf("a.due_on", true)
	return d.overdue(ctx, "overdue approvals", src, "a.status = 'PENDING'")
}

// DashboardOverdueDeliverables counts the deliverables due in the range
// and before today that are neither approved nor delivered, per group.
func (s *Store) DashboardOverdueDeliverables(ctx context.Context, p portal.Principal, f portal.DashboardFilter) ([]*portal.GroupCount, error) {
	d, err := s.dashboard(p, f)
	if err != nil {
		return nil, err
	}
	src := d.deliverables()
	src.month = s.dialect.monthOf("a.due_on", true)
	return d.overdue(ctx, "overdue deliverables", src, "a.status NOT IN ('APPROVED', 'DELIVERED')")
}

func (d dashboard) overdue(ctx context.Context, what string, src dashSource, open string) ([]*portal.GroupCount, error) {
	q := &sqlBuf{}
	q.sql("SELECT k, COUNT(*) FROM (SELECT " + d.key(src) + " AS k")
	d.from(q, src, func(c *conds) {
		c.next().sql(open)
		c.next().sql("a.due_on >= ").arg(d.f.From).sql(" AND a.due_on <= ").arg(d.f.To).sql(" AND a.due_on < ").arg(d.today())
	})
	q.sql(") t GROUP BY k" + orderByKey)
	out := []*portal.GroupCount{}
	var k sql.NullString
	var n int
	err := d.scan(ctx, what, q, []any{&k, &n}, func() {
		out = append(out, &portal.GroupCount{Group: d.group(k), Count: n})
	})
	return out, err
}

// DashboardDeliverablesByStatus counts the deliverables due in the range,
// per group and status.
func (s *Store) DashboardDeliverablesByStatus(ctx context.Context, p portal.Principal, f portal.DashboardFilter) ([]*portal.DeliverableStatusCount, error) {
	d, err := s.dashboard(p, f)
	if err != nil {
		return nil, err
	}
	src := d.deliverables()
	src.month = s.dialect.monthOf("a.due_on", true)
	q := &sqlBuf{}
	q.sql("SELECT k, status, COUNT(*) FROM (SELECT " + d.key(src) + " AS k, a.status AS status")
	d.from(q, src, func(c *conds) {
		c.next().sql("a.due_on >= ").arg(d.f.From).sql(" AND a.due_on <= ").arg(d.f.To)
	})
	q.sql(") t GROUP BY k, status" + orderByKey + ", status")
	out := []*portal.DeliverableStatusCount{}
	var k sql.NullString
	var status portal.DeliverableStatus
	var n int
	err = d.scan(ctx, "deliverables by status", q, []any{&k, &status, &n}, func() {
		out = append(out, &portal.DeliverableStatusCount{Group: d.group(k), Status: status, Count: n})
	})
	return out, err
}

// DashboardRequests counts the requests opened in the range, and those of
// them now closed (done or declined), per group.
func (s *Store) DashboardRequests(ctx context.Context, p portal.Principal, f portal.DashboardFilter) ([]*portal.RequestCounts, error) {
	d, err := s.dashboard(p, f)
	if err != nil {
		return nil, err
	}
	src := d.requests()
	src.month = s.dialect.monthOf("a.created_at", false)
	q := &sqlBuf{}
	q.sql("SELECT k, COUNT(*), SUM(closed) FROM (SELECT " + d.key(src) + " AS k, CASE WHEN a.status IN ('DONE', 'DECLINED') THEN 1 ELSE 0 END AS closed")
	d.from(q, src, func(c *conds) {
		c.next().sql("a.created_at >= ").arg(d.start()).sql(" AND a.created_at < ").arg(d.end())
	})
	q.sql(") t GROUP BY k" + orderByKey)
	out := []*portal.RequestCounts{}
	var k sql.NullString
	var opened, closed int
	err = d.scan(ctx, "requests", q, []any{&k, &opened, &closed}, func() {
		out = append(out, &portal.RequestCounts{Group: d.group(k), Opened: opened, Closed: closed})
	})
	return out, err
}

// DashboardEngagement is, per group and week, what portal contacts did in
// the range (previews by staff aside): how many did anything, and the
// records they opened, the files they downloaded and the decisions they
// made. It reads activity, so it is for staff alone (scope.go).
func (s *Store) DashboardEngagement(ctx context.Context, p portal.Principal, f portal.DashboardFilter) ([]*portal.EngagementWeek, error) {
	d, err := s.dashboard(p, f)
	if err != nil {
		return nil, err
	}
	src := d.activity()
	src.month = s.dialect.monthOf("a.created_at", false)
	q := &sqlBuf{}
	q.sql("SELECT k, w, COUNT(DISTINCT contact)," +
		" SUM(CASE WHEN action = 'VIEWED' THEN 1 ELSE 0 END)," +
		" SUM(CASE WHEN action = 'FILE_DOWNLOADED' THEN 1 ELSE 0 END)," +
		" SUM(CASE WHEN action = 'DECISION_RECORDED' THEN 1 ELSE 0 END)" +
		" FROM (SELECT " + d.key(src) + " AS k, " + s.dialect.weekOf("a.created_at") + " AS w, a.actor_contact_id AS contact, a.action AS action")
	d.from(q, src, func(c *conds) {
		c.next().sql("a.actor_contact_id IS NOT NULL AND a.preview = FALSE AND a.client_id IS NOT NULL")
		c.next().sql("a.created_at >= ").arg(d.start()).sql(" AND a.created_at < ").arg(d.end())
	})
	q.sql(") t GROUP BY k, w" + orderByKey + ", w")
	out := []*portal.EngagementWeek{}
	var k sql.NullString
	var week portal.Date
	var active, views, downloads, decisions int
	err = d.scan(ctx, "engagement", q, []any{&k, &week, &active, &views, &downloads, &decisions}, func() {
		out = append(out, &portal.EngagementWeek{Group: d.group(k), Week: week, ActiveContacts: active, Views: views, Downloads: downloads, Decisions: decisions})
	})
	return out, err
}
