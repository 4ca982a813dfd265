package graph_test

import (
	"testing"

	"github.com/vektah/gqlparser/v2/ast"

	"portalgraph/graph/generated"
)

// TestValidationRulesRun checks that every argument whose input declares
// validation rules, directly or in a nested input, is marked @validated:
// rules on an input that is never checked would be a silent lie.
func TestValidationRulesRun(t *testing.T) {
	schema := generated.NewExecutableSchema(generated.Config{}).Schema()
	var hasRules func(def *ast.Definition, seen map[string]bool) bool
	hasRules = func(def *ast.Definition, seen map[string]bool) bool {
		if def == nil || def.Kind != ast.InputObject || seen[def.Name] {
			return false
		}
		seen[def.Name] = true
		for _, f := range def.Fields {
			if tag := f.Directives.ForName("goTag"); tag != nil && tag.Arguments.ForName("key").Value.Raw == "validate" {
				return true
			}
			if hasRules(schema.Types[f.Type.Name()], seen) {
				return true
			}
		}
		return false
	}
	checked := 0
	for _, typ := range schema.Types {
		for _, field := range typ.Fields {
			for _, arg := range field.Arguments {
				input := schema.Types[arg.Type.Name()]
				if !hasRules(input, map[string]bool{}) {
					continue
				}
				checked++
				if input.Directives.ForName("validated") == nil {
					t.Errorf("%s.%s(%s:) takes %s, which declares validation rules, but %s is not marked @validated",
						typ.Name, field.Name, arg.Name, input.Name, input.Name)
				}
			}
		}
	}
	if checked < 10 {
		t.Errorf("found %d arguments with validation rules; the schema has at least 10", checked)
	}
}
