package graph

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/go-playground/validator/v10"
	"github.com/go-playground/validator/v10/non-standard/validators"
	"github.com/vektah/gqlparser/v2/ast"

	"portalgraph/internal/portal"
)

// inputValidator checks field arguments against the rules the schema
// declares with @goTag(key: "validate"). It is the one place input rules
// run: for every field with arguments (mutation inputs, query filters), and
// for a mutation after the caller's permission is confirmed.
type inputValidator struct {
	v *validator.Validate
	// permissions the source schema requires per mutation, so a caller
	// without it learns FORBIDDEN rather than how to shape the input.
	permissions map[string]portal.Permission
}

func newInputValidator(source *ast.Schema) *inputValidator {
	v := validator.New(validator.WithRequiredStructEnabled())
	// Report fields by their GraphQL names.
	v.RegisterTagNameFunc(func(f reflect.StructField) string {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		return name
	})
	_ = v.RegisterValidation("notblank", validators.NotBlank) // a fixed, valid registration
	perms := map[string]portal.Permission{}
	if m := source.Mutation; m != nil {
		for _, f := range m.Fields {
			if d := f.Directives.ForName("hasPermission"); d != nil {
				perms[f.Name] = portal.Permission(d.Arguments.ForName("permission").Value.Raw)
			}
		}
	}
	return &inputValidator{v: v, permissions: perms}
}

// middleware validates the arguments of every field that has any.
func (iv *inputValidator) middleware(ctx context.Context, next graphql.Resolver) (any, error) {
	fc := graphql.GetFieldContext(ctx)
	if fc.Object == "Mutation" {
		if perm, ok := iv.permissions[fc.Field.Name]; ok {
			if err := checkPermission(ctx, perm); err != nil {
				return nil, err
			}
		}
	}
	if len(fc.Args) == 0 {
		return next(ctx)
	}
	var bad []portal.FieldError
	for _, name := range slices.Sorted(maps.Keys(fc.Args)) { // a stable order of errors
		bad = append(bad, iv.check(name, fc.Args[name])...)
	}
	if len(bad) > 0 {
		return nil, portal.Invalid(bad...)
	}
	return next(ctx)
}

func (iv *inputValidator) check(argName string, arg any) []portal.FieldError {
	rv := reflect.ValueOf(arg)
	for rv.Kind() == reflect.Pointer {
		if rv.IsNil() {
			return nil
		}
		rv = rv.Elem()
	}
	if rv.Kind() != reflect.Struct {
		return nil
	}
	err := iv.v.Struct(rv.Interface())
	var errs validator.ValidationErrors
	if !errors.As(err, &errs) {
		return nil
	}
	out := make([]portal.FieldError, len(errs))
	for i, fe := range errs {
		// Namespace is "GoType.field.sub"; the client knows it as "arg.field.sub".
		_, path, _ := strings.Cut(fe.Namespace(), ".")
		out[i] = portal.FieldError{Field: argName + "." + path, Message: fieldMessage(fe)}
	}
	return out
}

func fieldMessage(fe validator.FieldError) string {
	text := fe.Kind() == reflect.String
	switch fe.Tag() {
	case "required":
		return "is required"
	case "notblank":
		return "must not be blank"
	case "email":
		return "must be an email address"
	case "http_url":
		return "must be an http or https URL"
	case "iso3166_1_alpha2":
		return "must be a two-letter ISO 3166 country code"
	case "oneof":
		return "must be one of " + strings.ReplaceAll(fe.Param(), " ", ", ")
	case "max":
		if text {
			return fmt.Sprintf("must be at most %s characters long", fe.Param())
		}
		return "must be at most " + fe.Param()
	case "min":
		if text {
			return fmt.Sprintf("must be at least %s characters long", fe.Param())
		}
		return "must be at least " + fe.Param()
	case "gte":
		return "must be at least " + fe.Param()
	case "lte":
		return "must be at most " + fe.Param()
	}
	return "is invalid (" + fe.Tag() + ")"
}
