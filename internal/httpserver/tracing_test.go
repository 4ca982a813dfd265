package httpserver_test

import (
	"strings"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// attr is a span's attribute as a string; "" when absent.
func attr(s sdktrace.ReadOnlySpan, key string) string {
	for _, kv := range s.Attributes() {
		if kv.Key == attribute.Key(key) {
			return kv.Value.Emit()
		}
	}
	return ""
}

// TestTraces: a request is a server span, joined to its caller's trace;
// under it, each batch the loaders or the planner send is a span, and
// every statement a span under the batch or the request that sent it.
func TestTraces(t *testing.T) {
	run(t, func(t *testing.T, e *env) {
		const traceID = "4bf92f3577b34da6a3ce929d0e0e4736"
		for _, c := range []struct{ who, query string }{
			// Covered by the planner.
			{"owner", `query Planned { clients { edges { node { name projects { edges { node { name } } } } } } }`},
			// A mutation is gqlgen's to resolve, its payload's relations
			// with loaders.
			{"owner", `mutation Loaded { addNote(input: {subjectId: "` + e.f.A.ID + `", body: "Traced"}) { note { client { name } author { name } } } }`},
		} {
			req := e.graphql(t, c.who, c.query)
			req.Header.Set("traceparent", "00-"+traceID+"-00f067aa0ba902b7-01")
			e.send(t, req)
		}
		spans := e.spans.Ended()
		byID := map[trace.SpanID]sdktrace.ReadOnlySpan{}
		for _, s := range spans {
			byID[s.SpanContext().SpanID()] = s
		}
		var requests, batches, statements []sdktrace.ReadOnlySpan
		for _, s := range spans {
			switch {
			case s.SpanKind() == trace.SpanKindServer:
				requests = append(requests, s)
			case strings.HasPrefix(s.Name(), "batch "):
				batches = append(batches, s)
			case attr(s, "db.system.name") != "":
				statements = append(statements, s)
			}
		}
		if len(requests) != 2 {
			t.Fatalf("%d request spans, want 2", len(requests))
		}
		for _, r := range requests {
			if r.Name() != "POST /graphql" || r.SpanContext().TraceID().String() != traceID || r.Parent().SpanID().String() != "00f067aa0ba902b7" {
				t.Errorf("request span %q in trace %s under %s: want it in the caller's trace", r.Name(), r.SpanContext().TraceID(), r.Parent().SpanID())
			}
			if attr(r, "http.response.status_code") != "200" || attr(r, "portalgraph.audience") != "staff" || attr(r, "portalgraph.cost") == "" {
				t.Errorf("request span attributes %v", r.Attributes())
			}
		}
		executors := map[string]bool{}
		for _, b := range batches {
			executors[attr(b, "portalgraph.batch.executor")] = true
			if p, ok := byID[b.Parent().SpanID()]; !ok || p.SpanKind() != trace.SpanKindServer {
				t.Errorf("batch span %q is not under a request's span", b.Name())
			}
			if attr(b, "portalgraph.batch.size") == "" {
				t.Errorf("batch span %q has no size", b.Name())
			}
		}
		if !executors["loader"] || !executors["planner"] {
			t.Errorf("batch spans of executors %v, want the loaders' and the planner's", executors)
		}
		underBatch := 0
		for _, s := range statements {
			p, ok := byID[s.Parent().SpanID()]
			if !ok || s.SpanContext().TraceID().String() != traceID || s.SpanKind() != trace.SpanKindClient {
				t.Errorf("statement span %q is not in a request's trace", s.Name())
				continue
			}
			if strings.HasPrefix(p.Name(), "batch ") {
				underBatch++
			}
			if attr(s, "db.query.text") == "" && s.Name() != "BEGIN" && s.Name() != "COMMIT" && s.Name() != "ROLLBACK" {
				t.Errorf("statement span %q has no text", s.Name())
			}
		}
		if underBatch == 0 {
			t.Errorf("no statement span under a batch span among %d", len(statements))
		}
		if want := map[string]string{"sqlite": "sqlite", "postgres": "postgresql"}[e.store.Dialect()]; len(statements) > 0 && attr(statements[0], "db.system.name") != want {
			t.Errorf("db.system.name %q, want %q", attr(statements[0], "db.system.name"), want)
		}

		// The background's statements, under no span, make none.
		before := len(e.spans.Ended())
		if _, err := e.store.QueueDepths(t.Context()); err != nil {
			t.Fatal(err)
		}
		if after := len(e.spans.Ended()); after != before {
			t.Errorf("statements outside any request made %d spans", after-before)
		}
	})
}
