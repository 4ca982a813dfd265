package graph_test

import (
	"maps"
	"slices"
	"strings"
	"testing"
)

const introspectionQuery = `{
  __schema {
    queryType { name }
    mutationType { name }
    subscriptionType { name }
    types {
      kind name description
      fields(includeDeprecated: true) { name description args { name description } }
      inputFields { name description }
      enumValues(includeDeprecated: true) { name description }
      interfaces { name }
      possibleTypes { name }
    }
    directives { name description args { name } }
  }
}`

type named struct {
	Name        string  `json:"name"`
	Description *string `json:"description"`
}

type introspection struct {
	Schema struct {
		QueryType        *named `json:"queryType"`
		MutationType     *named `json:"mutationType"`
		SubscriptionType *named `json:"subscriptionType"`
		Types            []struct {
			Kind        string  `json:"kind"`
			Name        string  `json:"name"`
			Description *string `json:"description"`
			Fields      []struct {
				named
				Args []named `json:"args"`
			} `json:"fields"`
			InputFields   []named `json:"inputFields"`
			EnumValues    []named `json:"enumValues"`
			Interfaces    []named `json:"interfaces"`
			PossibleTypes []named `json:"possibleTypes"`
		} `json:"types"`
		Directives []struct {
			named
			Args []named `json:"args"`
		} `json:"directives"`
	} `json:"__schema"`
}

// schemaIndex names every element an introspection shows: "Type",
// "Type.field", "Type.field(arg)", "Input.field", "Enum.VALUE",
// "@directive", "@directive(arg)"; leaves maps each element to its own
// name (the last part), and descriptions holds every description.
type schemaIndex struct {
	elements     map[string]bool
	leaves       map[string]string
	descriptions map[string]string
	fields       map[string][]string // type → its fields or enum values, in order
	directives   []string
	mutation     *named
	query        string
}

var builtInTypes = map[string]bool{"String": true, "Int": true, "Float": true, "Boolean": true, "ID": true}

func (s introspection) index() schemaIndex {
	ix := schemaIndex{
		elements: map[string]bool{}, leaves: map[string]string{}, descriptions: map[string]string{},
		fields: map[string][]string{}, mutation: s.Schema.MutationType,
	}
	if s.Schema.QueryType != nil {
		ix.query = s.Schema.QueryType.Name
	}
	add := func(path, leaf string, desc *string) {
		ix.elements[path] = true
		ix.leaves[path] = leaf
		if desc != nil && *desc != "" {
			ix.descriptions[path] = *desc
		}
	}
	for _, t := range s.Schema.Types {
		if strings.HasPrefix(t.Name, "__") || builtInTypes[t.Name] {
			continue
		}
		add(t.Name, t.Name, t.Description)
		for _, f := range t.Fields {
			add(t.Name+"."+f.Name, f.Name, f.Description)
			ix.fields[t.Name] = append(ix.fields[t.Name], f.Name)
			for _, a := range f.Args {
				add(t.Name+"."+f.Name+"("+a.Name+")", a.Name, a.Description)
			}
		}
		for _, f := range t.InputFields {
			add(t.Name+"."+f.Name, f.Name, f.Description)
			ix.fields[t.Name] = append(ix.fields[t.Name], f.Name)
		}
		for _, v := range t.EnumValues {
			add(t.Name+"."+v.Name, v.Name, v.Description)
			ix.fields[t.Name] = append(ix.fields[t.Name], v.Name)
		}
	}
	for _, d := range s.Schema.Directives {
		add("@"+d.Name, d.Name, d.Description)
		ix.directives = append(ix.directives, d.Name)
		for _, a := range d.Args {
			add("@"+d.Name+"("+a.Name+")", a.Name, a.Description)
		}
	}
	slices.Sort(ix.directives)
	return ix
}

// types lists the schema's own types (not introspection's, not the
// built-in scalars), sorted.
func (ix schemaIndex) types() []string {
	var out []string
	for path := range ix.elements {
		if !strings.ContainsAny(path, ".@") {
			out = append(out, path)
		}
	}
	slices.Sort(out)
	return out
}

func introspect(t *testing.T, e *env, who string) schemaIndex {
	t.Helper()
	var got introspection
	e.as(t, who, introspectionQuery, nil).decode(t, &got)
	return got.index()
}

// The directives every served schema has: GraphQL's own and gqlgen's. The
// authorization and code generation directives are never among them.
var servedDirectives = []string{"defer", "deprecated", "include", "oneOf", "skip", "specifiedBy"}

func TestIntrospectionStaff(t *testing.T) {
	t.Parallel()
	run(t, func(t *testing.T, e *env) {
		ix := introspect(t, e, "owner")
		for _, want := range []string{
			"Project.budgetCents", "Client.internalNotes", "Project.internalNotes", "Note", "Note.body",
			"NoteConnection", "ActivityEvent", "Client.activity", "Client.notes", "Query.clients", "Query.users",
			"Client.contacts(portalStatus)", "ProjectOrderField.BUDGET_CENTS", "Visibility.INTERNAL", "Role.VIEWER",
			"Permission.BUDGETS_READ", "Viewer.permissions", "Workspace.slug", "Approval.requestedBy",
			"Mutation", "Mutation.createClient", "Mutation.addNote", "CreateClientInput.internalNotes",
		} {
			if !ix.elements[want] {
				t.Errorf("the staff schema lacks %s", want)
			}
		}
		equal(t, "queryType", ix.query, "Query")
		equal(t, "mutationType", ix.mutation, &named{Name: "Mutation"})
		equal(t, "Mutation fields", sorted(ix.fields["Mutation"]), []string{
			"addNote", "archiveClient", "cancelApproval", "createClient", "createContact", "createDeliverable", "createProject",
			"recordApprovalDecision", "remindApprovers", "requestApproval", "resubmitApproval",
			"updateClient", "updateContact", "updateDeliverable", "updateProject",
		})
		equal(t, "directives", ix.directives, servedDirectives)
	})
}

// internalNames are the names that exist only for staff. Not one of them
// may appear, as any kind of element, in the portal or anonymous schemas.
var internalNames = []string{
	"budgetCents", "internalNotes", "notes", "Note", "NoteConnection", "NoteEdge", "ActivityEvent",
	"ActivityEventConnection", "ActivityEventEdge", "ActivityAction", "RecordType", "activity", "clients",
	"ClientConnection", "ClientEdge", "users", "UserConnection", "UserEdge", "Visibility",
	"visibility", "Permission", "permissions", "Role", "role", "ClientStatus", "portalStatus", "PortalStatus",
	"BUDGET_CENTS", "ClientFilter", "ClientOrder", "ClientOrderField", "requestedBy", "recordedBy", "slug",
	"updatedAt", "archivedAt", "internal", "hasPermission", "goTag", "goModel", "goField", "AddressInput",
	"CreateClientInput", "AddNoteInput", "user", "createClient", "requestApproval", "recordApprovalDecision",
	"RequestApprovalInput", "RecordApprovalDecisionInput", "internalNote", "remindedAt", "APPROVALS_MANAGE",
}

// assertNoInternalNames scans every type, field, argument, input field,
// enum value and directive name, and every description.
func assertNoInternalNames(t *testing.T, ix schemaIndex) {
	t.Helper()
	for _, path := range slices.Sorted(maps.Keys(ix.leaves)) {
		if slices.Contains(internalNames, ix.leaves[path]) {
			t.Errorf("internal name %q served as %s", ix.leaves[path], path)
		}
	}
	for _, d := range []string{"internal", "audience", "hasPermission", "goTag", "goModel", "goField"} {
		if ix.elements["@"+d] {
			t.Errorf("directive @%s served", d)
		}
	}
	for path, desc := range ix.descriptions {
		for _, word := range []string{"budget", "internal", "permission", "note"} {
			if strings.Contains(strings.ToLower(desc), word) {
				t.Errorf("description of %s mentions %q: %q", path, word, desc)
			}
		}
	}
}

func TestIntrospectionPortal(t *testing.T) {
	t.Parallel()
	run(t, func(t *testing.T, e *env) {
		ix := introspect(t, e, "aActive")
		assertNoInternalNames(t, ix)
		// A portal contact's one mutation is deciding an approval.
		equal(t, "mutationType", ix.mutation, &named{Name: "Mutation"})
		equal(t, "Mutation fields", ix.fields["Mutation"], []string{"decideApproval"})
		equal(t, "queryType", ix.query, "Query")
		equal(t, "directives", ix.directives, servedDirectives)
		equal(t, "Query fields", ix.fields["Query"], []string{"viewer", "node", "client", "project", "projects", "deliverable", "deliverables", "approval", "approvals"})
		equal(t, "Viewer fields", ix.fields["Viewer"], []string{"audience", "workspace", "contact", "client", "pendingApprovals"})
		equal(t, "Project fields", ix.fields["Project"], []string{
			"id", "client", "name", "description", "status", "startsOn", "dueOn", "owner", "deliverables", "approvals", "createdAt",
		})
		equal(t, "Client fields", ix.fields["Client"], []string{
			"id", "name", "organization", "owner", "email", "phone", "website", "address", "portalEnabled",
			"portalSettings", "contacts", "projects", "approvals", "createdAt",
		})
		equal(t, "Client.contacts args", ix.elements["Client.contacts(portalStatus)"], false)
		equal(t, "ProjectFilter fields", ix.fields["ProjectFilter"], []string{"clientId", "status"})
		equal(t, "ProjectOrderField values", ix.fields["ProjectOrderField"], []string{"NAME", "CREATED_AT", "DUE_ON"})
		equal(t, "types", ix.types(), []string{
			"Address", "Approval", "ApprovalConnection", "ApprovalDecision", "ApprovalEdge", "ApprovalFilter",
			"ApprovalOrder", "ApprovalOrderField", "ApprovalPolicy",
			"ApprovalStatus", "Audience", "Client", "ClientProjectFilter", "Contact", "ContactConnection", "ContactEdge",
			"Date", "DecideApprovalInput", "DecideApprovalPayload", "DecisionOutcome", "Deliverable", "DeliverableConnection", "DeliverableEdge", "DeliverableFilter",
			"DeliverableOrder", "DeliverableOrderField", "DeliverableStatus", "Mutation", "Node", "PageInfo", "PortalSettings",
			"Project", "ProjectConnection", "ProjectDeliverableFilter", "ProjectEdge", "ProjectFilter", "ProjectOrder", "ProjectOrderField",
			"ProjectStatus", "Query", "SortDirection", "Time", "User", "Viewer", "Workspace",
		})
	})
}

func TestIntrospectionAnonymous(t *testing.T) {
	t.Parallel()
	run(t, func(t *testing.T, e *env) {
		ix := introspect(t, e, "")
		assertNoInternalNames(t, ix)
		if ix.mutation != nil {
			t.Errorf("mutationType = %q, want null", ix.mutation.Name)
		}
		equal(t, "types", ix.types(), []string{"Audience", "Query", "Viewer"})
		equal(t, "Query fields", ix.fields["Query"], []string{"viewer"})
		equal(t, "Viewer fields", ix.fields["Viewer"], []string{"audience"})
		equal(t, "directives", ix.directives, servedDirectives)
	})
}
