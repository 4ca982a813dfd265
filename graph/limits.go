package graph

import (
	"context"
	"fmt"
	"math"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"portalgraph/graph/generated"
	"portalgraph/internal/portal"
)

// queryLimits refuses operations nested too deeply or with too many
// aliases, before anything runs: both are ways to make one request cost
// like thousands. It also refuses, in time linear in the document, the
// operations the complexity limit would refuse: gqlgen's complexity count
// walks a fragment again at every spread, which takes time exponential in
// how deep fragments spreading others twice are nested. It must therefore
// run before the complexity limit.
type queryLimits struct {
	maxDepth      int
	maxAliases    int
	maxComplexity int
}

var _ graphql.OperationContextMutator = queryLimits{}

func (queryLimits) ExtensionName() string                   { return "QueryLimits" }
func (queryLimits) Validate(graphql.ExecutableSchema) error { return nil }

func (l queryLimits) MutateOperationContext(_ context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	m := measure{fragments: oc.Doc.Fragments, depthOf: map[string]int{}, aliasesOf: map[string]int{}, fieldsOf: map[string]int{}}
	if d := m.depth(oc.Operation.SelectionSet); d > l.maxDepth {
		return limitError(fmt.Sprintf("the operation is nested %d levels deep; at most %d are allowed", d, l.maxDepth))
	}
	if aliases := m.aliases(oc.Operation.SelectionSet); aliases > l.maxAliases {
		return limitError(fmt.Sprintf("the operation uses %d aliases; at most %d are allowed", aliases, l.maxAliases))
	}
	if n := m.fields(oc.Operation.SelectionSet); n > l.maxComplexity {
		return &gqlerror.Error{
			Message:    fmt.Sprintf("operation has complexity at least %d, which exceeds the limit of %d", n, l.maxComplexity),
			Extensions: map[string]any{"code": "COMPLEXITY_LIMIT_EXCEEDED"}, // as gqlgen's complexity limit says it
		}
	}
	return nil
}

func limitError(msg string) *gqlerror.Error {
	return &gqlerror.Error{Message: msg, Extensions: map[string]any{"code": string(portal.CodeBadUserInput)}}
}

type measure struct {
	fragments ast.FragmentDefinitionList
	depthOf   map[string]int // memo: validation has already ruled out cycles
	aliasesOf map[string]int // memo, like depthOf
	fieldsOf  map[string]int // memo, like depthOf
}

// maxCount caps counts: fragments spreading a fragment twice, nested a few
// dozen times, would otherwise overflow an int.
const maxCount = 1 << 30

func (m measure) depth(set ast.SelectionSet) int {
	deepest := 0
	for _, sel := range set {
		d := 0
		switch s := sel.(type) {
		case *ast.Field:
			d = 1 + m.depth(s.SelectionSet)
		case *ast.InlineFragment:
			d = m.depth(s.SelectionSet)
		case *ast.FragmentSpread:
			if known, ok := m.depthOf[s.Name]; ok {
				d = known
			} else if f := m.fragments.ForName(s.Name); f != nil {
				d = m.depth(f.SelectionSet)
				m.depthOf[s.Name] = d
			}
		}
		deepest = max(deepest, d)
	}
	return deepest
}

// aliases counts the aliased fields a selection resolves. A fragment's
// aliases count at every spread of it, because each spread resolves them
// again: counting each fragment once would let a few aliased fields in a
// fragment spread many times multiply past the limit.
func (m measure) aliases(set ast.SelectionSet) int {
	n := 0
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			if s.Alias != "" && s.Alias != s.Name {
				n++
			}
			n += m.aliases(s.SelectionSet)
		case *ast.InlineFragment:
			n += m.aliases(s.SelectionSet)
		case *ast.FragmentSpread:
			known, ok := m.aliasesOf[s.Name]
			if !ok {
				if f := m.fragments.ForName(s.Name); f != nil {
					known = m.aliases(f.SelectionSet)
				}
				m.aliasesOf[s.Name] = known
			}
			n += known
		}
		n = min(n, maxCount)
	}
	return n
}

// fields counts the fields a selection selects with its fragments expanded
// at every spread, as gqlgen's complexity count does (including skipping
// __schema). Every field costs at least 1 plus its children there, so the
// count is a lower bound of the complexity.
func (m measure) fields(set ast.SelectionSet) int {
	n := 0
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			if s.Definition != nil && s.Definition.Type.Name() == "__Schema" {
				continue
			}
			n += 1 + m.fields(s.SelectionSet)
		case *ast.InlineFragment:
			n += m.fields(s.SelectionSet)
		case *ast.FragmentSpread:
			known, ok := m.fieldsOf[s.Name]
			if !ok {
				if f := m.fragments.ForName(s.Name); f != nil {
					known = m.fields(f.SelectionSet)
				}
				m.fieldsOf[s.Name] = known
			}
			n += known
		}
		n = min(n, maxCount)
	}
	return n
}

// complexity weighs every connection by the page it asks for, so the
// complexity limit bounds the rows a request can touch. A page larger than
// any connection serves weighs as the largest: the connection refuses it as
// bad input naming first, which says more than an operation too complex.
func complexity() generated.ComplexityRoot {
	var c generated.ComplexityRoot
	pageOf := func(child int, first *int) int {
		n := 20
		if first != nil {
			n = min(max(*first, 1), portal.MaxPageSize)
		}
		// gqlgen caps a child's complexity at the largest int (adding with
		// saturation); multiplied, it must not wrap around to a small one.
		if child > (math.MaxInt-1)/n {
			return math.MaxInt
		}
		return 1 + n*child
	}
	c.Client.Activity = func(child int, first *int, _ *string, _ *portal.ActivityFilter) int { return pageOf(child, first) }
	c.Client.Notes = func(child int, first *int, _ *string) int { return pageOf(child, first) }
	c.Client.Contacts = func(child int, first *int, _ *string, _ []portal.PortalStatus) int { return pageOf(child, first) }
	c.Client.Projects = func(child int, first *int, _ *string, _ *portal.ClientProjectFilter, _ *portal.ProjectOrder) int {
		return pageOf(child, first)
	}
	c.Deliverable.Approvals = func(child int, first *int, _ *string) int { return pageOf(child, first) }
	c.Project.Approvals = c.Deliverable.Approvals
	c.Project.Notes = c.Deliverable.Approvals
	c.Project.Deliverables = func(child int, first *int, _ *string, _ *portal.ProjectDeliverableFilter, _ *portal.DeliverableOrder) int {
		return pageOf(child, first)
	}
	c.Query.Deliverables = func(child int, first *int, _ *string, _ *portal.DeliverableFilter, _ *portal.DeliverableOrder) int {
		return pageOf(child, first)
	}
	c.Query.Clients = func(child int, first *int, _ *string, _ *portal.ClientFilter, _ *portal.ClientOrder) int {
		return pageOf(child, first)
	}
	c.Query.Projects = func(child int, first *int, _ *string, _ *portal.ProjectFilter, _ *portal.ProjectOrder) int {
		return pageOf(child, first)
	}
	c.Query.Users = c.Deliverable.Approvals
	c.Client.Approvals = func(child int, first *int, _ *string, _ []portal.ApprovalStatus) int { return pageOf(child, first) }
	c.Query.Approvals = func(child int, first *int, _ *string, _ *portal.ApprovalFilter, _ *portal.ApprovalOrder) int {
		return pageOf(child, first)
	}
	c.Viewer.PendingApprovals = c.Deliverable.Approvals
	return c
}
