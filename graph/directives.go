package graph

import (
	"context"
	"slices"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"portalgraph/graph/generated"
	"portalgraph/internal/portal"
)

// Directives enforce at execution what the per-audience schemas already
// hide: defence in depth, should a field ever reach a principal whose
// schema does not contain it. Each access rule is defined once, below;
// the generated code applies it through these directives, and the planner
// through accessRule.
func directives(validate *inputValidator) generated.DirectiveRoot {
	return generated.DirectiveRoot{
		Validated: validate.directive,
		Internal: func(ctx context.Context, _ any, next graphql.Resolver) (any, error) {
			if err := staffOnly(portal.PrincipalFrom(ctx)); err != nil {
				return nil, err
			}
			return next(ctx)
		},
		Audience: func(ctx context.Context, _ any, next graphql.Resolver, only []portal.Audience) (any, error) {
			if err := audienceOnly(portal.PrincipalFrom(ctx), only); err != nil {
				return nil, err
			}
			return next(ctx)
		},
		HasPermission: func(ctx context.Context, _ any, next graphql.Resolver, perm portal.Permission) (any, error) {
			if err := permissionRequired(portal.PrincipalFrom(ctx), perm); err != nil {
				return nil, err
			}
			return next(ctx)
		},
		Feature: func(ctx context.Context, _ any, next graphql.Resolver, key portal.FeatureKey) (any, error) {
			if err := featureEnabled(portal.PrincipalFrom(ctx), key); err != nil {
				return nil, err
			}
			return next(ctx)
		},
	}
}

// featureEnabled is @feature's rule: the key's module is installed on
// this server and the workspace's plan or an add-on includes it. Both
// are read with the principal (Principal.NotInstalled, NotInPlan), so a
// change of plan counts from the next request.
func featureEnabled(p portal.Principal, key portal.FeatureKey) error {
	if !p.HasFeature(key) {
		return portal.FeatureDisabled(key, !p.NotInstalled.Has(key))
	}
	return nil
}

// staffOnly is @internal's rule.
func staffOnly(p portal.Principal) error {
	if !p.IsStaff() {
		return portal.Forbidden("not available")
	}
	return nil
}

// audienceOnly is @audience's rule.
func audienceOnly(p portal.Principal, only []portal.Audience) error {
	if !slices.Contains(only, p.Audience) {
		return portal.Forbidden("not available")
	}
	return nil
}

// permissionRequired is @hasPermission's rule: the principal's own
// (portal.Principal.Require), which the store asks on every write too.
func permissionRequired(p portal.Principal, perm portal.Permission) error {
	return p.Require(perm)
}

// accessRule is the access directives on a type or field of the schema
// the code was generated from, their arguments read once, as the
// generated code applies them: what the planner checks a principal
// against before it resolves the field itself.
type accessRule []func(portal.Principal) error

// accessRuleOf reads the directives ds. A directive that runs at execution
// and is not an access rule makes it false: the planner leaves such a
// type or field to gqlgen.
func accessRuleOf(ds ast.DirectiveList) (accessRule, bool) {
	var rule accessRule
	for _, d := range ds {
		switch d.Name {
		case "internal":
			rule = append(rule, staffOnly)
		case "audience":
			var only []portal.Audience
			list, _ := directiveArgument(d, "only").([]any)
			for _, a := range list {
				s, _ := a.(string)
				only = append(only, portal.Audience(s))
			}
			rule = append(rule, func(p portal.Principal) error { return audienceOnly(p, only) })
		case "hasPermission":
			perm, _ := directiveArgument(d, "permission").(string)
			rule = append(rule, func(p portal.Principal) error { return permissionRequired(p, portal.Permission(perm)) })
		case "feature":
			key, _ := directiveArgument(d, "key").(string)
			rule = append(rule, func(p portal.Principal) error { return featureEnabled(p, portal.FeatureKey(key)) })
		case "goField", "goTag", "goModel", "deprecated", "cost", "listSize", "module":
			// Code generation, documentation and the cost model only.
		default:
			return nil, false
		}
	}
	return rule, true
}

// allows reports whether p passes the rule.
func (r accessRule) allows(p portal.Principal) bool {
	for _, check := range r {
		if check(p) != nil {
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
