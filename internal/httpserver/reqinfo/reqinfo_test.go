package reqinfo_test

import (
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"

	"portalgraph/internal/httpserver/reqinfo"
)

var generated = regexp.MustCompile(`^[0-9a-f]{24}$`)

func TestStart(t *testing.T) {
	w := httptest.NewRecorder()
	r, info := reqinfo.Start(w, httptest.NewRequest("GET", "/graphql", nil))
	if !generated.MatchString(info.ID) || w.Header().Get("X-Request-Id") != info.ID || reqinfo.ID(r.Context()) != info.ID {
		t.Fatalf("a new record: id %q, header %q", info.ID, w.Header().Get("X-Request-Id"))
	}
	// Behind the edge, a handler starting again gets the edge's record.
	again, same := reqinfo.Start(httptest.NewRecorder(), r)
	if same != info || again != r {
		t.Error("starting twice made a second record")
	}

	for id, keep := range map[string]bool{"edge-7f3a.42": true, "two words": false, strings.Repeat("x", 65): false, "ünïcode": false, "": false} {
		req := httptest.NewRequest("GET", "/graphql", nil)
		req.Header.Set("X-Request-Id", id)
		_, info := reqinfo.Start(httptest.NewRecorder(), req)
		if got := info.ID == id; got != keep || (!keep && !generated.MatchString(info.ID)) {
			t.Errorf("caller's id %q became %q", id, info.ID)
		}
	}
	if reqinfo.ID(t.Context()) != "" || reqinfo.From(t.Context()) != nil {
		t.Error("a context without a record has one")
	}
}

func TestReport(t *testing.T) {
	var none *reqinfo.Info
	none.SetAudience("STAFF") // a handler without a record reports nowhere
	none.AddError("INTERNAL")
	if rep := none.Report(); rep.Audience != "" || rep.Errors != nil {
		t.Errorf("a nil record reported %+v", rep)
	}

	info := &reqinfo.Info{ID: "x"}
	info.SetAudience("PORTAL")
	info.SetOperation(reqinfo.Operation{Type: "query", Name: "Dashboard", Cost: 42})
	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() { info.AddError("NOT_FOUND") })
	}
	wg.Wait()
	rep := info.Report()
	if rep.Audience != "PORTAL" || *rep.Operation != (reqinfo.Operation{Type: "query", Name: "Dashboard", Cost: 42}) || rep.Errors["NOT_FOUND"] != 10 {
		t.Errorf("report %+v", rep)
	}
	rep.Errors["NOT_FOUND"] = 0
	rep.Operation.Cost = 0
	if again := info.Report(); again.Errors["NOT_FOUND"] != 10 || again.Operation.Cost != 42 {
		t.Error("a report shares its maps with the record")
	}
}
