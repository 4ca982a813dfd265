package graph

import (
	"context"
	"io"
	"slices"
	"strconv"
	"sync/atomic"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"portalgraph/internal/portal"
)

// The planner executes the root fields of queries whose whole selection it
// covers, place by place instead of object by object: every field at one
// place in the response is resolved for all the objects there at once, with
// one store call, and the response is written straight to JSON. gqlgen's
// executor resolves each field of each object on its own — a FieldContext,
// a closure and often a goroutine each — which costs about ten times what
// the data itself does once a response holds thousands of fields.
//
// Everything else is left to gqlgen, field by field at the root: mutations,
// fields the planner does not cover, and any root field in which something
// does not go plainly (an error, a null where the schema forbids one, a
// directive that refuses). Queries have no side effects, so such a field is
// simply resolved again by gqlgen, and errors, their paths and partial
// results are always gqlgen's. The planner only ever sees validated
// operations, after every limit has been checked.
type planner struct {
	// schema is the audience's schema; source the schema the code was
	// generated from, which alone still has the directives the generated
	// code runs.
	schema, source *ast.Schema
	types          map[string]planType // covered object types by name
	stats          *ExecStats
	observe        func(ctx context.Context, executor, field string, size int) (context.Context, func(error)) // Config.ObserveBatch
}

// planType holds the covered fields of an object type.
type planType map[string]planField

// planField resolves one field. Exactly one of its functions is set.
type planField struct {
	// leaf appends a scalar or enum value's JSON; false when the value is
	// one gqlgen would answer with an error.
	leaf func(b []byte, obj any) ([]byte, bool)
	// held returns an object, a list of objects ([]any) or nil, held by
	// the parent object: nothing to read.
	held func(obj any) any
	// batch resolves the field for every object at the place at once,
	// one value per object, each as held returns it.
	batch func(ctx context.Context, in fieldInput, objs []any) ([]any, error)
}

// fieldInput is what a batch reads besides its objects.
type fieldInput struct {
	ctx  context.Context
	def  *ast.FieldDefinition
	args map[string]any // variables substituted, defaults applied
	// count is whether totalCount is asked for below the field.
	count bool
}

// ExecStats counts the root fields of queries the planner executed, and
// those it handed to gqlgen.
type ExecStats struct {
	planned, gqlgen atomic.Int64
}

// Counts returns how many root fields the planner executed and how many
// gqlgen did.
func (s *ExecStats) Counts() (planned, gqlgen int64) { return s.planned.Load(), s.gqlgen.Load() }

// place is one place in the response: the fields asked of the objects
// there, and, once executed, the objects and what each field resolved to.
type place struct {
	typ    *ast.Definition
	fields []graphql.CollectedField
	plans  []planField
	below  []*place // per field, the place of the objects it resolves to; nil for leaves

	objs []any
	// vals are, per field with a place below, the field's value per
	// object; firsts the index in below's objects of each value's first.
	vals   [][]any
	firsts [][]int
}

// aroundRootField is gqlgen's root field middleware.
func (pl *planner) aroundRootField(ctx context.Context, next graphql.RootResolver) (m graphql.Marshaler) {
	oc := graphql.GetOperationContext(ctx)
	// The middleware runs outside gqlgen's recovery: a panic here is
	// reported as a resolver's would be.
	defer func() {
		if r := recover(); r != nil {
			oc.Error(ctx, oc.Recover(ctx, r))
			m = graphql.Null
		}
	}()
	rf := graphql.GetRootFieldContext(ctx)
	if oc.Operation.Operation != ast.Query || rf == nil {
		return next(ctx)
	}
	root := &place{typ: pl.schema.Query, fields: []graphql.CollectedField{rf.Field}}
	if !pl.compile(ctx, oc, root) {
		pl.stats.gqlgen.Add(1)
		return next(ctx)
	}
	root.objs = []any{nil}
	if !pl.execute(ctx, oc, root) {
		pl.stats.gqlgen.Add(1)
		return next(ctx)
	}
	b, ok := writeValue(nil, root, 0, 0)
	if !ok {
		pl.stats.gqlgen.Add(1)
		return next(ctx)
	}
	pl.stats.planned.Add(1)
	return graphql.WriterFunc(func(w io.Writer) { _, _ = w.Write(b) })
}

// compile checks that the planner covers every field at p and below, that
// the principal passes every directive on them, and collects the fields of
// each place below. Nothing is read.
func (pl *planner) compile(ctx context.Context, oc *graphql.OperationContext, p *place) bool {
	covered, ok := pl.types[p.typ.Name]
	src := pl.source.Types[p.typ.Name]
	if !ok || src == nil || !allowed(ctx, src.Directives) {
		return false
	}
	p.plans = make([]planField, len(p.fields))
	p.below = make([]*place, len(p.fields))
	for i, f := range p.fields {
		if f.Name == "__typename" {
			continue
		}
		plan, ok := covered[f.Name]
		srcDef := src.Fields.ForName(f.Name)
		if !ok || f.Definition == nil || srcDef == nil || !allowed(ctx, srcDef.Directives) || !plainArguments(srcDef) {
			return false
		}
		p.plans[i] = plan
		if plan.leaf != nil {
			continue
		}
		typ := pl.schema.Types[f.Definition.Type.Name()]
		if typ == nil || typ.Kind != ast.Object {
			return false
		}
		below := &place{typ: typ, fields: graphql.CollectFields(oc, f.Selections, implementors(typ))}
		if !pl.compile(ctx, oc, below) {
			return false
		}
		p.below[i] = below
	}
	return true
}

// implementors are the type conditions an object of typ satisfies.
func implementors(typ *ast.Definition) []string {
	return append([]string{typ.Name}, typ.Interfaces...)
}

// allowed applies the access directives as the generated code would, and
// refuses any other directive that runs at execution.
func allowed(ctx context.Context, ds ast.DirectiveList) bool {
	p := portal.PrincipalFrom(ctx)
	for _, d := range ds {
		switch d.Name {
		case "internal":
			if !p.IsStaff() {
				return false
			}
		case "audience":
			only, ok := directiveArgument(d, "only").([]any)
			if !ok || !slices.Contains(only, any(string(p.Audience))) {
				return false
			}
		case "hasPermission":
			perm, ok := directiveArgument(d, "permission").(string)
			if !ok || !p.Can(portal.Permission(perm)) {
				return false
			}
		case "goField", "goTag", "goModel", "deprecated", "cost", "listSize":
			// Code generation, documentation and the cost model only.
		default:
			return false
		}
	}
	return true
}

// directiveArgument is the value of a directive's argument as written in
// the schema: enum values as strings, lists as []any.
func directiveArgument(d *ast.Directive, name string) any {
	a := d.Arguments.ForName(name)
	if a == nil || a.Value == nil {
		return nil
	}
	v, err := a.Value.Value(nil)
	if err != nil {
		return nil
	}
	return v
}

// plainArguments reports whether no argument of def carries a directive:
// those run in the generated argument code, which the planner does not
// call. Directives on input objects and their fields run in the generated
// unmarshalers, which it does.
func plainArguments(def *ast.FieldDefinition) bool {
	for _, a := range def.Arguments {
		if !allowedAtGeneration(a.Directives) {
			return false
		}
	}
	return true
}

// allowedAtGeneration reports whether the directives only steer code
// generation.
func allowedAtGeneration(ds ast.DirectiveList) bool {
	for _, d := range ds {
		switch d.Name {
		case "goField", "goTag", "goModel", "deprecated":
		default:
			return false
		}
	}
	return true
}

// execute resolves every field of p's objects with a place below, then the
// places below, depth first: one store call per field and place.
func (pl *planner) execute(ctx context.Context, oc *graphql.OperationContext, p *place) bool {
	p.vals = make([][]any, len(p.fields))
	p.firsts = make([][]int, len(p.fields))
	for i, f := range p.fields {
		below := p.below[i]
		if below == nil {
			continue
		}
		var vals []any
		switch plan := p.plans[i]; {
		case plan.held != nil:
			vals = make([]any, len(p.objs))
			for j, obj := range p.objs {
				vals[j] = plan.held(obj)
			}
		default:
			bctx, end := pl.observe(ctx, "planner", p.typ.Name+"."+f.Name, len(p.objs))
			in := fieldInput{ctx: bctx, def: f.Definition, args: f.ArgumentMap(oc.Variables), count: asks(below, "totalCount")}
			var err error
			vals, err = plan.batch(bctx, in, p.objs)
			if end != nil {
				end(err)
			}
			if err != nil || len(vals) != len(p.objs) {
				return false
			}
		}
		firsts := make([]int, len(vals))
		for j, v := range vals {
			firsts[j] = len(below.objs)
			switch v := v.(type) {
			case nil:
				if f.Definition.Type.NonNull {
					return false
				}
			case []any:
				if f.Definition.Type.Elem == nil || slices.Contains(v, nil) {
					return false
				}
				below.objs = append(below.objs, v...)
			default:
				if f.Definition.Type.Elem != nil {
					return false
				}
				below.objs = append(below.objs, v)
			}
		}
		p.vals[i], p.firsts[i] = vals, firsts
		if !pl.execute(ctx, oc, below) {
			return false
		}
	}
	return true
}

// asks reports whether the field is asked for at p.
func asks(p *place, name string) bool {
	return slices.ContainsFunc(p.fields, func(f graphql.CollectedField) bool { return f.Name == name })
}

// writeObject appends the JSON of p's object at index i, as gqlgen writes
// it.
func writeObject(b []byte, p *place, i int) ([]byte, bool) {
	b = append(b, '{')
	for fi, f := range p.fields {
		if fi > 0 {
			b = append(b, ',')
		}
		b = appendQuoted(b, f.Alias)
		b = append(b, ':')
		var ok bool
		switch {
		case f.Name == "__typename":
			b, ok = appendQuoted(b, p.typ.Name), true
		case p.plans[fi].leaf != nil:
			b, ok = p.plans[fi].leaf(b, p.objs[i])
		default:
			b, ok = writeValue(b, p, fi, i)
		}
		if !ok {
			return nil, false
		}
	}
	return append(b, '}'), true
}

// writeValue appends the value field fi resolved to for p's object i.
func writeValue(b []byte, p *place, fi, i int) ([]byte, bool) {
	below, first := p.below[fi], p.firsts[fi][i]
	switch v := p.vals[fi][i].(type) {
	case nil:
		return append(b, "null"...), true
	case []any:
		b = append(b, '[')
		for n := range v {
			if n > 0 {
				b = append(b, ',')
			}
			var ok bool
			if b, ok = writeObject(b, below, first+n); !ok {
				return nil, false
			}
		}
		return append(b, ']'), true
	default:
		return writeObject(b, below, first)
	}
}

// appendQuoted appends s as a JSON string, escaped exactly as gqlgen
// escapes strings.
func appendQuoted(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '\\' && c != '"' {
			continue
		}
		b = append(b, s[start:i]...)
		switch c {
		case '\t':
			b = append(b, `\t`...)
		case '\r':
			b = append(b, `\r`...)
		case '\n':
			b = append(b, `\n`...)
		case '\\':
			b = append(b, `\\`...)
		case '"':
			b = append(b, `\"`...)
		default:
			b = append(b, `\u00`...)
			b = append(b, hex[c>>4], hex[c&0xf])
		}
		start = i + 1
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// appendEnum appends an enum value as generated enums marshal themselves.
func appendEnum[E ~string](b []byte, e E) []byte { return strconv.AppendQuote(b, string(e)) }
