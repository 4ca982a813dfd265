package graph

import (
	"strconv"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2/ast"

	"portalgraph/graph/audience"
	"portalgraph/internal/portal"
)

// pagedSelection selects n items of a paged field: of its edges, each
// with its node, or of itself when it is a list.
func pagedSelection(t *testing.T, s *ast.Schema, def *ast.FieldDefinition, n int) *ast.Field {
	t.Helper()
	f := &ast.Field{Name: def.Name, Alias: def.Name, Definition: def,
		Arguments: ast.ArgumentList{{Name: pageArgument, Value: &ast.Value{Kind: ast.IntValue, Raw: strconv.Itoa(n)}}}}
	if def.Type.Elem != nil {
		return f
	}
	edges := s.Types[def.Type.Name()].Fields.ForName(pagedList)
	if edges == nil || edges.Type.Elem == nil {
		t.Fatalf("%s is paged but its type %s has no list of %s", def.Name, def.Type.Name(), pagedList)
	}
	node := s.Types[edges.Type.Name()].Fields.ForName("node")
	if node == nil {
		t.Fatalf("%s's edges have no node", def.Name)
	}
	f.SelectionSet = ast.SelectionSet{&ast.Field{Name: edges.Name, Alias: edges.Name, Definition: edges,
		SelectionSet: ast.SelectionSet{&ast.Field{Name: node.Name, Alias: node.Name, Definition: node}}}}
	return f
}

// Every paged field of every audience's schema is priced by its page: a
// page of n items costs n times one item more than a page of none. Every
// other list of objects declares its size. A connection added to the
// schema is priced so without anyone listing it, and one that cannot be
// fails here.
func TestEveryListIsPriced(t *testing.T) {
	for _, a := range servedAudiences {
		s, err := audience.Derive(sourceSchema().Query.Position.Src, a)
		if err != nil {
			t.Fatal(err)
		}
		paged := 0
		for _, typ := range s.Types {
			if strings.HasPrefix(typ.Name, "__") || (typ.Kind != ast.Object && typ.Kind != ast.Interface) {
				continue
			}
			for _, def := range typ.Fields {
				where := string(a) + " " + typ.Name + "." + def.Name
				if first := def.Arguments.ForName(pageArgument); first != nil {
					paged++
					if first.DefaultValue == nil {
						t.Errorf("%s: %s has no default, so a request leaving it out could not be priced", where, pageArgument)
					}
					price := func(n int) int {
						c := costing{schema: s, vars: map[string]any{}, memo: map[fragmentPage]int{}}
						return c.set(ast.SelectionSet{pagedSelection(t, s, def, n)}, noPage, false)
					}
					one := price(1) - price(0)
					if one <= 0 || price(7)-price(0) != 7*one || price(100)-price(0) != 100*one {
						t.Errorf("%s: pages of 0, 1, 7 and 100 cost %d, %d, %d and %d", where, price(0), price(1), price(7), price(100))
					}
					continue
				}
				if def.Type.Elem != nil && !isLeaf(s, def) && !(def.Name == pagedList && strings.HasSuffix(typ.Name, "Connection")) &&
					def.Directives.ForName("listSize") == nil {
					t.Errorf("%s: a list of objects without a page needs @listSize(assumedSize:) in the schema", where)
				}
			}
		}
		if paged == 0 && a != portal.AudienceAnonymous {
			t.Errorf("%s: no paged field found", a)
		}
	}
}

// The weights: objects 1, leaves 0, mutations 10, and what the schema
// declares with @cost.
func TestFieldWeights(t *testing.T) {
	s, err := audience.Derive(sourceSchema().Query.Position.Src, portal.AudienceStaff)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		typ, field string
		mutation   bool
		want       int
	}{
		{"Client", "owner", false, objectWeight},
		{"Client", "name", false, 0},
		{"Client", "status", false, 0},
		{"Client", "portalOverview", false, 20},
		{"Mutation", "createClient", true, mutationWeight},
		{"Mutation", "uploadFile", true, 100},
	} {
		def := s.Types[c.typ].Fields.ForName(c.field)
		if got := fieldWeight(s, def, c.mutation); got != c.want {
			t.Errorf("%s.%s weighs %d, want %d", c.typ, c.field, got, c.want)
		}
	}
}
