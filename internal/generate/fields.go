package main

import (
	"fmt"
	"go/types"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/99designs/gqlgen/codegen"
	"github.com/99designs/gqlgen/codegen/config"
	"github.com/99designs/gqlgen/codegen/templates"
)

// fieldsPlugin writes, from the very data gqlgen generates its executor
// from, what lets graph's planner execute a field as that executor would
// without a second definition of it:
//
//   - BoundFields: every field gqlgen reads from its object's Go value (no
//     resolver). A scalar or enum leaf is written by the marshaler gqlgen
//     calls for it; an object field returns the objects it holds.
//   - ResolverFields: every field read through a resolver.
//   - ObjectGoTypes: the Go type of every executed object type.
//   - FieldArgs: a field's arguments, read by gqlgen's own argument code
//     (defaults, scalars, input directives).
//
// A field whose binding it cannot express fails generation, so no field is
// ever left out silently.
type fieldsPlugin struct{ filename string }

func (fieldsPlugin) Name() string { return "portalgraph-fields" }

func (p fieldsPlugin) GenerateCode(data *codegen.Data) error {
	var code string
	var genErr error
	err := templates.Render(templates.Options{
		PackageName:     filepath.Base(filepath.Dir(p.filename)),
		Filename:        p.filename,
		GeneratedHeader: true,
		Packages:        data.Config.Packages,
		Data:            data,
		Template:        `{{ fieldsCode . }}`,
		Funcs: map[string]any{"fieldsCode": func(d *codegen.Data) string {
			code, genErr = fieldsCode(d)
			return code
		}},
	})
	if genErr != nil {
		return genErr
	}
	return err
}

// executed are the object types whose fields an executor resolves: all but
// the roots of operations with side effects, and introspection's.
func executed(data *codegen.Data) []*codegen.Object {
	var out []*codegen.Object
	for _, o := range data.Objects {
		if strings.HasPrefix(o.Name, "__") || o == data.MutationRoot || o == data.SubscriptionRoot {
			continue
		}
		out = append(out, o)
	}
	slices.SortFunc(out, func(a, b *codegen.Object) int { return strings.Compare(a.Name, b.Name) })
	return out
}

func fieldsCode(data *codegen.Data) (string, error) {
	var b strings.Builder
	ref := templates.CurrentImports.LookupType
	io := templates.CurrentImports.Lookup("io")
	gql := templates.CurrentImports.Lookup("github.com/99designs/gqlgen/graphql")
	ctx := templates.CurrentImports.Lookup("context")
	isEnum := generatedEnums(data)

	fmt.Fprintf(&b, `// BoundField is a field gqlgen reads from its object's Go value, with no
// resolver. Exactly one of its functions is set.
type BoundField struct {
	// Leaf writes a scalar or enum value's JSON with the marshaler gqlgen
	// calls for it; false when gqlgen would answer an error instead (a null
	// where the schema forbids one).
	Leaf func(ctx %[2]s.Context, w %[1]s.Writer, obj any) bool
	// Held returns what an object-typed field's value holds: an object, a
	// list of objects ([]any, an absent one nil), or nil.
	Held func(obj any) any
	// Field is the name of the Go struct field the value is, "" when a
	// method returns it: what a read must fill for the field to be
	// answered (portal.Fields).
	Field string
}

// BoundFields are the fields of every executed object type that have no
// resolver, by "Type.field".
func BoundFields() map[string]BoundField {
	return map[string]BoundField{
`, io, ctx)
	var resolved []string
	var resolvedLeaves, withArgs []*codegen.Field
	for _, o := range executed(data) {
		objType := ref(o.Reference())
		for _, f := range o.Fields {
			if f.IsReserved() {
				continue
			}
			if len(f.Args) > 0 {
				withArgs = append(withArgs, f)
			}
			if f.IsResolver {
				resolved = append(resolved, o.Name+"."+f.Name)
				if f.TypeReference.Definition.IsLeafType() {
					resolvedLeaves = append(resolvedLeaves, f)
				}
				continue
			}
			value, err := valueExpr(f, "obj.("+objType+")")
			if err != nil {
				return "", err
			}
			key := strconv.Quote(o.Name + "." + f.Name)
			if f.TypeReference.Definition.IsLeafType() {
				body, err := leafCode(f.TypeReference, "v", gql, io, isEnum)
				if err != nil {
					return "", fmt.Errorf("%s.%s: %w", o.Name, f.Name, err)
				}
				fmt.Fprintf(&b, "%s: {Field: %q, Leaf: func(ctx %s.Context, w %s.Writer, obj any) bool {\nv := %s\n%s\nreturn true\n}},\n", key, structField(f), ctx, io, value, body)
				continue
			}
			body, err := heldCode(f, value)
			if err != nil {
				return "", fmt.Errorf("%s.%s: %w", o.Name, f.Name, err)
			}
			fmt.Fprintf(&b, "%s: {Field: %q, Held: func(obj any) any {\n%s\n}},\n", key, structField(f), body)
		}
	}
	b.WriteString("}\n}\n\n")

	b.WriteString("// ResolverFields are the fields of every executed object type read through\n// a resolver, by \"Type.field\".\nfunc ResolverFields() []string {\nreturn []string{\n")
	for _, name := range resolved {
		fmt.Fprintf(&b, "%q,\n", name)
	}
	b.WriteString("}\n}\n\n")

	fmt.Fprintf(&b, `// ResolvedLeaves write the values resolvers of scalar and enum fields
// return, by "Type.field", as gqlgen's marshalers do; false where gqlgen
// would answer an error.
func ResolvedLeaves() map[string]func(ctx %[1]s.Context, w %[2]s.Writer, v any) bool {
	return map[string]func(ctx %[1]s.Context, w %[2]s.Writer, v any) bool{
`, ctx, io)
	for _, f := range resolvedLeaves {
		body, err := leafCode(f.TypeReference, "v", gql, io, isEnum)
		if err != nil {
			return "", fmt.Errorf("%s.%s: %w", f.Object.Name, f.Name, err)
		}
		fmt.Fprintf(&b, "%q: func(ctx %s.Context, w %s.Writer, value any) bool {\nv, ok := value.(%s)\nif !ok {\nreturn false\n}\n%s\nreturn true\n},\n",
			f.Object.Name+"."+f.Name, ctx, io, ref(f.TypeReference.GO), body)
	}
	b.WriteString("}\n}\n\n")

	reflectPkg := templates.CurrentImports.Lookup("reflect")
	fmt.Fprintf(&b, "// ObjectGoTypes are the Go types of the executed object types' values,\n// by GraphQL type.\nfunc ObjectGoTypes() map[string]%[1]s.Type {\nreturn map[string]%[1]s.Type{\n", reflectPkg)
	for _, o := range executed(data) {
		if o.Type == nil { // the query root, which has no value
			continue
		}
		fmt.Fprintf(&b, "%q: %s.TypeFor[%s](),\n", o.Name, reflectPkg, ref(o.Type))
	}
	b.WriteString("}\n}\n\n")

	b.WriteString("// TypeName is the GraphQL type of an object of an interface or union,\n// by its Go type; \"\" for none.\nfunc TypeName(obj any) string {\nswitch obj.(type) {\n")
	seen := map[string]string{}
	for _, o := range executed(data) {
		if len(data.Schema.GetImplements(o.Definition)) == 0 {
			continue
		}
		goType := ref(o.Reference())
		if other, dup := seen[goType]; dup {
			return "", fmt.Errorf("%s and %s, both of an interface or union, share the Go type %s", other, o.Name, goType)
		}
		seen[goType] = o.Name
		fmt.Fprintf(&b, "case %s:\nreturn %q\n", goType, o.Name)
	}
	b.WriteString("}\nreturn \"\"\n}\n\n")

	fmt.Fprintf(&b, `// FieldArgs reads the arguments of a field ("Type.field") of an executed
// object type, from their values in the query with variables substituted,
// by the code gqlgen runs before a resolver: defaults applied, scalars and
// inputs unmarshaled, the directives on input types run. es is the
// executable schema whose directives to run.
func FieldArgs(ctx %[1]s.Context, es %[2]s.ExecutableSchema, field string, raw map[string]any) (map[string]any, error) {
	ec := newExecutionContext(%[2]s.GetOperationContext(ctx), es.(*executableSchema), nil)
	switch field {
`, ctx, gql)
	for _, f := range withArgs {
		fmt.Fprintf(&b, "case %q:\nreturn ec.%s(ctx, raw)\n", f.Object.Name+"."+f.Name, f.ArgsFunc())
	}
	b.WriteString("}\nreturn map[string]any{}, nil\n}\n")
	return b.String(), nil
}

// structField is the Go struct field a bound field's value is; "" for a
// method's.
func structField(f *codegen.Field) string {
	if f.IsVariable() {
		return f.GoFieldName
	}
	return ""
}

// valueExpr is the Go expression of a bound field's value, as the
// generated field code reads it.
func valueExpr(f *codegen.Field, obj string) (string, error) {
	switch {
	case f.IsVariable():
		return obj + "." + f.GoFieldName, nil
	case f.IsMethod() && f.NoErr && !f.VOkFunc && !f.HasHaser && !f.MethodHasContext && len(f.Args) == 0:
		return obj + "." + f.GoFieldName + "()", nil
	}
	return "", fmt.Errorf("%s.%s: bound in a way the planner's fields do not express (a map, a method with a context, arguments or an error)", f.Object.Name, f.Name)
}

// leafCode writes the statements that write v, a scalar or enum value of
// the type ref, as the marshal function gqlgen generates for ref does, and
// return false wherever that function would give a null where the schema
// forbids one.
func leafCode(ref *config.TypeReference, v, gql, io string, isEnum func(*config.TypeReference) bool) (string, error) {
	switch {
	case ref.IsPtrToSlice(), ref.IsPtrToIntf(), ref.IsPtrToPtr(), ref.HasEnumValues():
		return "", fmt.Errorf("the Go type %s is bound in a way the planner's fields do not express", ref.GO)
	case ref.IsSlice():
		elem, err := leafCode(ref.Elem(), "e", gql, io, isEnum)
		if err != nil {
			return "", err
		}
		loop := fmt.Sprintf("%[1]s.WriteString(w, \"[\")\nfor i, e := range %[2]s {\nif i > 0 {\n%[1]s.WriteString(w, \",\")\n}\n%[3]s\n}\n%[1]s.WriteString(w, \"]\")", io, v, elem)
		if ref.GQL.NonNull {
			return loop, nil
		}
		return fmt.Sprintf("if %s == nil {\n%s.WriteString(w, \"null\")\n} else {\n%s\n}", v, io, loop), nil
	}
	var write string
	switch {
	case ref.IsMarshaler && ref.IsContext:
		write = fmt.Sprintf("if %s.MarshalGQLContext(ctx, w) != nil {\nreturn false\n}", v)
	case ref.IsMarshaler && isEnum(ref):
		// What the enum's MarshalGQL writes, without its allocations; a
		// nullable enum is a pointer, written below only when not nil.
		arg := v
		if ref.IsNilable() {
			arg = "*" + v
		}
		write = fmt.Sprintf("%s.WriteEnum(w, %s)", templates.CurrentImports.Lookup("portalgraph/graph/scalar"), arg)
	case ref.IsMarshaler:
		write = v + ".MarshalGQL(w)"
	case ref.Marshaler != nil:
		arg := v
		switch {
		case ref.IsTargetNilable() && !ref.IsNilable():
			arg = "&" + v
		case !ref.IsTargetNilable() && ref.IsNilable():
			arg = "*" + v
		}
		if ref.CastType != nil {
			arg = templates.CurrentImports.LookupType(ref.CastType) + "(" + arg + ")"
		}
		call := templates.Call(ref.Marshaler) + "(" + arg + ")"
		writer := writerOf(ref.Marshaler)
		switch {
		case writer != nil && ref.GQL.NonNull:
			write = fmt.Sprintf("if !%s(w, %s) {\nreturn false\n}", templates.Call(writer), arg)
		case writer != nil:
			write = fmt.Sprintf("if !%s(w, %s) {\n%s.WriteString(w, \"null\")\n}", templates.Call(writer), arg, io)
		case ref.IsContext:
			// A context marshaler answers an error, never a null.
			write = fmt.Sprintf("if %s.MarshalGQLContext(ctx, w) != nil {\nreturn false\n}", call)
		case ref.GQL.NonNull:
			write = fmt.Sprintf("if res := %s; res == %s.Null {\nreturn false\n} else {\nres.MarshalGQL(w)\n}", call, gql)
		default:
			write = call + ".MarshalGQL(w)"
		}
	default:
		return "", fmt.Errorf("the Go type %s has no marshaler", ref.GO)
	}
	if !ref.IsNilable() {
		return write, nil
	}
	null := io + `.WriteString(w, "null")`
	if ref.GQL.NonNull {
		null = "return false"
	}
	return fmt.Sprintf("if %s == nil {\n%s\n} else {\n%s\n}", v, null, write), nil
}

// writerOf is the function a marshaler's package offers beside it to
// write a value straight to the writer, false for a null, as the
// marshaler would: Write<X>(io.Writer, T) bool beside Marshal<X>(T). A
// marshaler that may answer null returns one of two Marshaler types, so
// the compiler cannot see which is called and the writer it closes over
// escapes: an allocation per value that the plain call does not make.
func writerOf(m *types.Func) *types.Func {
	name, ok := strings.CutPrefix(m.Name(), "Marshal")
	if !ok || m.Pkg() == nil {
		return nil
	}
	w, ok := m.Pkg().Scope().Lookup("Write" + name).(*types.Func)
	if !ok {
		return nil
	}
	ws, ms := w.Type().(*types.Signature), m.Type().(*types.Signature)
	if ws.Params().Len() != 2 || ms.Params().Len() != 1 || ws.Results().Len() != 1 ||
		ws.Params().At(0).Type().String() != "io.Writer" ||
		!types.Identical(ws.Params().At(1).Type(), ms.Params().At(0).Type()) ||
		!types.Identical(ws.Results().At(0).Type(), types.Typ[types.Bool]) {
		return nil
	}
	return w
}

// heldCode returns the statements that return what an object-typed
// field's value holds: a pointer to an object (nil for none), or []any of
// them.
func heldCode(f *codegen.Field, value string) (string, error) {
	t := f.TypeReference.GO
	if s, ok := t.(*types.Slice); ok {
		elem := s.Elem()
		switch {
		case isPointerOrInterface(elem):
			return fmt.Sprintf("v := %s\nout := make([]any, len(v))\nfor i, e := range v {\nif e != nil {\nout[i] = e\n}\n}\nreturn out", value), nil
		case isStruct(elem):
			return fmt.Sprintf("v := %s\nout := make([]any, len(v))\nfor i := range v {\nout[i] = &v[i]\n}\nreturn out", value), nil
		}
		return "", fmt.Errorf("a list of %s is not a list of objects", elem)
	}
	switch {
	case isPointerOrInterface(t):
		return fmt.Sprintf("if v := %s; v != nil {\nreturn v\n}\nreturn nil", value), nil
	case isStruct(t) && f.IsVariable():
		return fmt.Sprintf("return &%s", value), nil
	case isStruct(t):
		return fmt.Sprintf("v := %s\nreturn &v", value), nil
	}
	return "", fmt.Errorf("the Go type %s is not an object", t)
}

// generatedEnums returns whether a type reference is an enum gqlgen
// generated into models_gen.go: a string type whose MarshalGQL writes
// strconv.Quote of its value.
func generatedEnums(data *codegen.Data) func(*config.TypeReference) bool {
	return func(ref *config.TypeReference) bool {
		if ref.Definition.Kind != "ENUM" {
			return false
		}
		t := ref.GO
		if p, ok := t.(*types.Pointer); ok {
			t = p.Elem()
		}
		named, ok := types.Unalias(t).(*types.Named)
		if !ok || named.Obj().Pkg() == nil {
			return false
		}
		if basic, ok := named.Underlying().(*types.Basic); !ok || basic.Kind() != types.String {
			return false
		}
		pkg := data.Config.Packages.Load(named.Obj().Pkg().Path())
		return pkg != nil && pkg.Fset != nil && filepath.Base(pkg.Fset.Position(named.Obj().Pos()).Filename) == filepath.Base(data.Config.Model.Filename)
	}
}

func isPointerOrInterface(t types.Type) bool {
	switch types.Unalias(t).(type) {
	case *types.Pointer:
		return true
	}
	_, ok := t.Underlying().(*types.Interface)
	return ok
}

func isStruct(t types.Type) bool {
	_, ok := t.Underlying().(*types.Struct)
	return ok
}
