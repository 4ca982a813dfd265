package graph_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"portalgraph/graph"
	"portalgraph/internal/portal"
)

// without is every module but these.
func without(keys ...portal.FeatureKey) *portal.FeatureSet {
	m := portal.AllFeatures()
	for _, k := range keys {
		m &^= portal.FeatureSet(0).With(k)
	}
	return &m
}

// A module not installed is removed from every audience's schema, as
// @internal things are from the portal's: introspection, validation and the
// SDL never name it, and a record of it is not found by ID.
func TestModulesNotInstalled(t *testing.T) {
	t.Parallel()
	run(t, func(t *testing.T, e *env) {
		gone := map[string][]string{
			"owner": {"Approval", "ApprovalDecision", "ApprovalConnection", "ApprovalStatus", "Report", "ReportConnection", "ReportMetric",
				"Query.approval", "Query.approvals", "Query.report", "Query.reports", "Client.approvals", "Client.reports", "Project.approvals",
				"Project.reports", "Deliverable.approvals", "Mutation.requestApproval", "Mutation.publishReport", "Mutation.recordApprovalDecision",
				"FeatureKey.APPROVALS", "FeatureKey.REPORTS", "ExportKind.APPROVALS", "PartnerScope.APPROVALS", "PartnerScope.REPORTS"},
			"aActive": {"Approval", "Report", "Query.approvals", "Query.reports", "Viewer.pendingApprovals", "Mutation.decideApproval",
				"FeatureKey.APPROVALS", "ExportKind.APPROVALS"},
		}
		kept := map[string][]string{
			"owner":   {"File", "Query.files", "FeatureKey.FILES", "ExportKind.DELIVERABLES", "PartnerScope.FILES", "Workspace.usage", "Query.access"},
			"aActive": {"File", "ClientRequest", "FeatureKey.FILES", "Workspace.features", "ExportKind.DELIVERABLES"},
		}
		kept["owner"] = slices.DeleteFunc(kept["owner"], func(s string) bool { return s == "Query.files" }) // no such root
		for who, names := range gone {
			ix := introspect(t, e, who)
			for _, n := range names {
				if ix.elements[n] {
					t.Errorf("%s's schema has %s, of a module not installed", who, n)
				}
			}
			for _, n := range kept[who] {
				if !ix.elements[n] {
					t.Errorf("%s's schema lacks %s", who, n)
				}
			}
		}
		// Naming them fails validation like a typo.
		for who, q := range map[string]string{
			"owner":   `{ approvals { totalCount } }`,
			"aActive": `{ viewer { pendingApprovals { totalCount } } }`,
		} {
			r := e.as(t, who, q, nil)
			got := r.only(t)
			if got.Extensions.Code != "GRAPHQL_VALIDATION_FAILED" || !strings.HasPrefix(got.Message, "Cannot query field") || r.Status != http.StatusUnprocessableEntity {
				t.Errorf("%s naming a removed field: HTTP %d %s", who, r.Status, r.Raw)
			}
		}
		// A record of the module is not found, even by ID.
		r := e.as(t, "owner", `query($id: ID!) { node(id: $id) { id __typename } }`, vars{"id": e.f.ApprovalShared.ID})
		r.onlyErrorAt(t, "node", "NOT_FOUND")
		// The workspace's features leave them out.
		var got struct {
			Viewer struct {
				Workspace struct{ Features []string } `json:"workspace"`
			} `json:"viewer"`
		}
		e.as(t, "aActive", `{ viewer { workspace { features } } }`, nil).decode(t, &got)
		equal(t, "features", got.Viewer.Workspace.Features, []string{"CLIENT_PORTALS", "FILES", "EXPORTS", "REQUESTS", "PARTNER_API"})
	}, func(c *graph.Config) { c.Modules = without(portal.FeatureKeyApprovals, portal.FeatureKeyReports) })
}

// portalgraph schema prints the SDL of the modules installed.
func TestSDLOfModules(t *testing.T) {
	t.Parallel()
	for _, a := range []portal.Audience{portal.AudienceStaff, portal.AudiencePortal, portal.AudiencePartner} {
		all, err := graph.SDL(a, portal.AllFeatures())
		if err != nil {
			t.Fatal(err)
		}
		some, err := graph.SDL(a, *without(portal.FeatureKeyApprovals))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(all, "type Approval ") || strings.Contains(some, "Approval ") || strings.Contains(some, "ApprovalConnection") {
			t.Errorf("%s: the approvals module is in the SDL with it (%v) and not without it (%v)", a,
				strings.Contains(all, "type Approval "), !strings.Contains(some, "ApprovalConnection"))
		}
		if strings.Contains(all, "@feature") || strings.Contains(all, "FeatureKey!)") {
			t.Errorf("%s: the @feature directive is served", a)
		}
	}
	none, err := graph.SDL(portal.AudienceStaff, 0)
	if err != nil {
		t.Fatalf("no module installed: %v", err)
	}
	for _, name := range []string{"type File ", "type Report ", "type Approval ", "type PartnerKey ", "type ClientRequest ", "type Export "} {
		if strings.Contains(none, name) {
			t.Errorf("no module installed, and the SDL has %q", name)
		}
	}
}

type workspacePlan struct {
	Features []string `json:"features"`
	Plan     struct {
		Key      string   `json:"key"`
		Features []string `json:"features"`
		Limits   []struct {
			Kind  string   `json:"kind"`
			Value *float64 `json:"value"`
		} `json:"limits"`
	} `json:"plan"`
	AddOns []struct {
		Key string `json:"key"`
	} `json:"addOns"`
	Usage []struct {
		Kind  string   `json:"kind"`
		Limit *float64 `json:"limit"`
		Used  float64  `json:"used"`
	} `json:"usage"`
}

func (e *env) workspacePlan(t *testing.T) workspacePlan {
	t.Helper()
	var got struct {
		Viewer struct {
			Workspace workspacePlan `json:"workspace"`
		} `json:"viewer"`
	}
	e.as(t, "owner", `{ viewer { workspace { features plan { key features limits { kind value } } addOns { key } usage { kind limit used } } } }`, nil).decode(t, &got)
	return got.Viewer.Workspace
}

// A feature the plan lacks answers FEATURE_DISABLED naming it; relations
// to its records are empty, on both executors; a change of plan or add-on
// counts from the next request, on every server.
func TestPlanFeatures(t *testing.T) {
	t.Parallel()
	run(t, func(t *testing.T, e *env) {
		w := e.workspacePlan(t)
		equal(t, "plan", w.Plan.Key, "business")
		equal(t, "features", w.Features, []string{"CLIENT_PORTALS", "APPROVALS", "REPORTS", "FILES", "EXPORTS", "REQUESTS", "PARTNER_API"})
		if len(w.Usage) != 4 || w.Usage[0].Kind != "PORTAL_CONTACTS" || w.Usage[0].Limit != nil || w.Usage[0].Used == 0 {
			t.Errorf("usage %+v", w.Usage)
		}

		// The planner executes what touches @feature fields.
		planned, fallback := e.handler.ExecStats().Counts()
		e.as(t, "owner", `{ reports(first: 5) { totalCount } approvals(first: 5) { totalCount edges { node { id deliverable { title } } } } }`, nil).decode(t, &struct{}{})
		p2, f2 := e.handler.ExecStats().Counts()
		if p2-planned != 2 || f2 != fallback {
			t.Errorf("the planner executed %d root fields and left %d to gqlgen; want 2 and 0", p2-planned, f2-fallback)
		}

		second := e.secondServer(t)
		plain := plainServer(t, e)
		reports := `{ reports(first: 5) { totalCount } }`
		noErrors := func(url string, who string) {
			t.Helper()
			r := e.sendVia(t, http.DefaultClient, newPost(t, url, e.f.Tokens[who], reports, nil))
			if len(r.Errors) > 0 {
				t.Errorf("%s at %s: %s", who, url, r.Raw)
			}
		}
		noErrors(e.srv.URL, "owner")
		noErrors(second, "aActive")

		if err := e.store.SetPlan(t.Context(), e.f.W1.Slug, "free"); err != nil {
			t.Fatal(err)
		}
		w = e.workspacePlan(t)
		equal(t, "features on free", w.Features, []string{"CLIENT_PORTALS", "APPROVALS", "FILES"})
		for _, url := range []string{e.srv.URL, second} {
			for _, who := range []string{"owner", "aActive"} {
				r := e.sendVia(t, http.DefaultClient, newPost(t, url, e.f.Tokens[who], reports, nil))
				r.onlyErrorAt(t, "reports", "FEATURE_DISABLED")
				if !bytes.Contains(r.Raw, []byte(`"feature":"REPORTS"`)) || string(r.Data) != `{"reports":null}` {
					t.Errorf("%s: %s", who, r.Raw)
				}
			}
		}
		// Relations to a disabled feature's records are empty, never an
		// error, and alike on both executors.
		nested := `query($id: ID!) { client(id: $id) { name reports { totalCount edges { node { id } } } requests { totalCount }
			projects { edges { node { reports { totalCount } } } } } }`
		for _, who := range []string{"owner", "aActive"} {
			_, got := sendRaw(t, e, e.srv, e.f.Tokens[who], nested, vars{"id": e.f.A.ID})
			_, want := sendRaw(t, e, plain, e.f.Tokens[who], nested, vars{"id": e.f.A.ID})
			if !bytes.Equal(got, want) || bytes.Contains(got, []byte(`"errors"`)) || bytes.Contains(got, []byte(`"totalCount":1`)) {
				t.Errorf("%s: planner %s\ngqlgen %s", who, got, want)
			}
		}
		// So are mutations of the feature.
		r := e.as(t, "owner", `mutation($c: ID!) { createReport(input: {clientId: $c, title: "Q1", periodStart: "2026-01-01", periodEnd: "2026-03-31"}) { report { id } } }`,
			vars{"c": e.f.A.ID})
		r.onlyErrorAt(t, "createReport", "FEATURE_DISABLED")

		if err := e.store.AddAddOn(t.Context(), e.f.W1.Slug, "reports"); err != nil {
			t.Fatal(err)
		}
		noErrors(e.srv.URL, "owner")
		noErrors(second, "aActive")
		w = e.workspacePlan(t)
		equal(t, "features with the reports add-on", w.Features, []string{"CLIENT_PORTALS", "APPROVALS", "REPORTS", "FILES"})
		equal(t, "add-ons", len(w.AddOns), 1)
		// The other workspace keeps its plan.
		noErrors(e.srv.URL, "owner2")
	})
}

// A plan's limits are checked in the write's transaction: the write that
// would pass one answers PLAN_LIMIT_REACHED with the limit and the usage.
func TestPlanLimits(t *testing.T) {
	t.Parallel()
	run(t, func(t *testing.T, e *env) {
		if err := e.store.SetPlan(t.Context(), e.f.W1.Slug, "free"); err != nil {
			t.Fatal(err)
		}
		create := `mutation($in: CreatePartnerKeyInput!) { createPartnerKey(input: $in) { partnerKey { id } } }`
		in := vars{"in": map[string]any{"name": "k", "scopes": []string{"CLIENTS"}}}
		e.as(t, "owner", create, in).onlyErrorAt(t, "createPartnerKey", "FEATURE_DISABLED")
		// A key made on business stops at once on a plan without the
		// partner API, and works again with the add-on.
		if err := e.store.SetPlan(t.Context(), e.f.W1.Slug, "business"); err != nil {
			t.Fatal(err)
		}
		e.partnerKey(t, "partner", map[string]any{"scopes": []string{"CLIENTS"}})
		if err := e.store.SetPlan(t.Context(), e.f.W1.Slug, "free"); err != nil {
			t.Fatal(err)
		}
		r := e.as(t, "partner", `{ clients { totalCount } }`, nil)
		if r.Status != http.StatusForbidden || r.only(t).Extensions.Code != "FEATURE_DISABLED" || !bytes.Contains(r.Raw, []byte(`"feature":"PARTNER_API"`)) {
			t.Errorf("a key on a plan without the partner API: HTTP %d %s", r.Status, r.Raw)
		}
		if err := e.store.AddAddOn(t.Context(), e.f.W1.Slug, "partner-api"); err != nil {
			t.Fatal(err)
		}
		e.as(t, "partner", `{ clients { totalCount } }`, nil).decode(t, &struct{}{})
		for range 4 {
			e.as(t, "owner", create, in).decode(t, &struct{}{})
		}
		r = e.as(t, "owner", create, in)
		r.onlyErrorAt(t, "createPartnerKey", "PLAN_LIMIT_REACHED")
		var body struct {
			Errors []struct {
				Extensions map[string]any `json:"extensions"`
			} `json:"errors"`
		}
		if err := json.Unmarshal(r.Raw, &body); err != nil {
			t.Fatal(err)
		}
		x := body.Errors[0].Extensions
		if x["limit"] != "PARTNER_KEYS" || x["maximum"] != float64(5) || x["usage"] != float64(5) {
			t.Errorf("extensions %v", x)
		}
		equal(t, "keys", e.count(t, "partner_keys"), 5)
		w := e.workspacePlan(t)
		for _, u := range w.Usage {
			if u.Kind == "PARTNER_KEYS" && (u.Limit == nil || *u.Limit != 5 || u.Used != 5) {
				t.Errorf("usage %+v", u)
			}
		}
		// Revoking one makes room.
		var keys struct {
			PartnerKeys struct {
				Edges []struct {
					Node struct{ ID string } `json:"node"`
				} `json:"edges"`
			} `json:"partnerKeys"`
		}
		e.as(t, "owner", `{ partnerKeys { edges { node { id } } } }`, nil).decode(t, &keys)
		e.as(t, "owner", `mutation($id: ID!) { revokePartnerKey(input: {id: $id}) { partnerKey { id } } }`,
			vars{"id": keys.PartnerKeys.Edges[0].Node.ID}).decode(t, &struct{}{})
		e.as(t, "owner", create, in).decode(t, &struct{}{})
	})
}

// Staff ask why a principal does or does not see a record.
func TestAccessQuery(t *testing.T) {
	t.Parallel()
	run(t, func(t *testing.T, e *env) {
		q := `query($p: ID!, $r: ID!) { access(principalId: $p, recordId: $r) { visible reasons } }`
		var got struct {
			Access struct {
				Visible bool     `json:"visible"`
				Reasons []string `json:"reasons"`
			} `json:"access"`
		}
		e.as(t, "member", q, vars{"p": e.f.ASuspended.ID, "r": e.f.AInternal.ID}).decode(t, &got)
		if got.Access.Visible || !slices.Equal(got.Access.Reasons, []string{"contact's portal access active", "project shared with the client"}) {
			t.Errorf("access %+v", got.Access)
		}
		e.as(t, "owner", q, vars{"p": e.f.AActive.ID, "r": e.f.AShared.ID}).decode(t, &got)
		if !got.Access.Visible || len(got.Access.Reasons) != 0 {
			t.Errorf("access %+v", got.Access)
		}
		e.as(t, "owner", q, vars{"p": e.f.AActive.ID, "r": e.f.XShared.ID}).onlyErrorAt(t, "access", "NOT_FOUND")
		r := e.as(t, "aActive", q, vars{"p": e.f.AActive.ID, "r": e.f.AShared.ID})
		if r.only(t).Extensions.Code != "GRAPHQL_VALIDATION_FAILED" {
			t.Errorf("a contact asks: %s", r.Raw)
		}
	})
}

// Without the client portals module, the staff schema has none of the
// portal's management, and contacts are refused whole.
func TestClientPortalsNotInstalled(t *testing.T) {
	t.Parallel()
	run(t, func(t *testing.T, e *env) {
		ix := introspect(t, e, "owner")
		for _, n := range []string{"Mutation.inviteContact", "Mutation.setClientPortal", "Mutation.previewPortal", "Client.portalSettings",
			"Client.portalStatus", "Client.portalOverview", "Contact.portalStatus", "Contact.lastSeenAt", "Client.contacts(portalStatus)",
			"ClientFilter.portalStatus", "PortalStatus", "FeatureKey.CLIENT_PORTALS"} {
			if ix.elements[n] {
				t.Errorf("the staff schema has %s", n)
			}
		}
		r := e.as(t, "aActive", `{ viewer { audience } }`, nil)
		if r.Status != http.StatusForbidden || r.only(t).Extensions.Code != "FEATURE_DISABLED" || !bytes.Contains(r.Raw, []byte(`"feature":"CLIENT_PORTALS"`)) {
			t.Errorf("a contact: HTTP %d %s", r.Status, r.Raw)
		}
		e.as(t, "owner", `{ viewer { audience } }`, nil).decode(t, &struct{}{})
	}, func(c *graph.Config) { c.Modules = without(portal.FeatureKeyClientPortals) })
}
