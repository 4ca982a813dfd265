package graph

import (
	"testing"

	"github.com/vektah/gqlparser/v2/ast"
)

// TestPlanTypesMatchTheSchema keeps the planner's table honest: every field
// it covers exists, leaves are exactly the scalar and enum fields, and the
// objects its relations lead to are covered too, so no entry is dead.
func TestPlanTypesMatchTheSchema(t *testing.T) {
	source := sourceSchema()
	// The table only names the store's methods; none is called.
	covered := planTypes(struct{ Store }{})
	for typeName, fields := range covered {
		def := source.Types[typeName]
		if def == nil || def.Kind != ast.Object {
			t.Errorf("%s is not an object type of the schema", typeName)
			continue
		}
		for name, plan := range fields {
			f := def.Fields.ForName(name)
			if f == nil {
				t.Errorf("%s.%s is not in the schema", typeName, name)
				continue
			}
			set := 0
			for _, fn := range []bool{plan.leaf != nil, plan.held != nil, plan.batch != nil} {
				if fn {
					set++
				}
			}
			if set != 1 {
				t.Errorf("%s.%s: %d ways to resolve it, want 1", typeName, name, set)
			}
			target := source.Types[f.Type.Name()]
			isLeaf := target.Kind == ast.Scalar || target.Kind == ast.Enum
			if isLeaf != (plan.leaf != nil) {
				t.Errorf("%s.%s: a leaf plan for a %s, or the other way round", typeName, name, target.Kind)
			}
			if !isLeaf && covered[target.Name] == nil {
				t.Errorf("%s.%s leads to %s, which the planner does not cover", typeName, name, target.Name)
			}
		}
	}
}
