// Package audience derives, from the one schema source, the schema each
// audience is served. Hiding happens in the schema itself rather than only in
// resolvers, so that introspection, validation errors and the SDL a frontend
// generates code from never reveal that staff-only names exist.
package audience

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/formatter"
	"github.com/vektah/gqlparser/v2/parser"
	"github.com/vektah/gqlparser/v2/validator"

	"portalgraph/internal/portal"
)

// machinery lists the directives that only steer code generation or runtime
// authorization. Their definitions and uses are stripped from every served
// schema, STAFF's included: they are implementation details, and @hasPermission
// would otherwise keep the Permission enum alive.
var machinery = map[string]bool{
	"internal": true, "audience": true, "hasPermission": true,
	"goModel": true, "goField": true, "goTag": true, "validated": true,
	"feature": true, "module": true,
}

// Option changes what Derive keeps.
type Option func(*filter)

// Modules derives the schema of a server with only these modules
// installed: whatever is marked @feature(key:) with the key of a module
// not installed is removed, as @internal things are from portal schemas,
// so introspection, suggestions and generated clients never name it.
// Without it, every module is installed.
func Modules(installed portal.FeatureSet) Option {
	return func(f *filter) { f.notInstalled = portal.AllFeatures() &^ installed }
}

// Derive parses the schema source and returns the schema served to one
// audience. It works on the parsed document rather than a built schema so that
// removals can be made before validation, which then proves the result is a
// consistent schema on its own.
func Derive(source *ast.Source, aud portal.Audience, opts ...Option) (*ast.Schema, error) {
	if !aud.IsValid() {
		return nil, fmt.Errorf("audience: unknown audience %q", aud)
	}
	doc, err := parser.ParseSchemas(validator.Prelude, source)
	if err != nil {
		return nil, fmt.Errorf("audience: parse %s: %w", source.Name, err)
	}
	f := &filter{aud: aud}
	for _, o := range opts {
		o(f)
	}
	f.hide(doc)
	if f.err != nil {
		return nil, fmt.Errorf("audience: %s: %w", source.Name, f.err)
	}
	cascade(doc)
	dropUnreachable(doc)
	schema, err := validator.ValidateSchemaDocument(doc)
	if err != nil {
		return nil, fmt.Errorf("audience: %s schema derived from %s is invalid: %w", aud, source.Name, err)
	}
	if schema.Query == nil {
		// gqlparser accepts a schema without a query root; GraphQL does not.
		return nil, fmt.Errorf("audience: %s schema derived from %s is invalid: no query type left", aud, source.Name)
	}
	return schema, nil
}

// filter removes what one audience may not see and strips machinery uses.
type filter struct {
	aud          portal.Audience
	notInstalled portal.FeatureSet
	err          error // first malformed @audience or @feature, reported instead of guessing
}

// visible reports whether an element with these directives is served to the
// audience. An unknown audience name is an error rather than "hidden", because
// a typo would otherwise silently hide the element from everybody.
func (f *filter) visible(dirs ast.DirectiveList) bool {
	if dirs.ForName("internal") != nil && f.aud != portal.AudienceStaff {
		return false
	}
	// @feature and @module both name a module: not installed, the
	// element is not served.
	for _, name := range []string{"feature", "module"} {
		d := dirs.ForName(name)
		if d == nil {
			continue
		}
		key := d.Arguments.ForName("key")
		if key == nil || key.Value == nil || !portal.FeatureKey(key.Value.Raw).IsValid() {
			f.fail(fmt.Errorf("@%s without a known key at line %d", name, d.Position.Line))
			return false
		}
		if f.notInstalled.Has(portal.FeatureKey(key.Value.Raw)) {
			return false
		}
	}
	d := dirs.ForName("audience")
	if d == nil {
		return true
	}
	only := d.Arguments.ForName("only")
	if only == nil || only.Value == nil {
		f.fail(fmt.Errorf("@audience without only: at line %d", d.Position.Line))
		return false
	}
	values := ast.ChildValueList{{Value: only.Value}} // a single value coerces to a list
	if only.Value.Kind == ast.ListValue {
		values = only.Value.Children
	}
	seen := false
	for _, v := range values {
		a := portal.Audience(v.Value.Raw)
		if !a.IsValid() {
			f.fail(fmt.Errorf("@audience lists unknown audience %q at line %d", v.Value.Raw, d.Position.Line))
		}
		seen = seen || a == f.aud
	}
	return seen
}

func (f *filter) fail(err error) {
	if f.err == nil {
		f.err = err
	}
}

func strip(dirs ast.DirectiveList) ast.DirectiveList {
	return slices.DeleteFunc(dirs, func(d *ast.Directive) bool { return machinery[d.Name] })
}

func (f *filter) args(args ast.ArgumentDefinitionList) ast.ArgumentDefinitionList {
	args = slices.DeleteFunc(args, func(a *ast.ArgumentDefinition) bool { return !f.visible(a.Directives) })
	for _, a := range args {
		a.Directives = strip(a.Directives)
	}
	return args
}

func (f *filter) hide(doc *ast.SchemaDocument) {
	doc.Directives = slices.DeleteFunc(doc.Directives, func(d *ast.DirectiveDefinition) bool { return machinery[d.Name] })
	for _, d := range doc.Directives {
		d.Arguments = f.args(d.Arguments)
	}
	for _, s := range slices.Concat(doc.Schema, doc.SchemaExtension) {
		s.Directives = strip(s.Directives)
	}
	// A hidden definition takes its extensions with it; a hidden extension
	// only takes what it adds.
	hidden := map[string]bool{}
	doc.Definitions = slices.DeleteFunc(doc.Definitions, func(d *ast.Definition) bool {
		hidden[d.Name] = !f.visible(d.Directives)
		return hidden[d.Name]
	})
	doc.Extensions = slices.DeleteFunc(doc.Extensions, func(d *ast.Definition) bool {
		return hidden[d.Name] || !f.visible(d.Directives)
	})
	for _, d := range slices.Concat(doc.Definitions, doc.Extensions) {
		d.Directives = strip(d.Directives)
		d.Fields = slices.DeleteFunc(d.Fields, func(fd *ast.FieldDefinition) bool { return !f.visible(fd.Directives) })
		for _, fd := range d.Fields {
			fd.Directives = strip(fd.Directives)
			fd.Arguments = f.args(fd.Arguments)
		}
		d.EnumValues = slices.DeleteFunc(d.EnumValues, func(v *ast.EnumValueDefinition) bool { return !f.visible(v.Directives) })
		for _, v := range d.EnumValues {
			v.Directives = strip(v.Directives)
		}
	}
}

// cascade removes whatever the removals left dangling or empty, until nothing
// changes: hiding a type must not leave a field pointing at nothing, and an
// emptied type is invalid GraphQL, so it goes too, and so on.
func cascade(doc *ast.SchemaDocument) {
	for changed := true; changed; {
		changed = false
		parts := byName(doc)
		gone := func(name string) bool { return parts[name] == nil }
		goneArg := func(a *ast.ArgumentDefinition) bool { return gone(a.Type.Name()) }
		for _, d := range doc.Directives {
			d.Arguments = slices.DeleteFunc(d.Arguments, goneArg)
		}
		for _, d := range slices.Concat(doc.Definitions, doc.Extensions) {
			d.Fields = slices.DeleteFunc(d.Fields, func(fd *ast.FieldDefinition) bool { return gone(fd.Type.Name()) })
			for _, fd := range d.Fields {
				fd.Arguments = slices.DeleteFunc(fd.Arguments, goneArg)
			}
			d.Interfaces = slices.DeleteFunc(d.Interfaces, gone)
			if slices.ContainsFunc(d.Types, gone) {
				d.Types = slices.DeleteFunc(d.Types, gone)
				d.TypePositions = nil // no longer parallel to Types; validation falls back to Position
			}
		}
		empty := func(d *ast.Definition) bool {
			if d.BuiltIn {
				return false
			}
			n := 0
			for _, p := range parts[d.Name] {
				n += len(p.Fields) + len(p.EnumValues) + len(p.Types)
			}
			return n == 0 && d.Kind != ast.Scalar
		}
		before := len(doc.Definitions) + len(doc.Extensions)
		doc.Definitions = slices.DeleteFunc(doc.Definitions, empty)
		doc.Extensions = slices.DeleteFunc(doc.Extensions, empty)
		changed = len(doc.Definitions)+len(doc.Extensions) != before
	}
	// A root type that disappeared (e.g. an all-internal Mutation) leaves the
	// schema definition; a missing Query is left for validation to report.
	parts := byName(doc)
	for _, s := range slices.Concat(doc.Schema, doc.SchemaExtension) {
		s.OperationTypes = slices.DeleteFunc(s.OperationTypes, func(o *ast.OperationTypeDefinition) bool {
			return o.Operation != ast.Query && parts[o.Type] == nil
		})
	}
}

// byName groups definitions and extensions by type name, since a type's
// fields, values and members may be spread over several of them.
func byName(doc *ast.SchemaDocument) map[string][]*ast.Definition {
	parts := map[string][]*ast.Definition{}
	for _, d := range slices.Concat(doc.Definitions, doc.Extensions) {
		parts[d.Name] = append(parts[d.Name], d)
	}
	return parts
}

// dropUnreachable removes types no operation can reach, so that names used
// only behind hidden fields (Permission, Role, ...) do not leak through
// introspection. Implementations of a reachable interface count as reachable
// because an interface-typed field such as node(id:) can return them.
func dropUnreachable(doc *ast.SchemaDocument) {
	parts := byName(doc)
	implementors := map[string][]string{}
	for _, d := range slices.Concat(doc.Definitions, doc.Extensions) {
		for _, i := range d.Interfaces {
			implementors[i] = append(implementors[i], d.Name)
		}
	}
	reached := map[string]bool{}
	var queue []string
	reach := func(name string) {
		if !reached[name] {
			reached[name] = true
			queue = append(queue, name)
		}
	}
	roots := doc.Schema
	if len(roots) == 0 && len(doc.SchemaExtension) == 0 {
		roots = ast.SchemaDefinitionList{{OperationTypes: ast.OperationTypeDefinitionList{
			{Type: "Query"}, {Type: "Mutation"}, {Type: "Subscription"},
		}}}
	}
	for _, s := range slices.Concat(roots, doc.SchemaExtension) {
		for _, o := range s.OperationTypes {
			reach(o.Type)
		}
	}
	for _, d := range doc.Directives {
		for _, a := range d.Arguments {
			reach(a.Type.Name())
		}
	}
	for len(queue) > 0 {
		name := queue[0]
		queue = queue[1:]
		for _, d := range parts[name] {
			for _, fd := range d.Fields {
				reach(fd.Type.Name())
				for _, a := range fd.Arguments {
					reach(a.Type.Name())
				}
			}
			for _, t := range slices.Concat(d.Interfaces, d.Types) {
				reach(t)
			}
			if d.Kind == ast.Interface {
				for _, t := range implementors[name] {
					reach(t)
				}
			}
		}
	}
	unreachable := func(d *ast.Definition) bool { return !d.BuiltIn && !reached[d.Name] }
	doc.Definitions = slices.DeleteFunc(doc.Definitions, unreachable)
	doc.Extensions = slices.DeleteFunc(doc.Extensions, unreachable)
}

// HasPath reports whether a schema has a field named by a path from a
// type through the fields it follows, each to the type it returns:
// "Deliverable.updatedAt", "Deliverable.project.name". Exports name the
// fields their columns show this way (portal.SchemaHas).
func HasPath(s *ast.Schema, path string) bool {
	names := strings.Split(path, ".")
	if len(names) < 2 {
		return false
	}
	t := s.Types[names[0]]
	for _, name := range names[1:] {
		if t == nil {
			return false
		}
		f := t.Fields.ForName(name)
		if f == nil {
			return false
		}
		t = s.Types[f.Type.Name()]
	}
	return t != nil
}

// SDL prints a schema as SDL: no built-in definitions, deterministic order (as
// in source), directives that remain included. This is what `portalgraph
// schema --audience portal` prints and what a portal frontend runs code
// generation against, so the output must be stable across runs (no map order)
// for generated code and diffs to stay quiet, and must re-parse into an
// equivalent schema. The schema definition is always written out, because
// without it a type merely named Mutation would become a root on re-parse.
func SDL(schema *ast.Schema) string {
	def := &ast.SchemaDefinition{Description: schema.Description, Directives: schema.SchemaDirectives}
	for _, root := range []struct {
		op  ast.Operation
		def *ast.Definition
	}{{ast.Query, schema.Query}, {ast.Mutation, schema.Mutation}, {ast.Subscription, schema.Subscription}} {
		if root.def != nil {
			def.OperationTypes = append(def.OperationTypes, &ast.OperationTypeDefinition{Operation: root.op, Type: root.def.Name})
		}
	}
	var dirs ast.DirectiveDefinitionList
	for _, d := range schema.Directives {
		if !builtIn(d.Position) {
			dirs = append(dirs, d)
		}
	}
	slices.SortFunc(dirs, func(a, b *ast.DirectiveDefinition) int {
		return cmp.Or(comparePos(a.Position, b.Position), strings.Compare(a.Name, b.Name))
	})
	var types ast.DefinitionList
	for _, t := range schema.Types {
		if !t.BuiltIn && !strings.HasPrefix(t.Name, "__") {
			types = append(types, t)
		}
	}
	slices.SortFunc(types, func(a, b *ast.Definition) int {
		return cmp.Or(comparePos(a.Position, b.Position), strings.Compare(a.Name, b.Name))
	})

	// Each definition is formatted on its own so they can be separated by a
	// blank line, which the formatter does not do, for a readable file.
	var blocks []string
	format := func(doc *ast.SchemaDocument) {
		var b strings.Builder
		formatter.NewFormatter(&b, formatter.WithIndent("  ")).FormatSchemaDocument(doc)
		blocks = append(blocks, b.String())
	}
	if len(def.OperationTypes) > 0 {
		format(&ast.SchemaDocument{Schema: ast.SchemaDefinitionList{def}})
	}
	for _, d := range dirs {
		format(&ast.SchemaDocument{Directives: ast.DirectiveDefinitionList{d}})
	}
	for _, t := range types {
		format(&ast.SchemaDocument{Definitions: ast.DefinitionList{t}})
	}
	return strings.Join(blocks, "\n")
}

func builtIn(p *ast.Position) bool {
	return p != nil && p.Src != nil && p.Src.BuiltIn
}

// comparePos orders by source and offset; definitions without a position
// (built programmatically) go last and are ordered by name by the caller.
func comparePos(a, b *ast.Position) int {
	if a == nil || b == nil || a.Src == nil || b.Src == nil {
		return cmp.Compare(boolInt(a == nil || a.Src == nil), boolInt(b == nil || b.Src == nil))
	}
	return cmp.Or(strings.Compare(a.Src.Name, b.Src.Name), cmp.Compare(a.Start, b.Start))
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
