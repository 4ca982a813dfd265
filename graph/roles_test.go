package graph_test

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2/ast"

	"portalgraph/internal/portal"
)

// One permission model: README's table of roles and permissions, the
// server's matrix (portal.BuiltInPermissions, portal.ContactPermissions)
// and what the API answers each role are the same, and every mutation
// names its permission.

// matrixColumns are README's columns after the permission and its
// description, and who of the fixture answers for each.
var matrixColumns = []struct {
	column string
	who    string
	role   portal.BuiltInRole // "" for a portal contact
}{
	{"OWNER", "owner", portal.BuiltInRoleOwner},
	{"ADMIN", "admin", portal.BuiltInRoleAdmin},
	{"MANAGER", "manager", portal.BuiltInRoleManager},
	{"MEMBER", "member", portal.BuiltInRoleMember},
	{"VIEWER", "viewer", portal.BuiltInRoleViewer},
	{"CONTACT", "aActive", ""},
}

// unguardedMutations are the mutations without a permission, and why:
// signing in and accepting an invitation are made without credentials,
// before anyone holds anything; signing out ends one's own session, which
// no role may be kept from.
var unguardedMutations = []string{"logIn", "acceptInvite", "logOut"}

// readmeMatrix reads README's table under "## Roles and permissions":
// each permission's row, by column, true where the cell is ✓.
func readmeMatrix(t *testing.T) map[portal.Permission]map[string]bool {
	t.Helper()
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(b), "\n## Roles and permissions\n")
	if !ok {
		t.Fatal(`README.md has no section "## Roles and permissions"`)
	}
	if end := strings.Index(section, "\n## "); end >= 0 {
		section = section[:end]
	}
	var header []string
	out := map[portal.Permission]map[string]bool{}
	for _, line := range strings.Split(section, "\n") {
		if !strings.HasPrefix(line, "|") {
			continue
		}
		cells := strings.Split(strings.Trim(strings.TrimSpace(line), "|"), "|")
		for i := range cells {
			cells[i] = strings.TrimSpace(cells[i])
		}
		switch {
		case header == nil:
			header = cells
			var want []string
			for _, c := range matrixColumns {
				want = append(want, c.column)
			}
			if len(header) < 2 || !slices.Equal(header[2:], want) {
				t.Fatalf("README's table has the columns %v, want Permission, a description and %v", header, want)
			}
			continue
		case strings.HasPrefix(cells[0], "---"), strings.HasPrefix(cells[0], ":-"):
			continue
		}
		if len(cells) != len(header) {
			t.Fatalf("README's row %q has %d cells, want %d", line, len(cells), len(header))
		}
		perm := portal.Permission(strings.Trim(cells[0], "`"))
		if !perm.IsValid() {
			t.Errorf("README's table names %s, which is not a permission of the schema", perm)
			continue
		}
		if _, dup := out[perm]; dup {
			t.Errorf("README's table names %s twice", perm)
		}
		if cells[1] == "" {
			t.Errorf("README's table does not say what %s allows", perm)
		}
		row := map[string]bool{}
		for i, c := range header[2:] {
			switch cells[2+i] {
			case "✓":
				row[c] = true
			case "":
			default:
				t.Errorf("README's cell %s × %s is %q, want ✓ or nothing", perm, c, cells[2+i])
			}
		}
		out[perm] = row
	}
	for _, perm := range portal.AllPermission {
		if _, ok := out[perm]; !ok {
			t.Errorf("README's table lacks the permission %s", perm)
		}
	}
	return out
}

// sampleValue is a value of the type for a request's variables, filling
// required input fields only, and the paths of the uploads it holds (to
// be sent as multipart files).
func sampleValue(t *testing.T, s *ast.Schema, typ *ast.Type, path string, uploads *[]string) any {
	t.Helper()
	if typ.Elem != nil {
		return []any{sampleValue(t, s, typ.Elem, path+".0", uploads)}
	}
	def := s.Types[typ.NamedType]
	switch def.Kind {
	case ast.Enum:
		return def.EnumValues[0].Name
	case ast.InputObject:
		obj := map[string]any{}
		for _, f := range def.Fields {
			if f.Type.NonNull && f.DefaultValue == nil {
				obj[f.Name] = sampleValue(t, s, f.Type, path+"."+f.Name, uploads)
			}
		}
		return obj
	}
	switch typ.NamedType {
	case "ID", "String":
		return "x"
	case "Int":
		return 1
	case "Float":
		return 1.5
	case "Boolean":
		return false
	case "Time":
		return "2026-01-01T00:00:00Z"
	case "Date":
		return "2026-01-01"
	case "Upload":
		*uploads = append(*uploads, path)
		return nil
	}
	t.Fatalf("no sample value of the type %s (at %s): add one", typ.NamedType, path)
	return nil
}

// operation writes a request of one field of the root op with sample
// variables for its required arguments, selecting sel below it.
func operation(t *testing.T, s *ast.Schema, op string, f *ast.FieldDefinition, sel string) (string, vars, []string) {
	t.Helper()
	var defs, args []string
	variables := vars{}
	var uploads []string
	for _, a := range f.Arguments {
		if !a.Type.NonNull || a.DefaultValue != nil {
			continue
		}
		defs = append(defs, "$"+a.Name+": "+a.Type.String())
		args = append(args, a.Name+": $"+a.Name)
		variables[a.Name] = sampleValue(t, s, a.Type, "variables."+a.Name, &uploads)
	}
	q := op
	if len(defs) > 0 {
		q += "(" + strings.Join(defs, ", ") + ")"
	}
	q += " { " + f.Name
	if len(args) > 0 {
		q += "(" + strings.Join(args, ", ") + ")"
	}
	if sel != "" {
		q += " { " + sel + " }"
	}
	return q + " }", variables, uploads
}

// audiencesOf are the audiences a field is served to, as its directives
// say.
func audiencesOf(f *ast.FieldDefinition) []portal.Audience {
	if f.Directives.ForName("internal") != nil {
		return []portal.Audience{portal.AudienceStaff}
	}
	if d := f.Directives.ForName("audience"); d != nil {
		var out []portal.Audience
		for _, v := range d.Arguments.ForName("only").Value.Children {
			out = append(out, portal.Audience(v.Value.Raw))
		}
		return out
	}
	return portal.AllAudience
}

func permissionOf(f *ast.FieldDefinition) (portal.Permission, bool) {
	d := f.Directives.ForName("hasPermission")
	if d == nil {
		return "", false
	}
	return portal.Permission(d.Arguments.ForName("permission").Value.Raw), true
}

// refusedFor reports whether the response refuses the permission: a
// FORBIDDEN error saying it is required.
func refusedFor(r *response, perm portal.Permission) bool {
	want := fmt.Sprintf("the %s permission is required", perm)
	for _, e := range r.Errors {
		if e.Extensions.Code == "FORBIDDEN" && e.Message == want {
			return true
		}
	}
	return false
}

func TestRolesMatchTheREADME(t *testing.T) {
	t.Parallel()
	matrix := readmeMatrix(t)
	for perm, row := range matrix {
		for _, c := range matrixColumns {
			held := portal.ContactPermissions(false).Has(perm)
			if c.role != "" {
				held = portal.BuiltInPermissions(c.role).Has(perm)
			}
			if row[c.column] != held {
				t.Errorf("README says %s × %s is %v; the server's matrix says %v", c.column, perm, row[c.column], held)
			}
		}
	}
	if t.Failed() {
		t.FailNow()
	}
	schema := fullSchema(t, schemaSource(t))

	run(t, func(t *testing.T, e *env) {
		f := e.f
		// Records of each Node type a guarded field is reached by.
		nodeIDs := map[string]string{
			"Project": f.AShared.ID, "Client": f.A.ID, "Contact": f.AActive.ID, "Deliverable": f.DShared.ID,
			"Approval": f.ApprovalShared.ID, "Note": f.NoteA.ID, "User": f.Owner.ID, "Workspace": f.W1.ID,
		}
		send := func(t *testing.T, who, q string, v vars, uploads []string) *response {
			t.Helper()
			if len(uploads) == 0 {
				return e.as(t, who, q, v)
			}
			files := map[string]upload{}
			for _, path := range uploads {
				files[path] = upload{name: "a.png", content: pngBytes}
			}
			return e.send(t, e.multipartRequest(t, e.f.Tokens[who], q, v, files, true))
		}
		check := func(t *testing.T, what string, perm portal.Permission, served []portal.Audience, req func(who string) *response) {
			t.Helper()
			if _, ok := matrix[perm]; !ok {
				t.Errorf("%s requires %s, which README's table lacks", what, perm)
				return
			}
			for _, c := range matrixColumns {
				aud := portal.AudienceStaff
				if c.role == "" {
					aud = portal.AudiencePortal
				}
				if !slices.Contains(served, aud) {
					continue
				}
				r := req(c.who)
				switch held := matrix[perm][c.column]; {
				case !held && !refusedFor(r, perm):
					t.Errorf("%s as %s (%s lacks %s): want FORBIDDEN %q, got %s", what, c.who, c.column, perm,
						fmt.Sprintf("the %s permission is required", perm), r.Raw)
				case held && refusedFor(r, perm):
					t.Errorf("%s as %s (%s holds %s) was refused for lack of it: %s", what, c.who, c.column, perm, r.Raw)
				}
			}
		}

		// Every mutation names its permission, and answers each role as
		// the table says.
		for _, m := range schema.Mutation.Fields {
			perm, ok := permissionOf(m)
			if slices.Contains(unguardedMutations, m.Name) {
				if ok {
					t.Errorf("Mutation.%s is listed as unguarded but requires %s", m.Name, perm)
				}
				continue
			}
			if !ok {
				t.Errorf("Mutation.%s has no @hasPermission: every mutation but signing in and out names the permission it needs", m.Name)
				continue
			}
			q, v, uploads := operation(t, schema, "mutation", m, "__typename")
			check(t, "Mutation."+m.Name, perm, audiencesOf(m), func(who string) *response { return send(t, who, q, v, uploads) })
		}

		// Every other guarded field: the roots directly, fields of
		// records through node(id:).
		for _, name := range slices.Sorted(func(yield func(string) bool) {
			for n := range schema.Types {
				if !yield(n) {
					return
				}
			}
		}) {
			def := schema.Types[name]
			if def.Kind != ast.Object || name == "Mutation" || name == "Subscription" {
				continue
			}
			for _, fd := range def.Fields {
				perm, ok := permissionOf(fd)
				if !ok {
					continue
				}
				what := name + "." + fd.Name
				sel := ""
				if ft := schema.Types[fd.Type.Name()]; ft.Kind == ast.Object || ft.Kind == ast.Interface || ft.Kind == ast.Union {
					sel = "__typename"
				}
				if name == "Query" {
					q, v, uploads := operation(t, schema, "query", fd, sel)
					check(t, what, perm, audiencesOf(fd), func(who string) *response { return send(t, who, q, v, uploads) })
					continue
				}
				id, ok := nodeIDs[name]
				if !ok || !slices.Contains(def.Interfaces, "Node") {
					t.Errorf("%s requires %s, and the test has no record of %s to read it from: add one to nodeIDs", what, perm, name)
					continue
				}
				inner := fd.Name
				if sel != "" {
					inner += " { " + sel + " }"
				}
				q := fmt.Sprintf(`query($id: ID!) { node(id: $id) { ... on %s { %s } } }`, name, inner)
				check(t, what, perm, audiencesOf(fd), func(who string) *response { return e.as(t, who, q, vars{"id": id}) })
			}
		}
	})
}
