package httpserver

import (
	"fmt"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"portalgraph/internal/httpserver/reqinfo"
)

// Operation names label metrics while they are few: the first 200, then
// other; a name already labelled keeps its label.
func TestOperationNamesAreBounded(t *testing.T) {
	m, err := newMetrics(prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		op   *reqinfo.Operation
		want string
	}{
		{nil, "none"},
		{&reqinfo.Operation{}, "anonymous"},
		{&reqinfo.Operation{Name: "Dashboard"}, "Dashboard"},
		{&reqinfo.Operation{Name: strings.Repeat("x", 101)}, "other"},
	} {
		if got := m.operationLabel(c.op); got != c.want {
			t.Errorf("label of %+v = %q, want %q", c.op, got, c.want)
		}
	}
	for i := range 250 {
		got := m.operationLabel(&reqinfo.Operation{Name: fmt.Sprintf("Op%d", i)})
		if want := map[bool]string{true: fmt.Sprintf("Op%d", i), false: "other"}[i < 199]; got != want {
			t.Fatalf("operation %d labelled %q, want %q", i, got, want)
		}
	}
	if got := m.operationLabel(&reqinfo.Operation{Name: "Dashboard"}); got != "Dashboard" {
		t.Errorf("a name seen before the names ran out lost its label: %q", got)
	}
}

func TestLabelsAreBounded(t *testing.T) {
	for in, want := range map[string]string{"STAFF": "staff", "PORTAL": "portal", "": "none", "ROOT": "other"} {
		if got := audienceLabel(in); got != want {
			t.Errorf("audience %q labelled %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{"INTERNAL": "INTERNAL", "GRAPHQL_PARSE_FAILED": "GRAPHQL_PARSE_FAILED", "a b": "other", "": "other"} {
		if got := codeLabel(in); got != want {
			t.Errorf("code %q labelled %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{"/graphql": "/graphql", "/files/fil_1": "/files/{id}", "/files/": "other", "/wp-admin": "other", "/metrics": "/metrics"} {
		if got := route(in); got != want {
			t.Errorf("route of %q = %q, want %q", in, got, want)
		}
	}
}
