package graph

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"

	"portalgraph/internal/portal"
)

// The cost model. A request's cost is computed from its validated
// operation and the schema of the audience asking, never from a table of
// field names: a field costs its own weight plus, for each item it
// returns, what its selection costs.
//
//   - A field's weight is its @cost(weight:) in the schema; without one, a
//     field of an object, interface or union type costs objectWeight, a
//     scalar or enum 0, and a mutation mutationWeight.
//   - A field with a `first` argument is paged: its page size is `first`
//     as asked (or the argument's default), and the `edges` of the
//     connection it returns count as that many items.
//   - Any other list counts as its @listSize(assumedSize:); a list of
//     objects without one counts as unsizedList, and a test keeps the
//     schema from having any.
//   - Introspection costs introspectionWeight, whatever it selects: it is
//     answered from memory, and the field and depth limits bound it.
//   - Fields under @skip(if: true) or @include(if: false) cost nothing.
const (
	objectWeight        = 1
	mutationWeight      = 10
	introspectionWeight = 10
	unsizedList         = 100
	pagedList           = "edges"
	pageArgument        = "first"
)

// costOf prices the operation of a document validated against schema,
// with its variables, and reports whether the price depends on them: it
// does only when a page size, @skip or @include is given by a variable.
func costOf(schema *ast.Schema, doc *ast.QueryDocument, op *ast.OperationDefinition, vars map[string]any) (cost int, varies bool) {
	c := costing{schema: schema, fragments: doc.Fragments, vars: vars, memo: map[fragmentPage]int{}, mutation: op.Operation == ast.Mutation}
	cost = c.set(op.SelectionSet, noPage, true)
	return cost, c.varies
}

// noPage marks a selection that is not a paged field's.
const noPage = -1

type fragmentPage struct {
	name string
	page int
}

type costing struct {
	schema    *ast.Schema
	fragments ast.FragmentDefinitionList
	vars      map[string]any
	memo      map[fragmentPage]int // a fragment costs the same at every spread under the same page
	mutation  bool
	varies    bool // a variable was read
}

// set prices a selection set; page is the page size of the paged field
// it belongs to, for its edges; root marks the operation's own selection.
func (c *costing) set(set ast.SelectionSet, page int, root bool) int {
	n := 0
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			if !c.skipped(s.Directives) {
				n = addCapped(n, c.field(s, page, root))
			}
		case *ast.InlineFragment:
			if !c.skipped(s.Directives) {
				n = addCapped(n, c.set(s.SelectionSet, page, root))
			}
		case *ast.FragmentSpread:
			if c.skipped(s.Directives) {
				continue
			}
			key := fragmentPage{s.Name, page}
			cost, ok := c.memo[key]
			if !ok {
				if f := c.fragments.ForName(s.Name); f != nil {
					cost = c.set(f.SelectionSet, page, root)
				}
				c.memo[key] = cost
			}
			n = addCapped(n, cost)
		}
	}
	return n
}

func (c *costing) field(f *ast.Field, page int, root bool) int {
	def := f.Definition
	if def == nil || def.Name == "__typename" {
		return 0
	}
	if strings.HasPrefix(def.Name, "__") {
		return introspectionWeight
	}
	weight := fieldWeight(c.schema, def, root && c.mutation)
	childPage := noPage
	if def.Arguments.ForName(pageArgument) != nil {
		childPage = c.pageSize(f)
	}
	items := 1
	if def.Type.Elem != nil {
		switch {
		case f.Name == pagedList && page != noPage:
			items = page
		case childPage != noPage:
			items = childPage
		default:
			items = assumedSize(c.schema, def)
		}
	}
	return addCapped(weight, mulCapped(items, c.set(f.SelectionSet, childPage, false)))
}

// fieldWeight is what a field costs on its own.
func fieldWeight(schema *ast.Schema, def *ast.FieldDefinition, mutation bool) int {
	if d := def.Directives.ForName("cost"); d != nil {
		if w, ok := intArgument(d, "weight"); ok {
			return w
		}
	}
	switch {
	case mutation:
		return mutationWeight
	case isLeaf(schema, def):
		return 0
	}
	return objectWeight
}

// assumedSize is how many items a list field without a page counts as.
func assumedSize(schema *ast.Schema, def *ast.FieldDefinition) int {
	if d := def.Directives.ForName("listSize"); d != nil {
		if n, ok := intArgument(d, "assumedSize"); ok {
			return n
		}
	}
	if isLeaf(schema, def) {
		return 1 // its items cost nothing however many there are
	}
	return unsizedList
}

// isLeaf reports whether a field's type is a scalar or an enum.
func isLeaf(schema *ast.Schema, def *ast.FieldDefinition) bool {
	t := schema.Types[def.Type.Name()]
	return t != nil && (t.Kind == ast.Scalar || t.Kind == ast.Enum)
}

// pageSize is the page a paged field asks for: its `first` as given, or
// the argument's default when left out or null. A page outside 0 to
// portal.MaxPageSize is refused when the field runs, so it counts as the
// nearest it could be.
func (c *costing) pageSize(f *ast.Field) int {
	v := c.argument(f.Arguments, pageArgument)
	if v == nil {
		if d := f.Definition.Arguments.ForName(pageArgument).DefaultValue; d != nil {
			v, _ = d.Value(nil)
		}
	}
	n, _ := toInt(v)
	return min(max(n, 0), portal.MaxPageSize)
}

func intArgument(d *ast.Directive, name string) (int, bool) {
	a := d.Arguments.ForName(name)
	if a == nil || a.Value == nil {
		return 0, false
	}
	n, err := strconv.Atoi(a.Value.Raw)
	return n, err == nil
}

// toInt reads an Int argument's value as the parser or the JSON decoder
// left it, saturating what does not fit.
func toInt(v any) (int, bool) {
	switch v := v.(type) {
	case int:
		return v, true
	case int64:
		return int(min(max(v, math.MinInt32), math.MaxInt32)), true
	case float64:
		return int(min(max(v, math.MinInt32), math.MaxInt32)), true
	case json.Number:
		f, err := v.Float64()
		return int(min(max(f, math.MinInt32), math.MaxInt32)), err == nil
	}
	return 0, false
}

// skipped reports whether @skip or @include leaves a selection out.
func (c *costing) skipped(ds ast.DirectiveList) bool {
	if d := ds.ForName("skip"); d != nil {
		if v, _ := c.argument(d.Arguments, "if").(bool); v {
			return true
		}
	}
	if d := ds.ForName("include"); d != nil {
		if v, _ := c.argument(d.Arguments, "if").(bool); !v {
			return true
		}
	}
	return false
}

// argument is the value of the argument name as given, nil when it is
// left out or is a variable the request does not give; it notes the
// variables it reads.
func (c *costing) argument(args ast.ArgumentList, name string) any {
	a := args.ForName(name)
	if a == nil || a.Value == nil {
		return nil
	}
	if a.Value.Kind == ast.Variable {
		c.varies = true
	}
	v, _ := a.Value.Value(c.vars)
	return v
}

// maxCount caps counts and costs: fragments spreading a fragment twice,
// nested a few dozen times, or pages of two billion, would otherwise
// overflow an int.
const maxCount = 1 << 30

func addCapped(a, b int) int { return min(a+b, maxCount) }

func mulCapped(a, b int) int {
	if a == 0 || b == 0 {
		return 0
	}
	if a > maxCount/b {
		return maxCount
	}
	return min(a*b, maxCount)
}
