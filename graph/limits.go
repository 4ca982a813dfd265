package graph

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/lexer"
	"github.com/vektah/gqlparser/v2/parser"

	"portalgraph/internal/portal"
)

// Limits bound what one request of an audience may be. They are checked
// cheapest first, so that refusing a request costs little: the body's
// size while it is read, its tokens while it is parsed, its fields, depth,
// aliases and repeated fields before it is validated, its cost (cost.go)
// before it runs, and the principal's budget last.
type Limits struct {
	MaxBodyBytes int // the JSON body of a request (uploads have their own limits)
	MaxTokens    int // lexical tokens of the document
	// MaxFields bounds the fields of the document with every fragment
	// expanded where it is spread: what validation and execution walk.
	MaxFields  int
	MaxDepth   int // nesting, through fragments
	MaxAliases int // aliased fields, counted at every spread
	MaxCost    int // the operation's cost (cost.go)
	// BudgetPerMinute is the cost a principal may spend per minute,
	// across every server process sharing a database; -1 sets none.
	BudgetPerMinute int
}

// maxSameField bounds how often one response name may be selected at one
// place. Validation compares every two selections of a name at a place
// (overlapping fields must merge), which takes time quadratic in the
// repeats; no honest query names a field there more than a few times.
const maxSameField = 30

// DefaultLimits are the limits of an audience unless configured
// otherwise: an anonymous caller needs little more than signing in, a
// portal page less than a staff list, a partner's dashboard as much as a
// portal page.
func DefaultLimits(a portal.Audience) Limits {
	switch a {
	case portal.AudienceStaff:
		return Limits{MaxBodyBytes: 1 << 20, MaxTokens: 10_000, MaxFields: 2_000, MaxDepth: 20, MaxAliases: 30, MaxCost: 500_000, BudgetPerMinute: 5_000_000}
	case portal.AudiencePortal:
		return Limits{MaxBodyBytes: 256 << 10, MaxTokens: 10_000, MaxFields: 1_000, MaxDepth: 20, MaxAliases: 30, MaxCost: 250_000, BudgetPerMinute: 2_500_000}
	case portal.AudiencePartner:
		// A dashboard reads more than a portal page, and polls: each key
		// has a budget of its own.
		return Limits{MaxBodyBytes: 256 << 10, MaxTokens: 10_000, MaxFields: 2_000, MaxDepth: 20, MaxAliases: 30, MaxCost: 250_000, BudgetPerMinute: 2_500_000}
	}
	return Limits{MaxBodyBytes: 64 << 10, MaxTokens: 5_000, MaxFields: 500, MaxDepth: 20, MaxAliases: 30, MaxCost: 1_000, BudgetPerMinute: 20_000}
}

// limitSettings names each limit as PORTALGRAPH_LIMITS spells it.
func (l *Limits) settings() map[string]*int {
	return map[string]*int{
		"maxBodyBytes": &l.MaxBodyBytes, "maxTokens": &l.MaxTokens, "maxFields": &l.MaxFields, "maxDepth": &l.MaxDepth,
		"maxAliases": &l.MaxAliases, "maxCost": &l.MaxCost, "budgetPerMinute": &l.BudgetPerMinute,
	}
}

// over returns l with every limit set in o replacing l's.
func (l Limits) over(o Limits) Limits {
	set := o.settings()
	for name, p := range l.settings() {
		if v := *set[name]; v != 0 {
			*p = v
		}
	}
	return l
}

// ParseLimits reads limits as PORTALGRAPH_LIMITS writes them: comma-
// separated settings of the form audience.limit=value, such as
// "portal.maxCost=30000,staff.budgetPerMinute=-1".
func ParseLimits(spec string) (map[portal.Audience]Limits, error) {
	out := map[portal.Audience]Limits{}
	for item := range strings.SplitSeq(spec, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		key, value, ok := strings.Cut(item, "=")
		aud, name, ok2 := strings.Cut(key, ".")
		a := portal.Audience(strings.ToUpper(strings.TrimSpace(aud)))
		if !ok || !ok2 || !a.IsValid() {
			return nil, fmt.Errorf("limit %q: want audience.limit=value, with an audience of %v", item, portal.AllAudience)
		}
		l := out[a]
		p, known := l.settings()[strings.TrimSpace(name)]
		if !known {
			return nil, fmt.Errorf("limit %q: no limit %q; the limits are maxBodyBytes, maxTokens, maxFields, maxDepth, maxAliases, maxCost and budgetPerMinute", item, name)
		}
		n, err := strconv.Atoi(strings.TrimSpace(value))
		if err != nil || n < -1 || n == 0 || (n == -1 && name != "budgetPerMinute") {
			return nil, fmt.Errorf("limit %q: want a positive number (or -1 for no budget)", item)
		}
		*p = n
		out[a] = l
	}
	return out, nil
}

// limitError refuses an operation over a limit; the error presenter shows
// it with the limit's name, maximum and the operation's figure.
func limitError(limit string, maximum, actual int, message string) *gqlerror.Error {
	err := portal.LimitExceeded(limit, int64(maximum), int64(actual), message)
	return &gqlerror.Error{Message: err.Message, Err: err}
}

// shapeCheck refuses, before validation, documents too large or too
// deeply nested to validate and run cheaply. It parses the document
// itself (a cached document has passed already): validation time grows
// with the fields a document expands to, and quadratically with the times
// one field is named at one place, so both are counted first. Syntax
// errors are left to gqlgen's own parse, which reports them as usual.
type shapeCheck struct {
	limits Limits
	cache  graphql.Cache[*ast.QueryDocument]
}

var _ graphql.OperationParameterMutator = shapeCheck{}

func (shapeCheck) ExtensionName() string                   { return "ShapeCheck" }
func (shapeCheck) Validate(graphql.ExecutableSchema) error { return nil }

func (c shapeCheck) MutateOperationParameters(ctx context.Context, raw *graphql.RawParams) *gqlerror.Error {
	if _, ok := c.cache.Get(ctx, raw.Query); ok {
		return nil
	}
	src := &ast.Source{Input: raw.Query}
	doc, err := parser.ParseQueryWithTokenLimit(src, c.limits.MaxTokens)
	if err != nil {
		if n := countTokens(src); n > c.limits.MaxTokens {
			return limitError("maxTokens", c.limits.MaxTokens, n, fmt.Sprintf("the document has %d tokens; at most %d are allowed", n, c.limits.MaxTokens))
		}
		return nil
	}
	m := newMeasure(doc.Fragments)
	fields, depth, aliases := 0, 0, 0
	for _, op := range doc.Operations {
		fields = addCapped(fields, m.fields(op.SelectionSet))
		depth = max(depth, m.depth(op.SelectionSet))
		aliases = max(aliases, m.aliases(op.SelectionSet))
		m.level(op.SelectionSet)
	}
	for _, f := range doc.Fragments {
		m.fragmentLevel(f.Name) // validated too, spread or not
	}
	l := c.limits
	switch {
	case depth > l.MaxDepth:
		return limitError("maxDepth", l.MaxDepth, depth, fmt.Sprintf("the operation is nested %d levels deep; at most %d are allowed", depth, l.MaxDepth))
	case aliases > l.MaxAliases:
		return limitError("maxAliases", l.MaxAliases, aliases, fmt.Sprintf("the operation uses %d aliases; at most %d are allowed", aliases, l.MaxAliases))
	case fields > l.MaxFields:
		return limitError("maxFields", l.MaxFields, fields, fmt.Sprintf("the operation selects %d fields with its fragments expanded; at most %d are allowed", fields, l.MaxFields))
	case m.mostRepeated > maxSameField:
		return limitError("maxSameField", maxSameField, m.mostRepeated, fmt.Sprintf("the operation selects %q %d times at one place; at most %d are allowed", m.repeatedName, m.mostRepeated, maxSameField))
	}
	return nil
}

// countTokens counts a document's lexical tokens, up to a lexing error.
func countTokens(src *ast.Source) int {
	lex := lexer.New(src)
	n := 0
	for {
		tok, err := lex.ReadToken()
		if err != nil || tok.Kind == lexer.EOF {
			return n
		}
		n++
	}
}

// measure sizes an unvalidated document. Every fragment is measured once
// and remembered, so documents whose fragments spread others many times
// are measured in time linear in their length; a fragment spreading
// itself, which validation will refuse, counts as empty where it recurs.
type measure struct {
	fragments ast.FragmentDefinitionList
	depthOf   map[string]int
	aliasesOf map[string]int
	fieldsOf  map[string]int
	levelOf   map[string]map[string]int
	visiting  map[string]bool

	mostRepeated int
	repeatedName string
}

func newMeasure(fragments ast.FragmentDefinitionList) *measure {
	return &measure{fragments: fragments, depthOf: map[string]int{}, aliasesOf: map[string]int{}, fieldsOf: map[string]int{},
		levelOf: map[string]map[string]int{}, visiting: map[string]bool{}}
}

// spread measures a spread fragment once, with memo as its memory.
func spread[T any](m *measure, name string, memo map[string]T, of func(ast.SelectionSet) T) T {
	if known, ok := memo[name]; ok || m.visiting[name] {
		return known
	}
	var v T
	if f := m.fragments.ForName(name); f != nil {
		m.visiting[name] = true
		v = of(f.SelectionSet)
		delete(m.visiting, name)
	}
	memo[name] = v
	return v
}

func (m *measure) depth(set ast.SelectionSet) int {
	deepest := 0
	for _, sel := range set {
		d := 0
		switch s := sel.(type) {
		case *ast.Field:
			d = 1 + m.depth(s.SelectionSet)
		case *ast.InlineFragment:
			d = m.depth(s.SelectionSet)
		case *ast.FragmentSpread:
			d = spread(m, s.Name, m.depthOf, m.depth)
		}
		deepest = max(deepest, d)
	}
	return deepest
}

// aliases counts the aliased fields a selection resolves. A fragment's
// aliases count at every spread of it, because each spread resolves them
// again.
func (m *measure) aliases(set ast.SelectionSet) int {
	n := 0
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			if s.Alias != "" && s.Alias != s.Name {
				n++
			}
			n = addCapped(n, m.aliases(s.SelectionSet))
		case *ast.InlineFragment:
			n = addCapped(n, m.aliases(s.SelectionSet))
		case *ast.FragmentSpread:
			n = addCapped(n, spread(m, s.Name, m.aliasesOf, m.aliases))
		}
	}
	return n
}

// fields counts the fields a selection selects with its fragments
// expanded at every spread.
func (m *measure) fields(set ast.SelectionSet) int {
	n := 0
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			n = addCapped(n, 1+m.fields(s.SelectionSet))
		case *ast.InlineFragment:
			n = addCapped(n, m.fields(s.SelectionSet))
		case *ast.FragmentSpread:
			n = addCapped(n, spread(m, s.Name, m.fieldsOf, m.fields))
		}
	}
	return n
}

// level counts how often each response name is selected at the place of
// a selection set, through its fragments, and measures the places below;
// the most repeated name of any place is kept.
func (m *measure) level(set ast.SelectionSet) map[string]int {
	names := map[string]int{}
	add := func(name string, n int) {
		names[name] = addCapped(names[name], n)
		if names[name] > m.mostRepeated {
			m.mostRepeated, m.repeatedName = names[name], name
		}
	}
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			add(s.Alias, 1) // the parser sets the alias to the name when none is given
			m.level(s.SelectionSet)
		case *ast.InlineFragment:
			for name, n := range m.level(s.SelectionSet) {
				add(name, n)
			}
		case *ast.FragmentSpread:
			for name, n := range m.fragmentLevel(s.Name) {
				add(name, n)
			}
		}
	}
	return names
}

func (m *measure) fragmentLevel(name string) map[string]int {
	return spread(m, name, m.levelOf, m.level)
}
