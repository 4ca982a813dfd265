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

// The directives every served schema has: GraphQL's own, gqlgen's, and the
// cost model's, by which clients may price their requests. The
// authorization and code generation directives are never among them.
var servedDirectives = []string{"cost", "defer", "deprecated", "include", "listSize", "oneOf", "skip", "specifiedBy"}

func TestIntrospectionStaff(t *testing.T) {
	t.Parallel()
	run(t, func(t *testing.T, e *env) {
		ix := introspect(t, e, "owner")
		for _, want := range []string{
			"Project.budgetCents", "Client.internalNotes", "Project.internalNotes", "Note", "Note.body",
			"NoteConnection", "ActivityEvent", "Client.activity", "Client.notes", "Query.clients", "Query.users",
			"Client.contacts(portalStatus)", "ProjectOrderField.BUDGET_CENTS", "Visibility.INTERNAL", "BuiltInRole.VIEWER", "Role.builtIn", "Role.permissions", "Role.memberCount", "User.role", "User.deactivatedAt", "Query.roles",
			"Permission.BUDGETS_READ", "Viewer.permissions", "Workspace.slug", "Approval.requestedBy",
			"Mutation", "Mutation.createClient", "Mutation.addNote", "CreateClientInput.internalNotes",
			// Portal access.
			"Mutation.setClientPortal(input)", "Mutation.inviteContact(input)", "Mutation.suspendContact(input)",
			"Mutation.restoreContact(input)", "Mutation.previewPortal(input)", "Mutation.logOut", "LogOutPayload.ok",
			"Permission.PORTAL_MANAGE", "Client.portalStatus", "Client.portalOverview", "ClientPortalOverview.lastSeenAt",
			"ClientPortalStatus.DISABLED", "ClientPortalStatus.ENABLED", "ClientPortalStatus.INVITED", "ClientPortalStatus.ACTIVE",
			"ClientFilter.portalStatus", "Client.activity(filter)", "ActivityFilter.contactId", "ActivityFilter.portalOnly",
			"ActivityFilter.actions", "ActivityFilter.recordTypes", "ActivityFilter.since", "ActivityFilter.until",
			"Contact.lastSeenAt", "Contact.inviteExpiresAt", "ActivityEvent.preview", "InviteContactPayload.inviteLink",
			"InviteContactPayload.expiresAt", "PreviewPortalPayload.token", "SetClientPortalInput.sections",
			"PortalSectionsInput.deliverables", "ActivityAction.VIEWED", "ActivityAction.LOGGED_IN",
			"ActivityAction.PORTAL_PREVIEWED", "ActivityAction.CONTACT_INVITED", "ActivityAction.INVITE_ACCEPTED",
			"ActivityAction.CONTACT_SUSPENDED", "ActivityAction.CONTACT_RESTORED", "ActivityAction.PORTAL_UPDATED",
			"RecordType.USER",
			// Roles and staff management.
			"RecordType.ROLE", "ActivityAction.ROLE_CREATED", "ActivityAction.STAFF_DEACTIVATED", "ActivityAction.OWNERSHIP_TRANSFERRED",
			"Permission.STAFF_MANAGE", "Permission.OWNERSHIP_TRANSFER", "Permission.ROLES_MANAGE", "InviteStaffPayload.inviteLink",
		} {
			if !ix.elements[want] {
				t.Errorf("the staff schema lacks %s", want)
			}
		}
		// Signing in is for callers without credentials; a preview is a
		// portal principal's notion.
		for _, absent := range []string{"Mutation.logIn", "Mutation.acceptInvite", "LogInInput", "AcceptInviteInput", "LogInPayload", "Viewer.preview"} {
			if ix.elements[absent] {
				t.Errorf("the staff schema serves %s", absent)
			}
		}
		equal(t, "queryType", ix.query, "Query")
		equal(t, "mutationType", ix.mutation, &named{Name: "Mutation"})
		equal(t, "Mutation fields", sorted(ix.fields["Mutation"]), []string{
			"addNote", "archiveClient", "cancelApproval", "changeStaffRole", "commentOnRequest", "createClient", "createContact", "createDeliverable",
			"createPartnerKey", "createProject", "createReport", "createRole", "createWebhookEndpoint", "deactivateStaff", "deleteApproval", "deleteComment",
			"deleteDeliverable", "deleteFile", "deleteNote", "deleteProject", "deleteReport", "deleteRequest", "deleteRole", "deleteWebhookEndpoint",
			"enableWebhookEndpoint", "eraseContact", "inviteContact", "inviteStaff", "logOut", "previewPortal", "publishReport", "reactivateStaff",
			"recordApprovalDecision", "redeliverWebhook", "registerPersistedOperation", "reinviteStaff", "remindApprovers", "requestApproval", "requestExport", "restoreApproval", "restoreContact", "restoreDeliverable", "restoreProject", "restoreReport", "restoreRequest",
			"resubmitApproval", "revokePartnerKey", "rotatePartnerKey", "setClientPortal", "setPartnerKeyAllowList", "setPortalAllowList", "suspendContact", "transferOwnership",
			"unpublishReport",
			"unregisterPersistedOperation", "updateClient", "updateContact", "updateDeliverable",
			"updateFile", "updateProject", "updateReport", "updateRequest", "updateRole", "uploadFile",
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
	// Roles and staff management.
	"BuiltInRole", "builtIn", "memberCount", "roles", "deactivatedAt", "createRole", "updateRole", "deleteRole",
	"CreateRoleInput", "UpdateRoleInput", "DeleteRoleInput", "inviteStaff", "InviteStaffInput", "InviteStaffPayload",
	"changeStaffRole", "deactivateStaff", "reactivateStaff", "reinviteStaff", "ReinviteStaffInput", "transferOwnership", "TransferOwnershipPayload",
	"previousOwner", "STAFF_MANAGE", "OWNERSHIP_TRANSFER", "ROLES_MANAGE", "ROLE_CREATED", "STAFF_DEACTIVATED",
	"BUDGET_CENTS", "ClientFilter", "ClientOrder", "ClientOrderField", "requestedBy", "recordedBy", "slug",
	"updatedAt", "archivedAt", "internal", "hasPermission", "goTag", "goModel", "goField", "AddressInput",
	"CreateClientInput", "AddNoteInput", "user", "createClient", "requestApproval", "recordApprovalDecision",
	"RequestApprovalInput", "RecordApprovalDecisionInput", "internalNote", "remindedAt", "APPROVALS_UPDATE",
	// Portal access: managing it and auditing it are for staff.
	"portalOverview", "ClientPortalOverview", "ClientPortalStatus", "lastSeenAt", "inviteExpiresAt",
	"setClientPortal", "SetClientPortalInput", "SetClientPortalPayload", "PortalSectionsInput", "sections",
	"inviteContact", "InviteContactInput", "InviteContactPayload", "inviteLink", "suspendContact", "SuspendContactInput",
	"restoreContact", "RestoreContactInput", "previewPortal", "PreviewPortalInput", "PreviewPortalPayload",
	"PORTAL_MANAGE", "ActivityFilter", "portalOnly", "recordTypes", "actions", "VIEWED", "LOGGED_IN", "PORTAL_PREVIEWED",
	"activeContacts", "invitedContacts", "suspendedContacts",
	// Files, reports, exports and requests: who did the work, drafts,
	// triage and failure details stay with staff.
	"uploadedBy", "author", "assignee", "error", "ReportStatus", "createReport", "updateReport", "publishReport",
	"unpublishReport", "updateFile", "deleteFile", "updateRequest", "CreateReportInput", "UpdateReportInput",
	"PublishReportInput", "UnpublishReportInput", "ReportMetricInput", "UpdateFileInput", "DeleteFileInput",
	"UpdateRequestInput", "FILES_UPDATE", "REPORTS_PUBLISH", "REQUESTS_UPDATE",
	// Partners' keys are managed by staff.
	"partnerKeys", "PartnerKey", "PartnerKeyConnection", "PartnerKeyEdge", "PartnerScope", "createPartnerKey",
	"rotatePartnerKey", "revokePartnerKey", "CreatePartnerKeyInput", "RotatePartnerKeyInput", "RevokePartnerKeyInput",
	"CreatePartnerKeyPayload", "RotatePartnerKeyPayload", "RevokePartnerKeyPayload", "PARTNER_KEYS_MANAGE",
	"includeInternal", "secret", "KEY_ROTATED", "KEY_REVOKED", "PARTNER_KEY",
	// Webhooks are managed by staff.
	"webhookEndpoints", "WebhookEndpoint", "WebhookDelivery", "WebhookEndpointConnection", "WebhookDeliveryConnection",
	"createWebhookEndpoint", "deleteWebhookEndpoint", "enableWebhookEndpoint", "redeliverWebhook", "WEBHOOKS_MANAGE",
	"WEBHOOK_ENDPOINT", "disabledReason",
	// Deleting, restoring and erasing records are staff's.
	"deleteProject", "deleteDeliverable", "deleteApproval", "deleteReport", "deleteRequest", "deleteNote", "deleteComment",
	"restoreProject", "restoreDeliverable", "restoreApproval", "restoreReport", "restoreRequest", "eraseContact", "deletedRecords", "DeletedRecord", "DeletedRecordConnection", "DeletedRecordEdge",
	"DeleteProjectInput", "DeleteProjectPayload", "RestoreRecordInput", "RestoreRecordPayload", "EraseContactInput",
	"restorableUntil", "deletedBy", "CONTACTS_DELETE", "PROJECTS_DELETE", "DELIVERABLES_DELETE", "APPROVALS_DELETE",
	"NOTES_DELETE", "REPORTS_DELETE", "REQUESTS_DELETE", "COMMENTS_DELETE",
}

// signInNames exist only for callers without credentials: neither staff nor
// portal contacts are served them.
var signInNames = []string{"logIn", "acceptInvite", "LogInInput", "AcceptInviteInput", "LogInPayload"}

// assertNoInternalNames scans every type, field, argument, input field,
// enum value and directive name, and every description. served are
// internal names the audience is served all the same.
func assertNoInternalNames(t *testing.T, ix schemaIndex, served ...string) {
	t.Helper()
	for _, path := range slices.Sorted(maps.Keys(ix.leaves)) {
		if slices.Contains(internalNames, ix.leaves[path]) && !slices.Contains(served, ix.leaves[path]) {
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
		for _, path := range slices.Sorted(maps.Keys(ix.leaves)) {
			if slices.Contains(signInNames, ix.leaves[path]) {
				t.Errorf("sign-in name %q served to the portal as %s", ix.leaves[path], path)
			}
		}
		// A portal contact decides approvals, shares files, asks for
		// exports, opens and discusses requests, and signs out.
		equal(t, "mutationType", ix.mutation, &named{Name: "Mutation"})
		equal(t, "Mutation fields", ix.fields["Mutation"], []string{"decideApproval", "logOut", "uploadFile", "requestExport", "openRequest", "commentOnRequest"})
		equal(t, "queryType", ix.query, "Query")
		equal(t, "directives", ix.directives, servedDirectives)
		equal(t, "Query fields", ix.fields["Query"], []string{"viewer", "node", "client", "project", "projects", "deliverable", "deliverables", "approval", "approvals", "file", "report", "reports", "export", "request", "requests"})
		// Live events of what the portal shows; no client to name, no
		// activity.
		equal(t, "Subscription fields", ix.fields["Subscription"], []string{"approvalChanged", "requestChanged", "exportFinished"})
		equal(t, "Subscription.approvalChanged args", ix.elements["Subscription.approvalChanged(clientId)"], false)
		equal(t, "Viewer fields", ix.fields["Viewer"], []string{"audience", "preview", "workspace", "contact", "client", "pendingApprovals"})
		equal(t, "LogOutPayload fields", ix.fields["LogOutPayload"], []string{"ok"})
		equal(t, "Project fields", ix.fields["Project"], []string{
			"id", "client", "name", "description", "status", "startsOn", "dueOn", "owner", "deliverables", "approvals", "files", "reports", "createdAt",
		})
		equal(t, "Client fields", ix.fields["Client"], []string{
			"id", "name", "organization", "owner", "email", "phone", "website", "address", "portalEnabled",
			"portalSettings", "contacts", "projects", "approvals", "files", "reports", "exports", "requests", "createdAt",
		})
		equal(t, "Client.contacts args", ix.elements["Client.contacts(portalStatus)"], false)
		// Who on staff uploaded a file and whether it is shared are not
		// the portal's business; a contact's upload is always shared.
		equal(t, "File fields", ix.fields["File"], []string{
			"id", "name", "contentType", "size", "sha256", "version", "versions", "client", "project", "deliverable", "request",
			"uploadedByContact", "downloadUrl", "createdAt",
		})
		equal(t, "UploadFileInput fields", ix.fields["UploadFileInput"], []string{"file", "clientId", "projectId", "deliverableId", "requestId", "replacesId", "name"})
		equal(t, "ExportKind values", ix.fields["ExportKind"], []string{"APPROVALS", "DELIVERABLES"})
		equal(t, "ProjectFilter fields", ix.fields["ProjectFilter"], []string{"clientId", "status"})
		equal(t, "ProjectOrderField values", ix.fields["ProjectOrderField"], []string{"NAME", "CREATED_AT", "DUE_ON"})
		equal(t, "types", ix.types(), []string{
			"Address", "Approval", "ApprovalChange", "ApprovalChangedEvent", "ApprovalConnection", "ApprovalDecision", "ApprovalEdge", "ApprovalFilter",
			"ApprovalOrder", "ApprovalOrderField", "ApprovalPolicy",
			"ApprovalStatus", "Audience", "Client", "ClientProjectFilter", "ClientRequest", "ClientRequestConnection",
			"ClientRequestEdge", "ClientRequestFilter", "ClientRequestStatus", "CommentOnRequestInput", "CommentOnRequestPayload",
			"Contact", "ContactConnection", "ContactEdge",
			"Date", "DecideApprovalInput", "DecideApprovalPayload", "DecisionOutcome", "Deliverable", "DeliverableConnection", "DeliverableEdge", "DeliverableFilter",
			"DeliverableOrder", "DeliverableOrderField", "DeliverableStatus", "Export", "ExportConnection", "ExportEdge", "ExportKind",
			"ExportStatus", "FeatureKey", "File", "FileConnection", "FileEdge", "LogOutPayload", "Mutation", "Node", "OpenRequestInput",
			"OpenRequestPayload", "PageInfo", "PortalSettings",
			"Project", "ProjectConnection", "ProjectDeliverableFilter", "ProjectEdge", "ProjectFilter", "ProjectOrder", "ProjectOrderField",
			"ProjectStatus", "Query", "Report", "ReportConnection", "ReportEdge", "ReportFilter", "ReportMetric",
			"RequestChange", "RequestChangedEvent", "RequestComment",
			"RequestCommentConnection", "RequestCommentEdge", "RequestExportInput", "RequestExportPayload", "SortDirection", "Subscription", "Time",
			"Upload", "UploadFileInput", "UploadFilePayload", "User", "Viewer", "Workspace",
		})
	})
}

func TestIntrospectionAnonymous(t *testing.T) {
	t.Parallel()
	run(t, func(t *testing.T, e *env) {
		ix := introspect(t, e, "")
		assertNoInternalNames(t, ix)
		// Someone without credentials may sign in or accept an invitation,
		// and nothing else.
		equal(t, "mutationType", ix.mutation, &named{Name: "Mutation"})
		equal(t, "Mutation fields", ix.fields["Mutation"], []string{"logIn", "acceptInvite"})
		equal(t, "logIn args", ix.elements["Mutation.logIn(input)"], true)
		equal(t, "acceptInvite args", ix.elements["Mutation.acceptInvite(input)"], true)
		equal(t, "LogInInput fields", ix.fields["LogInInput"], []string{"email", "password", "workspace"})
		equal(t, "AcceptInviteInput fields", ix.fields["AcceptInviteInput"], []string{"token", "password"})
		equal(t, "LogInPayload fields", ix.fields["LogInPayload"], []string{"token", "expiresAt", "audience"})
		equal(t, "types", ix.types(), []string{
			"AcceptInviteInput", "Audience", "LogInInput", "LogInPayload", "Mutation", "Query", "Time", "Viewer",
		})
		equal(t, "Query fields", ix.fields["Query"], []string{"viewer"})
		equal(t, "Viewer fields", ix.fields["Viewer"], []string{"audience"})
		equal(t, "Audience values", ix.fields["Audience"], []string{"STAFF", "PORTAL", "PARTNER", "ANONYMOUS"})
		equal(t, "directives", ix.directives, servedDirectives)
	})
}
