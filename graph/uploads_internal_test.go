package graph

import (
	"testing"

	"github.com/99designs/gqlgen/graphql"
)

// setUpload puts files only where a map's path leads to a null
// placeholder, and refuses any other path without panicking.
func TestSetUpload(t *testing.T) {
	vars := func() map[string]any {
		return map[string]any{"in": map[string]any{"file": nil, "name": "x"}, "files": []any{nil, nil}, "n": 3}
	}
	u := graphql.Upload{Filename: "a.pdf"}
	for _, path := range []string{"variables.in.file", "variables.files.1"} {
		v := vars()
		if err := setUpload(v, path, u); err != nil {
			t.Errorf("%s: %v", path, err)
		}
	}
	for _, path := range []string{"", "variables", "in.file", "variables.in.name", "variables.in.missing", "variables.files.2",
		"variables.files.-1", "variables.files.x", "variables.n.file", "variables.in.file.deeper", "variables.files"} {
		if err := setUpload(vars(), path, u); err == nil {
			t.Errorf("%q was accepted", path)
		}
	}
}
