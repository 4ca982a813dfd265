package graph_test

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"
)

const dashboardFiguresDoc = `approvalsByStatus { group { by key } status count }
	approvalTurnaround { group { key } resolved medianHours p90Hours }
	overdueApprovals { group { key } count }
	overdueDeliverables { group { key } count }
	deliverablesByStatus { group { key } status count }
	requests { group { key } opened closed }`

const dashboardEngagementDoc = `engagement { group { key } week activeContacts views downloads decisions }`

// dashboardFigures is a dashboard, or what lists say it should be: each
// figure's numbers by "figure|group key|…" (no key is "-"); turnaround's
// hours apart, compared with a tolerance.
type dashboardFigures struct {
	counts map[string]int
	hours  map[string]float64
}

func newFigures() dashboardFigures {
	return dashboardFigures{counts: map[string]int{}, hours: map[string]float64{}}
}

type dashKey struct {
	Key *string `json:"key"`
}

func (k dashKey) String() string {
	if k.Key == nil {
		return "-"
	}
	return *k.Key
}

// dashboardOf asks who for the dashboard of filter.
func (e *env) dashboardOf(t *testing.T, who string, filter map[string]any, engagement bool) dashboardFigures {
	t.Helper()
	doc := dashboardFiguresDoc
	if engagement {
		doc += "\n" + dashboardEngagementDoc
	}
	var got struct {
		Dashboard struct {
			ApprovalsByStatus []struct {
				Group struct {
					By  string  `json:"by"`
					Key *string `json:"key"`
				} `json:"group"`
				Status string `json:"status"`
				Count  int    `json:"count"`
			} `json:"approvalsByStatus"`
			ApprovalTurnaround []struct {
				Group       dashKey `json:"group"`
				Resolved    int     `json:"resolved"`
				MedianHours float64 `json:"medianHours"`
				P90Hours    float64 `json:"p90Hours"`
			} `json:"approvalTurnaround"`
			OverdueApprovals []struct {
				Group dashKey `json:"group"`
				Count int     `json:"count"`
			} `json:"overdueApprovals"`
			OverdueDeliverables []struct {
				Group dashKey `json:"group"`
				Count int     `json:"count"`
			} `json:"overdueDeliverables"`
			DeliverablesByStatus []struct {
				Group  dashKey `json:"group"`
				Status string  `json:"status"`
				Count  int     `json:"count"`
			} `json:"deliverablesByStatus"`
			Requests []struct {
				Group  dashKey `json:"group"`
				Opened int     `json:"opened"`
				Closed int     `json:"closed"`
			} `json:"requests"`
			Engagement []struct {
				Group          dashKey `json:"group"`
				Week           string  `json:"week"`
				ActiveContacts int     `json:"activeContacts"`
				Views          int     `json:"views"`
				Downloads      int     `json:"downloads"`
				Decisions      int     `json:"decisions"`
			} `json:"engagement"`
		} `json:"dashboard"`
	}
	e.as(t, who, `query($f: DashboardFilter!) { dashboard(filter: $f) { `+doc+` } }`, vars{"f": filter}).decode(t, &got)
	out := newFigures()
	d := got.Dashboard
	for _, r := range d.ApprovalsByStatus {
		if r.Group.By != filter["groupBy"] {
			t.Errorf("group by %s, asked for %s", r.Group.By, filter["groupBy"])
		}
		out.counts["approvals|"+dashKey{r.Group.Key}.String()+"|"+r.Status] = r.Count
	}
	for _, r := range d.ApprovalTurnaround {
		out.counts["resolved|"+r.Group.String()] = r.Resolved
		out.hours["median|"+r.Group.String()] = r.MedianHours
		out.hours["p90|"+r.Group.String()] = r.P90Hours
	}
	for _, r := range d.OverdueApprovals {
		out.counts["overdue approvals|"+r.Group.String()] = r.Count
	}
	for _, r := range d.OverdueDeliverables {
		out.counts["overdue deliverables|"+r.Group.String()] = r.Count
	}
	for _, r := range d.DeliverablesByStatus {
		out.counts["deliverables|"+r.Group.String()+"|"+r.Status] = r.Count
	}
	for _, r := range d.Requests {
		out.counts["opened|"+r.Group.String()] = r.Opened
		out.counts["closed|"+r.Group.String()] = r.Closed
	}
	for _, r := range d.Engagement {
		k := r.Group.String() + "|" + r.Week
		out.counts["active|"+k] = r.ActiveContacts
		out.counts["views|"+k] = r.Views
		out.counts["downloads|"+k] = r.Downloads
		out.counts["decisions|"+k] = r.Decisions
	}
	// A group is listed only with something in it: zeros are absent, as
	// they are from the lists' counts.
	maps.DeleteFunc(out.counts, func(_ string, n int) bool { return n == 0 })
	return out
}

type listedOwner struct {
	Owner *struct {
		ID string `json:"id"`
	} `json:"owner"`
	ID string `json:"id"`
}

func (c listedOwner) owner() *string {
	if c.Owner == nil {
		return nil
	}
	return &c.Owner.ID
}

// listed is what a principal's own lists show of the records dashboards
// count, all of them (the fixture has fewer than a page of each).
type listed struct {
	approvals []struct {
		Status      string     `json:"status"`
		CreatedAt   time.Time  `json:"createdAt"`
		ResolvedAt  *time.Time `json:"resolvedAt"`
		DueOn       *string    `json:"dueOn"`
		Deliverable struct {
			Project struct {
				ID     string      `json:"id"`
				Client listedOwner `json:"client"`
			} `json:"project"`
		} `json:"deliverable"`
	}
	deliverables []struct {
		Status  string  `json:"status"`
		DueOn   *string `json:"dueOn"`
		Project struct {
			ID     string      `json:"id"`
			Client listedOwner `json:"client"`
		}
	}
	requests []struct {
		Status    string      `json:"status"`
		CreatedAt time.Time   `json:"createdAt"`
		Client    listedOwner `json:"client"`
		Project   *struct {
			ID string `json:"id"`
		} `json:"project"`
	}
	// activity is every client's, for staff.
	activity []listedEvent
}

type listedEvent struct {
	Action       string    `json:"action"`
	CreatedAt    time.Time `json:"createdAt"`
	ActorContact *struct {
		ID string `json:"id"`
	} `json:"actorContact"`
	client listedOwner
}

func (e *env) listsOf(t *testing.T, who string) listed {
	t.Helper()
	var got struct {
		Approvals struct {
			TotalCount int `json:"totalCount"`
			Edges      []struct {
				Node struct {
					Status      string     `json:"status"`
					CreatedAt   time.Time  `json:"createdAt"`
					ResolvedAt  *time.Time `json:"resolvedAt"`
					DueOn       *string    `json:"dueOn"`
					Deliverable struct {
						Project struct {
							ID     string      `json:"id"`
							Client listedOwner `json:"client"`
						} `json:"project"`
					} `json:"deliverable"`
				} `json:"node"`
			} `json:"edges"`
		} `json:"approvals"`
		Deliverables struct {
			TotalCount int `json:"totalCount"`
			Edges      []struct {
				Node struct {
					Status  string  `json:"status"`
					DueOn   *string `json:"dueOn"`
					Project struct {
						ID     string      `json:"id"`
						Client listedOwner `json:"client"`
					}
				} `json:"node"`
			} `json:"edges"`
		} `json:"deliverables"`
		Requests struct {
			TotalCount int `json:"totalCount"`
			Edges      []struct {
				Node struct {
					Status    string      `json:"status"`
					CreatedAt time.Time   `json:"createdAt"`
					Client    listedOwner `json:"client"`
					Project   *struct {
						ID string `json:"id"`
					} `json:"project"`
				} `json:"node"`
			} `json:"edges"`
		} `json:"requests"`
		Clients struct {
			Edges []struct {
				Node struct {
					listedOwner
					Activity struct {
						TotalCount int `json:"totalCount"`
						Edges      []struct {
							Node listedEvent `json:"node"`
						} `json:"edges"`
					} `json:"activity"`
				} `json:"node"`
			} `json:"edges"`
		} `json:"clients"`
	}
	activity := `clients(first: 100) { edges { node { id owner { id }
		activity(first: 100, filter: {portalOnly: true}) { totalCount edges { node { action createdAt actorContact { id } } } } } } }`
	e.as(t, who, `{
		approvals(first: 100) { totalCount edges { node { status createdAt resolvedAt dueOn deliverable { project { id client { id owner { id } } } } } } }
		deliverables(first: 100) { totalCount edges { node { status dueOn project { id client { id owner { id } } } } } }
		requests(first: 100) { totalCount edges { node { status createdAt client { id owner { id } } project { id } } } }
		`+activity+` }`, nil).decode(t, &got)
	var out listed
	if len(got.Approvals.Edges) != got.Approvals.TotalCount || len(got.Deliverables.Edges) != got.Deliverables.TotalCount ||
		len(got.Requests.Edges) != got.Requests.TotalCount {
		t.Fatalf("%s: a list is longer than a page", who)
	}
	for _, ed := range got.Approvals.Edges {
		out.approvals = append(out.approvals, ed.Node)
	}
	for _, ed := range got.Deliverables.Edges {
		out.deliverables = append(out.deliverables, ed.Node)
	}
	for _, ed := range got.Requests.Edges {
		out.requests = append(out.requests, ed.Node)
	}
	for _, c := range got.Clients.Edges {
		if len(c.Node.Activity.Edges) != c.Node.Activity.TotalCount {
			t.Fatalf("%s: client %s's activity is longer than a page", who, c.Node.ID)
		}
		for _, ev := range c.Node.Activity.Edges {
			ev.Node.client = c.Node.listedOwner
			out.activity = append(out.activity, ev.Node)
		}
	}
	return out
}

// expected computes a dashboard from the lists: what each figure must be.
func (l listed) expected(groupBy string, from, to, today string, clientIDs []string) dashboardFigures {
	out := newFigures()
	start, _ := time.Parse(time.DateOnly, from)
	last, _ := time.Parse(time.DateOnly, to)
	end := last.AddDate(0, 0, 1)
	inRange := func(at time.Time) bool { return !at.Before(start) && at.Before(end) }
	dueIn := func(d *string) bool { return d != nil && *d >= from && *d <= to }
	ofClient := func(id string) bool { return len(clientIDs) == 0 || slices.Contains(clientIDs, id) }
	key := func(client listedOwner, project *string, month string) string {
		var k *string
		switch groupBy {
		case "CLIENT":
			k = &client.ID
		case "PROJECT":
			k = project
		case "OWNER":
			k = client.owner()
		case "MONTH":
			k = &month
		}
		return dashKey{k}.String()
	}
	month := func(at time.Time) string { return at.UTC().Format("2006-01") }
	turnaround := map[string][]float64{}
	for _, a := range l.approvals {
		p := a.Deliverable.Project
		if !ofClient(p.Client.ID) {
			continue
		}
		if inRange(a.CreatedAt) {
			out.counts["approvals|"+key(p.Client, &p.ID, month(a.CreatedAt))+"|"+a.Status]++
		}
		if a.ResolvedAt != nil && inRange(*a.ResolvedAt) && a.Status != "CANCELLED" && a.Status != "PENDING" {
			k := key(p.Client, &p.ID, month(*a.ResolvedAt))
			turnaround[k] = append(turnaround[k], a.ResolvedAt.Sub(a.CreatedAt).Hours())
		}
		if a.Status == "PENDING" && dueIn(a.DueOn) && *a.DueOn < today {
			out.counts["overdue approvals|"+key(p.Client, &p.ID, (*a.DueOn)[:7])]++
		}
	}
	for k, hours := range turnaround {
		sort.Float64s(hours)
		out.counts["resolved|"+k] = len(hours)
		out.hours["median|"+k] = percentileOf(hours, 0.5)
		out.hours["p90|"+k] = percentileOf(hours, 0.9)
	}
	for _, d := range l.deliverables {
		if !ofClient(d.Project.Client.ID) || !dueIn(d.DueOn) {
			continue
		}
		k := key(d.Project.Client, &d.Project.ID, (*d.DueOn)[:7])
		out.counts["deliverables|"+k+"|"+d.Status]++
		if d.Status != "APPROVED" && d.Status != "DELIVERED" && *d.DueOn < today {
			out.counts["overdue deliverables|"+k]++
		}
	}
	for _, r := range l.requests {
		if !ofClient(r.Client.ID) || !inRange(r.CreatedAt) {
			continue
		}
		var project *string
		if r.Project != nil {
			project = &r.Project.ID
		}
		k := key(r.Client, project, month(r.CreatedAt))
		out.counts["opened|"+k]++
		if r.Status == "DONE" || r.Status == "DECLINED" {
			out.counts["closed|"+k]++
		}
	}
	active := map[string]map[string]bool{}
	for _, ev := range l.activity {
		if !ofClient(ev.client.ID) || !inRange(ev.CreatedAt) || ev.ActorContact == nil {
			continue
		}
		at := ev.CreatedAt.UTC()
		monday := at.AddDate(0, 0, -((int(at.Weekday()) + 6) % 7)).Format(time.DateOnly)
		k := key(ev.client, nil, month(at)) + "|" + monday
		if active[k] == nil {
			active[k] = map[string]bool{}
		}
		active[k][ev.ActorContact.ID] = true
		switch ev.Action {
		case "VIEWED":
			out.counts["views|"+k]++
		case "FILE_DOWNLOADED":
			out.counts["downloads|"+k]++
		case "DECISION_RECORDED":
			out.counts["decisions|"+k]++
		}
	}
	for k, contacts := range active {
		out.counts["active|"+k] = len(contacts)
	}
	return out
}

// percentileOf interpolates linearly between the nearest ranks, as
// PostgreSQL's percentile_cont.
func percentileOf(sorted []float64, p float64) float64 {
	pos := p * float64(len(sorted)-1)
	lo := int(math.Floor(pos))
	if lo+1 >= len(sorted) {
		return sorted[lo]
	}
	return sorted[lo] + (sorted[lo+1]-sorted[lo])*(pos-float64(lo))
}

// TestDashboardsCountWhatListsShow asks every principal of the fixture,
// staff of every role and partners' keys of several grants, for the
// dashboard by every grouping, and requires each figure to equal what the
// same principal's own lists show for the same range: no figure counts a
// record the principal cannot list.
func TestDashboardsCountWhatListsShow(t *testing.T) {
	run(t, func(t *testing.T, e *env) {
		f := e.f
		// Something to count: due dates past and future, a resolved
		// approval with a decision, requests open and closed, records
		// the portal opened.
		e.exec(t, "UPDATE deliverables SET due_on = ? WHERE id IN (?, ?, ?)", daysFromNow(-20), f.DInternal.ID, f.DOfInternal.ID, f.BDeliverable.ID)
		e.exec(t, "UPDATE deliverables SET due_on = ? WHERE id = ?", daysFromNow(-40), f.DShared.ID)
		e.exec(t, "UPDATE approvals SET due_on = ? WHERE id IN (?, ?)", daysFromNow(-3), f.ApprovalInternal.ID, f.BApproval.ID)
		for i := range 3 {
			d := e.sharedDeliverable(t, fmt.Sprintf("Dashboard deliverable %d", i))
			a := e.requestApproval(t, "manager", d, f.AActive.ID)
			if i < 2 {
				e.decide(t, "aActive", a, []string{"APPROVED", "CHANGES_REQUESTED"}[i], "", fmt.Sprintf("dashboard-key-%d", i)).decided(t)
			}
		}
		// Turnarounds that differ, so percentiles interpolate.
		e.exec(t, "UPDATE approvals SET created_at = ? WHERE id = ?", time.Now().UTC().Add(-30*time.Hour), f.ApprovalShared.ID)
		e.exec(t, "UPDATE approvals SET resolved_at = ? WHERE id = ?", time.Now().UTC().Add(-2*time.Hour), f.ApprovalShared.ID)
		reqA := e.openRequest(t, "aActive", "About the shared project", f.AShared.ID)
		e.openRequest(t, "aActive", "About nothing", "")
		e.openRequest(t, "bActive", "Bolt asks", f.BShared.ID)
		e.as(t, "manager", updateRequestDoc, vars{"in": map[string]any{"id": reqA, "status": "DONE"}}).decode(t, &map[string]any{})
		e.as(t, "aActive", `query($p: ID!, $d: ID!) { project(id: $p) { name } deliverable(id: $d) { title } }`,
			vars{"p": f.AShared.ID, "d": f.DShared.ID}).decode(t, &map[string]any{})
		e.flush(t)

		all := []any{"CLIENTS", "PROJECTS", "DELIVERABLES", "APPROVALS", "REQUESTS", "ACTIVITY"}
		e.partnerKey(t, "keyAll", map[string]any{"scopes": all})
		e.partnerKey(t, "keyInternal", map[string]any{"scopes": all, "includeInternal": true})
		e.partnerKey(t, "keyOfA", map[string]any{"scopes": all, "clientIds": []string{f.A.ID}, "includeInternal": true})
		e.partnerKey(t, "keyNoApprovals", map[string]any{"scopes": []any{"CLIENTS", "PROJECTS", "DELIVERABLES", "REQUESTS"}})
		e.partnerKey(t, "keyClients", map[string]any{"scopes": []any{"CLIENTS"}})

		from, to, today := "2020-01-01", daysFromNow(400), daysFromNow(0)
		principals := []string{"owner", "manager", "member", "viewer", "owner2", "keyAll", "keyInternal", "keyOfA", "keyNoApprovals", "keyClients"}
		counted := map[string]bool{}
		for _, who := range principals {
			lists := e.listsOf(t, who)
			for _, groupBy := range []string{"CLIENT", "PROJECT", "OWNER", "MONTH"} {
				for _, clientIDs := range [][]string{nil, {f.A.ID}} {
					filter := map[string]any{"from": from, "to": to, "groupBy": groupBy}
					if clientIDs != nil {
						filter["clientIds"] = clientIDs
					}
					got := e.dashboardOf(t, who, filter, true)
					want := lists.expected(groupBy, from, to, today, clientIDs)
					name := fmt.Sprintf("%s by %s of clients %v", who, groupBy, clientIDs)
					compareFigures(t, name, got, want)
					for k := range got.counts {
						counted[strings.SplitN(k, "|", 2)[0]] = true
					}
				}
			}
		}
		// Every figure counted something somewhere, so none was compared
		// only as empty.
		for _, figure := range []string{"approvals", "resolved", "overdue approvals", "overdue deliverables", "deliverables", "opened", "closed", "active", "views", "decisions"} {
			if !counted[figure] {
				t.Errorf("no dashboard counted any %s", figure)
			}
		}
	})
}

func compareFigures(t *testing.T, name string, got, want dashboardFigures) {
	t.Helper()
	for _, k := range slices.Sorted(maps.Keys(want.counts)) {
		if got.counts[k] != want.counts[k] {
			t.Errorf("%s: %s = %d, lists show %d", name, k, got.counts[k], want.counts[k])
		}
	}
	for _, k := range slices.Sorted(maps.Keys(got.counts)) {
		if _, ok := want.counts[k]; !ok {
			t.Errorf("%s: %s = %d, lists show none", name, k, got.counts[k])
		}
	}
	if len(got.hours) != len(want.hours) {
		t.Errorf("%s: turnaround of %d groups, lists show %d", name, len(got.hours)/2, len(want.hours)/2)
	}
	for k, h := range want.hours {
		if math.Abs(got.hours[k]-h) > 0.001 {
			t.Errorf("%s: %s = %f hours, lists show %f", name, k, got.hours[k], h)
		}
	}
}

// TestDashboardsAreNotThePortals: a portal contact has no dashboard, a
// partner's key without ACTIVITY counts no engagement, and a range that ends before it starts is bad
// input.
func TestDashboardsAreNotThePortals(t *testing.T) {
	run(t, func(t *testing.T, e *env) {
		filter := vars{"f": map[string]any{"from": "2026-01-01", "to": "2026-01-31", "groupBy": "CLIENT"}}
		err := e.as(t, "aActive", `{ dashboard(filter: {from: "2026-01-01", to: "2026-01-31", groupBy: CLIENT}) { requests { opened } } }`, nil).only(t)
		if !strings.Contains(err.Message, `Cannot query field "dashboard" on type "Query"`) {
			t.Errorf("portal contact's dashboard: %s", err)
		}
		// A key without ACTIVITY counts no engagement.
		e.partnerKey(t, "key", map[string]any{"scopes": []any{"CLIENTS", "REQUESTS"}})
		var noActivity struct {
			Dashboard struct {
				Engagement []map[string]any `json:"engagement"`
			} `json:"dashboard"`
		}
		e.as(t, "key", `query($f: DashboardFilter!) { dashboard(filter: $f) { engagement { views } } }`, filter).decode(t, &noActivity)
		equal(t, "engagement without ACTIVITY", len(noActivity.Dashboard.Engagement), 0)
		backwards := vars{"f": map[string]any{"from": "2026-02-01", "to": "2026-01-31", "groupBy": "MONTH"}}
		err = e.as(t, "owner", `query($f: DashboardFilter!) { dashboard(filter: $f) { requests { opened } } }`, backwards).only(t)
		if err.Extensions.Code != "BAD_USER_INPUT" {
			t.Errorf("a range ending before it starts: %s", err)
		}
	})
}
