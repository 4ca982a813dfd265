package graph

import (
	"context"
	"slices"

	"github.com/99designs/gqlgen/graphql"

	"portalgraph/graph/generated"
	"portalgraph/internal/portal"
)

// Directives enforce at execution what the per-audience schemas already
// hide: defence in depth, should a field ever reach a principal whose
// schema does not contain it.
func directives(validate *inputValidator) generated.DirectiveRoot {
	return generated.DirectiveRoot{
		Validated: validate.directive,
		Internal: func(ctx context.Context, _ any, next graphql.Resolver) (any, error) {
			if !portal.PrincipalFrom(ctx).IsStaff() {
				return nil, portal.Forbidden("not available")
			}
			return next(ctx)
		},
		Audience: func(ctx context.Context, _ any, next graphql.Resolver, only []portal.Audience) (any, error) {
			if !slices.Contains(only, portal.PrincipalFrom(ctx).Audience) {
				return nil, portal.Forbidden("not available")
			}
			return next(ctx)
		},
		HasPermission: func(ctx context.Context, _ any, next graphql.Resolver, perm portal.Permission) (any, error) {
			if err := checkPermission(ctx, perm); err != nil {
				return nil, err
			}
			return next(ctx)
		},
	}
}

func checkPermission(ctx context.Context, perm portal.Permission) error {
	if !portal.PrincipalFrom(ctx).Can(perm) {
		return portal.Forbidden("the %s permission is required", perm)
	}
	return nil
}
