package httpserver_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"portalgraph/internal/portal"
	"portalgraph/internal/sqlstore/sqltest"
)

// scrape reads /metrics over HTTP, as Prometheus does, and parses it.
func (e *env) scrape(t *testing.T) map[string]*dto.MetricFamily {
	t.Helper()
	req := e.request(t, http.MethodGet, "/metrics", nil)
	req.Header.Set("Accept", "text/plain")
	a := do(t, e.srv.Client(), req)
	if a.status != http.StatusOK {
		t.Fatalf("/metrics: HTTP %d: %s", a.status, a.body)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(strings.NewReader(string(a.body)))
	if err != nil {
		t.Fatalf("/metrics is not the text format: %v\n%s", err, a.body)
	}
	return families
}

// metric finds the one metric of a family with the labels (others may
// differ); nil when there is none.
func metric(families map[string]*dto.MetricFamily, name string, labels map[string]string) *dto.Metric {
	f := families[name]
	if f == nil {
		return nil
	}
	for _, m := range f.Metric {
		ok := true
		for k, v := range labels {
			if !slices.ContainsFunc(m.Label, func(l *dto.LabelPair) bool { return l.GetName() == k && l.GetValue() == v }) {
				ok = false
				break
			}
		}
		if ok {
			return m
		}
	}
	return nil
}

// value is a counter's or gauge's value, or a histogram's count; -1 when
// the metric is absent.
func value(families map[string]*dto.MetricFamily, name string, labels map[string]string) float64 {
	m := metric(families, name, labels)
	switch {
	case m == nil:
		return -1
	case m.Counter != nil:
		return m.Counter.GetValue()
	case m.Gauge != nil:
		return m.Gauge.GetValue()
	case m.Histogram != nil:
		return float64(m.Histogram.GetSampleCount())
	}
	return -1
}

// TestMetrics scrapes /metrics after a few requests and finds each of
// them counted: by route, status, audience and operation (a named
// operation by its name, an unnamed one as anonymous), their errors by
// code, their statements and batches, and the pool's and the queues'
// state.
func TestMetrics(t *testing.T) {
	run(t, func(t *testing.T, e *env) {
		named := `query Dashboard { clients { edges { node { name projects { edges { node { name } } } } } } }`
		for range 2 {
			e.send(t, e.graphql(t, "owner", named))
		}
		e.send(t, e.graphql(t, "aActive", `{ viewer { audience } }`))
		// An INTERNAL error, counted by its code under its operation.
		if _, err := e.store.DB().Exec("DROP TABLE notes"); err != nil {
			t.Fatal(err)
		}
		if a := do(t, e.srv.Client(), e.graphql(t, "owner", `query Notes { clients { edges { node { notes { totalCount } } } } }`)); !strings.Contains(string(a.body), "INTERNAL") {
			t.Fatalf("want an INTERNAL error: %s", a.body)
		}
		// Refused before any operation was validated.
		do(t, e.srv.Client(), e.graphql(t, "owner", `{ nope`))
		if _, err := e.store.RequestExport(t.Context(), sqltest.Staff(e.f.Owner), portal.RequestExportInput{
			ClientID: &e.f.A.ID, Kind: portal.ExportKindApprovals, From: date(t, "2026-01-01"), To: date(t, "2026-01-31"),
		}); err != nil {
			t.Fatal(err)
		}

		m := e.scrape(t)
		const (
			present  = -2 // any value, zero included
			positive = -3 // above zero
		)
		for _, c := range []struct {
			name   string
			labels map[string]string
			want   float64
		}{
			{"portalgraph_http_requests_total", map[string]string{"route": "/graphql", "code": "200", "audience": "staff", "operation": "Dashboard"}, 2},
			{"portalgraph_http_requests_total", map[string]string{"route": "/graphql", "code": "200", "audience": "portal", "operation": "anonymous"}, 1},
			{"portalgraph_http_requests_total", map[string]string{"route": "/graphql", "code": "422", "audience": "staff", "operation": "none"}, 1},
			{"portalgraph_http_request_duration_seconds", map[string]string{"route": "/graphql", "audience": "staff", "operation": "Dashboard"}, 2},
			{"portalgraph_graphql_errors_total", map[string]string{"audience": "staff", "operation": "Notes", "code": "INTERNAL"}, positive},
			{"portalgraph_graphql_errors_total", map[string]string{"audience": "staff", "operation": "none", "code": "GRAPHQL_PARSE_FAILED"}, 1},
			{"portalgraph_http_requests_in_flight", nil, 1}, // the scrape itself
			{"portalgraph_sql_statement_duration_seconds", map[string]string{"kind": "query"}, positive},
			{"portalgraph_sql_statement_duration_seconds", map[string]string{"kind": "commit"}, positive},
			// The dropped table fails the read as it is prepared.
			{"portalgraph_sql_statement_errors_total", map[string]string{"kind": "prepare"}, positive},
			{"portalgraph_graphql_batch_size", map[string]string{"executor": "planner", "field": "Client.projects"}, 2},
			// One batch, or more should the batch wait run out under load.
			{"portalgraph_graphql_batch_size", map[string]string{"executor": "loader", "field": "Client.notes"}, positive},
			{"portalgraph_graphql_loader_batches_total", nil, positive},
			{"portalgraph_graphql_loader_batches_early_total", nil, present},
			{"portalgraph_export_jobs", map[string]string{"status": "queued"}, 1},
			{"portalgraph_export_jobs", map[string]string{"status": "running"}, 0},
			{"portalgraph_mail_outbox_messages", map[string]string{"state": "pending"}, present},
			{"portalgraph_mail_outbox_messages", map[string]string{"state": "failed"}, 0},
			{"go_sql_open_connections", map[string]string{"db_name": e.store.Dialect()}, positive},
			{"go_goroutines", nil, positive},
		} {
			got := value(m, c.name, c.labels)
			ok := got == c.want || (c.want == present && got >= 0) || (c.want == positive && got > 0)
			if !ok {
				t.Errorf("%s%v = %v, want %v", c.name, c.labels, got, c.want)
			}
		}
	})
}

func date(t *testing.T, s string) portal.Date {
	t.Helper()
	d, err := portal.ParseDate(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}
