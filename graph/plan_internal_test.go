package graph

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2/ast"

	"portalgraph/graph/audience"
	"portalgraph/graph/generated"
	"portalgraph/internal/portal"
)

// TestEveryFieldIsDefinedOnce holds readFields to the generated code: every
// field with a resolver but the mutations has exactly one definition, and
// no definition is dead. A field added with a resolver and no definition,
// or a bound field that gains a resolver, fails here.
func TestEveryFieldIsDefinedOnce(t *testing.T) {
	defined := (&Resolver{store: struct{ Store }{}}).readFields() // they only name its methods
	resolved := generated.ResolverFields()
	bound := generated.BoundFields()
	for _, name := range resolved {
		if _, ok := defined[name]; !ok {
			t.Errorf("%s has a resolver but no definition in readFields", name)
		}
		if _, ok := bound[name]; ok {
			t.Errorf("%s is both bound and resolved", name)
		}
	}
	for name := range defined {
		if !slices.Contains(resolved, name) {
			t.Errorf("readFields defines %s, which has no resolver", name)
		}
	}
}

// TestThePlannerCoversEveryRead walks every object type of every served
// schema: each field must be one the planner resolves. A field or type
// added without the planner knowing fails here instead of silently running
// on gqlgen's path.
func TestThePlannerCoversEveryRead(t *testing.T) {
	schemas, err := ServedSchemas(portal.AllFeatures())
	if err != nil {
		t.Fatal(err)
	}
	r := &Resolver{store: struct{ Store }{}} // the definitions only name its methods
	pl := &planner{source: sourceSchema(), bound: generated.BoundFields(), fields: r.readFields(), leaves: generated.ResolvedLeaves()}
	for a, s := range schemas {
		for _, typ := range s.Types {
			if typ.Kind != ast.Object || typ.BuiltIn || typ == s.Mutation || typ == s.Subscription {
				continue
			}
			for _, f := range typ.Fields {
				if f.Name == "__typename" || f.Name == "__schema" || f.Name == "__type" {
					continue
				}
				if _, ok := pl.plan(typ.Name+"."+f.Name, f); !ok {
					t.Errorf("%s.%s (served to %s) is not covered by the planner", typ.Name, f.Name, a)
				}
			}
		}
	}
}

// TestDefinitionsNameTheFieldsTheyRead checks what the planner narrows
// reads by: a definition of a field of a record type names the Go fields
// of its object it reads (its key, found by keyedBy), each one the type
// has, and never the whole object, which would read every column.
func TestDefinitionsNameTheFieldsTheyRead(t *testing.T) {
	r := &Resolver{store: struct{ Store }{}} // the definitions only name its methods
	goTypes := generated.ObjectGoTypes()
	for name, f := range r.readFields() {
		typ, ok := goTypes[strings.Split(name, ".")[0]]
		if !ok || !isStored(typ) {
			continue // a root's, or a value's the store does not read by columns
		}
		for _, field := range f.reads {
			if _, ok := typ.FieldByName(field); !ok || field == wholeObject {
				t.Errorf("%s reads %q, not a field of %s", name, field, typ)
			}
		}
	}
}

// isStored reports whether typ is a record the store keeps in a table of
// its own: one with db columns.
func isStored(typ reflect.Type) bool {
	for i := range typ.NumField() {
		if typ.Field(i).Tag.Get("db") != "" {
			return true
		}
	}
	return false
}

// TestEveryRecordPortalAndPartnersReceiveIsAudited walks the portal's and
// partners' schemas: every record type in them (an object that is a Node)
// must be one eachRecord reports, once per record, so that a record type
// added to what they can read is in the audit of reads, or this fails.
// The audit is of a client's data; these are not.
func TestEveryRecordPortalAndPartnersReceiveIsAudited(t *testing.T) {
	notClientData := map[string]string{
		"Workspace":     "the agency itself",
		"User":          "the agency's staff, named as a project's owner or a decision's recorder",
		"ActivityEvent": "an entry in the feed about a record, not the record",
	}
	goTypes := generated.ObjectGoTypes()
	for _, a := range []portal.Audience{portal.AudiencePortal, portal.AudiencePartner} {
		s, err := audience.Derive(sourceSchema().Query.Position.Src, a)
		if err != nil {
			t.Fatal(err)
		}
		for _, def := range s.Types {
			if def.Kind != ast.Object || !slices.Contains(def.Interfaces, "Node") || notClientData[def.Name] != "" {
				continue
			}
			goType, ok := goTypes[def.Name]
			if !ok {
				t.Errorf("%s: no Go type", def.Name)
				continue
			}
			n := 0
			eachRecord(reflect.New(goType).Interface(), func(portal.RecordType, string, string) { n++ })
			if n != 1 {
				t.Errorf("%s, in the %s schema: eachRecord reports it %d times, want once", def.Name, a, n)
			}
		}
	}
}
