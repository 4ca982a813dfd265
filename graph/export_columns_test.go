package graph_test

import (
	"maps"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"

	"portalgraph/graph"
	"portalgraph/graph/audience"
	"portalgraph/internal/portal"
	"portalgraph/internal/sqlstore"
)

// An export's columns are held to the schema: each names the fields it
// shows, a requester's CSV has the columns their audience's schema has,
// and every leaf field of an exported type is a column or left out on
// purpose. These need no database; the CSVs themselves are checked in
// exports_test.go.

// schemaSource is schema.graphqls, the one source of every schema.
func schemaSource(t *testing.T) *ast.Source {
	t.Helper()
	b, err := os.ReadFile("../schema.graphqls")
	if err != nil {
		t.Fatal(err)
	}
	return &ast.Source{Name: "schema.graphqls", Input: string(b)}
}

// fullSchema is the schema with every field and directive, as written.
func fullSchema(t *testing.T, src *ast.Source) *ast.Schema {
	t.Helper()
	s, err := gqlparser.LoadSchema(src)
	if err != nil {
		t.Fatalf("load %s: %v", src.Name, err)
	}
	return s
}

// follow walks a path such as "Deliverable.project.name" through a
// schema and returns the fields it passes, or nil where it breaks off. It
// is the tests' own walk, apart from audience.HasPath.
func follow(s *ast.Schema, path string) []*ast.FieldDefinition {
	names := strings.Split(path, ".")
	t := s.Types[names[0]]
	var out []*ast.FieldDefinition
	for _, name := range names[1:] {
		if t == nil {
			return nil
		}
		f := t.Fields.ForName(name)
		if f == nil {
			return nil
		}
		out = append(out, f)
		t = s.Types[f.Type.Name()]
	}
	if len(out) == 0 || t == nil {
		return nil
	}
	return out
}

// leaf reports whether a field holds a value (a scalar or an enum, or a
// list of them) rather than records.
func leaf(s *ast.Schema, f *ast.FieldDefinition) bool {
	t := s.Types[f.Type.Name()]
	return t != nil && (t.Kind == ast.Scalar || t.Kind == ast.Enum)
}

// derivedDirectives are the directives deriving the audiences' schemas
// applies (a field an audience may not see is not in its schema) or that
// only steer code generation or the cost model. Any other directive on a field is checked
// per request, which an export does not do, so no column may show such a
// field.
var derivedDirectives = []string{"internal", "audience", "module", "goField", "goTag", "deprecated", "cost", "listSize"}

// exportRequesters are the audiences that may ask for some kind of export,
// with the kinds each may ask for, as the domain's rule has it.
func exportRequesters() map[portal.Audience][]portal.ExportKind {
	from, _ := portal.ParseDate("2026-01-01")
	out := map[portal.Audience][]portal.ExportKind{}
	for _, aud := range portal.AllAudience {
		p := portal.Principal{Audience: aud, WorkspaceID: "w", UserID: "u", BuiltIn: portal.BuiltInRoleOwner, ContactID: "c", ClientID: "k"}
		for _, kind := range portal.AllExportKind {
			client := "k"
			if portal.MayRequestExport(p, portal.RequestExportInput{ClientID: &client, Kind: kind, From: from, To: from}) == nil {
				out[aud] = append(out[aud], kind)
			}
		}
	}
	return out
}

func TestExportColumnsFollowTheSchema(t *testing.T) {
	src := schemaSource(t)
	full := fullSchema(t, src)
	served, err := graph.ServedSchemas(portal.AllFeatures()) // what the server hands its export workers
	if err != nil {
		t.Fatal(err)
	}
	requesters := exportRequesters()
	if got := slices.Sorted(maps.Keys(requesters)); !slices.Equal(got, []portal.Audience{portal.AudiencePortal, portal.AudienceStaff}) {
		t.Errorf("audiences that may ask for exports: %v; check what this test holds them to", got)
	}
	for _, kind := range portal.AllExportKind {
		layout, ok := sqlstore.ExportLayoutOf(kind)
		if !ok {
			t.Errorf("%s: the store has no such kind of export", kind)
			continue
		}
		// Every field a column shows is a value of the schema, reached
		// from the kind's type, and checked by no directive at run time.
		for _, c := range layout.Columns {
			for _, path := range c.Fields {
				fields := follow(full, path)
				switch {
				case !strings.HasPrefix(path, layout.Type+"."):
					t.Errorf("%s column %s shows %s, not a field of %s", kind, c.Header, path, layout.Type)
				case fields == nil:
					t.Errorf("%s column %s shows %s, which schema.graphqls does not have", kind, c.Header, path)
				case !leaf(full, fields[len(fields)-1]):
					t.Errorf("%s column %s shows %s, which holds records, not a value", kind, c.Header, path)
				}
				for _, f := range fields {
					for _, d := range f.Directives {
						if !slices.Contains(derivedDirectives, d.Name) {
							t.Errorf("%s column %s shows %s through %s, which @%s checks per request: exports do not", kind, c.Header, path, f.Name, d.Name)
						}
					}
				}
			}
		}
		// Each audience that may ask for exports gets exactly the columns
		// whose fields its schema has, in the layout's order.
		for aud, kinds := range requesters {
			schema, err := audience.Derive(src, aud)
			if err != nil {
				t.Fatal(err)
			}
			var want []string
			for _, c := range layout.Columns {
				if !slices.ContainsFunc(c.Fields, func(p string) bool { return follow(schema, p) == nil }) {
					want = append(want, c.Header)
				}
			}
			got := sqlstore.ExportHeader(kind, aud, served.Has)
			if !slices.Equal(got, want) {
				t.Errorf("%s export for %s: columns %v, want those its schema has: %v", kind, aud, got, want)
			}
			if slices.Contains(kinds, kind) && len(got) == 0 {
				t.Errorf("%s may ask for %s exports, and would get no column", aud, kind)
			}
		}
	}
}

// forgottenFields lists what is wrong with a layout's account of its
// type's leaf fields: a leaf field that is neither a column nor omitted,
// and an omitted field that is no leaf field of the type, is a column, or
// has no reason.
func forgottenFields(full *ast.Schema, layout sqlstore.ExportLayout) []string {
	exported := map[string]bool{}
	for _, c := range layout.Columns {
		for _, path := range c.Fields {
			names := strings.SplitN(path, ".", 3)
			if len(names) > 1 {
				exported[names[0]+"."+names[1]] = true
			}
		}
	}
	var out []string
	typ := full.Types[layout.Type]
	if typ == nil {
		return []string{layout.Type + " is not a type of the schema"}
	}
	leaves := map[string]bool{}
	for _, f := range typ.Fields {
		name := layout.Type + "." + f.Name
		if strings.HasPrefix(f.Name, "__") || !leaf(full, f) {
			continue
		}
		leaves[name] = true
		if !exported[name] && layout.Omitted[name] == "" {
			out = append(out, name+" is neither a column nor among the omitted fields")
		}
	}
	for name, why := range layout.Omitted {
		switch {
		case !leaves[name]:
			out = append(out, name+" is omitted but is no leaf field of "+layout.Type)
		case exported[name]:
			out = append(out, name+" is omitted and a column too")
		case strings.TrimSpace(why) == "":
			out = append(out, name+" is omitted without a reason")
		}
	}
	slices.Sort(out)
	return out
}

// TestExportedTypesForgetNoField: a leaf field added to a type that is
// exported must become a column, or be named among the kind's omitted
// fields with why (internal/sqlstore/exports.go).
func TestExportedTypesForgetNoField(t *testing.T) {
	src := schemaSource(t)
	full := fullSchema(t, src)
	for _, kind := range portal.AllExportKind {
		layout, ok := sqlstore.ExportLayoutOf(kind)
		if !ok {
			t.Errorf("%s: the store has no such kind of export", kind)
			continue
		}
		problems := forgottenFields(full, layout)
		for _, problem := range problems {
			t.Errorf("%s export: %s; add a column for it, or name it among the omitted fields with why", kind, problem)
		}

		// The check itself: a new field of the type, internal or not, is
		// reported until it is exported or omitted.
		grown := fullSchema(t, &ast.Source{Name: "grown.graphqls", Input: src.Input +
			"\nextend type " + layout.Type + " {\n  newValue: String\n  newSecret: Int @internal\n}\n"})
		got := forgottenFields(grown, layout)
		want := slices.Sorted(slices.Values(append(problems,
			layout.Type+".newSecret is neither a column nor among the omitted fields",
			layout.Type+".newValue is neither a column nor among the omitted fields")))
		if !slices.Equal(got, want) {
			t.Errorf("%s export with two new fields: %v, want %v", kind, got, want)
		}
	}
}
