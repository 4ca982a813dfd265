package audience

import (
	"maps"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"
	"github.com/vektah/gqlparser/v2/validator"
	"github.com/vektah/gqlparser/v2/validator/rules"

	"portalgraph/internal/portal"
)

func realSource(t *testing.T) *ast.Source {
	t.Helper()
	b, err := os.ReadFile("../../schema.graphqls")
	if err != nil {
		t.Fatal(err)
	}
	return &ast.Source{Name: "schema.graphqls", Input: string(b)}
}

func derive(t *testing.T, src *ast.Source, aud portal.Audience) *ast.Schema {
	t.Helper()
	s, err := Derive(src, aud)
	if err != nil {
		t.Fatalf("Derive(%s): %v", aud, err)
	}
	return s
}

// index names every non-built-in element of a schema as a path:
// "Type", "Type.field", "Type.field(arg)", "Enum.VALUE", "Input.field",
// "Type implements Iface", "Union = Member", "@directive", "@directive(arg)",
// "schema query: Query".
func index(s *ast.Schema) map[string]bool {
	m := map[string]bool{}
	for op, root := range map[string]*ast.Definition{"query": s.Query, "mutation": s.Mutation, "subscription": s.Subscription} {
		if root != nil {
			m["schema "+op+": "+root.Name] = true
		}
	}
	for name, t := range s.Types {
		if t.BuiltIn || strings.HasPrefix(name, "__") {
			continue
		}
		m[name] = true
		for _, f := range t.Fields {
			if strings.HasPrefix(f.Name, "__") {
				continue
			}
			m[name+"."+f.Name] = true
			for _, a := range f.Arguments {
				m[name+"."+f.Name+"("+a.Name+")"] = true
			}
		}
		for _, v := range t.EnumValues {
			m[name+"."+v.Name] = true
		}
		for _, i := range t.Interfaces {
			m[name+" implements "+i] = true
		}
		for _, u := range t.Types {
			m[name+" = "+u] = true
		}
	}
	for name, d := range s.Directives {
		if builtIn(d.Position) {
			continue
		}
		m["@"+name] = true
		for _, a := range d.Arguments {
			m["@"+name+"("+a.Name+")"] = true
		}
	}
	return m
}

// bare returns the element name of an index path, or "" for paths that only
// relate two elements (implements, union membership, roots) or name directives.
func bare(path string) string {
	switch {
	case strings.HasPrefix(path, "@"), strings.HasPrefix(path, "schema "),
		strings.Contains(path, " implements "), strings.Contains(path, " = "):
		return ""
	case strings.HasSuffix(path, ")"):
		return path[strings.Index(path, "(")+1 : len(path)-1]
	default:
		return path[strings.LastIndex(path, ".")+1:]
	}
}

// directiveUses lists every directive applied anywhere in the schema.
func directiveUses(s *ast.Schema) []string {
	var uses []string
	add := func(where string, dirs ast.DirectiveList) {
		for _, d := range dirs {
			uses = append(uses, where+" @"+d.Name)
		}
	}
	add("schema", s.SchemaDirectives)
	for name, t := range s.Types {
		add(name, t.Directives)
		for _, f := range t.Fields {
			add(name+"."+f.Name, f.Directives)
			for _, a := range f.Arguments {
				add(name+"."+f.Name+"("+a.Name+")", a.Directives)
			}
		}
		for _, v := range t.EnumValues {
			add(name+"."+v.Name, v.Directives)
		}
	}
	for name, d := range s.Directives {
		add("@"+name, d.Directives)
		for _, a := range d.Arguments {
			add("@"+name+"("+a.Name+")", a.Directives)
		}
	}
	return uses
}

var machineryNames = []string{"internal", "audience", "hasPermission", "goModel", "goField", "goTag"}

func assertNoMachinery(t *testing.T, s *ast.Schema) {
	t.Helper()
	idx := index(s)
	for _, name := range machineryNames {
		if idx["@"+name] || s.Directives[name] != nil {
			t.Errorf("directive definition @%s is served", name)
		}
	}
	for _, use := range directiveUses(s) {
		for _, name := range machineryNames {
			if strings.HasSuffix(use, " @"+name) {
				t.Errorf("directive use %s is served", use)
			}
		}
	}
}

func assertPaths(t *testing.T, idx map[string]bool, present, absent []string) {
	t.Helper()
	for _, p := range present {
		if !idx[p] {
			t.Errorf("missing %s", p)
		}
	}
	for _, p := range absent {
		if idx[p] {
			t.Errorf("unexpected %s", p)
		}
	}
}

func TestDeriveEveryAudience(t *testing.T) {
	src := realSource(t)
	for _, aud := range portal.AllAudience {
		t.Run(string(aud), func(t *testing.T) {
			s := derive(t, src, aud)
			if s.Query == nil || s.Query.Fields.ForName("viewer") == nil {
				t.Fatal("Query.viewer missing")
			}
			assertNoMachinery(t, s)
		})
	}
}

func TestNonStaffSchemasHideInternalNames(t *testing.T) {
	// Names that exist only behind @internal (or only for other audiences);
	// checked against types, fields, arguments, enum values and input fields.
	forbidden := []string{
		"budgetCents", "internalNotes", "notes", "Note", "NoteConnection", "NoteEdge",
		"ActivityEvent", "ActivityEventConnection", "activity", "clients", "users", "user",
		"createClient", "requestApproval", "recordApprovalDecision", "internalNote", "remindedAt",
		"Visibility", "visibility", "Permission", "permissions",
		"Role", "role", "ClientStatus", "portalStatus", "PortalStatus", "BUDGET_CENTS",
		"ClientFilter", "ClientOrder", "ClientConnection", "UserConnection", "CreateClientInput",
		"AddressInput", "slug", "updatedAt", "archivedAt", "requestedBy", "recordedBy",
		"portalOverview", "ClientPortalOverview", "ClientPortalStatus", "lastSeenAt", "inviteExpiresAt",
		"setClientPortal", "SetClientPortalInput", "PortalSectionsInput", "inviteContact", "InviteContactInput",
		"InviteContactPayload", "inviteLink", "suspendContact", "restoreContact", "previewPortal", "PreviewPortalInput",
		"PreviewPortalPayload", "PORTAL_MANAGE", "ActivityFilter", "ActivityAction", "RecordType", "VIEWED",
		"uploadedBy", "author", "assignee", "ReportStatus", "createReport", "publishReport", "updateRequest", "deleteFile",
		"FILES_UPDATE", "REPORTS_PUBLISH", "REQUESTS_UPDATE",
		"partnerKeys", "PartnerKey", "PartnerKeyConnection", "PartnerScope", "createPartnerKey", "rotatePartnerKey",
		"revokePartnerKey", "CreatePartnerKeyInput", "PARTNER_KEYS_MANAGE", "secret", "includeInternal", "KEY_REVOKED",
		"BuiltInRole", "roles", "memberCount", "deactivatedAt", "createRole", "CreateRoleInput", "inviteStaff",
		"InviteStaffInput", "changeStaffRole", "deactivateStaff", "reactivateStaff", "transferOwnership",
		"STAFF_MANAGE", "OWNERSHIP_TRANSFER", "ROLES_MANAGE", "ROLE_CREATED", "STAFF_DEACTIVATED", "OWNERSHIP_TRANSFERRED",
	}
	src := realSource(t)
	tests := []struct {
		aud     portal.Audience
		present []string
		absent  []string
		exact   bool     // present is the whole schema
		serves  []string // forbidden names this audience is served all the same
	}{
		{
			aud: portal.AudiencePortal,
			present: []string{
				"Query.viewer", "Query.node", "Query.node(id)", "Query.client", "Query.project",
				"Query.projects", "Query.projects(filter)", "Query.deliverable", "Query.approval",
				"Viewer.audience", "Viewer.workspace", "Viewer.contact", "Viewer.client",
				"Project.deliverables", "Project.status", "ProjectStatus",
				"ProjectOrderField.NAME", "ProjectOrderField.CREATED_AT", "ProjectOrderField.DUE_ON",
				"DeliverableFilter.status", "DeliverableFilter.dueAfter", "DeliverableFilter.dueBefore",
				"Client.contacts", "Client.contacts(first)", "Client.contacts(after)",
				"Node", "Client implements Node", "Workspace implements Node", "Date", "Time",
				// A portal contact's one mutation: deciding an approval.
				"schema mutation: Mutation", "Mutation.decideApproval", "DecideApprovalInput.idempotencyKey",
				"Viewer.pendingApprovals",
				// Portal access: a contact signs out; a preview says it is one.
				"Mutation.logOut", "LogOutPayload", "LogOutPayload.ok", "Viewer.preview",
			},
			absent: []string{
				"DeliverableFilter.visibility", "Client.contacts(portalStatus)",
				"ProjectOrderField.BUDGET_CENTS", "Client.status", "Mutation.createClient",
				"Mutation.logIn", "Mutation.acceptInvite", "LogInInput", "AcceptInviteInput", "LogInPayload",
				"Client.activity", "Client.portalStatus", "Client.portalOverview", "Contact.lastSeenAt", "Contact.inviteExpiresAt",
			},
		},
		{
			aud: portal.AudienceAnonymous,
			present: []string{
				"schema query: Query", "Query", "Query.viewer", "Viewer", "Viewer.audience",
				"Audience", "Audience.STAFF", "Audience.PORTAL", "Audience.PARTNER", "Audience.ANONYMOUS",
				// Signing in and accepting an invitation, and nothing else.
				"schema mutation: Mutation", "Mutation", "Mutation.logIn", "Mutation.logIn(input)",
				"Mutation.acceptInvite", "Mutation.acceptInvite(input)",
				"LogInInput", "LogInInput.email", "LogInInput.password", "LogInInput.workspace",
				"AcceptInviteInput", "AcceptInviteInput.token", "AcceptInviteInput.password",
				"LogInPayload", "LogInPayload.token", "LogInPayload.expiresAt", "LogInPayload.audience", "Time",
				// The cost model's directives, by which clients price requests.
				"@cost", "@cost(weight)", "@listSize", "@listSize(assumedSize)",
			},
			exact: true,
		},
		{
			// A partner's key reads; it changes nothing. It lists clients
			// and reads activity, which a contact does not, but none of
			// the staff's filters.
			aud: portal.AudiencePartner,
			serves: []string{"clients", "ClientOrder", "ClientConnection", "activity", "ActivityEvent", "ActivityEventConnection",
				"ActivityFilter", "ActivityAction", "RecordType", "VIEWED", "KEY_REVOKED"},
			present: []string{
				"Query.viewer", "Viewer.audience", "Viewer.workspace", "Query.node", "Node", "Date", "Time",
				"Query.clients", "Query.clients(first)", "Query.clients(orderBy)", "ClientConnection", "ClientOrder",
				"Query.client", "Query.projects", "Query.deliverables", "Query.approvals", "Query.reports",
				"Query.requests", "Query.file", "Client.projects", "Client.contacts", "Client.files",
			},
			absent: []string{
				"Viewer.contact", "Viewer.client", "Viewer.pendingApprovals", "Mutation", "schema mutation: Mutation",
				"Mutation.logIn", "Mutation.logOut", "Viewer.preview", "Query.clients(filter)", "Query.export",
				"Client.exports", "ExportConnection", "Query.partnerKeys", "PartnerKey", "PartnerScope",
				"Mutation.createPartnerKey", "PARTNER_KEYS_MANAGE",
			},
		},
	}
	for _, tt := range tests {
		t.Run(string(tt.aud), func(t *testing.T) {
			s := derive(t, src, tt.aud)
			idx := index(s)
			for p := range idx {
				if b := bare(p); slices.Contains(forbidden, b) && !slices.Contains(tt.serves, b) {
					t.Errorf("%s schema serves %s", tt.aud, p)
				}
			}
			assertNoMachinery(t, s)
			assertPaths(t, idx, tt.present, tt.absent)
			if tt.exact {
				got := slices.Sorted(maps.Keys(idx))
				want := slices.Sorted(slices.Values(tt.present))
				if !slices.Equal(got, want) {
					t.Errorf("schema is\n%v\nwant\n%v", got, want)
				}
			}
		})
	}
}

func TestStaffKeepsInternalButNotMachinery(t *testing.T) {
	s := derive(t, realSource(t), portal.AudienceStaff)
	assertPaths(t, index(s), []string{
		"Project.budgetCents", "Project.internalNotes", "Note", "NoteConnection", "ActivityEvent",
		"schema mutation: Mutation", "Mutation.createClient", "Mutation.createClient(input)",
		"CreateClientInput.status", "ProjectOrderField.BUDGET_CENTS", "Permission", "Role", "BuiltInRole",
		"Role implements Node", "Query.roles", "User.role", "User.deactivatedAt", "Mutation.createRole", "Mutation.transferOwnership",
		"Client.contacts(portalStatus)", "DeliverableFilter.visibility", "Viewer.user",
		"Note implements Node",
		"Mutation.setClientPortal", "Mutation.inviteContact", "Mutation.suspendContact", "Mutation.restoreContact",
		"Mutation.previewPortal", "Mutation.logOut", "Permission.PORTAL_MANAGE", "Client.portalStatus",
		"Client.portalOverview", "Client.activity(filter)", "ClientFilter.portalStatus", "Contact.lastSeenAt",
		"Contact.inviteExpiresAt", "ActivityEvent.preview", "ActivityAction.VIEWED", "RecordType.USER",
	}, []string{
		// Only for PORTAL.
		"Viewer.contact", "Viewer.client", "Mutation.decideApproval", "Viewer.pendingApprovals", "Viewer.preview",
		// Only for ANONYMOUS.
		"Mutation.logIn", "Mutation.acceptInvite", "LogInInput", "AcceptInviteInput", "LogInPayload",
	})
	assertNoMachinery(t, s)
}

// cascadeSDL exercises each removal rule once; Query.* fields name the rule.
const cascadeSDL = `
directive @internal on FIELD_DEFINITION | OBJECT | INTERFACE | UNION | ENUM | ENUM_VALUE | INPUT_OBJECT | INPUT_FIELD_DEFINITION | ARGUMENT_DEFINITION
directive @audience(only: [Audience!]!) on FIELD_DEFINITION | OBJECT | INTERFACE | UNION | ENUM | ENUM_VALUE | INPUT_OBJECT | INPUT_FIELD_DEFINITION | ARGUMENT_DEFINITION
directive @goTag(key: String!, value: String) on INPUT_FIELD_DEFINITION | FIELD_DEFINITION
"Kept: not machinery."
directive @cacheControl(maxAge: Int) on FIELD_DEFINITION

schema { query: Query mutation: Mutation }

enum Audience { STAFF PORTAL PARTNER ANONYMOUS }

type Query {
  secret: Secret
  search: [SearchResult!]!
  hiddenOnly: HiddenOnly
  node(id: ID!): Node
  kind: Kind
  byStatus(status: Status): String @internal
  withInput(input: HiddenInput!, limit: Int): String
  filter(f: Filter): String @cacheControl(maxAge: 60)
  portalOnly: String @audience(only: [PORTAL])
}
extend type Query @internal { ext: String }

type Mutation { doIt: Boolean @internal }

type Secret { a: String @internal b: Int @internal }
union SearchResult = A | B
union HiddenOnly = B
type A { id: ID! }
type B @internal { id: ID! }
interface Node { id: ID! }
interface Secretive @internal { id: ID! }
type Impl implements Node & Secretive { id: ID! }
type Orphan { x: String }
enum Status { X Y }
enum Kind { K @internal }
input HiddenInput @internal { x: Int }
input Filter { keep: Int @goTag(key: "validate", value: "gte=0") nested: HiddenInput }
`

func TestCascade(t *testing.T) {
	src := &ast.Source{Name: "cascade.graphqls", Input: cascadeSDL}
	P, S, A := portal.AudiencePortal, portal.AudienceStaff, portal.AudienceAnonymous
	tests := []struct {
		rule    string
		aud     portal.Audience
		present []string
		absent  []string
	}{
		{"emptied type removes fields of its type", P, nil, []string{"Secret", "Secret.b", "Query.secret"}},
		{"emptied type kept for staff", S, []string{"Secret.a", "Query.secret"}, nil},
		{"removed union member dropped", P, []string{"SearchResult = A", "Query.search", "A"}, []string{"SearchResult = B", "B"}},
		{"union member kept for staff", S, []string{"SearchResult = B"}, nil},
		{"emptied union removed with its field", P, nil, []string{"HiddenOnly", "Query.hiddenOnly"}},
		{"implementation reachable via interface", P, []string{"Impl", "Impl implements Node"}, []string{"Secretive", "Impl implements Secretive"}},
		{"hidden interface kept for staff", S, []string{"Impl implements Secretive"}, nil},
		{"unreachable object dropped", S, nil, []string{"Orphan"}},
		{"enum only behind hidden field dropped", P, nil, []string{"Status", "Query.byStatus"}},
		{"enum kept for staff", S, []string{"Status.X", "Query.byStatus(status)"}, nil},
		{"emptied enum removes its field", P, nil, []string{"Kind", "Query.kind"}},
		{"non-null argument of removed type removed", P, []string{"Query.withInput", "Query.withInput(limit)"}, []string{"Query.withInput(input)", "HiddenInput"}},
		{"input field of removed type removed", P, []string{"Filter.keep"}, []string{"Filter.nested"}},
		{"other directives kept", P, []string{"@cacheControl", "@cacheControl(maxAge)"}, []string{"@goTag"}},
		{"audience-only field for its audience", P, []string{"Query.portalOnly"}, nil},
		{"audience-only field hidden from staff", S, nil, []string{"Query.portalOnly"}},
		{"audience-only field hidden from anonymous", A, nil, []string{"Query.portalOnly"}},
		{"hidden extension", P, nil, []string{"Query.ext"}},
		{"hidden extension kept for staff", S, []string{"Query.ext"}, nil},
		{"emptied mutation root dropped", P, nil, []string{"Mutation", "schema mutation: Mutation"}},
		{"mutation root kept for staff", S, []string{"schema mutation: Mutation", "Mutation.doIt"}, nil},
		{"audience enum dropped with @audience", P, nil, []string{"Audience", "@audience"}},
	}
	for _, tt := range tests {
		t.Run(tt.rule, func(t *testing.T) {
			s := derive(t, src, tt.aud)
			assertPaths(t, index(s), tt.present, tt.absent)
			assertNoMachinery(t, s)
		})
	}
	// Uses of kept directives survive; machinery uses do not.
	s := derive(t, src, P)
	if uses := directiveUses(s); !slices.Equal(uses, []string{"Query.filter @cacheControl"}) {
		t.Errorf("directive uses = %v", uses)
	}
}

func TestDeriveErrors(t *testing.T) {
	base := "directive @audience(only: [Audience!]!) on FIELD_DEFINITION\nenum Audience { STAFF PORTAL PARTNER ANONYMOUS }\n"
	tests := []struct {
		name  string
		sdl   string
		aud   portal.Audience
		fails string
	}{
		{"unknown audience argument", base + "type Query { a: String b: String }", "CUSTOMER", `unknown audience "CUSTOMER"`},
		{"typo in @audience", base + "type Query { a: String b: String @audience(only: [STAF]) }", portal.AudienceStaff, `unknown audience "STAF"`},
		{"nothing left to query", base + "type Query { a: String @audience(only: [STAFF]) }", portal.AudiencePortal, "PORTAL schema derived from t.graphqls is invalid"},
		{"syntax error", "type Query {", portal.AudienceStaff, "parse t.graphqls"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Derive(&ast.Source{Name: "t.graphqls", Input: tt.sdl}, tt.aud)
			if err == nil || !strings.Contains(err.Error(), tt.fails) {
				t.Fatalf("err = %v, want it to contain %q", err, tt.fails)
			}
		})
	}
}

func TestSDLRoundTrip(t *testing.T) {
	sources := []*ast.Source{realSource(t), {Name: "cascade.graphqls", Input: cascadeSDL}}
	for _, src := range sources {
		for _, aud := range portal.AllAudience {
			t.Run(src.Name+"/"+string(aud), func(t *testing.T) {
				derived := derive(t, src, aud)
				sdl := SDL(derived)
				if again := SDL(derive(t, src, aud)); again != sdl {
					t.Fatalf("SDL differs between runs:\n%s\n---\n%s", sdl, again)
				}
				for _, leak := range []string{"@internal", "@audience", "@hasPermission", "@go", "__schema", "scalar String", "directive @deprecated"} {
					if strings.Contains(sdl, leak) {
						t.Errorf("SDL contains %q", leak)
					}
				}
				reparsed, err := gqlparser.LoadSchema(&ast.Source{Name: "served.graphqls", Input: sdl})
				if err != nil {
					t.Fatalf("SDL does not re-parse: %v\n%s", err, sdl)
				}
				if got, want := slices.Sorted(maps.Keys(index(reparsed))), slices.Sorted(maps.Keys(index(derived))); !slices.Equal(got, want) {
					t.Errorf("re-parsed schema differs:\n%v\nwant\n%v", got, want)
				}
				if again := SDL(reparsed); again != sdl {
					t.Errorf("SDL of the re-parsed schema differs:\n%s\n---\n%s", again, sdl)
				}
			})
		}
	}
}

func TestSDLKeepsSourceOrder(t *testing.T) {
	sdl := SDL(derive(t, realSource(t), portal.AudiencePortal))
	order := []string{"schema {", "scalar Date", "type Query", "enum Audience", "type Viewer", "interface Node", "input DeliverableOrder"}
	last := -1
	for _, s := range order {
		i := strings.Index(sdl, s)
		if i <= last {
			t.Fatalf("%q at %d, want after %d", s, i, last)
		}
		last = i
	}
}

// The served schema is what query validation sees, so a hidden field is
// indistinguishable from a field that never existed. gqlparser's default
// rules append "Did you mean" suggestions, but drawn only from the served
// schema, so they cannot leak hidden names either; the HTTP layer turns them
// off anyway.
func TestHiddenFieldFailsValidation(t *testing.T) {
	src := realSource(t)
	noSuggestions := rules.NewDefaultRules()
	noSuggestions.RemoveRule(rules.FieldsOnCorrectTypeRule.Name)
	noSuggestions.AddRule(rules.FieldsOnCorrectTypeRuleWithoutSuggestions.Name, rules.FieldsOnCorrectTypeRuleWithoutSuggestions.RuleFunc)
	tests := []struct {
		name         string
		aud          portal.Audience
		query        string
		want         []string // messages as returned by gqlparser's default rules
		wantSilenced []string // with suggestions disabled
	}{
		{
			"budgetCents hidden from portal", portal.AudiencePortal, `{ project(id: "1") { name budgetCents } }`,
			[]string{`Cannot query field "budgetCents" on type "Project".`},
			[]string{`Cannot query field "budgetCents" on type "Project".`},
		},
		{
			"suggestion comes from served names only", portal.AudiencePortal, `{ project(id: "1") { notes { totalCount } } }`,
			[]string{`Cannot query field "notes" on type "Project". Did you mean "name" or "files"?`},
			[]string{`Cannot query field "notes" on type "Project".`},
		},
		{
			"hidden argument", portal.AudiencePortal, `{ client(id: "1") { contacts(portalStatus: [NONE]) { totalCount } } }`,
			[]string{`Unknown argument "portalStatus" on field "Client.contacts".`},
			[]string{`Unknown argument "portalStatus" on field "Client.contacts".`},
		},
		{
			"hidden enum value", portal.AudiencePortal, `{ projects(orderBy: {field: BUDGET_CENTS}) { totalCount } }`,
			[]string{`Value "BUDGET_CENTS" does not exist in "ProjectOrderField!" enum.`},
			[]string{`Value "BUDGET_CENTS" does not exist in "ProjectOrderField!" enum.`},
		},
		{
			"no staff mutations for portal", portal.AudiencePortal, `mutation { createClient(input: {name: "x"}) { client { id } } }`,
			[]string{`Cannot query field "createClient" on type "Mutation".`},
			[]string{`Cannot query field "createClient" on type "Mutation".`},
		},
		{"budgetCents served to staff", portal.AudienceStaff, `{ project(id: "1") { name budgetCents } }`, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := derive(t, src, tt.aud)
			doc, err := parser.ParseQuery(&ast.Source{Input: tt.query})
			if err != nil {
				t.Fatal(err)
			}
			if got := messages(validator.Validate(s, doc)); !slices.Equal(got, tt.want) {
				t.Errorf("default rules: errors = %q, want %q", got, tt.want)
			}
			if got := messages(validator.ValidateWithRules(s, doc, noSuggestions)); !slices.Equal(got, tt.wantSilenced) {
				t.Errorf("without suggestions: errors = %q, want %q", got, tt.wantSilenced)
			}
		})
	}
}

func messages(errs []*gqlerror.Error) []string {
	var out []string
	for _, e := range errs {
		out = append(out, e.Message)
	}
	return out
}

func TestHasPath(t *testing.T) {
	src := realSource(t)
	staff, portalSchema := derive(t, src, portal.AudienceStaff), derive(t, src, portal.AudiencePortal)
	for _, c := range []struct {
		path          string
		staff, portal bool
	}{
		{"Deliverable.title", true, true},
		{"Deliverable.project.name", true, true},
		{"Approval.decisions.contact.name", true, true},
		{"Deliverable.updatedAt", true, false},           // @internal
		{"Deliverable.project.budgetCents", true, false}, // @internal, through a relation
		{"ActivityEvent.summary", true, false},           // an @internal type
		{"Deliverable.project.nope", false, false},
		{"Deliverable.title.length", false, false}, // a scalar has no fields
		{"Deliverable", false, false},
		{"Nope.id", false, false},
	} {
		if got := HasPath(staff, c.path); got != c.staff {
			t.Errorf("STAFF HasPath(%q) = %v, want %v", c.path, got, c.staff)
		}
		if got := HasPath(portalSchema, c.path); got != c.portal {
			t.Errorf("PORTAL HasPath(%q) = %v, want %v", c.path, got, c.portal)
		}
	}
}

// Modules removes what is marked with the key of a module not installed —
// types, fields, arguments, enum values, input fields — from every
// audience, with what only they reached; installing every module removes
// nothing, and a @feature without a known key is an error.
func TestModules(t *testing.T) {
	sdl := `directive @feature(key: FeatureKey!) on FIELD_DEFINITION | OBJECT | ENUM_VALUE | INPUT_FIELD_DEFINITION | ARGUMENT_DEFINITION
enum FeatureKey { CLIENT_PORTALS APPROVALS @feature(key: APPROVALS) REPORTS }
type Query {
  a(filter: Filter, since: Int @feature(key: REPORTS)): [Thing!]!
  approvals: [Approval!]! @feature(key: APPROVALS)
  kind: Kind
  keys: [FeatureKey!]!
}
type Thing { id: ID! approval: Approval report: String @feature(key: REPORTS) }
type Approval @feature(key: APPROVALS) { id: ID! status: Status! }
enum Status { OPEN DONE }
enum Kind { PLAIN APPROVALS @feature(key: APPROVALS) }
input Filter { id: ID status: Status @feature(key: APPROVALS) }
`
	src := &ast.Source{Name: "m.graphqls", Input: sdl}
	all, err := Derive(src, portal.AudiencePortal, Modules(portal.AllFeatures()))
	if err != nil {
		t.Fatal(err)
	}
	plain, err := Derive(src, portal.AudiencePortal)
	if err != nil {
		t.Fatal(err)
	}
	if !maps.Equal(index(all), index(plain)) {
		t.Errorf("every module installed: %v, without the option: %v", slices.Sorted(maps.Keys(index(all))), slices.Sorted(maps.Keys(index(plain))))
	}
	some, err := Derive(src, portal.AudiencePortal, Modules(portal.AllFeatures()&^portal.FeatureSet(0).With(portal.FeatureKeyApprovals).With(portal.FeatureKeyReports)))
	if err != nil {
		t.Fatal(err)
	}
	got := index(some)
	for _, gone := range []string{"Approval", "Status", "Query.approvals", "Thing.approval", "Thing.report", "Query.a(since)",
		"Kind.APPROVALS", "FeatureKey.APPROVALS", "Filter.status", "@feature"} {
		if got[gone] {
			t.Errorf("%s is served without its module", gone)
		}
	}
	for _, kept := range []string{"Thing", "Thing.id", "Query.a(filter)", "Kind.PLAIN", "FeatureKey.CLIENT_PORTALS", "FeatureKey.REPORTS", "Filter.id"} {
		if !got[kept] {
			t.Errorf("%s is not served", kept)
		}
	}
	_, err = Derive(&ast.Source{Name: "m.graphqls", Input: strings.Replace(sdl, "report: String @feature(key: REPORTS)", "report: String @feature(key: BILLING)", 1)},
		portal.AudienceStaff)
	if err == nil || !strings.Contains(err.Error(), "@feature without a known key") {
		t.Errorf("an unknown key: %v", err)
	}
}

// TestModuleNames: @module removes a setting or a value of a module not
// installed, as @feature does, and keeps it otherwise.
func TestModuleNames(t *testing.T) {
	sdl := `directive @module(key: FeatureKey!) on FIELD_DEFINITION | ENUM_VALUE | INPUT_FIELD_DEFINITION
enum FeatureKey { CLIENT_PORTALS APPROVALS REPORTS }
type Query { settings: Settings! kind: Kind set(in: SettingsInput): Boolean }
type Settings { projects: Boolean! approvals: Boolean! @module(key: APPROVALS) }
input SettingsInput { projects: Boolean approvals: Boolean @module(key: APPROVALS) }
enum Kind { PROJECT APPROVAL @module(key: APPROVALS) }
`
	src := &ast.Source{Name: "m.graphqls", Input: sdl}
	for _, c := range []struct {
		installed portal.FeatureSet
		served    bool
	}{{portal.AllFeatures(), true}, {portal.AllFeatures() &^ portal.FeatureSet(0).With(portal.FeatureKeyApprovals), false}} {
		s, err := Derive(src, portal.AudienceStaff, Modules(c.installed))
		if err != nil {
			t.Fatal(err)
		}
		got := index(s)
		for _, name := range []string{"Settings.approvals", "SettingsInput.approvals", "Kind.APPROVAL"} {
			if got[name] != c.served {
				t.Errorf("%s served %t with modules %v, want %t", name, got[name], c.installed, c.served)
			}
		}
		if !got["Settings.projects"] || got["@module"] {
			t.Errorf("modules %v: %v", c.installed, slices.Sorted(maps.Keys(got)))
		}
	}
	_, err := Derive(&ast.Source{Name: "m.graphqls", Input: strings.Replace(sdl, "@module(key: APPROVALS) }\ninput", "@module(key: BILLING) }\ninput", 1)}, portal.AudienceStaff)
	if err == nil || !strings.Contains(err.Error(), "@module without a known key") {
		t.Errorf("an unknown key: %v", err)
	}
}
