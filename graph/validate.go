package graph

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/go-playground/validator/v10"
	"github.com/go-playground/validator/v10/non-standard/validators"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"portalgraph/internal/portal"
)

// inputValidator checks inputs marked @validated against the rules their
// fields declare with @goTag(key: "validate"): the one place input rules
// run. gqlgen runs it as each such input is decoded, before the field's
// resolver, so nothing runs on bad input; a mutation's permission is
// checked first, so a caller without it learns FORBIDDEN rather than how to
// shape the input.
type inputValidator struct {
	v *validator.Validate
	// permissions the source schema requires per mutation.
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

// directive is @validated: next yields the decoded input.
func (iv *inputValidator) directive(ctx context.Context, _ any, next graphql.Resolver) (any, error) {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil {
		// Decoded outside a field, to weigh the operation's complexity:
		// the field checks it again when it runs.
		return next(ctx)
	}
	if fc.Object == "Mutation" {
		if perm, ok := iv.permissions[fc.Field.Name]; ok {
			if err := permissionRequired(portal.PrincipalFrom(ctx), perm); err != nil {
				return nil, onField(fc, err)
			}
		}
	}
	input, err := next(ctx)
	if err != nil {
		return nil, err
	}
	err = iv.v.Struct(input)
	var errs validator.ValidationErrors
	if !errors.As(err, &errs) {
		return input, nil
	}
	prefix := inputPath(ctx)
	bad := make([]portal.FieldError, len(errs))
	for i, fe := range errs {
		// Namespace is "GoType.field.sub"; the client knows it as "input.field.sub".
		_, path, _ := strings.Cut(fe.Namespace(), ".")
		bad[i] = portal.FieldError{Field: prefix + "." + path, Message: fieldMessage(fe)}
	}
	return nil, onField(fc, portal.Invalid(bad...))
}

// onField reports an error about an argument at the field it belongs to:
// the arguments are not part of the response its path points into.
func onField(fc *graphql.FieldContext, err error) error {
	return &gqlerror.Error{Message: err.Error(), Path: fc.Path(), Err: err}
}

// inputPath is where the input being decoded sits among the field's
// arguments, e.g. "input" or "filter".
func inputPath(ctx context.Context) string {
	var parts []string
	for pc := graphql.GetPathContext(ctx); pc != nil; pc = pc.Parent {
		switch {
		case pc.Field != nil:
			parts = append(parts, *pc.Field)
		case pc.Index != nil:
			parts = append(parts, strconv.Itoa(*pc.Index))
		}
	}
	slices.Reverse(parts)
	return strings.Join(parts, ".")
}

func fieldMessage(fe validator.FieldError) string {
	text := fe.Kind() == reflect.String
	list := fe.Kind() == reflect.Slice || fe.Kind() == reflect.Array
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
		if list {
			return fmt.Sprintf("must have at most %s", items(fe.Param()))
		}
		return "must be at most " + fe.Param()
	case "min":
		if text {
			return fmt.Sprintf("must be at least %s characters long", fe.Param())
		}
		if list {
			return fmt.Sprintf("must have at least %s", items(fe.Param()))
		}
		return "must be at least " + fe.Param()
	case "unique":
		return "must not contain duplicates"
	case "printascii":
		return "must contain only printable ASCII characters"
	case "gte":
		return "must be at least " + fe.Param()
	case "lte":
		return "must be at most " + fe.Param()
	}
	return "is invalid (" + fe.Tag() + ")"
}

// items counts list items in words: "1 item", "20 items".
func items(n string) string {
	if n == "1" {
		return "1 item"
	}
	return n + " items"
}
