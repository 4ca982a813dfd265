package graph

import (
	"context"
	"io"
	"reflect"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"portalgraph/graph/generated"
	"portalgraph/internal/portal"
)

// The planner executes the root fields of queries place by place instead
// of object by object: every field at one place in the response is
// resolved for all the objects there at once, with one store call, and the
// response is written straight to JSON. gqlgen's executor resolves each
// field of each object on its own — a FieldContext, a closure and often a
// goroutine each — which costs about ten times what the data itself does
// once a response holds thousands of fields.
//
// The planner has no fields of its own. A field read from its object's Go
// value is generated from the schema and the models (generated.BoundFields:
// its value written by gqlgen's own marshaler); a field with a resolver is
// its one definition in readFields, which gqlgen's resolvers call too;
// arguments are read by gqlgen's argument code (generated.FieldArgs), and
// access directives by the rules the generated directives apply. Every
// object type queries reach is covered (TestThePlannerCoversEveryRead);
// under an interface or union (node, ActivityEvent.record) each object
// type has a place of its own.
//
// Left to gqlgen, field by field at the root: mutations, and any root
// field in which something does not go
// plainly (an error, a null where the schema forbids one, a directive that
// refuses). Such a field is resolved again by gqlgen, and errors, their
// paths and partial results are always gqlgen's. A field's side effects
// (the audit of records opened by ID) are in its definition, so they
// happen on either path; a root field resolved by both records them twice,
// which the audit's batching makes one (internal/audit). The planner only
// ever sees validated operations, after every limit has been checked.
type planner struct {
	// schema is the audience's schema; source the schema the code was
	// generated from, which alone still has the directives the generated
	// code runs. es is the audience's executable schema, whose argument
	// code the planner runs.
	schema, source *ast.Schema
	es             graphql.ExecutableSchema
	bound          map[string]generated.BoundField
	goTypes        map[string]reflect.Type
	fields         map[string]readField
	leaves         map[string]func(ctx context.Context, w io.Writer, v any) bool
	stats          *ExecStats
	observe        func(ctx context.Context, executor, field string, size int) (context.Context, func(error)) // Config.ObserveBatch
	// writers are response buffers to reuse: a dashboard's JSON is tens
	// of kilobytes, which growing afresh for each request doubles.
	writers sync.Pool
}

// planField resolves one field ("Type.field"): bound to its object's Go
// value (leaf or held), or read through its definition (read, and write
// for a scalar or enum value).
type planField struct {
	name  string
	leaf  func(ctx context.Context, w io.Writer, obj any) bool
	held  func(obj any) any
	read  *readField
	write func(ctx context.Context, w io.Writer, v any) bool
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

	// variants are, at a place of an interface or union, the place of
	// each of its object types; at is, per object, its variant and its
	// index there.
	variants []*place
	at       []variantAt

	objs []any
	// vals are, per field read through its definition, the field's value
	// per object: the objects it holds for an object field, the value
	// itself for a scalar or enum. firsts are, per object field, the index
	// in below's objects of each value's first.
	vals   [][]any
	firsts [][]int
}

type variantAt struct {
	place *place
	i     int
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
	w, _ := pl.writers.Get().(*jsonWriter)
	if w == nil {
		w = &jsonWriter{}
	}
	if !writeValue(ctx, w, root, 0, 0) {
		pl.release(w)
		pl.stats.gqlgen.Add(1)
		return next(ctx)
	}
	pl.stats.planned.Add(1)
	return graphql.WriterFunc(func(out io.Writer) {
		// gqlgen collects the response in a bytes.Buffer grown from
		// nothing: made room for at once, a dashboard's tens of
		// kilobytes are allocated and copied once rather than a dozen
		// times. The slack is for the braces that close the response.
		if b, ok := out.(interface{ Grow(n int) }); ok {
			b.Grow(len(w.b) + 16)
		}
		_, _ = out.Write(w.b)
		pl.release(w)
	})
}

// release returns a response buffer for reuse, unless it grew beyond
// what keeping it around is worth.
func (pl *planner) release(w *jsonWriter) {
	if cap(w.b) <= 4<<20 {
		w.b = w.b[:0]
		pl.writers.Put(w)
	}
}

// plan is how the planner resolves the field name, if it can.
func (pl *planner) plan(name string, def *ast.FieldDefinition) (planField, bool) {
	if b, ok := pl.bound[name]; ok {
		return planField{name: name, leaf: b.Leaf, held: b.Held}, true
	}
	rf, ok := pl.fields[name]
	if !ok {
		return planField{}, false
	}
	p := planField{name: name, read: &rf}
	if typ := pl.source.Types[def.Type.Name()]; typ != nil && typ.IsLeafType() {
		p.write = pl.leaves[name]
		return p, p.write != nil
	}
	return p, rf.objects != nil
}

// compile checks that the planner covers every field at p and below, that
// the principal passes every directive on them, and collects the fields of
// each place below. Nothing is read.
func (pl *planner) compile(ctx context.Context, oc *graphql.OperationContext, p *place) bool {
	src := pl.source.Types[p.typ.Name]
	if src == nil || !accessAllowed(ctx, src.Directives) {
		return false
	}
	p.plans = make([]planField, len(p.fields))
	p.below = make([]*place, len(p.fields))
	for i, f := range p.fields {
		if f.Name == "__typename" {
			continue
		}
		srcDef := src.Fields.ForName(f.Name)
		if f.Definition == nil || srcDef == nil || !accessAllowed(ctx, srcDef.Directives) {
			return false
		}
		plan, ok := pl.plan(p.typ.Name+"."+f.Name, srcDef)
		if !ok {
			return false
		}
		p.plans[i] = plan
		if plan.leaf != nil || plan.write != nil {
			continue
		}
		below, ok := pl.compileBelow(ctx, oc, f)
		if !ok {
			return false
		}
		p.below[i] = below
	}
	return true
}

// compileBelow compiles the place of the objects field f resolves to: one
// object type, or each object type of an interface or union.
func (pl *planner) compileBelow(ctx context.Context, oc *graphql.OperationContext, f graphql.CollectedField) (*place, bool) {
	typ := pl.schema.Types[f.Definition.Type.Name()]
	if typ == nil {
		return nil, false
	}
	switch typ.Kind {
	case ast.Object:
		below := &place{typ: typ, fields: graphql.CollectFields(oc, f.Selections, implementors(typ))}
		return below, pl.compile(ctx, oc, below)
	case ast.Interface, ast.Union:
		below := &place{typ: typ}
		for _, t := range pl.schema.GetPossibleTypes(typ) {
			v := &place{typ: t, fields: graphql.CollectFields(oc, f.Selections, implementors(t))}
			if !pl.compile(ctx, oc, v) {
				return nil, false
			}
			below.variants = append(below.variants, v)
		}
		return below, true
	}
	return nil, false
}

// implementors are the type conditions an object of typ satisfies.
func implementors(typ *ast.Definition) []string {
	return append([]string{typ.Name}, typ.Interfaces...)
}

// execute resolves every field of p's objects that reads or holds, then
// the places below, depth first: one store call per field and place.
func (pl *planner) execute(ctx context.Context, oc *graphql.OperationContext, p *place) bool {
	if p.variants != nil {
		return pl.executeVariants(ctx, oc, p)
	}
	p.vals = make([][]any, len(p.fields))
	p.firsts = make([][]int, len(p.fields))
	for i, f := range p.fields {
		plan, below := p.plans[i], p.below[i]
		var vals []any
		switch {
		case plan.held != nil:
			vals = make([]any, len(p.objs))
			for j, obj := range p.objs {
				vals[j] = plan.held(obj)
			}
		case plan.read != nil:
			args, err := generated.FieldArgs(ctx, pl.es, plan.name, f.ArgumentMap(oc.Variables))
			if err != nil {
				return false
			}
			bctx, end := pl.observe(ctx, "planner", plan.name, len(p.objs))
			if below != nil {
				bctx = portal.WithFields(bctx, pl.fieldsBelow(below, portal.Fields{}))
			}
			in := fieldInput{ctx: bctx, args: args, count: below != nil && asks(below, "totalCount")}
			vals, err = plan.read.batch(in, p.objs)
			if end != nil {
				end(err)
			}
			if err != nil || len(vals) != len(p.objs) {
				return false
			}
			for j, v := range vals {
				if _, isErr := v.(failed); isErr {
					return false
				}
				if below != nil {
					vals[j] = plan.read.objects(v)
				}
			}
		default:
			continue
		}
		p.vals[i] = vals
		if below == nil {
			continue
		}
		// Room for every object below at once: a figure's hundreds of
		// groups, appended one by one, were a dashboard's most grown
		// slice.
		n := 0
		for _, v := range vals {
			if list, ok := v.([]any); ok {
				n += len(list)
			} else if v != nil {
				n++
			}
		}
		below.objs = slices.Grow(below.objs, n)
		firsts := make([]int, len(vals))
		for j, v := range vals {
			firsts[j] = len(below.objs)
			switch v := v.(type) {
			case nil:
				if f.Definition.Type.NonNull {
					return false
				}
			case []any:
				// An absent object in a list is gqlgen's to answer.
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
		p.firsts[i] = firsts
		if !pl.execute(ctx, oc, below) {
			return false
		}
	}
	return true
}

// fieldsBelow adds to fields, by Go type, the Go fields the selections at
// p read, and at the places below p its held fields lead to: what the
// read that resolves p's objects must fill. A field a method returns, or a
// variable that is no column (the store tells), reads its object whole: it
// is named by a name no Go field has.
func (pl *planner) fieldsBelow(p *place, fields portal.Fields) portal.Fields {
	for _, v := range p.variants {
		pl.fieldsBelow(v, fields)
	}
	typ, ok := pl.goTypes[p.typ.Name]
	if !ok || p.variants != nil {
		return fields
	}
	names := fields[typ]
	for i, plan := range p.plans {
		switch {
		case plan.leaf != nil || plan.held != nil:
			name := pl.bound[plan.name].Field
			if name == "" {
				name = wholeObject
			}
			names = append(names, name)
			if b := p.below[i]; b != nil {
				pl.fieldsBelow(b, fields)
			}
		case plan.read != nil:
			names = append(names, plan.read.reads...)
		}
	}
	fields[typ] = names
	return fields
}

// wholeObject is the name of no Go field, for a selection that reads its
// object whole.
const wholeObject = "(whole)"

// executeVariants sorts the objects at a place of an interface or union
// out to the places of their object types, and executes those.
func (pl *planner) executeVariants(ctx context.Context, oc *graphql.OperationContext, p *place) bool {
	p.at = make([]variantAt, len(p.objs))
	for i, obj := range p.objs {
		name := generated.TypeName(obj)
		j := slices.IndexFunc(p.variants, func(v *place) bool { return v.typ.Name == name })
		if j < 0 {
			return false
		}
		v := p.variants[j]
		p.at[i] = variantAt{v, len(v.objs)}
		v.objs = append(v.objs, obj)
	}
	for _, v := range p.variants {
		if len(v.objs) > 0 && !pl.execute(ctx, oc, v) {
			return false
		}
	}
	return true
}

// asks reports whether the field is asked for at p.
func asks(p *place, name string) bool {
	return slices.ContainsFunc(p.fields, func(f graphql.CollectedField) bool { return f.Name == name })
}

// jsonWriter collects a response's JSON for gqlgen's marshalers.
type jsonWriter struct{ b []byte }

func (w *jsonWriter) Write(p []byte) (int, error) {
	w.b = append(w.b, p...)
	return len(p), nil
}

// AvailableBuffer lets a marshaler append to the response in place, as
// bytes.Buffer's does.
func (w *jsonWriter) AvailableBuffer() []byte { return w.b[len(w.b):] }

func (w *jsonWriter) WriteString(s string) (int, error) {
	w.b = append(w.b, s...)
	return len(s), nil
}

// name writes a response key or a type name: GraphQL names are
// letters, digits and underscores, which JSON quotes as they are.
func (w *jsonWriter) name(s string) {
	w.b = append(w.b, '"')
	w.b = append(w.b, s...)
	w.b = append(w.b, '"')
}

// writeObject writes the JSON of p's object at index i, as gqlgen writes
// it.
func writeObject(ctx context.Context, w *jsonWriter, p *place, i int) bool {
	if p.variants != nil {
		at := p.at[i]
		return writeObject(ctx, w, at.place, at.i)
	}
	w.b = append(w.b, '{')
	for fi, f := range p.fields {
		if fi > 0 {
			w.b = append(w.b, ',')
		}
		w.name(f.Alias)
		w.b = append(w.b, ':')
		ok := true
		switch plan := p.plans[fi]; {
		case f.Name == "__typename":
			w.name(p.typ.Name)
		case plan.leaf != nil:
			ok = plan.leaf(ctx, w, p.objs[i])
		case plan.write != nil:
			ok = plan.write(ctx, w, p.vals[fi][i])
		default:
			ok = writeValue(ctx, w, p, fi, i)
		}
		if !ok {
			return false
		}
	}
	w.b = append(w.b, '}')
	return true
}

// writeValue writes the value field fi resolved to for p's object i.
func writeValue(ctx context.Context, w *jsonWriter, p *place, fi, i int) bool {
	below, first := p.below[fi], p.firsts[fi][i]
	switch v := p.vals[fi][i].(type) {
	case nil:
		w.b = append(w.b, "null"...)
		return true
	case []any:
		w.b = append(w.b, '[')
		for n := range v {
			if n > 0 {
				w.b = append(w.b, ',')
			}
			if !writeObject(ctx, w, below, first+n) {
				return false
			}
		}
		w.b = append(w.b, ']')
		return true
	default:
		return writeObject(ctx, w, below, first)
	}
}
