package graph

import (
	"context"
	"io"
	"reflect"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/99designs/gqlgen/graphql"
	lru "github.com/hashicorp/golang-lru/v2"
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
	// defs are, per field of the audience's schema the planner covers,
	// how it resolves it and who may read it; types, per object type it
	// covers, who may read it (prepare).
	defs  map[fieldKey]fieldDef
	types map[*ast.Definition]*accessRule
	// compiled are root fields compiled, by operation: gqlgen keeps parsed
	// documents by their text (SetQueryCache), so an operation sent again
	// is the same one, and its root fields are found here.
	compiled *lru.Cache[compiledKey, *compiled]
	// writers are response buffers to reuse: a dashboard's JSON is tens
	// of kilobytes, which growing afresh for each request doubles.
	writers sync.Pool
}

// planField resolves one field ("Type.field"): bound to its object's Go
// value (leaf or held, the Go field goField), or read through its
// definition (read, and write for a scalar or enum value).
type planField struct {
	name    string
	leaf    func(ctx context.Context, w io.Writer, obj any) bool
	held    func(obj any) any
	goField string
	read    *readField
	write   func(ctx context.Context, w io.Writer, v any) bool
}

// ExecStats counts the root fields of queries the planner executed, and
// those it handed to gqlgen.
type ExecStats struct {
	planned, gqlgen atomic.Int64
}

// Counts returns how many root fields the planner executed and how many
// gqlgen did.
func (s *ExecStats) Counts() (planned, gqlgen int64) { return s.planned.Load(), s.gqlgen.Load() }

// shape is one place in the response as compiled from the operation and
// the schema alone: the fields asked of the objects there, how each is
// resolved, and the places below. Shapes are kept across requests
// (planner.compiled) and never changed once compiled.
type shape struct {
	typ    *ast.Definition
	fields []graphql.CollectedField
	plans  []planField
	below  []*shape // per field, the shape of the objects it resolves to; nil for leaves
	// variants are, at a place of an interface or union, the shape of
	// each of its object types.
	variants []*shape
	// reads are, per field read through its definition with objects
	// below, the fields of those objects its read must fill (fieldsBelow);
	// counts, whether totalCount is asked of them.
	reads  []portal.Fields
	counts []bool
	index  int // among its root field's shapes, and so its place's index
}

// compiled is a root field compiled: its shapes, and the access rules of
// every type and field in them, which each request's principal must pass.
type compiled struct {
	shapes []*shape // shapes[0] is the root's
	rules  []*accessRule
}

// compiledKey is a root field of an operation. A field in a fragment
// spread at the root can be in several operations of a document, and what
// it merges with differs among them.
type compiledKey struct {
	op    *ast.OperationDefinition
	field *ast.Field
}

// maxCompiled bounds the root fields kept compiled, and the operations
// kept priced (costCheck); gqlgen keeps up to 1,000 parsed documents
// (NewHandler).
const maxCompiled = 4096

// place is one place in the response as a request executes it: its shape,
// and the objects there and what each field resolved to.
type place struct {
	*shape
	// tree is every place of the request's root field, by shape index.
	tree []place
	objs []any
	// vals are, per field read through its definition, the field's value
	// per object: the objects it holds for an object field, the value
	// itself for a scalar or enum. firsts are, per object field, the index
	// in below's objects of each value's first.
	vals   [][]any
	firsts [][]int
	// at is, at a place of an interface or union, per object, its
	// variant's place and its index there.
	at []variantAt
}

type variantAt struct {
	place *place
	i     int
}

// under is the place of the objects field fi resolves to.
func (p *place) under(fi int) *place { return &p.tree[p.below[fi].index] }

// places are a request's places of c's shapes, empty: one allocation.
func (c *compiled) places() []place {
	tree := make([]place, len(c.shapes))
	for i, s := range c.shapes {
		tree[i] = place{shape: s, tree: tree}
	}
	return tree
}

// allows reports whether p passes every access rule of c.
func (c *compiled) allows(p portal.Principal) bool {
	for _, r := range c.rules {
		if !r.allows(p) {
			return false
		}
	}
	return true
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
	c := pl.compiledFor(oc, rf.Field)
	if c == nil || !c.allows(portal.PrincipalFrom(ctx)) {
		pl.stats.gqlgen.Add(1)
		return next(ctx)
	}
	tree := c.places()
	root := &tree[0]
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

// fieldKey is a field of an object type. A field asked through an
// interface (node's id) has the interface's definition, so fields are
// known by their object type and name.
type fieldKey struct {
	typ  *ast.Definition
	name string
}

// fieldDef is how the planner resolves a field of the audience's schema
// and who may read it.
type fieldDef struct {
	plan planField
	rule *accessRule
}

// prepare reads from the schemas, once, how the planner resolves each
// field of the audience's schema and who may read each type and field.
// A type or field that is absent is one the planner leaves to gqlgen.
func (pl *planner) prepare() {
	pl.defs = map[fieldKey]fieldDef{}
	pl.types = map[*ast.Definition]*accessRule{}
	for _, typ := range pl.schema.Types {
		src := pl.source.Types[typ.Name]
		if typ.Kind != ast.Object || src == nil {
			continue
		}
		if rule, ok := accessRuleOf(src.Directives); ok {
			pl.types[typ] = &rule
		}
		for _, f := range typ.Fields {
			srcDef := src.Fields.ForName(f.Name)
			if srcDef == nil {
				continue
			}
			rule, ok := accessRuleOf(srcDef.Directives)
			if !ok {
				continue
			}
			if plan, ok := pl.plan(typ.Name+"."+f.Name, srcDef); ok {
				pl.defs[fieldKey{typ, f.Name}] = fieldDef{plan: plan, rule: &rule}
			}
		}
	}
	pl.compiled, _ = lru.New[compiledKey, *compiled](maxCompiled) // fails only for a size below 1
}

// plan is how the planner resolves the field name, if it can.
func (pl *planner) plan(name string, def *ast.FieldDefinition) (planField, bool) {
	if b, ok := pl.bound[name]; ok {
		return planField{name: name, leaf: b.Leaf, held: b.Held, goField: b.Field}, true
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

// compiledFor is root field f of oc's operation compiled; nil if the
// planner does not cover it. A root field is compiled once and kept,
// unless a directive in its operation (@skip, @include, @defer) makes
// which fields are asked depend on the variables.
func (pl *planner) compiledFor(oc *graphql.OperationContext, f graphql.CollectedField) *compiled {
	key := compiledKey{oc.Operation, f.Field}
	if c, ok := pl.compiled.Get(key); ok {
		return c
	}
	c := &compiled{}
	root := c.add(pl.schema.Query, []graphql.CollectedField{f})
	if !pl.compile(oc, c, root) {
		c = nil
	}
	if !selectsByDirective(oc.Operation.SelectionSet) {
		pl.compiled.Add(key, c)
	}
	return c
}

// add adds to c the shape of the place of fields of typ.
func (c *compiled) add(typ *ast.Definition, fields []graphql.CollectedField) *shape {
	s := &shape{typ: typ, fields: fields, index: len(c.shapes)}
	c.shapes = append(c.shapes, s)
	return s
}

// require adds a rule the principal must pass.
func (c *compiled) require(r *accessRule) {
	if len(*r) > 0 && !slices.Contains(c.rules, r) {
		c.rules = append(c.rules, r)
	}
}

// compile checks that the planner covers every field at s and below,
// collects the fields of each place below, and gathers the access rules on
// them. Nothing is read.
func (pl *planner) compile(oc *graphql.OperationContext, c *compiled, s *shape) bool {
	rule, ok := pl.types[s.typ]
	if !ok {
		return false
	}
	c.require(rule)
	n := len(s.fields)
	s.plans, s.below, s.reads, s.counts = make([]planField, n), make([]*shape, n), make([]portal.Fields, n), make([]bool, n)
	for i, f := range s.fields {
		if f.Name == "__typename" {
			continue
		}
		def, ok := pl.defs[fieldKey{s.typ, f.Name}]
		if !ok || f.Definition == nil {
			return false
		}
		c.require(def.rule)
		s.plans[i] = def.plan
		if def.plan.leaf != nil || def.plan.write != nil {
			continue
		}
		below, ok := pl.compileBelow(oc, c, f)
		if !ok {
			return false
		}
		s.below[i] = below
		if def.plan.read != nil {
			s.reads[i] = pl.fieldsBelow(below, portal.Fields{})
			s.counts[i] = asks(below, "totalCount")
		}
	}
	return true
}

// compileBelow compiles the place of the objects field f resolves to: one
// object type, or each object type of an interface or union.
func (pl *planner) compileBelow(oc *graphql.OperationContext, c *compiled, f graphql.CollectedField) (*shape, bool) {
	typ := pl.schema.Types[f.Definition.Type.Name()]
	if typ == nil {
		return nil, false
	}
	switch typ.Kind {
	case ast.Object:
		below := c.add(typ, graphql.CollectFields(oc, f.Selections, implementors(typ)))
		return below, pl.compile(oc, c, below)
	case ast.Interface, ast.Union:
		below := c.add(typ, nil)
		for _, t := range pl.schema.GetPossibleTypes(typ) {
			v := c.add(t, graphql.CollectFields(oc, f.Selections, implementors(t)))
			if !pl.compile(oc, c, v) {
				return nil, false
			}
			below.variants = append(below.variants, v)
		}
		return below, true
	}
	return nil, false
}

// selectsByDirective reports whether a selection in set, or in a
// fragment it spreads, carries a directive: in an executable document
// those are @skip, @include and @defer, whose arguments can be variables.
func selectsByDirective(set ast.SelectionSet) bool {
	for _, sel := range set {
		switch sel := sel.(type) {
		case *ast.Field:
			if len(sel.Directives) > 0 || selectsByDirective(sel.SelectionSet) {
				return true
			}
		case *ast.InlineFragment:
			if len(sel.Directives) > 0 || selectsByDirective(sel.SelectionSet) {
				return true
			}
		case *ast.FragmentSpread:
			if len(sel.Directives) > 0 || sel.Definition == nil || len(sel.Definition.Directives) > 0 || selectsByDirective(sel.Definition.SelectionSet) {
				return true
			}
		}
	}
	return false
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
		plan := p.plans[i]
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
			if p.reads[i] != nil {
				bctx = portal.WithFields(bctx, p.reads[i])
			}
			in := fieldInput{ctx: bctx, args: args, count: p.counts[i]}
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
				if p.below[i] != nil {
					vals[j] = plan.read.objects(v)
				}
			}
		default:
			continue
		}
		p.vals[i] = vals
		if p.below[i] == nil {
			continue
		}
		below := p.under(i)
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
// s read, and at the places below s its held fields lead to: what the
// read that resolves s's objects must fill. A field a method returns, or a
// variable that is no column (the store tells), reads its object whole: it
// is named by a name no Go field has.
func (pl *planner) fieldsBelow(s *shape, fields portal.Fields) portal.Fields {
	for _, v := range s.variants {
		pl.fieldsBelow(v, fields)
	}
	typ, ok := pl.goTypes[s.typ.Name]
	if !ok || s.variants != nil {
		return fields
	}
	names := fields[typ]
	for i, plan := range s.plans {
		switch {
		case plan.leaf != nil || plan.held != nil:
			name := plan.goField
			if name == "" {
				name = wholeObject
			}
			names = append(names, name)
			if b := s.below[i]; b != nil {
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
		j := slices.IndexFunc(p.variants, func(v *shape) bool { return v.typ.Name == name })
		if j < 0 {
			return false
		}
		v := &p.tree[p.variants[j].index]
		p.at[i] = variantAt{v, len(v.objs)}
		v.objs = append(v.objs, obj)
	}
	for _, vs := range p.variants {
		if v := &p.tree[vs.index]; len(v.objs) > 0 && !pl.execute(ctx, oc, v) {
			return false
		}
	}
	return true
}

// asks reports whether the field is asked for at s.
func asks(s *shape, name string) bool {
	return slices.ContainsFunc(s.fields, func(f graphql.CollectedField) bool { return f.Name == name })
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
	below, first := p.under(fi), p.firsts[fi][i]
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
