package graph_test

import (
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

// Reports over HTTP: staff write and publish them, contacts read the
// published ones of their own client, and nobody learns of a report they
// may not see — not through a lookup, a list, a count or an error.

const (
	reportFields    = `id title periodStart periodEnd summary body metrics { name value unit } status publishedAt author { name } client { id } project { id } createdAt updatedAt`
	createReportDoc = `mutation($in: CreateReportInput!) { createReport(input: $in) { report { ` + reportFields + ` } } }`
	updateReportDoc = `mutation($in: UpdateReportInput!) { updateReport(input: $in) { report { ` + reportFields + ` } } }`
	publishDoc      = `mutation($id: ID!) { publishReport(input: {id: $id}) { report { id status publishedAt } } }`
	unpublishDoc    = `mutation($id: ID!) { unpublishReport(input: {id: $id}) { report { id status publishedAt } } }`
	// What a contact may ask of a report: no status, author or updatedAt.
	portalReportDoc = `query($id: ID!) { report(id: $id) { id title periodStart periodEnd summary body metrics { name value unit } publishedAt client { id } project { id } createdAt } }`
)

// reportSet is the fixture's clients with reports on every side of the
// rules, loaded past the API; created in this order, so their IDs ascend
// in it.
type reportSet struct {
	APublished, ADraft                 string // on client A
	ASharedPublished, ASharedDraft     string // on project AShared
	AInternalPublished                 string // on project AInternal
	BPublished, CPublished, XPublished string
}

func (e *env) loadReports(t *testing.T) reportSet {
	t.Helper()
	f := e.f
	b := dataset.New(time.Date(2026, 2, 3, 9, 0, 0, 0, time.UTC), 43)
	add := func(title string, c *portal.Client, p *portal.Project, from, to string, status portal.ReportStatus) string {
		start, err := portal.ParseDate(from)
		if err != nil {
			t.Fatal(err)
		}
		end, err := portal.ParseDate(to)
		if err != nil {
			t.Fatal(err)
		}
		return b.Report(c, p, nil, title, start, end, status, &portal.ReportMetric{Name: "Sessions", Value: 1200}).ID
	}
	published, draft := portal.ReportStatusPublished, portal.ReportStatusDraft
	rs := reportSet{
		APublished:         add("A, January", f.A, nil, "2026-01-01", "2026-01-31", published),
		ADraft:             add("A, February", f.A, nil, "2026-02-01", "2026-02-28", draft),
		ASharedPublished:   add("Acme shared, February", f.A, f.AShared, "2026-02-01", "2026-02-28", published),
		ASharedDraft:       add("Acme shared, March", f.A, f.AShared, "2026-03-01", "2026-03-31", draft),
		AInternalPublished: add("Acme internal, Q1", f.A, f.AInternal, "2026-01-01", "2026-03-31", published),
		BPublished:         add("Bolt, winter", f.B, nil, "2026-01-15", "2026-02-15", published),
		CPublished:         add("Cobalt, January", f.C, nil, "2026-01-01", "2026-01-31", published),
		XPublished:         add("Xeno, January", f.X, nil, "2026-01-01", "2026-01-31", published),
	}
	if err := e.store.Load(t.Context(), &b.Data); err != nil {
		t.Fatal(err)
	}
	return rs
}

// previewToken has the owner preview the portal as a contact, registers
// the preview's token as "preview" and returns it.
func (e *env) previewToken(t *testing.T, contactID string) string {
	t.Helper()
	var got struct {
		PreviewPortal struct {
			Token string `json:"token"`
		} `json:"previewPortal"`
	}
	e.as(t, "owner", previewDoc, vars{"id": contactID}).decode(t, &got)
	e.f.Tokens["preview"] = got.PreviewPortal.Token
	return got.PreviewPortal.Token
}

// reportState is tableState with the reports table, which the mutations
// of this file write as well.
func (e *env) reportState(t *testing.T) map[string]any {
	t.Helper()
	state := e.tableState(t)
	rows, err := e.store.DB().Queryx("SELECT * FROM reports ORDER BY id")
	if err != nil {
		t.Fatalf("read reports: %v", err)
	}
	defer rows.Close()
	var recs []map[string]any
	for rows.Next() {
		rec := map[string]any{}
		if err := rows.MapScan(rec); err != nil {
			t.Fatal(err)
		}
		for k, v := range rec {
			if b, ok := v.([]byte); ok {
				rec[k] = string(b)
			}
		}
		recs = append(recs, rec)
	}
	state["reports"] = recs
	return state
}

// reportPayload decodes the report of a mutation's payload.
func reportPayload(t *testing.T, r *response, mutation string) map[string]any {
	t.Helper()
	var got map[string]struct {
		Report map[string]any `json:"report"`
	}
	r.decode(t, &got)
	return got[mutation].Report
}

// portalReports is what a contact's portal lists of reports: the root list,
// the client's and each project's, with their counts.
type portalReports struct {
	Reports conn[idName] `json:"reports"`
	Viewer  struct {
		Client struct {
			Reports  conn[idName] `json:"reports"`
			Projects conn[struct {
				ID      string       `json:"id"`
				Reports conn[idName] `json:"reports"`
			}] `json:"projects"`
		} `json:"client"`
	} `json:"viewer"`
}

const portalReportsDoc = `{
	reports { totalCount edges { node { id } } }
	viewer { client {
		reports { totalCount edges { node { id } } }
		projects { edges { node { id reports { totalCount edges { node { id } } } } } }
	} }
}`

// listedReports reads portalReports as who and checks that every count
// matches its list; it returns the reports of the root list, the client's
// and the projects', each sorted.
func (e *env) listedReports(t *testing.T, who string) (root, ofClient, ofProjects []string) {
	t.Helper()
	var got portalReports
	e.as(t, who, portalReportsDoc, nil).decode(t, &got)
	check := func(what string, c conn[idName]) []string {
		if c.TotalCount != len(c.Edges) {
			t.Errorf("%s as %s: totalCount %d, %d edges", what, who, c.TotalCount, len(c.Edges))
		}
		return ids(c.nodes())
	}
	root = sorted(check("reports", got.Reports))
	ofClient = sorted(check("client reports", got.Viewer.Client.Reports))
	ofProjects = []string{}
	for _, p := range got.Viewer.Client.Projects.nodes() {
		ofProjects = append(ofProjects, check("reports of "+p.ID, p.Reports)...)
	}
	return root, ofClient, sorted(ofProjects)
}

// A report written, published, corrected and unpublished through the API:
// the contact sees it exactly while it is published, and the client's
// activity tells who did what.
func TestReportFlow(t *testing.T) {
	t.Parallel()
	run(t, func(t *testing.T, e *env) {
		f := e.f
		created := reportPayload(t, e.as(t, "manager", createReportDoc, vars{"in": map[string]any{
			"clientId": f.A.ID, "projectId": f.AShared.ID, "title": " January results ",
			"periodStart": "2026-01-01", "periodEnd": "2026-01-31",
			"summary": "A strong month.", "body": "## Highlights\n\n- Sessions up 12%",
			"metrics": []map[string]any{{"name": "Sessions", "value": 48210}, {"name": "Conversion rate", "value": 2.4, "unit": "%"}},
		}}), "createReport")
		id, _ := created["id"].(string)
		timestamp(t, "created", created, "createdAt")
		timestamp(t, "created", created, "updatedAt")
		equal(t, "created report", created, map[string]any{
			"id": id, "title": "January results", "periodStart": "2026-01-01", "periodEnd": "2026-01-31",
			"summary": "A strong month.", "body": "## Highlights\n\n- Sessions up 12%",
			"metrics": []map[string]any{{"name": "Sessions", "value": 48210, "unit": nil}, {"name": "Conversion rate", "value": 2.4, "unit": "%"}},
			"status":  "DRAFT", "publishedAt": nil, "author": map[string]string{"name": "Mark Manager"},
			"client": map[string]string{"id": f.A.ID}, "project": map[string]string{"id": f.AShared.ID},
			"createdAt": "<time>", "updatedAt": "<time>",
		})

		// A draft does not exist for the contact.
		assertNotFound(t, e, "aActive", lookup{"report", portal.PrefixReport}, id)
		assertNotFound(t, e, "aActive", lookup{"node", portal.PrefixReport}, id)
		root, ofClient, ofProjects := e.listedReports(t, "aActive")
		equal(t, "the contact's lists of a draft", [][]string{root, ofClient, ofProjects}, [][]string{{}, {}, {}})

		// Published, the contact reads it everywhere.
		published := reportPayload(t, e.as(t, "manager", publishDoc, vars{"id": id}), "publishReport")
		publishedAt, _ := published["publishedAt"].(string)
		timestamp(t, "published", published, "publishedAt")
		equal(t, "published", published, map[string]any{"id": id, "status": "PUBLISHED", "publishedAt": "<time>"})
		var seen struct {
			Report map[string]any `json:"report"`
		}
		e.as(t, "aActive", portalReportDoc, vars{"id": id}).decode(t, &seen)
		timestamp(t, "seen", seen.Report, "createdAt")
		equal(t, "the contact's report", seen.Report, map[string]any{
			"id": id, "title": "January results", "periodStart": "2026-01-01", "periodEnd": "2026-01-31",
			"summary": "A strong month.", "body": "## Highlights\n\n- Sessions up 12%",
			"metrics":     []map[string]any{{"name": "Sessions", "value": 48210, "unit": nil}, {"name": "Conversion rate", "value": 2.4, "unit": "%"}},
			"publishedAt": publishedAt, "client": map[string]string{"id": f.A.ID}, "project": map[string]string{"id": f.AShared.ID},
			"createdAt": "<time>",
		})
		var node struct {
			Node map[string]any `json:"node"`
		}
		e.as(t, "aActive", `query($id: ID!) { node(id: $id) { id ... on Report { title } } }`, vars{"id": id}).decode(t, &node)
		equal(t, "the contact's node", node.Node, map[string]any{"id": id, "title": "January results"})
		root, ofClient, ofProjects = e.listedReports(t, "aActive")
		equal(t, "the contact's lists", [][]string{root, ofClient, ofProjects}, [][]string{{id}, {id}, {id}})

		// Publishing again is answered the same and writes nothing.
		e.flush(t)
		before := e.reportState(t)
		again := reportPayload(t, e.as(t, "manager", publishDoc, vars{"id": id}), "publishReport")
		equal(t, "published twice", again, map[string]any{"id": id, "status": "PUBLISHED", "publishedAt": publishedAt})
		equal(t, "tables after publishing twice", e.reportState(t), before)

		// A correction: the owner clears the summary and the metrics.
		corrected := reportPayload(t, e.as(t, "owner", updateReportDoc, vars{"in": map[string]any{
			"id": id, "title": "January results (final)", "summary": "", "metrics": []any{},
		}}), "updateReport")
		equal(t, "corrected", []any{corrected["title"], corrected["summary"], corrected["metrics"], corrected["status"], corrected["publishedAt"]},
			[]any{"January results (final)", nil, []any{}, "PUBLISHED", publishedAt})

		// Unpublished: gone for the contact, publishedAt with it.
		unpublished := reportPayload(t, e.as(t, "manager", unpublishDoc, vars{"id": id}), "unpublishReport")
		equal(t, "unpublished", unpublished, map[string]any{"id": id, "status": "DRAFT", "publishedAt": nil})
		assertNotFound(t, e, "aActive", lookup{"report", portal.PrefixReport}, id)
		root, ofClient, ofProjects = e.listedReports(t, "aActive")
		equal(t, "the contact's lists after unpublishing", [][]string{root, ofClient, ofProjects}, [][]string{{}, {}, {}})
		e.flush(t)
		before = e.reportState(t)
		again = reportPayload(t, e.as(t, "manager", unpublishDoc, vars{"id": id}), "unpublishReport")
		equal(t, "unpublished twice", again, map[string]any{"id": id, "status": "DRAFT", "publishedAt": nil})
		equal(t, "tables after unpublishing a draft", e.reportState(t), before)

		// The client's activity: each change once, by who made it, and the
		// one time the contact opened the published report.
		byManager, byOwner, byAnn := &idName{f.Manager.ID, "Mark Manager"}, &idName{f.Owner.ID, "Olivia Owner"}, &idName{f.AActive.ID, "Ann Active"}
		var got []map[string]any
		for _, ev := range e.activity(t, f.A.ID, map[string]any{"recordTypes": []string{"REPORT"}}) {
			got = append(got, map[string]any{"action": ev.Action, "recordId": ev.RecordID, "summary": ev.Summary, "user": ev.ActorUser, "contact": ev.ActorContact})
		}
		event := func(action, summary string, user, contact *idName) map[string]any {
			return map[string]any{"action": action, "recordId": id, "summary": summary, "user": user, "contact": contact}
		}
		equal(t, "activity", got, []map[string]any{
			event("REPORT_UNPUBLISHED", "Unpublished report January results (final)", byManager, nil),
			event("UPDATED", "Updated report January results (final)", byOwner, nil),
			event("VIEWED", "Viewed REPORT", nil, byAnn),
			event("REPORT_PUBLISHED", "Published report January results", byManager, nil),
			event("CREATED", "Created report January results", byManager, nil),
		})
	})
}

// Reports mutations need REPORTS_CREATE, REPORTS_UPDATE or REPORTS_PUBLISH: a MEMBER and a VIEWER are refused
// every one, with valid input or not, disclosing nothing about the input
// and writing nothing; a MANAGER and the OWNER may.
func TestReportPermissions(t *testing.T) {
	t.Parallel()
	run(t, func(t *testing.T, e *env) {
		f := e.f
		rs := e.loadReports(t)
		good := map[string]any{"clientId": f.A.ID, "title": "Q1", "periodStart": "2026-01-01", "periodEnd": "2026-03-31"}
		bad := map[string]any{"clientId": f.A.ID, "title": " ", "periodStart": "2026-03-01", "periodEnd": "2026-01-31",
			"metrics": []map[string]any{{"name": "", "value": 1}}}
		mutations := []approvalMutation{
			{"createReport", "REPORTS_CREATE", createReportDoc, vars{"in": good}, vars{"in": bad}},
			{"updateReport", "REPORTS_UPDATE", updateReportDoc, vars{"in": map[string]any{"id": rs.ADraft, "title": "Changed"}},
				vars{"in": map[string]any{"id": rs.ADraft, "title": "", "metrics": []map[string]any{{"name": " ", "value": 1}}}}},
			{"publishReport", "REPORTS_PUBLISH", publishDoc, vars{"id": rs.ADraft}, nil},
			{"unpublishReport", "REPORTS_PUBLISH", unpublishDoc, vars{"id": rs.APublished}, nil},
		}
		before := e.reportState(t)
		for _, who := range []string{"member", "viewer"} {
			for _, m := range mutations {
				assertForbidden(t, e, who, m, m.vars)
				if m.invalid != nil {
					assertForbidden(t, e, who, m, m.invalid)
				}
			}
		}
		equal(t, "tables after the refusals", e.reportState(t), before)

		for _, who := range []string{"manager", "owner"} {
			for _, m := range mutations {
				var got map[string]map[string]*struct {
					ID string `json:"id"`
				}
				e.as(t, who, m.query, m.vars).decode(t, &got)
				if got[m.name]["report"] == nil || got[m.name]["report"].ID == "" {
					t.Errorf("%s %s: %+v", who, m.name, got)
				}
			}
		}
	})
}

// A contact, and a staff member's preview as one, are not served the
// report mutations nor a report's internal fields: naming one fails
// validation like a typo, and nothing runs.
func TestReportInternalsHiddenFromPortal(t *testing.T) {
	t.Parallel()
	run(t, func(t *testing.T, e *env) {
		f := e.f
		rs := e.loadReports(t)
		e.previewToken(t, f.AActive.ID)
		before := e.reportState(t)
		cases := []struct{ query, message string }{
			{`mutation { createReport(input: {clientId: "x", title: "Mine", periodStart: "2026-01-01", periodEnd: "2026-01-31"}) { report { id } } }`,
				`Cannot query field "createReport" on type "Mutation".`},
			{`mutation($id: ID!) { updateReport(input: {id: $id, title: "Mine"}) { report { id } } }`, `Cannot query field "updateReport" on type "Mutation".`},
			{`mutation($id: ID!) { publishReport(input: {id: $id}) { report { id } } }`, `Cannot query field "publishReport" on type "Mutation".`},
			{`mutation($id: ID!) { unpublishReport(input: {id: $id}) { report { id } } }`, `Cannot query field "unpublishReport" on type "Mutation".`},
			{`query($id: ID!) { report(id: $id) { id status } }`, `Cannot query field "status" on type "Report".`},
			{`query($id: ID!) { report(id: $id) { id author { name } } }`, `Cannot query field "author" on type "Report".`},
			{`query($id: ID!) { report(id: $id) { id updatedAt } }`, `Cannot query field "updatedAt" on type "Report".`},
			{`{ reports(filter: {status: [DRAFT]}) { totalCount } }`, `Field "status" is not defined by type "ReportFilter".`},
		}
		for _, who := range []string{"aActive", "preview"} {
			for _, c := range cases {
				r := e.as(t, who, c.query, vars{"id": rs.APublished})
				got := r.only(t)
				equal(t, who+" error", []string{got.Message, got.Extensions.Code}, []string{c.message, "GRAPHQL_VALIDATION_FAILED"})
				if !r.dataIsNull() || strings.Contains(string(r.Raw), "Did you mean") {
					t.Errorf("%s: %s", who, r.Raw)
				}
			}
		}
		equal(t, "tables", e.reportState(t), before)
	})
}

// Bad input is BAD_USER_INPUT at the mutation or list, naming each bad
// field, and writes nothing: the schema's rules before anything runs, the
// store's (periods, whose project, metrics) in its transaction.
func TestReportBadInput(t *testing.T) {
	t.Parallel()
	run(t, func(t *testing.T, e *env) {
		f := e.f
		rs := e.loadReports(t)
		create := func(in map[string]any) vars {
			out := map[string]any{"clientId": f.A.ID, "title": "March", "periodStart": "2026-03-01", "periodEnd": "2026-03-31"}
			for k, v := range in {
				out[k] = v
			}
			return vars{"in": out}
		}
		metric := func(name string, value any) map[string]any { return map[string]any{"name": name, "value": value} }
		cases := []struct {
			name, query string
			vars        vars
			path        string
			fields      []string
		}{
			{"the end before the start", createReportDoc, create(map[string]any{"periodEnd": "2026-02-28"}),
				"createReport", []string{"input.periodEnd: must be on or after periodStart"}},
			{"another client's project", createReportDoc, create(map[string]any{"projectId": f.BShared.ID}),
				"createReport", []string{"input.projectId: is not a project of the client"}},
			{"another workspace's project", createReportDoc, create(map[string]any{"projectId": f.XShared.ID}),
				"createReport", []string{fmt.Sprintf("input.projectId: no record with id %q", f.XShared.ID)}},
			{"another workspace's client", createReportDoc, create(map[string]any{"clientId": f.X.ID}),
				"createReport", []string{fmt.Sprintf("input.clientId: no record with id %q", f.X.ID)}},
			{"a blank title and a blank metric name", createReportDoc,
				create(map[string]any{"title": " ", "metrics": []map[string]any{metric("Sessions", 1), metric("  ", 2)}}),
				"createReport", []string{"input.metrics[1].name: must not be blank", "input.title: must not be blank"}},
			{"a metric named twice", createReportDoc,
				create(map[string]any{"metrics": []map[string]any{metric("Sessions", 1), metric("Leads", 2), metric(" sessions ", 3)}}),
				"createReport", []string{`input.metrics[2].name: "sessions" is already the name of metrics[0]`}},
			{"values that are not numbers", createReportDoc,
				create(map[string]any{"metrics": []map[string]any{metric("A", "NaN"), metric("B", "Infinity"), metric("C", "-Inf")}}),
				"createReport", []string{"input.metrics[0].value: must be a finite number", "input.metrics[1].value: must be a finite number",
					"input.metrics[2].value: must be a finite number"}},
			{"a unit too long", createReportDoc, create(map[string]any{"metrics": []map[string]any{{"name": "A", "value": 1, "unit": strings.Repeat("u", 21)}}}),
				"createReport", []string{"input.metrics[0].unit: must be at most 20 characters long"}},
			{"an update moving the end before the start", updateReportDoc, vars{"in": map[string]any{"id": rs.ADraft, "periodEnd": "2026-01-31"}},
				"updateReport", []string{"input.periodEnd: must be on or after the report's periodStart, 2026-02-01"}},
			{"an update moving the start after the end", updateReportDoc, vars{"in": map[string]any{"id": rs.ADraft, "periodStart": "2026-03-01"}},
				"updateReport", []string{"input.periodStart: must be on or before the report's periodEnd, 2026-02-28"}},
			{"an update naming a metric twice", updateReportDoc, vars{"in": map[string]any{"id": rs.ADraft, "title": "Still fine",
				"metrics": []map[string]any{metric("Leads", 1), metric("LEADS", 2)}}},
				"updateReport", []string{`input.metrics[1].name: "LEADS" is already the name of metrics[0]`}},
			{"a period range the wrong way round", `{ reports(filter: {periodFrom: "2026-02-02", periodTo: "2026-02-01"}) { totalCount } }`, nil,
				"reports", []string{"filter.periodTo: must be on or after periodFrom"}},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				before := e.reportState(t)
				r := e.as(t, "manager", c.query, c.vars)
				got := r.onlyErrorAt(t, c.path, "BAD_USER_INPUT")
				equal(t, "message", got.Message, "invalid input")
				equal(t, "fields", got.fields(), c.fields)
				// A mutation's payload is not null, so its data is; the
				// list of reports is (it may be FEATURE_DISABLED).
				if r.Status != http.StatusOK || !r.dataIsNull() && string(r.Data) != `{"`+c.path+`":null}` {
					t.Errorf("HTTP %d, data %s", r.Status, r.Data)
				}
				equal(t, "tables", e.reportState(t), before)
			})
		}

		// Nested, the same range is refused at the list it was given to.
		r := e.as(t, "manager", `query($id: ID!) { client(id: $id) { name reports(filter: {periodFrom: "2026-02-02", periodTo: "2026-02-01"}) { totalCount } } }`,
			vars{"id": f.A.ID})
		equal(t, "nested range", r.onlyErrorAt(t, "client.reports", "BAD_USER_INPUT").fields(), []string{"filter.periodTo: must be on or after periodFrom"})
	})
}

// Who sees which report over HTTP, through every path: a contact of the
// client, a contact of another client, a preview, another workspace's
// contact and staff, and staff with and without the reports permissions. What one
// may not see is NOT_FOUND exactly like what does not exist, and is in
// no list and no count.
func TestReportScopingOverHTTP(t *testing.T) {
	t.Parallel()
	run(t, func(t *testing.T, e *env) {
		f := e.f
		rs := e.loadReports(t)
		e.previewToken(t, f.AActive.ID)
		every := []string{rs.APublished, rs.ADraft, rs.ASharedPublished, rs.ASharedDraft, rs.AInternalPublished, rs.BPublished, rs.CPublished, rs.XPublished}
		w1 := every[:7]
		cases := []struct {
			who string
			// sees: the root list; client: the reports of their client
			// (for staff, client A's); projects: of projects they list.
			sees, client, projects []string
		}{
			{"aActive", []string{rs.APublished, rs.ASharedPublished}, []string{rs.APublished, rs.ASharedPublished}, []string{rs.ASharedPublished}},
			{"preview", []string{rs.APublished, rs.ASharedPublished}, []string{rs.APublished, rs.ASharedPublished}, []string{rs.ASharedPublished}},
			{"bActive", []string{rs.BPublished}, []string{rs.BPublished}, []string{}},
			{"xActive", []string{rs.XPublished}, []string{rs.XPublished}, []string{}},
		}
		for _, c := range cases {
			root, ofClient, ofProjects := e.listedReports(t, c.who)
			equal(t, c.who+" reports", root, sorted(c.sees))
			equal(t, c.who+" client reports", ofClient, sorted(c.client))
			equal(t, c.who+" project reports", ofProjects, sorted(c.projects))
			for _, id := range every {
				if slices.Contains(c.sees, id) {
					assertFound(t, e, c.who, "report", id)
					assertFound(t, e, c.who, "node", id)
					continue
				}
				assertNotFound(t, e, c.who, lookup{"report", portal.PrefixReport}, id)
				assertNotFound(t, e, c.who, lookup{"node", portal.PrefixReport}, id)
			}
			// Asking for another client's reports by filter finds none.
			var filtered struct {
				OfB conn[idName] `json:"ofB"`
				OfX conn[idName] `json:"ofX"`
			}
			e.as(t, c.who, `query($b: ID!, $x: ID!) { ofB: reports(filter: {clientId: $b}) { totalCount edges { node { id } } }
				ofX: reports(filter: {clientId: $x}) { totalCount edges { node { id } } } }`, vars{"b": f.B.ID, "x": f.X.ID}).decode(t, &filtered)
			for name, conn := range map[string]conn[idName]{"B": filtered.OfB, "X": filtered.OfX} {
				want := []string{}
				for _, id := range c.sees {
					if (name == "B" && id == rs.BPublished) || (name == "X" && id == rs.XPublished) {
						want = append(want, id)
					}
				}
				equal(t, c.who+" reports of "+name, []any{conn.TotalCount, ids(conn.nodes())}, []any{len(want), want})
			}
		}
		// C's portal is off: its contact is not let in at all.
		r := e.as(t, "cActive", `{ reports { totalCount } }`, nil)
		if r.Status != http.StatusUnauthorized || r.only(t).Extensions.Code != "UNAUTHENTICATED" {
			t.Errorf("C's contact: HTTP %d %s", r.Status, r.Raw)
		}

		// Staff, with the reports permissions or without, read every report of their
		// workspace and nothing of another.
		for _, who := range []string{"owner", "manager", "member", "viewer"} {
			var got struct {
				Reports conn[idName] `json:"reports"`
				Clients conn[struct {
					ID      string       `json:"id"`
					Reports conn[idName] `json:"reports"`
				}] `json:"clients"`
				Project struct {
					Reports conn[idName] `json:"reports"`
				} `json:"project"`
			}
			e.as(t, who, `query($p: ID!) { reports(first: 100) { totalCount edges { node { id } } }
				clients { edges { node { id reports { totalCount edges { node { id } } } } } }
				project(id: $p) { reports { totalCount edges { node { id } } } } }`, vars{"p": f.AShared.ID}).decode(t, &got)
			equal(t, who+" reports", []any{got.Reports.TotalCount, sorted(ids(got.Reports.nodes()))}, []any{7, sorted(w1)})
			var underClients []string
			for _, c := range got.Clients.nodes() {
				equal(t, who+" count under "+c.ID, c.Reports.TotalCount, len(c.Reports.Edges))
				underClients = append(underClients, ids(c.Reports.nodes())...)
			}
			equal(t, who+" reports under clients", sorted(underClients), sorted(w1))
			equal(t, who+" AShared's reports", ids(got.Project.Reports.nodes()), []string{rs.ASharedDraft, rs.ASharedPublished})
			assertNotFound(t, e, who, lookup{"report", portal.PrefixReport}, rs.XPublished)
			assertNotFound(t, e, who, lookup{"node", portal.PrefixReport}, rs.XPublished)
		}
		var other struct {
			Reports conn[idName] `json:"reports"`
		}
		e.as(t, "owner2", `{ reports { totalCount edges { node { id } } } }`, nil).decode(t, &other)
		equal(t, "owner2 reports", []any{other.Reports.TotalCount, ids(other.Reports.nodes())}, []any{1, []string{rs.XPublished}})
		assertNotFound(t, e, "owner2", lookup{"report", portal.PrefixReport}, rs.ADraft)

		// Another workspace's staff cannot change a report: it does not
		// exist for them, word for word like one that does not exist.
		before := e.reportState(t)
		missing := portal.NewID(portal.PrefixReport, time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC))
		for _, m := range []struct{ name, query string }{{"publishReport", publishDoc}, {"unpublishReport", unpublishDoc}} {
			hidden := e.as(t, "owner2", m.query, vars{"id": rs.ADraft})
			absent := e.as(t, "owner2", m.query, vars{"id": missing})
			hidden.onlyErrorAt(t, m.name, "NOT_FOUND")
			absent.onlyErrorAt(t, m.name, "NOT_FOUND")
			if a, b := strings.ReplaceAll(string(hidden.Raw), rs.ADraft, "ID"), strings.ReplaceAll(string(absent.Raw), missing, "ID"); a != b {
				t.Errorf("%s of a hidden report and of a missing one differ:\n%s\n%s", m.name, a, b)
			}
		}
		r = e.as(t, "owner2", updateReportDoc, vars{"in": map[string]any{"id": rs.APublished, "title": "Mine"}})
		equal(t, "owner2 updates", r.onlyErrorAt(t, "updateReport", "NOT_FOUND").Message, fmt.Sprintf("no record with id %q", rs.APublished))
		equal(t, "tables", e.reportState(t), before)
	})
}

// The period filter over HTTP: a report is listed for a range its period
// overlaps, both ends included, at the root and nested alike.
func TestReportPeriodFilterOverHTTP(t *testing.T) {
	t.Parallel()
	run(t, func(t *testing.T, e *env) {
		f := e.f
		rs := e.loadReports(t)
		const doc = `query($f: ReportFilter, $a: ID!) { reports(filter: $f) { totalCount edges { node { id } } }
			client(id: $a) { reports(filter: $f) { totalCount edges { node { id } } } } }`
		for _, c := range []struct {
			filter    map[string]any
			root, ofA []string // in list order: period end, latest first, then newest first
		}{
			{map[string]any{"periodFrom": "2026-02-28"}, []string{rs.AInternalPublished, rs.ASharedDraft, rs.ASharedPublished, rs.ADraft},
				[]string{rs.AInternalPublished, rs.ASharedDraft, rs.ASharedPublished, rs.ADraft}},
			{map[string]any{"periodTo": "2026-01-01"}, []string{rs.AInternalPublished, rs.CPublished, rs.APublished},
				[]string{rs.AInternalPublished, rs.APublished}},
			{map[string]any{"periodFrom": "2026-02-15", "periodTo": "2026-02-15"},
				[]string{rs.AInternalPublished, rs.ASharedPublished, rs.ADraft, rs.BPublished},
				[]string{rs.AInternalPublished, rs.ASharedPublished, rs.ADraft}},
			{map[string]any{"periodFrom": "2026-02-16", "periodTo": "2026-02-28", "status": []string{"PUBLISHED"}},
				[]string{rs.AInternalPublished, rs.ASharedPublished}, []string{rs.AInternalPublished, rs.ASharedPublished}},
			{map[string]any{"periodFrom": "2026-04-01"}, []string{}, []string{}},
		} {
			var got struct {
				Reports conn[idName] `json:"reports"`
				Client  struct {
					Reports conn[idName] `json:"reports"`
				} `json:"client"`
			}
			e.as(t, "owner", doc, vars{"f": c.filter, "a": f.A.ID}).decode(t, &got)
			what := fmt.Sprint(c.filter)
			equal(t, what, []any{got.Reports.TotalCount, ids(got.Reports.nodes())}, []any{len(c.root), c.root})
			equal(t, what+" of A", []any{got.Client.Reports.TotalCount, ids(got.Client.Reports.nodes())}, []any{len(c.ofA), c.ofA})
		}

		// A contact's range finds only what the contact sees.
		var got struct {
			Reports conn[idName] `json:"reports"`
		}
		e.as(t, "aActive", `{ reports(filter: {periodFrom: "2026-01-31", periodTo: "2026-02-01"}) { totalCount edges { node { id } } } }`, nil).decode(t, &got)
		equal(t, "the contact's range", []any{got.Reports.TotalCount, ids(got.Reports.nodes())}, []any{2, []string{rs.ASharedPublished, rs.APublished}})
	})
}

// reportQuery is a query whose statements are counted: who sends it, and
// how many statements it may cost.
type reportQuery struct {
	name, who, query string
	statements       int64
}

// Nested report lists cost one statement per field, whatever the number of
// clients, projects and reports: the lists under every client, and under
// every project, are one windowed statement each.
func TestReportStatementsDoNotGrowWithData(t *testing.T) {
	t.Parallel()
	queries := []reportQuery{
		{
			name: "staff clients with reports", who: "staff", statements: 7,
			// token, clients, client reports, their projects, their authors, projects, project reports
			query: `{ clients(first: 50) { totalCount edges { node { name
				reports(first: 5) { totalCount edges { node { title periodEnd status metrics { name value } project { name } author { name } } } }
				projects(first: 50) { edges { node { name reports(first: 3, filter: {periodFrom: "2026-01-01"}) { totalCount edges { node { title } } } } } } } } } }`,
		},
		{
			name: "portal reports", who: "portal", statements: 6,
			// token, client, client reports, projects, project reports, root reports
			query: `{ viewer { client { name reports { totalCount edges { node { title metrics { name value unit } } } }
				projects(first: 100) { edges { node { name reports { totalCount edges { node { title } } } } } } } }
				reports(first: 10) { totalCount } }`,
		},
	}
	for _, dialect := range sqltest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			count := func(n int) map[string]int64 {
				return ownDatabase(t, fmt.Sprintf("%d projects per client", n), func(t *testing.T) map[string]int64 {
					return reportStatements(t, dialect, n, queries)
				})
			}
			small, large := count(2), count(30)
			for _, q := range queries {
				if small[q.name] != q.statements || large[q.name] != q.statements {
					t.Errorf("%s: %d statements with 2 projects per client, %d with 30; want %d for both",
						q.name, small[q.name], large[q.name], q.statements)
				}
			}
		})
	}
}

// reportStatements loads four clients with n projects each, every client
// and project with reports, and returns the statements each query costs.
func reportStatements(t *testing.T, dialect string, n int, queries []reportQuery) map[string]int64 {
	counter := &sqlstore.StatementCounter{}
	store := sqltest.Open(t, dialect, sqlstore.WithStatementCounter(counter))
	b := dataset.New(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), uint64(n))
	ws := b.Workspace("Reporting", "reporting")
	owner := b.User(ws, "Owner", "owner@reporting.example", portal.BuiltInRoleOwner)
	var contact *portal.Contact
	month := func(year, m int) (portal.Date, portal.Date) {
		start := portal.Date{Year: year, Month: time.Month(1 + m%12), Day: 1}
		return start, start.AddDays(27)
	}
	for ci := range 4 {
		c := b.Client(ws, fmt.Sprintf("Client %d", ci), owner, portal.ClientStatusActive)
		c.PortalEnabled = true
		a := b.Contact(c, "A", fmt.Sprintf("a%d@reporting.example", ci), "", portal.PortalStatusActive)
		if contact == nil {
			contact = a
		}
		// The client's own reports are on earlier periods than its
		// projects', so each client's first page holds reports with a
		// project to load, whatever the size.
		for m := range n {
			start, end := month(2025, m)
			b.Report(c, nil, owner, fmt.Sprintf("Month %d", m), start, end, []portal.ReportStatus{portal.ReportStatusPublished, portal.ReportStatusDraft}[m%2],
				&portal.ReportMetric{Name: "Sessions", Value: float64(m)})
		}
		for pi := range n {
			p := b.Project(c, fmt.Sprintf("Project %d", pi), portal.ProjectStatusActive, portal.VisibilityShared)
			for m := range 4 {
				start, end := month(2026, m)
				b.Report(c, p, owner, fmt.Sprintf("Project %d, month %d", pi, m), start, end, portal.ReportStatusPublished)
			}
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
	// A wait long enough that only an incomplete count, never a slow
	// machine, sends a batch before it is full.
	h, err := graph.NewHandler(graph.Config{Store: store, Authenticate: auth.New(store).Authenticate, BatchWait: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h.Mux())
	defer srv.Close()
	e := &env{store: store, srv: srv}
	out := map[string]int64{}
	for _, q := range queries {
		for range 2 { // nothing is cached across requests: the second costs the same
			before := counter.Count()
			e.post(t, tokens[q.who], q.query, nil).decode(t, &map[string]any{})
			out[q.name] = counter.Count() - before
		}
	}
	if batches, early := h.BatchStats().Counts(); early > 0 {
		t.Errorf("%d of %d batches were sent before every object expected to ask had asked", early, batches)
	}
	return out
}
